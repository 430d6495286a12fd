/**
 * The simulated Wi-Fi world: access points and stations on the mock PHY (drivers/hwsim), each a complete node —
 * radio driver, mac80211 (Ieee80211Local), the AP or station MLME, and a netstack Stack that owns the interface's
 * net device — in virtual time (or on a real clock), every random draw from one seed. The demo, the scenario tests
 * and the benchmarks build their networks here, one short story each:
 *
 *     const w = new World({ seed: 1 });
 *     const ap = await w.addAp({ ssid: 'airstack', passphrase: 'correct horse', channel: 6 });
 *     const sta = await w.addStation();
 *     await w.settle(sta.connect({ ssid: 'airstack', passphrase: 'correct horse' }));
 *     const r = await w.settle(sta.stack.ping(ap.ip, { count: 3 }));
 *
 * It lives under mac80211/ because it composes the 802.11 layer's pieces (and depends on the mock PHY, the way
 * mac80211_hwsim's test setups do); nothing in mac80211 itself imports it.
 */
import { HwsimRadio, type HwsimRadioOptions } from '../../drivers/hwsim/radio.ts';
import { Medium, type MediumOptions } from '../../drivers/hwsim/medium.ts';
import { type CaptureWriter, RadiotapMonitor } from '../../drivers/hwsim/monitor.ts';
import type { LinkSettings } from '../../drivers/hwsim/types.ts';
import type { Clock } from '../../netstack/core/clock.ts';
import type { NetCore } from '../../netstack/core/netdevice.ts';
import type { Ieee80211Ops } from '../driver-ops.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { attachPcap } from '../../netstack/pcap/capture.ts';
import type { PcapngWriter } from '../../netstack/pcap/pcapng-writer.ts';
import { formatIpv4, parseCidr } from '../../netstack/inet/addr.ts';
import { Stack } from '../../netstack/stack.ts';
import { macToString } from '../addr.ts';
import { AccessPoint } from '../ap/ap.ts';
import type { ApConfig } from '../ap/config.ts';
import type { Ieee80211SubIf } from '../iface.ts';
import { Ieee80211Local } from '../local.ts';
import type { Ieee80211NetDev } from '../netdev.ts';
import type { RandomSource } from '../rsn/keys.ts';
import { type LinkInfo, StationMlme } from '../sta/mlme.ts';
import type { NetworkConfig } from '../sta/network.ts';
import type { DhcpClient, DhcpLease } from '../../netstack/dhcp/client.ts';
import type { Resolver } from '../../netstack/dns/resolver.ts';
import { ApServices, type ApServicesOptions, dhcpLease, type HttpResult, httpGet, useResolver } from './services.ts';

export interface WorldOptions {
  /** Seed of every random draw (medium, stacks, nonces). Default 1. */
  seed?: number;
  /** Default: a new VirtualClock. A RealClock runs the same world in real time. */
  clock?: Clock;
  /** Link defaults for every pair of radios (loss, SNR, latency). */
  link?: Partial<LinkSettings>;
  /** 'phy' (default): airtime and backoff; 'none': instantaneous air. */
  timing?: MediumOptions['timing'];
}

export interface ApOptions extends ApConfig {
  name?: string;
  /** DHCP, DNS and HTTP on the AP host (default on). */
  services?: boolean | ApServicesOptions;
  /** MAC address (default 02:00:00:00:01:nn). */
  addr?: Uint8Array;
  /** The AP host's address on the BSS (default 10.42.n.1/24). */
  cidr?: string;
  radio?: Partial<HwsimRadioOptions>;
}

export interface StationOptions {
  name?: string;
  /**
   * MAC address (default 02:00:00:00:02:nn), or 'driver': the address the driver reports (caps.addr), as for a
   * real dongle whose address is in its EFUSE.
   */
  addr?: Uint8Array | 'driver';
  /** Static address once connected (when DHCP is not used): default 10.42.0.(10+n)/24, outside the DHCP pool. */
  cidr?: string;
  /** Scan in the driver (default) or in software through config(). */
  hwScan?: boolean;
  autoReconnect?: boolean;
  radio?: Partial<HwsimRadioOptions>;
  /**
   * Another driver than the hwsim virtual radio, on this world's medium (the emulated MT7921U through hwsim's
   * EmulatorRadioAdapter and drivers/mt7921u): built when the node's stack exists, started by mac80211.
   */
  driver?: (ctx: DriverContext) => Promise<Ieee80211Ops>;
}

/**
 * What a driver factory gets: the medium to attach its radio to, the clock, the softirq for its NAPI, and
 * `settle` to run the clock while it brings its hardware up.
 */
export interface DriverContext {
  medium: Medium;
  clock: Clock;
  addr: Uint8Array;
  core: NetCore;
  name: string;
  settle<T>(p: Promise<T>, maxMs?: number): Promise<T>;
}

