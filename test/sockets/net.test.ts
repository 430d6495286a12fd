/**
 * stack.net behaves like node:net: two stacks on the in-memory link, in virtual time, each test one behaviour —
 * data integrity, backpressure both ways, half-close, end vs destroy vs resetAndDestroy, Node-style errors, idle
 * timeouts, keepalive on a dead peer, and the server's listen/close/maxConnections semantics.
 */
import { describe, expect, it } from 'vitest';
import { resolvConf } from '../../netstack/dns/resolv-conf.ts';
import { DnsServer } from '../../netstack/dns/server.ts';
import type { Socket } from '../../netstack/socket/tcp-socket.ts';
import { TcpState } from '../../netstack/tcp/types.ts';
import { collect, pattern, runUntil, sha256, twoHosts } from './world.ts';

describe('data', () => {
  it('echoes 4 MiB intact, with connect → ready, end and close(false) on both sides', async () => {
    const { clock, h1, h2 } = twoHosts();
    const events: string[] = [];
    let srvSock: Socket | null = null;
    h2.net
      .createServer((s) => {
        srvSock = s;
        s.on('close', (hadError) => events.push(`server close ${hadError}`));
        s.pipe(s);
      })
      .listen(7);
    const data = pattern(4 << 20, 1);
    const c = h1.net.connect(7, '10.0.0.2');
    c.on('connect', () => events.push('connect'));
    c.on('ready', () => events.push('ready'));
    c.on('close', (hadError) => events.push(`client close ${hadError}`));
    c.end(data);
    const got = collect(c);
    expect(await runUntil(clock, () => got.closed && events.includes('server close false'))).toBe(true);
    expect(got.bytes).toBe(data.length);
    expect(sha256(got.data)).toBe(sha256(data));
    expect(events.slice(0, 2)).toEqual(['connect', 'ready']);
    expect(events).toContain('client close false');
    expect(c.bytesRead).toBe(data.length);
    expect(c.bytesWritten).toBe(data.length);
    expect(srvSock!.bytesRead).toBe(data.length);
  });

  it('reports addresses, ports and readyState as node:net does', async () => {
    const { clock, h1, h2 } = twoHosts();
    const server = h2.net.createServer().listen(8080, '10.0.0.2');
    let accepted: Socket | null = null;
    server.on('connection', (s) => {
      accepted = s;
    });
    const c = h1.net.connect({ port: 8080, host: '10.0.0.2' });
    expect(c.pending).toBe(true);
    expect(c.connecting).toBe(true);
    expect(c.readyState).toBe('opening');
    expect(c.remoteAddress).toBeUndefined();
    expect(await runUntil(clock, () => accepted !== null && !c.connecting)).toBe(true);
    expect(server.address()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 8080 });
    expect(c.pending).toBe(false);
    expect(c.readyState).toBe('open');
    expect(c.remoteAddress).toBe('10.0.0.2');
    expect(c.remotePort).toBe(8080);
    expect(c.remoteFamily).toBe('IPv4');
    expect(c.localAddress).toBe('10.0.0.1');
    expect(c.localPort).toBeGreaterThanOrEqual(32768);
    expect(c.address()).toEqual({ address: '10.0.0.1', family: 'IPv4', port: c.localPort });
    const s = accepted!;
    expect(s.remoteAddress).toBe('10.0.0.1');
    expect(s.remotePort).toBe(c.localPort);
    expect(s.localPort).toBe(8080);
    expect(s.server).toBe(server);
    c.end();
    expect(await runUntil(clock, () => c.readyState === 'readOnly')).toBe(true);
  });

  it('writes queued before the handshake completes go out after it, in order', async () => {
    const { clock, h1, h2 } = twoHosts({ delayMs: 5 });
    let got: ReturnType<typeof collect> | null = null;
    h2.net.createServer((s) => (got = collect(s))).listen(9);
    const c = h1.net.connect(9, '10.0.0.2');
    for (let i = 0; i < 10; i++) c.write(`line ${i}\n`);
    c.end('done');
    expect(await runUntil(clock, () => got?.ended === true)).toBe(true);
    expect(got!.data.toString()).toBe(`${[...Array(10).keys()].map((i) => `line ${i}\n`).join('')}done`);
  });
});

