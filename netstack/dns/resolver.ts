/**
 * A stub resolver on a Stack (A and AAAA), with Node's `dns.lookup` signature so that it plugs into
 * `net.connect({ lookup })`, `http.request({ lookup })` and undici:
 *
 *     const r = new Resolver({ stack });            // servers and search domain from resolvConf(stack) (DHCP)
 *     net.connect({ host: 'www.sim.test', port: 80, lookup: r.lookup });
 *     const addrs = await r.resolve4('www.sim.test');
 *
 * Order of resolution: IP literals; static hosts entries; the cache (positive answers for the smallest TTL of the
 * CNAME chain, NXDOMAIN/NODATA for the SOA minimum: RFC 2308); then queries. A query goes to each server in turn,
 * `attempts` rounds, the timeout doubling each round (c-ares's scheme); SERVFAIL, REFUSED and ICMP errors move on
 * to the next server. Ids come from the seeded rng and every query has its own socket (a random source port);
 * responses that do not answer the question are dropped and counted. A truncated response (TC) is asked again
 * over a stream (TCP) when a connector is given. CNAME chains are followed (within a response and by further
 * queries) up to `maxCnameDepth`, with loop detection.
 *
 * Errors carry Node's codes: `lookup` as getaddrinfo (ENOTFOUND for a name with no address, EAI_AGAIN for
 * temporary failures, with the precise reason in `dnsCode`), `resolve*` as c-ares (ENOTFOUND, ENODATA, ETIMEOUT,
 * ESERVFAIL, ECONNREFUSED, EREFUSED).
 */
import { isIP } from 'node:net';
import type { Clock } from '../core/clock.ts';
import type { Prng } from '../core/prng.ts';
import { logger } from '../core/log.ts';
import { parseIpv4 } from '../inet/addr.ts';
import type { Stack } from '../stack.ts';
import { type CacheEntry, DnsCache } from './cache.ts';
import { type DecodedPacket, FLAG_RD, FLAG_TC, Rcode, encodeDns, normName, rcodeOf } from './codec.ts';
import { HostsTable } from './hosts.ts';
import { resolvConf } from './resolv-conf.ts';
import {
  type DnsServerAddr,
  type DnsStreamConnector,
  type ExchangeResult,
  type TransportCounters,
  streamExchange,
  udpExchange,
} from './transport.ts';

const log = logger('dns');

export type LookupAddress = { address: string; family: 4 | 6 };
export type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address?: string | LookupAddress[],
  family?: number,
) => void;
type LookupOneCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;
type LookupAllCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/** dns.lookup's overloads, so the function is accepted where Node's or the stack's `net` want a lookup. */
export interface LookupFn {
  (hostname: string, options: LookupOptions & { all: true }, callback: LookupAllCallback): void;
  (hostname: string, options: LookupOptions | number, callback: LookupOneCallback): void;
  (hostname: string, callback: LookupOneCallback): void;
  (hostname: string, options: LookupOptions | number | undefined, callback: LookupCallback): void;
}

export interface LookupOptions {
  family?: number | 'IPv4' | 'IPv6';
  all?: boolean;
  hints?: number;
  verbatim?: boolean;
  order?: 'ipv4first' | 'ipv6first' | 'verbatim';
}

export interface ResolverOptions {
  stack: Stack;
  /** Name servers ('10.0.0.53', '10.0.0.53:5353', numbers); default: resolvConf(stack) at each query. */
  servers?: Array<string | number | { addr: string | number; port?: number }>;
  /** Search domains; default: resolvConf(stack).search. */
  search?: string[];
  /** Names with fewer dots than this try the search domains first (resolv.conf ndots, default 1). */
  ndots?: number;
  /** First-round timeout per server, doubled each round (default 2000 ms). GUESS: c-ares's default. */
  timeoutMs?: number;
  /** Rounds over the server list (default 3). GUESS: c-ares's default tries. */
  attempts?: number;
  /** Static entries: /etc/hosts text or { name: address(es) }. 'localhost' is always there. */
  hosts?: string | Record<string, string | string[]> | HostsTable;
  /** Cache entries (default 1000; 0 disables the cache). */
  cacheSize?: number;
  maxCnameDepth?: number;
  /** Streams for DNS over TCP after a truncated answer (the stack's TCP once merged, or node:net). */
  tcp?: DnsStreamConnector;
  rng?: Prng;
}

