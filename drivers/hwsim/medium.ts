/**
 * The mock radio PHY: a medium of channels that radios attach to (Linux's mac80211_hwsim medium, with the link
 * model of wmediumd), on an injected clock, with all randomness from a seeded Prng so that a run is a pure function
 * of its seed.
 *
 * Channels are keyed by the 20 MHz primary frequency: a radio hears exactly the frames sent on its current primary
 * channel (wider channels share their primary; overlap between neighbouring 2.4 GHz channels is not modelled).
 *
 * Each channel carries one transmission at a time (no collisions: contention is modelled as a FIFO of senders, each
 * waiting AIFS plus a random backoff of [0, CW] slots before its frame). A try occupies the channel for its airtime
 * (airtime.ts), then, when it expects an ACK, SIFS plus the ACK's airtime. At the end of the frame every other radio
 * on the channel (that was tuned there when the frame started) draws its own loss; the survivors receive the frame
 * with signal = noise floor + link SNR (+ the sender's power above the reference). A unicast frame is acknowledged
 * when a receiver's handler returns true; otherwise, or when the ACK is lost, the sender retries with a doubled CW
 * up to its retry limit, with the Retry bit set. Group-addressed and noAck frames get one try and no ACK.
 *
 * Timing 'none' makes every try take zero time (for benchmarks of the host path); the event order is unchanged.
 *
 * Hot path: no closures or objects per frame — transmissions are pooled, the receive info and the monitor event
 * are reused objects lent to the callbacks, and a channel has a single re-armed timer.
 */
import { macToString } from '../../mac80211/addr.ts';
import type { Band, ChanDef } from '../../mac80211/driver-ops.ts';
import type { Clock, Timer } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { ACK_LEN, ackRate, ackTimeUs, aifsUs, sifsUs, slotUs, txTimeUs } from './airtime.ts';
import { chandef as makeChandef } from './chan.ts';
import { type AirDelivery, FaultInjector } from './faults.ts';
import { type RadioOptions, RadioPort, type TxReq } from './port.ts';
import {
  DEFAULT_LINK,
  DEFAULT_NOISE_FLOOR,
  DEFAULT_RETRY_LIMIT,
  type LinkSettings,
  type MediumCounters,
  REFERENCE_TX_POWER,
  type RxInfo,
  type TxParams,
  zeroMediumCounters,
} from './types.ts';

const log = logger('hwsim');

export type Timing = 'phy' | 'none';

export interface MediumOptions {
  clock: Clock;
  /** Seed for every random draw (loss, backoff, faults, TSF offsets). Default 1. */
  seed?: number | string;
  /** 'phy' (default): frames, ACKs, inter-frame spaces and backoff take airtime. 'none': every try takes zero time. */
  timing?: Timing;
  /** Noise floor in dBm for radios that do not set one (default −95). */
  noiseFloor?: number;
  /** Defaults for every link (default: lossless, 40 dB SNR, no latency). */
  link?: Partial<LinkSettings>;
  /** Retransmissions of unacknowledged unicast frames (default 7). */
  retryLimit?: number;
}

/** A frame (or an ACK) on air, as monitors see it. Borrowed and reused: read it during the call only. */
export interface AirEvent {
  kind: 'frame' | 'ack';
  frame: Uint8Array;
  /** Sender's port id and address. */
  from: number;
  fromAddr: Uint8Array;
  band: Band;
  freq: number;
  channel: number;
  rate: TxParams['rate'];
  shortPreamble: boolean;
  powerDbm: number;
  /** Medium time in µs of the first and one past the last bit. */
  startUs: number;
  endUs: number;
  /** Sender's TSF at the first bit, µs. */
  tsf: number;
  /** 0 for the first try. */
  attempt: number;
}

export type MonitorHook = (ev: AirEvent) => void;

interface MonitorEntry {
  hook: MonitorHook;
  /** Primary frequency to listen on, or null for every channel. */
  freq: number | null;
}

