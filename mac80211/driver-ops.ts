/**
 * The driver ops interface: the only way mac80211 touches hardware (Linux's struct ieee80211_ops), and the calls a
 * driver makes back into mac80211 (ieee80211_rx, ieee80211_tx_status, ieee80211_scan_completed, ...).
 *
 * Two drivers implement it: the mt7921u driver (with MCU commands) and the hwsim virtual radio (directly on the
 * mock PHY). Nothing above this interface knows which one it talks to.
 *
 * Calls that can sleep in Linux return promises here; mac80211 awaits each before the next, so a driver never sees
 * two control calls at once. `tx` is synchronous, like ieee80211_ops.tx: the driver queues the frame and reports
 * the outcome later through `txStatus` when asked to.
 */
import type { SkBuff } from '../netstack/core/skb.ts';
import type { Band } from './channel.ts';

export { type Band, channelToFreq, freqToBandChannel, frequencyToChannel } from './channel.ts';

/** A channel as cfg80211 describes one. */
export interface Channel {
  band: Band;
  /** IEEE channel number within its band. */
  channel: number;
  /** Centre frequency of the 20 MHz primary channel, MHz. */
  freq: number;
  /** Needs passive scanning (no probe requests) — DFS and 6 GHz non-PSC channels. */
  noIr?: boolean;
}

export type ChannelWidth = 20 | 40 | 80 | 160;

/** cfg80211_chan_def */
export interface ChanDef {
  chan: Channel;
  width: ChannelWidth;
  /** Centre of the whole channel (MHz), equal to chan.freq at 20 MHz. */
  centerFreq1: number;
}

export interface SupportedBand {
  band: Band;
  channels: Channel[];
  /** Legacy rates in units of 100 kbps (10 = 1 Mb/s). */
  bitrates: number[];
  ht: boolean;
  vht: boolean;
  he: boolean;
}

export type Cipher = 'CCMP' | 'CCMP-256' | 'GCMP' | 'GCMP-256' | 'TKIP' | 'WEP40' | 'WEP104' | 'BIP-CMAC-128';

/** What the hardware offers (struct wiphy + ieee80211_hw flags). */
export interface HwCapabilities {
  /** Permanent MAC address. */
  addr: Uint8Array;
  bands: SupportedBand[];
  /** Ciphers the hardware can do; others fall back to software crypto in mac80211. */
  hwCiphers: Cipher[];
  maxScanSsids: number;
  maxScanIeLen: number;
  /** The driver scans in hardware (hwScan); otherwise mac80211 scans in software with config() channel changes. */
  hwScan: boolean;
  /** The hardware needs mgdPrepareTx (a channel reservation) before auth/assoc frames. */
  needsPrepareTx: boolean;
  /** Headroom the driver needs in TX skbs in front of the 802.11 header (descriptors, USB header). */
  extraTxHeadroom: number;
  /** Firmware does rate control (the driver ignores mac80211's rate choice). */
  hasRateControl: boolean;
}

export type IfType = 'station' | 'ap' | 'monitor';

/** struct ieee80211_vif: one virtual interface. The driver may keep private state in `drv`. */
export interface Vif {
  type: IfType;
  addr: Uint8Array;
  /** Driver-private per-interface state. */
  drv?: unknown;
}

/** struct ieee80211_sta: a peer (the AP for a station interface, a client for an AP interface). */
export interface Sta {
  addr: Uint8Array;
  aid: number;
  /** Negotiated capabilities from (re)association. */
  ht: boolean;
  vht: boolean;
  he: boolean;
  /** Supported legacy rates (100 kbps units) on the current band. */
  rates: number[];
  wmm: boolean;
  /** Driver-private per-station state (e.g. the WTBL index). */
  drv?: unknown;
}

/** enum ieee80211_sta_state */
export enum StaState {
  NOTEXIST = 0,
  NONE = 1,
  AUTH = 2,
  ASSOC = 3,
  AUTHORIZED = 4,
}

