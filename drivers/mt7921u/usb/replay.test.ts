import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../netstack/core/clock.ts';
import { UsbError, type UsbTransport } from '../transport.ts';
import { type FakeCall, FakeTransport } from './fake-transport.ts';
import { UsbRecorder, openTraceFile } from './recorder.ts';
import { Mt792xUsbRegs } from './regaccess.ts';
import { ReplayDivergenceError, ReplayTransport } from './replayer.ts';
import { TraceFormatError, parseTrace } from './trace.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-usbtrace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A toy device behind the fake transport: a register file on control requests; every command on 0x08 is answered
 * 2 ms later on 0x85 with [0xee, first byte]; 0x84 never delivers. `stallOnce` makes the first read of that
 * register stall; `unplugOn` makes a command with that first byte find the device gone.
 */
function toyDevice(clock: VirtualClock, opts: { stallOnce?: number; unplugOn?: number } = {}) {
  const regs = new Map<number, number>([[0x70010200, 0x7961]]);
  const events: Uint8Array[] = [];
  const waiters: Array<(d: Uint8Array) => void> = [];
  let stall = opts.stallOnce;
  const handler = (c: FakeCall) => {
    switch (c.op) {
      case 'controlIn': {
        const addr = ((c.setup.value << 16) | c.setup.index) >>> 0;
        if (addr === stall) {
          stall = undefined;
          return new UsbError('stall', 'endpoint stalled');
        }
        const b = new Uint8Array(4);
        new DataView(b.buffer).setUint32(0, regs.get(addr) ?? 0, true);
        return b;
      }
      case 'controlOut':
        if (c.data?.length === 4)
          regs.set(((c.setup.value << 16) | c.setup.index) >>> 0, new DataView(c.data.buffer).getUint32(0, true));
        return undefined;
      case 'bulkOut':
        if (c.data[0] === opts.unplugOn) return new UsbError('nodev', 'device unplugged');
        if (c.ep === 0x08) {
          const ev = Uint8Array.of(0xee, c.data[0]!);
          clock.setTimeout(() => (waiters.length ? waiters.shift()!(ev) : events.push(ev)), 2);
        }
        return undefined;
      case 'bulkIn':
        if (c.ep === 0x84) return new Promise<Uint8Array>(() => {});
        return events.length ? events.shift()! : new Promise<Uint8Array>((r) => waiters.push(r));
      default:
        return undefined;
    }
  };
  return new FakeTransport(handler);
}

/** A little driver: read the chip id, post two reads, write a register, send two commands, take the answers. */
async function driver(t: UsbTransport, clock: VirtualClock, value = 1, cmds = [0x11, 0x22]) {
  const regs = new Mt792xUsbRegs(t, clock);
  const chip = await regs.rr(0x70010200);
  const reads = [t.bulkIn(0x85, 512), t.bulkIn(0x85, 512)];
  for (const r of reads) r.catch(() => {});
  t.bulkIn(0x84, 4096).catch(() => {});
  await regs.wr(0x7c0600f0, value);
  await t.bulkOut(0x08, Uint8Array.of(cmds[0]!, 2, 3));
  const ev1 = await reads[0]!;
  await t.bulkOut(0x08, Uint8Array.of(cmds[1]!));
  const ev2 = await reads[1]!;
  return { chip, ev1: [...ev1], ev2: [...ev2], misc: await regs.rr(0x7c0600f0) };
}

async function settle<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.finally(() => (done = true)).catch(() => {});
  await clock.runAsync({ until: () => done });
  return p;
}

async function record(opts: Parameters<typeof toyDevice>[1] = {}) {
  const clock = new VirtualClock();
  const lines: string[] = [];
  const rec = new UsbRecorder(toyDevice(clock, opts), clock, { write: (l) => lines.push(l) });
  const result = await settle(clock, driver(rec, clock)).catch((e: unknown) => e);
  await rec.close();
  return { lines, result };
}

