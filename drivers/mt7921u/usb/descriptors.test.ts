import { describe, expect, it } from 'vitest';
import { UsbError } from '../transport.ts';
import {
  type AlternateDescriptor,
  type ConfigurationDescriptor,
  DongleSetupError,
  type EndpointDescriptor,
  ep0MaxPacket,
  fromLibusbConfig,
  selectWifiInterface,
  speedFromDescriptors,
} from './descriptors.ts';
import { libusbError, referenceConfig as libusbReference } from './fake-libusb.ts';
import { MT7921U_IDS, matchDongleId } from './ids.ts';
import { toUsbError } from './native-errors.ts';

const ep = (addr: number, type: EndpointDescriptor['type'] = 'bulk', packetSize = 1024): EndpointDescriptor => ({
  endpointNumber: addr & 0x7f,
  direction: addr & 0x80 ? 'in' : 'out',
  type,
  packetSize,
});
const alt = (
  c: number,
  s: number,
  p: number,
  endpoints: EndpointDescriptor[],
  alternateSetting = 0,
): AlternateDescriptor => ({
  alternateSetting,
  interfaceClass: c,
  interfaceSubclass: s,
  interfaceProtocol: p,
  endpoints,
});
const referenceConfig = (): ConfigurationDescriptor => fromLibusbConfig(libusbReference());

describe('id table (FACTS §1.1)', () => {
  it('matches the five ids and nothing else', () => {
    expect(MT7921U_IDS.map((d) => [d.vendorId, d.productId])).toEqual([
      [0x0e8d, 0x7961],
      [0x3574, 0x6211],
      [0x0846, 0x9060],
      [0x0846, 0x9065],
      [0x35bc, 0x0107],
    ]);
    for (const d of MT7921U_IDS) expect(matchDongleId(d.vendorId, d.productId)).toBe(d);
    expect(matchDongleId(0x0e8d, 0x7922)).toBeNull();
    expect(matchDongleId(0x0846, 0x7961)).toBeNull();
  });
});

