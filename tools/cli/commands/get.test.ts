/**
 * `airstack get` refuses what a person can get wrong before it touches the system, each time in one line (the
 * downloads themselves are tested against the kernel in test/interop/tcp-http.test.ts).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { runChild } from '../../../test/interop/harness.ts';
import { repoRoot } from '../../../test/support/shared.ts';
import { UsageError } from '../errors.ts';
import { register } from './get.ts';

function run(args: string[]): Promise<unknown> {
  const program = new Command().exitOverride();
  register(program);
  return program.parseAsync(['node', 'airstack', 'get', ...args]).then(
    () => null,
    (e: unknown) => e,
  );
}

describe('airstack get refuses bad arguments', () => {
  it('checks the URL, the address, the gateway, --dhcp, --timeout, --ca and --backend first', async () => {
    const base = ['--tap', 'tap0', '--ip', '10.0.0.2/24'];
    const cases: Array<[string[], RegExp]> = [
      [['not a url', ...base], /is not a URL/],
      [['ftp://10.0.0.1/x', ...base], /ftp:\/\/ URLs are not supported/],
      [
        ['http://example.com/', ...base],
        /cannot resolve 'example\.com' without DNS servers: use an IPv4 address, or --dhcp/,
      ],
      [['http://[::1]/', ...base], /IPv4-only/],
      [['http://10.0.1.1/', ...base], /not on 10\.0\.0\.2\/24: give --gw/],
      [['http://10.0.0.1/', '--tap', 'tap0'], /--ip A\.B\.C\.D\/NN \(or --dhcp\)/],
      [['http://10.0.0.1/', ...base, '--dhcp'], /either --ip or --dhcp/],
      [['http://10.0.0.1/', '--tap', 'tap0', '--dhcp', '--gw', '10.0.0.1'], /--gw comes from the DHCP lease/],
      [['http://10.0.0.1/', ...base, '--timeout', '0'], /--timeout '0'/],
      [['http://10.0.0.1/', ...base, '--ca', '/nonexistent/ca.pem'], /--ca: cannot read/],
      [['http://10.0.0.1/', ...base, '--backend', 'x'], /--backend 'x'/],
      [['http://10.0.0.1/', '--tap', 'tap0', '--ip', '10.0.0.2'], /needs a prefix length/],
    ];
    for (const [args, re] of cases) {
      const err = await run(args);
      expect(err, args.join(' ')).toBeInstanceOf(UsageError);
      expect((err as Error).message, args.join(' ')).toMatch(re);
    }
  });

  it('prints one line and exits 1', async () => {
    const r = await runChild(
      spawn(process.execPath, [join(repoRoot, 'bin/airstack.js'), 'get', 'http://10.9.9.9/', '--tap', 't0'], {
        stdio: 'pipe',
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['airstack: give this host an address: --ip A.B.C.D/NN (or --dhcp)']);
  });
});
