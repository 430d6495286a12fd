/**
 * The `airstack` command line. Each subcommand lives in tools/cli/commands/<name>.ts and exports `register`.
 * Errors from a person (bad arguments, missing files, missing privileges) print one line and exit non-zero.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from './errors.ts';
import { loadCommands } from './commands.ts';

const program = new Command();
program
  .name('airstack')
  .description(
    'A user-space Wi-Fi (MT7921U) and TCP/IP stack: run it on a real dongle, an emulated one, or a simulated radio',
  )
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const cmd of await loadCommands()) cmd.register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode);
  }
  if (err instanceof UsageError) {
    process.stderr.write(`airstack: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  throw err;
}
