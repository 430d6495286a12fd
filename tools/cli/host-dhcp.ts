/**
 * DHCP for `airstack host`:
 *
 *     airstack host --tap tap0 --ip 10.0.0.1/24 --dhcp-server 10.0.0.100-10.0.0.199 [--dhcp-lease S] [--dhcp-dns A,B]
 *     airstack host --tap tap0 --dhcp
 *
 * `--dhcp-server` serves leases from the pool on the TAP's subnet (the router option is --gw when given, DNS servers
 * --dhcp-dns); `--dhcp` gets the host's address, default route and DNS servers from a DHCP server on the link
 * instead of --ip, and releases the lease on exit. Both print what happens and their counters on exit.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { DhcpClient } from '../../netstack/dhcp/client.ts';
import { DhcpServer, parsePool } from '../../netstack/dhcp/server.ts';
import { formatCidr, formatIpv4, formatMac, parseCidr, parseIpv4, prefixMask } from '../../netstack/inet/addr.ts';
import type { HostFeature, HostService } from './commands/host.ts';
import { UsageError } from './errors.ts';

export const dhcpServerFeature: HostFeature = {
  options(cmd: Command) {
    cmd
      .option('--dhcp-server <first-last>', 'serve DHCP leases from this pool on the TAP (needs --ip on its subnet)')
      .option('--dhcp-lease <seconds>', 'lease time of --dhcp-server (default 3600)')
      .option('--dhcp-dns <addresses>', 'DNS servers --dhcp-server hands out, comma-separated');
  },
  plan(opts) {
    if (opts.dhcpServer === undefined) {
      if (opts.dhcpLease !== undefined || opts.dhcpDns !== undefined) {
        throw new UsageError('--dhcp-lease and --dhcp-dns need --dhcp-server FIRST-LAST');
      }
      return null;
    }
    const poolArg = String(opts.dhcpServer);
    if (opts.ip === undefined)
      throw new UsageError('--dhcp-server needs --ip: the server needs an address on its subnet');
    let pool: { first: number; last: number };
    let ip: { addr: number; prefixLen: number };
    try {
      pool = parsePool(poolArg);
      ip = parseCidr(String(opts.ip));
    } catch (e) {
      throw new UsageError(`--dhcp-server: ${(e as Error).message}`);
    }
    const mask = prefixMask(ip.prefixLen);
    for (const a of [pool.first, pool.last]) {
      if (((a ^ ip.addr) & mask) >>> 0 !== 0) {
        throw new UsageError(`--dhcp-server ${poolArg}: ${formatIpv4(a)} is not on the subnet of --ip ${opts.ip}`);
      }
    }
    if (pool.last < pool.first) throw new UsageError(`--dhcp-server ${poolArg}: the last address is before the first`);
    if (ip.addr >= pool.first && ip.addr <= pool.last) {
      throw new UsageError(`--dhcp-server ${poolArg}: the pool contains the host's own address ${formatIpv4(ip.addr)}`);
    }
    let leaseTime = 3600;
    if (opts.dhcpLease !== undefined) {
      const s = String(opts.dhcpLease);
      if (!/^\d+$/.test(s) || Number(s) < 60 || Number(s) > 0xfffffffe) {
        throw new UsageError(`--dhcp-lease '${s}' is not a lease time in seconds (60 or more)`);
      }
      leaseTime = Number(s);
    }
    const dns =
      opts.dhcpDns === undefined
        ? []
        : String(opts.dhcpDns)
            .split(',')
            .map((x) => checkedAddr(x, '--dhcp-dns'));
    const gw = opts.gw === undefined ? [] : [String(opts.gw)];
    return dhcpServerService(poolArg, { leaseTime, dns, routers: gw });
  },
};

function checkedAddr(s: string, what: string): string {
  try {
    parseIpv4(s.trim());
  } catch {
    throw new UsageError(`${what} '${s}' is not an IPv4 address`);
  }
  return s.trim();
}

export function dhcpServerService(
  pool: string,
  o: { leaseTime: number; dns: string[]; routers: string[] },
): HostService {
  let server: DhcpServer | null = null;
  return {
    name: 'dhcp-server',
    async start(ctx) {
      try {
        server = new DhcpServer(ctx.stack, { dev: ctx.dev, pool, ...o });
      } catch (e) {
        throw new UsageError(`--dhcp-server: ${(e as Error).message}`);
      }
      server.on('lease', (b: { address: number; chaddr: Uint8Array; hostname?: string; leaseTime: number }) => {
        ctx.say(
          `dhcp-server: ${formatIpv4(b.address)} to ${formatMac(b.chaddr)}${b.hostname ? ` (${b.hostname})` : ''} for ${b.leaseTime} s`,
        );
      });
      server.on('release', (b: { address: number }) => ctx.say(`dhcp-server: ${formatIpv4(b.address)} released`));
      server.on('decline', (a: number) => ctx.say(`dhcp-server: ${formatIpv4(a)} declined (in use on the link)`));
      return `dhcp server for ${pool}`;
    },
    async stop() {
      server?.close();
    },
    counters: () => ({ ...(server?.counters ?? {}), activeLeases: server?.activeLeases ?? 0 }),
  };
}

export const dhcpClientFeature: HostFeature = {
  options(cmd: Command) {
    cmd.option('--dhcp', 'get the address, default route and DNS servers by DHCP instead of --ip');
  },
  plan(opts) {
    if (opts.dhcp === undefined || opts.dhcp === false) return null;
    if (opts.gw !== undefined) throw new UsageError('--gw comes from the DHCP lease with --dhcp; leave it out');
    return dhcpClientService();
  },
};

/** Wait this long for the first lease before printing the banner; the client keeps trying after. */
const FIRST_LEASE_WAIT_MS = 30_000;

