/**
 * Choosing the Wi-Fi interface and its endpoints from descriptors, as mt7921u's probe does: the interface whose
 * class is ff/ff/ff (interface 3 on the reference dongle, after three Bluetooth interfaces), and its bulk endpoints
 * in descriptor order — the first 2 bulk IN and the first 6 bulk OUT (mt76u_set_endpoints, FACTS §1.3). Fewer is
 * an error; extra ones and the interrupt endpoint are ignored.
 *
 * The shapes are WebUSB's (USBConfiguration / USBInterface / USBAlternateInterface / USBEndpoint), reduced to the
 * fields used, so tests can pass plain objects.
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

/**
 * EP0 max packet size from the link speed (USB 2.0 §5.5.3 / USB 3.2 §9.6.1: 512 at SuperSpeed, 64 at high speed;
 * full speed may use 8–64, 64 assumed). WebUSB does not expose bMaxPacketSize0. The register block-copy chunk is
 * max(this, 32), as mt76 sizes its control buffer.
 */
export function ep0MaxPacketForSpeed(speed: string | undefined): number {
  if (speed === 'super' || speed === 'superPlus') return 512;
  if (speed === 'low') return 8;
  return 64;
}
