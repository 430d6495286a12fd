import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../netstack/core/clock.ts';
import type { UsbError } from '../transport.ts';
import { DongleSetupError } from './descriptors.ts';
import { FakeUsbDevice, FakeWebUsb, inOk } from './fake-webusb.ts';
import { findDongles, openDongle } from './finder.ts';
import { openDevice } from './webusb.ts';

const flush = () => new Promise<void>((r) => setImmediate(r));

async function open(opts: { maxInFlight?: number } = {}) {
  const clock = new VirtualClock();
  const dev = new FakeUsbDevice();
  const usb = new FakeWebUsb([dev]);
  const t = await openDevice(dev, { clock, usb, reset: true, detachKernelDriver: true, ...opts });
  return { clock, dev, usb, t };
}

/** Settle a promise into a value or the UsbError code, without unhandled rejections. */
function outcome<T>(p: Promise<T>): { value?: T; code?: string; done: boolean } {
  const o: { value?: T; code?: string; done: boolean } = { done: false };
  p.then(
    (v) => Object.assign(o, { value: v, done: true }),
    (e: UsbError) => Object.assign(o, { code: e.code, done: true }),
  );
  return o;
}

describe('opening the real dongle (fake device)', () => {
  it('opens, resets, detaches the kernel driver, claims interface 3, and reports the endpoints', async () => {
    const { dev, t } = await open();
    expect(dev.log).toEqual(['open', 'reset', 'detachKernelDriver(3)', 'claimInterface(3)']);
    expect(t.endpoints).toEqual({ in: [0x84, 0x85], out: [0x08, 0x04, 0x05, 0x06, 0x07, 0x09] });
    expect(t.info).toMatchObject({
      vendorId: 0x0e8d,
      productId: 0x7961,
      speed: 'super',
      ep0MaxPacket: 512,
      interfaceNumber: 3,
    });
    expect(t.info.description).toBe('usb 2-1:4 0e8d:7961 MediaTek MT7921U reference');
  });

  it('a failing claim is a DongleSetupError with what to do, and the device is closed again', async () => {
    const dev = new FakeUsbDevice();
    dev.failing.set('claimInterface', new Error('claimInterface error: interface is busy'));
    const err = await openDevice(dev, { clock: new VirtualClock() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DongleSetupError);
    expect((err as Error).message).toMatch(/0e8d:7961: claim interface 3 failed: .*busy.*modprobe -r mt7921u/);
    expect(dev.log.at(-1)).toBe('close');
  });

  it('a detach failure (no kernel driver bound) is not an error', async () => {
    const dev = new FakeUsbDevice();
    dev.failing.set('detachKernelDriver', new Error('detachKernelDriver error: no kernel driver attached'));
    const t = await openDevice(dev, { clock: new VirtualClock(), detachKernelDriver: true });
    expect(t.removed).toBe(false);
  });

  it('a device without the Wi-Fi interface is refused in words', async () => {
    const dev = new FakeUsbDevice();
    dev.configuration = { configurationValue: 1, interfaces: dev.configuration!.interfaces.slice(0, 3) };
    await expect(openDevice(dev, { clock: new VirtualClock() })).rejects.toThrow(/no interface with class ff\/ff\/ff/);
  });
});

describe('transfers', () => {
  it('control IN/OUT go out as WebUSB setups with the 300 ms default timeout', async () => {
    const { dev, t } = await open();
    const r = outcome(t.controlIn({ requestType: 0xdf, request: 0x63, value: 0x7001, index: 0x0200 }, 4));
    const w = outcome(
      t.controlOut({ requestType: 0x5f, request: 0x66, value: 0x7c06, index: 0x00f0 }, Uint8Array.of(1, 0, 0, 0)),
    );
    const p = outcome(t.controlOut({ requestType: 0x5f, request: 0x04, value: 0, index: 1 }, null));
    const [ci, co, po] = dev.pending;
    expect([ci!.op, ci!.setup, ci!.length, ci!.timeout]).toEqual([
      'controlIn',
      { requestType: 'vendor', recipient: 'device', request: 0x63, value: 0x7001, index: 0x0200 },
      4,
      300,
    ]);
    expect([co!.op, [...co!.data!]]).toEqual(['controlOut', [1, 0, 0, 0]]);
    expect(po!.data!.length).toBe(0);
    ci!.answer(inOk([0x61, 0x79, 0, 0]));
    co!.answer({ bytesWritten: 4, status: 'ok' });
    po!.answer({ bytesWritten: 0, status: 'ok' });
    await flush();
    expect([...r.value!]).toEqual([0x61, 0x79, 0, 0]);
    expect([w.done, w.code, p.done]).toEqual([true, undefined, true]);
    expect(t.stats.recipientFallbacks).toBe(3);
  });

  it('a control request of the wrong direction is refused without touching the device', async () => {
    const { dev, t } = await open();
    await expect(t.controlIn({ requestType: 0x5f, request: 0x63, value: 0, index: 0 }, 4)).rejects.toMatchObject({
      code: 'io',
    });
    expect(dev.calls).toHaveLength(0);
  });

  it('several reads in flight per endpoint: one native transfer at a time, completed in order', async () => {
    const { dev, t } = await open();
    const reads = [0, 1, 2].map(() => outcome(t.bulkIn(0x84, 4096)));
    const other = outcome(t.bulkIn(0x85, 4096));
    await flush();
    expect(dev.pending.map((c) => [c.op, c.ep])).toEqual([
      ['transferIn', 4],
      ['transferIn', 5],
    ]);
    for (let i = 0; i < 3; i++) {
      dev.pending.find((c) => c.ep === 4)!.answer(inOk([i]));
      await flush();
    }
    expect(reads.map((r) => [...r.value!])).toEqual([[0], [1], [2]]);
    expect(other.done).toBe(false);
  });

  it('a read without timeout re-posts when the native poll times out', async () => {
    const { dev, t } = await open();
    const r = outcome(t.bulkIn(0x85, 512));
    await flush();
    dev.pending[0]!.fail(new Error('transferIn error: Cancelled'));
    await flush();
    expect(dev.pending).toHaveLength(1);
    dev.pending[0]!.answer(inOk([7, 7]));
    await flush();
    expect([...r.value!]).toEqual([7, 7]);
  });

  it('a stall and a short write are errors of their kind', async () => {
    const { dev, t } = await open();
    const s = outcome(t.bulkIn(0x84, 64, 100));
    const w = outcome(t.bulkOut(0x08, new Uint8Array(76)));
    await flush();
    dev.pending.find((c) => c.op === 'transferIn')!.answer({ status: 'stall' });
    dev.pending.find((c) => c.op === 'transferOut')!.answer({ bytesWritten: 40, status: 'ok' });
    await flush();
    expect([s.code, w.code]).toEqual(['stall', 'io']);
    expect(t.removed).toBe(false);
  });

  it('bulk OUT goes to the endpoint number with the 1000 ms default; unknown endpoints are refused', async () => {
    const { dev, t } = await open();
    outcome(t.bulkOut(0x04, new Uint8Array(8)));
    await flush();
    expect([dev.pending[0]!.ep, dev.pending[0]!.timeout]).toEqual([4, 1000]);
    await expect(t.bulkOut(0x0a, new Uint8Array(1))).rejects.toMatchObject({ code: 'io' });
    await expect(t.bulkIn(0x86, 2)).rejects.toMatchObject({ code: 'io' });
  });

  it('cancelIn fails pending reads with cancelled; the queue moves on when the native read returns', async () => {
    const { dev, t } = await open();
    const a = outcome(t.bulkIn(0x84, 64));
    const b = outcome(t.bulkIn(0x85, 64));
    await flush();
    t.cancelIn(0x84);
    await flush();
    expect([a.code, b.done]).toEqual(['cancelled', false]);
    const c = outcome(t.bulkIn(0x84, 64));
    await flush();
    expect(dev.pending.filter((x) => x.ep === 4)).toHaveLength(1); // the old native read still holds the slot
    dev.pending.find((x) => x.ep === 4)!.answer(inOk([1])); // lost, as with usb_kill_urb
    await flush();
    dev.pending.find((x) => x.ep === 4)!.answer(inOk([2]));
    await flush();
    expect([...c.value!]).toEqual([2]);
  });

  it('the guard timer fails an operation the backend never answers', async () => {
    const { clock, t } = await open();
    const w = outcome(t.bulkOut(0x08, new Uint8Array(4), 1000));
    clock.runFor(1999);
    await flush();
    expect(w.done).toBe(false);
    clock.runFor(1);
    await flush();
    expect(w.code).toBe('timeout');
    expect(t.stats.guardTimeouts).toBe(1);
  });
});

describe('device loss', () => {
  it('a nodev error fails every pending and queued operation, and every later one; listeners hear once', async () => {
    const { dev, t } = await open();
    const heard: string[] = [];
    t.onRemoved((e) => heard.push(e.code));
    const reads = [0, 1, 2].map(() => outcome(t.bulkIn(0x84, 4096)));
    const ctl = outcome(t.controlIn({ requestType: 0xdf, request: 0x63, value: 0, index: 0 }, 4));
    await flush();
    dev.pending.find((c) => c.op === 'transferIn')!.fail(new Error('transferIn error: Disconnected'));
    await flush();
    expect(reads.map((r) => r.code)).toEqual(['nodev', 'nodev', 'nodev']);
    expect(ctl.code).toBe('nodev');
    expect(t.removed).toBe(true);
    expect(heard).toEqual(['nodev']);
    await expect(t.bulkOut(0x08, new Uint8Array(4))).rejects.toMatchObject({ code: 'nodev' });
    await expect(t.reset()).rejects.toMatchObject({ code: 'nodev' });
    // A late native completion changes nothing.
    dev.pending[0]?.answer(inOk([1, 2, 3, 4]));
    await flush();
    expect(ctl.code).toBe('nodev');
  });

  it('the WebUSB disconnect event fails operations even when the backend never answers', async () => {
    const { dev, usb, t } = await open();
    const r = outcome(t.bulkIn(0x85, 64));
    usb.unplug(new FakeUsbDevice()); // another device: ignored
    await flush();
    expect(r.done).toBe(false);
    usb.unplug(dev);
    await flush();
    expect([r.code, t.removed]).toEqual(['nodev', true]);
  });

  it('close fails pending operations with nodev, releases the interface and drops the listener', async () => {
    const { dev, usb, t } = await open();
    const r = outcome(t.bulkIn(0x84, 64));
    expect(usb.listenerCount).toBe(1);
    await t.close();
    await flush();
    expect(r.code).toBe('nodev');
    expect(dev.log.slice(-2)).toEqual(['releaseInterface(3)', 'close']);
    expect(usb.listenerCount).toBe(0);
  });

  it('reset cancels pending transfers and keeps the device', async () => {
    const { dev, t } = await open();
    const r = outcome(t.bulkIn(0x84, 64));
    await t.reset();
    await flush();
    expect([r.code, t.removed, dev.log.at(-1)]).toEqual(['cancelled', false, 'reset']);
  });
});

describe('finding dongles', () => {
  it('lists only devices from the id table, without opening them', async () => {
    const a = new FakeUsbDevice(0x0e8d, 0x7961);
    const b = new FakeUsbDevice(0x046d, 0xc52b);
    const c = new FakeUsbDevice(0x35bc, 0x0107);
    const found = await findDongles({ usb: new FakeWebUsb([a, b, c]), clock: new VirtualClock() });
    expect(found.map((d) => [d.vendorId, d.productId, d.name])).toEqual([
      [0x0e8d, 0x7961, 'MediaTek MT7921U reference'],
      [0x35bc, 0x0107, 'TP-Link TXE50UH'],
    ]);
    expect(a.log).toEqual([]);
  });

  it('never throws: a failing list or a wedged one gives [] and a reason', async () => {
    const reasons: string[] = [];
    const failing = new FakeWebUsb([], new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)'));
    expect(
      await findDongles({ usb: failing, onUnavailable: (r) => reasons.push(r), clock: new VirtualClock() }),
    ).toEqual([]);
    const clock = new VirtualClock();
    const wedged = { getDevices: () => new Promise<never>(() => {}) };
    const p = findDongles({ usb: wedged, clock, timeoutMs: 500, onUnavailable: (r) => reasons.push(r) });
    await flush();
    clock.runFor(500);
    expect(await p).toEqual([]);
    expect(reasons).toEqual([
      'getDevices error: /sys/bus/usb/devices/ not found (errno 2)',
      'listing USB devices took longer than 500 ms',
    ]);
  });

  it('openDongle opens the first match, or says there is none', async () => {
    const dev = new FakeUsbDevice();
    const t = await openDongle({ usb: new FakeWebUsb([dev]), clock: new VirtualClock() });
    expect(t.endpoints.in).toEqual([0x84, 0x85]);
    await expect(openDongle({ usb: new FakeWebUsb([]), clock: new VirtualClock() })).rejects.toThrow(
      /no MT7921U dongle attached \(looked for 0e8d:7961, 3574:6211/,
    );
  });
});
