/**
 * Plug a TcpStack into a Stack (the glue between the TCP core and the IPv4 layer): output through ip_queue_xmit,
 * routes from the FIB (with the path-MTU cache), local addresses for bind checks, counters in stack.snmp() as the
 * "Tcp" and "TcpExt" sections.
 */
import { IPPROTO_TCP } from '../inet/protocol.ts';
import type { Stack } from '../stack.ts';
import { mibSnapshot } from './mib.ts';
import { TcpStack } from './stack.ts';
import type { TcpConfig } from './types.ts';

export function attachTcp(stack: Stack, config: Partial<TcpConfig> = {}): TcpStack {
  const ipv4 = stack.ipv4;
  // A Stack attaches its own TCP when it is built (stack.tcp): hand that one out to callers that attach again.
  const existing = ipv4.protocol(IPPROTO_TCP);
  if (existing instanceof TcpStack) {
    if (Object.keys(config).length > 0) {
      throw new Error(`${stack.name} already has TCP: give its configuration as new Stack({ tcp: ... })`);
    }
    return existing;
  }
  const tcp = new TcpStack(
    {
      clock: stack.clock,
      rng: stack.rng.fork('tcp'),
      output(skb, opts) {
        // Errors (no route, no buffer) are losses to TCP: its retransmission timer covers them.
        ipv4.queueXmit(skb, opts);
      },
      route(dst, src) {
        const r = ipv4.routeOutput(dst, src ?? 0);
        return r === null ? null : { src: r.src, mtu: r.mtu, dev: r.dev };
      },
      isLocalAddr: (a) => ipv4.isLocal(a),
    },
    config,
  );
  stack.addProtocol(tcp);
  stack.addSnmpSection('Tcp', () => mibSnapshot(tcp.mib));
  stack.addSnmpSection('TcpExt', () => mibSnapshot(tcp.ext));
  return tcp;
}
