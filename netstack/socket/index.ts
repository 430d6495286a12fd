/**
 * Sockets for one Stack in one call: TCP attached to IPv4, the Node-style `net` and `dgram` APIs and the BSD-like
 * descriptor API with epoll.
 *
 *     const { net, dgram, sockets } = attachSockets(stack, { lookup });
 *     net.createServer((s) => s.pipe(s)).listen(7);
 */
import type { Stack } from '../stack.ts';
import { attachTcp } from '../tcp/attach.ts';
import type { TcpStack } from '../tcp/stack.ts';
import type { TcpConfig } from '../tcp/types.ts';
import { SocketApi } from './bsd.ts';
import { type DgramApi, createDgram } from './dgram.ts';
import { type LookupFunction, type NetApi, createNet } from './net.ts';

export interface StackSockets {
  tcp: TcpStack;
  net: NetApi;
  dgram: DgramApi;
  sockets: SocketApi;
}

export function attachSockets(
  stack: Stack,
  opts: { tcp?: Partial<TcpConfig>; lookup?: LookupFunction } = {},
): StackSockets {
  const tcp = attachTcp(stack, opts.tcp);
  return {
    tcp,
    net: createNet(tcp, { lookup: opts.lookup }),
    dgram: createDgram(stack, { lookup: opts.lookup }),
    sockets: new SocketApi(tcp),
  };
}

export { createDgram, createNet, SocketApi };
export type { LookupFunction };
