import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../netstack/core/clock.ts';
import { Prng } from '../../../netstack/core/prng.ts';
import { type ControlSetup, UsbError } from '../transport.ts';
import { type FakeCall, FakeTransport, REFERENCE_INFO } from './fake-transport.ts';
import { Mt792xUsbRegs } from './regaccess.ts';

const le = (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
/** The setup packet as the 8 bytes the device sees (wLength last). */
function setupOf(c: FakeCall): number[] {
  if (c.op !== 'controlIn' && c.op !== 'controlOut') throw new Error(`not a control transfer: ${c.op}`);
  const s: ControlSetup = c.setup;
  const len = c.op === 'controlIn' ? c.length : (c.data?.length ?? 0);
  return [s.requestType, s.request, s.value & 0xff, s.value >> 8, s.index & 0xff, s.index >> 8, len & 0xff, len >> 8];
}

/** A register file behind the fake transport: READ_EXT/WRITE_EXT/UHW requests on a Map. */
function regFile(regs = new Map<number, number>()) {
  return (c: FakeCall) => {
    if (c.op === 'controlIn') return le(regs.get((c.setup.value << 16) | c.setup.index) ?? 0);
    if (c.op === 'controlOut' && c.data?.length === 4) {
      regs.set(
        ((c.setup.value << 16) | c.setup.index) >>> 0,
        new DataView(c.data.buffer, c.data.byteOffset).getUint32(0, true),
      );
    }
    return undefined;
  };
}

async function run<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.finally(() => (done = true)).catch(() => {});
  await clock.runAsync({ until: () => done });
  return p;
}

describe('register access setup packets (FACTS §2.3)', () => {
  it('32-bit read: 0xdf / READ_EXT 0x63, wValue = addr[31:16], wIndex = addr[15:0], 4 bytes LE, 300 ms', async () => {
    const t = new FakeTransport(() => Uint8Array.of(0x61, 0x79, 0x00, 0x00));
    const regs = new Mt792xUsbRegs(t, new VirtualClock());
    expect(await regs.rr(0x70010200)).toBe(0x7961);
    expect(setupOf(t.calls[0]!)).toEqual([0xdf, 0x63, 0x01, 0x70, 0x00, 0x02, 4, 0]);
    expect(t.calls[0]).toMatchObject({ timeoutMs: 300 });
  });

  it('32-bit write: 0x5f / WRITE_EXT 0x66 with the value LE', async () => {
    const t = new FakeTransport();
    await new Mt792xUsbRegs(t, new VirtualClock()).wr(0x7c0600f0, 0x12345678);
    expect(setupOf(t.calls[0]!)).toEqual([0x5f, 0x66, 0x06, 0x7c, 0xf0, 0x00, 4, 0]);
    expect([...(t.calls[0] as { data: Uint8Array }).data]).toEqual([0x78, 0x56, 0x34, 0x12]);
  });

  it('UHW read and write: 0xde / DEV_MODE 0x01 and 0x5e / WRITE 0x02', async () => {
    const t = new FakeTransport(regFile());
    const regs = new Mt792xUsbRegs(t, new VirtualClock());
    await regs.uhwWr(0x74000a24, 0);
    await regs.uhwRr(0x74000a20);
    expect(t.calls.map(setupOf)).toEqual([
      [0x5e, 0x02, 0x00, 0x74, 0x24, 0x0a, 4, 0],
      [0xde, 0x01, 0x00, 0x74, 0x20, 0x0a, 4, 0],
    ]);
  });

  it('MCU power on: 0x5f / POWER_ON 0x04, wValue 0, wIndex 1, no data', async () => {
    const t = new FakeTransport();
    await new Mt792xUsbRegs(t, new VirtualClock()).mcuPowerOn();
    expect(setupOf(t.calls[0]!)).toEqual([0x5f, 0x04, 0, 0, 1, 0, 0, 0]);
  });

  it('read-modify-write reads, then writes (old & ~mask) | val, atomically against other accesses', async () => {
    const file = new Map([[0x7c024208, 0x0800_0004]]);
    const t = new FakeTransport(regFile(file));
    const regs = new Mt792xUsbRegs(t, new VirtualClock());
    const [written, other] = await Promise.all([regs.rmw(0x7c024208, 1 << 27, (1 << 28) | 1), regs.rr(0x7c024208)]);
    expect(written).toBe(0x1000_0005);
    expect(other).toBe(0x1000_0005);
    expect(t.calls.map((c) => c.op)).toEqual(['controlIn', 'controlOut', 'controlIn']);
    expect(await regs.set(0x7c024208, 2)).toBe(0x1000_0007);
    expect(await regs.clear(0x7c024208, 1)).toBe(0x1000_0006);
  });

  it('block write: length rounded to 4, EP0-MPS chunks, each chunk addressed at base + offset', async () => {
    const t = new FakeTransport();
    const regs = new Mt792xUsbRegs(t, new VirtualClock());
    const data = Uint8Array.from({ length: 1101 }, (_, i) => i & 0xff);
    expect(await regs.copy(0x7c05ff00, data)).toBe(true);
    const out = t.calls as Array<Extract<FakeCall, { op: 'controlOut' }>>;
    expect(
      out.map((c) => [c.setup.requestType, c.setup.request, c.setup.value, c.setup.index, c.data!.length]),
    ).toEqual([
      [0x5f, 0x66, 0x7c05, 0xff00, 512],
      [0x5f, 0x66, 0x7c06, 0x0100, 512],
      [0x5f, 0x66, 0x7c06, 0x0300, 80],
    ]);
    const sent = new Uint8Array(out.flatMap((c) => [...c.data!]));
    expect([...sent.subarray(0, 1101)]).toEqual([...data]);
    expect([...sent.subarray(1101)]).toEqual([0, 0, 0]); // padding to 1104
  });

  it('the chunk is EP0 max packet, at least 32', async () => {
    for (const [mps, sizes] of [
      [64, [64, 36]],
      [8, [32, 32, 32, 4]],
    ] as const) {
      const t = new FakeTransport(() => undefined, { ...REFERENCE_INFO, ep0MaxPacket: mps });
      await new Mt792xUsbRegs(t, new VirtualClock()).copy(0x1000, new Uint8Array(100));
      expect(t.calls.map((c) => (c as { data: Uint8Array }).data.length)).toEqual(sizes);
    }
  });

  it('block read: 0xc0 / READ_EXT, chunked and addressed the same way', async () => {
    const t = new FakeTransport((c) =>
      c.op === 'controlIn' ? new Uint8Array(c.length).fill(c.setup.index >> 8) : undefined,
    );
    const data = await new Mt792xUsbRegs(t, new VirtualClock()).readCopy(0x820d0000, 600);
    expect(t.calls.map(setupOf)).toEqual([
      [0xc0, 0x63, 0x0d, 0x82, 0x00, 0x00, 0x00, 0x02],
      [0xc0, 0x63, 0x0d, 0x82, 0x00, 0x02, 88, 0],
    ]);
    expect(data.length).toBe(600);
    expect([data[0], data[511], data[512], data[599]]).toEqual([0, 0, 2, 2]);
  });
});

