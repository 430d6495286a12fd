/**
 * Sockets for one Stack in one import: the Node-style `net` and `dgram` APIs (also `stack.net`, `stack.dgram`),
 * the BSD-like descriptor API with epoll, and the Stack's TCP.
 *
 *     const { net, dgram, sockets } = attachSockets(stack, { lookup });
 *     net.createServer((s) => s.pipe(s)).listen(7);
 */
import type { Stack } from '../stack.ts';
import type { TcpStack } from '../tcp/stack.ts';
import { BsdSockets } from './bsd.ts';
import { createDgram, type DgramApi } from './dgram.ts';
import type { LookupFunction } from './lookup.ts';
import { createNet, type NetApi } from './net.ts';

export interface StackSockets {
  tcp: TcpStack;
  net: NetApi;
  dgram: DgramApi;
  sockets: BsdSockets;
}

/** The stack's socket APIs; `lookup` replaces the default name resolution of `net` and `dgram`. */
export function attachSockets(stack: Stack, opts: { lookup?: LookupFunction } = {}): StackSockets {
  if (opts.lookup !== undefined) stack.net.lookup = opts.lookup;
  return { tcp: stack.tcp, net: stack.net, dgram: stack.dgram, sockets: new BsdSockets(stack) };
}

export { BsdSockets, createDgram, createNet };
export type { LookupFunction };
