/**
 * A small authoritative DNS server for the simulated network (RFC 1034 §4.3.2, RFC 1035, RFC 2308): zones of
 * A, AAAA, CNAME, TXT, MX, NS and SOA records. Answers with AA set; follows a CNAME chain within the zone of the
 * question, as NSD does (stopping at a loop, or at a target in another zone, which the resolver then asks for); NODATA and NXDOMAIN carry the zone's
 * SOA in the authority section with TTL min(SOA TTL, minimum) so resolvers can cache them (RFC 2308 §3). Names
 * outside every zone are REFUSED (no recursion).
 *
 * Size: over UDP a response larger than 512 bytes — or than the EDNS payload size the query offers, capped at
 * 1232 — goes out with TC set and only the question (RFC 2181 §9 allows dropping whole sections), so the resolver
 * asks again over TCP; `serveStream()` answers over any byte stream (the stack's TCP once merged, or a Duplex) with
 * RFC 1035 §4.2.2 length prefixes and no truncation.
 *
 * Malformed queries are dropped and counted, never answered from garbage.
 */
import type { Stack } from '../stack.ts';
import { logger } from '../core/log.ts';
import { parseIpv4 } from '../inet/addr.ts';
import { errnoName } from '../inet/errno.ts';
import type { UdpSocket } from '../udp/socket.ts';
import {
  type Answer,
  type DecodedPacket,
  DNS_PORT,
  DNS_UDP_MAX,
  FLAG_AA,
  FLAG_RD,
  FLAG_TC,
  type Packet,
  Rcode,
  decodeDns,
  encodeDns,
  normName,
} from './codec.ts';
import { type DnsStream, frameMessage, readFramedMessages } from './transport.ts';

const log = logger('dnsd');

export type ZoneRecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'MX' | 'NS';

export interface ZoneRecord {
  /** '@' for the zone's origin; a name not ending in the origin is relative to it. */
  name: string;
  type: ZoneRecordType;
  /** Address, target name, text, or { preference, exchange } for MX. */
  data: string | string[] | { preference: number; exchange: string };
  ttl?: number;
}

export interface ZoneOptions {
  origin: string;
  /** Default TTL of the records (default 300 s). */
  ttl?: number;
  /** SOA fields (defaults: ns1.<origin>, hostmaster.<origin>, serial 1, minimum 60 s). */
  soa?: {
    mname?: string;
    rname?: string;
    serial?: number;
    refresh?: number;
    retry?: number;
    expire?: number;
    minimum?: number;
  };
  records: ZoneRecord[];
}

export interface DnsServerOptions {
  zones: ZoneOptions[];
  /** UDP port (default 53). */
  port?: number;
  /** Local address to bind (default any). */
  addr?: string;
  /** Largest UDP response with EDNS (default 1232, the DNS flag day 2020 value). */
  ednsMax?: number;
}

export interface DnsServerCounters {
  queries: number;
  tcpQueries: number;
  answers: number;
  nxdomain: number;
  nodata: number;
  refused: number;
  formerr: number;
  notimp: number;
  truncated: number;
  /** Not decodable, or a response instead of a query: dropped. */
  malformed: number;
  sendErrors: number;
}

type Rr = { name: string; type: string; ttl: number; class?: string; data: unknown };

interface Zone {
  origin: string;
  soa: Rr;
  /** Records by owner name. */
  names: Map<string, Rr[]>;
}

const MAX_CHAIN = 8;

export class DnsServer {
  readonly counters: DnsServerCounters = {
    queries: 0,
    tcpQueries: 0,
    answers: 0,
    nxdomain: 0,
    nodata: 0,
    refused: 0,
    formerr: 0,
    notimp: 0,
    truncated: 0,
    malformed: 0,
    sendErrors: 0,
  };
  private readonly zones: Zone[];
  private readonly sock: UdpSocket;
  private readonly ednsMax: number;

