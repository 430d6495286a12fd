/**
 * tcp: TCP between two airstack stacks in one process over the in-memory link at MTU 1500, on one core:
 *
 *   send() (one copy into segments) → tcp_write_xmit → ip_queue_xmit → ARP/neighbour → devQueueXmit → the link
 *   (copy onto the wire, veth-like checksum offload) → RX ring → NAPI → netif_receive_skb → ip_rcv → tcp_v4_rcv →
 *   receive queue → recv() (a view, no copy) — and the ACKs back the same way.
 *
 * Figures: bulk goodput (256 MiB, --quick 32 MiB), the same with software checksums, memory per idle established
 * connection (V8 heap growth for 2,000 connections / 2,000 / 2: both ends), the time to open and close 10,000
 * connections, and Linux's own TCP over a veth pair between two network namespaces (iperf3) for the ratio.
 */
import { spawnSync } from 'node:child_process';
import type { VirtualClock } from '../../netstack/core/clock.ts';
import { pairStacks } from '../../test/support/pair-stacks.ts';
import type { TcpSock } from '../../netstack/tcp/sock.ts';
import type { TcpStack } from '../../netstack/tcp/stack.ts';
import { type Benchmark, type BenchResult, type Figure, loadFigure, settledMemory } from './framework.ts';
import { startBulk } from './tcp-bulk.ts';

const H2 = 0x0a000002;

/** Two stacks (10.0.0.1, 10.0.0.2) on the in-memory link at MTU 1500, in virtual time. */
export function world(offload: boolean) {
  const w = pairStacks(
    {
      rxRingSize: 4096,
      rxPoolSize: 4096,
      features: offload ? { rxCsumUnnecessary: true, txCsumOffload: true } : {},
    },
    1,
  );
  return { ...w, t1: w.h1.tcp, t2: w.h2.tcp };
}

/** Bulk transfer of `total` bytes; returns wall seconds and CPU seconds (user + system) of this process. */
function bulk(total: number, offload: boolean): { seconds: number; cpu: number; retrans: number; segs: number } {
  const { clock, t1, t2 } = world(offload);
  const xfer = startBulk(t1, t2, H2, 5001, total);
  const c = xfer.sock;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (xfer.received() < total && clock.step()) {
    /* run */
  }
  const seconds = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  return { seconds, cpu: (cu.user + cu.system) / 1e6, retrans: c.totalRetrans, segs: c.segsOut };
}

/** Memory per idle established connection, both ends counted (bytes per connection end). */
async function idleMemory(n: number): Promise<number> {
  const { clock, t1, t2 } = world(true);
  const l = t2.listen({ port: 80, backlog: 4096 });
  const keep: TcpSock[] = [];
  l.owner = {
    onAcceptReady() {
      for (let s = l.accept(); s !== null; s = l.accept()) keep.push(s);
    },
  };
  // Warm up the code paths, then measure the heap growth of n more connections.
  open(t1, clock, 50, keep);
  clock.runUntilIdle();
  const before = await settledMemory();
  open(t1, clock, n, keep);
  clock.runUntil(clock.now() + 1000);
  const bytes = (await settledMemory()) - before;
  if (keep.length < 2 * (n + 50)) throw new Error(`only ${keep.length} connections established`);
  return bytes / (2 * n);
}

/** Open n connections, 200 at a time (the device queue holds 1,000 frames). */
function open(t1: TcpStack, clock: VirtualClock, n: number, keep: TcpSock[]): void {
  for (let i = 0; i < n; i += 200) {
    for (let k = 0; k < 200 && i + k < n; k++) keep.push(t1.connect({ addr: H2, port: 80 }));
    clock.runUntil(clock.now() + 20);
  }
}

/** Open and close `n` connections (handshake, FIN both ways), 200 at a time; wall seconds. */
function churn(n: number): number {
  const { clock, t1, t2 } = world(true);
  const l = t2.listen({ port: 80, backlog: 4096 });
  l.owner = {
    onAcceptReady() {
      for (let s = l.accept(); s !== null; s = l.accept()) {
        const sk = s;
        sk.owner = { onReadable: () => sk.eof && sk.close() };
      }
    },
  };
  let done = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 200) {
    for (let k = 0; k < 200 && i + k < n; k++) {
      const c = t1.connect({ addr: H2, port: 80 });
      c.owner = {
        onConnected: () => c.close(),
        onClose: () => done++,
      };
    }
    // Run the handshakes and closes of this batch; TIME-WAIT lingers in the tables (its timer is 60 s away).
    clock.runUntil(clock.now() + 50);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (done < n) throw new Error(`only ${done} of ${n} connections closed`);
  return seconds;
}

