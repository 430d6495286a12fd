/**
 * The mac80211 driver ops of the MT7921U (mac80211/driver-ops.ts Ieee80211Ops), after mt7921/main.c and
 * mt792x_core.c: each op is a few MCU commands from mcu-ops.ts plus the driver's bookkeeping (interface and WLAN
 * indexes, pending TX statuses, the scan-done delay). Received frames and TX statuses go back through the
 * Ieee80211HwCallbacks.
 */
import {
  type Ac,
  type BssChanged,
  type BssConf,
  type Cipher,
  type ChanDef as HwChanDef,
  channelToFreq,
  frequencyToChannel,
  type HwCapabilities,
  type Ieee80211HwCallbacks,
  type Ieee80211Ops,
  type KeyConf,
  KeyNotSupportedError,
  type RateInfo,
  type RxStatus as HwRxStatus,
  type ScanRequest,
  type SetKeyCmd as HwSetKeyCmd,
  type Sta,
  StaState,
  type SupportedBand,
  type TxInfo,
  type TxQueueParams,
  type Vif,
} from '../../mac80211/driver-ops.ts';
import type { Timer } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import type { SkBuff } from '../../netstack/core/skb.ts';
import type { Mt7921uDevice } from './device.ts';
import { macWtblUpdate } from './mac-init.ts';
import { isAction, isMgmt } from './mac/ieee80211.ts';
import { MT76_OFDM_OFFSET, MT76_RATES, txRateVal } from './mac/rates.ts';
import { RxFlag, type RxStatus } from './mac/rxd.ts';
import {
  MT_PACKET_ID_FIRST,
  MT_PACKET_ID_MASK,
  MT_PACKET_ID_NO_ACK,
  MT_PACKET_ID_NO_SKB,
  MT_USB_TX_HEADROOM,
  type MtTxq,
  selectTxq,
  type TxdInfo,
  txUnprepareSkb,
} from './mac/txd.ts';
import type { TxsRecord } from './mac/txs.ts';
import type { ChanDef } from './mcu/chan.ts';
import { CHANNELS_2G, CHANNELS_5G, CHANNELS_6G } from './mcu/chan-cmds.ts';
import { RocReqType } from './mcu/roc.ts';
import { MT792X_HW_SCAN_TIMEOUT_MS } from './mcu/scan.ts';
import {
  type KeyConf as McuKeyConf,
  McuCipher,
  SetKeyCmd,
  type StaInfoState,
  StaInfoState as SIS,
} from './mcu/sta-rec.ts';
import type { BssConf as McuBssConf, Mt76Vif } from './mcu-ops.ts';
import { MT_WTBL_UPDATE_ADM_COUNT_CLEAR } from './regs.ts';

const log = logger('mt7921u:ops');

/** MT792x_MAX_INTERFACES */
export const MT792X_MAX_INTERFACES = 4;
/** MT792x_WTBL_RESERVED: the vif entries count down from here. */
export const MT792X_WTBL_RESERVED = 19;
/** Station WLAN indexes: 1 .. MT792x_WTBL_STA − 1. */
export const MT792X_WTBL_STA = 16;
/** MT_TX_STATUS_SKB_TIMEOUT */
export const MT_TX_STATUS_TIMEOUT_MS = 250;
/** mgd_prepare_tx default when mac80211 gives no duration (HZ). */
export const PREPARE_TX_DEFAULT_MS = 1000;

interface VifPriv {
  mvif: Mt76Vif;
  conf: BssConf | null;
  queueParams: TxQueueParams[];
  assoc: boolean;
  /** Signal of the last frame heard from the BSSID (dBm), for the STA record's RCPI (mt792x_mac_assoc_rssi). */
  bssSignal: number;
}

interface StaPriv {
  wcid: number;
}

interface PendingStatus {
  skb: SkBuff;
  info: TxInfo;
  timer: Timer;
}

export interface Mt7921uHwStats {
  rxDelivered: number;
  rxDropped8023: number;
  rxDroppedMonitorOnly: number;
  txFrames: number;
  txDropped: number;
  txStatusReported: number;
  txStatusTimeouts: number;
  txStatusUnmatched: number;
  prepareTxFailures: number;
}

