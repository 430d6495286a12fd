/**
 * `npm run bench`: run the benchmarks (or one: --only NAME; --quick for short runs; --list), print a table and
 * write the results as JSON to bench/results/<ISO-timestamp>.json and bench/results/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Benchmark, BenchResult } from './framework.ts';
import { loadBenchmarks } from './registry.ts';

const benchmarks: Benchmark[] = await loadBenchmarks();

const root = resolve(fileURLToPath(import.meta.url), '../../..');

function fail(msg: string): never {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(1);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: { only: { type: 'string' }, quick: { type: 'boolean' }, list: { type: 'boolean' } },
    allowPositionals: false,
  });
}
try {
  args = parse();
} catch (e) {
  fail(`${(e as Error).message} (options: --only NAME, --quick, --list)`);
}

if (args.values.list) {
  for (const b of benchmarks) process.stdout.write(`${b.name.padEnd(12)} ${b.description}\n`);
  process.exit(0);
}
const selected = args.values.only ? benchmarks.filter((b) => b.name === args.values.only) : benchmarks;
if (selected.length === 0) {
  fail(`no benchmark named "${args.values.only}" (have: ${benchmarks.map((b) => b.name).join(', ')})`);
}

const results: Record<string, BenchResult & { description: string; seconds: number }> = {};
for (const b of selected) {
  process.stdout.write(`${b.name}: ${b.description}\n`);
  const t0 = performance.now();
  const r = await b.run({ quick: args.values.quick ?? false });
  results[b.name] = { description: b.description, seconds: (performance.now() - t0) / 1000, ...r };
  const w = Math.max(...r.figures.map((f) => f.name.length), 6);
  for (const f of r.figures) {
    const v = f.value.toLocaleString('en-US');
    process.stdout.write(`  ${f.name.padEnd(w)}  ${v.padStart(14)} ${f.unit.padEnd(6)} ${f.note ?? ''}\n`);
  }
  for (const n of r.notes ?? []) process.stdout.write(`  note: ${n}\n`);
}

const stamp = new Date().toISOString();
const report = {
  timestamp: stamp,
  node: process.version,
  v8: process.versions.v8,
  os: `${process.platform} ${release()}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  cpus: cpus().length,
  quick: args.values.quick ?? false,
  results,
};
const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${stamp.replace(/:/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`results: ${file}\n`);
