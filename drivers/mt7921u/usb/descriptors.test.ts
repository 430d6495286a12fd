import { describe, expect, it } from 'vitest';
import { UsbError } from '../transport.ts';
import { DongleSetupError, type EndpointDescriptor, ep0MaxPacketForSpeed, selectWifiInterface } from './descriptors.ts';
import { fakeAlternate, fakeEndpoint, referenceConfig } from './fake-webusb.ts';
import { MT7921U_IDS, matchDongleId } from './ids.ts';
import { statusError, toUsbError } from './native-errors.ts';
import { webUsbSetup } from './webusb.ts';

const ep = fakeEndpoint;
const alt = (c: number, s: number, p: number, endpoints: EndpointDescriptor[], alternateSetting = 0) =>
  fakeAlternate([c, s, p], endpoints, alternateSetting);

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

  it('EP0 max packet from speed', () => {
    expect([ep0MaxPacketForSpeed('super'), ep0MaxPacketForSpeed('superPlus'), ep0MaxPacketForSpeed('high')]).toEqual([
      512, 512, 64,
    ]);
  });
});

describe('control setup and error mapping', () => {
  it('maps bmRequestType to WebUSB words; recipients 0x1f/0x1e fall back to device', () => {
    expect(webUsbSetup({ requestType: 0xdf, request: 0x63, value: 0x7001, index: 0x0200 })).toEqual({
      setup: { requestType: 'vendor', recipient: 'device', request: 0x63, value: 0x7001, index: 0x0200 },
      exact: false,
    });
    expect(webUsbSetup({ requestType: 0x5e, request: 2, value: 0, index: 0 })?.exact).toBe(false);
    expect(webUsbSetup({ requestType: 0xc0, request: 0x63, value: 0, index: 0 })).toMatchObject({
      setup: { requestType: 'vendor', recipient: 'device' },
      exact: true,
    });
    expect(webUsbSetup({ requestType: 0x21, request: 0, value: 0, index: 0 })?.setup).toMatchObject({
      requestType: 'class',
      recipient: 'interface',
    });
    expect(webUsbSetup({ requestType: 0x60, request: 0, value: 0, index: 0 })).toBeNull();
  });

  it('maps backend errors to UsbError codes', () => {
    const code = (m: string | Error) => toUsbError(typeof m === 'string' ? new Error(m) : m, 'op').code;
    expect(code('transferIn error: Disconnected')).toBe('nodev');
    expect(code('controlTransferIn error: device disconnected')).toBe('nodev');
    expect(code('controlTransferIn error: invalid state')).toBe('nodev');
    expect(code('LIBUSB_ERROR_NO_DEVICE')).toBe('nodev');
    expect(code('transferIn error: Cancelled')).toBe('timeout');
    expect(code('controlTransferOut error: transfer was cancelled')).toBe('timeout');
    expect(code('LIBUSB_ERROR_TIMEOUT')).toBe('timeout');
    expect(code('transferOut error: Stall')).toBe('stall');
    expect(code('LIBUSB_ERROR_PIPE')).toBe('stall');
    expect(code('transferIn error: Fault')).toBe('proto');
    expect(code('hardware fault or protocol violation')).toBe('proto');
    expect(code('LIBUSB_ERROR_OVERFLOW')).toBe('proto');
    expect(code('claimInterface error: interface is busy')).toBe('io');
    const own = new UsbError('stall', 'x');
    expect(toUsbError(own, 'op')).toBe(own);
    expect(statusError('ok', 'op')).toBeNull();
    expect(statusError('stall', 'op')?.code).toBe('stall');
    expect(statusError('babble', 'op')?.code).toBe('proto');
  });
});