const HW_CIPHERS: Cipher[] = ['CCMP', 'CCMP-256', 'GCMP', 'GCMP-256', 'TKIP', 'WEP40', 'WEP104', 'BIP-CMAC-128'];

function mcuCipher(c: Cipher): McuCipher {
  switch (c) {
    case 'CCMP':
      return McuCipher.AES_CCMP;
    case 'CCMP-256':
      return McuCipher.CCMP_256;
    case 'GCMP':
      return McuCipher.GCMP;
    case 'GCMP-256':
      return McuCipher.GCMP_256;
    case 'TKIP':
      return McuCipher.TKIP;
    case 'WEP40':
      return McuCipher.WEP40;
    case 'WEP104':
      return McuCipher.WEP104;
    case 'BIP-CMAC-128':
      return McuCipher.BIP_CMAC_128;
    default:
      return McuCipher.NONE;
  }
}

/** cfg80211 chandef → the MCU's channel numbers. */
export function toChanDef(c: HwChanDef): ChanDef {
  const width = c.width === 20 ? '20' : (String(c.width) as ChanDef['width']);
  const center1 = c.width === 20 ? c.chan.channel : frequencyToChannel(c.centerFreq1);
  return { band: c.chan.band, channel: c.chan.channel, width, center1 };
}

/** Legacy bitrates (100 kbps) → mac80211's basic-rate bitmap over the band's table. */
export function basicRateBitmap(band: '2g' | '5g' | '6g', rates: readonly number[]): number {
  const start = band === '2g' ? 0 : MT76_OFDM_OFFSET;
  let map = 0;
  for (let i = start; i < MT76_RATES.length; i++) if (rates.includes(MT76_RATES[i]!.bitrate)) map |= 1 << (i - start);
  return map;
}

/** The driver's RX status → mac80211's. */
export function toHwRxStatus(st: RxStatus): HwRxStatus {
  let rate: RateInfo;
  const bw = (st.bw === 0 ? 20 : st.bw) as RateInfo['bw'];
  switch (st.encoding) {
    case 'ht':
    case 'vht':
    case 'he':
      rate = { mode: st.encoding, rate: st.rateIdx, nss: st.nss || 1, bw, sgi: st.shortGi };
      break;
    default:
      // CCK rates are 1/2/5.5/11 Mb/s; every other legacy rate is OFDM
      rate = {
        mode: st.rateIdx <= 110 && st.rateIdx !== 90 ? 'cck' : 'ofdm',
        rate: st.rateIdx,
        nss: 1,
        bw: 20,
        sgi: false,
      };
  }
  let pn = -1;
  if (st.iv !== null) {
    pn = 0;
    for (let i = 0; i < 6; i++) pn = pn * 256 + st.iv[i]!;
  }
  return {
    band: st.band,
    freq: st.freq,
    channel: st.channel,
    signal: st.signal,
    rate,
    decrypted: (st.flag & RxFlag.DECRYPTED) !== 0,
    ivStripped: (st.flag & RxFlag.IV_STRIPPED) !== 0,
    micStripped: (st.flag & RxFlag.MIC_STRIPPED) !== 0,
    pn,
    keyIdx: st.keyId,
    fcsFailed: (st.flag & RxFlag.FAILED_FCS_CRC) !== 0,
    hasFcs: false,
    mactime: st.flag & RxFlag.MACTIME_START ? st.timestamp : undefined,
  };
}

export class Mt7921uHw implements Ieee80211Ops {
  readonly caps: HwCapabilities;
  readonly stats: Mt7921uHwStats = {
    rxDelivered: 0,
    rxDropped8023: 0,
    rxDroppedMonitorOnly: 0,
    txFrames: 0,
    txDropped: 0,
    txStatusReported: 0,
    txStatusTimeouts: 0,
    txStatusUnmatched: 0,
    prepareTxFailures: 0,
  };
  private hw: Ieee80211HwCallbacks | null = null;
  private readonly vifs = new Map<number, Vif>();
  private readonly staWcids = new Set<number>();
  private readonly pending = new Map<number, PendingStatus>();
  private readonly nextPid = new Map<number, number>();
  private chandef: HwChanDef | null = null;
  private monitor = false;
  /** Frames of the current NAPI poll, waiting for rxFlush. */
  private rxSkbs: SkBuff[] = [];
  private rxStatuses: HwRxStatus[] = [];

