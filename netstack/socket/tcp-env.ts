/**
 * The glue between the TCP core and a Stack's IPv4 (Linux's tcp_prot hooked into inet_protosw): the TcpEnv that
 * TcpStack needs, built from the stack's clock, randomness, routing table and ip_queue_xmit.
 */
import type { Clock } from '../core/clock.ts';
import type { Prng } from '../core/prng.ts';
import type { SkBuff } from '../core/skb.ts';
import type { Ipv4TxOptions } from '../inet/protocol.ts';
import type { Ipv4 } from '../ipv4/ipv4.ts';
import type { TcpEnv, TcpRoute } from '../tcp/types.ts';

export function tcpEnv(ipv4: Ipv4, clock: Clock, rng: Prng): TcpEnv {
  return {
    clock,
    rng,
    output(skb: SkBuff, opts: Ipv4TxOptions): void {
      // Errors (no route, full device queue) are losses to TCP: its retransmission timer covers them.
      ipv4.queueXmit(skb, opts);
    },
    route(dst: number, src?: number): TcpRoute | null {
      const rt = ipv4.routeOutput(dst, src ?? 0);
      if (rt === null) return null;
      return { src: rt.src, mtu: rt.mtu, dev: rt.dev };
    },
    isLocalAddr: (addr: number) => ipv4.isLocal(addr),
  };
}