describe('loopback and stream options', () => {
  it('a server and a client on one stack talk over loopback ("localhost" is the default host)', async () => {
    const { clock, h1 } = twoHosts();
    h1.net.createServer((s) => s.end('over lo')).listen(3000, 'localhost');
    const c = h1.net.connect(3000);
    c.setEncoding('utf8');
    let text = '';
    let lookup: unknown[] | null = null;
    c.on('lookup', (...a) => (lookup = a));
    c.on('data', (d) => (text += d));
    let ended = false;
    c.on('end', () => (ended = true));
    expect(await runUntil(clock, () => ended)).toBe(true);
    expect(text).toBe('over lo');
    expect(lookup).toEqual([null, '127.0.0.1', 4, 'localhost']);
    expect(c.remoteAddress).toBe('127.0.0.1');
    expect(h1.lo.stats.txPackets).toBeGreaterThan(0);
  });

  it('connect({ timeout }) arms the idle timeout before the handshake (a silent peer: timeout, not an error)', async () => {
    const { clock, h1, b } = twoHosts();
    b.close(); // nobody answers the SYN
    const t0 = clock.now();
    const c = h1.net.connect({ port: 80, host: '10.0.0.2', timeout: 1500 });
    let timedOutAt = -1;
    c.on('timeout', () => {
      timedOutAt = clock.now() - t0;
      c.destroy();
    });
    expect(await runUntil(clock, () => c.destroyed)).toBe(true);
    expect(timedOutAt).toBe(1500);
    expect(c.connecting).toBe(false);
  });

  it('write after destroy fails with ERR_STREAM_DESTROYED; end(cb) calls back once finished', async () => {
    const { clock, h1, h2 } = twoHosts();
    h2.net.createServer((s) => s.resume()).listen(7);
    const c = h1.net.connect(7, '10.0.0.2');
    let finished = false;
    c.end('bye', () => (finished = true));
    expect(await runUntil(clock, () => finished)).toBe(true);
    const d = h1.net.connect(7, '10.0.0.2');
    d.destroy();
    let err: (Error & { code?: string }) | null = null;
    d.on('error', (e) => (err = e));
    d.write('x', (e) => (err ??= e ?? null));
    expect(await runUntil(clock, () => err !== null)).toBe(true);
    expect(err!.code).toBe('ERR_STREAM_DESTROYED');
  });
});