describe('recorder', () => {
  it('writes a header and one JSON line per transfer with setup fields, hex data, status and times', async () => {
    const { lines, result } = await record();
    expect(result).toEqual({ chip: 0x7961, ev1: [0xee, 0x11], ev2: [0xee, 0x22], misc: 1 });
    const recs = lines.map((l) => JSON.parse(l));
    expect(recs[0]).toMatchObject({
      type: 'open',
      version: 1,
      info: { vendorId: 0x0e8d, productId: 0x7961, ep0MaxPacket: 512 },
      endpoints: { in: ['0x84', '0x85'], out: ['0x08', '0x04', '0x05', '0x06', '0x07', '0x09'] },
    });
    expect(recs[1]).toEqual({
      type: 'control',
      seq: 1,
      dir: 'in',
      t0: 0,
      t: 0,
      setup: { bmRequestType: '0xdf', bRequest: '0x63', wValue: '0x7001', wIndex: '0x0200', wLength: 4 },
      timeoutMs: 300,
      status: 'ok',
      data: '61790000',
    });
    expect(recs[2]).toMatchObject({
      type: 'control',
      dir: 'out',
      setup: { bmRequestType: '0x5f', bRequest: '0x66', wValue: '0x7c06', wIndex: '0x00f0', wLength: 4 },
      data: '01000000',
    });
    const cmd = recs.find((r) => r.type === 'bulk' && r.dir === 'out');
    expect(cmd).toMatchObject({ ep: '0x08', len: 3, data: '110203', status: 'ok' });
    const ev = recs.filter((r) => r.type === 'bulk' && r.dir === 'in');
    expect(ev.map((r) => [r.ep, r.seq, r.data, r.t])).toEqual([
      ['0x85', 2, 'ee11', 2],
      ['0x85', 3, 'ee22', 4],
    ]);
    expect(ev[0].t0).toBe(0); // posted before the command, completed 2 ms later
    expect(recs.slice(-2).map((r) => r.type)).toEqual(['control', 'close']); // closing is not a removal
  });

  it('records failures with their status and message', async () => {
    const { lines } = await record({ stallOnce: 0x70010200 });
    const first = JSON.parse(lines[1]!);
    expect(first).toMatchObject({ type: 'control', status: 'stall', error: 'endpoint stalled' });
    expect(first.data).toBeUndefined();
  });

  it('writes to a file, one line per record', async () => {
    const clock = new VirtualClock();
    const path = join(dir, 'trace.jsonl');
    const rec = new UsbRecorder(toyDevice(clock), clock, openTraceFile(path));
    await settle(clock, driver(rec, clock));
    await rec.close();
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(parseTrace(text)).toHaveLength(rec.lines);
  });
});

