/**
 * The neighbour cache (after Linux net/core/neighbour.c) with Linux's NUD states and defaults:
 *
 *   NONE → INCOMPLETE (mcast_solicit broadcast probes, retrans_time apart) → REACHABLE on a unicast reply,
 *   or FAILED after the last probe (queued packets dropped, their senders told "host unreachable").
 *   REACHABLE → STALE after reachable_time (random in [base/2, 3·base/2]) without confirmation;
 *   STALE + traffic → DELAY (delay_first_probe_time) → REACHABLE if confirmed meanwhile, else PROBE
 *   (ucast_solicit unicast probes) → REACHABLE or FAILED. STALE and FAILED entries unused for gc_stale_time are
 *   removed, so an idle stack has no timers left.
 *
 * Packets waiting for resolution are queued per entry up to unresQlenBytes (buffer sizes); on overflow the oldest
 * is dropped and counted (unresDiscards), as Linux does.
 */
import type { Clock, Timer } from '../core/clock.ts';
import type { NetDevice } from '../core/netdevice.ts';
import type { Prng } from '../core/prng.ts';
import type { SkBuff } from '../core/skb.ts';
import { logger } from '../core/log.ts';
import { ENOBUFS } from '../inet/errno.ts';
import { formatIpv4, formatMac, macEqual } from '../inet/addr.ts';

const log = logger('neigh');

export enum Nud {
  NONE = 0x00,
  INCOMPLETE = 0x01,
  REACHABLE = 0x02,
  STALE = 0x04,
  DELAY = 0x08,
  PROBE = 0x10,
  FAILED = 0x20,
  NOARP = 0x40,
  PERMANENT = 0x80,
}

export const NUD_IN_TIMER = Nud.INCOMPLETE | Nud.REACHABLE | Nud.DELAY | Nud.PROBE;
export const NUD_VALID = Nud.PERMANENT | Nud.NOARP | Nud.REACHABLE | Nud.PROBE | Nud.STALE | Nud.DELAY;
export const NUD_CONNECTED = Nud.PERMANENT | Nud.NOARP | Nud.REACHABLE;

export function nudName(s: Nud): string {
  return Nud[s] ?? `0x${s.toString(16)}`;
}

/** Tunables, named after /proc/sys/net/ipv4/neigh/default/*, in milliseconds. */
export interface NeighParams {
  baseReachableTimeMs: number;
  retransTimeMs: number;
  delayFirstProbeTimeMs: number;
  /** Broadcast probes while INCOMPLETE. */
  mcastSolicit: number;
  /** Unicast probes while PROBE. */
  ucastSolicit: number;
  gcStaleTimeMs: number;
  /** Bytes of packets queued per unresolved entry. */
  unresQlenBytes: number;
  /** After an update, ignore a different answer for this long (first reply wins). */
  locktimeMs: number;
  /** Hard limit on entries (gc_thresh3). */
  gcThresh3: number;
}

export const DEFAULT_NEIGH_PARAMS: NeighParams = {
  baseReachableTimeMs: 30_000,
  retransTimeMs: 1_000,
  delayFirstProbeTimeMs: 5_000,
  mcastSolicit: 3,
  ucastSolicit: 3,
  gcStaleTimeMs: 60_000,
  unresQlenBytes: 212_992,
  locktimeMs: 1_000,
  gcThresh3: 1024,
};

/** /proc/net/stat/arp_cache columns (plus entries). */
export interface NeighStats {
  entries: number;
  allocs: number;
  destroys: number;
  lookups: number;
  hits: number;
  resFailed: number;
  unresDiscards: number;
  tableFulls: number;
  forcedGcRuns: number;
  /** Probes sent (broadcast while INCOMPLETE, unicast while PROBE). */
  probesMcast: number;
  probesUcast: number;
}

export class Neighbour {
  state: Nud = Nud.NONE;
  readonly ha = Buffer.alloc(6);
  confirmed = 0;
  updated = 0;
  used = 0;
  probes = 0;
  queue: SkBuff[] = [];
  queueBytes = 0;
  readonly timer: Timer;
  dead = false;

  constructor(
    readonly dev: NetDevice,
    readonly key: number,
    clock: Clock,
    onTimer: (n: Neighbour) => void,
  ) {
    this.timer = clock.timer(() => onTimer(this));
  }

