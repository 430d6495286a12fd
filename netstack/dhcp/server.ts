/**
 * DHCP server (RFC 2131 §4.3) for one device of a Stack: one address pool (FIRST-LAST) on the device's subnet.
 *
 * Allocation for a DISCOVER (§4.3.1), in order: the client's current binding; its previous one if the address is
 * free; the requested address (option 50) if free; the lowest never-used free address; then the free address
 * released or expired longest ago. An offered address is held for `offerHoldMs`. Addresses a client DECLINEd are
 * unusable for `declineHoldMs`.
 *
 * REQUEST (§4.3.2), by what the client is doing:
 * - SELECTING (server id present): ours → ACK if the requested address is the one offered, else NAK; another
 *   server's → the client chose it: our offer is withdrawn, no reply.
 * - INIT-REBOOT (requested address, no ciaddr): NAK when the address is not on our subnet or belongs to another
 *   client; ACK when it is this client's; no record of the client → silent, unless `authoritative`.
 * - RENEWING (unicast) / REBINDING (broadcast) (ciaddr set): ACK when the binding is the client's; NAK when the
 *   address is someone else's; no record → silent unless `authoritative`.
 * RELEASE frees the binding (the client stays associated, for reuse); INFORM gets the options without a lease.
 *
 * Replies go (§4.1): to the relay (giaddr); to ciaddr when set; broadcast when the client set the broadcast flag
 * (and every NAK); otherwise unicast to yiaddr at chaddr, with a neighbour entry installed for it as dhcpd does
 * with SIOCSARP (the client cannot answer ARP yet).
 *
 * Deterministic: no timers; bindings expire by comparison with the clock when looked at.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.ts';
import type { NetDevice } from '../core/netdevice.ts';
import { logger } from '../core/log.ts';
import { INADDR_BROADCAST, formatIpv4, parseIpv4, prefixMask } from '../inet/addr.ts';
import { Nud } from '../neigh/neighbour.ts';
import type { Stack } from '../stack.ts';
import { type DhcpRx, DhcpEndpoint } from './endpoint.ts';
import {
  BOOTP_BROADCAST,
  BOOTREPLY,
  BOOTREQUEST,
  DHCP_CLIENT_PORT,
  DHCP_MIN_MAX_SIZE,
  DHCP_SERVER_PORT,
  type DhcpMessage,
  DhcpType,
  Opt,
  addrsBytes,
  clientKey,
  dhcpTypeName,
  domainSearchBytes,
  messageType,
  newDhcpMessage,
  optAddr,
  optString,
  optU16,
  optU32,
  stringBytes,
  u16Bytes,
  u32Bytes,
} from './message.ts';

const log = logger('dhcpd');

export interface DhcpServerOptions {
  dev: NetDevice | string;
  /** 'FIRST-LAST' or the two addresses. */
  pool: string | { first: string | number; last: string | number };
  /** Default lease, seconds (default 3600). */
  leaseTime?: number;
  /** Bounds for a lease time the client asks for (defaults 60 s and 1 day). */
  minLeaseTime?: number;
  maxLeaseTime?: number;
  /** Option 3 (default: none). */
  routers?: Array<string | number>;
  /** Option 6. */
  dns?: Array<string | number>;
  /** Option 15. */
  domain?: string;
  /** Option 119 (RFC 3397): the search list. */
  search?: string[];
  /** Option 26. */
  mtu?: number;
  /** Hold an offered address for this long (default 60 s). GUESS: RFC 2131 leaves it open. */
  offerHoldMs?: number;
  /** A declined address is not used for this long (default 10 min, as dnsmasq). */
  declineHoldMs?: number;
  /** Answer REQUESTs of clients we have no record of (default false, as RFC 2131 asks). */
  authoritative?: boolean;
}

export type BindingState = 'offered' | 'bound' | 'released' | 'expired';

