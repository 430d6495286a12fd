/**
 * USB identity of the emulated dongle (FACTS.md §1.1, §1.2): a 0e8d:7961 composite device, Bluetooth on interfaces
 * 0–2 and Wi-Fi on interface 3 with its nine endpoints in descriptor order.
 */
import type { UsbSpeed } from '../transport.ts';

export interface UsbEndpointDescriptor {
  /** bEndpointAddress: number in bits 3:0, BIT7 set for IN. */
  readonly address: number;
  readonly type: 'control' | 'isochronous' | 'bulk' | 'interrupt';
  readonly maxPacketSize: number;
  readonly interval: number;
}

export interface UsbInterfaceDescriptor {
  readonly interfaceNumber: number;
  readonly alternateSetting: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
  readonly name?: string;
  /** In descriptor order. */
  readonly endpoints: readonly UsbEndpointDescriptor[];
}

/** The device and configuration descriptors of the emulated dongle, as lsusb would show them. */
export interface UsbDeviceDescriptor {
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdUSB: number;
  readonly bcdDevice: number;
  readonly deviceClass: number;
  readonly deviceSubclass: number;
  readonly deviceProtocol: number;
  /** EP0 max packet size in bytes (bMaxPacketSize0 = 9 → 512 at SuperSpeed). */
  readonly maxPacketSize0: number;
  readonly manufacturer: string;
  readonly product: string;
  readonly serialNumber: string;
  readonly speed: UsbSpeed;
  readonly configurationAttributes: number;
  readonly maxPowerMa: number;
  /** Every interface and alternate setting of the configuration, in descriptor order. */
  readonly interfaces: readonly UsbInterfaceDescriptor[];
}

/** The IDs mt7921u binds (FACTS.md §1.1). */
export const MT7921U_IDS: ReadonlyArray<{ vendorId: number; productId: number; name: string }> = [
  { vendorId: 0x0e8d, productId: 0x7961, name: 'MediaTek reference' },
  { vendorId: 0x3574, productId: 0x6211, name: 'Comfast CF-952AX' },
  { vendorId: 0x0846, productId: 0x9060, name: 'Netgear A8000 / AXE3000' },
  { vendorId: 0x0846, productId: 0x9065, name: 'Netgear A7500' },
  { vendorId: 0x35bc, productId: 0x0107, name: 'TP-Link TXE50UH' },
];

export const WIFI_INTERFACE = 3;
export const EP_IN_PKT_RX = 0x84;
export const EP_IN_CMD_RESP = 0x85;
export const EP_OUT_INBAND_CMD = 0x08;
export const EP_OUT_AC_BE = 0x04;
export const EP_INT_IN = 0x86;
/** Bulk OUT endpoints in descriptor order (FACTS.md §1.2). */
export const WIFI_BULK_OUT = [0x08, 0x04, 0x05, 0x06, 0x07, 0x09] as const;

export type EmulatedSpeed = Extract<UsbSpeed, 'super' | 'high'>;

function ep(
  address: number,
  type: UsbEndpointDescriptor['type'],
  maxPacketSize: number,
  interval = 0,
): UsbEndpointDescriptor {
  return { address, type, maxPacketSize, interval };
}

export function buildDescriptor(vendorId: number, productId: number, speed: EmulatedSpeed): UsbDeviceDescriptor {
  const bulk = speed === 'super' ? 1024 : 512; // §1.2: 1024 at SuperSpeed, 512 at high speed
  const bt: UsbInterfaceDescriptor[] = [
    // GUESS: the Bluetooth interfaces' endpoints were not examined (FACTS §1.2 gives only their class and the
    // seven alternate settings of interface 1); typical Bluetooth USB layout shown.
    {
      interfaceNumber: 0,
      alternateSetting: 0,
      interfaceClass: 0xe0,
      interfaceSubclass: 0x01,
      interfaceProtocol: 0x01,
      endpoints: [ep(0x81, 'interrupt', 16, 1), ep(0x82, 'bulk', bulk), ep(0x02, 'bulk', bulk)],
    },
    ...[0, 9, 17, 25, 33, 49, 63].map((mps, alt) => ({
      interfaceNumber: 1,
      alternateSetting: alt,
      interfaceClass: 0xe0,
      interfaceSubclass: 0x01,
      interfaceProtocol: 0x01,
      endpoints: [ep(0x83, 'isochronous', mps, 1), ep(0x03, 'isochronous', mps, 1)],
    })),
    {
      interfaceNumber: 2,
      alternateSetting: 0,
      interfaceClass: 0xe0,
      interfaceSubclass: 0x01,
      interfaceProtocol: 0x01,
      endpoints: [ep(0x8a, 'interrupt', 64, 1), ep(0x0a, 'interrupt', 64, 1)],
    },
  ];
  const wifi: UsbInterfaceDescriptor = {
    interfaceNumber: WIFI_INTERFACE,
    alternateSetting: 0,
    interfaceClass: 0xff,
    interfaceSubclass: 0xff,
    interfaceProtocol: 0xff,
    name: 'WiFi_If',
    endpoints: [
      ep(0x84, 'bulk', bulk),
      ep(0x85, 'bulk', bulk),
      ...WIFI_BULK_OUT.map((a) => ep(a, 'bulk', bulk)),
      ep(EP_INT_IN, 'interrupt', 2, 1),
    ],
  };
  return {
    vendorId,
    productId,
    // GUESS: bcdUSB 2.10 when enumerated at high speed (FACTS has the SuperSpeed dump, bcdUSB 3.20).
    bcdUSB: speed === 'super' ? 0x0320 : 0x0210,
    bcdDevice: 0x0100,
    deviceClass: 0xef,
    deviceSubclass: 0x02,
    deviceProtocol: 0x01,
    maxPacketSize0: speed === 'super' ? 512 : 64,
    manufacturer: 'MediaTek Inc.',
    product: 'Wireless_Device',
    serialNumber: '000000000', // GUESS
    speed,
    configurationAttributes: 0xa0, // bus powered, remote wakeup (§1.2)
    maxPowerMa: 160,
    interfaces: [...bt, wifi],
  };
}