  constructor(readonly dev: Mt7921uDevice) {
    if (!dev.caps) throw new Error('Mt7921uHw needs a probed device (call device.probe() first)');
    this.caps = this.buildCaps();
    dev.onFrame = (skb, st) => this.rxFrame(skb, st);
    dev.onRxPollComplete = () => this.rxFlush();
    dev.onTxStatus = (rec) => this.txsRecord(rec);
    dev.onRestart = (err) => this.hw?.restartHw(err ? `reset failed: ${err.message}` : 'MCU reset');
    dev.events.listen({
      scanDone: () => {
        // the driver reports completion MT792x_HW_SCAN_TIMEOUT after the event (mt7921_mcu_scan_event)
        dev.clock.setTimeout(() => this.hw?.scanCompleted(false), MT792X_HW_SCAN_TIMEOUT_MS);
      },
      beaconLoss: (ev) => {
        const vif = this.vifs.get(ev.bssIdx);
        if (vif && vif.type === 'station') this.hw?.beaconLoss(vif);
      },
    });
  }

  private buildCaps(): HwCapabilities {
    const c = this.dev.caps!;
    const bands: SupportedBand[] = [];
    const legacy = MT76_RATES.map((r) => r.bitrate);
    const mk = (band: SupportedBand['band'], chans: readonly number[], rates: number[], ht: boolean) => ({
      band,
      channels: chans.map((channel) => ({
        band,
        channel,
        freq: channelToFreq(band, channel),
        noIr: band === '6g' || (band === '5g' && channel >= 52 && channel <= 144),
      })),
      bitrates: rates,
      ht,
      vht: band !== '2g' && ht,
      he: true,
    });
    if (c.has2g || !c.phy) bands.push(mk('2g', CHANNELS_2G, legacy, true));
    if (c.has5g || !c.phy) bands.push(mk('5g', CHANNELS_5G, legacy.slice(MT76_OFDM_OFFSET), true));
    if (c.has6g) bands.push(mk('6g', CHANNELS_6G, legacy.slice(MT76_OFDM_OFFSET), false));
    return {
      addr: Uint8Array.from(c.macAddr ?? new Uint8Array(6)),
      bands,
      hwCiphers: [...HW_CIPHERS],
      maxScanSsids: 4,
      maxScanIeLen: 600,
      hwScan: true,
      needsPrepareTx: this.dev.cnm,
      extraTxHeadroom: MT_USB_TX_HEADROOM,
      hasRateControl: true,
    };
  }

  attach(hw: Ieee80211HwCallbacks): void {
    this.hw = hw;
  }

  private priv(vif: Vif): VifPriv {
    const p = vif.drv as VifPriv | undefined;
    if (!p) throw new Error('interface not added to the mt7921u driver');
    return p;
  }

  // -------------------------------------------------------------------------------------------------------------

  async start(): Promise<void> {
    await this.dev.start(toChanDef(this.chandef ?? this.defaultChandef()));
  }

  private defaultChandef(): HwChanDef {
    const b = this.caps.bands[0]!;
    return { chan: b.channels[0]!, width: 20, centerFreq1: b.channels[0]!.freq };
  }

  async stop(): Promise<void> {
    for (const [key, p] of this.pending) {
      p.timer.cancel();
      this.pending.delete(key);
      txUnprepareSkb(p.skb);
      this.hw?.txStatus(p.skb, p.info, { acked: false, retries: 0 });
    }
    await this.dev.stop();
  }

  async addInterface(vif: Vif): Promise<void> {
    let idx = 0;
    while (idx < MT792X_MAX_INTERFACES && this.vifs.has(idx)) idx++;
    if (idx >= MT792X_MAX_INTERFACES) throw new Error('mt7921u: no free interface slot (4 in use)');
    const mvif: Mt76Vif = {
      type: vif.type === 'station' ? 'station' : vif.type === 'ap' ? 'ap' : 'monitor',
      addr: vif.addr,
      bssIdx: idx,
      omacIdx: idx,
      bandIdx: 0,
      wmmIdx: idx % 4,
      wcid: MT792X_WTBL_RESERVED - idx,
      scanSeqNum: 0,
    };
    await this.dev.ops.addDev(mvif, true);
    await macWtblUpdate(this.dev.regs, this.dev.clock, mvif.wcid, MT_WTBL_UPDATE_ADM_COUNT_CLEAR);
    vif.drv = { mvif, conf: null, queueParams: [], assoc: false, bssSignal: -60 } satisfies VifPriv;
    this.vifs.set(idx, vif);
  }