describe('backpressure', () => {
  it('a reader that does not read closes the window: write() returns false, drain only once it reads', async () => {
    const { clock, h1, h2 } = twoHosts({ delayMs: 1 });
    let srv: Socket | null = null;
    h2.net.createServer({ pauseOnConnect: true }, (s) => (srv = s)).listen(5001);
    const c = h1.net.connect(5001, '10.0.0.2');
    const total = 16 << 20;
    const chunk = pattern(64 * 1024, 2);
    let written = 0;
    let waiting = false; // write() returned false and no 'drain' came yet
    const pump = () => {
      waiting = false;
      while (written < total) {
        written += chunk.length;
        if (!c.write(chunk)) {
          waiting = true;
          return;
        }
      }
      c.end();
    };
    c.on('connect', pump);
    c.on('drain', pump);
    // The reader reads nothing: the writer stalls on a write() that returned false, for good.
    await runUntil(clock, () => false, 5_000);
    expect(srv).not.toBeNull();
    expect(waiting).toBe(true);
    const stalledAt = written;
    await runUntil(clock, () => false, 5_000);
    expect(written).toBe(stalledAt);
    expect(c.writableLength).toBeGreaterThan(0);
    // What is in flight is bounded by the receiver's buffer and the sender's: nothing runs away.
    const rsk = srv!.tcp!;
    const ssk = c.tcp!;
    expect(stalledAt).toBeLessThan(rsk.rcvbuf + ssk.sndbuf + 4 * chunk.length);
    expect(ssk.sndWnd).toBe(0); // the receiver advertises a zero window...
    expect(rsk.readableLength).toBeGreaterThan(0); // ...because its queue is full of unread data
    expect(h2.tcp.ext.TCPToZeroWindowAdv).toBeGreaterThan(0);
    expect(h1.tcp.ext.TCPWinProbe).toBeGreaterThan(0);
    // The reader starts: the writer hears 'drain', and everything arrives in order.
    const got = collect(srv!);
    srv!.resume();
    expect(await runUntil(clock, () => got.ended)).toBe(true);
    expect(written).toBe(total);
    expect(got.bytes).toBe(total);
    let off = 0;
    for (const piece of got.chunks) {
      for (let i = 0; i < piece.length; i += 4096) {
        expect(piece[i]).toBe(chunk[(off + i) % chunk.length]);
      }
      off += piece.length;
    }
  });

  it('a paused readable stops pulling from TCP; resume() continues where it stopped', async () => {
    const { clock, h1, h2 } = twoHosts();
    const data = pattern(2 << 20, 3);
    h2.net.createServer((s) => s.end(data)).listen(80);
    const c = h1.net.connect(80, '10.0.0.2');
    const got = collect(c);
    c.pause();
    await runUntil(clock, () => false, 2_000);
    expect(got.bytes).toBe(0);
    // Unread data waits in the TCP receive queue, bounded by the receive buffer (give or take the rounding of a
    // held window to the window-scale unit, as Linux).
    const sk = c.tcp!;
    expect(sk.readableLength).toBeGreaterThan(0);
    expect(sk.readableLength).toBeLessThanOrEqual(sk.rcvbuf + 4 * sk.rcvMss);
    c.resume();
    expect(await runUntil(clock, () => got.ended)).toBe(true);
    expect(sha256(got.data)).toBe(sha256(data));
  });
});

