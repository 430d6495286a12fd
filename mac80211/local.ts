/**
 * The mac80211 instance of one radio (Linux's struct ieee80211_local, net/mac80211/main.c and util.c): it binds one
 * driver (Ieee80211Ops), owns the interfaces, peers and keys, implements the calls the driver makes back
 * (Ieee80211HwCallbacks: rx, txStatus, scanCompleted, beaconLoss, connectionLoss, restartHw) and dispatches upward:
 * management frames to the interface's MLME handler, beacons/probe responses to a scan in progress, EAPOL to the
 * interface's RSN handler, data through the bridge to the interface's net device.
 *
 * Control calls into the driver are serialized (one at a time, in call order), as Linux's wiphy mutex does.
 * Keys are linked into mac80211's tables at once (software CCMP can use them immediately) and offered to the
 * driver after; a driver that throws KeyNotSupportedError (or fails) leaves the key in software.
 */
import type { Clock } from '../netstack/core/clock.ts';
import { logger } from '../netstack/core/log.ts';
import type { NetCore } from '../netstack/core/netdevice.ts';
import { SkBuff } from '../netstack/core/skb.ts';
import { isMulticastAddr, macToString } from './addr.ts';
import { ETH_ALEN, ETH_HLEN } from './bridge/llc.ts';
import {
  Ac,
  type BssChanged,
  type ChanDef,
  type Cipher as CipherName,
  type HwCapabilities,
  type Ieee80211HwCallbacks,
  type Ieee80211Ops,
  type IfType,
  type KeyConf,
  KeyNotSupportedError,
  type RxStatus,
  type ScanRequest,
  type Sta,
  StaState,
  type TxInfo,
  type TxQueueParams,
  type TxStatus,
  type Vif,
} from './driver-ops.ts';
import { FCTL, hdrLen } from './frame/fc.ts';
import { Ieee80211SubIf } from './iface.ts';
import { cipherName, Ieee80211Key, NUM_KEY_SLOTS } from './key.ts';
import { Ieee80211NetDev } from './netdev.ts';
import type { InstallKey } from './rsn/keys.ts';
import type { CipherSuite } from './rsn/suites.ts';
import { ieee80211Rx, ieee80211RxList, RxPending } from './rx/rx.ts';
import { StaInfo } from './sta-info.ts';
import { ActionStats, dot11Counters, nonZero, RxStats, TxStats } from './stats.ts';
import { ieee80211SubifStartXmit } from './tx/tx.ts';

const log = logger('mac80211');

/** A monitor tap borrows the frame (read during the call, copy what you keep): every frame received, as received
 * (FCS and all, including those that fail it), and every frame handed to the driver. */
export type MonitorTap = (skb: SkBuff, status: RxStatus | null, dir: 'rx' | 'tx') => void;

/** Who receives the results of a scan (the station MLME). */
export interface ScanHandler {
  /** A beacon or probe response heard during the scan (borrowed; the frame continues to the interfaces). */
  rx(skb: SkBuff, status: RxStatus): void;
  completed(aborted: boolean): void;
}

export interface KeyParams {
  /** A driver cipher name or an RSN suite selector. */
  cipher: CipherName | CipherSuite;
  keyIdx: number;
  key: Uint8Array;
  pairwise: boolean;
  /** Receive sequence counter at installation: frames must carry a larger PN (the Key RSC). */
  rxPn?: number;
  /** AP: transmit group-addressed frames with this group key. */
  txKey?: boolean;
}

export interface TxMgmtOptions {
  /** The peer the frame is for (TxInfo.sta), when known. */
  sta?: StaInfo | null;
  /** Ask the driver for txStatus, delivered to `onStatus` (or the MLME's txStatus). */
  reqTxStatus?: boolean;
  onStatus?: (skb: SkBuff, info: TxInfo, status: TxStatus) => void;
  offChannel?: boolean;
  /** Keep the sequence number in the frame (retransmissions); otherwise mac80211 assigns one. */
  keepSeq?: boolean;
  /** Protect with the peer's pairwise key (robust management frames with MFP). */
  protect?: boolean;
}