describe('retries, removal and short reads (__mt76u_vendor_request)', () => {
  it('retries a failing request with 5 ms sleeps on the clock until it succeeds', async () => {
    const clock = new VirtualClock();
    let fails = 3;
    const t = new FakeTransport(() => (fails-- > 0 ? new UsbError('timeout', 'timed out') : le(42)));
    const regs = new Mt792xUsbRegs(t, clock);
    expect(await run(clock, regs.rr(0x80000000))).toBe(42);
    expect(t.calls).toHaveLength(4);
    expect(clock.now()).toBe(15);
    expect(regs.stats).toMatchObject({ attempts: 4, retries: 3, failures: 0 });
    expect(regs.removed).toBe(false);
  });

  it('gives up after 10 attempts (stall): a read returns 0xffffffff, a write resolves; both counted', async () => {
    const clock = new VirtualClock();
    const t = new FakeTransport(() => new UsbError('stall', 'stall'));
    const regs = new Mt792xUsbRegs(t, clock, { prng: new Prng(7) });
    expect(await run(clock, regs.rr(0x7c0600f0))).toBe(0xffffffff);
    expect(t.calls).toHaveLength(10);
    // Ten sleeps of 5–10 ms (one after every failed attempt, the last one too, as the kernel loop does).
    expect(clock.now()).toBeGreaterThanOrEqual(50);
    expect(clock.now()).toBeLessThanOrEqual(100);
    await run(clock, regs.wr(0x7c0600f0, 1));
    expect(t.calls).toHaveLength(20);
    expect(regs.stats.failures).toBe(2);
    expect(regs.lastError?.code).toBe('stall');
    expect(regs.removed).toBe(false);
  });

  it('nodev or a protocol error: no retry, the device is marked removed, later requests never reach the bus', async () => {
    for (const code of ['nodev', 'proto'] as const) {
      const clock = new VirtualClock();
      const t = new FakeTransport(() => new UsbError(code, code));
      const regs = new Mt792xUsbRegs(t, clock);
      expect(await run(clock, regs.rr(0x70010200))).toBe(0xffffffff);
      expect([t.calls.length, regs.removed, clock.now()]).toEqual([1, true, 0]);
      expect(await regs.rr(0x70010200)).toBe(0xffffffff);
      await regs.wr(0x70010200, 1);
      await expect(regs.mcuPowerOn()).rejects.toMatchObject({ code: 'nodev' });
      expect(t.calls).toHaveLength(1);
      expect(regs.stats.refused).toBe(3);
    }
  });

  it('a short read gives 0xffffffff, as the driver does', async () => {
    const t = new FakeTransport(() => Uint8Array.of(1, 2));
    const regs = new Mt792xUsbRegs(t, new VirtualClock());
    expect(await regs.rr(0x70010204)).toBe(0xffffffff);
    expect(regs.stats.shortReads).toBe(1);
    expect(await regs.checkBus()).toBe(false);
  });

  it('a block write stops at the first chunk that fails for good', async () => {
    const clock = new VirtualClock();
    const t = new FakeTransport((c) =>
      c.op === 'controlOut' && c.setup.index === 0x0200 ? new UsbError('stall', 'x') : undefined,
    );
    const regs = new Mt792xUsbRegs(t, clock);
    expect(await run(clock, regs.copy(0x0000, new Uint8Array(2048)))).toBe(false);
    expect(t.calls).toHaveLength(1 + 10); // chunk 0 ok, chunk 1 tried 10 times, chunks 2-3 never sent
  });

  it('polls a register every 10 ms until it matches or the time is up', async () => {
    const clock = new VirtualClock();
    const t = new FakeTransport(() => le(clock.now() >= 40 ? 1 : 0));
    const regs = new Mt792xUsbRegs(t, clock);
    expect(await run(clock, regs.pollMsec(0x7c0600f0, 1, 1, 500))).toBe(true);
    expect(clock.now()).toBe(40);
    expect(await run(clock, regs.pollMsec(0x7c0600f0, 2, 2, 100))).toBe(false);
    expect(clock.now()).toBe(140);
  });
});
