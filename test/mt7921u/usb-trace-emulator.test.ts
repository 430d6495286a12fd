/**
 * `--usb-trace` end to end: a bring-up of the driver on the emulated MT7921U recorded to a trace file, then the
 * trace replayed into a fresh driver with no emulator behind it. The replayed driver must come up the same way —
 * the same chip, capabilities and download — sending byte for byte the same control requests, MCU commands and
 * firmware chunks, in the same order, and consuming the whole recording.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Mt7921uDevice } from '../../drivers/mt7921u/device.ts';
import { EmulatedMt7921u } from '../../drivers/mt7921u/emulator/index.ts';
import type { UsbTransport } from '../../drivers/mt7921u/transport.ts';
import { TraceFileError, traceToFile, UsbRecorder } from '../../drivers/mt7921u/usb/recorder.ts';
import { ReplayTransport } from '../../drivers/mt7921u/usb/replayer.ts';
import { parseTrace, type TraceRecord } from '../../drivers/mt7921u/usb/trace.ts';
import { createMt7921uDevice } from '../../drivers/mt7921u/usb-bus.ts';
import { buildPatch, buildRamCode, parsePatch, parseRamCode } from '../../firmware/index.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { settle } from './world.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-usbtrace-emu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const patch = buildPatch();
const ram = buildRamCode();
const firmware = { patch: parsePatch(patch), ram: parseRamCode(ram) };

function driverOn(transport: UsbTransport, clock: VirtualClock): Mt7921uDevice {
  return createMt7921uDevice({ transport, clock, firmware }).device;
}

/** What the host sent, in submission order: control transfers (and resets), and bulk OUT per endpoint. */
function hostSequence(records: TraceRecord[]): string[] {
  const sent = records.flatMap((r) => {
    if (r.type === 'reset') return [{ seq: r.seq, s: 'reset' }];
    if (r.type === 'control') {
      const s = r.setup;
      return [
        {
          seq: r.seq,
          s: `${s.bmRequestType} ${s.bRequest} ${s.wValue} ${s.wIndex} ${r.dir === 'out' ? r.data : s.wLength}`,
        },
      ];
    }
    if (r.type === 'bulk' && r.dir === 'out') return [{ seq: r.seq, s: `${r.ep} ${r.data}` }];
    return [];
  });
  return sent.sort((a, b) => a.seq - b.seq).map((x) => x.s);
}

/** MCU commands (bulk OUT 0x08): cid (TXD byte 36) and ext_cid (byte 41) after the 4-byte USB header (§5.1/§5.2). */
function mcuCommands(records: TraceRecord[]): string[] {
  const hexAt = (data: string, off: number) => data.slice(2 * (4 + off), 2 * (4 + off) + 2);
  return hostSequence(records)
    .filter((s) => s.startsWith('0x08 '))
    .map((s) => s.slice(5))
    .map((d) => `${hexAt(d, 36)}/${hexAt(d, 41)}`);
}

async function recordBringup(opts: { dropNicCapabReply?: boolean } = {}) {
  const clock = new VirtualClock();
  const emu = new EmulatedMt7921u({ clock, seed: 1, firmware: { patch, ram } });
  if (opts.dropNicCapabReply) emu.faults.dropReplyTo({ cid: 0x8a });
  const path = join(dir, `bringup-${opts.dropNicCapabReply ? 'retry' : 'clean'}.jsonl`);
  const rec = traceToFile(emu, clock, path);
  const device = driverOn(rec, clock);
  await settle(clock, device.probe());
  device.close();
  await rec.close();
  return { device, path, records: parseTrace(readFileSync(path, 'utf8')) };
}

async function replay(path: string) {
  const clock = new VirtualClock();
  const replayer = ReplayTransport.fromFile(path);
  const lines: string[] = [];
  const again = new UsbRecorder(replayer, clock, { write: (l) => lines.push(l) });
  const device = driverOn(again, clock);
  await settle(clock, device.probe());
  device.close();
  await again.close();
  return { device, replayer, records: parseTrace(lines.join('\n')) };
}

function outcome(d: Mt7921uDevice) {
  return {
    state: d.state,
    chip: d.chip,
    initAttempts: d.initAttempts,
    macAddr: Buffer.from(d.caps!.macAddr!).toString('hex'),
    antennaMask: d.caps!.antennaMask,
    download: { ...d.download!, elapsedMs: undefined },
  };
}

describe('--usb-trace: record a bring-up on the emulator, replay it into a fresh driver', () => {
  it('the trace file has a header and every transfer with its fields', async () => {
    const { records } = await recordBringup();
    const header = records[0]!;
    expect(header).toMatchObject({ type: 'open', version: 1, endpoints: { in: ['0x84', '0x85'] } });
    expect(typeof (header as { wallTime?: number }).wallTime).toBe('number');
    const chipId = records.find((r) => r.type === 'control' && r.setup.wValue === '0x7001');
    expect(chipId).toMatchObject({
      dir: 'in',
      setup: { bmRequestType: '0xdf', bRequest: '0x63', wIndex: '0x0200', wLength: 4 },
      status: 'ok',
      data: '61790000',
    });
    const scatter = records.filter((r) => r.type === 'bulk' && r.dir === 'out' && r.ep === '0x04');
    const fwBytes = scatter.reduce((n, r) => n + (r as { len: number }).len - 4 - 64 - 4, 0);
    expect(scatter.length).toBeGreaterThan(0);
    expect(fwBytes).toBeGreaterThan(0);
    for (const r of records.slice(1)) {
      if (r.type === 'control' || r.type === 'bulk') expect(r.t).toBeGreaterThanOrEqual(r.t0);
    }
  });

  it('replays to the same outcome with the same host transfers, and consumes the whole trace', async () => {
    const rec = await recordBringup();
    const rep = await replay(rec.path);
    expect(rep.replayer.divergence).toBeNull();
    rep.replayer.assertComplete();
    expect(rep.device.state).toBe('ready');
    expect(outcome(rep.device)).toEqual(outcome(rec.device));
    expect(hostSequence(rep.records)).toEqual(hostSequence(rec.records));
    expect(mcuCommands(rep.records)).toEqual(mcuCommands(rec.records));
  });

  it('a bring-up that needed a retry (lost reply, MCU timeout, init reset) replays the same way', async () => {
    const rec = await recordBringup({ dropNicCapabReply: true });
    expect(rec.device.initAttempts).toBe(2);
    // Linux's init reset between the attempts: one WFSYS reset, and POWER_ON only once (at probe)
    const sent = hostSequence(rec.records);
    expect(sent.filter((s) => s.startsWith('0x5f 0x04 ')).length).toBe(1);
    expect(sent.filter((s) => /^0x5e 0x02 0x7000 0x2600 01/.test(s)).length).toBe(1);
    const rep = await replay(rec.path);
    rep.replayer.assertComplete();
    expect(outcome(rep.device)).toEqual(outcome(rec.device));
    expect(rep.device.mcu.stats.timeouts).toBe(1);
    expect(hostSequence(rep.records)).toEqual(sent);
  });

  it('a trace file that cannot be created is an error in words', () => {
    const clock = new VirtualClock();
    const emu = new EmulatedMt7921u({ clock, seed: 1 });
    expect(() => traceToFile(emu, clock, join(dir, 'no/such/dir/trace.jsonl'))).toThrow(TraceFileError);
    expect(() => traceToFile(emu, clock, join(dir, 'no/such/dir/trace.jsonl'))).toThrow(
      /cannot write the USB trace to .*no\/such\/dir\/trace\.jsonl: ENOENT: no such file/,
    );
  });
});
