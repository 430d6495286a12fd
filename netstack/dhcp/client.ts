/**
 * DHCP client (RFC 2131 §4.4, RFC 2132) for one device of a Stack. States as in RFC 2131 figure 5, plus CHECKING
 * for the address conflict probe (RFC 5227) between the ACK and BOUND:
 *
 *     INIT → SELECTING (DISCOVER, collect OFFERs) → REQUESTING (REQUEST) → CHECKING (ARP probes) → BOUND
 *     BOUND → (T1) RENEWING (REQUEST unicast to the server) → (T2) REBINDING (REQUEST broadcast) → (expiry) INIT
 *     INIT-REBOOT (a remembered lease) → REBOOTING (REQUEST with requested-IP) → CHECKING/BOUND, or NAK → INIT
 *
 * Retransmission (§4.1): 4, 8, 16, 32, 64 s, each ± 1 s from the seeded rng; DISCOVER keeps going at 64 s, a
 * REQUEST in REQUESTING or REBOOTING gives up after the 64 s wait and restarts at INIT. In RENEWING and REBINDING a
 * REQUEST is repeated after half the time left until T2 (resp. the lease's end), at least 60 s (§4.4.5).
 *
 * The lease is applied to the stack: the address with its prefix (connected route), a default route through the
 * first router, the interface MTU (option 26, only ever lowered), and the DNS servers and domain into the stack's
 * resolver configuration. All of it is removed when the lease ends (expiry, NAK, release). A conflict found by the
 * probe sends DECLINE and restarts after `declineBackoffMs` (RFC 2131 §3.1.5: at least 10 s).
 *
 * Observable: `state`, `lease`, events ('state', 'bound', 'renewed', 'expired', 'nak', 'conflict', 'released',
 * and 'send' for each message handed to the stack: {type, src, dst, xid, at}), and `counters`.
 */
import { EventEmitter } from 'node:events';
import type { Clock, Timer } from '../core/clock.ts';
import type { NetDevice } from '../core/netdevice.ts';
import type { Prng } from '../core/prng.ts';
import { logger } from '../core/log.ts';
import { INADDR_BROADCAST, formatCidr, formatIpv4, isMulticast, maskToPrefix } from '../inet/addr.ts';
import type { Route } from '../ipv4/route.ts';
import { resolvConf } from '../dns/resolv-conf.ts';
import type { Stack } from '../stack.ts';
import { type AcdParams, AddressProbe, RFC5227 } from './acd.ts';
import { type DhcpRx, DhcpEndpoint } from './endpoint.ts';
import {
  BOOTP_BROADCAST,
  BOOTREPLY,
  BOOTREQUEST,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  type DhcpMessage,
  DhcpType,
  Opt,
  messageType,
  newDhcpMessage,
  optAddr,
  optAddrs,
  optDomainSearch,
  optString,
  optU16,
  optU32,
  stringBytes,
  u16Bytes,
  u32Bytes,
} from './message.ts';

const log = logger('dhcp');

export type DhcpClientState =
  | 'INIT'
  | 'SELECTING'
  | 'REQUESTING'
  | 'CHECKING'
  | 'BOUND'
  | 'RENEWING'
  | 'REBINDING'
  | 'INIT-REBOOT'
  | 'REBOOTING'
  | 'STOPPED';

/** What a server granted. Times are in seconds as on the wire; `start` is clock time in ms. */
export interface DhcpLease {
  address: number;
  prefixLen: number;
  serverId: number;
  routers: number[];
  dns: number[];
  domain?: string;
  /** Option 119 (RFC 3397). */
  search?: string[];
  hostname?: string;
  mtu?: number;
  broadcast?: number;
  /** Seconds; 0xffffffff is infinite. */
  leaseTime: number;
  t1: number;
  t2: number;
  /** Clock time (ms) when the REQUEST that obtained it was sent (RFC 2131 §4.4.1). */
  start: number;
  /** Every option of the ACK, raw. */
  options: Map<number, Uint8Array>;
}