describe('interface and endpoint selection (FACTS §1.3)', () => {
  it('takes interface 3 of the reference layout: 2 bulk IN, 6 bulk OUT in descriptor order, no interrupt EP', () => {
    expect(selectWifiInterface(referenceConfig())).toEqual({
      interfaceNumber: 3,
      alternateSetting: 0,
      in: [0x84, 0x85],
      out: [0x08, 0x04, 0x05, 0x06, 0x07, 0x09],
      bulkPacketSize: 1024,
    });
  });

  it('keeps descriptor order whatever the numbers, and ignores extra endpoints', () => {
    const a = alt(
      0xff,
      0xff,
      0xff,
      [0x01, 0x83, 0x02, 0x81, 0x03, 0x04, 0x05, 0x06, 0x07, 0x82].map((x) => ep(x, 'bulk', 512)),
    );
    const w = selectWifiInterface({
      configurationValue: 1,
      interfaces: [{ interfaceNumber: 0, alternate: a, alternates: [a] }],
    });
    expect([w.in, w.out, w.bulkPacketSize]).toEqual([[0x83, 0x81], [1, 2, 3, 4, 5, 6], 512]);
  });

  it('uses another alt setting with the class when the current one lacks it', () => {
    const cfg = referenceConfig();
    const wifi = cfg.interfaces[3]!.alternate;
    const other = { ...wifi, alternateSetting: 1 };
    const cfg2 = {
      ...cfg,
      interfaces: [{ interfaceNumber: 3, alternate: alt(0x0a, 0, 0, []), alternates: [alt(0x0a, 0, 0, []), other] }],
    };
    expect(selectWifiInterface(cfg2).alternateSetting).toBe(1);
  });

  it('too few bulk endpoints is a clear error', () => {
    const a = alt(0xff, 0xff, 0xff, [
      ep(0x84),
      ep(0x08),
      ep(0x04),
      ep(0x05),
      ep(0x06),
      ep(0x07),
      ep(0x09),
      ep(0x85, 'interrupt'),
    ]);
    const cfg = { configurationValue: 1, interfaces: [{ interfaceNumber: 3, alternate: a, alternates: [a] }] };
    expect(() => selectWifiInterface(cfg)).toThrow(DongleSetupError);
    expect(() => selectWifiInterface(cfg)).toThrow(
      /interface 3 .* has 1 bulk IN and 6 bulk OUT endpoints; .* at least 2 and 6/,
    );
  });

  it('no ff/ff/ff interface is a clear error listing what is there', () => {
    const cfg = referenceConfig();
    const noWifi = { ...cfg, interfaces: cfg.interfaces.slice(0, 3) };
    expect(() => selectWifiInterface(noWifi)).toThrow(/no interface with class ff\/ff\/ff \(interfaces: 0:e0\/01\/01/);
  });

  it('converts libusb descriptors: endpoint types, numbers, directions, alt settings', () => {
    const cfg = referenceConfig();
    expect(cfg.interfaces.map((i) => [i.interfaceNumber, i.alternates.length])).toEqual([
      [0, 1],
      [1, 7],
      [2, 1],
      [3, 1],
    ]);
    expect(cfg.interfaces[3]!.alternate.endpoints.at(-1)).toEqual(ep(0x86, 'interrupt', 2));
    expect(cfg.interfaces[0]!.alternate.endpoints[0]).toEqual(ep(0x81, 'interrupt', 16));
  });

  it('EP0 max packet and speed from the descriptors', () => {
    expect([
      ep0MaxPacket(0x0320, 9),
      ep0MaxPacket(0x0210, 64),
      ep0MaxPacket(0x0200, 8),
      ep0MaxPacket(0x0300, 0),
    ]).toEqual([512, 64, 8, 64]);
    expect([
      speedFromDescriptors(512, 1024),
      speedFromDescriptors(64, 512),
      speedFromDescriptors(64, 64),
      speedFromDescriptors(8, 0),
    ]).toEqual(['super', 'high', 'full', 'unknown']);
  });
});

describe('libusb error mapping', () => {
  it('maps transfer statuses and libusb error codes (errno) to UsbError codes', () => {
    const code = (name: string, errno: number) => toUsbError(libusbError(name, errno), 'op').code;
    expect(code('LIBUSB_TRANSFER_ERROR', 1)).toBe('proto');
    expect(code('LIBUSB_TRANSFER_TIMED_OUT', 2)).toBe('timeout');
    expect(code('LIBUSB_TRANSFER_CANCELLED', 3)).toBe('cancelled');
    expect(code('LIBUSB_TRANSFER_STALL', 4)).toBe('stall');
    expect(code('LIBUSB_TRANSFER_NO_DEVICE', 5)).toBe('nodev');
    expect(code('LIBUSB_TRANSFER_OVERFLOW', 6)).toBe('proto');
    expect(code('LIBUSB_ERROR_IO', -1)).toBe('io');
    expect(code('LIBUSB_ERROR_ACCESS', -3)).toBe('io');
    expect(code('LIBUSB_ERROR_NO_DEVICE', -4)).toBe('nodev');
    expect(code('LIBUSB_ERROR_BUSY', -6)).toBe('io');
    expect(code('LIBUSB_ERROR_TIMEOUT', -7)).toBe('timeout');
    expect(code('LIBUSB_ERROR_PIPE', -9)).toBe('stall');
  });

  it('falls back to the name when there is no errno; keeps its own errors', () => {
    const code = (m: string) => toUsbError(new Error(m), 'op').code;
    expect(code('LIBUSB_TRANSFER_NO_DEVICE')).toBe('nodev');
    expect(code('LIBUSB_TRANSFER_STALL')).toBe('stall');
    expect(code('something else')).toBe('io');
    expect(toUsbError(new Error('LIBUSB_ERROR_PIPE'), 'control IN').message).toBe('control IN: LIBUSB_ERROR_PIPE');
    const own = new UsbError('stall', 'x');
    expect(toUsbError(own, 'op')).toBe(own);
  });
});
