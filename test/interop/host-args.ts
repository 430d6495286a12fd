/**
 * `airstack host` argument checks run in process (the same command object main.ts builds), to keep them quick:
 * each case must be refused with a UsageError whose message matches, before anything touches the system.
 */
import { Command } from 'commander';
import { expect } from 'vitest';
import { register } from '../../tools/cli/commands/host.ts';
import { UsageError } from '../../tools/cli/errors.ts';

export async function expectHostArgsRefused(cases: ReadonlyArray<[string[], RegExp]>): Promise<void> {
  for (const [args, re] of cases) {
    const program = new Command().exitOverride();
    register(program);
    const err = await program.parseAsync(['node', 'airstack', 'host', '--tap', 'tap0', ...args]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, args.join(' ')).toBeInstanceOf(UsageError);
    expect((err as Error).message, args.join(' ')).toMatch(re);
  }
}