  async removeInterface(vif: Vif): Promise<void> {
    const p = this.priv(vif);
    await this.dev.ops.addDev(p.mvif, false);
    this.dev.ops.forgetKeys(p.mvif.wcid);
    this.vifs.delete(p.mvif.bssIdx);
    vif.drv = undefined;
  }

  async config(conf: { chandef: HwChanDef; txPowerDbm?: number; monitor?: boolean }): Promise<void> {
    const changed =
      !this.chandef ||
      this.chandef.chan.freq !== conf.chandef.chan.freq ||
      this.chandef.width !== conf.chandef.width ||
      this.chandef.centerFreq1 !== conf.chandef.centerFreq1;
    this.chandef = conf.chandef;
    const ch = toChanDef(conf.chandef);
    const running = this.dev.state === 'running';
    if (changed && running) {
      await this.dev.ops.setChanInfo('switch', ch, { monitor: conf.monitor ?? this.monitor });
      for (const vif of this.vifs.values()) {
        const p = this.priv(vif);
        if (p.assoc) await this.dev.ops.setChctx(p.mvif, ch);
      }
    }
    if (conf.txPowerDbm !== undefined && running) await this.dev.setRateTxPower(conf.txPowerDbm);
    if (conf.monitor !== undefined && conf.monitor !== this.monitor) {
      this.monitor = conf.monitor;
      for (const vif of this.vifs.values()) {
        const p = this.priv(vif);
        await this.dev.ops.sniffer(p.mvif, conf.monitor, conf.monitor ? ch : undefined);
        if (conf.monitor) await this.dev.ops.setBeaconFilter(p.mvif, false, this.bssTiming(p));
      }
    } else if (this.monitor && changed) {
      for (const vif of this.vifs.values()) await this.dev.ops.sniffer(this.priv(vif).mvif, true, ch);
    }
  }

  private bssTiming(p: VifPriv): { beaconInterval: number; dtimPeriod: number } {
    return { beaconInterval: p.conf?.beaconInt ?? 100, dtimPeriod: p.conf?.dtimPeriod ?? 1 };
  }

  async hwScan(vif: Vif, req: ScanRequest): Promise<void> {
    const p = this.priv(vif);
    await this.dev.ops.hwScan(p.mvif, {
      ssids: req.ssids,
      channels: req.channels.map((c) => ({ band: c.band, channel: c.channel })),
      ies: req.ies,
      bssid: req.bssid,
    });
  }

  async cancelHwScan(vif: Vif): Promise<void> {
    const was = await this.dev.ops.cancelHwScan(this.priv(vif).mvif);
    if (was) this.hw?.scanCompleted(true);
  }

  /** mt7921_mgd_prepare_tx: ROC JOIN on the BSS channel. Failures only log, as in Linux (the op is void there). */
  async mgdPrepareTx(vif: Vif, chandef: HwChanDef, durationMs: number): Promise<void> {
    const p = this.priv(vif);
    try {
      await this.dev.ops.roc(p.mvif, toChanDef(chandef), durationMs || PREPARE_TX_DEFAULT_MS, RocReqType.JOIN);
    } catch (e) {
      this.stats.prepareTxFailures++;
      log('mgd_prepare_tx: %s', e instanceof Error ? e.message : String(e));
    }
  }

  async mgdCompleteTx(vif: Vif): Promise<void> {
    await this.dev.ops.abortRoc(this.priv(vif).mvif);
  }

