/**
 * The kernel's side of interop tests: its own tools, run inside a world's namespace. Each returns parsed results
 * so that tests assert on numbers, not on text.
 */
import { type NetnsWorld, waitForLine } from './harness.ts';

export interface PingResult {
  transmitted: number;
  received: number;
  /** Round-trip times in ms, one per reply. */
  rtts: number[];
  output: string;
}

/** The kernel pings `dst` (iputils ping): `size` bytes of ICMP payload, `count` echoes `intervalS` apart. */
export async function kernelPing(
  world: NetnsWorld,
  dst: string,
  opts: { count?: number; size?: number; intervalS?: number; waitS?: number } = {},
): Promise<PingResult> {
  const count = opts.count ?? 3;
  const args = ['ping', '-n', '-c', String(count), '-s', String(opts.size ?? 56), '-W', String(opts.waitS ?? 2)];
  args.push('-i', String(opts.intervalS ?? 0.05), dst);
  const r = await world.exec(args, { timeoutMs: 30_000 + count * 3000 });
  return parsePing(r.stdout + r.stderr);
}

export function parsePing(output: string): PingResult {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  const rtts = [...output.matchAll(/time=([\d.]+) ms/g)].map((x) => Number(x[1]));
  return { transmitted: m ? Number(m[1]) : 0, received: m ? Number(m[2]) : 0, rtts, output };
}

// A UDP echo server: binds, says 'ready <port>', echoes every datagram to its sender until killed.
const UDP_ECHO_PY = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', int(sys.argv[1])))
print('ready', s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(data, peer)
`;

/** A kernel UDP echo server on `port` inside the namespace. Resolves once it is bound. */
export async function kernelUdpEchoServer(world: NetnsWorld, port: number): Promise<{ stop(): void }> {
  const child = world.spawn(['python3', '-u', '-c', UDP_ECHO_PY, String(port)]);
  await waitForLine(child, /^ready \d+/);
  return { stop: () => child.kill('SIGKILL') };
}

// Sends datagrams of the given sizes one by one (distinct pseudo-random payloads), waits for each echo, reports JSON.
const UDP_CLIENT_PY = `
import json, os, socket, sys, time
dst, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
sizes = [int(x) for x in sys.argv[4].split(',')]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(timeout)
res = {'sent': 0, 'echoed': 0, 'mismatched': 0, 'lost': 0, 'rtt_ms': []}
for n in sizes:
    data = os.urandom(n)
    t = time.monotonic()
    s.sendto(data, (dst, port))
    res['sent'] += 1
    try:
        while True:
            back, peer = s.recvfrom(65535)
            if peer == (dst, port):
                break
    except socket.timeout:
        res['lost'] += 1
        continue
    res['rtt_ms'].append((time.monotonic() - t) * 1000)
    if back == data:
        res['echoed'] += 1
    else:
        res['mismatched'] += 1
print(json.dumps(res))
`;

export interface UdpExchange {
  sent: number;
  echoed: number;
  mismatched: number;
  lost: number;
  rtt_ms: number[];
}

/** The kernel sends one datagram per entry of `sizes` to dst:port and checks each echo byte for byte. */
export async function kernelUdpExchange(
  world: NetnsWorld,
  dst: string,
  port: number,
  sizes: readonly number[],
  timeoutS = 2,
): Promise<UdpExchange> {
  const r = await world.exec(['python3', '-c', UDP_CLIENT_PY, dst, String(port), String(timeoutS), sizes.join(',')], {
    timeoutMs: 10_000 + sizes.length * timeoutS * 1000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as UdpExchange;
  } catch {
    throw new Error(`UDP client failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
}