/** iperf3 over a veth pair between two network namespaces (root and iperf3 needed). */
export function linuxReference(seconds: number): Figure {
  const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: (seconds + 20) * 1000 });
  const ns = `airbench${process.pid}`;
  const setup = [
    `ip netns add ${ns}a`,
    `ip netns add ${ns}b`,
    `ip link add veth${process.pid % 10000}a netns ${ns}a type veth peer name veth${process.pid % 10000}b netns ${ns}b`,
    `ip -n ${ns}a addr add 10.77.0.1/24 dev veth${process.pid % 10000}a`,
    `ip -n ${ns}b addr add 10.77.0.2/24 dev veth${process.pid % 10000}b`,
    `ip -n ${ns}a link set veth${process.pid % 10000}a up mtu 1500`,
    `ip -n ${ns}b link set veth${process.pid % 10000}b up mtu 1500`,
    `ip -n ${ns}a link set lo up`,
    `ip -n ${ns}b link set lo up`,
  ].join(' && ');
  const cleanup = () => sh(`ip netns del ${ns}a 2>/dev/null; ip netns del ${ns}b 2>/dev/null`);
  try {
    const s = sh(setup);
    if (s.status !== 0)
      return { name: 'linux veth', value: 0, unit: 'Gbit/s', note: `netns setup failed: ${s.stderr.trim()}` };
    const srv = sh(`ip netns exec ${ns}b iperf3 -s -1 -D -p 5201 && sleep 0.5`);
    if (srv.status !== 0) return { name: 'linux veth', value: 0, unit: 'Gbit/s', note: 'iperf3 not available' };
    const r = sh(`ip netns exec ${ns}a iperf3 -c 10.77.0.2 -p 5201 -t ${seconds} -J`);
    const j = JSON.parse(r.stdout) as { end?: { sum_received?: { bits_per_second?: number } } };
    const bps = j.end?.sum_received?.bits_per_second ?? 0;
    return {
      name: 'linux veth',
      value: +(bps / 1e9).toFixed(2),
      unit: 'Gbit/s',
      note: `iperf3 -t ${seconds}, netns + veth MTU 1500`,
    };
  } catch (e) {
    return { name: 'linux veth', value: 0, unit: 'Gbit/s', note: `failed: ${(e as Error).message}` };
  } finally {
    cleanup();
  }
}

export const tcpBench: Benchmark = {
  name: 'tcp',
  description:
    'TCP bulk goodput between two stacks over the in-memory link (MTU 1500), memory per connection, open/close rate',
  async run({ quick }): Promise<BenchResult> {
    const total = (quick ? 32 : 256) * 1024 * 1024;
    bulk(8 * 1024 * 1024, true); // warm-up (JIT)
    const off = bulk(total, true);
    const sw = bulk(quick ? total : total / 4, false);
    const gbps = (total * 8) / off.seconds / 1e9;
    const gbpsSw = ((quick ? total : total / 4) * 8) / sw.seconds / 1e9;
    const mem = await idleMemory(quick ? 2000 : 10_000);
    const nChurn = quick ? 2000 : 10_000;
    const churnS = churn(nChurn);
    const linux = linuxReference(quick ? 3 : 5);
    const figures: Figure[] = [
      {
        name: 'goodput',
        value: +gbps.toFixed(2),
        unit: 'Gbit/s',
        note: `${total >> 20} MiB, veth-like checksum offload, ${off.segs} segments, ${off.retrans} retransmitted`,
      },
      {
        name: 'goodput per cpu',
        value: +((total * 8) / off.cpu / 1e9).toFixed(2),
        unit: 'Gbit/s',
        note: 'the same run per CPU-second of this process (less sensitive to a shared machine; GC threads included)',
      },
      {
        name: 'goodput sw csum',
        value: +gbpsSw.toFixed(2),
        unit: 'Gbit/s',
        note: 'checksums computed and verified in software',
      },
      {
        name: 'memory/idle conn',
        value: Math.round(mem),
        unit: 'bytes',
        note: 'V8 heap + ArrayBuffers per connection end, established and idle',
      },
      {
        name: `open+close ${nChurn}`,
        value: +churnS.toFixed(2),
        unit: 's',
        note: `${Math.round(nChurn / churnS)} connections/s (handshake + FIN both ways)`,
      },
      linux,
    ];
    if (linux.value > 0)
      figures.push({
        name: 'ratio',
        value: +(gbps / linux.value).toFixed(3),
        unit: '×',
        note: 'airstack goodput / Linux veth',
      });
    figures.push(loadFigure());
    return {
      figures,
      data: {
        totalBytes: total,
        gbps,
        gbpsCpu: (total * 8) / off.cpu / 1e9,
        gbpsSw,
        bytesPerIdleConn: mem,
        churnSeconds: churnS,
        linuxGbps: linux.value,
      },
    };
  },
};