  private staInfo(vif: Vif, sta: Sta | null, enable: boolean, state: StaInfoState, wcid: number) {
    const p = this.priv(vif);
    const band = this.chandef?.chan.band ?? '2g';
    const conf = p.conf;
    return {
      bssIdx: p.mvif.bssIdx,
      omacIdx: p.mvif.omacIdx,
      vifType: p.mvif.type,
      vifAid: conf?.aid ?? 0,
      bssid: conf?.bssid ?? new Uint8Array(6),
      basicRates: basicRateBitmap(band, conf?.basicRates ?? []),
      band,
      wcid,
      enable,
      state,
      // to_rcpi(rssi) = 2·rssi + 220. GUESS: Linux averages the association response's signal; this takes the last
      // frame heard from the BSSID (-60 dBm before any)
      rcpi: Math.max(0, Math.min(255, 2 * p.bssSignal + 220)),
      sta:
        sta === null
          ? null
          : {
              addr: sta.addr,
              aid: sta.aid,
              wme: sta.wmm,
              // GUESS: mac80211's Sta carries capability flags only, not the elements: the records say one spatial
              // stream (HT MCS 0–7, VHT MCS 0–7) and no optional features; the firmware's rate control adapts
              ht: sta.ht
                ? { cap: 0, ampduFactor: 0, ampduDensity: 0, rxMask: Uint8Array.of(0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0) }
                : undefined,
              vht: sta.vht ? { cap: 0, rxMcsMap: 0xfffc, txMcsMap: 0xfffc } : undefined,
              maxAmsduLen: 0,
              suppRates: basicRateBitmap(band, sta.rates),
              bandwidth: 0,
              rxNss: 1,
            },
    };
  }

  async staState(vif: Vif, sta: Sta, oldState: StaState, newState: StaState): Promise<void> {
    const p = this.priv(vif);
    const ops = this.dev.ops;
    if (oldState === StaState.NOTEXIST && newState === StaState.NONE) {
      let wcid = 1;
      while (wcid < MT792X_WTBL_STA && this.staWcids.has(wcid)) wcid++;
      if (wcid >= MT792X_WTBL_STA) throw new Error('mt7921u: no free station entry');
      this.staWcids.add(wcid);
      sta.drv = { wcid } satisfies StaPriv;
      await macWtblUpdate(this.dev.regs, this.dev.clock, wcid, MT_WTBL_UPDATE_ADM_COUNT_CLEAR);
      await ops.staUpdate({ ...this.staInfo(vif, sta, true, SIS.NONE, wcid), newly: true });
      return;
    }
    const priv = sta.drv as StaPriv | undefined;
    if (!priv) return;
    if (oldState === StaState.AUTH && newState === StaState.ASSOC) {
      if (p.mvif.type === 'station' && p.conf && this.chandef) {
        await ops.addBss(p.mvif, this.mcuBssConf(p), true);
      }
      await macWtblUpdate(this.dev.regs, this.dev.clock, priv.wcid, MT_WTBL_UPDATE_ADM_COUNT_CLEAR);
      await ops.staUpdate(this.staInfo(vif, sta, true, SIS.ASSOC, priv.wcid));
      return;
    }
    if (oldState === StaState.NONE && newState === StaState.NOTEXIST) {
      await ops.abortRoc(p.mvif);
      await ops.staUpdate(this.staInfo(vif, sta, false, SIS.NONE, priv.wcid));
      await macWtblUpdate(this.dev.regs, this.dev.clock, priv.wcid, MT_WTBL_UPDATE_ADM_COUNT_CLEAR);
      if (p.mvif.type === 'station' && p.conf && this.chandef) await ops.addBss(p.mvif, this.mcuBssConf(p), false);
      ops.forgetKeys(priv.wcid);
      this.staWcids.delete(priv.wcid);
      sta.drv = undefined;
    }
    // NONE↔AUTH, ASSOC→AUTH, ASSOC↔AUTHORIZED: nothing for the firmware (mt7921_mac_sta_event)
  }

  private mcuBssConf(p: VifPriv): McuBssConf {
    const c = p.conf!;
    return {
      bssid: c.bssid,
      beaconInterval: c.beaconInt,
      dtimPeriod: c.dtimPeriod,
      qos: c.qos,
      chan: toChanDef(c.chandef ?? this.chandef!),
    };
  }

