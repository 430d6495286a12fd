/**
 * The hwsim virtual radio: a driver that implements the ops interface (mac80211/driver-ops.ts) directly on a
 * RadioPort of the mock PHY, as Linux's mac80211_hwsim does on its medium.
 *
 * Design choices (each the way hardware with offloads and mt76 do it, so that mac80211 sees the same shape from
 * this radio and from the mt7921u driver):
 *
 * - Crypto: none in hardware. caps.hwCiphers is empty and setKey throws KeyNotSupportedError, so mac80211 encrypts
 *   and decrypts CCMP in software; received frames come up with decrypted = false.
 * - Scan: both. With `hwScan: true` (the default, like the MT7921's firmware scan) caps.hwScan is set and hwScan()
 *   hops channels in the driver (radio-scan.ts); with `hwScan: false` mac80211 scans in software by calling
 *   config() with each channel, which simply retunes the radio.
 * - Beacons: offloaded. In AP mode mac80211 gives a beacon template through bssInfoChanged and the radio sends it
 *   every beacon interval with its sequence number, DTIM count and TSF filled in (radio-beacon.ts). mac80211 must
 *   push a new template when the TIM bitmap changes.
 * - Rate control: in the driver (caps.hasRateControl; TxInfo carries no rate). Management, group-addressed and
 *   useMinRate frames go at the lowest basic rate; data to a peer at the best rate of its capabilities on the
 *   current channel width. GUESS: a fixed best rate rather than a Minstrel-like search — the medium's loss does not
 *   depend on the rate, so searching would change nothing but airtime.
 * - TX: bounded queues per access category plus an off-channel queue and a beacon queue, served in strict priority
 *   (beacon, off-channel, VO, VI, BE, BK; GUESS: EDCA's probabilistic priority is left to the medium's per-AC
 *   AIFS/CW) with one frame at a time on the port. While a hardware scan is off-channel only off-channel frames
 *   leave. A full queue drops the frame and reports a failed txStatus when one was requested.
 * - RX and NAPI: the port's receive callback is the interrupt. It applies the hardware address filter (group
 *   frames, frames to one of the interfaces' addresses, everything in monitor mode), acknowledges frames addressed
 *   to us, copies the frame into an skb on the RX ring and schedules NAPI. The NAPI poll hands the poll's frames
 *   to hw.rxList() (ieee80211_rx_list: software decryption in one batch) with their RxStatus (band, frequency,
 *   channel, signal, rate, mactime); hw.rx() frame by frame when mac80211 offers no list. The NAPI context needs a NetDevice only for its
 *   softirq and softnet counters, so the radio owns a dummy one (Linux's init_dummy_netdev, as mt76 does) attached
 *   to the NetCore given in the options — mac80211's own stack, so its NAPI runs in the same softirq as everything
 *   else — or to a private NetCore on the medium's clock when none is given. mac80211 owns the real net device.
 * - Beacon loss and connection monitoring: not in the radio; mac80211 watches beacons in software (as for
 *   mac80211_hwsim, which sets neither IEEE80211_HW_CONNECTION_MONITOR nor beacon filtering).
 */
import {
  Ac,
  type Band,
  type BssChanged,
  type BssConf,
  type ChanDef,
  type Channel,
  type HwCapabilities,
  type Ieee80211HwCallbacks,
  type Ieee80211Ops,
  KeyNotSupportedError,
  type KeyConf,
  type RateInfo,
  type RxStatus,
  type ScanRequest,
  type SetKeyCmd,
  type Sta,
  StaState,
  type TxInfo,
  type TxQueueParams,
  type Vif,
} from '../../mac80211/driver-ops.ts';
import { macToString } from '../../mac80211/addr.ts';
import { logger } from '../../netstack/core/log.ts';
import { Napi, NetCore, NetDevice, NetdevTx } from '../../netstack/core/netdevice.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { chandef } from './chan.ts';
import type { Medium } from './medium.ts';
import type { RadioPort } from './port.ts';
import { Beaconer } from './radio-beacon.ts';
import { BITRATES_2G, BITRATES_5G, hwsimCaps, legacyRate, rateInfo } from './radio-caps.ts';
import { RxRing, TxQueue } from './radio-queues.ts';
import { HwScanner } from './radio-scan.ts';
import type { LinkSettings, RxInfo, TxParams, TxResult } from './types.ts';

