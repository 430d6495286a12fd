/**
 * Measures the TAP link (a benchmark, not a test): frames per second from the kernel into the stack's backlog,
 * frames per second written to the kernel, CPU per frame, and the kernel's ping RTT to a raw-frame responder, for
 * each backend. Run as root: `npx tsx test/interop/tap-bench.ts [seconds]`. Prints a table and one JSON line.
 *
 * The kernel-side sender is a python3 loop, so on a small machine the RX figure may be the sender's limit; the
 * kernel's TX drop counter on the TAP says whether frames were offered faster than we read them.
 */
import { RealClock } from '../../netstack/core/clock.ts';
import { NetCore } from '../../netstack/core/netdevice.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import type { TapDevice, TapOptions } from '../../netstack/link/tap.ts';
import { ip } from '../../netstack/link/tap/iproute.ts';
import { interopBlocker, NetnsWorld } from './harness.ts';
import { kernelPing } from './peers.ts';
import { formatMac } from '../../netstack/inet/addr.ts';
import { arpFrame, echoRequestToReply, parseArp } from './rawframes.ts';

const seconds = Number(process.argv[2] ?? 2);

const BLAST_PY = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
d = b'x' * int(sys.argv[2]); end = time.monotonic() + float(sys.argv[3]); n = 0
while time.monotonic() < end:
    for _ in range(200):
        try:
            s.sendto(d, (sys.argv[1], 9)); n += 1
        except OSError:
            pass
