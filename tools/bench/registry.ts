/**
 * Benchmark discovery: every module in tools/bench/ that exports a Benchmark object is run by `npm run bench`, in
 * the order of `order` (default 100) then name. Adding a benchmark is adding a file; no list to edit.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark } from './framework.ts';

const NOT_BENCHMARKS = new Set(['main.ts', 'framework.ts', 'registry.ts']);

function isBenchmark(v: unknown): v is Benchmark {
  const b = v as Partial<Benchmark> | null;
  return typeof b === 'object' && b !== null && typeof b.name === 'string' && typeof b.run === 'function';
}

export async function loadBenchmarks(): Promise<Benchmark[]> {
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_BENCHMARKS.has(f));
  const found: Benchmark[] = [];
  for (const f of files.sort()) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (isBenchmark(v) && !found.includes(v)) found.push(v);
  }
  return found.sort((a, b) => (a.order ?? 100) - (b.order ?? 100) || a.name.localeCompare(b.name));
}