  async setKey(cmd: HwSetKeyCmd, vif: Vif, sta: Sta | null, key: KeyConf): Promise<void> {
    const p = this.priv(vif);
    const cipher = mcuCipher(key.cipher);
    if (cipher === McuCipher.NONE) throw new KeyNotSupportedError(key.cipher);
    if ((key.cipher === 'WEP40' || key.cipher === 'WEP104') && !(p.mvif.type === 'station' && this.staWcids.size > 0)) {
      throw new KeyNotSupportedError(key.cipher);
    }
    // the hardware encrypts, mac80211 keeps building the IV
    key.hwGeneratesIv = false;
    const wcid = sta ? (sta.drv as StaPriv).wcid : p.mvif.wcid;
    if (cmd === 'disable') {
      // mt7921_set_key: on a station, keys are only deleted once disassociated (reassociation keeps them)
      if (p.mvif.type !== 'station' || p.assoc) return;
      await this.dev.ops.setKey(p.mvif, wcid, sta !== null, SetKeyCmd.DISABLE_KEY, null);
      return;
    }
    const k: McuKeyConf = { cipher, keyIdx: key.keyIdx, key: key.key };
    await this.dev.ops.setKey(p.mvif, wcid, sta !== null, SetKeyCmd.SET_KEY, k);
    key.drv = { wcid };
  }

  async bssInfoChanged(vif: Vif, conf: BssConf, changed: BssChanged): Promise<void> {
    const p = this.priv(vif);
    p.conf = conf;
    const ops = this.dev.ops;
    if (changed.beacon || changed.beaconEnabled) {
      if (conf.beaconEnabled) throw new Error('mt7921u: AP mode (beacon offload) is not supported by this driver');
    }
    if (changed.qos) {
      // GUESS: ACs mac80211 gave no parameters for get the 802.11 defaults' AIFSN and the firmware's default CWs
      const params = [0, 1, 2, 3].map(
        (ac) =>
          p.queueParams[ac] ?? {
            aifs: ac === 0 || ac === 1 ? 2 : ac === 2 ? 3 : 7,
            cwMin: 0,
            cwMax: 0,
            txop: 0,
            acm: false,
          },
      );
      await ops.setEdca(p.mvif, conf.qos, params);
    }
    if (changed.ps) await ops.bssPs(p.mvif, conf.ps);
    if (changed.assoc) {
      p.assoc = conf.assoc;
      await ops.staUpdate(this.staInfo(vif, null, true, SIS.ASSOC, p.mvif.wcid));
      await ops.setBeaconFilter(p.mvif, conf.assoc, this.bssTiming(p));
    }
  }

