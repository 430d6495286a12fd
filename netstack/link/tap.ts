/**
 * A Linux TAP interface as a NetDevice: the kernel's side of the TAP is one host on an Ethernet segment, this
 * device is the other. Frames the kernel sends on the TAP arrive here; frames this device transmits arrive at the
 * kernel as if received on a wire. This is the "tap" world of DESIGN.md: the netstack against the Linux kernel's
 * own stack, for interop tests and `airstack host`.
 *
 *     const dev = await TapDevice.create({ name: 'tap0', clock, netns: 'ns1' });
 *     core.register(dev); dev.open();    // ... run a stack on it ...
 *     await dev.destroy();               // closes the TAP; deletes what create() made
 *
 * Backends (docs/TAP.md): `fd` — this process holds the /dev/net/tun descriptor (python3 does the one ioctl);
 * `socat` — a socat child bridges the TAP to loopback UDP. `auto` picks fd when python3 exists, else socat.
 *
 * Receive: every frame read is checked (runt, longer than the TAP's MTU allows) and goes up through netifRx, the
 * backlog NAPI, like any device without its own NAPI. Transmit: frames longer than the MTU allows are dropped and
 * counted; a backend that cannot take a frame returns BUSY and the qdisc holds it until the backend has room.
 * Nothing read from the TAP can throw: bad frames are dropped and counted in `counters`.
 *
 * Lifetime: a TAP that did not exist is created non-persistent, so the kernel deletes it when the descriptor
 * closes — on destroy() and also when the process dies. With `netns`, the new TAP is moved into that network
 * namespace (created if missing, deleted on destroy() if it was created here). A TAP that already existed
 * (`ip tuntap add ... mode tap`) is attached to and left in place; if create() brought it up, destroy() brings it
 * back down.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { logger } from '../core/log.ts';
import { NetDevice, NetdevTx } from '../core/netdevice.ts';
import { SkBuff } from '../core/skb.ts';
import { ETH_HLEN, ETH_P_8021AD, ETH_P_8021Q, VLAN_HLEN } from '../ethernet/header.ts';
import { findCommand, type TapBackend, type TapBackendKind, type TapSink, TapWrite } from './tap/backend.ts';
import { TapError } from './tap/errors.ts';
import {
  addNetns,
  delNetns,
  isTapLink,
  type LinkState,
  linkState,
  moveLinkToNetns,
  netnsExists,
  setLinkMtu,
  setLinkUp,
  validIfName,
  validNetnsName,
} from './tap/iproute.ts';
import { SocatBackend } from './tap/socat.ts';
import { TunFdBackend, type TunReader } from './tap/tunfd.ts';

export { TapError } from './tap/errors.ts';
export { type TapBackend, type TapBackendKind, type TapSink, TapWrite } from './tap/backend.ts';

const log = logger('tap');

/** Longest frame accepted from the kernel beyond MTU + 14: room for two VLAN tags (802.1ad QinQ). */
const RX_TAG_ALLOWANCE = 2 * VLAN_HLEN;

export interface TapOptions {
  /** Interface name (1..15 characters). */
  name: string;
  /** The RealClock (the TAP is real time); used for the backends' retry and poll timers. */
  clock: Clock;
  /** This side's MAC address; default: random, locally administered, unicast. */
  mac?: Uint8Array;
  /** Put the TAP in this network namespace (created if missing). The TAP must not exist yet. */
  netns?: string;
  /** Set the TAP's MTU; default: keep the kernel's (1500 for a new TAP). */
  mtu?: number;
  /** Default 'auto': fd when python3 exists, else socat. */
  backend?: TapBackendKind | 'auto';
  /** fd backend reader; default 'auto' (epoll when available). Env AIRSTACK_TAP_READER overrides 'auto'. */
  reader?: TunReader | 'auto';
  /** Bring the kernel side up (default true). */
  up?: boolean;
}

/** Link-level counters (what the TAP itself saw), beside NetDevice.stats and softnet. */
export interface TapCounters {
  /** Frames and bytes read from the TAP, good or bad. */
  rxFrames: number;
  rxBytes: number;
  /** Shorter than an Ethernet header: dropped. */
  rxRunts: number;
  /** Longer than the MTU allows: dropped. */
  rxOversize: number;
  /** Failed reads (the frame, if any, is lost). */
  rxReadErrors: number;
  /** Frames and bytes written to the TAP. */
  txFrames: number;
  txBytes: number;
  /** Too long for the TAP's MTU, or shorter than an Ethernet header: dropped. */
  txLengthErrors: number;
  /** Writes refused because the kernel side is down (EIO) or the backend is gone: dropped. */
  txCarrierErrors: number;
  /** Other write errors: dropped. */
  txErrors: number;
  /** Times the backend pushed back (BUSY); the frame stayed queued. */
  txBusy: number;
}

