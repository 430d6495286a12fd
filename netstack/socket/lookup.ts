/**
 * Name lookup for the socket layers, with Node's `dns.lookup` signature so that any Node-style resolver plugs in
 * (`lookup` option of connect, or NetApi's default). Without a resolver, IP literals and 'localhost' resolve and
 * every other name fails with Node's ENOTFOUND, saying why.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { resolvConf } from '../dns/resolv-conf.ts';
import { Resolver } from '../dns/resolver.ts';
import { tryParseIpv4 } from '../inet/addr.ts';
import type { Stack } from '../stack.ts';
import { notFoundError } from './errors.ts';

export type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup's shape: (hostname, options, callback(err, address, family)), or all addresses with `all: true`. */
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** 0 when `s` is not an IP address, 4 for dotted-quad IPv4, 6 for (something that looks like) IPv6. */
export function ipFamily(s: string): 0 | 4 | 6 {
  if (tryParseIpv4(s) !== null && /^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return 4;
  if (s.includes(':') && /^[0-9a-fA-F:.]+(%.+)?$/.test(s)) return 6;
  return 0;
}

/**
 * The default lookup of a stack's sockets: literals at once; other names through a DNS resolver on the stack itself
 * once it has name servers (resolvConf: the DHCP lease fills it), with DNS over the stack's TCP after a truncated
 * answer; Node's ENOTFOUND, saying why, while it has none.
 */
export function stackLookup(stack: Stack): LookupFunction {
  let resolver: Resolver | null = null;
  return (hostname, options, callback) => {
    if (ipFamily(hostname) !== 0 || hostname === 'localhost' || hostname === '') {
      literalLookup(hostname, options, callback);
      return;
    }
    if (resolvConf(stack).servers.length === 0) {
      process.nextTick(() => callback(notFoundError(hostname, 'no DNS server configured on this stack'), ''));
      return;
    }
    resolver ??= new Resolver({ stack, tcp: (addr, port) => stack.net.connect(port, addr) });
    resolver.lookup(hostname, options, callback as Parameters<Resolver['lookup']>[2]);
  };
}

/** The lookup used when none is given: literals only. */
export const literalLookup: LookupFunction = (hostname, options, callback) => {
  const opts = typeof options === 'object' && options !== null ? options : {};
  let address: string | null = null;
  if (ipFamily(hostname) === 4) address = hostname;
  else if (hostname === 'localhost' || hostname === '') address = '127.0.0.1';
  process.nextTick(() => {
    if (address === null) {
      callback(notFoundError(hostname, 'no DNS resolver configured: use an IP address or pass a lookup function'), '');
    } else if (opts.all) {
      callback(null, [{ address, family: 4 }]);
    } else {
      callback(null, address, 4);
    }
  });
};

/** Call `lookup` for one IPv4 address; `done(err, address)`. */
export function lookupIpv4(
  lookup: LookupFunction,
  hostname: string,
  done: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  lookup(hostname, { family: 4, hints: 0 }, (err, address, family) => {
    if (err) return done(err, '', 0);
    if (Array.isArray(address)) {
      const first = address.find((a) => a.family === 4) ?? address[0];
      return done(null, first?.address ?? '', first?.family ?? 0);
    }
    done(null, address, family ?? ipFamily(address));
  });
}