/** What every node has: its driver on the medium, mac80211, its interface, and a host stack. */
interface NodeBase {
  name: string;
  /** The driver mac80211 drives. */
  ops: Ieee80211Ops;
  /** The hwsim virtual radio (null for a node built with another driver). */
  radio: HwsimRadio | null;
  local: Ieee80211Local;
  sdata: Ieee80211SubIf;
  dev: Ieee80211NetDev;
  stack: Stack;
}

export interface ApNode extends NodeBase {
  radio: HwsimRadio;
  ap: AccessPoint;
  /** DHCP, DNS and HTTP on the AP host (null when switched off). */
  services: ApServices | null;
  /** The AP host's IPv4 address (the stations' gateway). */
  ip: string;
  cidr: string;
  /** Power the AP off (no beacons, no ACKs) and back on after `downMs` (a hard restart), or gracefully. */
  restart(opts?: { downMs?: number; graceful?: boolean }): Promise<void>;
}

export interface StationNode extends NodeBase {
  mlme: StationMlme;
  /** The static address `connect` puts on the interface (unless told `address: 'none'`). */
  cidr: string;
  /** Resolves names through the DNS servers of the stack's DHCP lease (also used by stack.net). */
  resolver: Resolver;
  /** Connect with the MLME; then, by default, the static address goes on the interface. */
  connect(net: NetworkConfig, opts?: { timeoutMs?: number; address?: 'static' | 'none' }): Promise<LinkInfo>;
  /** Ask for an address with DHCP (address, default route, DNS servers); resolves with the lease. */
  dhcp(timeoutMs?: number, onClient?: (c: DhcpClient) => void): Promise<DhcpLease>;
  /** GET a URL over the station's TCP, hashing the body. */
  get(url: string): Promise<HttpResult>;
}

function seededRandom(rng: Prng): RandomSource {
  return (n) => rng.bytes(n);
}

function nodeMac(kind: number, n: number): Uint8Array {
  return Uint8Array.of(0x02, 0, 0, 0, kind, n);
}

export class World {
  readonly clock: Clock;
  readonly medium: Medium;
  readonly rng: Prng;
  readonly aps: ApNode[] = [];
  readonly stations: StationNode[] = [];
  readonly monitors: RadiotapMonitor[] = [];
  /** The clock's time when the world was made (what step-by-step lines count from). */
  readonly t0: number;
  private ethWriter: PcapngWriter | null = null;

  constructor(readonly opts: WorldOptions = {}) {
    this.clock = opts.clock ?? new VirtualClock();
    this.t0 = this.clock.now();
    this.rng = new Prng(opts.seed ?? 1);
    this.medium = new Medium({
      clock: this.clock,
      seed: opts.seed ?? 1,
      link: opts.link,
      timing: opts.timing,
    });
  }

  get virtual(): VirtualClock | null {
    return this.clock instanceof VirtualClock ? this.clock : null;
  }

  private async node(
    name: string,
    addr: Uint8Array,
    type: 'ap' | 'station',
    radio: Partial<HwsimRadioOptions> | undefined,
    driver?: StationOptions['driver'],
    useDriverAddr = false,
  ): Promise<NodeBase> {
    const stack = new Stack({ clock: this.clock, name, rng: this.rng.fork(`${name}/stack`) });
    const phy = `${name}-phy`;
    const r =
      driver === undefined
        ? new HwsimRadio({ medium: this.medium, addr, core: stack.core, name: phy, ...radio })
        : null;
    const ctx: DriverContext = {
      medium: this.medium,
      clock: this.clock,
      addr,
      core: stack.core,
      name: phy,
      settle: (p, maxMs) => this.settle(p, maxMs),
    };
    const ops = r ?? (await driver!(ctx));
    if (useDriverAddr) addr = ops.caps.addr;
    const local = new Ieee80211Local(ops, this.clock, phy);
    // A real driver's start (MCU commands) takes clock time: run the clock while waiting.
    await this.settle(local.start());
    const sdata = await this.settle(local.addInterface(type, { name: 'wlan0', addr }));
    const dev = sdata.dev!;
    stack.addDevice(dev);
    return { name, ops, radio: r, local, sdata, dev, stack };
  }