export interface DhcpBinding {
  address: number;
  client: string;
  chaddr: Uint8Array;
  hostname?: string;
  state: BindingState;
  /** Clock time (ms) when an offer or lease runs out. */
  expires: number;
  /** Clock time of the last change (ordering of reuse). */
  changed: number;
  leaseTime: number;
}

export interface DhcpServerCounters {
  discovers: number;
  requests: number;
  declines: number;
  releases: number;
  informs: number;
  offers: number;
  acks: number;
  naks: number;
  /** REQUESTs for another server, or ones we must not answer (no record of the client). */
  silent: number;
  /** No message type, or a bad hardware address length. */
  malformed: number;
  /** Of a known type but without what it needs (a REQUEST with no address, an INFORM with no ciaddr). */
  invalid: number;
  /** Not a BOOTREQUEST, or an unknown message type. */
  ignored: number;
  poolExhausted: number;
  sendErrors: number;
}

export class DhcpServer extends EventEmitter {
  readonly dev: NetDevice;
  readonly counters: DhcpServerCounters = {
    discovers: 0,
    requests: 0,
    declines: 0,
    releases: 0,
    informs: 0,
    offers: 0,
    acks: 0,
    naks: 0,
    silent: 0,
    malformed: 0,
    invalid: 0,
    ignored: 0,
    poolExhausted: 0,
    sendErrors: 0,
  };
  readonly first: number;
  readonly last: number;
  readonly serverId: number;
  readonly prefixLen: number;
  private readonly mask: number;
  private readonly clock: Clock;
  private readonly byAddr = new Map<number, DhcpBinding>();
  private readonly byClient = new Map<string, DhcpBinding>();
  private readonly declined = new Map<number, number>();
  private readonly ep: DhcpEndpoint;
  private readonly opts: Required<
    Pick<DhcpServerOptions, 'leaseTime' | 'minLeaseTime' | 'maxLeaseTime' | 'offerHoldMs' | 'declineHoldMs'>
  >;
  private readonly routers: number[];
  private readonly dns: number[];

  /** Throws a person-readable error when the pool does not fit the device's address. */
  constructor(
    readonly stack: Stack,
    private readonly options: DhcpServerOptions,
  ) {
    super();
    this.dev = stack.device(options.dev);
    this.clock = stack.clock;
    const ifa = stack.ipv4.addresses(this.dev)[0];
    if (ifa === undefined) {
      throw new Error(`DHCP server: ${this.dev.name} has no IPv4 address (the server needs one on the pool's subnet)`);
    }
    this.serverId = ifa.addr;
    this.prefixLen = ifa.prefixLen;
    this.mask = prefixMask(ifa.prefixLen);
    const { first, last } = parsePool(options.pool);
    const net = (this.serverId & this.mask) >>> 0;
    for (const [what, a] of [
      ['first', first],
      ['last', last],
    ] as const) {
      if ((a & this.mask) >>> 0 !== net) {
        throw new Error(`DHCP pool ${what} address ${formatIpv4(a)} is not on ${this.dev.name}'s subnet`);
      }
      if (a === net || a === (net | ~this.mask) >>> 0) {
        throw new Error(`DHCP pool ${what} address ${formatIpv4(a)} is the subnet's network or broadcast address`);
      }
    }
    if (last < first) throw new Error(`DHCP pool ${formatIpv4(first)}-${formatIpv4(last)} is empty (last < first)`);
    this.first = first;
    this.last = last;
    this.opts = {
      leaseTime: options.leaseTime ?? 3600,
      minLeaseTime: options.minLeaseTime ?? 60,
      maxLeaseTime: options.maxLeaseTime ?? 86_400,
      offerHoldMs: options.offerHoldMs ?? 60_000,
      declineHoldMs: options.declineHoldMs ?? 600_000,
    };
    if (options.search !== undefined) domainSearchBytes(options.search); // a bad label is refused here, in words
    this.routers = (options.routers ?? []).map((r) => (typeof r === 'number' ? r : parseIpv4(r)));
    this.dns = (options.dns ?? []).map((r) => (typeof r === 'number' ? r : parseIpv4(r)));
    this.ep = new DhcpEndpoint(stack, this.dev, DHCP_SERVER_PORT, (rx) => this.rcv(rx));
  }

