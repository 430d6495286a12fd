/**
 * A static file handler for node:http (RFC 9110 semantics for what it does): GET and HEAD of files under a root,
 * Content-Type by extension, Content-Length, Last-Modified / If-Modified-Since and a weak ETag / If-None-Match,
 * single byte ranges (first-last, open "first-", suffix "-n", with If-Range; 416 with "bytes *\/size" when none of
 * it is satisfiable; several ranges are answered with the whole file, which RFC 9110 §14.2 allows), directory
 * index.html or a listing, and no way out of the root (dot segments, encoded slashes, symlinks pointing outside).
 */
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.pcapng': 'application/vnd.tcpdump.pcap',
  '.pcap': 'application/vnd.tcpdump.pcap',
};

export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticCounters {
  requests: number;
  ok: number;
  partial: number;
  notModified: number;
  notFound: number;
  forbidden: number;
  rangeNotSatisfiable: number;
  badMethod: number;
  errors: number;
  bytes: number;
}

export function newStaticCounters(): StaticCounters {
  return {
    requests: 0,
    ok: 0,
    partial: 0,
    notModified: 0,
    notFound: 0,
    forbidden: 0,
    rangeNotSatisfiable: 0,
    badMethod: 0,
    errors: 0,
    bytes: 0,
  };
}

/** A byte range [start, end] (inclusive), or 'unsatisfiable', or null (no usable Range: serve everything). */
export type RangeResult = { start: number; end: number } | 'unsatisfiable' | null;

/** Parse a Range header against a representation of `size` bytes (RFC 9110 §14.1.2, one range only). */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return null;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return null; // another unit: ignored
  const specs = m[1]!.split(',').map((s) => s.trim());
  if (specs.length !== 1) return null; // several ranges: answered with the whole file
  const r = /^(\d*)\s*-\s*(\d*)$/.exec(specs[0]!);
  if (!r || (r[1] === '' && r[2] === '')) return null; // invalid: ignored, as the RFC allows
  if (r[1] === '') {
    // Suffix range: the last n bytes.
    const n = Number(r[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  if (r[2] !== '' && Number(r[2]) < start) return null; // last < first: invalid, ignored
  if (start >= size) return 'unsatisfiable';
  const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
  return { start, end };
}

/** Handle one request under `root` (an absolute, real path). */
export function serveStatic(root: string, counters: StaticCounters) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counters.requests++;
    try {
      await handle(root, counters, req, res);
    } catch (e) {
      counters.errors++;
      if (!res.headersSent) sendText(res, 500, `internal error: ${(e as Error).message}\n`);
      else res.destroy();
    }
  };
}

async function handle(root: string, c: StaticCounters, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    c.badMethod++;
    res.setHeader('allow', 'GET, HEAD');
    sendText(res, 405, 'method not allowed\n');
    return;
  }
  const head = req.method === 'HEAD';
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://host').pathname);
  } catch {
    sendText(res, 400, 'bad request path\n');
    return;
  }
  if (pathname.includes('\0')) {
    c.forbidden++;
    sendText(res, 403, 'forbidden\n');
    return;
  }
  // Resolve under the root, then follow symlinks: both must stay inside it.
  const target = resolve(root, `.${pathname}`);
  if (!inside(root, target)) {
    c.forbidden++;
    sendText(res, 403, 'forbidden\n');
    return;
  }
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    c.notFound++;
    sendText(res, 404, 'not found\n');
    return;
  }
  if (!inside(root, real)) {
    c.forbidden++;
    sendText(res, 403, 'forbidden\n');
    return;
  }
  let st = await stat(real);
  let file = real;
  if (st.isDirectory()) {
    if (!pathname.endsWith('/')) {
      res.setHeader('location', `${encodeURI(pathname)}/`);
      sendText(res, 301, 'moved\n');
      return;
    }
    const index = join(real, 'index.html');
    const ist = await stat(index).catch(() => null);
    if (ist?.isFile()) {
      file = index;
      st = ist;
    } else {
      await listing(res, real, pathname, head);
      c.ok++;
      return;
    }
  }
  if (!st.isFile()) {
    c.forbidden++;
    sendText(res, 403, 'forbidden\n');
    return;
  }
  const size = st.size;
  const mtime = new Date(Math.floor(st.mtimeMs / 1000) * 1000);
  const etag = `W/"${size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  res.setHeader('accept-ranges', 'bytes');
  res.setHeader('last-modified', mtime.toUTCString());
  res.setHeader('etag', etag);
  res.setHeader('content-type', contentType(file));
  // Conditional requests (RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since).
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  const notModified =
    inm !== undefined
      ? inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')
      : ims !== undefined && !Number.isNaN(Date.parse(ims)) && mtime.getTime() <= Date.parse(ims);
  if (notModified) {
    c.notModified++;
    res.statusCode = 304;
    res.end();
    return;
  }
  let range = parseRange(req.headers.range, size);
  const ifRangeHeader = req.headers['if-range'];
  const ifRange = Array.isArray(ifRangeHeader) ? ifRangeHeader[0] : ifRangeHeader;
  if (range !== null && ifRange !== undefined) {
    // A stale validator: the whole representation instead (RFC 9110 §13.1.5).
    const fresh = ifRange.startsWith('"') || ifRange.startsWith('W/') ? false : Date.parse(ifRange) === mtime.getTime();
    if (!fresh) range = null;
  }
  if (range === 'unsatisfiable') {
    c.rangeNotSatisfiable++;
    res.setHeader('content-range', `bytes */${size}`);
    sendText(res, 416, 'range not satisfiable\n');
    return;
  }
  let start = 0;
  let end = size - 1;
  if (range !== null) {
    ({ start, end } = range);
    res.statusCode = 206;
    res.setHeader('content-range', `bytes ${start}-${end}/${size}`);
    c.partial++;
  } else {
    res.statusCode = 200;
    c.ok++;
  }
  const length = size === 0 ? 0 : end - start + 1;
  res.setHeader('content-length', length);
  if (head || length === 0) {
    res.end();
    return;
  }
  await new Promise<void>((done) => {
    const rs = createReadStream(file, { start, end, highWaterMark: 256 * 1024 });
    rs.on('data', (chunk) => {
      c.bytes += chunk.length;
    });
    rs.on('error', () => {
      c.errors++;
      res.destroy();
      done();
    });
    res.on('close', () => {
      rs.destroy();
      done();
    });
    rs.pipe(res);
  });
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

async function listing(res: ServerResponse, dir: string, pathname: string, head: boolean): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const items = entries
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort()
    .map(
      (n) =>
        `<li><a href="${esc(encodeURIComponent(n.replace(/\/$/, '')) + (n.endsWith('/') ? '/' : ''))}">${esc(n)}</a></li>`,
    );
  const body = Buffer.from(
    `<!doctype html><title>${esc(pathname)}</title><h1>${esc(pathname)}</h1><ul>${items.join('')}</ul>\n`,
  );
  res.statusCode = 200;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('content-length', body.length);
  res.end(head ? undefined : body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text);
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', body.length);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** Resolve and check the --http-root directory (a person's input): its real path, or an error message. */
export async function checkRoot(dir: string): Promise<string> {
  const abs = resolve(dir);
  const st = await stat(abs).catch(() => null);
  if (st === null) throw new Error(`--http-root ${dir} does not exist`);
  if (!st.isDirectory()) throw new Error(`--http-root ${dir} is not a directory`);
  return realpath(abs);
}