export function dhcpClientService(): HostService {
  let client: DhcpClient | null = null;
  return {
    name: 'dhcp',
    providesAddress: true,
    async start(ctx) {
      const c = new DhcpClient(ctx.stack, { dev: ctx.dev, hostname: hostname().split('.')[0] });
      client = c;
      c.on('bound', (l) => {
        const extra = [
          l.routers.length ? `router ${formatIpv4(l.routers[0]!)}` : '',
          l.dns.length ? `dns ${l.dns.map(formatIpv4).join(',')}` : '',
        ];
        ctx.say(
          `dhcp: leased ${formatCidr(l.address, l.prefixLen)} from ${formatIpv4(l.serverId)} for ${l.leaseTime} s` +
            extra
              .filter(Boolean)
              .map((x) => `, ${x}`)
              .join(''),
        );
      });
      c.on('renewed', (l) => ctx.say(`dhcp: renewed ${formatIpv4(l.address)} for ${l.leaseTime} s`));
      c.on('expired', (l) => ctx.say(`dhcp: lease of ${formatIpv4(l.address)} expired; address removed`));
      c.on('nak', (n: { state: string; message: string }) =>
        ctx.say(`dhcp: NAK in ${n.state}${n.message ? `: ${n.message}` : ''}`),
      );
      c.on('conflict', (x: { address: number; by: string }) =>
        ctx.say(`dhcp: ${formatIpv4(x.address)} is already used by ${x.by}; declined`),
      );
      c.start();
      const bound = await new Promise<boolean>((resolve) => {
        const timer = ctx.clock.setTimeout(() => resolve(false), FIRST_LEASE_WAIT_MS);
        c.once('bound', () => {
          timer.cancel();
          resolve(true);
        });
      });
      const l = c.lease;
      return bound && l ? `dhcp ${formatCidr(l.address, l.prefixLen)}` : 'dhcp: no lease yet (still trying)';
    },
    async stop() {
      if (client === null) return;
      const hadLease = client.lease !== null;
      client.stop();
      // The RELEASE is a unicast that may wait for ARP: give it a moment before the TAP goes away.
      if (hadLease) await new Promise<void>((resolve) => client!.stack.clock.setTimeout(resolve, 300));
    },
    counters: () => ({ ...(client?.counters ?? {}) }),
  };
}
