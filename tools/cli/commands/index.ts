import type { Command } from 'commander';
import { register as demo } from './demo.ts';
import { register as fw } from './fw.ts';

/** Every subcommand's register function, in the order `airstack --help` lists them. */
export const commands: Array<(program: Command) => void> = [demo, fw];