export interface DhcpClientOptions {
  dev: NetDevice | string;
  /** Option 12. */
  hostname?: string;
  /** Option 61 (default: hardware type 1 followed by the MAC, as dhclient and systemd send). */
  clientId?: Uint8Array;
  /** A lease remembered from an earlier run: start in INIT-REBOOT and ask for its address again. */
  lease?: Pick<DhcpLease, 'address'> & Partial<DhcpLease>;
  /** Ask for this lease time (option 51), seconds. */
  requestLeaseTime?: number;
  /** Set the broadcast flag (default false: the endpoint's tap receives unicast replies before configuration). */
  broadcastFlag?: boolean;
  /** RFC 5227 probe before using an address (default on; false to skip). */
  acd?: Partial<AcdParams> | false;
  /** Wait after a DECLINE before starting over (default 10 s). */
  declineBackoffMs?: number;
  /** After the first OFFER, wait this long for more before choosing (dhclient's select-timeout; default 0). */
  selectTimeoutMs?: number;
  /** Random delay before the first DISCOVER, [min, max] ms (RFC 2131 §4.4.1 suggests 1-10 s; default none). */
  startDelayMs?: [number, number];
  /** Apply the lease to the stack (default true). */
  apply?: boolean;
  /** Option 60. */
  vendorClass?: string;
  /** Option 55 (default: subnet, router, DNS, hostname, domain, search, MTU, broadcast, lease, T1, T2). */
  paramRequestList?: number[];
  rng?: Prng;
}

export interface DhcpClientCounters {
  discovers: number;
  requests: number;
  declines: number;
  releases: number;
  retransmits: number;
  offers: number;
  acks: number;
  naks: number;
  /** Replies not for our transaction (xid, chaddr), or of a type unexpected in the current state. */
  ignored: number;
  /** Replies that were not a usable DHCP message (no type, bad offer, no server id, malformed). */
  malformed: number;
  conflicts: number;
  leases: number;
  renewals: number;
  rebinds: number;
  expiries: number;
  /** REQUESTING/REBOOTING gave up without an answer. */
  requestTimeouts: number;
  sendErrors: number;
}

const DEFAULT_PRL = [
  Opt.SUBNET_MASK,
  Opt.ROUTER,
  Opt.DNS,
  Opt.HOSTNAME,
  Opt.DOMAIN_NAME,
  Opt.DOMAIN_SEARCH,
  Opt.INTERFACE_MTU,
  Opt.BROADCAST,
  Opt.LEASE_TIME,
  Opt.RENEWAL_TIME,
  Opt.REBINDING_TIME,
];
const INFINITE = 0xffffffff;
/** Retransmissions in REQUESTING/REBOOTING before giving up (waits of 4, 8, 16, 32, 64 s). */
const REQUEST_TRIES = 5;
/** RFC 2131 §4.4.5: the least wait between REQUESTs in RENEWING/REBINDING. */
const RENEW_MIN_WAIT_MS = 60_000;

export class DhcpClient extends EventEmitter {
  readonly dev: NetDevice;
  readonly counters: DhcpClientCounters = {
    discovers: 0,
    requests: 0,
    declines: 0,
    releases: 0,
    retransmits: 0,
    offers: 0,
    acks: 0,
    naks: 0,
    ignored: 0,
    malformed: 0,
    conflicts: 0,
    leases: 0,
    renewals: 0,
    rebinds: 0,
    expiries: 0,
    requestTimeouts: 0,
    sendErrors: 0,
  };
  state: DhcpClientState = 'STOPPED';
  /** The lease in force (BOUND, RENEWING, REBINDING), or null. */
  lease: DhcpLease | null = null;
  private readonly clock: Clock;
  private readonly rng: Prng;
  private readonly ep: DhcpEndpoint;
  private readonly clientId: Uint8Array;
  private xid = 0;
  /** Clock time the current acquisition or renewal began (secs field). */
  private txStart = 0;
  /** When the REQUEST being answered was (last) sent: the lease starts there. */
  private requestSentAt = 0;
  private tries = 0;
  private offers: DhcpMessage[] = [];
  private chosen: DhcpMessage | null = null;
  /** Address to ask for again (INIT-REBOOT, or the last lease's, in DISCOVER). */
  private remembered: number;
  private probe: AddressProbe | null = null;
  private readonly rtx: Timer;
  private readonly wait: Timer;
  private readonly t1Timer: Timer;
  private readonly t2Timer: Timer;
  private readonly expiryTimer: Timer;
  private readonly announceTimer: Timer;
  // What we changed on the stack.
  private appliedAddr = 0;
  private appliedRoute: Route | null = null;
  private savedMtu = 0;
  private appliedDns = false;
  private readonly opts: DhcpClientOptions;
  private stopped = false;