/** struct ieee80211_key_conf */
export interface KeyConf {
  cipher: Cipher;
  keyIdx: number;
  key: Uint8Array;
  pairwise: boolean;
  /** Initial transmit PN (48 bits) — 0 for a new key. */
  txPn: number;
  /** Set by the driver in setKey: the hardware builds the IV/PN (mac80211 leaves no room for it) or not. */
  hwGeneratesIv?: boolean;
  /** Set by the driver: management frames with this key are encrypted in software (IEEE80211_KEY_FLAG_SW_MGMT_TX). */
  swMgmtTx?: boolean;
  /** Driver-private (hardware key slot). */
  drv?: unknown;
}

export type SetKeyCmd = 'set' | 'disable';

/** What changed in bssInfoChanged (BSS_CHANGED_*). */
export interface BssChanged {
  assoc?: boolean;
  bssid?: boolean;
  beaconInt?: boolean;
  erpSlot?: boolean;
  erpPreamble?: boolean;
  basicRates?: boolean;
  qos?: boolean;
  ps?: boolean;
  beacon?: boolean;
  beaconEnabled?: boolean;
  txPower?: boolean;
  he?: boolean;
}

/** struct ieee80211_bss_conf (the parts drivers need). */
export interface BssConf {
  bssid: Uint8Array;
  assoc: boolean;
  aid: number;
  beaconInt: number;
  dtimPeriod: number;
  chandef: ChanDef | null;
  basicRates: number[];
  qos: boolean;
  shortSlot: boolean;
  shortPreamble: boolean;
  ps: boolean;
  /** AP mode: beacon template (802.11 frame without FCS) and whether beaconing is on. */
  beaconTemplate?: Uint8Array;
  beaconEnabled?: boolean;
}

/** EDCA parameters for one access category (conf_tx). */
export interface TxQueueParams {
  aifs: number;
  cwMin: number;
  cwMax: number;
  /** TXOP limit in units of 32 µs. */
  txop: number;
  acm: boolean;
}

/** Access categories, mac80211 numbering. */
export enum Ac {
  VO = 0,
  VI = 1,
  BE = 2,
  BK = 3,
}

export interface ScanRequest {
  channels: Channel[];
  /** SSIDs to probe for; an empty SSID is the wildcard; no SSIDs = passive scan. */
  ssids: Uint8Array[];
  /** Extra elements for probe requests (supported rates, HT/VHT/HE capabilities...). */
  ies: Uint8Array;
  /** Dwell per channel in ms (drivers may use firmware defaults). */
  dwellActiveMs: number;
  dwellPassiveMs: number;
  /** Limit to one BSSID (broadcast when absent). */
  bssid?: Uint8Array;
}

/** Rate of a received or transmitted frame. */
export interface RateInfo {
  mode: 'cck' | 'ofdm' | 'ht' | 'vht' | 'he';
  /** Legacy rate in 100 kbps for cck/ofdm; MCS index otherwise. */
  rate: number;
  nss: number;
  bw: ChannelWidth;
  sgi: boolean;
}

/** struct ieee80211_rx_status */
export interface RxStatus {
  band: Band;
  freq: number;
  channel: number;
  /** Strongest chain in dBm. */
  signal: number;
  rate: RateInfo;
  /** The hardware decrypted the frame (and verified its MIC). */
  decrypted: boolean;
  /** The CCMP header is gone from the frame (hardware stripped it). */
  ivStripped: boolean;
  /** The MIC is gone from the frame. */
  micStripped: boolean;
  /** Hardware-reported PN (48 bits) when the IV was stripped, for mac80211's replay check; -1 when unknown. */
  pn: number;
  /** Key index used, when decrypted. */
  keyIdx: number;
  /** FCS check failed (monitor only: mac80211 drops these otherwise). */
  fcsFailed: boolean;
  /** The frame still carries its 4-byte FCS at the end. */
  hasFcs: boolean;
  /** Device timestamp in µs, when known. */
  mactime?: number;
}

/** Per-frame transmit information (struct ieee80211_tx_info). */
export interface TxInfo {
  vif: Vif;
  sta: Sta | null;
  ac: Ac;
  /** TID for QoS data. */
  tid: number;
  /** Key to encrypt with in hardware (null: send as is — mac80211 already encrypted, or plaintext). */
  hwKey: KeyConf | null;
  /** mac80211 wants txStatus for this frame (EAPOL, probes for connection monitoring, ...). */
  reqTxStatus: boolean;
  noAck: boolean;
  /** Use the lowest basic rate (management, EAPOL, multicast). */
  useMinRate: boolean;
  /** Sent outside the operating channel context (scan probes, off-channel) — drivers may use a separate queue. */
  offChannel: boolean;
}