  /** An access point with its host (a Stack on the AP interface), started. */
  async addAp(o: ApOptions): Promise<ApNode> {
    const n = this.aps.length;
    const name = o.name ?? (n === 0 ? 'ap' : `ap${n + 1}`);
    const addr = o.addr ?? nodeMac(1, n);
    const base = (await this.node(name, addr, 'ap', o.radio)) as NodeBase & { radio: HwsimRadio };
    const ap = new AccessPoint({
      local: base.local,
      sdata: base.sdata,
      config: o,
      random: seededRandom(this.rng.fork(`${name}/rsn`)),
    });
    await this.settle(ap.start());
    const cidr = o.cidr ?? `10.42.${n}.1/24`;
    base.stack.addAddress(base.dev, cidr);
    const ip = formatIpv4(parseCidr(cidr).addr);
    const svc = o.services ?? true;
    const services =
      svc === false
        ? null
        : new ApServices(base.stack, base.dev, cidr, this.rng.fork(`${name}/file`), svc === true ? {} : svc);
    const node: ApNode = {
      ...base,
      ap,
      services,
      ip,
      cidr,
      restart: async (r = {}) => {
        await ap.stop({ graceful: r.graceful ?? false });
        await base.local.stop();
        // A timer, not sleep(): whoever awaits restart() is already running the clock.
        if (r.downMs) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, r.downMs!));
        await base.local.start();
        await ap.start();
      },
    };
    this.aps.push(node);
    return node;
  }

  /** A station with its host stack; not connected. */
  async addStation(o: StationOptions = {}): Promise<StationNode> {
    const n = this.stations.length;
    const name = o.name ?? (n === 0 ? 'sta' : `sta${n + 1}`);
    const fromDriver = o.addr === 'driver' && o.driver !== undefined;
    const addr = o.addr instanceof Uint8Array ? o.addr : nodeMac(2, n);
    const radio = { hwScan: o.hwScan ?? true, ...o.radio };
    const base = await this.node(name, addr, 'station', radio, o.driver, fromDriver);
    const mlme = new StationMlme({
      local: base.local,
      sdata: base.sdata,
      random: seededRandom(this.rng.fork(`${name}/rsn`)),
      autoReconnect: o.autoReconnect,
    });
    const cidr = o.cidr ?? `10.42.0.${10 + n}/24`;
    let addressed = false;
    const node: StationNode = {
      ...base,
      mlme,
      cidr,
      resolver: useResolver(base.stack),
      connect: async (net, opts = {}) => {
        const l = await mlme.connect(net, opts);
        if (!addressed && (opts.address ?? 'static') === 'static') {
          addressed = true;
          base.stack.addAddress(base.dev, cidr);
        }
        return l;
      },
      dhcp: (timeoutMs, onClient) => dhcpLease(base.stack, base.dev, name, timeoutMs, onClient),
      get: (url) => httpGet(base.stack, url),
    };
    this.stations.push(node);
    if (this.ethWriter !== null) attachPcap(base.stack, this.ethWriter, { devices: [base.dev], prefix: name });
    return node;
  }

  /** Record everything on air (radiotap + 802.11 + FCS, and the ACKs) through `writer`. */
  monitor(writer: CaptureWriter, opts: { freq?: number; acks?: boolean } = {}): RadiotapMonitor {
    const m = new RadiotapMonitor(this.medium, writer, opts);
    this.monitors.push(m);
    return m;
  }

  /**
   * One pcapng of the world: the monitor's radiotap view of the air, and each station's Ethernet view (what its
   * stack sends and receives on wlan0), every view its own interface. Stations added later are included. `air:
   * false` leaves the medium out (a world whose station is a real dongle has nothing on its medium).
   */
  capture(writer: PcapngWriter, opts: { ethernet?: boolean; air?: boolean } = {}): void {
    if (opts.air ?? true) this.monitor(writer);
    if (opts.ethernet ?? true) {
      this.ethWriter = writer;
      for (const s of this.stations) attachPcap(s.stack, writer, { devices: [s.dev], prefix: s.name });
    }
  }

  /** Let `ms` of (virtual) time pass, running the clock (not to be called from code the clock is already running). */
  async sleep(ms: number): Promise<void> {
    const v = this.virtual;
    if (v !== null) {
      await v.runAsync({ maxTime: v.now() + ms });
      return;
    }
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, ms));
  }

  /** Run until `until()` holds or `maxMs` passed; true when it held. */
  async runUntil(until: () => boolean, maxMs = 60_000): Promise<boolean> {
    const v = this.virtual;
    if (v !== null) return v.runAsync({ until, maxTime: v.now() + maxMs });
    const end = this.clock.now() + maxMs;
    while (!until()) {
      if (this.clock.now() >= end) return false;
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 5));
    }
    return true;
  }

  /** Run the world until `p` settles (protocol timers guarantee that it does), then return its outcome. */
  async settle<T>(p: Promise<T>, maxMs = 600_000): Promise<T> {
    let done = false;
    p.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    await this.runUntil(() => done, maxMs);
    if (!done) throw new Error(`still not settled after ${maxMs} ms of ${this.virtual ? 'virtual ' : ''}time`);
    return p;
  }

  /** Stop the services (their real-time HTTP housekeeping would keep a process alive) and the monitors. */
  close(): void {
    for (const a of this.aps) a.services?.close();
    for (const m of this.monitors) m.stop();
  }

  /** close(), then stop every radio (no more beacons or timers: on a real clock the process can exit). */
  async stop(): Promise<void> {
    this.close();
    for (const s of this.stations) {
      s.mlme.autoReconnect = false;
      await s.mlme.disconnect();
    }
    for (const n of [...this.stations, ...this.aps]) await n.local.stop();
  }

  /** One line per node: name, MAC, role. */
  describe(): string[] {
    return [
      ...this.aps.map((a) => `${a.name}  ${macToString(a.sdata.addr)}  AP "${a.ap.settings.ssidDisplay}" ${a.cidr}`),
      ...this.stations.map((s) => `${s.name}  ${macToString(s.sdata.addr)}  station (${s.local.name})`),
    ];
  }
}
