import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../netstack/core/clock.ts';
import type { UsbError } from '../transport.ts';
import { DongleSetupError } from './descriptors.ts';
import { FakeLibusbDevice, FakeUsbModule, libusbError, referenceConfig } from './fake-libusb.ts';
import { findDongles, openDongle } from './finder.ts';
import { openDevice } from './libusb.ts';
import { Mt792xUsbRegs } from './regaccess.ts';

const flush = () => new Promise<void>((r) => setImmediate(r));

async function open(o: { kernelDriver?: boolean; dev?: FakeLibusbDevice } = {}) {
  const clock = new VirtualClock();
  const dev = o.dev ?? new FakeLibusbDevice();
  dev.kernelDriver = o.kernelDriver ?? false;
  const usb = new FakeUsbModule([dev]);
  const t = await openDevice(dev, { clock, hotplug: usb, reset: true, detachKernelDriver: true });
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

describe('opening the real dongle (fake libusb device)', () => {
  it('opens, detaches the kernel driver, claims interface 3, resets, and reports the endpoints', async () => {
    const { dev, t } = await open({ kernelDriver: true });
    expect(dev.log).toEqual(['open', 'detachKernelDriver(3)', 'claim(3)', 'reset']);
    expect(t.endpoints).toEqual({ in: [0x84, 0x85], out: [0x08, 0x04, 0x05, 0x06, 0x07, 0x09] });
    expect(t.info).toEqual({
      vendorId: 0x0e8d,
      productId: 0x7961,
      speed: 'super',
      ep0MaxPacket: 512,
      interfaceNumber: 3,
      description: 'usb 2-1:4 0e8d:7961 MediaTek MT7921U reference',
    });
  });

  it('at high speed: EP0 64 bytes, bulk 512', async () => {
    const dev = new FakeLibusbDevice(0x0e8d, 0x7961, referenceConfig(512), false);
    const { t } = await open({ dev });
    expect([t.info.speed, t.info.ep0MaxPacket]).toEqual(['high', 64]);
  });

  it('no kernel driver bound: nothing to detach; close gives nothing back to the kernel', async () => {
    const { dev, t } = await open();
    expect(dev.log).toEqual(['open', 'claim(3)', 'reset']);
    await t.close();
    expect(dev.log.slice(3)).toEqual(['release(3)', 'close']);
  });

  it('close hands a detached interface back to the kernel driver', async () => {
    const { dev, t } = await open({ kernelDriver: true });
    await t.close();
    expect(dev.log.slice(4)).toEqual(['release(3)', 'attachKernelDriver(3)', 'close']);
  });

  it('a failing claim is a DongleSetupError with what to do, and the device is closed again', async () => {
    const dev = new FakeLibusbDevice();
    dev.failing.set('claim', libusbError('LIBUSB_ERROR_BUSY', -6));
    const err = await openDevice(dev, { clock: new VirtualClock() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DongleSetupError);
    expect((err as Error).message).toMatch(
      /0e8d:7961: claim interface 3 failed: LIBUSB_ERROR_BUSY.*modprobe -r mt7921u/,
    );
    expect(dev.log.at(-1)).toBe('close');
  });

  it('a permission error on open says how to get access', async () => {
    const dev = new FakeLibusbDevice();
    dev.failing.set('open', libusbError('LIBUSB_ERROR_ACCESS', -3));
    const err = (await openDevice(dev, { clock: new VirtualClock() }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/open failed: LIBUSB_ERROR_ACCESS/);
    if (process.platform === 'linux') expect(err.message).toMatch(/udev rule/);
  });

  it('an unconfigured device gets configuration 1', async () => {
    const dev = new FakeLibusbDevice(0x0e8d, 0x7961, null);
    const t = await openDevice(dev, { clock: new VirtualClock(), reset: false });
    expect(dev.log).toEqual(['open', 'setConfiguration(1)', 'claim(3)']);
    expect(t.info.interfaceNumber).toBe(3);
  });

  it('a device without the Wi-Fi interface is refused in words, and closed', async () => {
    const cfg = referenceConfig();
    const dev = new FakeLibusbDevice(0x0e8d, 0x7961, { ...cfg, interfaces: cfg.interfaces.slice(0, 3) });
    await expect(openDevice(dev, { clock: new VirtualClock() })).rejects.toThrow(/no interface with class ff\/ff\/ff/);
    expect(dev.log.at(-1)).toBe('close');
  });
});

describe('transfers', () => {
  it('control requests go out with the exact bmRequestType (0xdf/0x5f/0xde/0x5e) and the 300 ms timeout', async () => {
    const { dev, t } = await open();
    const regs = new Mt792xUsbRegs(t, new VirtualClock());
    const r = outcome(regs.rr(0x70010200));
    await flush();
    const w = outcome(regs.wr(0x7c0600f0, 1));
    dev.pending[0]!.answer([0x61, 0x79, 0, 0]);
    await flush();
    dev.pending[0]!.answer();
    await flush();
    const u = outcome(regs.uhwRr(0x74000a20));
    await flush();
    dev.pending[0]!.answer([0, 0, 0x40, 0]);
    await flush();
    const p = outcome(regs.mcuPowerOn());
    await flush();
    dev.pending[0]!.answer();
    await flush();
    expect(
      dev.calls.map((c) => [
        c.setup!.bmRequestType,
        c.setup!.bRequest,
        c.setup!.wValue,
        c.setup!.wIndex,
        c.length,
        c.timeout,
      ]),
    ).toEqual([
      [0xdf, 0x63, 0x7001, 0x0200, 4, 300],
      [0x5f, 0x66, 0x7c06, 0x00f0, 4, 300],
      [0xde, 0x01, 0x7400, 0x0a20, 4, 300],
      [0x5f, 0x04, 0x0000, 0x0001, 0, 300],
    ]);
    expect([...dev.calls[1]!.data!]).toEqual([1, 0, 0, 0]);
    expect([r.value, w.done, u.value, p.done]).toEqual([0x7961, true, 0x400000, true]);
  });

  it('a control request of the wrong direction is refused without touching the device', async () => {
    const { dev, t } = await open();
    await expect(t.controlIn({ requestType: 0x5f, request: 0x63, value: 0, index: 0 }, 4)).rejects.toMatchObject({
      code: 'io',
    });
    expect(dev.calls).toHaveLength(0);
  });

  it('several reads really in flight on both IN endpoints; each completes on its own', async () => {
    const { dev, t } = await open();
    const reads = [0, 1, 2].map(() => outcome(t.bulkIn(0x84, 4096)));
    const other = outcome(t.bulkIn(0x85, 4096));
    expect(dev.pending.map((c) => [c.op, c.ep, c.length, c.timeout])).toEqual([
      ['bulk', 0x84, 4096, 0],
      ['bulk', 0x84, 4096, 0],
      ['bulk', 0x84, 4096, 0],
      ['bulk', 0x85, 4096, 0],
    ]);
    expect(t.stats.maxInFlight).toEqual({ 132: 3, 133: 1 });
    // completions in any order: each is its own transfer
    dev.pending[2]!.answer([2, 2]);
    dev.pending[0]!.answer([0]);
    await flush();
    expect([reads[0]!.value && [...reads[0]!.value], reads[1]!.done, reads[2]!.value && [...reads[2]!.value]]).toEqual([
      [0],
      false,
      [2, 2],
    ]);
    expect(other.done).toBe(false);
  });

  it('transfer objects are reused once libusb has handed them back', async () => {
    const { dev, t } = await open();
    for (let i = 0; i < 5; i++) {
      const r = outcome(t.bulkIn(0x84, 64));
      dev.pending[0]!.answer([i]);
      await flush();
      expect([...r.value!]).toEqual([i]);
    }
    expect(t.stats.transfers).toBe(1);
    outcome(t.bulkIn(0x84, 64));
    outcome(t.bulkIn(0x84, 64));
    expect(t.stats.transfers).toBe(2);
  });

  it('a stall, a timeout, an overflow and a short write are errors of their kind', async () => {
    const { dev, t } = await open();
    const s = outcome(t.bulkIn(0x84, 64, 100));
    const to = outcome(t.bulkIn(0x85, 64, 100));
    const ov = outcome(t.bulkIn(0x85, 64));
    const w = outcome(t.bulkOut(0x08, new Uint8Array(76)));
    const [a, b, c, d] = dev.pending;
    a!.fail(libusbError('LIBUSB_TRANSFER_STALL', 4));
    b!.fail(libusbError('LIBUSB_TRANSFER_TIMED_OUT', 2));
    c!.fail(libusbError('LIBUSB_TRANSFER_OVERFLOW', 6));
    d!.answer(undefined, 40);
    await flush();
    expect([s.code, to.code, ov.code, w.code]).toEqual(['stall', 'timeout', 'proto', 'io']);
    expect(t.removed).toBe(false);
  });

  it('bulk OUT goes to the endpoint address with the 1000 ms default, without a copy; unknown endpoints are refused', async () => {
    const { dev, t } = await open();
    const data = new Uint8Array(8).fill(7);
    outcome(t.bulkOut(0x04, data));
    expect([dev.pending[0]!.ep, dev.pending[0]!.timeout]).toEqual([0x04, 1000]);
    expect(dev.pending[0]!.data!.buffer).toBe(data.buffer);
    await expect(t.bulkOut(0x0a, new Uint8Array(1))).rejects.toMatchObject({ code: 'io' });
    await expect(t.bulkIn(0x86, 2)).rejects.toMatchObject({ code: 'io' });
  });

  it('cancelIn fails pending reads at once and cancels their transfers; the slot comes back only after libusb', async () => {
    const { dev, t } = await open();
    dev.autoCancel = false;
    const a = outcome(t.bulkIn(0x84, 64));
    const b = outcome(t.bulkIn(0x85, 64));
    t.cancelIn(0x84);
    await flush();
    expect([a.code, b.done]).toEqual(['cancelled', false]);
    const first = dev.calls[0]!;
    expect(first.cancelRequested).toBe(true);
    expect(t.nativePending).toBe(2);
    outcome(t.bulkIn(0x84, 64)); // a new transfer: the cancelled one is still libusb's
    expect(t.stats.transfers).toBe(3);
    first.answer([9]); // arrived as it was being cancelled: lost, as with usb_kill_urb
    await flush();
    expect(a.code).toBe('cancelled');
    expect(t.nativePending).toBe(2);
  });

  it('the guard timer fails an operation libusb never calls back, and cancels its transfer', async () => {
    const { clock, dev, t } = await open();
    const w = outcome(t.bulkOut(0x08, new Uint8Array(4), 1000));
    clock.runFor(1999);
    await flush();
    expect(w.done).toBe(false);
    clock.runFor(1);
    await flush();
    expect(w.code).toBe('timeout');
    expect(t.stats.guardTimeouts).toBe(1);
    expect(dev.calls[0]!.cancelRequested).toBe(true);
  });
});

describe('device loss', () => {
  it('NO_DEVICE fails every pending operation and every later one; listeners hear once', async () => {
    const { dev, t } = await open();
    const heard: string[] = [];
    t.onRemoved((e) => heard.push(e.code));
    const reads = [0, 1, 2].map(() => outcome(t.bulkIn(0x84, 4096)));
    const ctl = outcome(t.controlIn({ requestType: 0xdf, request: 0x63, value: 0, index: 0 }, 4));
    dev.pending[0]!.fail(libusbError('LIBUSB_TRANSFER_NO_DEVICE', 5));
    await flush();
    expect(reads.map((r) => r.code)).toEqual(['nodev', 'nodev', 'nodev']);
    expect(ctl.code).toBe('nodev');
    expect(t.removed).toBe(true);
    expect(heard).toEqual(['nodev']);
    await expect(t.bulkOut(0x08, new Uint8Array(4))).rejects.toMatchObject({ code: 'nodev' });
    await expect(t.reset()).rejects.toMatchObject({ code: 'nodev' });
    dev.pending.find((c) => c.op === 'control')?.answer([1, 2, 3, 4]); // late: changes nothing
    await flush();
    expect(ctl.code).toBe('nodev');
  });

  it('a submit that throws LIBUSB_ERROR_NO_DEVICE removes the device', async () => {
    const { dev, t } = await open();
    dev.submitError = libusbError('LIBUSB_ERROR_NO_DEVICE', -4);
    await expect(t.bulkIn(0x84, 64)).rejects.toMatchObject({ code: 'nodev' });
    expect(t.removed).toBe(true);
  });

  it('the hotplug detach event fails operations even when libusb never calls back', async () => {
    const { dev, usb, t } = await open();
    const r = outcome(t.bulkIn(0x85, 64));
    const other = new FakeLibusbDevice(0x046d, 0xc52b);
    other.deviceAddress = 7;
    usb.unplug(other);
    await flush();
    expect(r.done).toBe(false);
    usb.unplug(dev);
    await flush();
    expect(r.code).toBe('nodev');
    expect(t.removed).toBe(true);
    expect(dev.calls[0]!.cancelRequested).toBe(true);
  });

  it('close fails pending operations with nodev, waits for libusb, releases, and drops the listener', async () => {
    const { dev, usb, t } = await open();
    const r = outcome(t.bulkIn(0x84, 64));
    expect(usb.listenerCount).toBe(1);
    await t.close();
    expect(r.code).toBe('nodev');
    expect(t.nativePending).toBe(0);
    expect(dev.log.slice(-2)).toEqual(['release(3)', 'close']);
    expect(usb.listenerCount).toBe(0);
    await t.close(); // idempotent
    expect(dev.log.filter((l) => l === 'close')).toHaveLength(1);
  });

  it('reset cancels pending transfers and keeps the device', async () => {
    const { dev, t } = await open();
    const r = outcome(t.bulkIn(0x84, 64));
    await t.reset();
    expect([r.code, t.removed, dev.log.at(-1)]).toEqual(['cancelled', false, 'reset']);
  });

  it('a reset after which the device re-enumerated (NOT_FOUND) leaves it removed', async () => {
    const { dev, t } = await open();
    dev.failing.set('reset', libusbError('LIBUSB_ERROR_NOT_FOUND', -5));
    await expect(t.reset()).rejects.toMatchObject({ code: 'nodev' });
    expect(t.removed).toBe(true);
  });
});

describe('finding dongles', () => {
  it('lists only devices from the id table, without opening them', async () => {
    const a = new FakeLibusbDevice(0x0e8d, 0x7961);
    const b = new FakeLibusbDevice(0x046d, 0xc52b);
    const c = new FakeLibusbDevice(0x35bc, 0x0107);
    const found = await findDongles({ usb: new FakeUsbModule([a, b, c]), clock: new VirtualClock() });
    expect(found.map((d) => [d.vendorId, d.productId, d.name, d.bus, d.address])).toEqual([
      [0x0e8d, 0x7961, 'MediaTek MT7921U reference', '2-1', 4],
      [0x35bc, 0x0107, 'TP-Link TXE50UH', '2-1', 4],
    ]);
    expect(a.log).toEqual([]);
  });

  it('never throws: a failing list gives [] and the reason', async () => {
    const reasons: string[] = [];
    const failing = new FakeUsbModule([], libusbError('LIBUSB_ERROR_OTHER', -99));
    expect(
      await findDongles({ usb: failing, onUnavailable: (r) => reasons.push(r), clock: new VirtualClock() }),
    ).toEqual([]);
    const clock = new VirtualClock();
    const missing = () => Promise.reject(new Error('libudev.so.1: cannot open shared object file'));
    expect(await findDongles({ load: missing, clock, onUnavailable: (r) => reasons.push(r) })).toEqual([]);
    const wedged = findDongles({
      load: () => new Promise<never>(() => {}),
      clock,
      timeoutMs: 500,
      onUnavailable: (r) => reasons.push(r),
    });
    await flush();
    clock.runFor(500);
    expect(await wedged).toEqual([]);
    expect(reasons).toEqual([
      'LIBUSB_ERROR_OTHER',
      'libudev.so.1: cannot open shared object file',
      'loading the USB module took longer than 500 ms',
    ]);
    await expect(openDongle({ load: missing, clock })).rejects.toThrow(
      'USB is unavailable: libudev.so.1: cannot open shared object file',
    );
  });

  it('the real module: loads or says why not, within the time limit, and never throws', async () => {
    const reasons: string[] = [];
    const found = await findDongles({ onUnavailable: (r) => reasons.push(r) });
    expect(Array.isArray(found)).toBe(true);
    for (const d of found) expect(d.description).toMatch(/^usb \S+:\d+ [0-9a-f]{4}:[0-9a-f]{4} /);
  });

  it('openDongle opens the first match, or says there is none', async () => {
    const dev = new FakeLibusbDevice();
    const t = await openDongle({ usb: new FakeUsbModule([dev]), clock: new VirtualClock(), reset: false });
    expect(t.endpoints.in).toEqual([0x84, 0x85]);
    await expect(openDongle({ usb: new FakeUsbModule([]), clock: new VirtualClock() })).rejects.toThrow(
      /no MT7921U dongle attached \(looked for 0e8d:7961, 3574:6211/,
    );
  });
});
