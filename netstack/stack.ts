/**
 * One host: NetCore (devices, taps, softirq), Ethernet, ARP and the neighbour cache, IPv4 with routing and
 * reassembly, ICMP and UDP, plus a loopback device. Configuration takes person-friendly strings
 * ('10.0.0.1/24', 'default') and throws errors that say what is wrong; the layers underneath use uint32
 * addresses. TCP is registered with IPv4 like the others; `stack.net` and `stack.dgram` are node:net- and
 * node:dgram-compatible APIs over it, `stack.tcp` and `stack.udp` the low-level protocols.
 *
 *     const stack = new Stack({ clock, name: 'h1' });
 *     stack.addDevice(dev);
 *     stack.addAddress(dev, '10.0.0.1/24');
 *     stack.addRoute({ dst: 'default', via: '10.0.0.254' });
 *     const r = await stack.ping('10.0.0.2', { count: 3 });
 */
import { type Clock, VirtualClock } from './core/clock.ts';
import { NetCore, type NetDevice, type NetDeviceStats, type SoftnetStats } from './core/netdevice.ts';
import { entropyPrng, Prng } from './core/prng.ts';
import { logger } from './core/log.ts';
import { formatCidr, parseCidr, parseIpv4, toIpv4 } from './inet/addr.ts';
import type { InetProtocol } from './inet/protocol.ts';
import { Ethernet } from './ethernet/ethernet.ts';
import { Arp } from './neigh/arp.ts';
import type { NeighInfo, NeighParams } from './neigh/neighbour.ts';
import { type IfAddr, Ipv4 } from './ipv4/ipv4.ts';
import { IP_SNMP_KEYS, IPEXT_KEYS } from './ipv4/mib.ts';
import type { Route } from './ipv4/route.ts';
import { Icmp } from './icmp/icmp.ts';
import { type PingOptions, type PingResult, Pinger } from './icmp/ping.ts';
import { Udp } from './udp/udp.ts';
import type { UdpSocket } from './udp/socket.ts';
import { LoopbackDevice } from './link/loopback.ts';
import type { TcpStack } from './tcp/stack.ts';
import type { TcpConfig } from './tcp/types.ts';
import { attachTcp } from './tcp/attach.ts';
import { NetApi } from './socket/net.ts';
import { stackLookup } from './socket/lookup.ts';
import { DgramApi } from './socket/dgram.ts';

const log = logger('stack');

export interface StackOptions {
  clock: Clock;
  /** A name for logs and reports. */
  name: string;
  /**
   * Randomness (ports, IP ids, ARP timers, TCP ISN secrets). Default: on a VirtualClock a Prng seeded with the name
   * (reproducible simulations); on any other clock one seeded from OS entropy (unguessable on real networks).
   */
  rng?: Prng;
  /** Neighbour (ARP) tunables. */
  neigh?: Partial<NeighParams>;
  /** Send a gratuitous ARP when an address is added (default true). */
  arpNotify?: boolean;
  /** TCP settings (sysctl equivalents); Linux-like defaults. */
  tcp?: Partial<TcpConfig>;
}

/** A device's counters in a report: its NetDeviceStats, qdisc drops, and its NAPI's softnet_stat columns. */
export interface DeviceCounters extends NetDeviceStats, SoftnetStats {
  qdiscDrops: number;
}

/** Counters of every layer, grouped like /proc/net/snmp (plus Arp, Eth, devices, softnet). */
export interface Snmp {
  Ip: Record<string, number>;
  IpExt: Record<string, number>;
  Icmp: Record<string, number>;
  IcmpMsg: Record<string, number>;
  Udp: Record<string, number>;
  Arp: Record<string, number>;
  Eth: Record<string, number>;
  /** Softirq totals over all devices, and rounds of net_rx_action. */
  Softnet: Record<string, number>;
  devices: Record<string, DeviceCounters>;
  [section: string]: Record<string, number> | Record<string, DeviceCounters>;
}

export interface RouteOptions {
  /** 'default', '10.1.0.0/16' or a host address. */
  dst: string;
  /** Gateway address. */
  via?: string;
  /** Device (name or object); found from the gateway when omitted. */
  dev?: string | NetDevice;
  src?: string;
  mtu?: number;
  metric?: number;
}