export interface InterfaceOptions {
  name?: string;
  addr?: Uint8Array;
  /** Register the interface's net device with this stack. */
  core?: NetCore;
}

export class Ieee80211Local implements Ieee80211HwCallbacks {
  readonly caps: HwCapabilities;
  readonly rxStats = new RxStats();
  readonly txStats = new TxStats();
  readonly actionStats = new ActionStats();
  readonly interfaces: Ieee80211SubIf[] = [];
  readonly monitorTaps: MonitorTap[] = [];
  /** The scan in progress, if any. */
  scan: { sdata: Ieee80211SubIf; handler: ScanHandler } | null = null;
  started = false;
  chandef: ChanDef | null = null;
  txPowerDbm: number | undefined = undefined;
  /** Hardware restarts handled (restartHw). */
  restarts = 0;
  /** Control calls the driver failed (other than KeyNotSupportedError). */
  driverErrors = 0;
  private ctl: Promise<unknown> = Promise.resolve();
  private readonly statusCallbacks = new Map<SkBuff, (skb: SkBuff, info: TxInfo, status: TxStatus) => void>();
  private ifaceCount = 0;
  /** Frames of an rxList call waiting for batch decryption. */
  readonly rxPending = new RxPending();

  constructor(
    readonly ops: Ieee80211Ops,
    readonly clock: Clock,
    readonly name = 'phy0',
  ) {
    this.caps = ops.caps;
    ops.attach(this);
  }