  constructor(
    readonly stack: Stack,
    opts: DhcpClientOptions,
  ) {
    super();
    this.opts = opts;
    this.dev = stack.device(opts.dev);
    this.clock = stack.clock;
    this.rng = opts.rng ?? stack.rng.fork(`dhcp:${this.dev.name}`);
    this.clientId = opts.clientId ?? Uint8Array.from([1, ...this.dev.addr.subarray(0, 6)]);
    this.remembered = opts.lease?.address ?? 0;
    this.ep = new DhcpEndpoint(stack, this.dev, DHCP_CLIENT_PORT, (rx) => this.rcv(rx));
    this.rtx = this.clock.timer(() => this.retransmit());
    this.wait = this.clock.timer(() => this.waitDone());
    this.t1Timer = this.clock.timer(() => this.enterRenewing());
    this.t2Timer = this.clock.timer(() => this.enterRebinding());
    this.expiryTimer = this.clock.timer(() => this.expire());
    this.announceTimer = this.clock.timer(() => {
      if (this.appliedAddr !== 0) this.stack.arp.announce(this.dev, this.appliedAddr);
    });
  }

  /** Endpoint counters (packets, malformed, taken by the tap). */
  get endpoint(): DhcpEndpoint {
    return this.ep;
  }

  /** Start: INIT-REBOOT with a remembered lease, else INIT (after the optional start delay). */
  start(): void {
    if (this.state !== 'STOPPED') return;
    if (this.stopped) throw new Error('a stopped DHCP client cannot be started again: create a new one');
    if (this.remembered !== 0 && this.opts.lease !== undefined) {
      this.setState('INIT-REBOOT');
      this.sendReboot();
      return;
    }
    this.setState('INIT');
    const [lo, hi] = this.opts.startDelayMs ?? [0, 0];
    if (hi > 0) this.wait.mod(lo + this.rng.float() * (hi - lo));
    else this.sendDiscover();
  }

  /** Stop: RELEASE the lease (unless `release: false`) and remove it from the stack. */
  stop(opts: { release?: boolean } = {}): void {
    if (this.state === 'STOPPED') return;
    const l = this.lease;
    if (l !== null && (opts.release ?? true) && this.appliedAddr !== 0) {
      const m = this.newRequest(DhcpType.RELEASE, this.newXid());
      m.ciaddr = l.address;
      m.options.set(Opt.SERVER_ID, u32Bytes(l.serverId));
      this.counters.releases++;
      this.transmit(m, l.serverId, l.address);
      this.emit('released', l);
    }
    this.cancelTimers();
    this.unconfigure();
    this.lease = null;
    this.setState('STOPPED');
    this.stopped = true;
    this.ep.close();
  }

