/**
 * Choosing the Wi-Fi interface and its endpoints from descriptors, as mt7921u's probe does: the interface whose
 * class is ff/ff/ff (interface 3 on the reference dongle, after three Bluetooth interfaces), and its bulk endpoints
 * in descriptor order — the first 2 bulk IN and the first 6 bulk OUT (mt76u_set_endpoints, FACTS §1.3). Fewer is
 * an error; extra ones and the interrupt endpoint are ignored.
 *
 * The shapes below are small and neutral (close to WebUSB's USBConfiguration / USBInterface / USBEndpoint), so tests
 * can pass plain objects; `fromLibusbConfig` converts libusb's configuration descriptor (node-usb 2) into them.
 */
import { WIFI_INTERFACE_CLASS } from './ids.ts';

export interface EndpointDescriptor {
  /** 1..15, without the direction bit. */
  endpointNumber: number;
  direction: 'in' | 'out';
  type: 'bulk' | 'interrupt' | 'isochronous' | 'control';
  packetSize: number;
}

export interface AlternateDescriptor {
  alternateSetting: number;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  endpoints: readonly EndpointDescriptor[];
}

export interface InterfaceDescriptor {
  interfaceNumber: number;
  /** The current alternate setting. */
  alternate: AlternateDescriptor;
  alternates: readonly AlternateDescriptor[];
}

export interface ConfigurationDescriptor {
  configurationValue: number;
  interfaces: readonly InterfaceDescriptor[];
}

export interface WifiInterface {
  interfaceNumber: number;
  alternateSetting: number;
  /** Bulk IN addresses (with 0x80), descriptor order, the first 2. */
  in: number[];
  /** Bulk OUT addresses, descriptor order, the first 6. */
  out: number[];
  /** wMaxPacketSize of the bulk endpoints (1024 at SuperSpeed, 512 at high speed). */
  bulkPacketSize: number;
}

export const MT_EP_IN_MAX = 2;
export const MT_EP_OUT_MAX = 6;

/** Why a device cannot be driven, in words for a person. */
export class DongleSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DongleSetupError';
  }
}

const cls = (a: AlternateDescriptor) =>
  [a.interfaceClass, a.interfaceSubclass, a.interfaceProtocol].map((v) => v.toString(16).padStart(2, '0')).join('/');

function isWifi(a: AlternateDescriptor): boolean {
  return (
    a.interfaceClass === WIFI_INTERFACE_CLASS &&
    a.interfaceSubclass === WIFI_INTERFACE_CLASS &&
    a.interfaceProtocol === WIFI_INTERFACE_CLASS
  );
}

/** The Wi-Fi interface of a configuration, or DongleSetupError saying what is missing. */
export function selectWifiInterface(config: ConfigurationDescriptor): WifiInterface {
  for (const intf of config.interfaces) {
    // The current alt setting first (as the driver uses cur_altsetting), then any other with the class.
    const alt = isWifi(intf.alternate) ? intf.alternate : intf.alternates.find(isWifi);
    if (!alt) continue;
    const ins: number[] = [];
    const outs: number[] = [];
    let bulkPacketSize = 0;
    for (const ep of alt.endpoints) {
      if (ep.type !== 'bulk') continue;
      bulkPacketSize ||= ep.packetSize;
      if (ep.direction === 'in') ins.push(0x80 | ep.endpointNumber);
      else outs.push(ep.endpointNumber);
    }
    if (ins.length < MT_EP_IN_MAX || outs.length < MT_EP_OUT_MAX) {
      throw new DongleSetupError(
        `interface ${intf.interfaceNumber} (class ff/ff/ff) has ${ins.length} bulk IN and ${outs.length} bulk OUT endpoints; the MT7921U driver needs at least ${MT_EP_IN_MAX} and ${MT_EP_OUT_MAX}`,
      );
    }
    return {
      interfaceNumber: intf.interfaceNumber,
      alternateSetting: alt.alternateSetting,
      in: ins.slice(0, MT_EP_IN_MAX),
      out: outs.slice(0, MT_EP_OUT_MAX),
      bulkPacketSize,
    };
  }
  const seen = config.interfaces.map((i) => `${i.interfaceNumber}:${cls(i.alternate)}`).join(', ') || 'none';
  throw new DongleSetupError(`no interface with class ff/ff/ff (interfaces: ${seen}): not an MT7921U Wi-Fi function`);
}