  /** Throws a person-readable error for a bad zone or a port that cannot be bound. */
  constructor(
    readonly stack: Stack,
    opts: DnsServerOptions,
  ) {
    this.zones = opts.zones.map(buildZone).sort((a, b) => b.origin.length - a.origin.length);
    this.ednsMax = opts.ednsMax ?? 1232;
    const s = stack.udpSocket();
    const rc = s.bind(opts.addr !== undefined ? parseIpv4(opts.addr) : 0, opts.port ?? DNS_PORT);
    if (rc < 0) throw new Error(`DNS server: cannot bind UDP port ${opts.port ?? DNS_PORT} (${errnoName(rc)})`);
    s.onReadable = () => {
      for (let d = s.recv(); d !== null; d = s.recv()) {
        const reply = this.handle(d.data, 'udp');
        if (reply === null) continue;
        if (s.sendTo(reply, d.addr, d.port) < 0) this.counters.sendErrors++;
      }
    };
    this.sock = s;
  }

  close(): void {
    this.sock.close();
  }

  /** Answer the queries arriving on a stream (one TCP connection), until it closes. */
  serveStream(stream: DnsStream): void {
    readFramedMessages(stream, (msg) => {
      const reply = this.handle(msg, 'tcp');
      if (reply !== null) stream.write(frameMessage(reply));
    });
    stream.on('error', () => stream.destroy());
    stream.on('end', () => stream.end());
  }