const log = logger('hwsim');

export interface HwsimRadioOptions {
  medium: Medium;
  /** Permanent MAC address. */
  addr: Uint8Array;
  /** The softirq for the radio's NAPI context (mac80211's stack); default: a private NetCore on the medium's clock. */
  core?: NetCore;
  name?: string;
  /** Scan in the driver (default true); false: mac80211 scans in software through config(). */
  hwScan?: boolean;
  bands?: Band[];
  /** Spatial streams (default 2, like the MT7921). */
  nss?: number;
  /** Depth of each TX queue (default 256). */
  txQueueDepth?: number;
  /** RX ring entries (default 1024). */
  rxRingSize?: number;
  /** Link defaults for this radio on the medium. */
  link?: Partial<LinkSettings>;
  txPowerDbm?: number;
  /** Initial channel (default: 2.4 GHz channel 1). */
  chandef?: ChanDef;
  /** Use this rate for unicast data instead of the best rate for the peer. */
  dataRate?: RateInfo;
}

export interface HwsimRadioCounters {
  txQueued: number;
  /** Dropped because the queue was full. */
  txQueueFull: number;
  /** Dropped because the frame was shorter than an 802.11 header's first 10 bytes. */
  txInvalid: number;
  txStopped: number;
  txAcked: number;
  txFailed: number;
  txStatusReported: number;
  rxDelivered: number;
  /** Not for us (hardware address filter). */
  rxFiltered: number;
  rxFcsErrors: number;
  rxRingFull: number;
  rxStopped: number;
  beaconsSent: number;
  /** Beacons not sent: the previous one was still queued, or the radio was off-channel. */
  beaconsMissed: number;
  scans: number;
  scansAborted: number;
  probeRequests: number;
  keysRejected: number;
}

/** Driver-private per-interface state (vif.drv). */
export interface HwsimVifState {
  bss: BssConf | null;
  beacon: Beaconer | null;
  txq: Map<Ac, TxQueueParams>;
}

interface StaPriv {
  state: StaState;
  rate: RateInfo | null;
  /** Radio configuration version the rate was chosen for. */
  ver: number;
}

const RX_HEADROOM = 64;
const RX_TAILROOM = 16;
const FC0_BEACON = 0x80;
const FC0_PROBE_RESP = 0x50;

/** Default EDCA parameters per AC (IEEE 802.11-2020 Table 9-155, non-AP STA). */
const DEFAULT_EDCA: Record<Ac, TxQueueParams> = {
  [Ac.VO]: { aifs: 2, cwMin: 3, cwMax: 7, txop: 47, acm: false },
  [Ac.VI]: { aifs: 2, cwMin: 7, cwMax: 15, txop: 94, acm: false },
  [Ac.BE]: { aifs: 3, cwMin: 15, cwMax: 1023, txop: 0, acm: false },
  [Ac.BK]: { aifs: 7, cwMin: 15, cwMax: 1023, txop: 0, acm: false },
};

/** TxInfo of a frame the radio sends on its own (beacons, scan probes): broadcast at the lowest rate, no status. */
function mgmtTxInfo(vif: Vif, offChannel: boolean): TxInfo {
  return {
    vif,
    sta: null,
    ac: Ac.VO,
    tid: 0,
    hwKey: null,
    reqTxStatus: false,
    noAck: true,
    useMinRate: true,
    offChannel,
  };
}

/** Dummy device for the NAPI context (init_dummy_netdev): it carries no packets. */
class NapiDevice extends NetDevice {
  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    skb.drop();
    this.stats.txDropped++;
    return NetdevTx.OK;
  }
}

