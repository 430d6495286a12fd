/**
 * The static file handler of `airstack host --http`, through node:http over stack.net in virtual time: ranges,
 * conditional requests, HEAD, methods, directories, and every way out of the root refused; plus property tests of
 * the Range parser.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUntilWithIo, twoHosts } from '../../../../test/sockets/world.ts';
import {
  checkRoot,
  contentType,
  newStaticCounters,
  parseRange,
  serveStatic,
  type StaticCounters,
} from './static-files.ts';

describe('parseRange', () => {
  it('reads single ranges: first-last, open, suffix; clamps; ignores what it does not understand', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=50-1000', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-0', 0)).toBe('unsatisfiable');
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('bytes=9-3', 100)).toBeNull();
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
    expect(parseRange('bytes=-', 100)).toBeNull();
    expect(parseRange('bytes=a-b', 100)).toBeNull();
  });

  it('never throws, and a satisfiable range is always inside the representation', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(1 << 20), (h, size) => {
        const r = parseRange(h, size);
        if (r !== null && r !== 'unsatisfiable') {
          expect(r.start).toBeGreaterThanOrEqual(0);
          expect(r.end).toBeLessThan(size);
          expect(r.start).toBeLessThanOrEqual(r.end);
        }
      }),
    );
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), fc.integer({ min: 1, max: 2000 }), (a, b, size) => {
        const r = parseRange(`bytes=${a}-${b}`, size);
        if (b < a) expect(r).toBeNull();
        else if (a >= size) expect(r).toBe('unsatisfiable');
        else expect(r).toEqual({ start: a, end: Math.min(b, size - 1) });
      }),
    );
  });

  it('knows the common types', () => {
    expect(contentType('/x/index.HTML')).toBe('text/html; charset=utf-8');
    expect(contentType('a.png')).toBe('image/png');
    expect(contentType('noext')).toBe('application/octet-stream');
  });
});

describe('serveStatic over stack.net', () => {
  let root: string;
  let outside: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'airstack-static-'));
    outside = mkdtempSync(join(tmpdir(), 'airstack-outside-'));
    writeFileSync(join(root, 'a.txt'), '0123456789');
    utimesSync(join(root, 'a.txt'), new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    mkdirSync(join(root, 'dir'));
    writeFileSync(join(root, 'dir', 'b.json'), '{}');
    mkdirSync(join(root, 'site'));
    writeFileSync(join(root, 'site', 'index.html'), '<p>home</p>');
    writeFileSync(join(outside, 'secret'), 'no');
    symlinkSync(join(outside, 'secret'), join(root, 'escape'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  async function world() {
    const { clock, h1, h2 } = twoHosts();
    const counters: StaticCounters = newStaticCounters();
    const hs = http.createServer(serveStatic(await checkRoot(root), counters));
    hs.keepAliveTimeout = 0;
    h2.net.createServer((s) => hs.emit('connection', s)).listen(80);
    const agent = new (class extends http.Agent {
      override createConnection() {
        return h1.net.createConnection({ port: 80, host: '10.0.0.2' });
      }
    })({ keepAlive: true, maxSockets: 1 });
    const get = async (path: string, opts: { method?: string; headers?: Record<string, string> } = {}) => {
      let res: { status: number; headers: http.IncomingHttpHeaders; body: string } | null = null;
      const req = http.request(
        { host: '10.0.0.2', path, agent, method: opts.method ?? 'GET', headers: opts.headers },
        (r) => {
          let body = '';
          r.setEncoding('latin1');
          r.on('data', (d) => (body += d));
          r.on('end', () => (res = { status: r.statusCode!, headers: r.headers, body }));
        },
      );
      req.end();
      expect(await runUntilWithIo(clock, () => res !== null)).toBe(true);
      return res!;
    };
    return { get, counters, h1 };
  }

  it('GET, HEAD, ranges, 416, conditional requests, over one keep-alive connection', async () => {
    const { get, counters, h1 } = await world();
    const full = await get('/a.txt');
    expect(full.status).toBe(200);
    expect(full.body).toBe('0123456789');
    expect(full.headers['content-length']).toBe('10');
    expect(full.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.headers['last-modified']).toBe('Thu, 01 Jan 2026 00:00:00 GMT');
    const head = await get('/a.txt', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('10');
    const part = await get('/a.txt', { headers: { range: 'bytes=2-4' } });
    expect([part.status, part.body, part.headers['content-range']]).toEqual([206, '234', 'bytes 2-4/10']);
    const suffix = await get('/a.txt', { headers: { range: 'bytes=-3' } });
    expect([suffix.status, suffix.body]).toEqual([206, '789']);
    const open = await get('/a.txt', { headers: { range: 'bytes=7-' } });
    expect([open.status, open.body]).toEqual([206, '789']);
    const bad = await get('/a.txt', { headers: { range: 'bytes=10-' } });
    expect([bad.status, bad.headers['content-range']]).toEqual([416, 'bytes */10']);
    const stale = await get('/a.txt', { headers: { range: 'bytes=0-1', 'if-range': 'Wed, 31 Dec 2025 00:00:00 GMT' } });
    expect([stale.status, stale.body]).toEqual([200, '0123456789']);
    const fresh = await get('/a.txt', { headers: { range: 'bytes=0-1', 'if-range': 'Thu, 01 Jan 2026 00:00:00 GMT' } });
    expect([fresh.status, fresh.body]).toEqual([206, '01']);
    const ims = await get('/a.txt', { headers: { 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' } });
    expect([ims.status, ims.body]).toEqual([304, '']);
    const inm = await get('/a.txt', { headers: { 'if-none-match': String(full.headers.etag) } });
    expect(inm.status).toBe(304);
    const older = await get('/a.txt', { headers: { 'if-modified-since': 'Wed, 31 Dec 2025 00:00:00 GMT' } });
    expect(older.status).toBe(200);
    expect(counters).toMatchObject({ partial: 4, notModified: 2, rangeNotSatisfiable: 1 });
    expect(h1.tcp.mib.ActiveOpens).toBe(1);
  });

  it('directories: redirect to the slash, index.html, or a listing; methods other than GET/HEAD: 405', async () => {
    const { get } = await world();
    const redirect = await get('/dir');
    expect([redirect.status, redirect.headers.location]).toEqual([301, '/dir/']);
    const listing = await get('/dir/');
    expect(listing.status).toBe(200);
    expect(listing.body).toContain('<a href="b.json">b.json</a>');
    const index = await get('/site/');
    expect([index.status, index.body, index.headers['content-type']]).toEqual([
      200,
      '<p>home</p>',
      'text/html; charset=utf-8',
    ]);
    const post = await get('/a.txt', { method: 'POST' });
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    expect((await get('/missing')).status).toBe(404);
  });

  it('refuses every way out of the root', async () => {
    const { get, counters } = await world();
    // Encoded slashes that climb out, a symlink pointing outside, a NUL: refused.
    for (const p of ['/..%2f..%2fetc/passwd', '/dir/..%2f..%2f..%2fetc%2fpasswd', '/escape', '/a.txt%00.png']) {
      const r = await get(p);
      expect([p, r.status]).toEqual([p, 403]);
    }
    // Dot segments (plain or encoded) are resolved by the URL parser first: they stay inside the root.
    for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd']) {
      const r = await get(p);
      expect([p, r.status]).toEqual([p, 404]);
    }
    expect(counters.forbidden).toBe(4);
  });
});