function zeroCounters(): TapCounters {
  return {
    rxFrames: 0,
    rxBytes: 0,
    rxRunts: 0,
    rxOversize: 0,
    rxReadErrors: 0,
    txFrames: 0,
    txBytes: 0,
    txLengthErrors: 0,
    txCarrierErrors: 0,
    txErrors: 0,
    txBusy: 0,
  };
}

/** A random locally administered unicast MAC address. */
export function randomMac(): Buffer {
  const mac = randomBytes(6);
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  return mac;
}

/** What create() did, so that destroy() undoes exactly that. */
interface Ownership {
  createdLink: boolean;
  createdNetns: boolean;
  broughtUp: boolean;
}

export class TapDevice extends NetDevice {
  readonly counters: TapCounters = zeroCounters();
  /** Set when the link went away under us (device deleted, socat exited): the reason. */
  linkLost: string | null = null;
  private lostListeners: Array<(reason: string) => void> = [];
  private destroyed: Promise<void> | null = null;
  private readonly rxMaxFrame: number;

  private constructor(
    name: string,
    mac: Uint8Array,
    mtu: number,
    readonly backend: TapBackend,
    readonly netns: string | null,
    /** The kernel side's MAC address, as ip prints it. */
    readonly kernelMac: string,
    private readonly own: Ownership,
  ) {
    super(name, mac);
    this.mtu = mtu;
    this.rxMaxFrame = mtu + ETH_HLEN + RX_TAG_ALLOWANCE;
  }

  /** Open (and if needed create) TAP `opts.name`. Failures are TapErrors with a one-line reason. */
  static async create(opts: TapOptions): Promise<TapDevice> {
    const { name, netns } = opts;
    if (!validIfName(name)) {
      throw new TapError(`invalid interface name '${name}': 1 to 15 characters, no '/', ':', '%' or spaces`, 'EINVAL');
    }
    if (netns !== undefined && !validNetnsName(netns)) {
      throw new TapError(`invalid network namespace name '${netns}'`, 'EINVAL');
    }
    if (opts.mtu !== undefined && (!Number.isInteger(opts.mtu) || opts.mtu < 68 || opts.mtu > 65521)) {
      throw new TapError(`invalid MTU ${opts.mtu}: a TAP takes 68 to 65521`, 'EINVAL');
    }
    if (findCommand('ip') === null) throw new TapError("the 'ip' command is missing: install iproute2", 'no-ip');

    const existing = linkState(name);
    if (existing !== null && !isTapLink(name)) {
      throw new TapError(`${name} exists and is not a TAP device: pick another name`, 'EINVAL');
    }
    if (netns !== undefined && existing !== null) {
      throw new TapError(
        `TAP ${name} already exists: with a network namespace, give a name that is not in use`,
        'EEXIST',
      );
    }
    const own: Ownership = { createdLink: existing === null, createdNetns: false, broughtUp: false };
    if (netns !== undefined && linkState(name, netns) !== null) {
      throw new TapError(`${name} already exists in network namespace ${netns}: pick another name`, 'EEXIST');
    }

    const backend = await openBackend(opts);
    try {
      if (netns !== undefined) {
        if (!netnsExists(netns)) {
          addNetns(netns);
          own.createdNetns = true;
        }
        moveLinkToNetns(name, netns);
      }
      if (opts.mtu !== undefined) setLinkMtu(name, opts.mtu, netns);
      const state: LinkState | null = linkState(name, netns);
      if (state === null) throw new TapError(`TAP ${name} vanished while it was being set up`, 'ENODEV');
      if (opts.up !== false && !state.up) {
        setLinkUp(name, true, netns);
        own.broughtUp = true;
      }
      const dev = new TapDevice(name, opts.mac ?? randomMac(), state.mtu, backend, netns ?? null, state.address, own);
      backend.start(dev.sink, dev.rxMaxFrame);
      log('%s: %s, mtu %d%s', name, backend.description, state.mtu, netns ? `, netns ${netns}` : '');
      return dev;
    } catch (e) {
      await backend.close();
      if (own.createdNetns) delNetns(netns!);
      throw e;
    }
  }

  /**
   * A TapDevice over a backend you opened yourself (a custom transport, or a scripted one in tests). Nothing is
   * created or deleted on the kernel side; destroy() only closes the backend.
   */
  static attach(backend: TapBackend, opts: { name: string; mtu?: number; mac?: Uint8Array }): TapDevice {
    const mtu = opts.mtu ?? 1500;
    const own: Ownership = { createdLink: false, createdNetns: false, broughtUp: false };
    const dev = new TapDevice(opts.name, opts.mac ?? randomMac(), mtu, backend, null, '', own);
    backend.start(dev.sink, dev.rxMaxFrame);
    return dev;
  }

