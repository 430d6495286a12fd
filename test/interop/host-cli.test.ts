/**
 * `airstack host` as a person runs it: a child process on a TAP in a namespace, answering the kernel's ping and
 * UDP, printing its counters and exiting 0 on SIGINT; and every way it can refuse to start, as one line and exit 1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCommand } from '../../netstack/link/tap/backend.ts';
import { linkState, netnsExists } from '../../netstack/link/tap/iproute.ts';
import { repoRoot } from '../support/shared.ts';
import { tsharkCheck } from '../support/tshark.ts';
import { expectHostArgsRefused } from './host-args.ts';
import { describeInterop, type ExecResult, failureTracker, NetnsWorld, runChild, waitForLine } from './harness.ts';
import { kernelPing, kernelUdpExchange } from './peers.ts';

const AIRSTACK = join(repoRoot, 'bin/airstack.js');
const isRoot = process.getuid?.() === 0;

function airstack(args: string[], opts: { env?: NodeJS.ProcessEnv; asNobody?: boolean } = {}): Promise<ExecResult> {
  const argv = [process.execPath, AIRSTACK, ...args];
  const [cmd, ...rest] = opts.asNobody
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv]
    : argv;
  return runChild(spawn(cmd!, rest, { env: opts.env ?? process.env, stdio: 'pipe' }), { timeoutMs: 30_000 });
}

function expectOneLineError(r: ExecResult, re: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^airstack: /);
  expect(lines[0]).toMatch(re);
}

describe('airstack host refuses bad arguments in one line', () => {
  it('needs an address', async () => {
    expectOneLineError(await airstack(['host', '--tap', 'tap0']), /--ip A\.B\.C\.D\/NN/);
  });
  it('checks --ip, --gw, --udp-echo, --mtu, --mac and --backend before touching anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--ip', '10.0.0.2'], /needs a prefix length/],
      [['--ip', '10.0.0.0/24'], /network or broadcast/],
      [['--ip', '10.0.0.2/33'], /not in 1\.\.32/],
      [['--ip', '127.0.0.2/8'], /not a unicast host address/],
      [['--ip', '10.0.0.2/24', '--gw', '10.0.1.1'], /not on the subnet/],
      [['--ip', '10.0.0.2/24', '--gw', '10.0.0.2'], /own address/],
      [['--gw', '10.0.0.1'], /--ip A\.B\.C\.D\/NN/],
      [['--ip', '10.0.0.2/24', '--udp-echo', '70000'], /not a port/],
      [['--ip', '10.0.0.2/24', '--mtu', '40'], /--mtu '40'/],
      [['--ip', '10.0.0.2/24', '--mac', '01:00:00:00:00:01'], /multicast/],
      [['--ip', '10.0.0.2/24', '--mac', 'zz'], /not a MAC/],
      [['--ip', '10.0.0.2/24', '--backend', 'x'], /--backend 'x'/],
    ];
    await expectHostArgsRefused(cases);
  });
  it.skipIf(isRoot && findCommand('setpriv') === null)('says when it is not root', async () => {
    const r = await airstack(['host', '--tap', 'tap0', '--ip', '10.0.0.2/24'], { asNobody: isRoot });
    expectOneLineError(r, /not root/);
  });
});

describeInterop('airstack host on a TAP, with the kernel as its peer', { tools: ['ping', 'python3', 'tshark'] }, () => {
  let world: NetnsWorld;
  beforeAll(async () => {
    world = await NetnsWorld.create();
  });
  afterAll(() => world?.destroy());
  failureTracker(() => world);
  /** `airstack host` on the world's TAP, created inside the world's namespace. */
  const startHost = (extra: string[]) =>
    world.spawnHost(process.execPath, [
      AIRSTACK,
      ...['host', '--tap', world.tapName, '--netns', world.ns, '--ip', `${world.airstackIp}/${world.prefix}`],
      ...extra,
    ]);

  it('answers ping and UDP echo, writes a clean pcapng, prints its counters and exits 0 on SIGINT', async () => {
    const child = startHost(['--gw', world.kernelIp, '--udp-echo', '7', '--pcap', world.capturePath]);
    const done = runChild(child, { timeoutMs: 60_000 });
    await waitForLine(child, /ready/);
    world.configureKernelSide();
    const ping = await kernelPing(world, world.airstackIp, { count: 3 });
    expect(ping.received, ping.output).toBe(3);
    const udp = await kernelUdpExchange(world, world.airstackIp, 7, [10, 3000]);
    expect(udp).toMatchObject({ echoed: 2, lost: 0, mismatched: 0 });
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^IcmpMsg: .*InType8/m);
    expect(r.stdout).toMatch(/^udp-echo: datagrams 2 bytes 3010/m);
    expect(r.stdout).toMatch(new RegExp(`^tap ${world.tapName}: rxFrames \\d+`, 'm'));
    const packets = Number(/^pcapng: packets (\d+)/m.exec(r.stdout)?.[1]);
    const report = tsharkCheck(world.capturePath);
    expect(report.malformed, report.stderr).toEqual([]);
    expect(report.ok, report.stderr).toBe(true);
    expect(report.packets).toBe(packets);
    expect(packets).toBeGreaterThanOrEqual(3 * 2 + 2 * 2 + 2); // pings, UDP (3,000 bytes: 3 frames each way), ARP
    // It created the TAP, so the TAP is gone; the namespace was not its own, so it stays.
    expect(linkState(world.tapName, world.ns)).toBeNull();
    expect(netnsExists(world.ns)).toBe(true);
  });

  it('exits 1 saying so when its TAP is deleted under it', async () => {
    const child = startHost([]);
    const done = runChild(child, { timeoutMs: 60_000 });
    await waitForLine(child, /ready/);
    await world.exec(['ip', 'link', 'del', 'dev', world.tapName]);
    const r = await done;
    expectOneLineError(r, new RegExp(`TAP ${world.tapName} went away`));
    expect(r.stdout).toMatch(/^Ip: /m); // counters are still printed
  });

  it('refuses a name that is not a TAP, a capture file it cannot write, and a machine without its tools', async () => {
    expectOneLineError(await airstack(['host', '--tap', 'lo', '--ip', '10.0.0.2/24']), /lo exists and is not a TAP/);
    const badPcap = await airstack(['host', '--tap', world.tapName, '--ip', '10.0.0.2/24', '--pcap', '/nonexistent/x']);
    expectOneLineError(badPcap, /--pcap: cannot write capture file \/nonexistent\/x/);
    expect(linkState(world.tapName)).toBeNull();
    // A PATH with `ip` but neither python3 nor socat.
    const bin = mkdtempSync(join(tmpdir(), 'airstack-path-'));
    try {
      symlinkSync(findCommand('ip')!, join(bin, 'ip'));
      const env = { ...process.env, PATH: bin };
      const r = await airstack(['host', '--tap', world.tapName, '--ip', '10.0.0.2/24'], { env });
      expectOneLineError(r, /install python3 \(preferred\) or socat/);
      const noIp = await airstack(['host', '--tap', world.tapName, '--ip', '10.0.0.2/24'], {
        env: { ...process.env, PATH: join(bin, 'none') },
      });
      expectOneLineError(noIp, /install iproute2/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