export interface ResolverCounters extends TransportCounters {
  lookups: number;
  hostsHits: number;
  nxdomain: number;
  nodata: number;
  servfail: number;
  refused: number;
  /** Responses with TC set. */
  truncated: number;
  /** TC responses used as they were (no stream connector). */
  truncatedUsed: number;
  cnameLoops: number;
  cnameTooDeep: number;
  /** Queries that gave up (every server, every round). */
  failures: number;
}

type Result =
  | { kind: 'answer'; addresses: string[]; canonical: string; ttl: number }
  | { kind: 'nxdomain' | 'nodata'; ttl: number }
  | { kind: 'error'; code: string; message?: string };

type RrType = 'A' | 'AAAA';
/** The fields of a resource record the resolver reads. */
type Rr = { type: string; name: string; ttl?: number; data: unknown };

/** getaddrinfo errno values Node reports (uv's EAI_*). */
const EAI_ERRNO: Record<string, number> = { ENOTFOUND: -3008, EAI_AGAIN: -3001, EAI_FAIL: -3004 };

export class Resolver {
  readonly counters: ResolverCounters = {
    udpQueries: 0,
    tcpQueries: 0,
    responses: 0,
    malformed: 0,
    mismatched: 0,
    timeouts: 0,
    errors: 0,
    lookups: 0,
    hostsHits: 0,
    nxdomain: 0,
    nodata: 0,
    servfail: 0,
    refused: 0,
    truncated: 0,
    truncatedUsed: 0,
    cnameLoops: 0,
    cnameTooDeep: 0,
    failures: 0,
  };
  readonly cache: DnsCache | null;
  readonly hosts: HostsTable;
  private readonly stack: Stack;
  private readonly clock: Clock;
  private readonly rng: Prng;
  private readonly fixedServers: DnsServerAddr[] | null;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly maxDepth: number;

  constructor(private readonly opts: ResolverOptions) {
    this.stack = opts.stack;
    this.clock = opts.stack.clock;
    this.rng = opts.rng ?? opts.stack.rng.fork('dns');
    this.fixedServers = opts.servers?.map(parseServer) ?? null;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.attempts = opts.attempts ?? 3;
    this.maxDepth = opts.maxCnameDepth ?? 8;
    const size = opts.cacheSize ?? 1000;
    this.cache = size > 0 ? new DnsCache(this.clock, size) : null;
    this.hosts = opts.hosts instanceof HostsTable ? opts.hosts : new HostsTable(opts.hosts ?? {});
    if (!this.hosts.has('localhost')) {
      this.hosts.add('localhost', '127.0.0.1');
      this.hosts.add('localhost', '::1');
    }
  }

  /** The servers a query goes to now. */
  servers(): DnsServerAddr[] {
    return this.fixedServers ?? resolvConf(this.stack).servers.map((addr) => ({ addr, port: 53 }));
  }