/** One channel's state: who is tuned to it, who waits to send, what is on air. */
export class AirChannel {
  readonly members: RadioPort[] = [];
  /** Senders waiting for the channel (each at most once), FIFO from qHead. */
  readonly queue: RadioPort[] = [];
  qHead = 0;
  current: RadioPort | null = null;
  req: TxReq | null = null;
  /** 0 idle, 1 frame on air (timer at its end), 2 waiting for the ACK (timer at its end). */
  phase = 0;
  startUs = 0;
  endUs = 0;
  readonly timer: Timer;
  /** Scratch copy of members for a delivery loop (callbacks may retune radios). */
  readonly scratch: RadioPort[] = [];
  tries = 0;
  busyUs = 0;
  /** The radio whose ACK ends the current try (for monitors). */
  acker: RadioPort | null = null;

  constructor(
    medium: Medium,
    readonly freq: number,
    readonly band: Band,
    readonly number: number,
  ) {
    this.timer = medium.clock.timer(() => medium.onChannelTimer(this));
  }

  get waiting(): number {
    return this.queue.length - this.qHead;
  }
}

/** A delivery after a link latency or a delay/duplicate fault (pooled). */
class LateDelivery {
  readonly timer: Timer;
  to: RadioPort | null = null;
  from = 0;
  frame: Uint8Array = new Uint8Array(0);
  snr = 0;
  fcsFailed = false;
  rate: TxParams['rate'] | null = null;
  shortPreamble = false;
  startUs = 0;
  freq = 0;

  constructor(medium: Medium) {
    this.timer = medium.clock.timer(() => medium.onLateDelivery(this));
  }
}

export class Medium {
  readonly clock: Clock;
  readonly prng: Prng;
  readonly timing: Timing;
  readonly noiseFloor: number;
  readonly retryLimit: number;
  readonly counters: MediumCounters = zeroMediumCounters();
  readonly faults: FaultInjector;
  /** Every port ever attached, by id (detached ones stay, with attached = false). */
  readonly ports: RadioPort[] = [];
  /** @internal bumped on every link setting change (invalidates the ports' resolved-link caches) */
  linkVersion = 0;
  private defaults: LinkSettings;
  private readonly links = new Map<number, Partial<LinkSettings>>();
  private readonly channels = new Map<number, AirChannel>();
  private monitors: MonitorEntry[] = [];
  private readonly reqPool: TxReq[] = [];
  private readonly latePool: LateDelivery[] = [];
  private readonly rxInfo: RxInfo;
  private readonly air: AirEvent;
  private readonly delivery: AirDelivery;
  private readonly ackFrame = new Uint8Array(ACK_LEN);

  constructor(opts: MediumOptions) {
    this.clock = opts.clock;
    this.prng = new Prng(opts.seed ?? 1, 'hwsim-medium');
    this.timing = opts.timing ?? 'phy';
    this.noiseFloor = opts.noiseFloor ?? DEFAULT_NOISE_FLOOR;
    this.retryLimit = opts.retryLimit ?? DEFAULT_RETRY_LIMIT;
    this.defaults = checkLink({ ...DEFAULT_LINK, ...opts.link });
    this.faults = new FaultInjector(this.prng.fork('faults'));
    const rate = { mode: 'ofdm', rate: 60, nss: 1, bw: 20, sgi: false } as const;
    this.rxInfo = {
      band: '2g',
      freq: 0,
      channel: 0,
      width: 20,
      signal: 0,
      snr: 0,
      noise: 0,
      rate,
      shortPreamble: false,
      mactime: 0,
      fcsFailed: false,
      from: 0,
    };
    this.air = {
      kind: 'frame',
      frame: this.ackFrame,
      from: 0,
      fromAddr: this.ackFrame,
      band: '2g',
      freq: 0,
      channel: 0,
      rate,
      shortPreamble: false,
      powerDbm: 0,
      startUs: 0,
      endUs: 0,
      tsf: 0,
      attempt: 0,
    };
    this.delivery = {
      frame: this.ackFrame,
      from: 0,
      to: 0,
      fromAddr: this.ackFrame,
      toAddr: this.ackFrame,
      freq: 0,
      attempt: 0,
      rate,
      time: 0,
    };
    this.ackFrame[0] = 0xd4; // ACK: type control, subtype 13
  }

