/**
 * A stack's resolver configuration, the /etc/resolv.conf of one host: name servers and search domains. The DHCP
 * client writes it from its lease (and clears what it wrote when the lease ends); a Resolver created without
 * explicit servers reads it at each query, so it follows the lease.
 */
import type { Stack } from '../stack.ts';

export interface ResolvConf {
  /** IPv4 name servers, in order of preference. */
  servers: number[];
  /** Search domains for single-label names (`search` / `domain`). */
  search: string[];
  /** Who set it ('dhcp eth0', 'static'...). */
  source: string;
}

const confs = new WeakMap<Stack, ResolvConf>();

/** The stack's resolver configuration (created empty on first use). */
export function resolvConf(stack: Stack): ResolvConf {
  let c = confs.get(stack);
  if (c === undefined) confs.set(stack, (c = { servers: [], search: [], source: '' }));
  return c;
}
