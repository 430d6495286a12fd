/**
 * tcp-sockets: the same measurements as `tcp`, through the Node-compatible sockets (stack.net: stream.Duplex on
 * top of the TCP core) — what a Node program using airstack actually gets:
 *
 *   socket.write() (Writable buffering, _writev → one copy into segments) → TCP → IPv4 → the in-memory link
 *   (veth-like checksum offload) → NAPI → ip_rcv → tcp_v4_rcv → receive queue → push() of a view (zero copy)
 *   → 'data' — with backpressure both ways (write() false / 'drain', paused reading closes the window).
 *
 * Figures: bulk goodput (256 MiB; --quick 32 MiB) over one connection, V8 heap + ArrayBuffers per idle
 * established connection end with its Socket (10,000 connections; --quick 2,000; after a full GC), and the time to
 * open and close 10,000 connections (connect, 'connect', end(), both sides' 'close'). The kernel's figure over a
 * veth pair comes from the `tcp` benchmark in the same run (the ratio is computed here too when it can be).
 * Virtual time: the clock is a discrete-event scheduler, so wall time is CPU time of the stacks alone.
 */
import type { Socket } from '../../netstack/socket/tcp-socket.ts';
import { loadavg } from 'node:os';
import { type Benchmark, type BenchResult, type Figure, median, settledMemory } from './framework.ts';
import { linuxReference, world } from './tcp.ts';

/** One connection, `total` bytes written in 256 KiB chunks honouring write()/'drain'; wall seconds. */
export async function socketBulk(total: number): Promise<{ seconds: number; cpuSeconds: number; retrans: number }> {
  const { clock, h1, h2 } = world(true);
  let rcvd = 0;
  h2.net
    .createServer((s) => {
      s.on('data', (d: Buffer) => {
        rcvd += d.length;
      });
    })
    .listen(5001);
  const c = h1.net.connect(5001, '10.0.0.2');
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!c.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return;
    }
  };
  c.on('connect', pump);
  c.on('drain', pump);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await clock.runAsync({ until: () => rcvd >= total });
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  if (rcvd < total) throw new Error(`only ${rcvd} of ${total} bytes arrived`);
  const retrans = c.tcp?.totalRetrans ?? 0;
  c.destroy();
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, retrans };
}

/** Heap + ArrayBuffers per idle established connection end, Socket objects included. */
async function socketIdleMemory(n: number): Promise<number> {
  const { clock, h1, h2 } = world(true);
  const keep: Socket[] = [];
  h2.net.createServer((s) => keep.push(s)).listen(80, undefined, 8192);
  const open = async (count: number) => {
    for (let i = 0; i < count; i += 200) {
      for (let k = 0; k < 200 && i + k < count; k++) keep.push(h1.net.connect(80, '10.0.0.2'));
      await clock.runAsync({ maxTime: clock.now() + 20 });
    }
    await clock.runAsync({ maxTime: clock.now() + 1000 });
  };
  await open(50); // warm-up
  const before = await settledMemory();
  await open(n);
  const after = await settledMemory();
  const established = keep.filter((s) => !s.pending && !s.destroyed).length;
  if (established < 2 * (n + 50)) throw new Error(`only ${established} sockets established`);
  return (after - before) / (2 * n);
}

/** Open and close n connections through the sockets, 200 at a time; wall seconds. */
async function socketChurn(n: number): Promise<number> {
  const { clock, h1, h2 } = world(true);
  h2.net
    .createServer((s) => {
      s.resume();
    })
    .listen(80, undefined, 8192);
  let closed = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 200) {
    for (let k = 0; k < 200 && i + k < n; k++) {
      const c = h1.net.connect(80, '10.0.0.2', () => c.end());
      c.resume();
      c.on('close', () => closed++);
    }
    await clock.runAsync({ maxTime: clock.now() + 50 });
  }
  await clock.runAsync({ until: () => closed >= n, maxTime: clock.now() + 5000 });
  const seconds = (performance.now() - t0) / 1000;
  if (closed < n) throw new Error(`only ${closed} of ${n} connections closed`);
  return seconds;
}

export const tcpSocketsBench: Benchmark = {
  name: 'tcp-sockets',
  description: 'the same through stack.net (node:net-compatible Duplex sockets): goodput, memory, open/close',
  async run({ quick }): Promise<BenchResult> {
    const total = (quick ? 32 : 256) * 1024 * 1024;
    await socketBulk(8 * 1024 * 1024); // warm-up (JIT)
    const runs: number[] = [];
    const cpuRuns: number[] = [];
    let retrans = 0;
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      const r = await socketBulk(total);
      runs.push((total * 8) / r.seconds / 1e9);
      cpuRuns.push((total * 8) / r.cpuSeconds / 1e9);
      retrans += r.retrans;
    }
    const gbps = median(runs);
    const gbpsCpu = median(cpuRuns);
    const nMem = quick ? 2000 : 10_000;
    const mem = await socketIdleMemory(nMem);
    const nChurn = quick ? 2000 : 10_000;
    const churnS = await socketChurn(nChurn);
    const linux = linuxReference(quick ? 3 : 5);
    const figures: Figure[] = [
      {
        name: 'goodput',
        value: +gbps.toFixed(2),
        unit: 'Gbit/s',
        note: `median of ${runs.length} × ${total >> 20} MiB through write()/'data', offload on, ${retrans} retransmitted`,
      },
      {
        name: 'goodput per CPU s',
        value: +gbpsCpu.toFixed(2),
        unit: 'Gbit/s',
        note: 'bits per second of this process’s CPU time (user+sys): the one-core figure on a shared machine',
      },
      {
        name: 'memory/idle conn',
        value: Math.round(mem),
        unit: 'bytes',
        note: `V8 heap + ArrayBuffers per connection end with its Socket, ${nMem} connections, after GC`,
      },
      {
        name: `open+close ${nChurn}`,
        value: +churnS.toFixed(2),
        unit: 's',
        note: `${Math.round(nChurn / churnS)} connections/s through connect()/end()/'close'`,
      },
      linux,
    ];
    if (linux.value > 0) {
      figures.push({ name: 'ratio', value: +(gbps / linux.value).toFixed(3), unit: '×', note: 'goodput / Linux veth' });
    }
    return {
      figures,
      data: {
        loadavg: loadavg(),
        totalBytes: total,
        gbpsRuns: runs,
        gbpsCpuRuns: cpuRuns,
        gbps,
        gbpsCpu,
        bytesPerIdleConnEnd: mem,
        churnSeconds: churnS,
        linuxGbps: linux.value,
        ratio: linux.value > 0 ? gbps / linux.value : null,
      },
    };
  },
};