  close(): void {
    this.ep.close();
  }

  get endpoint(): DhcpEndpoint {
    return this.ep;
  }

  /** Every binding, with its state as of now. */
  bindings(): DhcpBinding[] {
    const now = this.clock.now();
    return [...this.byAddr.values()].map((b) => ({ ...b, state: this.stateOf(b, now) }));
  }

  /** Live bindings (bound, not expired). */
  get activeLeases(): number {
    const now = this.clock.now();
    let n = 0;
    for (const b of this.byAddr.values()) if (this.stateOf(b, now) === 'bound') n++;
    return n;
  }

  private stateOf(b: DhcpBinding, now: number): BindingState {
    if ((b.state === 'bound' || b.state === 'offered') && now >= b.expires) {
      return b.state === 'bound' ? 'expired' : 'released';
    }
    return b.state;
  }

  /** Held by someone other than `client` right now (offered or bound and not run out, or declined). */
  private taken(addr: number, client: string | null, now: number): boolean {
    if (addr === this.serverId) return true;
    const until = this.declined.get(addr);
    if (until !== undefined) {
      if (now < until) return true;
      this.declined.delete(addr);
    }
    const b = this.byAddr.get(addr);
    if (b === undefined || b.client === client) return false;
    const st = this.stateOf(b, now);
    return st === 'bound' || st === 'offered';
  }

  private inPool(a: number): boolean {
    return a >= this.first && a <= this.last;
  }

  private onSubnet(a: number): boolean {
    return (a & this.mask) >>> 0 === (this.serverId & this.mask) >>> 0;
  }

  // -------------------------------------------------------------------------------------------------------------

  private rcv(rx: DhcpRx): void {
    const m = rx.msg;
    if (m.op !== BOOTREQUEST || !m.dhcp) {
      this.counters.ignored++;
      return;
    }
    const type = messageType(m);
    if (type === undefined || m.hlen > 16) {
      this.counters.malformed++;
      return;
    }
    log('%s: %s from %s', this.dev.name, dhcpTypeName(type), clientKey(m));
    switch (type) {
      case DhcpType.DISCOVER:
        this.counters.discovers++;
        this.discover(m);
        return;
      case DhcpType.REQUEST:
        this.counters.requests++;
        this.request(m, rx);
        return;
      case DhcpType.DECLINE:
        this.counters.declines++;
        this.decline(m);
        return;
      case DhcpType.RELEASE:
        this.counters.releases++;
        this.release(m);
        return;
      case DhcpType.INFORM:
        this.counters.informs++;
        this.inform(m);
        return;
      default:
        this.counters.ignored++;
    }
  }

  private leaseTimeFor(m: DhcpMessage): number {
    const asked = optU32(m, Opt.LEASE_TIME);
    if (asked === undefined) return this.opts.leaseTime;
    return Math.max(this.opts.minLeaseTime, Math.min(this.opts.maxLeaseTime, asked));
  }

  private allocate(m: DhcpMessage, client: string, now: number): number {
    const cur = this.byClient.get(client);
    if (cur !== undefined && !this.taken(cur.address, client, now) && this.inPool(cur.address)) return cur.address;
    const req = optAddr(m, Opt.REQUESTED_IP);
    if (req !== undefined && this.inPool(req) && !this.taken(req, client, now)) return req;
    let reuse = 0;
    let reuseAt = Number.POSITIVE_INFINITY;
    for (let a = this.first; a <= this.last; a++) {
      if (this.taken(a, client, now)) continue;
      const b = this.byAddr.get(a);
      if (b === undefined) return a;
      if (b.changed < reuseAt) {
        reuse = a;
        reuseAt = b.changed;
      }
    }
    return reuse;
  }