export class HwsimRadio implements Ieee80211Ops {
  readonly caps: HwCapabilities;
  readonly port: RadioPort;
  readonly medium: Medium;
  readonly name: string;
  readonly napi: Napi;
  /** The dummy device the NAPI context is bound to (its softnet counters are the radio's). */
  readonly napiDev: NetDevice;
  readonly counters: HwsimRadioCounters = {
    txQueued: 0,
    txQueueFull: 0,
    txInvalid: 0,
    txStopped: 0,
    txAcked: 0,
    txFailed: 0,
    txStatusReported: 0,
    rxDelivered: 0,
    rxFiltered: 0,
    rxFcsErrors: 0,
    rxRingFull: 0,
    rxStopped: 0,
    beaconsSent: 0,
    beaconsMissed: 0,
    scans: 0,
    scansAborted: 0,
    probeRequests: 0,
    keysRejected: 0,
  };
  /** Interfaces, in the order added. */
  readonly vifs: Vif[] = [];
  /** Peers by MAC address with their current state (staState calls). */
  readonly stations = new Map<string, { sta: Sta; state: StaState }>();
  /** Every setKey call (the radio refuses them all). */
  readonly keyRequests: { cmd: SetKeyCmd; cipher: KeyConf['cipher']; keyIdx: number; pairwise: boolean }[] = [];
  /** The operating channel (from config()); the port may be elsewhere during a hardware scan. */
  operating: ChanDef;
  txPowerDbm: number;
  monitor = false;
  started = false;

  private hw: Ieee80211HwCallbacks | null = null;
  private readonly acq: TxQueue[];
  private readonly offchanq: TxQueue;
  private readonly beaconq: TxQueue;
  private readonly rxRing: RxRing;
  private readonly scanner: HwScanner;
  private readonly nss: number;
  private readonly dataRate: RateInfo | null;
  private inflight: SkBuff | null = null;
  private inflightInfo: TxInfo | null = null;
  private readonly txParams: TxParams;
  private readonly popTx: { skb: SkBuff | null; info: TxInfo | null } = { skb: null, info: null };
  private readonly popRx: { skb: SkBuff | null; status: RxStatus | null } = { skb: null, status: null };
  /** The frames of the current poll, handed to mac80211 together. */
  private readonly batchSkbs: SkBuff[] = [];
  private readonly batchStatuses: RxStatus[] = [];
  private scanning = false;
  private scanSeq = 0;
  private confVersion = 0;
  private lastRateIn: RateInfo | null = null;
  private lastRateOut: RateInfo | null = null;
  /** Interface used for beacons and probes (vifs with no TxInfo of their own). */
  private readonly beaconInfo: TxInfo;

  constructor(opts: HwsimRadioOptions) {
    this.medium = opts.medium;
    this.name = opts.name ?? `hwsim-${macToString(opts.addr)}`;
    const bands = opts.bands ?? ['2g', '5g'];
    this.caps = hwsimCaps(opts.addr, { bands, hwScan: opts.hwScan ?? true });
    this.operating = opts.chandef ?? chandef(bands[0]!, bands[0] === '5g' ? 36 : 1);
    this.txPowerDbm = opts.txPowerDbm ?? 20;
    this.nss = Math.max(1, Math.min(4, opts.nss ?? 2));
    this.dataRate = opts.dataRate ?? null;
    this.port = opts.medium.attach(opts.addr, {
      name: this.name,
      link: opts.link,
      txPowerDbm: this.txPowerDbm,
      chandef: this.operating,
    });
    this.port.onReceive = (frame, info) => this.rxIrq(frame, info);
    this.port.onTxComplete = (cookie, _frame, result) => this.txDone(cookie as SkBuff, result);
    this.port.wouldAck = (f) => this.addressedToUs(f);
    const depth = opts.txQueueDepth ?? 256;
    this.acq = [new TxQueue(depth), new TxQueue(depth), new TxQueue(depth), new TxQueue(depth)];
    this.offchanq = new TxQueue(Math.max(16, depth >> 2));
    this.beaconq = new TxQueue(8);
    this.rxRing = new RxRing(opts.rxRingSize ?? 1024);
    const core = opts.core ?? new NetCore(opts.medium.clock);
    this.napiDev = new NapiDevice(`${this.name}-napi`, opts.addr);
    // init_dummy_netdev: bound to the softirq without being registered as an interface.
    this.napiDev.core = core;
    this.napiDev.up = true;
    this.napi = new Napi(this.napiDev, (_napi, budget) => this.poll(budget));
    this.scanner = new HwScanner({
      clock: opts.medium.clock,
      supports: (c) => this.supports(c),
      tuneScan: (cd) => this.tuneScan(cd),
      sendProbe: (vif, ssid, req) => this.sendProbe(vif, ssid, req),
      scanDone: (aborted) => this.scanDone(aborted),
    });
    this.txParams = { rate: legacyRate(10) };
    this.beaconInfo = mgmtTxInfo({ type: 'ap', addr: this.caps.addr }, false);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Control path

  attach(hw: Ieee80211HwCallbacks): void {
    this.hw = hw;
  }

  async start(): Promise<void> {
    this.started = true;
    this.port.tune(this.operating);
    for (const v of this.vifs) this.vifState(v).beacon?.rearm();
    log('%s: start on %d MHz', this.name, this.operating.chan.freq);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.scanning) {
      this.scanner.reset();
      this.scanning = false;
    }
    for (const v of this.vifs) this.vifState(v).beacon?.stop();
    this.port.flush();
    for (const q of [this.beaconq, this.offchanq, ...this.acq]) this.purge(q);
    while (this.rxRing.pop(this.popRx)) {
      this.popRx.skb!.drop();
      this.counters.rxStopped++;
    }
    log('%s: stop', this.name);
  }