  nowUs(): number {
    return this.clock.now() * 1000;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Radios and links

  /** Attach a radio with MAC address `addr`. */
  attach(addr: Uint8Array, opts: RadioOptions = {}): RadioPort {
    if (addr.length !== 6) throw new Error(`a radio's MAC address has 6 bytes, got ${addr.length}`);
    const mac = macToString(addr);
    const cd = opts.chandef ?? makeChandef('2g', 1);
    const tsf = opts.tsfOffsetUs ?? this.prng.fork(`tsf:${mac}`).int(2 ** 40);
    const port = new RadioPort(
      this,
      this.ports.length,
      Uint8Array.from(addr),
      opts.name ?? mac,
      cd,
      opts,
      tsf,
      this.prng.fork(`loss:${mac}`),
      this.prng.fork(`backoff:${mac}`),
    );
    if (opts.link !== undefined) checkLink(opts.link);
    this.ports.push(port);
    port.tunedAtUs = this.nowUs();
    this.channelFor(cd).members.push(port);
    this.linkVersion++;
    log('attach %s on %d MHz', port.name, port.freq);
    return port;
  }

  /** Settings for the link a → b (and b → a unless `symmetric` is false). Unset fields keep their current values. */
  setLink(a: RadioPort, b: RadioPort, settings: Partial<LinkSettings>, opts: { symmetric?: boolean } = {}): void {
    checkLink(settings);
    const set = (x: RadioPort, y: RadioPort) => {
      const k = pairKey(x, y);
      this.links.set(k, { ...this.links.get(k), ...settings });
    };
    set(a, b);
    if (opts.symmetric ?? true) set(b, a);
    this.linkVersion++;
  }

  /** Defaults for links that involve `port` (the receiver's take precedence over the sender's). */
  setRadioDefaults(port: RadioPort, settings: Partial<LinkSettings>): void {
    checkLink(settings);
    port.linkDefaults = { ...port.linkDefaults, ...settings };
    this.linkVersion++;
  }

  /** Defaults for every link. */
  setDefaults(settings: Partial<LinkSettings>): void {
    this.defaults = checkLink({ ...this.defaults, ...settings });
    this.linkVersion++;
  }

  /** The effective settings of the link from → to. */
  link(from: RadioPort, to: RadioPort): Readonly<LinkSettings> {
    return to.linkFrom(from);
  }

  /** @internal */
  resolveLink(from: RadioPort, to: RadioPort): LinkSettings {
    return { ...this.defaults, ...from.linkDefaults, ...to.linkDefaults, ...this.links.get(pairKey(from, to)) };
  }

  /** Listen to everything on air on one primary frequency (or all). Returns a function that stops listening. */
  addMonitor(hook: MonitorHook, freq: number | null = null): () => void {
    const e: MonitorEntry = { hook, freq };
    this.monitors.push(e);
    return () => {
      this.monitors = this.monitors.filter((m) => m !== e);
    };
  }

  /** Per-channel figures (tries and busy time), for every channel that has been used. */
  channelStats(): { freq: number; tries: number; busyUs: number; members: number }[] {
    return [...this.channels.values()]
      .sort((a, b) => a.freq - b.freq)
      .map((c) => ({ freq: c.freq, tries: c.tries, busyUs: c.busyUs, members: c.members.length }));
  }

  private channelFor(cd: ChanDef): AirChannel {
    let ch = this.channels.get(cd.chan.freq);
    if (ch === undefined) {
      ch = new AirChannel(this, cd.chan.freq, cd.chan.band, cd.chan.channel);
      this.channels.set(cd.chan.freq, ch);
    }
    return ch;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Port operations (called through RadioPort)

  /** @internal */
  tune(p: RadioPort, cd: ChanDef): void {
    const oldFreq = p.freq;
    p.chandef = cd;
    if (!p.attached) {
      p.freq = cd.chan.freq;
      return;
    }
    if (cd.chan.freq === oldFreq) return; // a width change only
    const old = this.channels.get(oldFreq)!;
    removeFrom(old.members, p);
    const waitingInOld = p.busy && p.onAir === null;
    if (waitingInOld) this.unqueue(old, p);
    p.freq = cd.chan.freq;
    p.tunedAtUs = this.nowUs();
    this.channelFor(cd).members.push(p);
    if (waitingInOld) {
      p.busy = false;
      this.request(p);
    }
  }

  /** @internal */
  transmit(p: RadioPort, frame: Uint8Array, params: TxParams, cookie: unknown): void {
    const req = this.reqPool.pop() ?? newReq();
    const group = frame.length < 10 || (frame[4]! & 1) === 1;
    const ctrlNoAck = (frame[0]! & 0x0c) === 0x04 && !isCtrlWithAck(frame[0]!);
    req.frame = frame;
    req.params = params;
    req.cookie = cookie;
    req.tries = 0;
    req.cw = params.cwMin ?? 15;
    req.expectAck = !group && !ctrlNoAck && params.noAck !== true;
    req.retryLimit = req.expectAck ? (params.retryLimit ?? this.retryLimit) : 0;
    req.acked = false;
    req.ackSignal = 0;
    req.airtimeUs = 0;
    p.counters.txFrames++;
    p.counters.txBytes += frame.length;
    this.counters.transmissions++;
    if (!p.attached) {
      this.complete(p, req, true);
      return;
    }
    p.fifo[p.fifoTail++] = req;
    if (!p.busy) this.request(p);
  }

  /** @internal */
  flush(p: RadioPort): void {
    const ch = this.channels.get(p.freq);
    const onAir = p.onAir !== null;
    const keep = onAir ? p.fifoHead + 1 : p.fifoHead;
    const dropped = p.fifo.slice(keep, p.fifoTail) as TxReq[];
    p.fifo.fill(null, keep, p.fifoTail);
    p.fifoTail = keep;
    if (!onAir && ch !== undefined && p.busy) {
      this.unqueue(ch, p);
      p.busy = false;
    }
    if (p.fifoHead >= p.fifoTail) p.fifoHead = p.fifoTail = 0;
    for (const req of dropped) this.complete(p, req, true);
  }

  /** @internal */
  detach(p: RadioPort): void {
    if (!p.attached) return;
    this.flush(p);
    const ch = this.channels.get(p.freq);
    if (ch !== undefined) removeFrom(ch.members, p);
    p.attached = false;
    this.linkVersion++;
    log('detach %s', p.name);
  }

  private unqueue(ch: AirChannel, p: RadioPort): void {
    const q = ch.queue;
    for (let i = ch.qHead; i < q.length; i++) {
      if (q[i] === p) {
        q.splice(i, 1);
        return;
      }
    }
  }

  /** Put p's head-of-line frame in the queue of its channel. */
  private request(p: RadioPort): void {
    const ch = this.channels.get(p.freq)!;
    p.busy = true;
    ch.queue.push(p);
    if (ch.current === null) this.grant(ch);
  }

  /** Give the idle channel to the next waiting sender: contention, then its frame on air. */
  private grant(ch: AirChannel): void {
    const q = ch.queue;
    while (ch.qHead < q.length) {
      const p = q[ch.qHead]!;
      q[ch.qHead++] = undefined as unknown as RadioPort;
      if (ch.qHead === q.length) {
        q.length = 0;
        ch.qHead = 0;
      } else if (ch.qHead > 64 && ch.qHead * 2 > q.length) {
        q.splice(0, ch.qHead);
        ch.qHead = 0;
      }
      if (!p.attached || p.freq !== ch.freq || p.fifoHead >= p.fifoTail) {
        p.busy = false;
        continue;
      }
      const req = p.fifo[p.fifoHead]!;
      const rate = req.params.rate;
      const now = this.nowUs();
      let contention = 0;
      let airtime = 0;
      if (this.timing === 'phy') {
        contention =
          aifsUs(ch.band, rate, req.params.aifsn ?? 2) + p.backoffPrng.int(req.cw + 1) * slotUs(ch.band, rate);
        airtime = txTimeUs(req.frame.length, rate, ch.band, req.params.shortPreamble === true);
      }
      ch.current = p;
      p.onAir = ch;
      ch.req = req;
      ch.phase = 1;
      ch.startUs = now + contention;
      ch.endUs = ch.startUs + airtime;
      ch.busyUs += contention + airtime;
      this.counters.busyUs += contention + airtime;
      req.airtimeUs += airtime;
      ch.timer.modAt(ch.endUs / 1000);
      return;
    }
  }

  /** @internal */
  onChannelTimer(ch: AirChannel): void {
    if (ch.phase === 1) this.endOfFrame(ch);
    else if (ch.phase === 2) this.finishTry(ch);
  }

  private endOfFrame(ch: AirChannel): void {
    const p = ch.current!;
    const req = ch.req!;
    const frame = req.frame;
    req.tries++;
    ch.tries++;
    this.counters.tries++;
    p.counters.txTries++;
    if (req.tries > 1) {
      p.counters.txRetries++;
      if (frame.length >= 2) frame[1]! |= 0x08; // Retry
    }
    const to = req.params.tsfOffset;
    const tsf = Math.floor(ch.startUs + p.tsfOffsetUs);
    if (to !== undefined && to >= 0 && to + 8 <= frame.length) writeU64(frame, to, tsf);
    const power = req.params.powerDbm ?? p.txPowerDbm;
    if (this.monitors.length !== 0) {
      const sp = req.params.shortPreamble === true;
      this.emit('frame', ch, p, frame, req.params.rate, sp, power, tsf, ch.startUs, ch.endUs, req.tries - 1);
    }
    req.acked = false;
    ch.acker = null;
    this.deliver(ch, p, req, power - REFERENCE_TX_POWER);
    if (req.expectAck && this.timing === 'phy') {
      const ackUs = sifsUs(ch.band) + ackTimeUs(req.params.rate, ch.band);
      ch.busyUs += ackUs;
      this.counters.busyUs += ackUs;
      if (req.acked) req.airtimeUs += ackUs - sifsUs(ch.band);
      ch.phase = 2;
      ch.timer.modAt((ch.endUs + ackUs) / 1000);
      return;
    }
    if (req.expectAck && req.acked && this.monitors.length !== 0) this.emitAck(ch, p, req);
    this.finishTry(ch);
  }

  private finishTry(ch: AirChannel): void {
    const p = ch.current!;
    const req = ch.req!;
    // The ACK is reported when it has ended, so monitors see events in time order across channels.
    if (ch.phase === 2 && req.acked && this.monitors.length !== 0) this.emitAck(ch, p, req);
    ch.current = null;
    p.onAir = null;
    ch.req = null;
    ch.phase = 0;
    if (req.expectAck && !req.acked && req.tries <= req.retryLimit && p.attached) {
      req.cw = Math.min(2 * req.cw + 1, req.params.cwMax ?? 1023);
      if (p.freq === ch.freq) ch.queue.push(p);
      else {
        p.busy = false;
        this.request(p);
      }
    } else {
      p.busy = false;
      p.fifo[p.fifoHead] = null;
      if (++p.fifoHead >= p.fifoTail) p.fifoHead = p.fifoTail = 0;
      this.complete(p, req, false);
      if (p.attached && !p.busy && p.fifoHead < p.fifoTail) this.request(p);
    }
    if (ch.current === null) this.grant(ch);
  }

  /** Report the end of a transmission already taken off the port's FIFO, and recycle it. */
  private complete(p: RadioPort, req: TxReq, flushed: boolean): void {
    const c = p.counters;
    if (flushed) c.txFlushed++;
    else if (!req.expectAck) c.txNoAck++;
    else if (req.acked) c.txAcked++;
    else c.txFailed++;
    c.txAirtimeUs += req.airtimeUs;
    const r = p.result;
    r.acked = req.acked && !flushed;
    r.retries = req.tries > 0 ? req.tries - 1 : 0;
    r.ackSignal = req.ackSignal;
    r.airtimeUs = req.airtimeUs;
    r.flushed = flushed;
    const frame = req.frame;
    const cookie = req.cookie;
    req.frame = EMPTY;
    req.cookie = null;
    this.reqPool.push(req);
    p.onTxComplete?.(cookie, frame, r);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Delivery

  private deliver(ch: AirChannel, p: RadioPort, req: TxReq, powerDelta: number): void {
    const members = ch.scratch;
    const n = ch.members.length;
    for (let i = 0; i < n; i++) members[i] = ch.members[i]!;
    const frame = req.frame;
    const faults = this.faults.rules.length !== 0;
    for (let i = 0; i < n; i++) {
      const m = members[i]!;
      if (m === p || !m.attached || m.freq !== ch.freq || m.tunedAtUs > ch.startUs) continue;
      const link = m.linkFrom(p);
      if (link.loss > 0 && m.lossPrng.chance(link.loss)) {
        m.counters.rxLost++;
        this.counters.losses++;
        continue;
      }
      const snr = link.snr + powerDelta;
      if (faults) {
        const d = this.delivery;
        d.frame = frame;
        d.from = p.id;
        d.to = m.id;
        d.fromAddr = p.addr;
        d.toAddr = m.addr;
        d.freq = ch.freq;
        d.attempt = req.tries - 1;
        d.rate = req.params.rate;
        d.time = ch.endUs / 1000;
        const rule = this.faults.pick(d);
        if (rule !== null) {
          const s = rule.spec;
          switch (s.kind) {
            case 'drop':
              m.counters.rxFaultDrops++;
              this.counters.faultDrops++;
              continue;
            case 'corrupt': {
              this.counters.faultCorruptions++;
              const bad = this.faults.corrupt(frame, s.bits ?? 1);
              if (link.latencyMs > 0) this.deliverLate(m, p, bad, snr, req, ch, link.latencyMs, true);
              else this.deliverNow(m, p.id, bad, snr, true, req, ch.startUs);
              continue;
            }
            case 'delay':
              this.counters.faultDelays++;
              this.deliverLate(m, p, frame, snr, req, ch, link.latencyMs + (s.delayMs ?? 1), false);
              if (req.expectAck && m.wouldAck(frame)) this.ackFrom(ch, m, p, req, link);
              continue;
            case 'duplicate':
              this.counters.faultDuplicates++;
              this.deliverLate(m, p, frame, snr, req, ch, link.latencyMs + (s.delayMs ?? 0), false);
              break;
          }
        }
      }
      if (link.latencyMs > 0) {
        this.deliverLate(m, p, frame, snr, req, ch, link.latencyMs, false);
        if (req.expectAck && m.wouldAck(frame)) this.ackFrom(ch, m, p, req, link);
        continue;
      }
      const acks = this.deliverNow(m, p.id, frame, snr, false, req, ch.startUs);
      if (acks && req.expectAck) this.ackFrom(ch, m, p, req, link);
    }
  }

  /** Receiver m acknowledges: the ACK may be lost on the way back. */
  private ackFrom(ch: AirChannel, m: RadioPort, p: RadioPort, req: TxReq, link: LinkSettings): void {
    if (req.acked) return;
    if (link.ackLoss > 0 && m.lossPrng.chance(link.ackLoss)) {
      m.counters.rxAckLost++;
      this.counters.ackLosses++;
      return;
    }
    req.acked = true;
    ch.acker = m;
    this.counters.acks++;
    req.ackSignal = p.noiseFloor + p.linkFrom(m).snr + (m.txPowerDbm - REFERENCE_TX_POWER);
  }

  private deliverNow(
    m: RadioPort,
    from: number,
    frame: Uint8Array,
    snr: number,
    fcsFailed: boolean,
    req: { params: TxParams } | null,
    startUs: number,
    rate = req!.params.rate,
    shortPreamble = req?.params.shortPreamble === true,
  ): boolean {
    const info = this.rxInfo;
    const cd = m.chandef;
    info.band = cd.chan.band;
    info.freq = cd.chan.freq;
    info.channel = cd.chan.channel;
    info.width = cd.width;
    info.noise = m.noiseFloor;
    info.snr = snr;
    info.signal = m.noiseFloor + snr;
    info.rate = rate;
    info.shortPreamble = shortPreamble;
    info.mactime = Math.floor(startUs + m.tsfOffsetUs);
    info.fcsFailed = fcsFailed;
    info.from = from;
    m.counters.rxFrames++;
    m.counters.rxBytes += frame.length;
    if (fcsFailed) m.counters.rxFcsErrors++;
    this.counters.deliveries++;
    const h = m.onReceive;
    if (h === null) return false;
    return h(frame, info) === true && !fcsFailed;
  }

  private deliverLate(
    m: RadioPort,
    p: RadioPort,
    frame: Uint8Array,
    snr: number,
    req: TxReq,
    ch: AirChannel,
    delayMs: number,
    fcsFailed: boolean,
  ): void {
    const d = this.latePool.pop() ?? new LateDelivery(this);
    d.to = m;
    d.from = p.id;
    d.frame = fcsFailed ? frame : Uint8Array.from(frame); // a copy: the sender gets its buffer back before this fires
    d.snr = snr;
    d.fcsFailed = fcsFailed;
    d.rate = req.params.rate;
    d.shortPreamble = req.params.shortPreamble === true;
    d.startUs = ch.startUs;
    d.freq = ch.freq;
    d.timer.mod(delayMs);
  }

  /** @internal */
  onLateDelivery(d: LateDelivery): void {
    const m = d.to!;
    if (m.attached && m.freq === d.freq) {
      this.deliverNow(m, d.from, d.frame, d.snr, d.fcsFailed, null, d.startUs, d.rate!, d.shortPreamble);
    }
    d.to = null;
    d.frame = EMPTY;
    d.rate = null;
    this.latePool.push(d);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Monitors

  private emit(
    kind: 'frame' | 'ack',
    ch: AirChannel,
    from: RadioPort,
    frame: Uint8Array,
    rate: TxParams['rate'],
    shortPreamble: boolean,
    power: number,
    tsf: number,
    startUs: number,
    endUs: number,
    attempt: number,
  ): void {
    const e = this.air;
    e.kind = kind;
    e.frame = frame;
    e.from = from.id;
    e.fromAddr = from.addr;
    e.band = ch.band;
    e.freq = ch.freq;
    e.channel = ch.number;
    e.rate = rate;
    e.shortPreamble = shortPreamble;
    e.powerDbm = power;
    e.startUs = startUs;
    e.endUs = endUs;
    e.tsf = tsf;
    e.attempt = attempt;
    for (const m of this.monitors) if (m.freq === null || m.freq === ch.freq) m.hook(e);
  }

  /** The ACK for the frame on air, sent by its receiver SIFS after the frame. */
  private emitAck(ch: AirChannel, p: RadioPort, req: TxReq): void {
    const a = this.ackFrame;
    a.set(p.addr, 4); // RA: the transmitter of the acknowledged frame
    const phy = this.timing === 'phy';
    const rate = ackRate(req.params.rate);
    const start = ch.endUs + (phy ? sifsUs(ch.band) : 0);
    const end = start + (phy ? txTimeUs(ACK_LEN, rate, ch.band) : 0);
    const acker = ch.acker ?? p;
    const tsf = Math.floor(start + acker.tsfOffsetUs);
    this.emit('ack', ch, acker, a, rate, false, acker.txPowerDbm, tsf, start, end, 0);
  }
}

const EMPTY = new Uint8Array(0);

function newReq(): TxReq {
  return {
    frame: EMPTY,
    params: null as unknown as TxParams,
    cookie: null,
    tries: 0,
    cw: 15,
    retryLimit: 0,
    expectAck: false,
    acked: false,
    ackSignal: 0,
    airtimeUs: 0,
  };
}

/** Control frames that are acknowledged: BlockAckReq (8) and PS-Poll (10). */
function isCtrlWithAck(fc0: number): boolean {
  const st = fc0 >> 4;
  return st === 8 || st === 10;
}

function pairKey(a: RadioPort, b: RadioPort): number {
  return a.id * 1048576 + b.id;
}

function removeFrom<T>(arr: T[], x: T): void {
  const i = arr.indexOf(x);
  if (i >= 0) arr.splice(i, 1);
}

function writeU64(b: Uint8Array, off: number, v: number): void {
  let lo = v % 4294967296;
  let hi = Math.floor(v / 4294967296);
  for (let i = 0; i < 4; i++, lo = Math.floor(lo / 256)) b[off + i] = lo & 0xff;
  for (let i = 4; i < 8; i++, hi = Math.floor(hi / 256)) b[off + i] = hi & 0xff;
}

function checkLink<T extends Partial<LinkSettings>>(s: T): T {
  const prob = (name: string, v: number | undefined) => {
    if (v !== undefined && !(v >= 0 && v <= 1))
      throw new Error(`link ${name} must be a probability in [0, 1], got ${v}`);
  };
  prob('loss', s.loss);
  prob('ackLoss', s.ackLoss);
  if (s.snr !== undefined && !Number.isFinite(s.snr)) throw new Error(`link snr must be a number of dB, got ${s.snr}`);
  if (s.latencyMs !== undefined && !(s.latencyMs >= 0 && Number.isFinite(s.latencyMs)))
    throw new Error(`link latencyMs must be >= 0, got ${s.latencyMs}`);
  return s;
}