  get valid(): boolean {
    return (this.state & NUD_VALID) !== 0;
  }
}

/** What a neighbour protocol (ARP) provides to the table. */
export interface NeighOps {
  /** Send a probe: broadcast when `unicastTo` is null. `hint` is a queued packet (for the source address). */
  solicit(n: Neighbour, unicastTo: Buffer | null, hint: SkBuff | null): void;
  /** Transmit a packet (skb.data at the network header) to hardware address `ha`; takes ownership. */
  linkXmit(skb: SkBuff, dev: NetDevice, ha: Uint8Array): number;
  /** A queued packet could not be delivered (resolution failed); takes ownership. */
  errorReport(skb: SkBuff): void;
}

export interface NeighInfo {
  dev: string;
  ip: string;
  mac: string;
  state: string;
  queued: number;
}

export class NeighTable {
  readonly params: NeighParams;
  readonly stats: NeighStats = {
    entries: 0,
    allocs: 0,
    destroys: 0,
    lookups: 0,
    hits: 0,
    resFailed: 0,
    unresDiscards: 0,
    tableFulls: 0,
    forcedGcRuns: 0,
    probesMcast: 0,
    probesUcast: 0,
  };
  private tables = new Map<NetDevice, Map<number, Neighbour>>();
  reachableTimeMs: number;
  ops: NeighOps | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly rng: Prng,
    params: Partial<NeighParams> = {},
  ) {
    this.params = { ...DEFAULT_NEIGH_PARAMS, ...params };
    this.reachableTimeMs = this.randomReachableTime();
  }

  /** neigh_rand_reach_time: uniform in [base/2, 3·base/2). */
  private randomReachableTime(): number {
    const base = this.params.baseReachableTimeMs;
    return base / 2 + this.rng.float() * base;
  }

  lookup(dev: NetDevice, key: number): Neighbour | null {
    this.stats.lookups++;
    const n = this.tables.get(dev)?.get(key) ?? null;
    if (n !== null) this.stats.hits++;
    return n;
  }

  /** Lookup, creating an entry in NONE when absent. Null when the table is full. */
  lookupCreate(dev: NetDevice, key: number): Neighbour | null {
    let t = this.tables.get(dev);
    if (t === undefined) this.tables.set(dev, (t = new Map()));
    this.stats.lookups++;
    const n = t.get(key);
    if (n !== undefined) {
      this.stats.hits++;
      return n;
    }
    if (this.stats.entries >= this.params.gcThresh3 && !this.forcedGc()) {
      this.stats.tableFulls++;
      return null;
    }
    const created = new Neighbour(dev, key, this.clock, (x) => this.timerHandler(x));
    created.updated = created.used = this.clock.now();
    t.set(key, created);
    this.stats.entries++;
    this.stats.allocs++;
    return created;
  }

  /** Drop entries that carry no traffic (not INCOMPLETE, nothing queued), oldest first. True if room was made. */
  private forcedGc(): boolean {
    this.stats.forcedGcRuns++;
    const victims: Neighbour[] = [];
    for (const t of this.tables.values()) {
      for (const n of t.values()) {
        if (n.queue.length === 0 && !(n.state & (Nud.INCOMPLETE | Nud.PERMANENT))) victims.push(n);
      }
    }
    victims.sort((a, b) => a.used - b.used);
    const goal = Math.max(1, victims.length >> 1);
    for (let i = 0; i < goal && i < victims.length; i++) this.destroy(victims[i]!);
    return this.stats.entries < this.params.gcThresh3;
  }

  private destroy(n: Neighbour): void {
    if (n.dead) return;
    n.dead = true;
    n.timer.cancel();
    this.tables.get(n.dev)?.delete(n.key);
    this.stats.entries--;
    this.stats.destroys++;
    for (const skb of n.queue) skb.drop();
    n.queue = [];
    n.queueBytes = 0;
  }

  /** Remove every entry of a device (link down, device removed). */
  flushDev(dev: NetDevice): void {
    const t = this.tables.get(dev);
    if (t === undefined) return;
    for (const n of [...t.values()]) this.destroy(n);
  }

  /** A permanent entry (`ip neigh add ... nud permanent`). */
  addPermanent(dev: NetDevice, key: number, ha: Uint8Array): void {
    const n = this.lookupCreate(dev, key);
    if (n === null) throw new Error('neighbour table full');
    this.update(n, ha, Nud.PERMANENT, true);
  }

  /**
   * neigh_output: send `skb` (data at the network header) to `key` on `dev`, resolving first when needed. Takes
   * ownership. Returns 0, or a negative errno when the packet was dropped.
   */
  output(skb: SkBuff, dev: NetDevice, key: number): number {
    const t = this.tables.get(dev);
    let n = t?.get(key);
    if (n !== undefined && n.state & (NUD_CONNECTED | Nud.DELAY | Nud.PROBE)) {
      n.used = this.clock.now();
      return this.ops!.linkXmit(skb, dev, n.ha);
    }
    if (n === undefined) {
      const c = this.lookupCreate(dev, key);
      if (c === null) {
        skb.drop();
        return -ENOBUFS;
      }
      n = c;
    }
    return this.eventSend(n, skb);
  }

  /** __neigh_event_send: start or continue resolution; queue or send the packet. */
  private eventSend(n: Neighbour, skb: SkBuff): number {
    const now = this.clock.now();
    n.used = now;
    const ops = this.ops!;
    if (n.state & (NUD_CONNECTED | Nud.DELAY | Nud.PROBE)) return ops.linkXmit(skb, n.dev, n.ha);
    if (n.state === Nud.STALE) {
      this.setState(n, Nud.DELAY);
      n.timer.mod(this.params.delayFirstProbeTimeMs);
      return ops.linkXmit(skb, n.dev, n.ha);
    }
    // NONE, FAILED or INCOMPLETE: queue, starting resolution if needed.
    this.enqueue(n, skb);
    if (n.state !== Nud.INCOMPLETE) {
      this.setState(n, Nud.INCOMPLETE);
      n.probes = 0;
      n.updated = now;
      this.probe(n);
      n.timer.mod(this.params.retransTimeMs);
    }
    return 0;
  }

  private enqueue(n: Neighbour, skb: SkBuff): void {
    const size = skb.buf.length;
    while (n.queue.length > 0 && n.queueBytes + size > this.params.unresQlenBytes) {
      const old = n.queue.shift()!;
      n.queueBytes -= old.buf.length;
      this.stats.unresDiscards++;
      old.drop();
    }
    if (size > this.params.unresQlenBytes) {
      this.stats.unresDiscards++;
      skb.drop();
      return;
    }
    n.queue.push(skb);
    n.queueBytes += size;
  }

  private probe(n: Neighbour): void {
    const hint = n.queue.length ? n.queue[n.queue.length - 1]! : null;
    n.probes++;
    if (n.state === Nud.PROBE) {
      this.stats.probesUcast++;
      this.ops!.solicit(n, n.ha, hint);
    } else {
      this.stats.probesMcast++;
      this.ops!.solicit(n, null, hint);
    }
  }

  private setState(n: Neighbour, s: Nud): void {
    if (log.enabled && n.state !== s) {
      log('%s %s: %s -> %s', n.dev.name, formatIpv4(n.key), nudName(n.state), nudName(s));
    }
    n.state = s;
  }

  /** neigh_timer_handler. */
  private timerHandler(n: Neighbour): void {
    if (n.dead) return;
    const now = this.clock.now();
    const p = this.params;
    const s = n.state;
    if (s === Nud.NONE || s & (Nud.STALE | Nud.FAILED)) {
      // Garbage collection of idle entries.
      // Compare with the same sum the timer was armed with (a difference can round below it forever).
      const deadline = n.used + p.gcStaleTimeMs;
      if (now < deadline) n.timer.modAt(deadline);
      else if (n.queue.length === 0) this.destroy(n);
      else n.timer.mod(p.gcStaleTimeMs);
      return;
    }
    if (s === Nud.REACHABLE) {
      if (now < n.confirmed + this.reachableTimeMs) {
        n.timer.modAt(n.confirmed + this.reachableTimeMs);
      } else if (now < n.used + p.delayFirstProbeTimeMs) {
        this.setState(n, Nud.DELAY);
        n.timer.mod(p.delayFirstProbeTimeMs);
      } else {
        this.setState(n, Nud.STALE);
        n.timer.modAt(n.used + p.gcStaleTimeMs);
      }
      return;
    }
    if (s === Nud.DELAY) {
      if (now < n.confirmed + p.delayFirstProbeTimeMs) {
        this.setState(n, Nud.REACHABLE);
        n.timer.modAt(n.confirmed + this.reachableTimeMs);
      } else {
        this.setState(n, Nud.PROBE);
        n.probes = 0;
        n.updated = now;
        this.probe(n);
        n.timer.mod(p.retransTimeMs);
      }
      return;
    }
    // INCOMPLETE or PROBE: probe again or give up.
    const max = s === Nud.INCOMPLETE ? p.mcastSolicit : p.ucastSolicit;
    if (n.probes >= max) {
      this.setState(n, Nud.FAILED);
      n.updated = now;
      this.stats.resFailed++;
      this.invalidate(n);
      n.timer.modAt(now + p.gcStaleTimeMs);
      return;
    }
    this.probe(n);
    n.timer.mod(p.retransTimeMs);
  }

  /** neigh_invalidate: resolution failed; every queued packet goes back to its sender as an error. */
  private invalidate(n: Neighbour): void {
    const q = n.queue;
    n.queue = [];
    n.queueBytes = 0;
    for (const skb of q) this.ops!.errorReport(skb);
  }

  /**
   * neigh_update: new link-layer address and/or state from the protocol. `override` allows changing a valid
   * address (otherwise a different address for a connected entry only makes it STALE... and is ignored).
   */
  update(n: Neighbour, lladdr: Uint8Array | null, newState: Nud, override: boolean): void {
    if (n.dead) return;
    const old = n.state;
    const now = this.clock.now();
    if (old & (Nud.NOARP | Nud.PERMANENT) && newState !== Nud.PERMANENT) return;
    if (!(newState & NUD_VALID)) {
      n.timer.cancel();
      this.setState(n, newState);
      if (old & (Nud.INCOMPLETE | Nud.PROBE) && newState & Nud.FAILED) this.invalidate(n);
      return;
    }
    let addrChanged = false;
    if (lladdr !== null) addrChanged = !(old & NUD_VALID) || !macEqual(lladdr, 0, n.ha);
    if (newState & NUD_CONNECTED) n.confirmed = now;
    if (old & NUD_VALID && addrChanged && !override) {
      // Keep the known address; a connected entry is now suspect.
      if (old & NUD_CONNECTED) {
        addrChanged = false;
        newState = Nud.STALE;
      } else {
        return;
      }
    } else if (old & NUD_VALID && !addrChanged && newState === Nud.STALE) {
      newState = old; // same address, weaker news: keep the state
    }
    if (addrChanged && lladdr !== null) {
      n.ha.set(lladdr.subarray(0, 6));
      n.updated = now;
      if (log.enabled) log('%s %s is-at %s', n.dev.name, formatIpv4(n.key), formatMac(n.ha));
    }
    if (newState !== old) {
      n.timer.cancel();
      this.setState(n, newState);
      if (newState === Nud.REACHABLE) {
        this.reachableTimeMs = this.randomReachableTime();
        n.timer.mod(this.reachableTimeMs);
      } else if (newState === Nud.STALE) {
        n.timer.modAt(Math.max(now, n.used) + this.params.gcStaleTimeMs);
      } else if (newState & NUD_IN_TIMER) {
        n.timer.mod(0);
      }
    }
    if (!(old & NUD_VALID) && n.queue.length) {
      // Resolved: flush the packets that were waiting.
      const q = n.queue;
      n.queue = [];
      n.queueBytes = 0;
      n.used = now;
      for (const skb of q) this.ops!.linkXmit(skb, n.dev, n.ha);
    }
  }

  /** Upper-layer reachability confirmation (TCP forward progress: dst_confirm). */
  confirm(dev: NetDevice, key: number): void {
    const n = this.tables.get(dev)?.get(key);
    if (n?.valid) n.confirmed = this.clock.now();
  }

  /** `ip neigh` style listing. */
  list(): NeighInfo[] {
    const out: NeighInfo[] = [];
    for (const [dev, t] of this.tables) {
      for (const n of t.values()) {
        out.push({
          dev: dev.name,
          ip: formatIpv4(n.key),
          mac: n.valid ? formatMac(n.ha) : '',
          state: nudName(n.state),
          queued: n.queue.length,
        });
      }
    }
    return out;
  }
}