  async addInterface(vif: Vif): Promise<void> {
    if (this.vifs.includes(vif)) throw new Error(`${this.name}: interface ${macToString(vif.addr)} added twice`);
    const st: HwsimVifState = { bss: null, beacon: null, txq: new Map() };
    if (vif.type === 'ap') {
      st.beacon = new Beaconer({
        clock: this.medium.clock,
        tsf: () => this.port.tsf(),
        running: () => this.started,
        sendBeacon: (f) => this.queueBeacon(vif, f),
      });
    }
    vif.drv = st;
    this.vifs.push(vif);
    if (vif.type === 'monitor') this.monitor = true;
  }

  async removeInterface(vif: Vif): Promise<void> {
    const i = this.vifs.indexOf(vif);
    if (i < 0) return;
    this.vifState(vif).beacon?.stop();
    this.vifs.splice(i, 1);
    if (vif.type === 'monitor') this.monitor = this.vifs.some((v) => v.type === 'monitor');
  }

  async config(conf: { chandef: ChanDef; txPowerDbm?: number; monitor?: boolean }): Promise<void> {
    if (!this.supports(conf.chandef.chan)) {
      throw new Error(
        `${this.name}: channel ${conf.chandef.chan.channel} (${conf.chandef.chan.freq} MHz) not supported`,
      );
    }
    this.operating = conf.chandef;
    this.confVersion++;
    if (conf.txPowerDbm !== undefined) {
      this.txPowerDbm = conf.txPowerDbm;
      this.port.txPowerDbm = conf.txPowerDbm;
    }
    if (conf.monitor !== undefined) this.monitor = conf.monitor || this.vifs.some((v) => v.type === 'monitor');
    if (!this.scanning) this.port.tune(conf.chandef);
  }

  async hwScan(vif: Vif, req: ScanRequest): Promise<void> {
    if (!this.caps.hwScan) throw new Error(`${this.name}: hardware scan is disabled (scan in software with config())`);
    if (!this.started) throw new Error(`${this.name}: hw_scan while stopped (ENETDOWN)`);
    this.scanner.start(vif, req);
    this.scanning = true;
    this.counters.scans++;
  }

  async cancelHwScan(_vif: Vif): Promise<void> {
    this.scanner.abort();
  }

  async staState(_vif: Vif, sta: Sta, _old: StaState, state: StaState): Promise<void> {
    const key = macToString(sta.addr);
    if (state === StaState.NOTEXIST) {
      this.stations.delete(key);
      sta.drv = undefined;
      return;
    }
    this.stations.set(key, { sta, state });
    const priv = sta.drv as StaPriv | undefined;
    if (priv === undefined) sta.drv = { state, rate: null, ver: -1 } satisfies StaPriv;
    else {
      priv.state = state;
      priv.ver = -1; // capabilities may have changed with association
    }
  }

  async setKey(cmd: SetKeyCmd, _vif: Vif, _sta: Sta | null, key: KeyConf): Promise<void> {
    this.keyRequests.push({ cmd, cipher: key.cipher, keyIdx: key.keyIdx, pairwise: key.pairwise });
    if (cmd === 'disable') return;
    this.counters.keysRejected++;
    throw new KeyNotSupportedError(key.cipher);
  }