  private bindTo(addr: number, m: DhcpMessage, client: string, state: BindingState, expires: number): DhcpBinding {
    const old = this.byClient.get(client);
    if (old !== undefined && old.address !== addr && this.byAddr.get(old.address) === old) {
      this.byAddr.delete(old.address);
    }
    const prev = this.byAddr.get(addr);
    if (prev !== undefined && prev.client !== client && this.byClient.get(prev.client) === prev) {
      this.byClient.delete(prev.client);
    }
    const b: DhcpBinding = {
      address: addr,
      client,
      chaddr: m.chaddr.slice(0, m.hlen),
      hostname: optString(m, Opt.HOSTNAME),
      state,
      expires,
      changed: this.clock.now(),
      leaseTime: this.leaseTimeFor(m),
    };
    this.byAddr.set(addr, b);
    this.byClient.set(client, b);
    return b;
  }

  private discover(m: DhcpMessage): void {
    const now = this.clock.now();
    const client = clientKey(m);
    const addr = this.allocate(m, client, now);
    if (addr === 0) {
      this.counters.poolExhausted++;
      log('%s: pool exhausted, no offer for %s', this.dev.name, client);
      this.emit('exhausted', client);
      return;
    }
    const cur = this.byClient.get(client);
    // A client with a live lease that DISCOVERs keeps its binding (and its expiry).
    const keep = cur !== undefined && cur.address === addr && this.stateOf(cur, now) === 'bound';
    const b = keep ? cur! : this.bindTo(addr, m, client, 'offered', now + this.opts.offerHoldMs);
    this.counters.offers++;
    this.reply(m, DhcpType.OFFER, b.address, this.leaseTimeFor(m));
  }

  private request(m: DhcpMessage, rx: DhcpRx): void {
    const now = this.clock.now();
    const client = clientKey(m);
    const sid = optAddr(m, Opt.SERVER_ID);
    const req = optAddr(m, Opt.REQUESTED_IP);
    const b = this.byClient.get(client);
    if (sid !== undefined) {
      // SELECTING
      if (sid !== this.serverId) {
        if (b !== undefined && b.state === 'offered') this.forget(b);
        this.counters.silent++;
        return;
      }
      // The offer may have run out and the address gone to someone else meanwhile.
      if (b === undefined || req !== b.address || this.byAddr.get(req) !== b || this.taken(req, client, now)) {
        this.nak(m, 'requested address was not offered to this client');
        return;
      }
      this.ack(m, b);
      return;
    }
    const addr = m.ciaddr !== 0 ? m.ciaddr : req;
    if (addr === undefined) {
      this.counters.invalid++;
      return;
    }
    const rebinding = m.ciaddr !== 0 && rx.dst !== this.serverId;
    if (!this.onSubnet(addr)) {
      // RENEWING to us about an address we cannot have given; INIT-REBOOT on the wrong network.
      if (m.ciaddr === 0 || !rebinding || this.options.authoritative) this.nak(m, 'wrong network');
      else this.counters.silent++;
      return;
    }
    if (b !== undefined && b.address === addr && !this.taken(addr, client, now)) {
      this.ack(m, b);
      return;
    }
    if (this.taken(addr, client, now) || (b !== undefined && b.address !== addr && this.stateOf(b, now) === 'bound')) {
      this.nak(m, 'address belongs to another client');
      return;
    }
    if (this.options.authoritative && this.inPool(addr)) {
      this.ack(m, this.bindTo(addr, m, client, 'bound', now));
      return;
    }
    if (this.options.authoritative) {
      this.nak(m, 'address not in the pool');
      return;
    }
    this.counters.silent++;
  }

  private ack(m: DhcpMessage, b: DhcpBinding): void {
    const now = this.clock.now();
    const lt = this.leaseTimeFor(m);
    b.state = 'bound';
    b.leaseTime = lt;
    b.expires = lt === 0xffffffff ? Number.POSITIVE_INFINITY : now + lt * 1000;
    b.changed = now;
    b.hostname = optString(m, Opt.HOSTNAME) ?? b.hostname;
    this.counters.acks++;
    log('%s: ACK %s to %s for %ds', this.dev.name, formatIpv4(b.address), b.client, lt);
    this.emit('lease', { ...b });
    this.reply(m, DhcpType.ACK, b.address, lt);
  }