/** libusb's endpoint descriptor (struct libusb_endpoint_descriptor, as node-usb 2 exposes it), the fields used. */
export interface LibusbEndpointDescriptor {
  bEndpointAddress: number;
  bmAttributes: number;
  wMaxPacketSize: number;
}

/** libusb's interface descriptor: one alternate setting. */
export interface LibusbInterfaceDescriptor {
  bInterfaceNumber: number;
  bAlternateSetting: number;
  bInterfaceClass: number;
  bInterfaceSubClass: number;
  bInterfaceProtocol: number;
  endpoints: readonly LibusbEndpointDescriptor[];
}

/** libusb's configuration descriptor: `interfaces[i]` lists the alternate settings of interface i. */
export interface LibusbConfigDescriptor {
  bConfigurationValue: number;
  interfaces: readonly (readonly LibusbInterfaceDescriptor[])[];
}

const EP_TYPES = ['control', 'isochronous', 'bulk', 'interrupt'] as const;

/**
 * libusb's configuration descriptor in the shape selectWifiInterface reads. libusb does not say which alternate
 * setting is current; after claiming it is alt 0 (USB 2.0 §9.1.1.5), so the first listed is taken as current.
 */
export function fromLibusbConfig(cd: LibusbConfigDescriptor): ConfigurationDescriptor {
  const alt = (a: LibusbInterfaceDescriptor): AlternateDescriptor => ({
    alternateSetting: a.bAlternateSetting,
    interfaceClass: a.bInterfaceClass,
    interfaceSubclass: a.bInterfaceSubClass,
    interfaceProtocol: a.bInterfaceProtocol,
    endpoints: a.endpoints.map((e) => ({
      endpointNumber: e.bEndpointAddress & 0x0f,
      direction: e.bEndpointAddress & 0x80 ? 'in' : 'out',
      type: EP_TYPES[e.bmAttributes & 3]!,
      packetSize: e.wMaxPacketSize & 0x7ff,
    })),
  });
  const interfaces: InterfaceDescriptor[] = [];
  for (const alts of cd.interfaces) {
    const first = alts.find((a) => a.bAlternateSetting === 0) ?? alts[0];
    if (!first) continue;
    interfaces.push({ interfaceNumber: first.bInterfaceNumber, alternate: alt(first), alternates: alts.map(alt) });
  }
  return { configurationValue: cd.bConfigurationValue, interfaces };
}

/**
 * EP0 max packet size from the device descriptor: bMaxPacketSize0 is the size in bytes, except at SuperSpeed
 * (bcdUSB ≥ 3.00 and the value below 64) where it is an exponent — 9 means 512 (USB 3.2 §9.6.1). The register
 * block-copy chunk is max(this, 32), as mt76 sizes its control buffer.
 */
export function ep0MaxPacket(bcdUSB: number, bMaxPacketSize0: number): number {
  if (bcdUSB >= 0x0300 && bMaxPacketSize0 > 0 && bMaxPacketSize0 < 16) return 1 << bMaxPacketSize0;
  return bMaxPacketSize0 || 64;
}

/**
 * The link speed as far as descriptors tell it (libusb's device speed is not exposed by node-usb): EP0 at 512 bytes
 * is SuperSpeed; otherwise the bulk endpoints' wMaxPacketSize (512 high speed, 64 full speed, USB 2.0 §5.8.3).
 */
export function speedFromDescriptors(ep0: number, bulkPacketSize: number): 'super' | 'high' | 'full' | 'unknown' {
  if (ep0 === 512 || bulkPacketSize === 1024) return 'super';
  if (bulkPacketSize === 512) return 'high';
  if (bulkPacketSize === 64) return 'full';
  return 'unknown';
}