  private search(): string[] {
    return this.opts.search ?? resolvConf(this.stack).search;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Node-compatible API

  /** dns.lookup(hostname, [options], callback): bound, so it can be passed around as `lookup`. */
  readonly lookup: LookupFn = ((
    hostname: string,
    options: LookupOptions | number | LookupCallback | undefined,
    callback?: LookupCallback,
  ): void => {
    let cb = callback;
    let o: LookupOptions = {};
    if (typeof options === 'function') cb = options;
    else if (typeof options === 'number') o = { family: options };
    else if (options !== undefined && options !== null) o = options;
    if (cb === undefined) throw new TypeError('lookup: a callback is required');
    const done = cb;
    const family = o.family === 'IPv4' ? 4 : o.family === 'IPv6' ? 6 : Number(o.family ?? 0);
    if (family !== 0 && family !== 4 && family !== 6) {
      throw new TypeError(`lookup: options.family must be 0, 4 or 6 (got ${String(o.family)})`);
    }
    this.counters.lookups++;
    const finish = (err: NodeJS.ErrnoException | null, list: LookupAddress[]) => {
      this.clock.defer(() => {
        if (err) done(err);
        else if (o.all) done(null, list);
        else done(null, list[0]!.address, list[0]!.family);
      });
    };
    const lit = isIP(hostname);
    if (lit !== 0) {
      if (family !== 0 && family !== lit) finish(lookupError('ENOTFOUND', hostname), []);
      else finish(null, [{ address: hostname, family: lit as 4 | 6 }]);
      return;
    }
    const types: RrType[] = family === 4 ? ['A'] : family === 6 ? ['AAAA'] : ['A', 'AAAA'];
    const results: Result[] = [];
    let pending = types.length;
    types.forEach((t, i) => {
      this.resolveName(hostname, t, (r) => {
        results[i] = r;
        if (--pending > 0) return;
        const list: LookupAddress[] = [];
        const v6first = o.order === 'ipv6first';
        const ordered = v6first ? [...results].reverse() : results;
        const orderedTypes = v6first ? [...types].reverse() : types;
        ordered.forEach((x, j) => {
          if (x.kind === 'answer') {
            for (const a of x.addresses) list.push({ address: a, family: orderedTypes[j] === 'A' ? 4 : 6 });
          }
        });
        if (list.length > 0) return finish(null, list);
        const err = results.find((x) => x.kind === 'error') as { code: string; message?: string } | undefined;
        if (err) finish(lookupError('EAI_AGAIN', hostname, err.code), []);
        else finish(lookupError('ENOTFOUND', hostname, results[0]!.kind === 'nodata' ? 'ENODATA' : 'ENOTFOUND'), []);
      });
    });
  }) as LookupFn;

  /** dns.promises.resolve4: the A addresses of `name`. */
  resolve4(name: string): Promise<string[]> {
    return this.resolveType(name, 'A');
  }

  resolve6(name: string): Promise<string[]> {
    return this.resolveType(name, 'AAAA');
  }

  private resolveType(name: string, type: RrType): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.resolveName(name, type, (r) => {
        if (r.kind === 'answer') resolve(r.addresses);
        else if (r.kind === 'error') reject(caresError(r.code, name, type, r.message));
        else reject(caresError(r.kind === 'nxdomain' ? 'ENOTFOUND' : 'ENODATA', name, type));
      });
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Resolution

  /** Search-list expansion, then the chain for each candidate until one has an answer. */
  private resolveName(hostname: string, type: RrType, done: (r: Result) => void): void {
    const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
    const fixed = this.hosts.get(name, type === 'A' ? 4 : 6);
    if (fixed !== undefined) {
      this.counters.hostsHits++;
      done({ kind: 'answer', addresses: [...fixed], canonical: normName(name), ttl: 0 });
      return;
    }
    if (this.hosts.has(name)) {
      // The name is a static one, without an address of this family: no query for it either.
      this.counters.hostsHits++;
      done({ kind: 'nodata', ttl: 0 });
      return;
    }
    const cands = this.candidates(hostname);
    let i = 0;
    let last: Result = { kind: 'nxdomain', ttl: 0 };
    const next = () => {
      if (i >= cands.length) {
        done(last);
        return;
      }
      this.chain(cands[i++]!, type, 0, new Set(), Number.POSITIVE_INFINITY, (r) => {
        if (r.kind === 'answer' || r.kind === 'error') done(r);
        else {
          last = r;
          next();
        }
      });
    };
    next();
  }

  private candidates(hostname: string): string[] {
    if (hostname.endsWith('.')) return [normName(hostname)];
    const name = normName(hostname);
    const search = this.search().map((s) => `${name}.${normName(s)}`);
    const dots = name.split('.').length - 1;
    return dots >= (this.opts.ndots ?? 1) ? [name, ...search] : [...search, name];
  }

  /** Resolve `name` (cache, then a query), following CNAMEs. `ttl` is the smallest TTL of the chain so far. */
  private chain(
    name: string,
    type: RrType,
    depth: number,
    seen: Set<string>,
    ttl: number,
    done: (r: Result) => void,
  ): void {
    const hit = this.cache?.get(name, type);
    if (hit !== undefined) {
      const left = Math.max(0, (hit.expires - this.clock.now()) / 1000);
      if (hit.kind === 'answer') done({ ...hit, ttl: Math.min(ttl, left) });
      else done({ kind: hit.kind, ttl: Math.min(ttl, left) });
      return;
    }
    this.exchange(name, type, (res) => {
      if (!res.ok) {
        done({ kind: 'error', code: res.code });
        return;
      }
      const r = this.interpret(name, type, res.packet, depth, seen);
      if (r.kind === 'error') {
        done(r);
        return;
      }
      if (r.kind !== 'follow') {
        this.cacheResult(name, type, r, r.ttl);
        done({ ...r, ttl: Math.min(ttl, r.ttl) });
        return;
      }
      // The chain leads out of this response: ask for the target, and cache the whole chain under `name`.
      this.chain(r.target, type, r.depth, seen, Math.min(ttl, r.ttl), (rr) => {
        if (rr.kind !== 'error') this.cacheResult(name, type, rr, Math.min(r.ttl, rr.ttl));
        done(rr);
      });
    });
  }

  private cacheResult(name: string, type: RrType, r: Result, ttl: number): void {
    if (this.cache === null || r.kind === 'error') return;
    const entry: CacheEntry =
      r.kind === 'answer' ? { kind: 'answer', addresses: r.addresses, canonical: r.canonical } : { kind: r.kind };
    this.cache.put(name, type, entry, ttl);
  }

  /** What a response says about `name`/`type`: an answer, a negative, an error, or a CNAME to follow. */
  private interpret(
    qname: string,
    type: RrType,
    p: DecodedPacket,
    depth: number,
    seen: Set<string>,
  ): Result | { kind: 'follow'; target: string; ttl: number; depth: number } {
    const answers = (p.answers ?? []).filter((a) => a.type !== 'OPT') as Rr[];
    let cur = qname;
    let ttl = Number.POSITIVE_INFINITY;
    seen.add(cur);
    for (;;) {
      const recs = answers.filter((a) => a.type === type && normName(a.name) === cur);
      if (recs.length > 0) {
        for (const a of recs) ttl = Math.min(ttl, a.ttl ?? 0);
        return { kind: 'answer', addresses: recs.map((a) => String(a.data)), canonical: cur, ttl };
      }
      const cname = answers.find((a) => a.type === 'CNAME' && normName(a.name) === cur);
      if (cname === undefined) break;
      const target = normName(String(cname.data));
      ttl = Math.min(ttl, cname.ttl ?? 0);
      if (seen.has(target)) {
        this.counters.cnameLoops++;
        return { kind: 'error', code: 'ESERVFAIL', message: `CNAME loop at ${target}` };
      }
      if (++depth > this.maxDepth) {
        this.counters.cnameTooDeep++;
        return { kind: 'error', code: 'ESERVFAIL', message: `CNAME chain longer than ${this.maxDepth}` };
      }
      seen.add(target);
      cur = target;
    }
    const soa = (p.authorities ?? []).find((a) => a.type === 'SOA') as
      | { ttl?: number; data: { minimum?: number } }
      | undefined;
    const negTtl = soa !== undefined ? Math.min(soa.ttl ?? 0, soa.data.minimum ?? 0) : 0;
    if (rcodeOf(p) === Rcode.NXDOMAIN) {
      this.counters.nxdomain++;
      return { kind: 'nxdomain', ttl: Math.min(ttl, negTtl) };
    }
    if (cur !== qname && soa === undefined) return { kind: 'follow', target: cur, ttl, depth };
    this.counters.nodata++;
    return { kind: 'nodata', ttl: Math.min(ttl, negTtl) };
  }

  /** One question to the servers: rounds × servers until a usable response. */
  private exchange(name: string, type: RrType, done: (r: ExchangeResult) => void): void {
    const servers = this.servers();
    if (servers.length === 0) {
      this.counters.failures++;
      this.clock.defer(() => done({ ok: false, code: 'ECONNREFUSED' }));
      return;
    }
    let i = 0;
    let round = 0;
    let lastErr = 'ETIMEOUT';
    const next = () => {
      if (++i >= servers.length) {
        i = 0;
        if (++round >= this.attempts) {
          this.counters.failures++;
          log('%s %s: gave up (%s)', name, type, lastErr);
          done({ ok: false, code: lastErr });
          return;
        }
      }
      attempt();
    };
    const attempt = () => {
      const server = servers[i]!;
      const timeout = this.timeoutMs * 2 ** round;
      const id = this.rng.nextU32() & 0xffff;
      const q = { id, name, type };
      const wire = encodeDns({ type: 'query', id, flags: FLAG_RD, questions: [{ name, type, class: 'IN' }] });
      udpExchange(this.stack, server, wire, q, timeout, this.counters, (res) => {
        if (!res.ok) {
          lastErr = res.code;
          next();
          return;
        }
        if ((res.packet.flags ?? 0) & FLAG_TC) {
          this.counters.truncated++;
          const tcp = this.opts.tcp;
          if (tcp !== undefined) {
            streamExchange(this.clock, tcp, server, wire, q, timeout, this.counters, (r2) => {
              if (!r2.ok) {
                lastErr = r2.code;
                next();
              } else this.judge(r2, done, next, (c) => (lastErr = c));
            });
            return;
          }
          this.counters.truncatedUsed++;
        }
        this.judge(res, done, next, (c) => (lastErr = c));
      });
    };
    attempt();
  }

  /** Accept a response, or note why not and move to the next server. */
  private judge(
    res: ExchangeResult & { ok: true },
    done: (r: ExchangeResult) => void,
    next: () => void,
    setErr: (code: string) => void,
  ): void {
    const rc = rcodeOf(res.packet);
    if (rc === Rcode.NOERROR || rc === Rcode.NXDOMAIN) {
      done(res);
      return;
    }
    if (rc === Rcode.SERVFAIL) this.counters.servfail++;
    if (rc === Rcode.REFUSED) this.counters.refused++;
    setErr(
      rc === Rcode.SERVFAIL
        ? 'ESERVFAIL'
        : rc === Rcode.REFUSED
          ? 'EREFUSED'
          : rc === Rcode.NOTIMP
            ? 'ENOTIMP'
            : rc === Rcode.FORMERR
              ? 'EFORMERR'
              : 'EBADRESP',
    );
    next();
  }
}

function parseServer(s: string | number | { addr: string | number; port?: number }): DnsServerAddr {
  if (typeof s === 'number') return { addr: s >>> 0, port: 53 };
  if (typeof s === 'object')
    return { addr: typeof s.addr === 'number' ? s.addr : parseIpv4(s.addr), port: s.port ?? 53 };
  const m = /^([\d.]+)(?::(\d+))?$/.exec(s.trim());
  if (!m) throw new Error(`DNS server '${s}' is not A.B.C.D or A.B.C.D:PORT`);
  return { addr: parseIpv4(m[1]!), port: m[2] !== undefined ? Number(m[2]) : 53 };
}

/** An error as Node's dns.lookup gives it (getaddrinfo), with the resolver's reason in `dnsCode`. */
function lookupError(code: string, hostname: string, dnsCode = code): NodeJS.ErrnoException & { dnsCode: string } {
  const e = new Error(`getaddrinfo ${code} ${hostname}`) as NodeJS.ErrnoException & {
    dnsCode: string;
    hostname: string;
  };
  e.code = code;
  e.errno = EAI_ERRNO[code];
  e.syscall = 'getaddrinfo';
  e.hostname = hostname;
  e.dnsCode = dnsCode;
  return e;
}

/** An error as Node's dns.resolve* gives it (c-ares). */
function caresError(code: string, name: string, type: string, message?: string): NodeJS.ErrnoException {
  const e = new Error(`query${type} ${code} ${name}${message ? ` (${message})` : ''}`) as NodeJS.ErrnoException & {
    hostname: string;
  };
  e.code = code;
  e.syscall = `query${type}`;
  e.hostname = name;
  return e;
}