  /** For people: backend, namespace, MTU, what was created. */
  describe(): string {
    const parts = [this.backend.description, `mtu ${this.mtu}`];
    if (this.netns) parts.push(`netns ${this.netns}${this.own.createdNetns ? ' (created)' : ''}`);
    parts.push(this.own.createdLink ? 'created' : 'existing');
    if (this.kernelMac) parts.push(`kernel side ${this.kernelMac}`);
    return `${this.name}: ${parts.join(', ')}`;
  }

  /** Called once when the link goes away under us (see linkLost). */
  onLinkLost(fn: (reason: string) => void): void {
    this.lostListeners.push(fn);
  }

  private readonly sink: TapSink = {
    frame: (buf, start, end) => this.rxFrame(buf, start, end),
    readError: (code, fatal) => {
      this.counters.rxReadErrors++;
      this.stats.rxErrors++;
      if (!fatal || this.linkLost !== null) return;
      this.linkLost = code;
      this.carrier = false;
      log('%s: link lost (%s)', this.name, code);
      for (const fn of this.lostListeners) fn(code);
    },
    writable: () => this.netifWakeQueue(),
  };

  private rxFrame(buf: Buffer, start: number, end: number): void {
    const len = end - start;
    const c = this.counters;
    c.rxFrames++;
    c.rxBytes += len;
    if (len < ETH_HLEN) {
      c.rxRunts++;
      this.stats.rxErrors++;
      return;
    }
    if (len > this.rxMaxFrame) {
      c.rxOversize++;
      this.stats.rxErrors++;
      return;
    }
    const skb = SkBuff.wrap(buf, start, end);
    skb.resetMacHeader();
    this.netifRx(skb);
  }

  /** Longest frame this device may send: MTU + Ethernet header + the VLAN tags the frame carries. */
  private txLimit(skb: SkBuff): number {
    let limit = this.mtu + ETH_HLEN;
    let off = skb.data + 12;
    for (let tags = 0; tags < 2 && off + 2 <= skb.tail; tags++) {
      const type = skb.buf.readUInt16BE(off);
      if (type !== ETH_P_8021Q && type !== ETH_P_8021AD) break;
      limit += VLAN_HLEN;
      off += VLAN_HLEN;
    }
    return limit;
  }

  protected override ndoStartXmit(skb: SkBuff): NetdevTx {
    const len = skb.len;
    const c = this.counters;
    if (len < ETH_HLEN || len > this.txLimit(skb)) {
      c.txLengthErrors++;
      this.stats.txErrors++;
      skb.drop();
      return NetdevTx.OK;
    }
    switch (this.backend.write(skb)) {
      case TapWrite.OK:
        c.txFrames++;
        c.txBytes += len;
        return NetdevTx.OK;
      case TapWrite.BUSY:
        c.txBusy++;
        return NetdevTx.BUSY;
      case TapWrite.LINK_DOWN:
        c.txCarrierErrors++;
        this.stats.txErrors++;
        return NetdevTx.OK;
      default:
        c.txErrors++;
        this.stats.txErrors++;
        return NetdevTx.OK;
    }
  }

  /** Take the device down, close the TAP and delete what create() made. Idempotent; never throws. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      this.close();
      await this.backend.close();
      const netns = this.netns ?? undefined;
      if (this.own.broughtUp && !this.own.createdLink) {
        try {
          setLinkUp(this.name, false, netns);
        } catch (e) {
          log('%s: could not bring the TAP back down: %s', this.name, (e as Error).message);
        }
      }
      if (this.own.createdNetns) delNetns(netns!);
    })();
    return this.destroyed;
  }
}

async function openBackend(opts: TapOptions): Promise<TapBackend> {
  let kind = opts.backend ?? 'auto';
  if (kind === 'auto') {
    if (TunFdBackend.available()) kind = 'fd';
    else if (SocatBackend.available()) kind = 'socat';
    else throw new TapError('no TAP backend: install python3 (preferred) or socat', 'no-backend');
  }
  if (kind === 'fd') {
    const env = process.env.AIRSTACK_TAP_READER;
    const reader = opts.reader ?? (env === 'epoll' || env === 'poll' ? env : 'auto');
    return TunFdBackend.open({ name: opts.name, clock: opts.clock, reader });
  }
  return SocatBackend.open({ name: opts.name, clock: opts.clock });
}