  /** Renew now (as `dhclient -n`/`networkctl renew`): from BOUND, go to RENEWING at once. False if not BOUND. */
  renew(): boolean {
    if (this.state !== 'BOUND') return false;
    this.enterRenewing();
    return true;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Sending

  private newXid(): number {
    this.xid = this.rng.nextU32();
    return this.xid;
  }

  private secs(): number {
    return Math.min(0xffff, Math.floor((this.clock.now() - this.txStart) / 1000));
  }

  private newRequest(type: DhcpType, xid: number): DhcpMessage {
    const m = newDhcpMessage(BOOTREQUEST, xid, this.dev.addr);
    m.options.set(Opt.MESSAGE_TYPE, Uint8Array.of(type));
    m.options.set(Opt.CLIENT_ID, this.clientId);
    if (type === DhcpType.DECLINE || type === DhcpType.RELEASE) return m;
    m.secs = this.secs();
    if (this.opts.broadcastFlag) m.flags = BOOTP_BROADCAST;
    // Option 57 (RFC 2132 §9.10): the device MTU, read by servers as the largest IP datagram (ISC dhcpd and ours
    // take 28 bytes of IP and UDP headers off). GUESS: the RFC does not say whether the headers count.
    m.options.set(Opt.MAX_MESSAGE_SIZE, u16Bytes(Math.max(576, Math.min(0xffff, this.dev.mtu))));
    if (this.opts.hostname !== undefined) m.options.set(Opt.HOSTNAME, stringBytes(this.opts.hostname));
    if (this.opts.vendorClass !== undefined) m.options.set(Opt.VENDOR_CLASS, stringBytes(this.opts.vendorClass));
    m.options.set(Opt.PARAM_REQUEST_LIST, Uint8Array.from(this.opts.paramRequestList ?? DEFAULT_PRL));
    if (this.opts.requestLeaseTime !== undefined) m.options.set(Opt.LEASE_TIME, u32Bytes(this.opts.requestLeaseTime));
    return m;
  }

  private transmit(m: DhcpMessage, dst: number, src: number): void {
    const rc = this.ep.send(m, dst, DHCP_SERVER_PORT, src);
    this.emit('send', { type: messageType(m), src, dst, xid: m.xid, at: this.clock.now() });
    if (rc < 0) {
      this.counters.sendErrors++;
      log('%s: send failed: %s', this.dev.name, this.ep.lastError);
    }
  }

  /** RFC 2131 §4.1: 4 s doubling to 64 s, ± 1 s. */
  private backoff(n: number): number {
    return Math.min(64_000, 4000 * 2 ** n) + (this.rng.float() * 2 - 1) * 1000;
  }

  private sendDiscover(): void {
    this.setState('SELECTING');
    this.newXid();
    this.txStart = this.clock.now();
    this.tries = 0;
    this.offers = [];
    this.ep.unconfiguredRx = true;
    this.discover();
  }

  private discover(): void {
    const m = this.newRequest(DhcpType.DISCOVER, this.xid);
    if (this.remembered !== 0) m.options.set(Opt.REQUESTED_IP, u32Bytes(this.remembered));
    this.counters.discovers++;
    this.transmit(m, INADDR_BROADCAST, 0);
    this.rtx.mod(this.backoff(this.tries));
  }

  private sendReboot(): void {
    this.setState('REBOOTING');
    this.newXid();
    this.txStart = this.clock.now();
    this.tries = 0;
    this.ep.unconfiguredRx = true;
    this.request();
  }

  private request(): void {
    const st = this.state;
    const m = this.newRequest(DhcpType.REQUEST, this.xid);
    let dst = INADDR_BROADCAST;
    let src = 0;
    if (st === 'REQUESTING') {
      const offer = this.chosen!;
      m.options.set(Opt.SERVER_ID, u32Bytes(optAddr(offer, Opt.SERVER_ID)!));
      m.options.set(Opt.REQUESTED_IP, u32Bytes(offer.yiaddr));
    } else if (st === 'REBOOTING') {
      m.options.set(Opt.REQUESTED_IP, u32Bytes(this.remembered));
    } else {
      // RENEWING (unicast to the server) or REBINDING (broadcast): ciaddr is ours, no server id, no requested IP.
      const l = this.lease!;
      m.ciaddr = l.address;
      src = l.address;
      if (st === 'RENEWING') dst = l.serverId;
    }
    this.counters.requests++;
    this.requestSentAt = this.clock.now();
    this.transmit(m, dst, src);
    if (st === 'REQUESTING' || st === 'REBOOTING') {
      this.rtx.mod(this.backoff(this.tries));
    } else {
      const l = this.lease!;
      const until = st === 'RENEWING' ? this.at(l, l.t2) : this.at(l, l.leaseTime);
      const half = (until - this.clock.now()) / 2;
      const delay = Math.max(RENEW_MIN_WAIT_MS, half);
      if (this.clock.now() + delay < until) this.rtx.mod(delay);
    }
  }

  private retransmit(): void {
    this.counters.retransmits++;
    this.tries++;
    switch (this.state) {
      case 'SELECTING':
        this.discover();
        break;
      case 'REQUESTING':
      case 'REBOOTING':
        if (this.tries >= REQUEST_TRIES) {
          this.counters.requestTimeouts++;
          log('%s: no answer to REQUEST, back to INIT', this.dev.name);
          this.restart();
          return;
        }
        this.request();
        break;
      case 'RENEWING':
      case 'REBINDING':
        this.request();
        break;
      default:
        this.counters.retransmits--;
    }
  }

  private waitDone(): void {
    if (this.state === 'SELECTING') this.select();
    else if (this.state === 'INIT') this.sendDiscover();
  }

  /** Back to INIT and DISCOVER at once. */
  private restart(): void {
    this.cancelTimers();
    this.setState('INIT');
    this.sendDiscover();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Receiving

  private rcv(rx: DhcpRx): void {
    const m = rx.msg;
    if (m.op !== BOOTREPLY || m.xid !== this.xid || !this.chaddrIsOurs(m)) {
      this.counters.ignored++;
      return;
    }
    const type = messageType(m);
    switch (type) {
      case DhcpType.OFFER:
        this.rcvOffer(m);
        return;
      case DhcpType.ACK:
        this.rcvAck(m);
        return;
      case DhcpType.NAK:
        this.rcvNak(m);
        return;
      default:
        if (type === undefined) this.counters.malformed++;
        else this.counters.ignored++;
    }
  }

  private chaddrIsOurs(m: DhcpMessage): boolean {
    if (m.hlen !== 6) return false;
    for (let i = 0; i < 6; i++) if (m.chaddr[i] !== this.dev.addr[i]) return false;
    return true;
  }

  private static usableAddress(a: number): boolean {
    return a !== 0 && a !== INADDR_BROADCAST && !isMulticast(a) && a >>> 24 !== 127 && a >>> 24 !== 0;
  }

  private rcvOffer(m: DhcpMessage): void {
    if (this.state !== 'SELECTING') {
      this.counters.ignored++;
      return;
    }
    if (!DhcpClient.usableAddress(m.yiaddr) || optAddr(m, Opt.SERVER_ID) === undefined) {
      this.counters.malformed++;
      return;
    }
    this.counters.offers++;
    log('%s: OFFER %s from %s', this.dev.name, formatIpv4(m.yiaddr), formatIpv4(optAddr(m, Opt.SERVER_ID)!));
    this.offers.push(m);
    if (!this.wait.pending) this.wait.mod(this.opts.selectTimeoutMs ?? 0);
  }

  /** Choose among the offers: the one for the address we had, else the first. */
  private select(): void {
    const offer = this.offers.find((o) => o.yiaddr === this.remembered) ?? this.offers[0];
    if (offer === undefined) return;
    this.offers = [];
    this.chosen = offer;
    this.rtx.cancel();
    this.setState('REQUESTING');
    this.tries = 0;
    this.request();
  }

  private rcvAck(m: DhcpMessage): void {
    const st = this.state;
    if (st !== 'REQUESTING' && st !== 'REBOOTING' && st !== 'RENEWING' && st !== 'REBINDING') {
      this.counters.ignored++;
      return;
    }
    const serverId = optAddr(m, Opt.SERVER_ID);
    if (st === 'REQUESTING' && serverId !== optAddr(this.chosen!, Opt.SERVER_ID)) {
      this.counters.ignored++;
      return;
    }
    const lease = this.leaseFrom(m, serverId ?? this.lease?.serverId ?? 0);
    if (lease === null) {
      this.counters.malformed++;
      return;
    }
    this.counters.acks++;
    this.rtx.cancel();
    if ((st === 'RENEWING' || st === 'REBINDING') && lease.address === this.lease?.address) {
      if (st === 'RENEWING') this.counters.renewals++;
      else this.counters.rebinds++;
      this.bind(lease, 'renewed');
      return;
    }
    if (st === 'RENEWING' || st === 'REBINDING') {
      // A different address: the old one is gone.
      this.unconfigure();
      this.lease = null;
    }
    this.check(lease);
  }

  private rcvNak(m: DhcpMessage): void {
    const st = this.state;
    if (st !== 'REQUESTING' && st !== 'REBOOTING' && st !== 'RENEWING' && st !== 'REBINDING') {
      this.counters.ignored++;
      return;
    }
    if (st === 'REQUESTING' && optAddr(m, Opt.SERVER_ID) !== optAddr(this.chosen!, Opt.SERVER_ID)) {
      this.counters.ignored++;
      return;
    }
    this.counters.naks++;
    const why = optString(m, Opt.MESSAGE) ?? '';
    log('%s: NAK in %s%s', this.dev.name, st, why ? `: ${why}` : '');
    this.emit('nak', { state: st, message: why });
    this.unconfigure();
    this.lease = null;
    this.remembered = 0;
    this.restart();
  }

  /** The lease an ACK grants, or null when it is unusable (no address, no lease time). */
  private leaseFrom(m: DhcpMessage, serverId: number): DhcpLease | null {
    const address = m.yiaddr;
    const leaseTime = optU32(m, Opt.LEASE_TIME);
    if (!DhcpClient.usableAddress(address) || leaseTime === undefined || serverId === 0) return null;
    const mask = optAddr(m, Opt.SUBNET_MASK);
    let prefixLen = mask !== undefined ? maskToPrefix(mask) : -1;
    // No (or a non-contiguous) mask: the classful default (RFC 2131 §4.3.1 leaves it to the client). GUESS.
    if (prefixLen < 0) prefixLen = address >>> 31 === 0 ? 8 : address >>> 30 === 2 ? 16 : 24;
    let t1 = optU32(m, Opt.RENEWAL_TIME);
    let t2 = optU32(m, Opt.REBINDING_TIME);
    if (leaseTime !== INFINITE) {
      // RFC 2131 §4.4.5 defaults; values that break T1 < T2 < lease fall back to them.
      if (t2 === undefined || t2 >= leaseTime) t2 = Math.floor(leaseTime * 0.875);
      if (t1 === undefined || t1 >= t2) t1 = Math.floor(leaseTime * 0.5);
    } else {
      t1 = t2 = INFINITE;
    }
    const mtu = optU16(m, Opt.INTERFACE_MTU);
    return {
      address,
      prefixLen,
      serverId,
      routers: optAddrs(m, Opt.ROUTER) ?? [],
      dns: optAddrs(m, Opt.DNS) ?? [],
      domain: optString(m, Opt.DOMAIN_NAME),
      search: optDomainSearch(m),
      hostname: optString(m, Opt.HOSTNAME),
      mtu: mtu !== undefined && mtu >= 68 ? mtu : undefined,
      broadcast: optAddr(m, Opt.BROADCAST),
      leaseTime,
      t1,
      t2,
      start: this.requestSentAt,
      options: m.options,
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Checking and binding

  private check(lease: DhcpLease): void {
    const acd = this.opts.acd;
    if (acd === false) {
      this.bind(lease, 'bound');
      return;
    }
    this.setState('CHECKING');
    this.probe = new AddressProbe(this.stack, this.dev, lease.address, { ...RFC5227, ...acd }, this.rng, (r) => {
      this.probe = null;
      if (!r.conflict) {
        this.bind(lease, 'bound');
        return;
      }
      this.decline(lease, r.by ?? '');
    });
    this.probe.start();
  }

  private decline(lease: DhcpLease, by: string): void {
    this.counters.conflicts++;
    log('%s: %s is in use by %s: DECLINE', this.dev.name, formatIpv4(lease.address), by);
    const m = this.newRequest(DhcpType.DECLINE, this.xid);
    m.options.set(Opt.REQUESTED_IP, u32Bytes(lease.address));
    m.options.set(Opt.SERVER_ID, u32Bytes(lease.serverId));
    this.counters.declines++;
    this.transmit(m, INADDR_BROADCAST, 0);
    this.emit('conflict', { address: lease.address, by });
    this.remembered = 0;
    this.cancelTimers();
    this.setState('INIT');
    this.wait.mod(this.opts.declineBackoffMs ?? 10_000);
  }

  /** Clock time (ms) of `secs` seconds into the lease. */
  private at(l: DhcpLease, secs: number): number {
    return l.start + secs * 1000;
  }

  private bind(lease: DhcpLease, ev: 'bound' | 'renewed'): void {
    this.lease = lease;
    this.remembered = lease.address;
    this.ep.unconfiguredRx = false;
    this.rtx.cancel();
    if (ev === 'bound') this.counters.leases++;
    this.configure(lease);
    if (lease.leaseTime !== INFINITE) {
      this.t1Timer.modAt(this.at(lease, lease.t1));
      this.t2Timer.modAt(this.at(lease, lease.t2));
      this.expiryTimer.modAt(this.at(lease, lease.leaseTime));
    } else {
      this.t1Timer.cancel();
      this.t2Timer.cancel();
      this.expiryTimer.cancel();
    }
    this.setState('BOUND');
    log('%s: %s %s for %ds', this.dev.name, ev, formatCidr(lease.address, lease.prefixLen), lease.leaseTime);
    this.emit(ev, lease);
  }

  private enterRenewing(): void {
    if (this.state !== 'BOUND') return;
    this.setState('RENEWING');
    this.newXid();
    this.txStart = this.clock.now();
    this.request();
  }

  private enterRebinding(): void {
    if (this.state !== 'BOUND' && this.state !== 'RENEWING') return;
    this.rtx.cancel();
    this.setState('REBINDING');
    this.newXid();
    this.request();
  }

  private expire(): void {
    const l = this.lease;
    if (l === null) return;
    this.counters.expiries++;
    log('%s: lease of %s expired', this.dev.name, formatIpv4(l.address));
    this.unconfigure();
    this.lease = null;
    this.emit('expired', l);
    this.restart();
  }

  // -------------------------------------------------------------------------------------------------------------
  // The stack

  private configure(l: DhcpLease): void {
    if (this.opts.apply === false) return;
    const ipv4 = this.stack.ipv4;
    const dev = this.dev;
    if (this.appliedAddr !== l.address) {
      if (this.appliedAddr !== 0) this.unconfigure();
      ipv4.addAddress(dev, l.address, l.prefixLen);
      this.appliedAddr = l.address;
      // RFC 5227 §2.3: the stack announced once when the address was added; the second announcement follows.
      if (this.opts.acd !== false) this.announceTimer.mod({ ...RFC5227, ...(this.opts.acd || {}) }.announceIntervalMs);
    }
    const gw = l.routers.find((r) => ((r ^ l.address) >>> (32 - l.prefixLen) === 0 || l.prefixLen === 0) && r !== 0);
    const cur = this.appliedRoute;
    if (cur !== null && (gw === undefined || cur.gateway !== gw)) {
      ipv4.fib.remove((r) => r === cur);
      ipv4.fib.generation++;
      this.appliedRoute = null;
    }
    if (gw !== undefined && this.appliedRoute === null) {
      // As dhclient-script: this device's default route is replaced by the lease's.
      ipv4.fib.remove((r) => r.prefixLen === 0 && r.dev === dev);
      this.appliedRoute = ipv4.addRoute({ dst: 0, prefixLen: 0, gateway: gw, dev });
    }
    if (l.mtu !== undefined) {
      if (this.savedMtu === 0) this.savedMtu = dev.mtu;
      // Only ever lowered: the link's largest frame is not ours to raise. GUESS (dhclient sets it as given).
      dev.mtu = Math.min(l.mtu, this.savedMtu);
    } else if (this.savedMtu !== 0) {
      dev.mtu = this.savedMtu;
      this.savedMtu = 0;
    }
    const rc = resolvConf(this.stack);
    if (l.dns.length > 0 || l.domain !== undefined || l.search !== undefined) {
      rc.servers = [...l.dns];
      // The search list (option 119) when given, else the domain name (option 15), as dhclient-script does.
      rc.search = l.search ?? (l.domain ? [l.domain] : []);
      rc.source = `dhcp ${dev.name}`;
      this.appliedDns = true;
    }
  }

  private unconfigure(): void {
    this.probe?.cancel();
    this.probe = null;
    this.announceTimer.cancel();
    const ipv4 = this.stack.ipv4;
    const route = this.appliedRoute;
    if (route !== null) {
      ipv4.fib.remove((r) => r === route);
      ipv4.fib.generation++;
      this.appliedRoute = null;
    }
    if (this.appliedAddr !== 0) {
      if (ipv4.isLocal(this.appliedAddr)) ipv4.removeAddress(this.dev, this.appliedAddr);
      this.appliedAddr = 0;
    }
    if (this.savedMtu !== 0) {
      this.dev.mtu = this.savedMtu;
      this.savedMtu = 0;
    }
    if (this.appliedDns) {
      const rc = resolvConf(this.stack);
      if (rc.source === `dhcp ${this.dev.name}`) {
        rc.servers = [];
        rc.search = [];
        rc.source = '';
      }
      this.appliedDns = false;
    }
  }

  private cancelTimers(): void {
    for (const t of [this.rtx, this.wait, this.t1Timer, this.t2Timer, this.expiryTimer]) t.cancel();
    this.probe?.cancel();
    this.probe = null;
  }

  private setState(s: DhcpClientState): void {
    const prev = this.state;
    if (prev === s) return;
    this.state = s;
    if (s === 'INIT' || s === 'STOPPED') this.ep.unconfiguredRx = false;
    log('%s: %s -> %s', this.dev.name, prev, s);
    this.emit('state', s, prev);
  }
}