  private nak(m: DhcpMessage, why: string): void {
    this.counters.naks++;
    log('%s: NAK to %s: %s', this.dev.name, clientKey(m), why);
    const r = this.newReply(m, DhcpType.NAK);
    r.options.set(Opt.MESSAGE, stringBytes(why));
    // §4.3.2: a NAK is broadcast when it does not go through a relay.
    if (m.giaddr !== 0) r.flags |= BOOTP_BROADCAST;
    this.send(r, m.giaddr !== 0 ? m.giaddr : INADDR_BROADCAST, m.giaddr !== 0 ? DHCP_SERVER_PORT : DHCP_CLIENT_PORT, m);
  }

  private forget(b: DhcpBinding): void {
    b.state = 'released';
    b.changed = this.clock.now();
  }

  private decline(m: DhcpMessage): void {
    const sid = optAddr(m, Opt.SERVER_ID);
    const addr = optAddr(m, Opt.REQUESTED_IP);
    if ((sid !== undefined && sid !== this.serverId) || addr === undefined) {
      this.counters.silent++;
      return;
    }
    const client = clientKey(m);
    const b = this.byAddr.get(addr);
    if (b !== undefined && b.client !== client) {
      this.counters.silent++;
      return;
    }
    this.declined.set(addr, this.clock.now() + this.opts.declineHoldMs);
    if (b !== undefined) {
      this.byAddr.delete(addr);
      if (this.byClient.get(client) === b) this.byClient.delete(client);
    }
    log('%s: %s declined by %s', this.dev.name, formatIpv4(addr), client);
    this.emit('decline', addr);
  }

  private release(m: DhcpMessage): void {
    const sid = optAddr(m, Opt.SERVER_ID);
    const b = this.byAddr.get(m.ciaddr);
    if ((sid !== undefined && sid !== this.serverId) || b === undefined || b.client !== clientKey(m)) {
      this.counters.silent++;
      return;
    }
    this.forget(b);
    this.emit('release', { ...b });
  }

  private inform(m: DhcpMessage): void {
    if (m.ciaddr === 0) {
      this.counters.invalid++;
      return;
    }
    this.counters.acks++;
    this.reply(m, DhcpType.ACK, 0, -1);
  }

  // -------------------------------------------------------------------------------------------------------------

  private newReply(m: DhcpMessage, type: DhcpType): DhcpMessage {
    const r = newDhcpMessage(BOOTREPLY, m.xid, m.chaddr.subarray(0, m.hlen));
    r.htype = m.htype;
    r.chaddr = m.chaddr.slice();
    r.flags = m.flags;
    r.giaddr = m.giaddr;
    r.options.set(Opt.MESSAGE_TYPE, Uint8Array.of(type));
    r.options.set(Opt.SERVER_ID, u32Bytes(this.serverId));
    // RFC 6842: the client identifier is echoed.
    const id = m.options.get(Opt.CLIENT_ID);
    if (id !== undefined) r.options.set(Opt.CLIENT_ID, id);
    return r;
  }

