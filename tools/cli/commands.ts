/**
 * Subcommand discovery: every tools/cli/commands/<name>.ts exports `register(program)` (and may export `order`, a
 * number that sorts it in `airstack --help`). Adding a command is adding a file; no registry to edit.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';

interface CommandModule {
  register(program: Command): void;
  order?: number;
}

export async function loadCommands(): Promise<CommandModule[]> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort();
  const mods = await Promise.all(
    files.map(async (f) => (await import(pathToFileURL(join(dir, f)).href)) as Partial<CommandModule>),
  );
  return mods
    .filter((m): m is CommandModule => typeof m.register === 'function')
    .sort((a, b) => (a.order ?? 100) - (b.order ?? 100));
}
