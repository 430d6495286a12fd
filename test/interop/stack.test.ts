/**
 * airstack's IPv4, ICMP and UDP against the Linux kernel's, over a TAP into a network namespace: ping both ways
 * (including 4,000-byte echoes that need fragmentation and reassembly on both sides) and UDP echo both ways; the
 * pcapng of the whole run must pass tshark with no malformed packet (it is kept in /tmp when a test fails).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RealClock } from '../../netstack/core/clock.ts';
import type { TapDevice } from '../../netstack/link/tap.ts';
import type { Stack } from '../../netstack/stack.ts';
import { type HostService, udpEchoService } from '../../tools/cli/commands/host.ts';
import { airstackUdpExchange } from './airstack-side.ts';
import { haveTshark, tshark, tsharkCheck } from '../support/tshark.ts';
import { describeInterop, failureTracker, NetnsWorld } from './harness.ts';
import { kernelPing, kernelUdpEchoServer, kernelUdpExchange } from './peers.ts';

/** Sizes that cross the interesting lines: tiny, one full frame (1472), one byte over, several fragments. */
const UDP_SIZES = [1, 100, 1472, 1473, 4000, 8000];

describeInterop('airstack and the Linux kernel: ping and UDP', { tools: ['ping', 'python3', 'tshark'] }, () => {
  const clock = new RealClock();
  let world: NetnsWorld;
  let stack: Stack;
  let dev: TapDevice;
  let echo: HostService;

  beforeAll(async () => {
    world = await NetnsWorld.create();
    ({ stack, dev } = await world.attachStack(clock));
    world.capture(stack, dev);
    echo = udpEchoService(7);
    await echo.start({ stack, dev, clock, say: () => {} });
  });
  afterAll(async () => {
    await echo?.stop();
    await world?.destroy();
  });
  failureTracker(() => world);

  it('the kernel pings airstack', async () => {
    const r = await kernelPing(world, world.airstackIp, { count: 5 });
    expect(r.received, r.output).toBe(5);
    expect(stack.snmp().Icmp.OutEchoReps).toBeGreaterThanOrEqual(5);
  });

  it('the kernel pings airstack with 4,000 bytes: both sides fragment and reassemble', async () => {
    const before = stack.snmp().Ip;
    const r = await kernelPing(world, world.airstackIp, { count: 3, size: 4000 });
    expect(r.received, r.output).toBe(3);
    expect(r.output).toContain('4008 bytes from');
    const ip = stack.snmp().Ip;
    expect(ip.ReasmOKs! - before.ReasmOKs!).toBe(3); // the kernel's fragmented requests, reassembled here
    expect(ip.FragOKs! - before.FragOKs!).toBe(3); // our replies, fragmented here...
    expect(ip.FragCreates! - before.FragCreates!).toBe(9); // ...into 3 fragments each (4028 bytes at MTU 1500)
  });

  it('airstack pings the kernel', async () => {
    const r = await stack.ping(world.kernelIp, { count: 5, interval: 50 });
    expect(r.received).toBe(5);
    expect(r.lost).toBe(0);
  });

  it('airstack pings the kernel with 4,000 bytes: both sides fragment and reassemble', async () => {
    const before = stack.snmp().Ip;
    const r = await stack.ping(world.kernelIp, { count: 3, size: 4000, interval: 50 });
    expect(r.received).toBe(3);
    const ip = stack.snmp().Ip;
    expect(ip.FragOKs! - before.FragOKs!).toBe(3);
    expect(ip.ReasmOKs! - before.ReasmOKs!).toBe(3); // the kernel's fragmented replies
  });

  it('the kernel’s UDP datagrams are echoed by airstack, byte for byte', async () => {
    const r = await kernelUdpExchange(world, world.airstackIp, 7, UDP_SIZES);
    expect(r).toMatchObject({ sent: UDP_SIZES.length, echoed: UDP_SIZES.length, mismatched: 0, lost: 0 });
    expect(echo.counters().datagrams).toBeGreaterThanOrEqual(UDP_SIZES.length);
  });

  it('airstack’s UDP datagrams are echoed by the kernel, byte for byte', async () => {
    const server = await kernelUdpEchoServer(world, 7007);
    try {
      const r = await airstackUdpExchange(stack, world.kernelIp, 7007, UDP_SIZES);
      expect(r).toMatchObject({ sent: UDP_SIZES.length, echoed: UDP_SIZES.length, mismatched: 0, lost: 0 });
    } finally {
      server.stop();
    }
  });

  it('nothing the kernel sent was malformed or lost on the way in', () => {
    const s = stack.snmp();
    expect(s.Ip.InHdrErrors).toBe(0);
    expect(s.IpExt.InCsumErrors).toBe(0);
    expect(s.Udp.InCsumErrors).toBe(0);
    expect(s.Ip.ReasmFails).toBe(0);
    expect(dev.counters.rxRunts + dev.counters.rxOversize + dev.counters.rxReadErrors).toBe(0);
    expect(dev.softnet.dropped).toBe(0);
  });

  it('the capture of the run passes tshark with no malformed packets', () => {
    expect(haveTshark()).toBe(true);
    const file = world.flushCapture();
    const report = tsharkCheck(file);
    expect(report.malformed, report.stderr).toEqual([]);
    expect(report.ok, report.stderr).toBe(true);
    // Both directions' fragments are in it, and tshark reassembles the 4,000-byte echoes from them.
    const fragments = tshark(['-n', '-r', file, '-Y', 'ip.flags.mf == 1']).trim().split('\n');
    expect(fragments.length).toBeGreaterThanOrEqual(12);
    const echoes = tshark([
      '-n',
      '-r',
      file,
      '-Y',
      'icmp.type == 0 && ip.fragment.count == 3',
      '-T',
      'fields',
      '-e',
      'ip.src',
    ]);
    expect(new Set(echoes.trim().split('\n'))).toEqual(new Set([world.airstackIp, world.kernelIp]));
  });
});