describe('half-close and closing', () => {
  it('allowHalfOpen: the server reads to the end, then still sends its answer', async () => {
    const { clock, h1, h2 } = twoHosts();
    h2.net
      .createServer({ allowHalfOpen: true }, (s) => {
        const req = collect(s);
        s.on('end', () => {
          expect(s.writable).toBe(true);
          s.end(`got ${req.bytes} bytes`);
        });
      })
      .listen(7);
    const c = h1.net.connect({ port: 7, host: '10.0.0.2', allowHalfOpen: true });
    c.end(pattern(100_000, 4));
    const got = collect(c);
    expect(await runUntil(clock, () => got.closed)).toBe(true);
    expect(got.data.toString()).toBe('got 100000 bytes');
    expect(got.ended).toBe(true);
  });

  it('without allowHalfOpen, the peer’s FIN ends our side too, and a later write is EPIPE', async () => {
    const { clock, h1, h2 } = twoHosts();
    let srv: Socket | null = null;
    let srvFinished = false;
    h2.net
      .createServer((s) => {
        srv = s;
        s.resume();
        s.on('finish', () => (srvFinished = true));
      })
      .listen(7);
    const c = h1.net.connect({ port: 7, host: '10.0.0.2', allowHalfOpen: true });
    const got = collect(c);
    c.end();
    // The server did not call end(): Node ends it for us when the client's FIN arrives.
    expect(await runUntil(clock, () => got.ended && srvFinished)).toBe(true);
    let err: (Error & { code?: string }) | null = null;
    srv!.on('error', (e) => (err = e));
    srv!.write('late', (e) => {
      err ??= e ?? null;
    });
    expect(await runUntil(clock, () => err !== null)).toBe(true);
    expect(err!.code).toMatch(/EPIPE|ERR_STREAM_WRITE_AFTER_END/);
  });

  it('destroy() after reading everything closes with FIN: the peer sees end, not an error', async () => {
    const { clock, h1, h2 } = twoHosts();
    let peer: ReturnType<typeof collect> | null = null;
    h2.net.createServer((s) => (peer = collect(s))).listen(7);
    const c = h1.net.connect(7, '10.0.0.2', () => {
      c.write('bye');
      c.destroy();
    });
    const closes: boolean[] = [];
    c.on('close', (e) => closes.push(e));
    expect(await runUntil(clock, () => peer?.ended === true)).toBe(true);
    expect(peer!.data.toString()).toBe('bye');
    expect(peer!.error).toBeNull();
    expect(closes).toEqual([false]);
    expect(c.destroyed).toBe(true);
  });

  it('destroy() with unread data resets the connection (RFC 2525): the peer gets ECONNRESET', async () => {
    const { clock, h1, h2 } = twoHosts();
    let peer: ReturnType<typeof collect> | null = null;
    let peerClose: boolean | null = null;
    h2.net
      .createServer((s) => {
        peer = collect(s);
        s.on('close', (e) => (peerClose = e));
        s.write('you will not read this');
      })
      .listen(7);
    const c = h1.net.connect(7, '10.0.0.2');
    c.pause();
    c.once('connect', () => void 0);
    await runUntil(clock, () => (c.tcp?.readableLength ?? 0) > 0);
    c.write('x');
    c.destroy();
    expect(await runUntil(clock, () => peerClose !== null)).toBe(true);
    expect(peer!.error?.code).toBe('ECONNRESET');
    expect(peer!.error?.syscall).toBe('read');
    expect(peerClose).toBe(true);
  });

  it('resetAndDestroy() sends RST even with nothing unread', async () => {
    const { clock, h1, h2 } = twoHosts();
    let peer: ReturnType<typeof collect> | null = null;
    h2.net.createServer((s) => (peer = collect(s))).listen(7);
    const c = h1.net.connect(7, '10.0.0.2', () => c.resetAndDestroy());
    expect(await runUntil(clock, () => peer?.closed === true)).toBe(true);
    expect(peer!.error?.code).toBe('ECONNRESET');
    expect(h1.tcp.mib.OutRsts).toBeGreaterThan(0);
  });

  it('destroySoon() waits for pending writes, then closes', async () => {
    const { clock, h1, h2 } = twoHosts();
    let peer: ReturnType<typeof collect> | null = null;
    h2.net.createServer((s) => (peer = collect(s))).listen(7);
    const data = pattern(300_000, 5);
    const c = h1.net.connect(7, '10.0.0.2');
    c.write(data);
    c.destroySoon();
    expect(await runUntil(clock, () => peer?.ended === true && c.destroyed)).toBe(true);
    expect(sha256(peer!.data)).toBe(sha256(data));
  });
});