  async bssInfoChanged(vif: Vif, conf: BssConf, changed: BssChanged): Promise<void> {
    const st = this.vifState(vif);
    st.bss = { ...conf, basicRates: [...conf.basicRates] };
    this.confVersion++;
    const b = st.beacon;
    if (b === null) return;
    if (changed.beacon) b.setTemplate(conf.beaconTemplate);
    if (changed.beacon || changed.beaconEnabled || changed.beaconInt) {
      b.configure(conf.beaconEnabled === true, conf.beaconInt, conf.dtimPeriod);
    }
  }

  async confTx(vif: Vif, ac: Ac, params: TxQueueParams): Promise<void> {
    this.vifState(vif).txq.set(ac, { ...params });
  }

  /** The driver-private state of an interface added to this radio. */
  vifState(vif: Vif): HwsimVifState {
    const st = vif.drv as HwsimVifState | undefined;
    if (st === undefined || !this.vifs.includes(vif))
      throw new Error(`${this.name}: unknown interface ${macToString(vif.addr)}`);
    return st;
  }

  get isScanning(): boolean {
    return this.scanning;
  }

  // -------------------------------------------------------------------------------------------------------------
  // TX

  tx(skb: SkBuff, info: TxInfo): void {
    if (!this.started) {
      this.counters.txStopped++;
      this.reportDrop(skb, info);
      return;
    }
    if (skb.len < 10) {
      this.counters.txInvalid++;
      this.reportDrop(skb, info);
      return;
    }
    const q = info.offChannel ? this.offchanq : (this.acq[info.ac] ?? this.acq[Ac.BE]!);
    if (!q.push(skb, info)) {
      this.counters.txQueueFull++;
      this.reportDrop(skb, info);
      return;
    }
    this.counters.txQueued++;
    this.pump();
  }

  /** Frames waiting in the driver's queues (not counting the one on the port). */
  get txQueued(): number {
    let n = this.beaconq.length + this.offchanq.length;
    for (const q of this.acq) n += q.length;
    return n;
  }

  private pump(): void {
    if (this.inflight !== null || !this.started) return;
    const out = this.popTx;
    let q: TxQueue | null = null;
    if (this.beaconq.length) q = this.beaconq;
    else if (this.offchanq.length) q = this.offchanq;
    else if (!this.scanning) {
      for (let ac = 0; ac < 4; ac++) {
        if (this.acq[ac]!.length) {
          q = this.acq[ac]!;
          break;
        }
      }
    }
    if (q === null || !q.pop(out)) return;
    const skb = out.skb!;
    const info = out.info!;
    out.skb = null;
    out.info = null;
    this.inflight = skb;
    this.inflightInfo = info;
    this.port.transmit(skb.buf.subarray(skb.data, skb.tail), this.paramsFor(skb, info), skb);
  }

  private txDone(skb: SkBuff, r: TxResult): void {
    const info = this.inflightInfo!;
    this.inflight = null;
    this.inflightInfo = null;
    if (info === this.beaconInfo) skb.free();
    else {
      if (r.acked) this.counters.txAcked++;
      else if (!r.flushed) this.counters.txFailed++;
      if (info.reqTxStatus && this.hw !== null) {
        this.counters.txStatusReported++;
        this.hw.txStatus(skb, info, {
          acked: r.acked,
          retries: r.retries,
          ackSignal: r.acked ? r.ackSignal : undefined,
        });
      } else skb.free();
    }
    this.pump();
  }

  private reportDrop(skb: SkBuff, info: TxInfo): void {
    if (info.reqTxStatus && this.hw !== null && info !== this.beaconInfo) {
      this.counters.txStatusReported++;
      this.hw.txStatus(skb, info, { acked: false, retries: 0 });
    } else skb.drop();
  }

  private purge(q: TxQueue): void {
    const out = this.popTx;
    while (q.pop(out)) {
      const skb = out.skb!;
      const info = out.info!;
      out.skb = null;
      out.info = null;
      this.reportDrop(skb, info);
    }
  }

