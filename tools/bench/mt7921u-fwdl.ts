/**
 * mt7921u-fwdl: the firmware download of a full bring-up on the emulated MT7921U, in host time — how much wall
 * time and CPU the driver (MCU commands, 4 KiB FW_SCATTER chunks through the USB framing, the RX reader for the
 * replies) spends per MiB of firmware. The emulated bus runs on a virtual clock, so the wall time is the host's
 * work only; it includes the emulated chip's (it parses every transfer and checks every region against the file).
 *
 * Image sets: synthetic images of the real ones' size and layout (always: 92,032 patch bytes, 705,792 RAM bytes
 * in the real region table), and the real MT7961 images when found (../shared/firmware, $AIRSTACK_FIRMWARE_DIR,
 * /lib/firmware/mediatek), else skipped with a note.
 *
 * Per MiB: from the first to the last download progress event (the chunk stream, without the ROM's fixed
 * commands); bring-up: the whole probe (USB reset, DMA init, download, NIC capability, MAC init).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmulatedMt7921u } from '../../drivers/mt7921u/emulator/index.ts';
import { createMt7921uDevice } from '../../drivers/mt7921u/usb-bus.ts';
import {
  buildPatch,
  buildRamCode,
  DEFAULT_SYNTHETIC_REGIONS,
  firmwareDirs,
  locateFirmware,
  parsePatch,
  parseRamCode,
} from '../../firmware/index.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { sharedDir } from '../../test/support/shared.ts';
import { type Benchmark, type BenchResult, type Figure, median } from './framework.ts';

const MIB = 1 << 20;
/** FACTS §4.5: the real images' download sizes. */
const REAL_PATCH_LEN = 92_032;
const REAL_RAM_LENS = [363_536, 272_400, 15_376, 54_480, 91_120];

interface ImageSet {
  name: string;
  patch: Uint8Array;
  ram: Uint8Array;
}

function syntheticRealSize(): ImageSet {
  return {
    name: 'synthetic (real size)',
    patch: buildPatch({ sections: [{ addr: 0x900000, len: REAL_PATCH_LEN }] }),
    ram: buildRamCode({ regions: DEFAULT_SYNTHETIC_REGIONS.map((r, i) => ({ ...r, len: REAL_RAM_LENS[i]! })) }),
  };
}

function realImages(): ImageSet | string {
  const shared = sharedDir();
  const dirs = [...(shared ? [join(shared, 'firmware')] : []), ...firmwareDirs()];
  const found = locateFirmware(0x7961, { dirs });
  if (!found.patch || !found.ram) {
    const missing = [found.patch ? null : found.chip.patchFile, found.ram ? null : found.chip.ramFile].filter(Boolean);
    return `real images skipped: ${missing.join(' and ')} not found in ${dirs.join(', ')}`;
  }
  return { name: 'real MT7961', patch: readFileSync(found.patch), ram: readFileSync(found.ram) };
}

interface Run {
  /** Wall ms per MiB of the chunk stream. */
  wallPerMiB: number;
  /** CPU ms (user + system) and MiB of the chunk stream (summed over runs: getrusage counts in scheduler ticks). */
  cpuMs: number;
  mib: number;
  bringupWallMs: number;
  /** The emulated bus's time for the download (virtual ms). */
  virtualMs: number;
  bytes: number;
}

async function once(set: ImageSet): Promise<Run> {
  const clock = new VirtualClock();
  const emu = new EmulatedMt7921u({ clock, seed: 1, firmware: { patch: set.patch, ram: set.ram } });
  let first: { wall: number; cpu: NodeJS.CpuUsage; done: number } | null = null;
  let last: { wall: number; cpu: NodeJS.CpuUsage; done: number } | null = null;
  const { device } = createMt7921uDevice({
    transport: emu,
    clock,
    firmware: { patch: parsePatch(set.patch), ram: parseRamCode(set.ram) },
    onProgress: (p) => {
      const mark = { wall: performance.now(), cpu: process.cpuUsage(), done: p.done };
      if (first === null) first = mark;
      else last = mark;
    },
  });
  const t0 = performance.now();
  let settled = false;
  const probe = device.probe().finally(() => (settled = true));
  await clock.runAsync({ until: () => settled });
  await probe;
  const bringupWallMs = performance.now() - t0;
  device.close();
  await emu.close();
  const f = first as unknown as { wall: number; cpu: NodeJS.CpuUsage; done: number };
  const l = last as unknown as { wall: number; cpu: NodeJS.CpuUsage; done: number };
  const mib = (l.done - f.done) / MIB;
  const cpuMs = (l.cpu.user - f.cpu.user + l.cpu.system - f.cpu.system) / 1000;
  return {
    wallPerMiB: (l.wall - f.wall) / mib,
    cpuMs,
    mib,
    bringupWallMs,
    virtualMs: device.download!.elapsedMs,
    bytes: device.download!.patchBytes + device.download!.ramBytes,
  };
}

export const mt7921uFwdl: Benchmark = {
  name: 'mt7921u-fwdl',
  description: 'MT7921U firmware download on the emulator: host wall time and CPU per MiB, whole bring-up',
  async run({ quick }): Promise<BenchResult> {
    const figures: Figure[] = [];
    const notes: string[] = [
      'host time includes the emulated chip (it parses every transfer and checks each region against the file)',
    ];
    const data: Record<string, unknown> = {};
    const real = realImages();
    const sets = [syntheticRealSize(), ...(typeof real === 'string' ? [] : [real])];
    if (typeof real === 'string') notes.push(real);
    const runs = quick ? 5 : 30;
    for (const set of sets) {
      await once(set); // warm-up: JIT
      const rs: Run[] = [];
      for (let i = 0; i < runs; i++) rs.push(await once(set));
      const wall = median(rs.map((r) => r.wallPerMiB));
      const best = Math.min(...rs.map((r) => r.wallPerMiB));
      const cpu = rs.reduce((n, r) => n + r.cpuMs, 0) / rs.reduce((n, r) => n + r.mib, 0);
      figures.push(
        {
          name: `${set.name}: wall`,
          value: round(wall),
          unit: 'ms/MiB',
          note: `median of ${runs}, best ${round(best)}; ${round(1000 / wall)} MiB/s`,
        },
        { name: `${set.name}: CPU`, value: round(cpu), unit: 'ms/MiB', note: `user + system over the ${runs} runs` },
        {
          name: `${set.name}: bring-up`,
          value: round(median(rs.map((r) => r.bringupWallMs))),
          unit: 'ms',
          note: `wall, whole probe; ${rs[0]!.bytes} bytes; emulated bus ${round(rs[0]!.virtualMs)} ms virtual`,
        },
      );
      data[set.name] = rs;
    }
    return { figures, notes, data };
  },
};

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