/** Result of a transmission, reported by the driver through txStatus(). */
export interface TxStatus {
  acked: boolean;
  retries: number;
  /** RSSI of the ACK in dBm when known. */
  ackSignal?: number;
}

/** ieee80211_ops */
export interface Ieee80211Ops {
  readonly caps: HwCapabilities;
  /** Bind the driver to its mac80211 instance (the callbacks below) before start(). */
  attach(hw: Ieee80211HwCallbacks): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  addInterface(vif: Vif): Promise<void>;
  removeInterface(vif: Vif): Promise<void>;
  /** Channel change (IEEE80211_CONF_CHANGE_CHANNEL) and other device-wide configuration. */
  config(conf: { chandef: ChanDef; txPowerDbm?: number; monitor?: boolean }): Promise<void>;
  /** Hardware scan. The driver reports received beacons/probe responses through rx() and ends with scanCompleted. */
  hwScan(vif: Vif, req: ScanRequest): Promise<void>;
  cancelHwScan(vif: Vif): Promise<void>;
  /** Reserve the channel before auth/assoc frames (mgd_prepare_tx; ROC JOIN on the MT7921's CNM firmware). */
  mgdPrepareTx?(vif: Vif, chandef: ChanDef, durationMs: number): Promise<void>;
  mgdCompleteTx?(vif: Vif): Promise<void>;
  staState(vif: Vif, sta: Sta, oldState: StaState, newState: StaState): Promise<void>;
  /** Install or remove a key in hardware. Throw KeyNotSupportedError to make mac80211 use software crypto. */
  setKey(cmd: SetKeyCmd, vif: Vif, sta: Sta | null, key: KeyConf): Promise<void>;
  bssInfoChanged(vif: Vif, conf: BssConf, changed: BssChanged): Promise<void>;
  confTx?(vif: Vif, ac: Ac, params: TxQueueParams): Promise<void>;
  /**
   * Transmit one 802.11 frame (header + body, no FCS); takes ownership of skb. Must not block; when the driver's
   * queues are full it drops and reports a failed txStatus if one was requested.
   */
  tx(skb: SkBuff, info: TxInfo): void;
}

/** The calls a driver makes into mac80211. */
export interface Ieee80211HwCallbacks {
  /** ieee80211_rx: one received 802.11 frame (takes ownership). Called from the driver's NAPI poll. */
  rx(skb: SkBuff, status: RxStatus): void;
  /**
   * ieee80211_rx_list: several received frames at once (takes ownership of each), e.g. one NAPI poll's. Same result
   * as rx() on each in order; mac80211 batches their software decryption. Optional: a driver may always use rx().
   */
  rxList?(skbs: readonly SkBuff[], statuses: readonly RxStatus[]): void;
  /** ieee80211_tx_status for a frame sent with reqTxStatus (the skb is returned to mac80211). */
  txStatus(skb: SkBuff, info: TxInfo, status: TxStatus): void;
  /** ieee80211_scan_completed */
  scanCompleted(aborted: boolean): void;
  /** ieee80211_beacon_loss: the hardware stopped hearing the AP's beacons. */
  beaconLoss(vif: Vif): void;
  /** ieee80211_connection_loss: the hardware gave up on the AP (e.g. too many TX failures). */
  connectionLoss(vif: Vif): void;
  /** The hardware had to be reset (firmware hang, USB error): mac80211 must reconfigure (ieee80211_restart_hw). */
  restartHw(reason: string): void;
}

/** Thrown by setKey when the hardware cannot do a cipher: mac80211 falls back to software (-EOPNOTSUPP). */
export class KeyNotSupportedError extends Error {
  constructor(cipher: Cipher) {
    super(`cipher ${cipher} not supported in hardware`);
    this.name = 'KeyNotSupportedError';
  }
}
