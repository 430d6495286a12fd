/**
 * What the AP's host offers its stations, as a home router does: a DHCP server (the AP host as router and name
 * server), an authoritative DNS server for the BSS's domain, and an HTTP server (node:http over the host stack's
 * TCP) with one deterministic file to download. On the station side: DHCP, a resolver that follows the lease, and
 * an HTTP GET that hashes what it receives.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Prng } from '../../netstack/core/prng.ts';
import { DhcpClient, type DhcpLease } from '../../netstack/dhcp/client.ts';
import { DhcpServer } from '../../netstack/dhcp/server.ts';
import { Resolver } from '../../netstack/dns/resolver.ts';
import { DnsServer } from '../../netstack/dns/server.ts';
import { formatIpv4, parseCidr } from '../../netstack/inet/addr.ts';
import type { NetDevice } from '../../netstack/core/netdevice.ts';
import type { Stack } from '../../netstack/stack.ts';

export const DEFAULT_DOMAIN = 'airstack.test';
export const FILE_HOST = 'files';
export const FILE_PATH = '/airstack.bin';

export interface ApServicesOptions {
  /** DNS domain of the BSS (default airstack.test). */
  domain?: string;
  /** Size of the file served at /airstack.bin (default 256 KiB). */
  fileBytes?: number;
  /** DHCP lease time in seconds (default 3600). */
  leaseTime?: number;
}

export class ApServices {
  readonly dhcp: DhcpServer;
  readonly dns: DnsServer;
  readonly http: http.Server;
  readonly file: Buffer;
  readonly fileSha256: string;
  readonly domain: string;
  /** http://files.<domain>/airstack.bin */
  readonly url: string;
  requests = 0;

  constructor(stack: Stack, dev: NetDevice, cidr: string, rng: Prng, o: ApServicesOptions = {}) {
    const { addr, prefixLen } = parseCidr(cidr);
    if (prefixLen > 24) throw new Error(`the AP's subnet ${cidr} is too small for its DHCP pool (at most /24)`);
    const ip = formatIpv4(addr);
    const net = addr & ~0xff;
    this.domain = o.domain ?? DEFAULT_DOMAIN;
    this.dhcp = new DhcpServer(stack, {
      dev,
      pool: { first: net + 100, last: net + 199 },
      routers: [ip],
      dns: [ip],
      domain: this.domain,
      leaseTime: o.leaseTime ?? 3600,
    });
    this.dns = new DnsServer(stack, {
      zones: [
        {
          origin: this.domain,
          ttl: 300,
          records: [
            { name: 'gateway', type: 'A', data: ip },
            { name: FILE_HOST, type: 'A', data: ip },
          ],
        },
      ],
    });
    this.file = Buffer.from(rng.bytes(o.fileBytes ?? 256 * 1024));
    this.fileSha256 = createHash('sha256').update(this.file).digest('hex');
    this.url = `http://${FILE_HOST}.${this.domain}${FILE_PATH}`;
    this.http = http.createServer((req, res) => {
      this.requests++;
      if (req.method === 'GET' && req.url === FILE_PATH) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': this.file.length });
        res.end(this.file);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      }
    });
    // Virtual time jumps to the next timer whenever Node's loop is idle: no keep-alive timeout between requests.
    this.http.keepAliveTimeout = 0;
    stack.net.createServer((s) => this.http.emit('connection', s)).listen(80);
  }

  close(): void {
    this.dhcp.close();
    this.dns.close();
    this.http.closeAllConnections();
    this.http.close();
  }
}

/**
 * Start DHCP on `dev` and resolve with the first lease (rejects after `timeoutMs` of clock time). `onClient` sees
 * the client before it starts (to follow its states and messages).
 */
export function dhcpLease(
  stack: Stack,
  dev: NetDevice,
  hostname: string,
  timeoutMs = 60_000,
  onClient?: (c: DhcpClient) => void,
): Promise<DhcpLease> {
  const c = new DhcpClient(stack, { dev, hostname });
  onClient?.(c);
  return new Promise((resolve, reject) => {
    const t = stack.clock.setTimeout(() => {
      c.stop();
      reject(new Error(`no DHCP lease within ${timeoutMs / 1000} s (${c.counters.discovers} DISCOVERs sent)`));
    }, timeoutMs);
    c.once('bound', (l: DhcpLease) => {
      t.cancel();
      resolve(l);
    });
    c.start();
  });
}

/** A resolver for `stack` that follows its DHCP lease, also used by stack.net for host names. */
export function useResolver(stack: Stack): Resolver {
  const r = new Resolver({ stack });
  stack.net.lookup = (host, opts, cb) => r.lookup(host, opts, (err, address, family) => cb(err, address ?? [], family));
  return r;
}

export interface HttpResult {
  url: string;
  status: number;
  bytes: number;
  sha256: string;
}

/** GET `url` through `stack`'s TCP (names through stack.net.lookup); hashes the body as it arrives. */
export function httpGet(stack: Stack, url: string): Promise<HttpResult> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method: 'GET',
        host: u.hostname,
        port: u.port === '' ? 80 : Number(u.port),
        path: `${u.pathname}${u.search}`,
        createConnection: (o) => stack.net.createConnection(o as never),
      },
      (res) => {
        const h = createHash('sha256');
        let bytes = 0;
        res.on('data', (d: Buffer) => {
          bytes += d.length;
          h.update(d);
        });
        res.on('end', () => resolve({ url, status: res.statusCode ?? 0, bytes, sha256: h.digest('hex') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