describe('replayer', () => {
  it('replays a recording to the same driver: same answers, complete', async () => {
    const { lines } = await record();
    const clock = new VirtualClock();
    const replay = new ReplayTransport(lines.join('\n'));
    expect(replay.endpoints).toEqual({ in: [0x84, 0x85], out: [0x08, 0x04, 0x05, 0x06, 0x07, 0x09] });
    expect(await settle(clock, driver(replay, clock))).toEqual({
      chip: 0x7961,
      ev1: [0xee, 0x11],
      ev2: [0xee, 0x22],
      misc: 1,
    });
    expect(replay.divergence).toBeNull();
    replay.assertComplete();
  });

  it('replays recorded errors: the stall and the retry happen again', async () => {
    const { lines } = await record({ stallOnce: 0x70010200 });
    const clock = new VirtualClock();
    const replay = new ReplayTransport(lines.join('\n'));
    expect((await settle(clock, driver(replay, clock))).chip).toBe(0x7961);
    replay.assertComplete();
  });

  it('holds an IN transfer until the driver has sent what preceded it in the recording', async () => {
    const { lines } = await record();
    const replay = new ReplayTransport(lines.join('\n'));
    const regs = new Mt792xUsbRegs(replay, new VirtualClock());
    await regs.rr(0x70010200);
    let got: Uint8Array | null = null;
    replay.bulkIn(0x85, 512).then((d) => (got = d));
    replay.bulkIn(0x85, 512).catch(() => {});
    await new Promise((r) => setImmediate(r));
    expect(got).toBeNull(); // the command has not been sent yet
    await regs.wr(0x7c0600f0, 1);
    await replay.bulkOut(0x08, Uint8Array.of(0x11, 2, 3));
    await new Promise((r) => setImmediate(r));
    expect([...got!]).toEqual([0xee, 0x11]);
    expect(replay.complete).toBe(false);
    expect(() => replay.assertComplete()).toThrow(/2 recorded transfers never sent, next: #7 bulk OUT 0x08 1 bytes 22/);
  });

  it('fails clearly on a divergence: the transfer, what was recorded, and everything after', async () => {
    const { lines } = await record();
    const clock = new VirtualClock();
    const replay = new ReplayTransport(lines.join('\n'));
    const heard: string[] = [];
    replay.onRemoved((e) => heard.push(e.name));
    const result = await settle(clock, driver(replay, clock, 2)).catch((e: unknown) => e);
    expect(replay.divergence).toBeInstanceOf(ReplayDivergenceError);
    expect(replay.divergence!.message).toBe(
      'replay diverged: transfer #5: the driver sent control OUT 0x5f 0x66 wValue 0x7c06 wIndex 0x00f0 wLength 4 data 02000000; the recording has control OUT 0x5f 0x66 wValue 0x7c06 wIndex 0x00f0 wLength 4 data 01000000',
    );
    expect(result).toBeInstanceOf(UsbError);
    expect((result as UsbError).code).toBe('nodev');
    expect(heard).toEqual(['ReplayDivergenceError']);
    expect(() => replay.assertComplete()).toThrow(ReplayDivergenceError);
  });

  it('a different command on a bulk pipe diverges too', async () => {
    const { lines } = await record();
    const clock = new VirtualClock();
    const replay = new ReplayTransport(lines.join('\n'));
    await settle(clock, driver(replay, clock, 1, [0x11, 0x23])).catch(() => {});
    expect(replay.divergence?.message).toMatch(
      /the driver sent bulk OUT 0x08 1 bytes 23; the recording has bulk OUT 0x08 1 bytes 22/,
    );
  });

  it('replays a device loss at its point in the recording', async () => {
    const { lines, result } = await record({ unplugOn: 0x22 });
    expect((result as UsbError).code).toBe('nodev');
    const clock = new VirtualClock();
    const replay = new ReplayTransport(lines.join('\n'));
    const again = await settle(clock, driver(replay, clock)).catch((e: unknown) => e);
    expect((again as UsbError).code).toBe('nodev');
    expect(replay.removed).toBe(true);
    expect(replay.divergence).toBeNull();
    replay.assertComplete();
  });

  it('rejects a malformed trace with the line and the problem', () => {
    expect(() => parseTrace('')).toThrow(TraceFormatError);
    expect(() => parseTrace('{"type":"control"}')).toThrow(/line 1: the first line must be the "open" header/);
    const header = '{"type":"open","version":1,"t":0,"info":{},"endpoints":{"in":[],"out":[]}}';
    expect(() => parseTrace(`${header}\n{oops`)).toThrow(/usb trace line 2: not JSON/);
    expect(() => parseTrace(`${header}\n{"type":"bulk","seq":1,"t":0,"status":"ok","ep":"84","dir":"in"}`)).toThrow(
      /line 2: "ep" is not a hex string/,
    );
    expect(() =>
      parseTrace(`${header}\n{"type":"bulk","seq":1,"t":0,"status":"ok","ep":"0x84","dir":"in","data":"xyz"}`),
    ).toThrow(/"data" is not hex/);
  });
});
