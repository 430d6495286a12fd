/**
 * udp-rx: UDP receive rate through the whole receive path of one stack, on one core:
 *
 *   generator skb → devQueueXmit on the peer device → the in-memory link (copy into an RX pool buffer, the DMA)
 *   → RX ring → napi_schedule → net_rx_action (weight 64, budget 300) → netif_receive_skb → eth_type_trans →
 *   ip_rcv (header checks, checksum) → ip_local_deliver → udp_rcv (checksum, socket lookup) → receive queue →
 *   readiness event → recvInto (copy to the application's buffer) → the RX buffer back to the pool.
 *
 * Nothing is skipped: checksums are verified in software (the link's offload flags are off), every layer counts.
 * The generator's side (its qdisc and the link's copy) is included in the time, so the figure is conservative.
 * A second figure is taken with the link veth-like (rxCsumUnnecessary) to show what checksum offload saves.
 *
 * Allocations per packet: V8 heap bytes allocated during a run (v8.GCProfiler: growth + what each GC freed),
 * divided by the packets. The Linux figure comes from iperf3 -u over loopback in the same run.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { parseIpv4 } from '../../netstack/inet/addr.ts';
import { encodeEthHeader, ETH_P_IP } from '../../netstack/ethernet/header.ts';
import { buildIpv4Packet } from '../../netstack/ipv4/header.ts';
import { createPair, type PairDevice } from '../../netstack/link/pair.ts';
import { Stack } from '../../netstack/stack.ts';
import { encodeUdp } from '../../netstack/udp/header.ts';
import {
  type Benchmark,
  type BenchResult,
  type Figure,
  measureAllocations,
  median,
  recyclingSkb,
} from './framework.ts';

const BATCH = 256;

interface Rig {
  dev?: PairDevice;
  pump(n: number): void;
  received(): number;
  drops(): number;
}

export function rig(payload: number, csumOffload: boolean): Rig {
  const clock = new VirtualClock();
  const { a, b } = createPair({
    clock,
    rng: new Prng(1),
    rxRingSize: 1024,
    rxPoolSize: 1024,
    features: { rxCsumUnnecessary: csumOffload, txCsumOffload: false },
  });
  const h = new Stack({ clock, name: 'rx' });
  h.addDevice(b);
  h.addAddress(b, '10.0.0.2/24');
  a.open(); // the generator's side of the link: a bare device, no stack
  clock.runUntilIdle();
  const sk = h.udpSocket();
  sk.bind(0, 9);
  sk.rcvbuf = 64 << 20;
  const out = Buffer.alloc(2048);
  let received = 0;
  sk.onReadable = () => {
    while (sk.recvInto(out, null) >= 0) received++;
  };
  const src = parseIpv4('10.0.0.1');
  const dst = parseIpv4('10.0.0.2');
  const udp = encodeUdp({ srcPort: 5000, dstPort: 9, payload: Buffer.alloc(payload, 0x5a) }, src, dst);
  const frame = Buffer.concat([
    encodeEthHeader({ dst: b.addr, src: a.addr, tags: [], type: ETH_P_IP }),
    buildIpv4Packet({ src, dst, protocol: 17, id: 1 }, udp),
  ]);
  // One generator buffer, reused: the link copies it onto the wire and completes it at once.
  const skb = recyclingSkb(frame, 64);
  return {
    dev: b,
    pump(n: number) {
      for (let sent = 0; sent < n; ) {
        const burst = Math.min(BATCH, n - sent);
        for (let i = 0; i < burst; i++) a.devQueueXmit(skb);
        sent += burst;
        clock.runUntil(clock.now());
      }
    },
    received: () => received,
    drops: () => {
      const s = h.snmp();
      return b.rxMissed + s.Udp.InErrors! + s.Ip.InHdrErrors! + s.Softnet.dropped!;
    },
  };
}

function measure(make: () => Rig, n: number, trials: number) {
  const r = make();
  r.pump(Math.min(n, 200_000)); // warm up (JIT, pools)
  const rates: number[] = [];
  for (let t = 0; t < trials; t++) {
    const before = r.received();
    const t0 = performance.now();
    r.pump(n);
    const secs = (performance.now() - t0) / 1000;
    if (r.received() - before !== n) throw new Error(`udp-rx: ${n - (r.received() - before)} packets lost`);
    rates.push(n / secs);
  }
  const alloc = measureAllocations(() => r.pump(n));
  return { rates, best: Math.max(...rates), median: median(rates), alloc, drops: r.drops() };
}

/**
 * A sender stack and a receiver stack on the link, both in this process: UDP sendTo → IPv4 → ARP (resolved) →
 * devQueueXmit → the link → the receive path above. The same shape as Linux's loopback figure (send and receive
 * paths both measured), on one core.
 */
