/**
 * The benchmark framework: a benchmark is a module that measures and returns named figures; main.ts runs them,
 * prints a table and writes JSON. Benchmarks measure, they never assert (tests do that).
 */
import { cpus, loadavg } from 'node:os';
import { GCProfiler, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SkBuff } from '../../netstack/core/skb.ts';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** How it was measured, or why it is missing. */
  note?: string;
}

export interface BenchResult {
  figures: Figure[];
  /** Free-form notes printed under the table and kept in the JSON. */
  notes?: string[];
  /** Anything else worth keeping (configuration, raw trials, ratios). */
  data?: Record<string, unknown>;
}

export interface Benchmark {
  name: string;
  description: string;
  run(opts: { quick: boolean }): Promise<BenchResult>;
  /** Position in the run (default 100; lower first). */
  order?: number;
}

export interface AllocationStats {
  /** JS heap bytes allocated during the measured function (live growth plus everything the GC freed). */
  bytes: number;
  gcs: number;
  scavenges: number;
}

// A full GC on demand, with or without --expose-gc on the command line.
setFlagsFromString('--expose-gc');
const forceGc = runInNewContext('gc') as () => void;

/**
 * V8 heap + ArrayBuffer bytes in use once garbage is gone: full GCs with an event-loop turn after each (the backing
 * stores of dead ArrayBuffers are released after the GC that found them, so one GC right after a bulk run can
 * still count tens of MiB that go away later), until two readings agree within 64 KiB (at most 10 rounds).
 */
export async function settledMemory(): Promise<number> {
  const read = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  let last = Number.NaN;
  for (let i = 0; i < 10; i++) {
    forceGc();
    await new Promise((r) => setImmediate(r));
    const now = read();
    if (Math.abs(now - last) < 65536) return now;
    last = now;
  }
  return last;
}

/**
 * Run `fn` and measure how many bytes it allocated on the V8 heap: the heap's growth plus what each garbage
 * collection freed (v8.GCProfiler reports the heap before and after every GC). Precise to the size of the objects
 * allocated, blind to memory outside the JS heap (Buffer contents from Node's pool are counted only through
 * their JS wrappers).
 */
export function measureAllocations(fn: () => void): AllocationStats {
  const m = startAllocationMeasure();
  fn();
  return m.stop();
}

/** measureAllocations for code that completes asynchronously (promise callbacks). */
export async function measureAllocationsAsync(fn: () => Promise<void>): Promise<AllocationStats> {
  const m = startAllocationMeasure();
  await fn();
  return m.stop();
}

function startAllocationMeasure(): { stop(): AllocationStats } {
  const profiler = new GCProfiler();
  const used = () => process.memoryUsage().heapUsed;
  profiler.start();
  const before = used();
  return {
    stop() {
      const after = used();
      const report = profiler.stop();
      let freed = 0;
      let scavenges = 0;
      for (const s of report?.statistics ?? []) {
        freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
        if (s.gcType === 'Scavenge' || s.gcType === 'MinorMarkSweep') scavenges++;
      }
      return { bytes: Math.max(0, after - before + freed), gcs: report?.statistics.length ?? 0, scavenges };
    },
  };
}

/**
 * An skb of `bytes` that puts itself back when freed (data and tail as they were, the destructor re-armed), so a
 * benchmark can send it again and again without allocating; `onReuse` runs at each return.
 */
export function recyclingSkb(bytes: Uint8Array, headroom: number, tailroom = 0, onReuse?: () => void): SkBuff {
  const skb = SkBuff.fromBytes(bytes, headroom, tailroom);
  const head = skb.data;
  const tail = skb.tail;
  const reuse = (s: SkBuff) => {
    s.data = head;
    s.tail = tail;
    s.destructor = reuse;
    onReuse?.();
  };
  skb.destructor = reuse;
  return skb;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * A positive number given to a benchmark program (argument or environment variable) by a person: `fallback` when
 * absent; a one-line message and exit 1 when it is not a positive number.
 */
export function positiveArg(raw: string | undefined, fallback: number, what: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`${what} must be a positive number, got "${raw}"\n`);
    process.exit(1);
  }
  return n;
}

/** The machine's load as a figure: wall-clock rates on a shared machine are read against it. */
export function loadFigure(): Figure {
  return {
    name: 'load average',
    value: +loadavg()[0]!.toFixed(1),
    unit: '',
    note: `${cpus().length} CPUs: wall-clock figures vary with it`,
  };
}
