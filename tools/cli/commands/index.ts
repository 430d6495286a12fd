import type { Command } from 'commander';
import { register as decrypt } from './decrypt.ts';
import { register as fw } from './fw.ts';

/** Every subcommand's register function, in the order `airstack --help` lists them. */
export const commands: Array<(program: Command) => void> = [fw, decrypt];
