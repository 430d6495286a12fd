/**
 * The USB ids mt7921u binds (FACTS §1.1, mt7921/usb.c). Every entry also requires the interface class ff/ff/ff;
 * all use the MT7961 firmware (chosen later by MT_HW_CHIPID, not by product id).
 */

export interface DongleId {
  vendorId: number;
  productId: number;
  name: string;
}

export const MT7921U_IDS: readonly DongleId[] = [
  { vendorId: 0x0e8d, productId: 0x7961, name: 'MediaTek MT7921U reference' },
  { vendorId: 0x3574, productId: 0x6211, name: 'Comfast CF-952AX' },
  { vendorId: 0x0846, productId: 0x9060, name: 'Netgear A8000 / AXE3000' },
  { vendorId: 0x0846, productId: 0x9065, name: 'Netgear A7500' },
  { vendorId: 0x35bc, productId: 0x0107, name: 'TP-Link TXE50UH' },
];

/** The interface class/subclass/protocol every id entry requires (USB_DEVICE_AND_INTERFACE_INFO ... 0xff, 0xff, 0xff). */
export const WIFI_INTERFACE_CLASS = 0xff;

export function matchDongleId(vendorId: number, productId: number): DongleId | null {
  return MT7921U_IDS.find((d) => d.vendorId === vendorId && d.productId === productId) ?? null;
}

export function usbIdString(vendorId: number, productId: number): string {
  return `${vendorId.toString(16).padStart(4, '0')}:${productId.toString(16).padStart(4, '0')}`;
}