export class Stack {
  readonly clock: Clock;
  readonly name: string;
  readonly rng: Prng;
  readonly core: NetCore;
  readonly eth: Ethernet;
  readonly ipv4: Ipv4;
  readonly arp: Arp;
  readonly icmp: Icmp;
  readonly udp: Udp;
  readonly tcp: TcpStack;
  readonly lo: LoopbackDevice;
  arpNotify: boolean;
  private readonly extraSnmp = new Map<string, () => Record<string, number>>();
  private netApi: NetApi | null = null;
  private dgramApi: DgramApi | null = null;

  constructor(opts: StackOptions) {
    this.clock = opts.clock;
    this.name = opts.name;
    this.rng = opts.rng ?? (opts.clock instanceof VirtualClock ? new Prng(opts.name) : entropyPrng());
    this.arpNotify = opts.arpNotify ?? true;
    this.core = new NetCore(this.clock);
    this.eth = new Ethernet(this.core);
    this.ipv4 = new Ipv4(this.core, this.clock, this.eth, this.rng.fork('ipv4'));
    this.arp = new Arp(this.core, this.eth, this.ipv4, this.clock, this.rng.fork('arp'), opts.neigh);
    this.ipv4.neighOutput = (skb, dev, nextHop) => this.arp.tbl.output(skb, dev, nextHop);
    this.arp.errorReport = (skb) => this.ipv4.linkFailure(skb);
    this.icmp = new Icmp(this.ipv4, this.clock, this.rng.fork('icmp').nextU32());
    this.udp = new Udp(this.ipv4, this.clock, this.rng.fork('udp'));
    this.tcp = attachTcp(this, opts.tcp);
    this.lo = new LoopbackDevice();
    this.core.register(this.lo);
    this.lo.open();
    this.ipv4.lo = this.lo;
    this.ipv4.addAddress(this.lo, 0x7f000001, 8);
    this.ipv4.onAddressChange((ev, ifa) => {
      if (ev === 'add' && this.arpNotify && ifa.dev !== this.lo && ifa.dev.up) this.arp.announce(ifa.dev, ifa.addr);
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Configuration

  /** Register a device with this stack and bring it up (unless `up: false`). */
  addDevice<D extends NetDevice>(dev: D, opts: { up?: boolean } = {}): D {
    if (this.core.device(dev.name) !== undefined) {
      throw new Error(`${this.name}: a device named ${dev.name} already exists`);
    }
    this.core.register(dev);
    if (opts.up ?? true) dev.open();
    log('%s: device %s (ifindex %d)', this.name, dev.name, dev.ifindex);
    return dev;
  }

  /** A device by name (throws when there is none). */
  device(name: string | NetDevice): NetDevice {
    if (typeof name !== 'string') return name;
    const d = this.core.device(name);
    if (d === undefined) {
      const known = this.core.devices.map((x) => x.name).join(', ');
      throw new Error(`${this.name}: no device named ${name} (devices: ${known})`);
    }
    return d;
  }

  /** Assign '10.0.0.1/24' to a device: connected route, gratuitous ARP. */
  addAddress(dev: string | NetDevice, cidr: string): IfAddr {
    const d = this.device(dev);
    const { addr, prefixLen } = parseCidr(cidr);
    return this.ipv4.addAddress(d, addr, prefixLen);
  }

  removeAddress(dev: string | NetDevice, cidr: string): void {
    this.ipv4.removeAddress(this.device(dev), parseCidr(cidr).addr);
  }

  /** `ip route add`. */
  addRoute(r: RouteOptions): Route {
    const { addr, prefixLen } = r.dst === 'default' ? { addr: 0, prefixLen: 0 } : parseCidr(r.dst);
    return this.ipv4.addRoute({
      dst: addr,
      prefixLen,
      gateway: r.via !== undefined ? parseIpv4(r.via) : 0,
      dev: r.dev !== undefined ? this.device(r.dev) : undefined,
      src: r.src !== undefined ? parseIpv4(r.src) : undefined,
      mtu: r.mtu,
      metric: r.metric,
    });
  }

  /** Replace the default route with one through `gw`. */
  setDefaultGateway(gw: string, dev?: string | NetDevice): Route {
    this.ipv4.fib.remove((r) => r.prefixLen === 0);
    return this.addRoute({ dst: 'default', via: gw, dev });
  }

  /** Change a device's MAC address and announce every address on it (gratuitous ARP, like arp_notify). */
  setMac(dev: string | NetDevice, mac: Uint8Array): void {
    const d = this.device(dev);
    d.addr = Buffer.from(mac);
    this.arp.tbl.flushDev(d);
    if (d.up) for (const a of this.ipv4.addresses(d)) this.arp.announce(d, a.addr);
  }

  /** Register a transport protocol (TCP) with IPv4. */
  addProtocol(p: InetProtocol): void {
    this.ipv4.addProtocol(p);
  }

  /** Add a section to snmp() (e.g. 'Tcp'). */
  addSnmpSection(name: string, fn: () => Record<string, number>): void {
    this.extraSnmp.set(name, fn);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Use

  udpSocket(): UdpSocket {
    return this.udp.socket();
  }

  /**
   * node:net's API over this stack's TCP (createServer, connect, Socket, Server). Names resolve through DNS on this
   * stack once it has name servers (a DHCP lease brings them); replace `stack.net.lookup` to resolve otherwise.
   */
  get net(): NetApi {
    if (this.netApi === null) {
      this.netApi = new NetApi(this.tcp, this.clock);
      this.netApi.lookup = stackLookup(this);
    }
    return this.netApi;
  }

  /** node:dgram's API over this stack's UDP (createSocket). */
  get dgram(): DgramApi {
    if (this.dgramApi === null) this.dgramApi = new DgramApi(this.udp, this.clock, () => this.net.lookup);
    return this.dgramApi;
  }

  /** Ping `dst`; resolves when done (after count requests and the timeout for the last one). */
  ping(dst: string | number, opts: PingOptions = {}): Promise<PingResult> {
    return new Promise((resolve) => {
      this.pinger(dst, opts, resolve);
    });
  }

  /** Callback form of ping(); the returned Pinger can be cancelled. */
  pinger(dst: string | number, opts: PingOptions, done: (r: PingResult) => void): Pinger {
    return new Pinger(this.icmp, this.clock, toIpv4(dst), opts, done);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Observation

  addresses(): string[] {
    return this.ipv4.addresses().map((a) => `${a.dev.name} ${formatCidr(a.addr, a.prefixLen)}`);
  }

  routes(): string[] {
    return this.ipv4.fib.format();
  }

  neighbours(): NeighInfo[] {
    return this.arp.tbl.list();
  }

  /** A snapshot of every counter. */
  snmp(): Snmp {
    const ip = this.ipv4.mib as unknown as Record<string, number>;
    const Ip: Record<string, number> = {};
    for (const k of IP_SNMP_KEYS) Ip[k] = ip[k]!;
    const IpExt: Record<string, number> = {};
    for (const k of IPEXT_KEYS) IpExt[k] = ip[k]!;
    const devices: Record<string, DeviceCounters> = {};
    const Softnet = { processed: 0, dropped: 0, timeSqueeze: 0, rounds: this.core.softirq.rounds, unknownProtocol: 0 };
    for (const d of this.core.devices) {
      devices[d.name] = { ...d.stats, qdiscDrops: d.qdiscDrops, ...d.softnet };
      Softnet.processed += d.softnet.processed;
      Softnet.dropped += d.softnet.dropped;
      Softnet.timeSqueeze += d.softnet.timeSqueeze;
    }
    Softnet.unknownProtocol = this.core.unknownProtocol;
    const snmp: Snmp = {
      Ip,
      IpExt,
      Icmp: this.icmp.snmp(),
      IcmpMsg: this.icmp.snmpMsg(),
      Udp: { ...this.udp.mib },
      Arp: { ...this.arp.stats, ...this.arp.tbl.stats },
      Eth: { ...this.eth.stats },
      Softnet,
      devices,
    };
    for (const [name, fn] of this.extraSnmp) snmp[name] = { ...fn() };
    return snmp;
  }

  /** The counters as text, two lines per section like /proc/net/snmp (names, then values), then devices. */
  formatSnmp(): string {
    const s = this.snmp();
    const lines: string[] = [];
    for (const [name, sec] of Object.entries(s)) {
      if (name === 'devices') continue;
      const rec = sec as Record<string, number>;
      const keys = Object.keys(rec);
      if (keys.length === 0) continue;
      lines.push(`${name}: ${keys.join(' ')}`);
      lines.push(`${name}: ${keys.map((k) => rec[k]).join(' ')}`);
    }
    for (const [name, d] of Object.entries(s.devices)) {
      lines.push(
        `${name}: rx ${d.rxPackets} pkts ${d.rxBytes} bytes ${d.rxDropped} dropped ${d.rxErrors} errors; ` +
          `tx ${d.txPackets} pkts ${d.txBytes} bytes ${d.txDropped} dropped; ` +
          `softnet processed ${d.processed} dropped ${d.dropped} time_squeeze ${d.timeSqueeze}`,
      );
    }
    return lines.join('\n');
  }
}