  /** Transmit parameters for one frame (one reused object: the port holds a single frame at a time). */
  private paramsFor(skb: SkBuff, info: TxInfo): TxParams {
    const p = this.txParams;
    const fc0 = skb.buf[skb.data]!;
    const group = (skb.buf[skb.data + 4]! & 1) === 1;
    const isData = (fc0 & 0x0c) === 0x08;
    const beacon = info === this.beaconInfo;
    p.rate = !isData || group || info.useMinRate || info.sta === null ? this.minRate(info) : this.staRate(info.sta);
    p.noAck = info.noAck || group;
    p.powerDbm = this.txPowerDbm;
    p.shortPreamble = false;
    p.tsfOffset = fc0 === FC0_BEACON || fc0 === FC0_PROBE_RESP ? 24 : undefined;
    if (beacon) {
      // Beacons go out at TBTT with PIFS-like priority (AIFSN 1, no backoff).
      p.aifsn = 1;
      p.cwMin = 0;
      p.cwMax = 0;
    } else {
      const st = info.vif.drv as HwsimVifState | undefined;
      const e = st?.txq?.get(info.ac) ?? DEFAULT_EDCA[info.ac] ?? DEFAULT_EDCA[Ac.BE];
      p.aifsn = e.aifs;
      p.cwMin = e.cwMin;
      p.cwMax = e.cwMax;
    }
    return p;
  }

  /** The lowest basic rate of the BSS on the current band (1 Mb/s at 2.4 GHz, 6 Mb/s at 5 GHz by default). */
  private minRate(info: TxInfo): RateInfo {
    const band = this.port.chandef.chan.band;
    // Off-channel (scan) frames ignore the BSS's basic rates: they may be on another band.
    const bss = info.offChannel ? null : ((info.vif.drv as HwsimVifState | undefined)?.bss ?? null);
    const legal = band === '2g' ? BITRATES_2G : BITRATES_5G;
    if (bss?.basicRates.length) {
      const ok = bss.basicRates.filter((r) => legal.includes(r));
      if (ok.length) return legacyRate(Math.min(...ok));
    }
    return legacyRate(band === '2g' ? 10 : 60);
  }