  /** OFFER or ACK carrying `yiaddr` and the configured options; `leaseTime` < 0 for INFORM (no lease). */
  private reply(m: DhcpMessage, type: DhcpType, yiaddr: number, leaseTime: number): void {
    const r = this.newReply(m, type);
    r.yiaddr = yiaddr;
    if (type === DhcpType.ACK) r.ciaddr = m.ciaddr;
    const prl = m.options.get(Opt.PARAM_REQUEST_LIST);
    const wanted = (code: number) => prl === undefined || prl.includes(code);
    if (leaseTime >= 0) {
      r.options.set(Opt.LEASE_TIME, u32Bytes(leaseTime));
      if (leaseTime !== 0xffffffff) {
        r.options.set(Opt.RENEWAL_TIME, u32Bytes(Math.floor(leaseTime * 0.5)));
        r.options.set(Opt.REBINDING_TIME, u32Bytes(Math.floor(leaseTime * 0.875)));
      }
    }
    // The subnet mask always: a client without it would guess (RFC 2131 §4.3.1 lists it as a SHOULD-send).
    r.options.set(Opt.SUBNET_MASK, u32Bytes(this.mask));
    if (this.routers.length > 0 && wanted(Opt.ROUTER)) r.options.set(Opt.ROUTER, addrsBytes(this.routers));
    if (this.dns.length > 0 && wanted(Opt.DNS)) r.options.set(Opt.DNS, addrsBytes(this.dns));
    if (this.options.domain !== undefined && wanted(Opt.DOMAIN_NAME)) {
      r.options.set(Opt.DOMAIN_NAME, stringBytes(this.options.domain));
    }
    if (this.options.search !== undefined && wanted(Opt.DOMAIN_SEARCH)) {
      r.options.set(Opt.DOMAIN_SEARCH, domainSearchBytes(this.options.search));
    }
    if (this.options.mtu !== undefined && wanted(Opt.INTERFACE_MTU)) {
      r.options.set(Opt.INTERFACE_MTU, u16Bytes(this.options.mtu));
    }
    if (wanted(Opt.BROADCAST) && this.prefixLen < 31) {
      r.options.set(Opt.BROADCAST, u32Bytes((this.serverId | ~this.mask) >>> 0));
    }
    let dst: number;
    let port = DHCP_CLIENT_PORT;
    if (m.giaddr !== 0) {
      dst = m.giaddr;
      port = DHCP_SERVER_PORT;
    } else if (m.ciaddr !== 0) {
      dst = m.ciaddr;
    } else if (m.flags & BOOTP_BROADCAST || yiaddr === 0 || m.hlen !== this.dev.addr.length) {
      dst = INADDR_BROADCAST;
    } else {
      dst = yiaddr;
      // The client cannot answer ARP for yiaddr yet: tell the neighbour table where it is.
      const tbl = this.stack.arp.tbl;
      const n = tbl.lookupCreate(this.dev, yiaddr);
      if (n !== null) tbl.update(n, m.chaddr.subarray(0, m.hlen), Nud.STALE, true);
    }
    this.send(r, dst, port, m);
  }

  private send(r: DhcpMessage, dst: number, port: number, m: DhcpMessage): void {
    const max = optU16(m, Opt.MAX_MESSAGE_SIZE);
    const maxSize = max !== undefined && max >= 576 ? Math.min(max, this.dev.mtu) - 28 : DHCP_MIN_MAX_SIZE;
    const rc = this.ep.send(r, dst, port, this.serverId, { maxSize });
    if (rc < 0) {
      this.counters.sendErrors++;
      log('%s: reply to %s failed: %s', this.dev.name, formatIpv4(dst), this.ep.lastError);
    }
  }
}

/** 'A-B' or {first, last} → numbers. Throws a person-readable error. */
export function parsePool(p: DhcpServerOptions['pool']): { first: number; last: number } {
  const conv = (x: string | number, what: string): number => {
    if (typeof x === 'number') return x >>> 0;
    try {
      return parseIpv4(x.trim());
    } catch {
      throw new Error(
        `DHCP pool ${what} address '${x}' is not an IPv4 address (expected FIRST-LAST, e.g. 10.0.0.100-10.0.0.199)`,
      );
    }
  };
  if (typeof p === 'string') {
    const parts = p.split('-');
    if (parts.length !== 2) throw new Error(`DHCP pool '${p}' is not FIRST-LAST (e.g. 10.0.0.100-10.0.0.199)`);
    return { first: conv(parts[0]!, 'first'), last: conv(parts[1]!, 'last') };
  }
  return { first: conv(p.first, 'first'), last: conv(p.last, 'last') };
}