  /** Run driver control calls one at a time, in call order (the wiphy mutex). */
  private control<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.ctl.then(fn, fn);
    this.ctl = p.catch(() => undefined);
    return p;
  }

  // ---- device and interfaces (main.c, iface.c) ----

  /** ieee80211_open of the first interface: start the hardware and program what is already configured. */
  start(): Promise<void> {
    return this.control(async () => {
      if (this.started) return;
      await this.ops.start();
      this.started = true;
      await this.programLocked(false);
    });
  }

  stop(): Promise<void> {
    return this.control(async () => {
      if (!this.started) return;
      this.abortScan();
      for (const s of this.interfaces) {
        if (s.running) await this.ops.removeInterface(s.vif);
        s.running = false;
      }
      this.started = false;
      await this.ops.stop();
    });
  }

  async addInterface(type: IfType, opts: InterfaceOptions = {}): Promise<Ieee80211SubIf> {
    const n = this.ifaceCount++;
    const addr = opts.addr ?? this.interfaceAddr(n);
    const name = opts.name ?? `${type === 'monitor' ? 'mon' : 'wlan'}${n}`;
    const sdata = new Ieee80211SubIf(this, type, addr, name);
    if (type !== 'monitor') {
      sdata.dev = new Ieee80211NetDev(sdata, name);
      opts.core?.register(sdata.dev);
    }
    this.interfaces.push(sdata);
    await this.control(async () => {
      if (!this.started) return;
      await this.ops.addInterface(sdata.vif);
      sdata.running = true;
    });
    return sdata;
  }

  /** The permanent address for the first interface; locally administered variants for the others. */
  private interfaceAddr(n: number): Uint8Array {
    const a = Uint8Array.from(this.caps.addr);
    if (n > 0) {
      a[0] = a[0]! | 0x02;
      a[5] = (a[5]! + n) & 0xff;
    }
    return a;
  }

  async removeInterface(sdata: Ieee80211SubIf): Promise<void> {
    if (this.scan?.sdata === sdata) this.abortScan();
    for (const sta of [...sdata.stas.values()]) await this.staRemove(sta);
    for (let i = 0; i < NUM_KEY_SLOTS; i++) {
      const k = sdata.keys[i];
      if (k) await this.removeKey(sdata, null, k);
    }
    sdata.dev?.close();
    const i = this.interfaces.indexOf(sdata);
    if (i >= 0) this.interfaces.splice(i, 1);
    await this.control(async () => {
      if (!sdata.running) return;
      sdata.running = false;
      await this.ops.removeInterface(sdata.vif);
    });
  }

  /** Every counter worth reporting: the RX/TX totals, the non-zero drop reasons, the dot11 MIB view. */
  counters(): Record<string, unknown> {
    const { drop: rxDrop, ...rx } = this.rxStats;
    const { drop: txDrop, ...tx } = this.txStats;
    return {
      rx: { ...rx, dropped: this.rxStats.dropped, drops: nonZero(rxDrop) },
      tx: { ...tx, dropped: this.txStats.dropped, drops: nonZero(txDrop) },
      dot11: dot11Counters(this.rxStats, this.txStats),
      action: nonZero({ ...this.actionStats }),
      restarts: this.restarts,
      driverErrors: this.driverErrors,
    };
  }

  sdataOf(vif: Vif): Ieee80211SubIf | null {
    for (const s of this.interfaces) if (s.vif === vif) return s;
    return null;
  }

  /** Channel change (IEEE80211_CONF_CHANGE_CHANNEL). */
  setChannel(chandef: ChanDef, txPowerDbm?: number): Promise<void> {
    this.chandef = chandef;
    if (txPowerDbm !== undefined) this.txPowerDbm = txPowerDbm;
    return this.control(async () => {
      if (this.started) await this.configLocked();
    });
  }

  private configLocked(): Promise<void> {
    const monitor = this.interfaces.some((s) => s.type === 'monitor');
    return this.ops.config({ chandef: this.chandef!, txPowerDbm: this.txPowerDbm, monitor });
  }

  /** The MLME changed sdata.bss: tell the driver (bss_info_changed). */
  bssInfoChanged(sdata: Ieee80211SubIf, changed: BssChanged): Promise<void> {
    return this.control(async () => {
      if (this.started && sdata.running) await this.ops.bssInfoChanged(sdata.vif, sdata.bss, changed);
    });
  }

  confTx(sdata: Ieee80211SubIf, ac: Ac, params: TxQueueParams): Promise<void> {
    return this.control(async () => {
      if (this.started && sdata.running && this.ops.confTx) await this.ops.confTx(sdata.vif, ac, params);
    });
  }

  // ---- peers (sta_info.c) ----

  /** Create a peer (state NONE). Frames from it are attributed to it at once. */
  async staAdd(sdata: Ieee80211SubIf, addr: Uint8Array, caps: Partial<Omit<Sta, 'addr'>> = {}): Promise<StaInfo> {
    const existing = sdata.staGet(addr);
    if (existing !== null) throw new Error(`${sdata.name}: station ${macToString(addr)} already exists`);
    const sta = new StaInfo(addr, sdata);
    Object.assign(sta.sta, caps);
    sdata.stas.set(sta.key, sta);
    await this.staMoveState(sta, StaState.NONE);
    return sta;
  }

  /** Walk a peer's state one step at a time to `target` (sta_info_move_state), telling the driver each step. */
  staMoveState(sta: StaInfo, target: StaState): Promise<void> {
    return this.control(() => this.moveStateLocked(sta, target));
  }

  private async moveStateLocked(sta: StaInfo, target: StaState): Promise<void> {
    const sdata = sta.sdata;
    while (sta.state !== target) {
      const from = sta.state;
      const to: StaState = from < target ? from + 1 : from - 1;
      if (this.started && sdata.running) await this.ops.staState(sdata.vif, sta.sta, from, to);
      sta.state = to;
      if (from === StaState.AUTH && to === StaState.ASSOC) {
        // A (re)association starts afresh: no duplicates or partial MSDUs carried over (FragAttacks).
        sta.lastSeqCtrl.fill(-1);
        sta.txSeq.fill(0);
        sta.frags.flush();
      }
      if (to < StaState.ASSOC) sta.frags.flush();
    }
  }

  /** Remove a peer: its keys, then its state down to NOTEXIST, then the entry. */
  async staRemove(sta: StaInfo): Promise<void> {
    const sdata = sta.sdata;
    for (const k of sta.ptk) if (k) await this.removeKey(sdata, sta, k);
    await this.staMoveState(sta, StaState.NOTEXIST);
    sta.frags.flush();
    if (sdata.stas.get(sta.key) === sta) sdata.stas.delete(sta.key);
  }

  // ---- keys (key.c) ----

  /**
   * Install a key: linked at once (TX and software RX use it from now on), then offered to the driver. The promise
   * settles when the driver answered; it rejects only when the cipher cannot be done in software and the hardware
   * refused it (the key is then unlinked).
   */
  setKey(sdata: Ieee80211SubIf, sta: StaInfo | null, p: KeyParams): Promise<Ieee80211Key> {
    const cipher = typeof p.cipher === 'number' ? cipherName(p.cipher) : p.cipher;
    if (cipher === null) return Promise.reject(new Error(`cipher suite ${p.cipher} is not supported`));
    if (p.pairwise && sta === null) return Promise.reject(new Error('a pairwise key needs a station'));
    if (p.keyIdx < 0 || p.keyIdx >= (p.pairwise ? 2 : NUM_KEY_SLOTS)) {
      return Promise.reject(new RangeError(`key index ${p.keyIdx} out of range`));
    }
    const conf: KeyConf = { cipher, keyIdx: p.keyIdx, key: Uint8Array.from(p.key), pairwise: p.pairwise, txPn: 0 };
    let key: Ieee80211Key;
    try {
      key = new Ieee80211Key(conf, { rxPn: p.rxPn ?? 0, sppAmsdu: sta?.sppAmsdu ?? false }, sta?.addr ?? null);
    } catch (e) {
      return Promise.reject(e);
    }
    let old: Ieee80211Key | null;
    if (p.pairwise) {
      old = sta!.ptk[p.keyIdx] ?? null;
      sta!.ptk[p.keyIdx] = key;
      sta!.ptkIdx = p.keyIdx;
      // Fragments under the old key must not be completed under the new one (FragAttacks).
      sta!.frags.flush();
    } else {
      old = sdata.keys[p.keyIdx] ?? null;
      sdata.keys[p.keyIdx] = key;
      if (p.txKey) sdata.defaultMulticastKey = p.keyIdx;
    }
    if (old !== null) old.removed = true;
    return this.control(async () => {
      const hwSta = sta === null ? null : sta.sta;
      // GUESS: the old key leaves the hardware before the new one arrives (a driver that keys its slots by index
      // could otherwise clear the new key); frames in between are encrypted and decrypted in software.
      if (old?.uploaded && this.started) await this.driverSetKey('disable', sdata, hwSta, old);
      if (!this.started || !sdata.running) return key;
      await this.uploadKeyLocked(sdata, hwSta, key);
      if (!key.uploaded && key.sw === null) {
        this.unlinkKey(sdata, sta, key);
        throw new Error(`${cipher} needs hardware crypto and the driver did not take the key`);
      }
      return key;
    });
  }

  private async uploadKeyLocked(sdata: Ieee80211SubIf, sta: Sta | null, key: Ieee80211Key): Promise<void> {
    // A key uploaded again (after a restart) must not make the hardware reuse packet numbers.
    key.conf.txPn = key.txPn;
    try {
      await this.ops.setKey('set', sdata.vif, sta, key.conf);
      key.uploaded = true;
    } catch (e) {
      key.uploaded = false;
      if (!(e instanceof KeyNotSupportedError)) {
        this.driverErrors++;
        log('%s: set_key %s failed, using software crypto: %s', sdata.name, key.cipher, (e as Error).message);
      }
    }
  }

  private async driverSetKey(cmd: 'set' | 'disable', sdata: Ieee80211SubIf, sta: Sta | null, key: Ieee80211Key) {
    try {
      await this.ops.setKey(cmd, sdata.vif, sta, key.conf);
    } catch (e) {
      this.driverErrors++;
      log('%s: set_key %s failed: %s', sdata.name, cmd, (e as Error).message);
    }
    if (cmd === 'disable') key.uploaded = false;
  }

  private unlinkKey(sdata: Ieee80211SubIf, sta: StaInfo | null, key: Ieee80211Key): void {
    key.removed = true;
    if (sta !== null) {
      for (let i = 0; i < sta.ptk.length; i++) if (sta.ptk[i] === key) sta.ptk[i] = null;
    }
    for (let i = 0; i < NUM_KEY_SLOTS; i++) {
      if (sdata.keys[i] === key) {
        sdata.keys[i] = null;
        if (sdata.defaultMulticastKey === i) sdata.defaultMulticastKey = -1;
      }
    }
  }

  /** Remove a key from its slot and from the hardware. */
  removeKey(sdata: Ieee80211SubIf, sta: StaInfo | null, key: Ieee80211Key): Promise<void> {
    this.unlinkKey(sdata, sta, key);
    if (sta !== null) sta.frags.flush();
    return this.control(async () => {
      if (key.uploaded && this.started) await this.driverSetKey('disable', sdata, sta?.sta ?? null, key);
    });
  }

  /**
   * Install a key the supplicant or authenticator handed over (rsn's InstallKey): pairwise keys go to the peer
   * named by `k.addr` (a station's AP by default), group keys to the interface.
   */
  installRsnKey(sdata: Ieee80211SubIf, k: InstallKey): Promise<Ieee80211Key> {
    if (k.kind === 'pairwise') {
      const sta = k.addr ? sdata.staGet(k.addr) : sdata.apSta;
      if (sta === null) return Promise.reject(new Error(`${sdata.name}: no station for the pairwise key`));
      return this.setKey(sdata, sta, { cipher: k.cipher, keyIdx: k.keyIdx, key: k.key, pairwise: true, rxPn: k.rsc });
    }
    return this.setKey(sdata, null, {
      cipher: k.cipher,
      keyIdx: k.keyIdx,
      key: k.key,
      pairwise: false,
      rxPn: k.rsc,
      txKey: k.tx,
    });
  }

  // ---- scanning ----

  /** Hardware scan: results go to `handler` until the driver reports scanCompleted. */
  hwScan(sdata: Ieee80211SubIf, req: ScanRequest, handler: ScanHandler): Promise<void> {
    if (!this.caps.hwScan) {
      return Promise.reject(new Error('the driver has no hardware scan (software scanning is the MLME’s job)'));
    }
    if (this.scan !== null) return Promise.reject(new Error('a scan is already in progress'));
    this.scan = { sdata, handler };
    return this.control(async () => {
      try {
        await this.ops.hwScan(sdata.vif, req);
      } catch (e) {
        this.scan = null;
        throw e;
      }
    });
  }

  cancelHwScan(sdata: Ieee80211SubIf): Promise<void> {
    return this.control(async () => {
      if (this.scan?.sdata === sdata && this.started) await this.ops.cancelHwScan(sdata.vif);
    });
  }

  /** Listen for beacons and probe responses without a hardware scan (a software scan driven by the MLME). */
  beginScanListener(sdata: Ieee80211SubIf, handler: ScanHandler): void {
    if (this.scan !== null) throw new Error('a scan is already in progress');
    this.scan = { sdata, handler };
  }

  endScanListener(aborted = false): void {
    const s = this.scan;
    this.scan = null;
    s?.handler.completed(aborted);
  }

  private abortScan(): void {
    if (this.scan !== null) this.endScanListener(true);
  }

  // ---- transmit ----

  /** Every frame to the driver passes here: monitor taps, then ops.tx. */
  driverTx(skb: SkBuff, info: TxInfo): void {
    const taps = this.monitorTaps;
    for (let i = 0; i < taps.length; i++) taps[i]!(skb, null, 'tx');
    this.ops.tx(skb, info);
  }

  /**
   * An EAPOL PDU from the interface's RSN handler to `dest` (ieee80211_tx_control_port): through the same TX path
   * as data, so it is encrypted once a key exists and in the clear before.
   */
  txControlPort(sdata: Ieee80211SubIf, dest: Uint8Array, pdu: Uint8Array): void {
    const dev = sdata.dev;
    const headroom = (dev?.neededHeadroom ?? 0) + ETH_HLEN + 16;
    const skb = SkBuff.alloc(ETH_HLEN + pdu.length, headroom, 16);
    const p = skb.put(ETH_HLEN + pdu.length);
    skb.buf.set(dest.subarray(0, ETH_ALEN), p);
    skb.buf.set(sdata.addr, p + ETH_ALEN);
    skb.buf[p + 12] = sdata.controlPortProtocol >> 8;
    skb.buf[p + 13] = sdata.controlPortProtocol & 0xff;
    skb.buf.set(pdu, p + ETH_HLEN);
    skb.macHeader = p;
    if (dev !== null) dev.core?.tapXmit(skb, dev);
    ieee80211SubifStartXmit(sdata, skb);
  }

  /**
   * Send a management frame built by the MLME (skb.data at the 802.11 header). mac80211 assigns the sequence
   * number, protects it when asked (robust frames with MFP), and sends it at the lowest rate on the VO queue.
   */
  txMgmt(sdata: Ieee80211SubIf, skb: SkBuff, opts: TxMgmtOptions = {}): void {
    const buf = skb.buf;
    const off = skb.data;
    if (skb.len < 24) {
      this.txStats.drop.short++;
      skb.drop();
      return;
    }
    if (!this.started) {
      this.txStats.drop.down++;
      skb.drop();
      return;
    }
    if (!opts.keepSeq) {
      const sc = (sdata.nextSeq() << 4) | (buf[off + 22]! & 0x0f);
      buf[off + 22] = sc & 0xff;
      buf[off + 23] = sc >> 8;
    }
    const sta = opts.sta ?? null;
    let hwKey: KeyConf | null = null;
    if (opts.protect && sta !== null && sta.txKey !== null) {
      const key = sta.txKey;
      const hl = hdrLen(buf[off]! | (buf[off + 1]! << 8));
      if (key.uploaded && !key.conf.swMgmtTx) {
        hwKey = key.conf;
        buf[off + 1]! |= FCTL.PROTECTED >> 8;
      } else if (key.sw !== null) {
        skb.ensureRoom(8 + this.caps.extraTxHeadroom, key.micLen);
        skb.push(8);
        skb.buf.copyWithin(skb.data, skb.data + 8, skb.data + 8 + hl);
        skb.put(key.micLen);
        key.sw.encrypt(skb.buf, skb.data, skb.len);
        this.txStats.swEncrypted++;
      }
    }
    if (skb.headroom < this.caps.extraTxHeadroom) skb.ensureRoom(this.caps.extraTxHeadroom);
    const multicast = isMulticastAddr(skb.buf, skb.data + 4);
    const info: TxInfo = {
      vif: sdata.vif,
      sta: sta?.sta ?? null,
      ac: Ac.VO,
      tid: 7,
      hwKey,
      reqTxStatus: opts.reqTxStatus ?? opts.onStatus !== undefined,
      noAck: multicast,
      useMinRate: true,
      offChannel: opts.offChannel ?? false,
    };
    if (opts.onStatus) this.rememberStatus(skb, opts.onStatus);
    this.txStats.mgmt++;
    skb.macHeader = skb.data;
    this.driverTx(skb, info);
  }

  private rememberStatus(skb: SkBuff, fn: (skb: SkBuff, info: TxInfo, status: TxStatus) => void): void {
    // A driver that never reports must not make this grow without bound.
    if (this.statusCallbacks.size >= 256) {
      const first = this.statusCallbacks.keys().next().value;
      if (first !== undefined) this.statusCallbacks.delete(first);
    }
    this.statusCallbacks.set(skb, fn);
  }

  // ---- Ieee80211HwCallbacks ----

  rx(skb: SkBuff, status: RxStatus): void {
    ieee80211Rx(this, skb, status);
  }

  rxList(skbs: readonly SkBuff[], statuses: readonly RxStatus[]): void {
    ieee80211RxList(this, skbs, statuses);
  }

  txStatus(skb: SkBuff, info: TxInfo, status: TxStatus): void {
    const st = this.txStats;
    if (status.acked) st.statusAcked++;
    else st.statusFailed++;
    st.retries += status.retries;
    const sdata = this.sdataOf(info.vif);
    if (sdata !== null && info.sta !== null) {
      const sta = sdata.staGet(info.sta.addr);
      if (sta !== null) {
        if (status.acked) sta.tx.acked++;
        else sta.tx.failed++;
        sta.tx.retries += status.retries;
        if (status.ackSignal !== undefined) sta.tx.lastAckSignal = status.ackSignal;
      }
    }
    const cb = this.statusCallbacks.get(skb);
    if (cb !== undefined) {
      this.statusCallbacks.delete(skb);
      cb(skb, info, status);
    } else sdata?.mlme?.txStatus?.(skb, info, status);
    skb.free();
  }

  scanCompleted(aborted: boolean): void {
    this.endScanListener(aborted);
  }

  beaconLoss(vif: Vif): void {
    this.sdataOf(vif)?.mlme?.beaconLoss?.();
  }

  connectionLoss(vif: Vif): void {
    this.sdataOf(vif)?.mlme?.connectionLoss?.();
  }

  /** ieee80211_restart_hw: the driver lost its state; program everything again, then tell the MLMEs. */
  restartHw(reason: string): void {
    this.restarts++;
    log('%s: hardware restart (%s)', this.name, reason);
    this.abortScan();
    this.control(async () => {
      this.started = false;
      for (const s of this.interfaces) s.running = false;
      await this.ops.start();
      this.started = true;
      await this.programLocked(true);
    }).then(
      () => {
        for (const s of this.interfaces) s.mlme?.restarted?.();
      },
      (e: Error) => {
        this.driverErrors++;
        log('%s: reconfiguration after restart failed: %s', this.name, e.message);
      },
    );
  }

  /**
   * ieee80211_reconfig: interfaces, channel, peers (state by state), keys and BSS configuration into a freshly
   * started driver.
   */
  private async programLocked(restart: boolean): Promise<void> {
    for (const sdata of this.interfaces) {
      await this.ops.addInterface(sdata.vif);
      sdata.running = true;
    }
    if (this.chandef !== null) await this.configLocked();
    for (const sdata of this.interfaces) {
      for (const sta of sdata.stas.values()) {
        const target = sta.state;
        for (let s = StaState.NOTEXIST; s < target; s++) await this.ops.staState(sdata.vif, sta.sta, s, s + 1);
        for (const k of sta.ptk) if (k && !k.removed) await this.uploadKeyLocked(sdata, sta.sta, k);
      }
      for (const k of sdata.keys) if (k && !k.removed) await this.uploadKeyLocked(sdata, null, k);
      if (restart) {
        await this.ops.bssInfoChanged(sdata.vif, sdata.bss, {
          assoc: true,
          bssid: true,
          beaconInt: true,
          basicRates: true,
          qos: true,
          erpSlot: true,
          erpPreamble: true,
          beacon: sdata.type === 'ap',
          beaconEnabled: sdata.type === 'ap',
        });
      }
    }
  }
}