print(n)
`;

function kernelCounters(world: NetnsWorld): { rxPackets: number; txPackets: number; txDropped: number } {
  const j = JSON.parse(ip(['-s', '-j', 'link', 'show', 'dev', world.tapName], world.ns)) as Array<{
    stats64: { rx: { packets: number }; tx: { packets: number; dropped: number } };
  }>;
  const s = j[0]!.stats64;
  return { rxPackets: s.rx.packets, txPackets: s.tx.packets, txDropped: s.tx.dropped };
}

/** The kernel blasts 18-byte UDP datagrams (60-byte frames) at airstack for `seconds`; returns what it cost us. */
async function blast(world: NetnsWorld) {
  const k0 = kernelCounters(world);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await world.exec(['python3', '-c', BLAST_PY, world.airstackIp, '18', String(seconds)]);
  await new Promise((r) => setTimeout(r, 50));
  return { k0, k1: kernelCounters(world), secs: (performance.now() - t0) / 1000, cpu: process.cpuUsage(cpu0) };
}

function responder(dev: TapDevice, clock: RealClock, myIp: string): NetCore {
  const core = new NetCore(clock);
  core.register(dev);
  dev.open();
  core.addTap({
    dev,
    dir: 'rx',
    fn: (skb) => {
      const f = skb.bytes();
      const arp = parseArp(f);
      if (arp && arp.op === 1 && arp.targetIp === myIp) {
        dev.devQueueXmit(SkBuff.fromBytes(arpFrame(2, dev.addr, myIp, arp.senderMac, arp.senderIp)));
      } else if (f.length > 34 && f[23] === 1) {
        const c = skb.copyBytes();
        if (echoRequestToReply(c, dev.addr, myIp)) dev.devQueueXmit(SkBuff.fromBytes(c));
      }
    },
  });
  return core;
}

async function measure(title: string, opts: Partial<TapOptions>) {
  const clock = new RealClock();
  const world = await NetnsWorld.create();
  try {
    const dev = await world.attachTap(clock, opts);
    responder(dev, clock, world.airstackIp);
    ip(['neigh', 'replace', world.airstackIp, 'lladdr', formatMac(dev.addr), 'dev', world.tapName], world.ns);

    // Ping RTT (also warms up).
    const ping = await kernelPing(world, world.airstackIp, { count: 20, intervalS: 0.01 });
    const rtts = ping.rtts.slice().sort((a, b) => a - b);

    const rx0 = dev.counters.rxFrames;
    const { k0, k1, secs: rxSecs, cpu: rxCpu } = await blast(world);
    const rxFrames = dev.counters.rxFrames - rx0;

    // TX: we write 60-byte broadcast frames of an unused EtherType as fast as the link takes them.
    const frame = Buffer.alloc(60, 0);
    frame.fill(0xff, 0, 6);
    frame.set(dev.addr, 6);
    frame.writeUInt16BE(0x88b5, 12); // IEEE local experimental
    const tx0 = dev.counters.txFrames;
    const cpu1 = process.cpuUsage();
    const t1 = performance.now();
    const end = t1 + seconds * 1000;
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (performance.now() < end) {
          for (let i = 0; i < 256; i++) {
            if (dev.txQueueFull) {
              dev.onTxSpace(pump);
              return;
            }
            dev.devQueueXmit(SkBuff.fromBytes(frame, 0));
          }
          if (dev.queueIsStopped) {
            dev.onTxSpace(pump);
            return;
          }
          setImmediate(pump); // let completions (socat) and the loop run
          return;
        }
        resolve();
      };
      pump();
    });
    await new Promise((r) => setTimeout(r, 100));
    const txSecs = (performance.now() - t1) / 1000;
    const txCpu = process.cpuUsage(cpu1);
    const txFrames = dev.counters.txFrames - tx0;
    const k2 = kernelCounters(world);

    return {
      backend: title,
      pingAvgMs: rtts.reduce((a, b) => a + b, 0) / Math.max(1, rtts.length),
      pingMedianMs: rtts[rtts.length >> 1] ?? Number.NaN,
      rxFramesPerSec: Math.round(rxFrames / rxSecs),
      rxCpuUsPerFrame: (rxCpu.user + rxCpu.system) / Math.max(1, rxFrames),
      rxKernelOffered: k1.txPackets + k1.txDropped - k0.txPackets - k0.txDropped,
      rxKernelDropped: k1.txDropped - k0.txDropped,
      txFramesPerSec: Math.round(txFrames / txSecs),
      txCpuUsPerFrame: (txCpu.user + txCpu.system) / Math.max(1, txFrames),
      txKernelReceived: k2.rxPackets - k1.rxPackets,
    };
  } finally {
    await world.destroy();
  }
}

/** The whole stack on the TAP (fd backend, default reader): ping RTT both ways, UDP datagrams/s into a socket. */
async function measureStack() {
  const clock = new RealClock();
  const world = await NetnsWorld.create();
  try {
    const { stack, dev } = await world.attachStack(clock);
    const sock = stack.udpSocket();
    sock.bind(0, 9);
    let datagrams = 0;
    sock.onReadable = () => {
      while (sock.recv() !== null) datagrams++;
    };
    const kping = await kernelPing(world, world.airstackIp, { count: 20, intervalS: 0.01 });
    const aping = await stack.ping(world.kernelIp, { count: 20, interval: 10 });
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
    const { k0, k1, secs, cpu } = await blast(world);
    sock.close();
    return {
      kernelPingMedianMs: median(kping.rtts),
      airstackPingMedianMs: median(aping.rtts),
      udpDatagramsPerSec: Math.round(datagrams / secs),
      udpCpuUsPerDatagram: (cpu.user + cpu.system) / Math.max(1, datagrams),
      kernelOffered: k1.txPackets + k1.txDropped - k0.txPackets - k0.txDropped,
      kernelDropped: k1.txDropped - k0.txDropped,
      softnetDropped: dev.softnet.dropped,
      rcvbufErrors: stack.snmp().Udp.RcvbufErrors,
    };
  } finally {
    await world.destroy();
  }
}

const blocker = interopBlocker(['python3', 'ping']);
if (blocker) {
  console.error(`tap-bench: cannot run: ${blocker}`);
  process.exit(1);
}
const results = [];
results.push(await measure('fd/epoll', { backend: 'fd', reader: 'epoll' }));
results.push(await measure('fd/poll', { backend: 'fd', reader: 'poll' }));
results.push(await measure('socat', { backend: 'socat' }));
console.table(
  results.map((r) => ({
    backend: r.backend,
    'ping avg ms': r.pingAvgMs.toFixed(3),
    'ping median ms': r.pingMedianMs.toFixed(3),
    'rx frames/s': r.rxFramesPerSec,
    'rx µs CPU/frame': r.rxCpuUsPerFrame.toFixed(2),
    'rx kernel drops': r.rxKernelDropped,
    'tx frames/s': r.txFramesPerSec,
    'tx µs CPU/frame': r.txCpuUsPerFrame.toFixed(2),
    'tx kernel got': r.txKernelReceived,
  })),
);
const stackResult = await measureStack();
console.log('Stack on the TAP (fd, default reader):');
console.table([stackResult]);
console.log(JSON.stringify({ seconds, results, stack: stackResult }));