describe('errors', () => {
  it('ECONNREFUSED with Node’s message, errno, syscall, address and port; close(true)', async () => {
    const { clock, h1 } = twoHosts();
    const c = h1.net.connect(4242, '10.0.0.2');
    const st = collect(c);
    let hadError: boolean | null = null;
    c.on('close', (e) => (hadError = e));
    expect(await runUntil(clock, () => hadError !== null)).toBe(true);
    const e = st.error as Error & { errno: number; address: string; port: number };
    expect(e.message).toBe('connect ECONNREFUSED 10.0.0.2:4242');
    expect(st.error!.code).toBe('ECONNREFUSED');
    expect(st.error!.syscall).toBe('connect');
    expect(e.errno).toBe(-111);
    expect(e.address).toBe('10.0.0.2');
    expect(e.port).toBe(4242);
    expect(hadError).toBe(true);
  });

  it('ENETUNREACH without a route, ENOTFOUND for a name without a resolver', async () => {
    const { clock, h1 } = twoHosts();
    const a = collect(h1.net.connect(80, '192.168.77.1'));
    const lookups: unknown[][] = [];
    const b = h1.net.connect(80, 'example.test');
    b.on('lookup', (...args) => lookups.push(args));
    const bs = collect(b);
    expect(await runUntil(clock, () => a.error !== null && bs.error !== null)).toBe(true);
    expect(a.error!.code).toBe('ENETUNREACH');
    expect(bs.error!.code).toBe('ENOTFOUND');
    expect(bs.error!.message).toMatch(/^getaddrinfo ENOTFOUND example\.test/);
    expect(lookups).toHaveLength(1);
    expect(lookups[0]![3]).toBe('example.test');
  });

  it('a lookup function resolves names (and the lookup event reports it)', async () => {
    const { clock, h1, h2 } = twoHosts();
    h2.net.createServer((s) => s.end('hi')).listen(80);
    const c = h1.net.connect({
      port: 80,
      host: 'server.test',
      lookup: (host, _opts, cb) => process.nextTick(() => cb(null, host === 'server.test' ? '10.0.0.2' : '0.0.0.0', 4)),
    });
    let lookup: unknown[] | null = null;
    c.on('lookup', (...a) => (lookup = a));
    const got = collect(c);
    expect(await runUntil(clock, () => got.ended)).toBe(true);
    expect(got.data.toString()).toBe('hi');
    expect(lookup).toEqual([null, '10.0.0.2', 4, 'server.test']);
  });

  it('names resolve through DNS on the stack once it has a name server (as a DHCP lease gives it)', async () => {
    const { clock, h1, h2 } = twoHosts();
    new DnsServer(h2, { zones: [{ origin: 'sim.test', records: [{ name: 'www', type: 'A', data: '10.0.0.2' }] }] });
    h2.net.createServer((s) => s.end('resolved')).listen(80);
    const before = collect(h1.net.connect(80, 'www.sim.test'));
    expect(await runUntil(clock, () => before.closed)).toBe(true);
    expect(before.error?.message).toMatch(/ENOTFOUND www\.sim\.test \(no DNS server configured/);
    resolvConf(h1).servers.push(0x0a000002);
    const c = h1.net.connect(80, 'www.sim.test');
    let looked: unknown[] | null = null;
    c.on('lookup', (...a) => (looked = a));
    const got = collect(c);
    expect(await runUntil(clock, () => got.ended)).toBe(true);
    expect(got.data.toString()).toBe('resolved');
    expect(looked).toEqual([null, '10.0.0.2', 4, 'www.sim.test']);
    const missing = collect(h1.net.connect(80, 'nope.sim.test'));
    expect(await runUntil(clock, () => missing.closed)).toBe(true);
    expect(missing.error?.code).toBe('ENOTFOUND');
  });

  it('bad ports throw ERR_SOCKET_BAD_PORT synchronously', () => {
    const { h1 } = twoHosts();
    expect(() => h1.net.connect(70000, '10.0.0.2')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
  });
});

describe('timers', () => {
  it('setTimeout emits timeout after idle time; activity postpones it; the socket stays open', async () => {
    const { clock, h1, h2 } = twoHosts();
    let srv: Socket | null = null;
    h2.net.createServer((s) => (srv = s)).listen(7);
    const c = h1.net.connect(7, '10.0.0.2');
    c.resume();
    const t0 = clock.now();
    const timeouts: number[] = [];
    c.setTimeout(1000, () => timeouts.push(clock.now() - t0));
    expect(c.timeout).toBe(1000);
    await runUntil(clock, () => srv !== null);
    // Data every 400 ms for 2 s keeps it quiet...
    for (let i = 0; i < 5; i++) {
      await runUntil(clock, () => false, 400);
      srv!.write('tick');
    }
    expect(timeouts).toEqual([]);
    // ...then silence: one timeout, about a second after the last activity.
    await runUntil(clock, () => timeouts.length > 0, 5000);
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]!).toBeGreaterThanOrEqual(3000);
    expect(timeouts[0]!).toBeLessThan(3100);
    expect(c.destroyed).toBe(false);
    c.setTimeout(0);
    expect(c.timeout).toBeUndefined();
    c.destroy();
  });

  it('setKeepAlive(true, 1000) on a peer that vanished ends in ETIMEDOUT (1 s idle + 10 probes 1 s apart)', async () => {
    const { clock, h1, h2, b } = twoHosts();
    h2.net.createServer(() => {}).listen(7);
    const c = h1.net.connect(7, '10.0.0.2');
    c.setKeepAlive(true, 1000);
    const st = collect(c);
    await runUntil(clock, () => !c.connecting);
    b.close(); // the peer disappears without a word
    const t0 = clock.now();
    expect(await runUntil(clock, () => st.closed, 60_000)).toBe(true);
    expect(st.error?.code).toBe('ETIMEDOUT');
    expect(st.error?.syscall).toBe('read');
    const elapsed = clock.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(10_000);
    expect(elapsed).toBeLessThan(13_000);
    expect(h1.tcp.ext.TCPKeepAlive).toBeGreaterThanOrEqual(10);
  });
});

