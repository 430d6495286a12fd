/**
 * The TCP state machine, one behaviour per test, over the simulated link in virtual time.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { TcpState } from '../../netstack/tcp/types.ts';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../netstack/tcp/wire.ts';
import {
  ADDR_A,
  ADDR_B,
  SimNet,
  type SimNetOptions,
  connectPair,
  drain,
  injectSegment,
  patternBytes,
  pumpAll,
} from './harness.ts';
import { StackNet } from './stacknet.ts';

const link = { delayMs: 5 };

/** The state-machine tests run over the direct harness and over two full Stacks on the pair link. */
const NETS = [
  { name: 'direct', make: (o: SimNetOptions) => new SimNet(o) },
  { name: 'stacks', make: (o: SimNetOptions) => new StackNet(o) },
];

let makeNet = NETS[0]!.make;

function net(extra: Partial<SimNetOptions> = {}): SimNet {
  return makeNet({ seed: 11, ab: link, record: true, ...extra }) as SimNet;
}

describe.each(NETS)('over $name', ({ make }) => {
  beforeEach(() => {
    makeNet = make;
  });

  describe('TCP handshake', () => {
    it('opens with a three-way handshake negotiating MSS, window scale, SACK and timestamps', () => {
      const n = net();
      const { client, server } = connectPair(n);
      expect(client.state).toBe(TcpState.ESTABLISHED);
      expect(server.state).toBe(TcpState.ESTABLISHED);
      const [syn, synAck, ack] = n.log;
      expect(syn!.flags).toBe(TCP_SYN);
      expect(synAck!.flags).toBe(TCP_SYN | TCP_ACK);
      expect(synAck!.ack).toBe((syn!.seq + 1) >>> 0);
      expect(ack!.flags & TCP_ACK).toBe(TCP_ACK);
      for (const sk of [client, server]) {
        expect(sk.tsOk && sk.sackOk && sk.wscaleOk).toBe(true);
        expect(sk.mssCache).toBe(1500 - 40 - 12);
      }
      expect(client.sndWscale).toBe(server.rcvWscale);
      expect(n.a.mib.ActiveOpens).toBe(1);
      expect(n.b.mib.PassiveOpens).toBe(1);
      expect(n.a.mib.CurrEstab + n.b.mib.CurrEstab).toBe(2);
    });

    it('clamps the announced MSS to the route MTU', () => {
      const n = net({ mtu: 1000 });
      const { client, server } = connectPair(n);
      expect(client.advMss).toBe(960);
      expect(server.mssCache).toBe(960 - 12);
    });

    it('gets ECONNREFUSED from an RST to its SYN', () => {
      const n = net();
      const errors: string[] = [];
      const sk = n.a.connect({ addr: ADDR_B, port: 9, owner: { onError: (e) => errors.push(e) } });
      n.runUntil(() => sk.state === TcpState.CLOSE, 1000);
      expect(errors).toEqual(['ECONNREFUSED']);
      expect(n.b.mib.OutRsts).toBe(1);
      expect(n.a.mib.AttemptFails).toBe(1);
    });

    it('retransmits a lost SYN with exponential backoff and gives up with ETIMEDOUT', () => {
      const n = net({ configA: { synRetries: 3 } });
      n.dropFilter = (dir) => dir === 'ab';
      n.b.listen({ port: 80 });
      const errors: string[] = [];
      const t0 = n.clock.now();
      const sk = n.a.connect({ addr: ADDR_B, port: 80, owner: { onError: (e) => errors.push(e) } });
      n.runUntil(() => sk.state === TcpState.CLOSE, 60_000);
      const times = n.log.filter((s) => s.flags === TCP_SYN).map((s) => s.t);
      expect(times.map((t) => t - times[0]!)).toEqual([0, 1000, 3000, 7000]);
      expect(errors).toEqual(['ETIMEDOUT']);
      expect(n.clock.now() - t0).toBe(15_000);
    });

    it('uses one segment as initial window and a 3 s RTO after a lost SYN (RFC 6928, RFC 6298 §5.7)', () => {
      const n = net();
      let drops = 1;
      n.dropFilter = (dir, th) => dir === 'ab' && (th.flags & TCP_SYN) !== 0 && drops-- > 0;
      const { client } = connectPair(n);
      expect(client.cwnd).toBe(1);
      expect(client.rto).toBeGreaterThanOrEqual(200);
    });

    it('completes a simultaneous open (SYN-SENT → SYN-RECEIVED → ESTABLISHED)', () => {
      const n = net();
      const a = n.a.connect({ addr: ADDR_B, port: 4000, localPort: 4001 });
      const b = n.b.connect({ addr: ADDR_A, port: 4001, localPort: 4000 });
      const seen = new Set<TcpState>();
      n.runUntil(() => {
        seen.add(a.state);
        return a.state === TcpState.ESTABLISHED && b.state === TcpState.ESTABLISHED;
      }, 5000);
      expect(seen.has(TcpState.SYN_RECV)).toBe(true);
      a.send(Buffer.from('ping'));
      n.runUntil(() => b.readableLength === 4, 1000);
      expect(drain(b).toString()).toBe('ping');
    });
  });

  describe('TCP close', () => {
    it('closes gracefully: FIN-WAIT-1/2 and TIME-WAIT on the active side, CLOSE-WAIT/LAST-ACK on the passive', () => {
      const n = net({ configA: { timeWaitMs: 2000 } });
      const { client, server } = connectPair(n);
      const cStates = new Set<TcpState>();
      const sStates = new Set<TcpState>();
      const watch = () => {
        cStates.add(client.state);
        sStates.add(server.state);
      };
      client.close();
      n.runUntil(() => {
        watch();
        return server.state === TcpState.CLOSE_WAIT && server.eof;
      }, 5000);
      n.clock.runFor(50);
      watch();
      expect(client.state).toBe(TcpState.FIN_WAIT2);
      server.close();
      n.runUntil(() => {
        watch();
        return client.state === TcpState.TIME_WAIT && server.state === TcpState.CLOSE;
      }, 5000);
      expect([...cStates]).toEqual(
        expect.arrayContaining([TcpState.FIN_WAIT1, TcpState.FIN_WAIT2, TcpState.TIME_WAIT]),
      );
      expect([...sStates]).toEqual(expect.arrayContaining([TcpState.CLOSE_WAIT, TcpState.CLOSE]));
      const t0 = n.clock.now();
      n.runUntil(() => client.state === TcpState.CLOSE, 10_000);
      expect(n.clock.now() - t0).toBeCloseTo(2000, -2);
      expect(n.a.ext.TW).toBe(1);
      expect(n.a.connectionCount + n.b.connectionCount).toBe(0);
    });

    it('lingers 60 s in TIME-WAIT by default', () => {
      const n = net();
      const { client, server } = connectPair(n);
      client.close();
      server.close();
      n.runUntil(() => client.state === TcpState.TIME_WAIT, 5000);
      const t0 = n.clock.now();
      n.runUntil(() => client.state === TcpState.CLOSE, 120_000);
      expect(Math.round((n.clock.now() - t0) / 1000)).toBe(60);
    });

    it('closes simultaneously through CLOSING into TIME-WAIT on both sides', () => {
      const n = net();
      const { client, server } = connectPair(n);
      const seen = new Set<TcpState>();
      client.close();
      server.close();
      n.runUntil(() => {
        seen.add(client.state);
        seen.add(server.state);
        return client.state === TcpState.TIME_WAIT && server.state === TcpState.TIME_WAIT;
      }, 5000);
      expect(seen.has(TcpState.CLOSING)).toBe(true);
    });

    it('half-closes: the side that sent FIN keeps receiving', () => {
      const n = net();
      const { client, server } = connectPair(n);
      client.send(Buffer.from('request'));
      client.shutdown('write');
      n.runUntil(() => server.eof, 2000);
      expect(drain(server).toString()).toBe('request');
      expect(server.state).toBe(TcpState.CLOSE_WAIT);
      const reply = patternBytes(100_000);
      pumpAll(server, reply, false, () => server.close());
      const got: Buffer[] = [];
      n.runUntil(() => {
        got.push(drain(client));
        return client.eof;
      }, 10_000);
      expect(Buffer.concat(got).equals(reply)).toBe(true);
      expect(() => client.send(Buffer.from('x'))).toThrow(/EPIPE|send after shutdown/);
    });

    it('resets instead of closing when unread data is pending (RFC 2525 §2.17)', () => {
      const n = net();
      const { client, server } = connectPair(n);
      client.send(Buffer.from('unread'));
      n.runUntil(() => server.readableLength > 0, 1000);
      const errors: string[] = [];
      client.owner = { onError: (e) => errors.push(e) };
      server.close();
      n.runUntil(() => client.state === TcpState.CLOSE, 1000);
      expect(errors).toEqual(['ECONNRESET']);
      expect(n.b.ext.TCPAbortOnClose).toBe(1);
    });

    it('resets when data arrives after close()', () => {
      const n = net();
      const { client, server } = connectPair(n);
      server.close();
      n.runUntil(() => client.state === TcpState.CLOSE_WAIT, 1000);
      client.send(Buffer.from('too late'));
      n.runUntil(() => client.state === TcpState.CLOSE, 1000);
      expect(n.b.ext.TCPAbortOnData).toBe(1);
      expect(client.error).toBe('ECONNRESET'); // RFC 9293: a reset in CLOSE-WAIT is "connection reset"
    });

    it('drops an orphaned FIN-WAIT-2 connection after finTimeout', () => {
      const n = net({ configA: { finTimeoutMs: 3000 } });
      const { client } = connectPair(n);
      client.close();
      n.runUntil(() => client.state === TcpState.FIN_WAIT2, 1000);
      const t0 = n.clock.now();
      n.runUntil(() => client.state === TcpState.CLOSE, 10_000);
      expect(n.clock.now() - t0).toBeCloseTo(3000, -2);
    });
  });

  describe('TCP resets and RFC 5961', () => {
    it('accepts an RST whose sequence number is exactly RCV.NXT', () => {
      const n = net();
      const { client, server } = connectPair(n);
      const errors: string[] = [];
      server.owner = { onError: (e) => errors.push(e) };
      injectSegment(n, 'b', {
        sport: client.sport,
        dport: server.sport,
        seq: server.rcvNxt,
        ack: 0,
        flags: TCP_RST,
        window: 0,
      });
      n.runUntil(() => errors.length > 0, 100);
      expect(errors).toEqual(['ECONNRESET']);
      expect(server.state).toBe(TcpState.CLOSE);
      expect(n.b.mib.EstabResets).toBe(1);
    });

    it('answers an in-window RST that is not exact with a challenge ACK, and stays', () => {
      const n = net();
      const { client, server } = connectPair(n);
      const before = n.log.length;
      injectSegment(n, 'b', {
        sport: client.sport,
        dport: server.sport,
        seq: (server.rcvNxt + 100) >>> 0,
        ack: 0,
        flags: TCP_RST,
        window: 0,
      });
      expect(server.state).toBe(TcpState.ESTABLISHED);
      expect(n.b.ext.TCPChallengeACK).toBe(1);
      const challenge = n.log.slice(before).find((s) => s.dir === 'ba');
      expect(challenge).toMatchObject({ flags: TCP_ACK, seq: server.sndNxt, ack: server.rcvNxt });
    });

    it('ignores an RST outside the window', () => {
      const n = net();
      const { client, server } = connectPair(n);
      injectSegment(n, 'b', {
        sport: client.sport,
        dport: server.sport,
        seq: (server.rcvNxt + 10_000_000) >>> 0,
        ack: 0,
        flags: TCP_RST,
        window: 0,
      });
      expect(server.state).toBe(TcpState.ESTABLISHED);
      expect(n.b.ext.TCPChallengeACK).toBe(0);
    });

    it('answers a SYN in ESTABLISHED with a challenge ACK (RFC 5961 §4)', () => {
      const n = net();
      const { client, server } = connectPair(n);
      injectSegment(n, 'b', {
        sport: client.sport,
        dport: server.sport,
        seq: server.rcvNxt,
        ack: 0,
        flags: TCP_SYN,
        window: 1000,
      });
      expect(server.state).toBe(TcpState.ESTABLISHED);
      expect(n.b.ext.TCPSYNChallenge).toBe(1);
      expect(n.b.ext.TCPChallengeACK).toBe(1);
    });

    it('rate-limits challenge ACKs per connection and per stack', () => {
      const n = net({ configB: { challengeAckLimit: 5, invalidRateLimitMs: 1 } });
      const { client, server } = connectPair(n);
      for (let i = 0; i < 50; i++) {
        injectSegment(n, 'b', {
          sport: client.sport,
          dport: server.sport,
          seq: (server.rcvNxt + 1 + i) >>> 0,
          ack: 0,
          flags: TCP_RST,
          window: 0,
        });
        n.clock.runFor(2);
      }
      expect(n.b.ext.TCPChallengeACK).toBe(5);
    });

    it('drops an ACK for data never sent and challenges it (RFC 5961 §5)', () => {
      const n = net();
      const { client, server } = connectPair(n);
      injectSegment(n, 'b', {
        sport: client.sport,
        dport: server.sport,
        seq: server.rcvNxt,
        ack: (server.sndNxt + 5000) >>> 0,
        flags: TCP_ACK,
        window: 1000,
        payload: Buffer.from('blind'),
      });
      expect(server.readableLength).toBe(0);
      expect(n.b.ext.TCPChallengeACK).toBe(1);
    });

    it('keeps TIME-WAIT when an RST arrives (RFC 1337), or ends it when the protection is off', () => {
      for (const rfc1337 of [true, false]) {
        const n = net({ configA: { rfc1337 } });
        const { client, server } = connectPair(n);
        client.close();
        server.close();
        n.runUntil(() => client.state === TcpState.TIME_WAIT, 5000);
        injectSegment(n, 'a', {
          sport: server.sport,
          dport: client.sport,
          seq: client.rcvNxt,
          ack: 0,
          flags: TCP_RST,
          window: 0,
        });
        expect(client.state).toBe(rfc1337 ? TcpState.TIME_WAIT : TcpState.CLOSE);
        expect(rfc1337 ? n.a.ext.TCPTimeWaitRstIgnored : n.a.ext.TWKilled).toBe(1);
      }
    });

    it('reopens a TIME-WAIT connection for a SYN with a newer timestamp (RFC 6191)', () => {
      const n = net();
      const listener = n.a.listen({ port: 7000 });
      const c1 = n.b.connect({ addr: ADDR_A, port: 7000, localPort: 7001 });
      n.runUntil(() => listener.pending > 0, 1000);
      const s1 = listener.accept()!;
      s1.close(); // the server closes first: its side goes to TIME-WAIT
      n.runUntil(() => c1.state === TcpState.CLOSE_WAIT, 1000);
      c1.close();
      n.runUntil(() => s1.state === TcpState.TIME_WAIT && c1.state === TcpState.CLOSE, 2000);
      n.clock.runFor(100);
      const c2 = n.b.connect({ addr: ADDR_A, port: 7000, localPort: 7001 });
      n.runUntil(() => c2.state === TcpState.ESTABLISHED && listener.pending > 0, 2000);
      expect(n.a.ext.TWRecycled).toBe(1);
      expect(s1.state).toBe(TcpState.CLOSE);
    });

    it('drops a segment with an old timestamp (PAWS)', () => {
      const n = net();
      const { client, server } = connectPair(n);
      client.send(Buffer.from('x'));
      n.runUntil(() => server.readableLength === 1, 1000);
      drain(server);
      injectSegment(n, 'b', {
        sport: client.sport,
        dport: server.sport,
        seq: server.rcvNxt,
        ack: server.sndNxt,
        flags: TCP_ACK,
        window: 1000,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: (server.tsRecent - 1000) >>> 0, ecr: 0 }],
        payload: Buffer.from('old'),
      });
      expect(server.readableLength).toBe(0);
      expect(n.b.ext.PAWSEstab).toBe(1);
    });

    it('forgets TS.Recent after 24 days of idleness (RFC 7323 §5.5)', () => {
      const n = net();
      const { client, server } = connectPair(n);
      const old = (server.tsRecent - 1000) >>> 0;
      n.clock.runFor(25 * 24 * 3600 * 1000);
      injectSegment(n, 'b', {
        sport: client.sport,
        dport: server.sport,
        seq: server.rcvNxt,
        ack: server.sndNxt,
        flags: TCP_ACK,
        window: 1000,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: old, ecr: 0 }],
        payload: Buffer.from('late'),
      });
      expect(n.b.ext.PAWSEstab).toBe(0);
      expect(server.readableLength).toBe(4);
    });

    it('counts and drops segments with bad checksums or malformed options', () => {
      const n = net({ ab: { delayMs: 5, corrupt: 0.1 } });
      const { client, server } = connectPair(n);
      const data = patternBytes(50_000);
      client.send(data);
      const got: Buffer[] = [];
      n.runUntil(() => {
        got.push(drain(server));
        return Buffer.concat(got).length === data.length;
      }, 60_000);
      expect(Buffer.concat(got).equals(data)).toBe(true);
      expect(n.b.mib.InCsumErrors).toBeGreaterThan(0);
      expect(n.b.mib.InErrs).toBe(n.b.mib.InCsumErrors);
      injectSegment(n, 'b', {
        sport: client.sport,
        dport: server.sport,
        seq: server.rcvNxt,
        ack: server.sndNxt,
        flags: TCP_ACK,
        window: 1000,
        options: [{ kind: 'unknown', type: 2, data: Uint8Array.of(1) }],
      });
      expect(n.b.ext.TCPOptionErrors).toBe(1);
    });
  });

  describe('TCP listen queues', () => {
    it('drops SYNs when the accept queue is full and lets them in once accepted (like Linux)', () => {
      const n = net({ configB: { syncookies: false } });
      const listener = n.b.listen({ port: 80, backlog: 2 });
      const clients = Array.from({ length: 5 }, () => n.a.connect({ addr: ADDR_B, port: 80 }));
      n.clock.runFor(500);
      // Two fit the SYN queue (its length is the backlog, as in Linux); the other SYNs are dropped.
      expect(listener.pending).toBe(2);
      expect(n.b.ext.TCPReqQFullDrop).toBe(3);
      // Their retransmitted SYNs meet a full accept queue.
      n.clock.runFor(1000);
      expect(listener.pending).toBe(2);
      expect(n.b.ext.ListenOverflows).toBe(3);
      expect(n.b.ext.ListenDrops).toBe(6);
      const accepted = [];
      n.runUntil(() => {
        for (let s = listener.accept(); s !== null; s = listener.accept()) accepted.push(s);
        return accepted.length === 5;
      }, 60_000);
      expect(accepted.length).toBe(5);
      expect(clients.every((c) => c.state === TcpState.ESTABLISHED)).toBe(true);
    });

    it('answers with SYN cookies when the SYN queue is full, and the cookie connection works', () => {
      const n = net({ configB: { maxSynBacklog: 1 } });
      const listener = n.b.listen({ port: 80, backlog: 16 });
      n.dropFilter = (dir, th) => dir === 'ab' && (th.flags & (TCP_SYN | TCP_ACK)) === TCP_ACK && th.sport === 40000;
      // The first connection's final ACK is lost: its request stays and fills the SYN queue.
      n.a.connect({ addr: ADDR_B, port: 80, localPort: 40000 });
      n.clock.runFor(50);
      n.dropFilter = null;
      const c = n.a.connect({ addr: ADDR_B, port: 80, localPort: 40001 });
      n.runUntil(() => listener.pending > 0 && c.state === TcpState.ESTABLISHED, 2000);
      expect(n.b.ext.SyncookiesSent).toBe(1);
      expect(n.b.ext.SyncookiesRecv).toBe(1);
      const s = listener.accept()!;
      expect(s.sackOk && s.tsOk && s.wscaleOk).toBe(true);
      c.send(Buffer.from('via cookie'));
      n.runUntil(() => s.readableLength > 0, 1000);
      expect(drain(s).toString()).toBe('via cookie');
    });

    it('resets connections not yet accepted when the listener closes', () => {
      const n = net();
      const listener = n.b.listen({ port: 80 });
      const c = n.a.connect({ addr: ADDR_B, port: 80 });
      n.runUntil(() => listener.pending === 1, 1000);
      listener.close();
      n.runUntil(() => c.state === TcpState.CLOSE, 1000);
      expect(c.error).toBe('ECONNRESET');
    });
  });

  describe('TCP timers', () => {
    it('keepalive probes an idle peer and gives up with ETIMEDOUT after idle + count × interval', () => {
      const n = net();
      const { client } = connectPair(n);
      client.setKeepAlive(true, 10_000, 1_000, 3);
      const errors: string[] = [];
      client.owner = { onError: (e) => errors.push(e) };
      n.clock.runFor(10_500);
      expect(n.a.ext.TCPKeepAlive).toBe(1);
      expect(client.state).toBe(TcpState.ESTABLISHED); // the peer answered the probe
      n.dropFilter = () => true; // the peer vanishes
      const t0 = n.clock.now();
      n.runUntil(() => client.state === TcpState.CLOSE, 60_000);
      expect(errors).toEqual(['ETIMEDOUT']);
      expect(Math.round((n.clock.now() - t0) / 1000)).toBe(13);
    });

    it('backs off retransmissions exponentially and aborts after the retry limit', () => {
      const n = net({ configA: { retries2: 5 } });
      const { client } = connectPair(n);
      n.dropFilter = (dir) => dir === 'ab';
      const start = n.log.length;
      client.send(Buffer.from('lost'));
      n.runUntil(() => client.state === TcpState.CLOSE, 120_000);
      const times = n.log
        .slice(start)
        .filter((s) => s.dir === 'ab' && s.len === 4)
        .map((s) => s.t);
      // The first retransmission is the tail loss probe (at the RTO at the latest); RTOs follow, doubling.
      expect(n.a.ext.TCPLossProbes).toBe(1);
      const gaps = times.slice(2).map((t, i) => t - times[i + 1]!);
      expect(gaps[0]).toBeGreaterThanOrEqual(200);
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]! / gaps[i - 1]!).toBeCloseTo(2, 1);
      expect(client.error).toBe('ETIMEDOUT');
      expect(n.a.ext.TCPTimeouts).toBe(5);
    });

    it('aborts when data stays unacknowledged beyond the user timeout', () => {
      const n = net();
      const { client } = connectPair(n);
      client.setUserTimeout(5000);
      n.dropFilter = (dir) => dir === 'ab';
      const t0 = n.clock.now();
      client.send(Buffer.from('x'));
      n.runUntil(() => client.state === TcpState.CLOSE, 60_000);
      expect(client.error).toBe('ETIMEDOUT');
      const took = n.clock.now() - t0;
      expect(took).toBeGreaterThanOrEqual(5000);
      expect(took).toBeLessThan(10_000);
    });

    it('delays the ACK of a lone segment (≤ 40 ms) and ACKs every second full segment at once', () => {
      const n = net();
      const { client, server } = connectPair(n);
      server.quickAcks = 0;
      const before = n.log.length;
      client.send(Buffer.from('one'));
      n.runUntil(() => n.log.slice(before).some((s) => s.dir === 'ba'), 1000);
      const data = n.log.slice(before).find((s) => s.dir === 'ab')!;
      const ack = n.log.slice(before).find((s) => s.dir === 'ba')!;
      expect(ack.t - (data.t + 5)).toBeCloseTo(40, 5);
      expect(n.b.ext.DelayedACKs).toBe(1);
      n.clock.runFor(100);
      const mark = n.log.length;
      client.setNoDelay(true);
      const t0 = n.clock.now();
      client.send(patternBytes(2 * client.mssCache));
      n.clock.runFor(20);
      const acks = n.log.slice(mark).filter((s) => s.dir === 'ba');
      expect(acks.length).toBe(1);
      expect(acks[0]!.t - t0).toBe(5); // sent as the second segment arrives (one-way delay 5 ms)
    });

    it('holds small segments while data is in flight (Nagle) unless TCP_NODELAY', () => {
      for (const noDelay of [false, true]) {
        const n = net();
        const { client, server } = connectPair(n);
        server.quickAcks = 0;
        client.setNoDelay(noDelay);
        const mark = n.log.length;
        client.send(Buffer.from('a'));
        client.send(Buffer.from('b'));
        client.send(Buffer.from('c'));
        n.clock.runFor(1);
        const sent = n.log.slice(mark).filter((s) => s.dir === 'ab' && s.len > 0);
        expect(sent.length).toBe(noDelay ? 3 : 1);
        n.runUntil(() => server.readableLength === 3, 1000);
        expect(drain(server).toString()).toBe('abc');
      }
    });
  });

  describe('TCP flow control', () => {
    it('lets a slow reader close the window; the sender probes with backoff and resumes when it reads', () => {
      const n = net({ configB: { rcvBuf: 16 * 1024 } });
      const { client, server } = connectPair(n);
      const data = patternBytes(200_000);
      pumpAll(client, data, false);
      n.clock.runFor(20_000);
      expect(n.log.some((s) => s.dir === 'ba' && s.win === 0)).toBe(true);
      expect(n.a.ext.TCPWinProbe).toBeGreaterThanOrEqual(3);
      const probes = n.log.filter((s) => s.dir === 'ab' && s.len <= 1 && s.t > 100).map((s) => s.t);
      const gaps = probes.slice(1).map((t, i) => t - probes[i]!);
      expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]! * 3);
      expect(client.state).toBe(TcpState.ESTABLISHED);
      // The reader wakes up.
      const got: Buffer[] = [];
      server.owner = { onReadable: () => got.push(drain(server)) };
      got.push(drain(server));
      n.runUntil(() => Buffer.concat(got).length === data.length, 120_000);
      expect(Buffer.concat(got).equals(data)).toBe(true);
      expect(n.b.ext.TCPFromZeroWindowAdv).toBeGreaterThan(0);
    });

    it('never advertises a window right edge to the left of a previous one', () => {
      const n = net({ configB: { rcvBuf: 8 * 1024 }, ab: { delayMs: 5, loss: 0.05 } });
      const { client, server } = connectPair(n);
      const data = patternBytes(300_000);
      pumpAll(client, data, false);
      let reads = 0;
      server.owner = {
        onReadable: () => {
          if (reads++ % 3 === 0) drain(server);
        },
      };
      n.clock.runFor(30_000);
      let right = 0;
      for (const s of n.log.filter((x) => x.dir === 'ba' && (x.flags & TCP_SYN) === 0)) {
        const edge = (s.ack + s.win * 2 ** server.rcvWscale) >>> 0;
        if (right !== 0) expect(((edge - right) | 0) >= 0).toBe(true);
        right = edge;
      }
    });
  });

  describe('TCP ICMP errors', () => {
    it('fails a connection attempt on port unreachable and records soft errors later', () => {
      const n = net();
      n.dropFilter = (dir) => dir === 'ab';
      const sk = n.a.connect({ addr: ADDR_B, port: 80 });
      const quoted = Buffer.alloc(8);
      quoted.writeUInt16BE(sk.sport, 0);
      quoted.writeUInt16BE(80, 2);
      quoted.writeUInt32BE(sk.iss, 4);
      n.a.errHandler({ type: 3, code: 3, mtu: 0, src: ADDR_A, dst: ADDR_B, protocol: 6, quoted, reporter: ADDR_B });
      expect(sk.state).toBe(TcpState.CLOSE);
      expect(sk.error).toBe('ECONNREFUSED');
    });

    it('ignores an ICMP error quoting a sequence number not in flight (RFC 5927)', () => {
      const n = net();
      const { client } = connectPair(n);
      const quoted = Buffer.alloc(8);
      quoted.writeUInt16BE(client.sport, 0);
      quoted.writeUInt16BE(client.dport, 2);
      quoted.writeUInt32BE((client.sndNxt + 100_000) >>> 0, 4);
      n.a.errHandler({ type: 3, code: 4, mtu: 576, src: ADDR_A, dst: ADDR_B, protocol: 6, quoted, reporter: 1 });
      expect(client.pmtu).toBe(1500);
    });

    it('reduces the MSS on fragmentation-needed and resends smaller segments', () => {
      const n = net();
      const { client, server } = connectPair(n);
      let big = true;
      n.dropFilter = (dir, _th, len) => dir === 'ab' && big && len > 1000;
      const data = patternBytes(20_000);
      client.send(data);
      const inflight = client.tx.segs[client.tx.head]!;
      const quoted = Buffer.alloc(8);
      quoted.writeUInt16BE(client.sport, 0);
      quoted.writeUInt16BE(client.dport, 2);
      quoted.writeUInt32BE(inflight.seq, 4);
      n.a.errHandler({ type: 3, code: 4, mtu: 1000, src: ADDR_A, dst: ADDR_B, protocol: 6, quoted, reporter: 99 });
      expect(client.mssCache).toBe(1000 - 40 - 12);
      const got: Buffer[] = [];
      n.runUntil(() => {
        got.push(drain(server));
        return Buffer.concat(got).length === data.length;
      }, 10_000);
      big = false;
      expect(Buffer.concat(got).equals(data)).toBe(true);
      expect(n.a.ext.TCPPmtuReductions).toBe(1);
      expect(n.a.ext.TCPTimeouts).toBe(0);
    });
  });

  describe('TCP SACK', () => {
    it('sends SACK blocks for out-of-order data and a D-SACK for a duplicate', () => {
      const n = net();
      const { client, server } = connectPair(n);
      const mss = client.mssCache;
      let dropped = false;
      n.dropFilter = (dir, th) => {
        if (dir === 'ab' && th.seq === (client.sndUna + mss) >>> 0 && !dropped) {
          dropped = true;
          return true;
        }
        return false;
      };
      client.setNoDelay(true);
      client.send(patternBytes(5 * mss));
      n.clock.runFor(12);
      expect(n.b.ext.TCPOFOQueue).toBeGreaterThan(0);
      n.runUntil(() => server.readableLength === 5 * mss, 2000);
      expect(n.a.ext.TCPSackRecovery + n.a.ext.TCPLossProbes).toBeGreaterThan(0);
      // A duplicate of old data is answered with a D-SACK.
      injectSegment(n, 'b', {
        sport: client.sport,
        dport: server.sport,
        seq: (server.rcvNxt - 100) >>> 0,
        ack: server.sndNxt,
        flags: TCP_ACK,
        window: 1000,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: (server.tsRecent + 1) >>> 0, ecr: 0 }],
        payload: Buffer.alloc(100),
      });
      expect(n.b.ext.TCPDSACKOldSent).toBe(1);
      expect(n.a.ext.TCPDSACKRecv).toBe(0);
      n.clock.runFor(10);
      expect(n.a.ext.TCPDSACKRecv).toBe(1);
    });
  });

  describe('TCP scale', () => {
    it('carries 1,000 concurrent connections, each with its own data', () => {
      const n = new SimNet({ seed: 5, ab: { delayMs: 2, rateBps: 1e9, queueLimit: 5000 } });
      const listener = n.b.listen({ port: 80, backlog: 1024 });
      const received = new Map<number, Buffer[]>();
      let closed = 0;
      listener.owner = {
        onAcceptReady() {
          for (let s = listener.accept(); s !== null; s = listener.accept()) {
            const sk = s;
            const parts: Buffer[] = [];
            received.set(sk.dport, parts);
            sk.owner = {
              onReadable() {
                parts.push(drain(sk));
                if (sk.eof) {
                  sk.close();
                  closed++;
                }
              },
            };
            sk.owner.onReadable!();
          }
        },
      };
      const clients = Array.from({ length: 1000 }, () => {
        const c = n.a.connect({ addr: ADDR_B, port: 80 });
        c.owner = {
          onConnected() {
            c.send(Buffer.from(`hello from ${c.sport} `.repeat(50)));
            c.shutdown('write');
          },
        };
        return c;
      });
      n.runUntil(() => closed === 1000, 60_000);
      expect(closed).toBe(1000);
      for (const c of clients) {
        expect(Buffer.concat(received.get(c.sport)!).toString()).toBe(`hello from ${c.sport} `.repeat(50));
      }
      expect(n.b.mib.PassiveOpens).toBe(1000);
      expect(n.a.mib.ActiveOpens).toBe(1000);
    });
  });
});