  async confTx(vif: Vif, ac: Ac, params: TxQueueParams): Promise<void> {
    // no need to update right away: BSS_CHANGED_QOS follows (mt792x_conf_tx)
    this.priv(vif).queueParams[ac] = params;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Data path

  tx(skb: SkBuff, info: TxInfo): void {
    const p = info.vif.drv as VifPriv | undefined;
    const frame = skb.bytes();
    const fc = frame.length >= 2 ? frame[0]! | (frame[1]! << 8) : 0;
    const wcid = info.sta ? ((info.sta.drv as StaPriv | undefined)?.wcid ?? 0) : (p?.mvif.wcid ?? 0);
    const qid = selectTxq(info.ac as number as MtTxq, frame, false, info.offChannel);
    let pid = info.noAck ? MT_PACKET_ID_NO_ACK : MT_PACKET_ID_NO_SKB;
    if (info.reqTxStatus) pid = this.allocPid(wcid);
    const band = this.chandef?.chan.band ?? '2g';
    const txd: TxdInfo = {
      qid,
      wcid,
      omacIdx: p?.mvif.omacIdx ?? 0,
      wmmIdx: p?.mvif.wmmIdx ?? 0,
      bandIdx: 0,
      pid,
      hwKey: info.hwKey !== null,
      hwKeyIsCmac: info.hwKey?.cipher === 'BIP-CMAC-128',
      robustMgmt: isMgmt(fc) && (isAction(fc) || (fc & 0xf0) === 0xc0 || (fc & 0xf0) === 0xa0),
      noAck: info.noAck,
      useMinRate: info.useMinRate,
      is8023: false,
      priority: info.tid,
      amsdu: false,
      fixedRate: txRateVal(band, basicRateBitmap(band, p?.conf?.basicRates ?? [])),
    };
    this.stats.txFrames++;
    if (!info.reqTxStatus) {
      if (!this.dev.tx(skb, txd)) this.stats.txDropped++;
      return;
    }
    const key = (wcid << 8) | pid;
    const ok = this.dev.tx(skb, txd, (s, sent) => {
      const pend = this.pending.get(key);
      if (!pend || sent) return;
      // the transfer failed: report now
      this.pending.delete(key);
      pend.timer.cancel();
      txUnprepareSkb(s);
      this.hw?.txStatus(s, info, { acked: false, retries: 0 });
    });
    if (!ok) {
      this.stats.txDropped++;
      return;
    }
    const timer = this.dev.clock.setTimeout(() => {
      const pend = this.pending.get(key);
      if (!pend) return;
      this.pending.delete(key);
      this.stats.txStatusTimeouts++;
      txUnprepareSkb(pend.skb);
      this.hw?.txStatus(pend.skb, pend.info, { acked: false, retries: 0 });
    }, MT_TX_STATUS_TIMEOUT_MS);
    this.pending.set(key, { skb, info, timer });
  }

  /** mt76_tx_status_skb_add: packet ids 3..127 per station. */
  private allocPid(wcid: number): number {
    for (let tries = 0; tries < MT_PACKET_ID_MASK; tries++) {
      let pid = this.nextPid.get(wcid) ?? MT_PACKET_ID_FIRST;
      if (pid > MT_PACKET_ID_MASK) pid = MT_PACKET_ID_FIRST;
      this.nextPid.set(wcid, pid + 1);
      if (!this.pending.has((wcid << 8) | pid)) return pid;
    }
    return MT_PACKET_ID_NO_SKB;
  }

  private txsRecord(rec: TxsRecord): void {
    if (rec.format > 1 || rec.pid < MT_PACKET_ID_FIRST) return;
    const key = (rec.wcid << 8) | rec.pid;
    const pend = this.pending.get(key);
    if (!pend) {
      this.stats.txStatusUnmatched++;
      return;
    }
    this.pending.delete(key);
    pend.timer.cancel();
    this.stats.txStatusReported++;
    txUnprepareSkb(pend.skb);
    this.hw?.txStatus(pend.skb, pend.info, { acked: rec.acked, retries: 0 });
  }

  private noteBssSignal(skb: SkBuff, signal: number): void {
    const b = skb.buf;
    for (const vif of this.vifs.values()) {
      const p = vif.drv as VifPriv;
      const bssid = p.conf?.bssid;
      if (!bssid) continue;
      let eq = true;
      for (let i = 0; eq && i < 6; i++) if (b[skb.data + 10 + i] !== bssid[i]) eq = false;
      if (eq) p.bssSignal = signal;
    }
  }

  private rxFrame(skb: SkBuff, st: RxStatus): void {
    if (st.flag & RxFlag.RX_8023) {
      // header translation is never enabled for our stations
      this.stats.rxDropped8023++;
      skb.drop();
      return;
    }
    if (st.flag & RxFlag.ONLY_MONITOR && !this.monitor) {
      this.stats.rxDroppedMonitorOnly++;
      skb.drop();
      return;
    }
    if (!this.hw) {
      skb.free();
      return;
    }
    if (skb.len >= 16 && st.signal > -128) this.noteBssSignal(skb, st.signal);
    this.stats.rxDelivered++;
    if (this.hw.rxList === undefined) {
      this.hw.rx(skb, toHwRxStatus(st));
      return;
    }
    // Gathered until the poll completes, then one ieee80211_rx_list (mt76_rx_complete): CCMP in one batch.
    this.rxSkbs.push(skb);
    this.rxStatuses.push(toHwRxStatus(st));
  }

  /** The NAPI poll is done: the frames it produced go up as one list. */
  private rxFlush(): void {
    const skbs = this.rxSkbs;
    if (skbs.length === 0) return;
    const statuses = this.rxStatuses;
    this.rxSkbs = [];
    this.rxStatuses = [];
    if (this.hw !== null) this.hw.rxList!(skbs, statuses);
    else for (const s of skbs) s.free();
  }
}
