/**
 * Node's own libraries, unchanged, over stack.net sockets in virtual time: node:http (client through
 * createConnection, server fed with server.emit('connection')), keep-alive agents, node:tls (TLS 1.3, both ends
 * on our sockets), https over tls over our TCP, and undici's Agent({ connect }) when undici can be imported.
 */
import * as undici from 'undici';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { Stack } from '../../netstack/stack.ts';
import { collect, pattern, runUntil, sha256, twoHosts } from './world.ts';

const FIX = join(import.meta.dirname, 'fixtures');
const key = readFileSync(join(FIX, 'server.key'));
const cert = readFileSync(join(FIX, 'server.crt'));

/** An http.Server whose connections are accepted by `stack` on `port`. */
function httpServerOn(stack: Stack, port: number, handler: http.RequestListener): http.Server {
  const hs = http.createServer(handler);
  // Virtual time jumps to the next timer whenever Node's event loop is idle for a turn: a keep-alive timeout
  // would close idle connections between a client's requests.
  hs.keepAliveTimeout = 0;
  stack.net.createServer((s) => hs.emit('connection', s)).listen(port);
  return hs;
}

describe('node:http over stack.net', () => {
  it('GET and a 1 MiB POST through http.request({ createConnection })', async () => {
    const { clock, h1, h2 } = twoHosts({ delayMs: 2 });
    const body = pattern(1 << 20, 7);
    httpServerOn(h2, 80, (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d) => parts.push(d));
      req.on('end', () => {
        const got = Buffer.concat(parts);
        res.setHeader('content-type', 'text/plain');
        res.end(`${req.method} ${req.url} ${got.length} ${sha256(got)}`);
      });
    });
    const request = (method: string, path: string, payload?: Buffer) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(
          { method, host: '10.0.0.2', port: 80, path, createConnection: (o) => h1.net.createConnection(o as never) },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (d) => parts.push(d));
            res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString() }));
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    let get: { status: number; text: string } | null = null;
    let post: { status: number; text: string } | null = null;
    void request('GET', '/hello').then((r) => (get = r));
    void request('POST', '/upload', body).then((r) => (post = r));
    expect(await runUntil(clock, () => get !== null && post !== null)).toBe(true);
    expect(get).toEqual({ status: 200, text: `GET /hello 0 ${sha256(Buffer.alloc(0))}` });
    expect(post).toEqual({ status: 200, text: `POST /upload ${body.length} ${sha256(body)}` });
  });

  it('a keep-alive agent sends three requests over one connection', async () => {
    const { clock, h1, h2 } = twoHosts();
    let n = 0;
    httpServerOn(h2, 8080, (_req, res) => res.end(`response ${++n}`));
    class StackAgent extends http.Agent {
      override createConnection(o: { port?: number; host?: string }) {
        return h1.net.createConnection({ port: o.port ?? 80, host: o.host });
      }
    }
    const agent = new StackAgent({ keepAlive: true, maxSockets: 1 });
    const texts: string[] = [];
    const one = () =>
      new Promise<void>((resolve, reject) => {
        http
          .get({ host: '10.0.0.2', port: 8080, path: '/', agent }, (res) => {
            const c = collect(res);
            res.on('end', () => {
              texts.push(c.data.toString());
              resolve();
            });
          })
          .on('error', reject);
      });
    let done = false;
    void one()
      .then(one)
      .then(one)
      .then(() => (done = true));
    expect(await runUntil(clock, () => done)).toBe(true);
    expect(texts).toEqual(['response 1', 'response 2', 'response 3']);
    expect(h1.tcp.mib.ActiveOpens).toBe(1);
    agent.destroy();
  });
});

describe('node:tls over stack.net', () => {
  it('TLS 1.3 with both ends on our sockets: handshake, 512 KiB echoed, clean close', async () => {
    const { clock, h1, h2 } = twoHosts({ delayMs: 1 });
    const ts = tls.createServer({ key, cert, minVersion: 'TLSv1.3' }, (t) => t.pipe(t));
    // TLS ends its transport itself: the raw socket must not end its writable side on the peer's FIN (Node's own
    // sockets never do here because TLS takes their handle over; a JS stream transport needs allowHalfOpen).
    h2.net.createServer({ allowHalfOpen: true }, (raw) => ts.emit('connection', raw)).listen(443);
    const raw = h1.net.connect(443, '10.0.0.2');
    const t = tls.connect({ socket: raw, ca: cert, servername: 'server.test' });
    let protocol: string | null = null;
    let authorized = false;
    t.on('secureConnect', () => {
      protocol = t.getProtocol();
      authorized = t.authorized;
    });
    const data = pattern(512 * 1024, 8);
    t.end(data);
    const got = collect(t);
    expect(await runUntil(clock, () => got.closed)).toBe(true);
    expect(got.error).toBeNull();
    expect(protocol).toBe('TLSv1.3');
    expect(authorized).toBe(true);
    expect(sha256(got.data)).toBe(sha256(data));
    expect(raw.bytesRead).toBeGreaterThan(data.length);
  });

  it('https.request over tls.connect({ socket }) over our TCP', async () => {
    const { clock, h1, h2 } = twoHosts();
    const hs = https.createServer({ key, cert }, (req, res) => res.end(`secure ${req.url}`));
    h2.net.createServer((raw) => hs.emit('connection', raw)).listen(443);
    let text: string | null = null;
    const req = https.request(
      {
        host: '10.0.0.2',
        port: 443,
        path: '/x',
        ca: cert,
        servername: 'server.test',
        createConnection: (o: tls.ConnectionOptions) => tls.connect({ ...o, socket: h1.net.connect(443, '10.0.0.2') }),
      } as https.RequestOptions,
      (res) => {
        const c = collect(res);
        res.on('end', () => (text = c.data.toString()));
      },
    );
    req.end();
    expect(await runUntil(clock, () => text !== null)).toBe(true);
    expect(text).toBe('secure /x');
  });

  it('a certificate for another name is refused by the client', async () => {
    const { clock, h1, h2 } = twoHosts();
    const ts = tls.createServer({ key, cert }, (t) => t.end('x'));
    h2.net.createServer((raw) => ts.emit('connection', raw)).listen(443);
    const t = tls.connect({ socket: h1.net.connect(443, '10.0.0.2'), ca: cert, servername: 'other.test' });
    const st = collect(t);
    expect(await runUntil(clock, () => st.error !== null)).toBe(true);
    expect(st.error!.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});

describe('undici over stack.net', () => {
  it('Agent({ connect }) with our sockets: request() with text and binary bodies', async () => {
    const { clock, h1, h2 } = twoHosts();
    const body = pattern(256 * 1024, 9);
    httpServerOn(h2, 80, (req, res) => {
      if (req.url === '/big') res.end(body);
      else res.end(`hello ${req.method}`);
    });
    const agent = new undici.Agent({
      connect: (opts, cb) => {
        const s = h1.net.connect(Number(opts.port) || 80, opts.hostname);
        s.once('connect', () => cb(null, s as never));
        s.once('error', (e) => cb(e, null));
      },
    });
    let small: string | null = null;
    let big: Buffer | null = null;
    void (async () => {
      const r1 = await undici.request('http://10.0.0.2/', { dispatcher: agent });
      small = await r1.body.text();
      const r2 = await undici.request('http://10.0.0.2/big', { dispatcher: agent });
      big = Buffer.from(await r2.body.arrayBuffer());
    })();
    expect(await runUntil(clock, () => big !== null)).toBe(true);
    expect(small).toBe('hello GET');
    expect(sha256(big!)).toBe(sha256(body));
    await agent.close();
  });
});
