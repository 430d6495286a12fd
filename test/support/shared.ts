/**
 * Where the project's external material lives: `../shared/` beside the checkout (CI and developer machines), or
 * $AIRSTACK_SHARED_DIR. Tests that need it skip with a clear message when it is absent (`missingShared`).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function sharedDir(): string | null {
  const dir = process.env.AIRSTACK_SHARED_DIR ?? resolve(repoRoot, '../shared');
  return existsSync(dir) ? dir : null;
}

/** Absolute path of a file under ../shared, or null when ../shared or the file is missing. */
export function sharedPath(...parts: string[]): string | null {
  const dir = sharedDir();
  if (dir === null) return null;
  const p = join(dir, ...parts);
  return existsSync(p) ? p : null;
}

/** Message for a skipped test whose data is missing. */
export function missingShared(what: string): string {
  return `skipped: ${what} not found under ../shared (set AIRSTACK_SHARED_DIR or check out shared/ beside the project)`;
}