function e2eRig(payload: number): Rig {
  const clock = new VirtualClock();
  const { a, b } = createPair({ clock, rng: new Prng(2), rxRingSize: 1024, rxPoolSize: 1024 });
  const h1 = new Stack({ clock, name: 'tx' });
  const h2 = new Stack({ clock, name: 'rx' });
  h1.addDevice(a);
  h2.addDevice(b);
  h1.addAddress(a, '10.0.0.1/24');
  h2.addAddress(b, '10.0.0.2/24');
  const dst = parseIpv4('10.0.0.2');
  h1.arp.tbl.addPermanent(a, dst, b.addr);
  clock.runUntilIdle();
  const rx = h2.udpSocket();
  rx.bind(0, 9);
  rx.rcvbuf = 64 << 20;
  const tx = h1.udpSocket();
  tx.sndbuf = 64 << 20;
  const data = Buffer.alloc(payload, 0x5a);
  const out = Buffer.alloc(2048);
  let received = 0;
  rx.onReadable = () => {
    while (rx.recvInto(out, null) >= 0) received++;
  };
  return {
    pump(n: number) {
      for (let sent = 0; sent < n; ) {
        const burst = Math.min(BATCH, n - sent);
        for (let i = 0; i < burst; i++) tx.sendTo(data, dst, 9);
        sent += burst;
        clock.runUntil(clock.now());
      }
    },
    received: () => received,
    drops: () => b.rxMissed + h2.snmp().Udp.InErrors!,
  };
}

/** The Linux kernel over loopback (tools/bench/linux-udp-rx.py: sendmmsg → lo → recvmmsg). */
function kernelRate(payload: number, seconds: number): { pps: number; note: string } | { skip: string } {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'linux-udp-rx.py');
  if (process.platform !== 'linux') return { skip: 'not Linux' };
  const r = spawnSync('python3', [script, String(payload), String(seconds)], {
    encoding: 'utf8',
    timeout: (seconds + 20) * 1000,
  });
  if (r.error !== undefined || r.status !== 0) {
    return { skip: `python3 ${script} failed: ${(r.stderr || String(r.error)).trim().split('\n').pop()}` };
  }
  const j = JSON.parse(r.stdout) as { pps: number; packets: number; sent: number };
  return {
    pps: j.pps,
    note: `loopback, sendmmsg (CPU 1) → recvmmsg (CPU 0), ${j.packets} of ${j.sent} received`,
  };
}

export const udpRx: Benchmark = {
  name: 'udp-rx',
  description: 'UDP receive packets/s, in-memory link → NAPI → Ethernet → IPv4 → UDP socket, one core',
  async run({ quick }): Promise<BenchResult> {
    const figures: Figure[] = [];
    const notes: string[] = [];
    const data: Record<string, unknown> = {};
    const trials = quick ? 1 : 3;
    for (const size of [64, 1472]) {
      const n = quick ? 200_000 : size === 64 ? 2_000_000 : 1_000_000;
      const m = measure(() => rig(size, false), n, trials);
      const off = measure(() => rig(size, true), n, trials);
      const e2e = measure(() => e2eRig(size), n / 2, trials);
      const kern = kernelRate(size, quick ? 1 : 4);
      figures.push(
        {
          name: `rx ${size} B`,
          value: Math.round(m.best),
          unit: 'pkt/s',
          note: `best of ${trials}, median ${Math.round(m.median)}; software checksums`,
        },
        {
          name: `rx ${size} B, csum offload`,
          value: Math.round(off.best),
          unit: 'pkt/s',
          note: 'link veth-like (CHECKSUM_UNNECESSARY)',
        },
        {
          name: `rx ${size} B alloc`,
          value: Math.round((m.alloc.bytes / n) * 10) / 10,
          unit: 'B/pkt',
          note: `${m.alloc.gcs} GCs over ${n} packets`,
        },
        {
          name: `send+rx ${size} B`,
          value: Math.round(e2e.best),
          unit: 'pkt/s',
          note: 'two stacks, UDP sendTo → link → recvInto, one core',
        },
        {
          name: `send+rx ${size} B alloc`,
          value: Math.round((e2e.alloc.bytes / (n / 2)) * 10) / 10,
          unit: 'B/pkt',
        },
      );
      if ('pps' in kern) {
        figures.push(
          { name: `linux ${size} B`, value: Math.round(kern.pps), unit: 'pkt/s', note: kern.note },
          { name: `rx/linux ${size} B`, value: round2(m.best / kern.pps), unit: 'ratio' },
          { name: `send+rx/linux ${size} B`, value: round2(e2e.best / kern.pps), unit: 'ratio' },
        );
      } else {
        notes.push(`linux ${size} B: skipped (${kern.skip})`);
      }
      data[`${size}`] = {
        packets: n,
        rx: { trials: m.rates.map(Math.round), allocBytes: m.alloc.bytes, gcs: m.alloc.gcs, drops: m.drops },
        rxCsumOffload: { trials: off.rates.map(Math.round) },
        sendRx: { trials: e2e.rates.map(Math.round), allocBytes: e2e.alloc.bytes, gcs: e2e.alloc.gcs },
        linux: 'pps' in kern ? { pps: Math.round(kern.pps), note: kern.note } : { skipped: kern.skip },
        ratio: 'pps' in kern ? { rx: m.best / kern.pps, sendRx: e2e.best / kern.pps } : null,
      };
    }
    notes.push(
      'rx includes the generator side (qdisc + the link copying each frame into a pooled RX buffer).',
      'Linux does its send and receive work on two CPUs (the receive softirq runs on the sending CPU); airstack on one.',
      `Machine: ${cpus().length} CPUs, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} at the end: figures from a shared machine vary run to run.`,
    );
    return { figures, notes, data };
  },
};

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
