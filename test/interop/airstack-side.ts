/**
 * airstack's side of interop tests: small clients on a Stack, the mirror of peers.ts (the kernel's side).
 */
import { randomBytes } from 'node:crypto';
import { parseIpv4 } from '../../netstack/inet/addr.ts';
import { errnoName } from '../../netstack/inet/errno.ts';
import type { Stack } from '../../netstack/stack.ts';
import type { UdpExchange } from './peers.ts';

/**
 * airstack sends one datagram per entry of `sizes` (random bytes) to dst:port, one at a time, and checks each echo
 * byte for byte. A datagram not echoed within `timeoutMs` counts as lost.
 */
export async function airstackUdpExchange(
  stack: Stack,
  dst: string,
  port: number,
  sizes: readonly number[],
  timeoutMs = 2000,
): Promise<UdpExchange> {
  const sock = stack.udpSocket();
  const addr = parseIpv4(dst);
  const res: UdpExchange = { sent: 0, echoed: 0, mismatched: 0, lost: 0, rtt_ms: [] };
  let waiting: ((d: Buffer | null) => void) | null = null;
  sock.onReadable = () => {
    for (let d = sock.recv(); d !== null; d = sock.recv()) {
      if (d.addr === addr && d.port === port && waiting) {
        const w = waiting;
        waiting = null;
        w(d.data);
      }
    }
  };
  try {
    for (const n of sizes) {
      const data = randomBytes(n);
      const t0 = stack.clock.now();
      const echoed = new Promise<Buffer | null>((resolve) => {
        waiting = resolve;
        stack.clock.setTimeout(() => {
          if (waiting === resolve) {
            waiting = null;
            resolve(null);
          }
        }, timeoutMs);
      });
      const rc = sock.sendTo(data, addr, port);
      if (rc < 0) throw new Error(`sendTo ${dst}:${port} (${n} bytes) failed: ${errnoName(rc)}`);
      res.sent++;
      const back = await echoed;
      if (back === null) res.lost++;
      else {
        res.rtt_ms.push(stack.clock.now() - t0);
        if (back.equals(data)) res.echoed++;
        else res.mismatched++;
      }
    }
  } finally {
    sock.close();
  }
  return res;
}