  /** The rate for unicast data to a peer: the best of its capabilities on the current channel. */
  private staRate(sta: Sta): RateInfo {
    if (this.dataRate !== null) return this.dataRate;
    let priv = sta.drv as StaPriv | undefined;
    if (priv === undefined) {
      priv = { state: StaState.NONE, rate: null, ver: -1 };
      sta.drv = priv;
    }
    if (priv.rate !== null && priv.ver === this.confVersion) return priv.rate;
    const cd = this.port.chandef;
    const band = cd.chan.band;
    const nss = this.nss;
    let r: RateInfo;
    if (sta.he) r = rateInfo('he', 11, nss, cd.width, true);
    else if (sta.vht && band !== '2g') r = rateInfo('vht', cd.width === 20 ? 8 : 9, nss, cd.width, true);
    else if (sta.ht) r = rateInfo('ht', 7 + 8 * (nss - 1), nss, cd.width >= 40 ? 40 : 20, true);
    else {
      const legal = band === '2g' ? BITRATES_2G : BITRATES_5G;
      const ok = sta.rates.filter((x) => legal.includes(x));
      r = legacyRate(ok.length ? Math.max(...ok) : band === '2g' ? 10 : 60);
    }
    priv.rate = r;
    priv.ver = this.confVersion;
    return r;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Beacons and scan (helpers call these)

  private queueBeacon(vif: Vif, frame: Uint8Array): void {
    if (!this.started || this.scanning || this.beaconq.length > 0) {
      this.counters.beaconsMissed++;
      return;
    }
    const skb = SkBuff.wrap(Buffer.from(frame.buffer, frame.byteOffset, frame.length));
    this.beaconInfo.vif = vif;
    this.beaconq.push(skb, this.beaconInfo);
    this.counters.beaconsSent++;
    this.pump();
  }

  private supports(c: Channel): boolean {
    return this.caps.bands.some((b) => b.band === c.band && b.channels.some((x) => x.freq === c.freq));
  }

  private tuneScan(cd: ChanDef | null): void {
    this.port.tune(cd ?? this.operating);
  }

  private sendProbe(vif: Vif, ssid: Uint8Array, req: ScanRequest): void {
    const len = 24 + 2 + ssid.length + req.ies.length;
    const skb = SkBuff.alloc(len);
    const o = skb.put(len);
    const b = skb.buf;
    b.fill(0, o, o + 24);
    b[o] = 0x40; // probe request
    b.fill(0xff, o + 4, o + 10);
    b.set(vif.addr, o + 10);
    if (req.bssid !== undefined) b.set(req.bssid, o + 16);
    else b.fill(0xff, o + 16, o + 22);
    const seq = this.scanSeq;
    this.scanSeq = (seq + 1) & 0xfff;
    b[o + 22] = (seq & 0xf) << 4;
    b[o + 23] = seq >> 4;
    b[o + 24] = 0; // SSID element
    b[o + 25] = ssid.length;
    b.set(ssid, o + 26);
    b.set(req.ies, o + 26 + ssid.length);
    this.counters.probeRequests++;
    this.tx(skb, mgmtTxInfo(vif, true));
  }

  private scanDone(aborted: boolean): void {
    this.scanning = false;
    if (aborted) this.counters.scansAborted++;
    this.hw?.scanCompleted(aborted);
    this.pump();
  }

  // -------------------------------------------------------------------------------------------------------------
  // RX

  private addressedToUs(f: Uint8Array): boolean {
    if (f.length < 10) return false;
    for (const v of this.vifs) {
      const a = v.addr;
      if (f[4] === a[0] && f[5] === a[1] && f[6] === a[2] && f[7] === a[3] && f[8] === a[4] && f[9] === a[5])
        return true;
    }
    return false;
  }

  /** The "interrupt": filter, acknowledge, copy onto the RX ring, schedule NAPI. */
  private rxIrq(frame: Uint8Array, info: RxInfo): boolean {
    if (!this.started) {
      this.counters.rxStopped++;
      return false;
    }
    if (info.fcsFailed) {
      this.counters.rxFcsErrors++;
      if (!this.monitor) return false;
    }
    const toUs = !info.fcsFailed && this.addressedToUs(frame);
    const group = frame.length >= 10 && (frame[4]! & 1) === 1;
    if (!toUs && !group && !this.monitor) {
      this.counters.rxFiltered++;
      return false;
    }
    const skb = SkBuff.fromBytes(frame, RX_HEADROOM, RX_TAILROOM);
    if (!this.rxRing.push(skb, this.rxStatus(info))) {
      this.counters.rxRingFull++;
      skb.drop();
      return toUs; // the ACK went out before the DMA found no room
    }
    this.napi.schedule();
    return toUs;
  }

  private rxStatus(info: RxInfo): RxStatus {
    let rate = this.lastRateOut;
    if (info.rate !== this.lastRateIn || rate === null) {
      const r = info.rate;
      rate = rateInfo(r.mode, r.rate, r.nss, r.bw, r.sgi);
      this.lastRateIn = r;
      this.lastRateOut = rate;
    }
    return {
      band: info.band,
      freq: info.freq,
      channel: info.channel,
      signal: info.signal,
      rate,
      decrypted: false,
      ivStripped: false,
      micStripped: false,
      pn: -1,
      keyIdx: 0,
      fcsFailed: info.fcsFailed,
      hasFcs: false,
      mactime: info.mactime,
    };
  }

  /**
   * NAPI poll: hand up to `budget` frames to mac80211, as one list (ieee80211_rx_list: software decryption of the
   * whole poll in one batch) when mac80211 takes lists.
   */
  private poll(budget: number): number {
    const out = this.popRx;
    const skbs = this.batchSkbs;
    const statuses = this.batchStatuses;
    let n = 0;
    while (n < budget && this.rxRing.pop(out)) {
      const skb = out.skb!;
      const status = out.status!;
      out.skb = null;
      out.status = null;
      n++;
      this.napiDev.softnet.processed++;
      if (this.hw === null) {
        this.napiDev.softnet.dropped++;
        skb.drop();
        continue;
      }
      this.counters.rxDelivered++;
      skbs.push(skb);
      statuses.push(status);
    }
    if (skbs.length > 0) {
      const hw = this.hw!;
      if (hw.rxList !== undefined) hw.rxList(skbs, statuses);
      else for (let i = 0; i < skbs.length; i++) hw.rx(skbs[i]!, statuses[i]!);
      skbs.length = 0;
      statuses.length = 0;
    }
    return n;
  }
}
