import type { Command } from 'commander';

/** Every subcommand's register function, in the order `airstack --help` lists them. */
export const commands: Array<(program: Command) => void> = [];