describe('server', () => {
  it('EADDRINUSE as an error event with Node’s message', async () => {
    const { clock, h2 } = twoHosts();
    h2.net.createServer().listen(80);
    const second = h2.net.createServer();
    let err: (Error & { code?: string }) | null = null;
    second.on('error', (e) => (err = e));
    second.listen(80);
    expect(await runUntil(clock, () => err !== null)).toBe(true);
    expect(err!.code).toBe('EADDRINUSE');
    expect(err!.message).toBe('listen EADDRINUSE: address already in use 0.0.0.0:80');
    expect(second.listening).toBe(false);
  });

  it("'listening' is asynchronous; port 0 picks a port; close(cb) waits for open connections", async () => {
    const { clock, h1, h2 } = twoHosts();
    const order: string[] = [];
    const conns: Socket[] = [];
    const server = h2.net.createServer((s) => {
      conns.push(s);
      s.resume();
    });
    server.listen(0, () => order.push('listening'));
    order.push('after listen()');
    const port = server.address()!.port;
    expect(port).toBeGreaterThan(0);
    const c = h1.net.connect(port, '10.0.0.2');
    c.resume();
    await runUntil(clock, () => conns.length === 1);
    let closed = false;
    server.close(() => (closed = true));
    expect(server.listening).toBe(false);
    // New connections are refused now...
    const late = collect(h1.net.connect(port, '10.0.0.2'));
    await runUntil(clock, () => late.closed);
    expect(late.error?.code).toBe('ECONNREFUSED');
    // ...but the server is not closed while one is open.
    expect(closed).toBe(false);
    let n = -1;
    server.getConnections((_e, count) => (n = count));
    await runUntil(clock, () => n >= 0);
    expect(n).toBe(1);
    c.end();
    expect(await runUntil(clock, () => closed)).toBe(true);
    expect(order).toEqual(['after listen()', 'listening']);
  });

  it('maxConnections: connections beyond it are closed and reported with drop', async () => {
    const { clock, h1, h2 } = twoHosts();
    const server = h2.net.createServer(() => {});
    server.maxConnections = 2;
    const drops: unknown[] = [];
    server.on('drop', (d) => drops.push(d));
    server.listen(9);
    const clients = [0, 1, 2].map(() => collect(h1.net.connect(9, '10.0.0.2')));
    await runUntil(clock, () => clients[2]!.ended || clients[2]!.closed);
    expect(drops).toHaveLength(1);
    expect(clients[0]!.closed).toBe(false);
    expect(clients[1]!.closed).toBe(false);
  });

  it('close() before listen() calls back with ERR_SERVER_NOT_RUNNING', async () => {
    const { clock, h2 } = twoHosts();
    let err: (Error & { code?: string }) | null = null;
    h2.net.createServer().close((e) => (err = e ?? null));
    expect(await runUntil(clock, () => err !== null)).toBe(true);
    expect(err!.code).toBe('ERR_SERVER_NOT_RUNNING');
  });

  it('a connection that completes its handshake and is reset before accept is seen as reset', async () => {
    const { clock, h1, h2 } = twoHosts();
    const accepted: ReturnType<typeof collect>[] = [];
    h2.net.createServer((s) => accepted.push(collect(s))).listen(7);
    const c = h1.net.connect(7, '10.0.0.2', () => c.resetAndDestroy());
    await runUntil(clock, () => accepted.length > 0 && accepted[0]!.closed);
    expect(accepted[0]!.error?.code).toBe('ECONNRESET');
    expect(h2.tcp.connections().filter((s) => s.state !== TcpState.TIME_WAIT)).toHaveLength(0);
  });
});
