/**
 * `airstack host --dhcp` and `--dhcp-server` as a person runs them: a child process on a TAP in a namespace, with
 * dnsmasq or dhclient on the kernel's side; and the mistakes they refuse in one line.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/shared.ts';
import { expectHostArgsRefused } from './host-args.ts';
import { describeInterop, failureTracker, NetnsWorld, runChild, waitForLine } from './harness.ts';
import { dhclientScript, waitFor, waitForLeaseFile } from './dhcp-peers.ts';
import { kernelPing } from './peers.ts';

const AIRSTACK = join(repoRoot, 'bin/airstack.js');

describe('airstack host refuses bad DHCP arguments in one line', () => {
  it('checks --dhcp and --dhcp-server before touching anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--dhcp', '--ip', '10.0.0.2/24'], /either --ip or dhcp/],
      [['--dhcp', '--gw', '10.0.0.1'], /--gw comes from the DHCP lease/],
      [['--dhcp-server', '10.0.0.5-10.0.0.9'], /--dhcp-server needs --ip/],
      [['--ip', '10.0.0.2/24', '--dhcp-server', '10.0.0.5'], /not FIRST-LAST/],
      [['--ip', '10.0.0.2/24', '--dhcp-server', '10.0.0.5-10.0.0.x'], /not an IPv4 address/],
      [['--ip', '10.0.0.2/24', '--dhcp-server', '10.0.1.5-10.0.1.9'], /not on the subnet/],
      [['--ip', '10.0.0.2/24', '--dhcp-server', '10.0.0.9-10.0.0.5'], /before the first/],
      [['--ip', '10.0.0.2/24', '--dhcp-server', '10.0.0.1-10.0.0.9'], /own address/],
      [['--ip', '10.0.0.2/24', '--dhcp-server', '10.0.0.5-10.0.0.9', '--dhcp-lease', '5'], /--dhcp-lease '5'/],
      [['--ip', '10.0.0.2/24', '--dhcp-server', '10.0.0.5-10.0.0.9', '--dhcp-dns', 'x'], /--dhcp-dns 'x'/],
      [['--ip', '10.0.0.2/24', '--dhcp-lease', '600'], /need --dhcp-server/],
    ];
    await expectHostArgsRefused(cases);
  });
});

describeInterop(
  'airstack host --dhcp / --dhcp-server with the kernel as peer',
  { tools: ['dnsmasq', 'dhclient', 'ping'] },
  () => {
    let world: NetnsWorld;
    let dir: string;
    beforeAll(async () => {
      world = await NetnsWorld.create();
      dir = mkdtempSync(join(tmpdir(), 'airstack-dhcp-host-'));
    });
    afterAll(async () => {
      await world?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    failureTracker(() => world);
    const startHost = (extra: string[]) =>
      world.spawnHost(process.execPath, [AIRSTACK, 'host', '--tap', world.tapName, '--netns', world.ns, ...extra]);

    it('--dhcp: leases from dnsmasq, answers ping at the leased address, releases on SIGINT', async () => {
      // dnsmasq first, watching for the TAP to appear (--bind-dynamic), so that the first DISCOVERs find it.
      const leases = join(dir, 'dnsmasq.leases');
      world.spawn([
        'dnsmasq',
        '--keep-in-foreground',
        '--conf-file=/dev/null',
        '--user=root',
        `--interface=${world.tapName}`,
        '--bind-dynamic',
        '--port=0',
        `--pid-file=${join(dir, 'dnsmasq.pid')}`,
        `--dhcp-leasefile=${leases}`,
        '--dhcp-range=10.207.0.100,10.207.0.150,255.255.255.0,2m',
        '--dhcp-option=option:router,10.207.0.1',
      ]);
      const child = startHost(['--dhcp']);
      const done = runChild(child, { timeoutMs: 60_000 });
      const leased = waitForLine(child, /dhcp: leased/, 40_000);
      await world.waitForTap();
      world.configureKernelSide();
      const line = await leased;
      const addr = /leased ([\d.]+)\/24 from 10\.207\.0\.1 for 120 s, router 10\.207\.0\.1/.exec(line)?.[1];
      expect(addr, line).toBeDefined();
      await waitForLine(child, /ready/, 10_000).catch(() => undefined);
      const ping = await kernelPing(world, addr!, { count: 2 });
      expect(ping.received, ping.output).toBe(2);
      await waitFor(() => existsSync(leases) && readFileSync(leases, 'utf8').includes(addr!), 5000, 'the lease');
      child.kill('SIGINT');
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^dhcp: .*leases 1/m);
      expect(r.stdout).toMatch(/^dhcp: .*releases 1/m);
      await waitFor(() => !readFileSync(leases, 'utf8').includes(addr!), 5000, 'dnsmasq to drop the released lease');
    });

    it('--dhcp-server: the kernel’s dhclient gets a lease with the DNS servers asked for', async () => {
      const child = startHost([
        '--ip',
        `${world.airstackIp}/24`,
        '--dhcp-server',
        '10.207.0.100-10.207.0.110',
        '--dhcp-dns',
        '10.207.0.53,10.207.0.54',
        '--dhcp-lease',
        '600',
      ]);
      const done = runChild(child, { timeoutMs: 60_000 });
      await waitForLine(child, /ready/, 20_000);
      await world.exec(['ip', 'link', 'set', world.tapName, 'up']);
      const log = join(dir, 'dhclient.log');
      const script = join(dir, 'dhclient.sh');
      writeFileSync(script, dhclientScript(log));
      chmodSync(script, 0o755);
      const args = ['-4', '-sf', script, '-lf', join(dir, 'dhclient.leases'), '-pf', join(dir, 'dhclient.pid')];
      world.spawn(['dhclient', '-d', ...args, world.tapName], { stdio: 'ignore' });
      const served = await waitForLine(child, /dhcp-server: 10\.207\.0\.100 to/, 30_000);
      expect(served).toMatch(/for 600 s/);
      await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('BOUND'), 10_000, "dhclient's BOUND");
      expect(readFileSync(log, 'utf8')).toMatch(
        /^BOUND 10\.207\.0\.100 255\.255\.255\.0 {2}10\.207\.0\.53 10\.207\.0\.54 {2}600$/m,
      );
      const released = waitForLine(child, /dhcp-server: 10\.207\.0\.100 released/, 20_000);
      // The kernel, at its leased address, reaches the host (and so knows its MAC: dhclient -r deletes the address
      // right after sending the RELEASE, which would lose a RELEASE still waiting for ARP).
      const ping = await kernelPing(world, world.airstackIp, { count: 2 });
      expect(ping.received, ping.output).toBe(2);
      await waitForLeaseFile(join(dir, 'dhclient.leases'));
      await world.exec(['dhclient', '-r', ...args, world.tapName], { timeoutMs: 20_000 });
      await released;
      child.kill('SIGINT');
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^dhcp-server: discovers 1 requests 1 releases 1 offers 1 acks 1$/m);
    });
  },
);
