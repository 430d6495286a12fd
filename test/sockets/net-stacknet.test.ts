/**
 * The Node-compatible sockets over two full stacks and the in-memory link, in virtual time: echo with
 * backpressure, half-close, errors, timeouts, and Node's own http and tls modules running over them unchanged.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { type Socket, createNet } from '../../netstack/socket/net.ts';
import { StackNet } from '../tcp/stacknet.ts';
import { patternBytes, sha256 } from '../tcp/harness.ts';

function world(link = { delayMs: 1 }) {
  const n = new StackNet({ seed: 3, ab: link });
  const net1 = createNet(n.a);
  const net2 = createNet(n.b);
  const run = (until: () => boolean, maxTime = 120_000) =>
    n.clock.runAsync({ until, maxTime: n.clock.now() + maxTime });
  return { n, net1, net2, run };
}

function collect(s: Socket): { chunks: Buffer[]; ended: boolean } {
  const r = { chunks: [] as Buffer[], ended: false };
  s.on('data', (b: Buffer) => r.chunks.push(b));
  s.on('end', () => {
    r.ended = true;
  });
  return r;
}

describe('net.Socket / net.Server over airstack TCP', () => {
  it('echoes 2 MiB with backpressure and reports addresses', async () => {
    const { net1, net2, run } = world({ delayMs: 2 });
    const server = net2.createServer((s) => s.pipe(s)).listen(7);
    await once(server, 'listening');
    expect(server.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 7 });
    const data = patternBytes(2 * 1024 * 1024);
    let connected = false;
    const c = net1.connect({ host: '10.0.0.2', port: 7 }, () => {
      connected = true;
    });
    const got = collect(c);
    let drains = 0;
    c.on('drain', () => drains++);
    let off = 0;
    const writeMore = () => {
      while (off < data.length) {
        const chunk = data.subarray(off, off + 65536);
        off += chunk.length;
        if (!c.write(chunk)) {
          c.once('drain', writeMore);
          return;
        }
      }
      c.end();
    };
    writeMore();
    expect(await run(() => got.ended)).toBe(true);
    expect(connected).toBe(true);
    expect(sha256(Buffer.concat(got.chunks))).toBe(sha256(data));
    expect(drains).toBeGreaterThan(0);
    expect(c.remoteAddress).toBe('10.0.0.2');
    expect(c.remotePort).toBe(7);
    expect(c.localAddress).toBe('10.0.0.1');
    expect(c.bytesWritten).toBe(data.length);
    expect(c.bytesRead).toBe(data.length);
    await run(() => c.destroyed);
  });

  it('keeps the other direction open after end() when allowHalfOpen', async () => {
    const { net1, net2, run } = world();
    net2
      .createServer({ allowHalfOpen: true }, (s) => {
        const parts: Buffer[] = [];
        s.on('data', (b: Buffer) => parts.push(b));
        s.on('end', () => s.end(`got ${Buffer.concat(parts).toString()}`));
      })
      .listen(80);
    const c = net1.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
    const got = collect(c);
    c.end('question');
    expect(await run(() => got.ended)).toBe(true);
    expect(Buffer.concat(got.chunks).toString()).toBe('got question');
  });

  it('reports ECONNREFUSED as a Node error', async () => {
    const { net1, run } = world();
    const c = net1.connect(9, '10.0.0.2');
    let err: NodeJS.ErrnoException | null = null;
    c.on('error', (e) => {
      err = e;
    });
    await run(() => err !== null);
    expect(err!.code).toBe('ECONNREFUSED');
    expect(err!.syscall).toBe('connect');
    expect(err!.errno).toBe(-111);
    expect(err!.message).toBe('connect ECONNREFUSED 10.0.0.2:9');
  });

  it('emits timeout after idle time and ECONNRESET when the peer resets', async () => {
    const { net1, net2, run } = world();
    let server: Socket | null = null;
    net2
      .createServer((s) => {
        server = s;
      })
      .listen(80);
    const c = net1.connect(80, '10.0.0.2');
    let timedOut = false;
    c.setTimeout(5000, () => {
      timedOut = true;
    });
    await run(() => server !== null);
    const t0 = Date.now();
    await run(() => timedOut);
    expect(Date.now() - t0).toBeLessThan(5000); // virtual time
    let err: NodeJS.ErrnoException | null = null;
    c.on('error', (e) => {
      err = e;
    });
    (server as unknown as Socket).resetAndDestroy();
    await run(() => err !== null);
    expect(err!.code).toBe('ECONNRESET');
  });

  it('resolves names through the lookup option', async () => {
    const { net1, net2, run } = world();
    net2.createServer((s) => s.end('hi')).listen(80);
    const lookups: string[] = [];
    const c = net1.connect({
      host: 'h2.example',
      port: 80,
      lookup: (name, _o, cb) => {
        lookups.push(name);
        cb(null, '10.0.0.2', 4);
      },
    });
    const got = collect(c);
    await run(() => got.ended);
    expect(lookups).toEqual(['h2.example']);
    expect(Buffer.concat(got.chunks).toString()).toBe('hi');
    const bad = net1.connect({ host: 'nowhere.example', port: 80 });
    let err: NodeJS.ErrnoException | null = null;
    bad.on('error', (e) => {
      err = e;
    });
    await run(() => err !== null);
    expect(err!.code).toBe('ENOTFOUND');
  });

  it("runs Node's http client and server over it", async () => {
    const { net1, net2, run } = world({ delayMs: 1 });
    const body = patternBytes(300_000);
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(req.url === '/big' ? body : 'small');
    });
    net2.createServer((s) => server.emit('connection', s)).listen(80);
    const req = http.request({
      host: '10.0.0.2',
      port: 80,
      path: '/big',
      createConnection: () => net1.connect(80, '10.0.0.2') as unknown as import('node:net').Socket,
    });
    const parts: Buffer[] = [];
    let status = 0;
    let done = false;
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        done = true;
      });
    });
    req.end();
    expect(await run(() => done)).toBe(true);
    expect(status).toBe(200);
    expect(Buffer.concat(parts).equals(body)).toBe(true);
  });

  it("runs Node's tls over it (tls.connect({ socket }))", async () => {
    let key: Buffer;
    let cert: Buffer;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'airstack-tls-'));
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          join(dir, 'k.pem'),
          '-out',
          join(dir, 'c.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=h2.example',
        ],
        { stdio: 'ignore' },
      );
      key = readFileSync(join(dir, 'k.pem'));
      cert = readFileSync(join(dir, 'c.pem'));
    } catch {
      console.warn('skipped: openssl is needed to make a test certificate');
      return;
    }
    const { net1, net2, run } = world({ delayMs: 1 });
    net2
      .createServer((s) => {
        const t = new tls.TLSSocket(s as unknown as import('node:net').Socket, { isServer: true, key, cert });
        t.on('data', (b: Buffer) => t.end(`secure ${b.toString()}`));
      })
      .listen(443);
    const raw = net1.connect(443, '10.0.0.2');
    const t = tls.connect({ socket: raw as unknown as import('node:net').Socket, ca: cert, servername: 'h2.example' });
    const parts: Buffer[] = [];
    let ended = false;
    t.on('secureConnect', () => t.write('hello'));
    t.on('data', (b: Buffer) => parts.push(b));
    t.on('end', () => {
      ended = true;
    });
    expect(await run(() => ended)).toBe(true);
    expect(Buffer.concat(parts).toString()).toBe('secure hello');
    expect(t.authorized).toBe(true);
  });
});
