/**
 * One DNS question/answer exchange with one server, over UDP (a fresh socket per query: a random source port from
 * the stack's port allocator, connected to the server so only its datagrams and ICMP errors reach us) or over a
 * byte stream (TCP, RFC 1035 §4.2.2: each message prefixed by its 16-bit length; RFC 7766).
 *
 * The stream side only needs what a Node `net.Socket` offers, so the stack's TCP sockets (once merged) or any
 * Duplex plug in through a `DnsStreamConnector`.
 */
import type { Clock } from '../core/clock.ts';
import { formatIpv4 } from '../inet/addr.ts';
import { errnoName } from '../inet/errno.ts';
import type { Stack } from '../stack.ts';
import { type DecodedPacket, decodeDns, normName } from './codec.ts';

export interface DnsServerAddr {
  addr: number;
  port: number;
}

/** The part of a Node `net.Socket` a DNS-over-TCP exchange uses. */
export interface DnsStream {
  write(b: Uint8Array): unknown;
  end(): unknown;
  destroy(): unknown;
  on(ev: 'data', fn: (b: Buffer) => void): unknown;
  on(ev: 'error', fn: (e: Error) => void): unknown;
  on(ev: 'close' | 'end', fn: () => void): unknown;
}

/** Opens a stream to addr:port (e.g. `(a, p) => stack.net.connect(p, a)` once TCP is there, or node:net). */
export type DnsStreamConnector = (addr: string, port: number) => DnsStream;

export interface TransportCounters {
  udpQueries: number;
  tcpQueries: number;
  responses: number;
  /** Not a DNS message. */
  malformed: number;
  /** A DNS message that does not answer our question (id, QR, question). */
  mismatched: number;
  timeouts: number;
  /** ICMP errors (port unreachable → ECONNREFUSED...) and send failures. */
  errors: number;
}

export type ExchangeResult = { ok: true; packet: DecodedPacket; size: number } | { ok: false; code: string };

/** True when `r` answers `q`: same id, a response, and the same single question (names case-insensitive). */
export function answersQuery(q: { id: number; name: string; type: string }, r: DecodedPacket): boolean {
  if (r.id !== q.id || r.type !== 'response') return false;
  const rq = r.questions?.[0];
  if (r.questions?.length !== 1 || rq === undefined) return false;
  return normName(rq.name) === normName(q.name) && rq.type === q.type && (rq.class ?? 'IN') === 'IN';
}

/** Decode and check a message that arrived for question `q`: the response, or null (counted). */
function accept(
  c: TransportCounters,
  q: { id: number; name: string; type: string },
  b: Uint8Array,
): DecodedPacket | null {
  const p = decodeDns(b);
  if (p === null) {
    c.malformed++;
    return null;
  }
  if (!answersQuery(q, p)) {
    c.mismatched++;
    return null;
  }
  c.responses++;
  return p;
}

/** RFC 1035 §4.2.2: on a stream, a message is preceded by its length (16 bits). */
export function frameMessage(msg: Uint8Array): Buffer {
  const framed = Buffer.alloc(2 + msg.length);
  framed.writeUInt16BE(msg.length, 0);
  framed.set(msg, 2);
  return framed;
}

/** Call `fn` with each length-prefixed message arriving on `stream`. */
export function readFramedMessages(stream: DnsStream, fn: (msg: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  stream.on('data', (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) return;
      const msg = buf.subarray(2, 2 + len);
      buf = buf.subarray(2 + len);
      fn(msg);
    }
  });
}

/** Send `query` (already encoded, id inside) to `server` over UDP; `done` once with the matching response or why not. */
export function udpExchange(
  stack: Stack,
  server: DnsServerAddr,
  query: Buffer,
  q: { id: number; name: string; type: string },
  timeoutMs: number,
  c: TransportCounters,
  done: (r: ExchangeResult) => void,
): () => void {
  const sock = stack.udpSocket();
  let finished = false;
  const timer = stack.clock.timer(() => finish({ ok: false, code: 'ETIMEOUT' }, 'timeouts'));
  const finish = (r: ExchangeResult, counter?: keyof TransportCounters) => {
    if (finished) return;
    finished = true;
    if (counter) c[counter]++;
    timer.cancel();
    sock.close();
    done(r);
  };
  c.udpQueries++;
  let rc = sock.connect(server.addr, server.port);
  if (rc >= 0) rc = sock.send(query);
  if (rc < 0) {
    const code = errnoName(rc);
    stack.clock.defer(() => finish({ ok: false, code }, 'errors'));
    return () => finish({ ok: false, code: 'ECANCELLED' });
  }
  sock.onError = (e) => finish({ ok: false, code: e.code }, 'errors');
  sock.onReadable = () => {
    for (let d = sock.recv(); d !== null; d = sock.recv()) {
      const p = accept(c, q, d.data);
      if (p !== null) {
        finish({ ok: true, packet: p, size: d.data.length });
        return;
      }
    }
    // A pending ICMP error surfaces as a read error on a connected socket.
    const err = sock.getError();
    if (err < 0) finish({ ok: false, code: errnoName(err) }, 'errors');
  };
  timer.mod(timeoutMs);
  return () => finish({ ok: false, code: 'ECANCELLED' });
}

/** The same over a stream: length-prefixed query, length-prefixed response. */
export function streamExchange(
  clock: Clock,
  connect: DnsStreamConnector,
  server: DnsServerAddr,
  query: Buffer,
  q: { id: number; name: string; type: string },
  timeoutMs: number,
  c: TransportCounters,
  done: (r: ExchangeResult) => void,
): void {
  let finished = false;
  let s: DnsStream | null = null;
  const timer = clock.timer(() => finish({ ok: false, code: 'ETIMEOUT' }, 'timeouts'));
  const finish = (r: ExchangeResult, counter?: keyof TransportCounters) => {
    if (finished) return;
    finished = true;
    if (counter) c[counter]++;
    timer.cancel();
    s?.destroy();
    done(r);
  };
  c.tcpQueries++;
  timer.mod(timeoutMs);
  try {
    s = connect(formatIpv4(server.addr), server.port);
  } catch (e) {
    finish({ ok: false, code: (e as NodeJS.ErrnoException).code ?? 'ECONNREFUSED' }, 'errors');
    return;
  }
  readFramedMessages(s, (msg) => {
    const p = finished ? null : accept(c, q, msg);
    if (p !== null) finish({ ok: true, packet: p, size: msg.length });
  });
  s.on('error', (e: Error) => finish({ ok: false, code: (e as NodeJS.ErrnoException).code ?? 'ECONNRESET' }, 'errors'));
  s.on('close', () => finish({ ok: false, code: 'ECONNRESET' }, 'errors'));
  s.write(frameMessage(query));
}