  /** The response to one query message (null: drop it). */
  handle(msg: Uint8Array, transport: 'udp' | 'tcp'): Buffer | null {
    const c = this.counters;
    const q = decodeDns(msg);
    if (q === null || q.type !== 'query') {
      c.malformed++;
      return null;
    }
    c.queries++;
    if (transport === 'tcp') c.tcpQueries++;
    const opt = (q.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    const base: Packet = {
      type: 'response',
      id: q.id,
      flags: (q.flags ?? 0) & FLAG_RD,
      questions: q.questions,
      answers: [],
      authorities: [],
      additionals: opt ? [{ type: 'OPT', name: '.', udpPayloadSize: this.ednsMax } as Answer] : [],
    };
    const resp = this.answer(q, base);
    const out = encodeDns(resp);
    if (transport === 'udp') {
      const limit = opt
        ? Math.max(DNS_UDP_MAX, Math.min(opt.udpPayloadSize ?? DNS_UDP_MAX, this.ednsMax))
        : DNS_UDP_MAX;
      if (out.length > limit) {
        c.truncated++;
        return encodeDns({
          ...resp,
          flags: (resp.flags ?? 0) | FLAG_TC,
          answers: [],
          authorities: [],
          additionals: base.additionals,
        });
      }
    }
    return out;
  }

  private answer(q: DecodedPacket, r: Packet): Packet {
    const c = this.counters;
    const rcode = (code: Rcode): Packet => ({ ...r, flags: (r.flags ?? 0) | code });
    if (((q.flags ?? 0) >> 11) & 0xf) {
      c.notimp++;
      return rcode(Rcode.NOTIMP);
    }
    const question = q.questions?.[0];
    if (q.questions?.length !== 1 || question === undefined) {
      c.formerr++;
      return rcode(Rcode.FORMERR);
    }
    const qtype = question.type as string;
    if ((question.class ?? 'IN') !== 'IN') {
      c.refused++;
      return rcode(Rcode.REFUSED);
    }
    let cur = normName(question.name);
    const zone = this.zoneOf(cur);
    if (zone === undefined) {
      c.refused++;
      return rcode(Rcode.REFUSED);
    }
    const answers: Rr[] = [];
    const seen = new Set<string>([cur]);
    for (let i = 0; i <= MAX_CHAIN; i++) {
      const recs = zone.names.get(cur) ?? [];
      const match = recs.filter((x) => x.type === qtype || (qtype === 'ANY' && x.type !== 'CNAME'));
      if (match.length > 0) {
        answers.push(...match);
        break;
      }
      const cname = recs.find((x) => x.type === 'CNAME');
      if (cname !== undefined && qtype !== 'CNAME') {
        answers.push(cname);
        const target = normName(String(cname.data));
        // A loop, or a target in another zone: stop here and let the resolver go on.
        if (seen.has(target) || this.zoneOf(target) !== zone) break;
        seen.add(target);
        cur = target;
        continue;
      }
      // Nothing for this type at `cur`: NODATA when the name exists (or has names below it), else NXDOMAIN.
      const auth = { ...zone.soa, ttl: Math.min(zone.soa.ttl, (zone.soa.data as { minimum: number }).minimum) };
      const exists = recs.length > 0 || this.hasBelow(zone, cur);
      if (exists) c.nodata++;
      else c.nxdomain++;
      return {
        ...r,
        flags: (r.flags ?? 0) | FLAG_AA | (exists ? Rcode.NOERROR : Rcode.NXDOMAIN),
        answers: answers as unknown as Answer[],
        authorities: [auth as unknown as Answer],
      };
    }
    c.answers++;
    log('%s %s: %d records', question.name, qtype, answers.length);
    return { ...r, flags: (r.flags ?? 0) | FLAG_AA, answers: answers as unknown as Answer[] };
  }

  private zoneOf(name: string): Zone | undefined {
    return this.zones.find((z) => name === z.origin || name.endsWith(`.${z.origin}`));
  }

  private hasBelow(zone: Zone, name: string): boolean {
    for (const n of zone.names.keys()) if (n.endsWith(`.${name}`)) return true;
    return false;
  }
}

function buildZone(z: ZoneOptions): Zone {
  const origin = normName(z.origin);
  if (origin === '') throw new Error('a DNS zone needs an origin (e.g. sim.test)');
  const ttl = z.ttl ?? 300;
  const abs = (n: string): string => {
    const x = normName(n);
    if (x === '@' || x === '') return origin;
    return x === origin || x.endsWith(`.${origin}`) || n.endsWith('.') ? x : `${x}.${origin}`;
  };
  const soaData = {
    mname: abs(z.soa?.mname ?? 'ns1'),
    rname: abs(z.soa?.rname ?? 'hostmaster'),
    serial: z.soa?.serial ?? 1,
    refresh: z.soa?.refresh ?? 3600,
    retry: z.soa?.retry ?? 600,
    expire: z.soa?.expire ?? 86_400,
    minimum: z.soa?.minimum ?? 60,
  };
  const soa = { type: 'SOA', name: origin, ttl, class: 'IN', data: soaData } as unknown as Rr;
  const names = new Map<string, Rr[]>();
  const add = (rr: Rr) => {
    const list = names.get(rr.name) ?? [];
    list.push(rr);
    names.set(rr.name, list);
  };
  add(soa);
  let hasNs = false;
  for (const rec of z.records) {
    const name = abs(rec.name);
    const datas = Array.isArray(rec.data) ? rec.data : [rec.data];
    for (const d of datas) {
      let data: unknown = d;
      if (rec.type === 'A' && (typeof d !== 'string' || !/^\d+\.\d+\.\d+\.\d+$/.test(d))) {
        throw new Error(`zone ${origin}: A record for ${name} needs an IPv4 address, not '${String(d)}'`);
      }
      if ((rec.type === 'CNAME' || rec.type === 'NS') && typeof d === 'string') data = abs(d);
      if (rec.type === 'CNAME' && (names.get(name)?.length ?? 0) > 0) {
        throw new Error(`zone ${origin}: ${name} has a CNAME and other records (RFC 1034 §3.6.2)`);
      }
      if (rec.type === 'NS' && name === origin) hasNs = true;
      add({ type: rec.type, name, ttl: rec.ttl ?? ttl, class: 'IN', data } as unknown as Rr);
    }
  }
  if (!hasNs) add({ type: 'NS', name: origin, ttl, class: 'IN', data: soaData.mname } as unknown as Rr);
  return { origin, soa, names };
}
