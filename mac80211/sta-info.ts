/**
 * Peers (Linux's net/mac80211/sta_info.c): for a station interface the AP, for an AP interface each client. A
 * StaInfo holds the driver-visible struct ieee80211_sta, the state (NONE → AUTH → ASSOC → AUTHORIZED), the
 * pairwise keys, the per-TID receive sequence numbers for duplicate detection, the per-TID transmit sequence
 * numbers, the fragment cache, and receive/transmit statistics.
 */
import { macCopy, macToString } from './addr.ts';
import { StaState, type Sta } from './driver-ops.ts';
import type { Ieee80211SubIf } from './iface.ts';
import type { Ieee80211Key } from './key.ts';
import { FragCache } from './rx/defrag.ts';

/** Sequence-number slots: 16 TIDs plus one for non-QoS data and management frames (IEEE80211_NUM_TIDS). */
export const NUM_SEQ_SLOTS = 17;
export const SEQ_SLOT_NON_QOS = 16;

export interface StaRxStats {
  packets: number;
  bytes: number;
  /** MPDUs received (fragments counted one by one). */
  fragments: number;
  duplicates: number;
  dropped: number;
  /** MSDUs delivered, per TID (index 16: non-QoS). */
  msdu: number[];
  /** Clock time of the last frame from this peer (keepalive / inactivity). */
  lastRx: number;
  lastSignal: number;
  /** Null / QoS Null frames (power-save signalling, keepalives). */
  nullfunc: number;
}

export interface StaTxStats {
  packets: number;
  bytes: number;
  acked: number;
  failed: number;
  retries: number;
  lastAckSignal: number;
}

/** A 48-bit MAC address as a number (a Map key that costs no allocation). */
export function macKey(b: Uint8Array, off = 0): number {
  return (
    b[off]! * 0x10000000000 +
    b[off + 1]! * 0x100000000 +
    ((b[off + 2]! << 24) >>> 0) +
    (b[off + 3]! << 16) +
    (b[off + 4]! << 8) +
    b[off + 5]!
  );
}

export class StaInfo {
  readonly addr: Uint8Array;
  readonly key: number;
  /** The driver's view (struct ieee80211_sta); capabilities are filled in by the MLME before ASSOC. */
  readonly sta: Sta;
  state: StaState = StaState.NOTEXIST;
  /** Pairwise keys by key index (0 without extended key ID, 0/1 with it); `ptkIdx` is the one used for TX. */
  readonly ptk: (Ieee80211Key | null)[] = [null, null];
  ptkIdx = 0;
  /** Management frame protection negotiated (802.11w). */
  mfp = false;
  /** Both ends negotiated SPP A-MSDU (the A-MSDU Present bit is covered by CCMP's AAD). */
  sppAmsdu = false;
  /** The peer sends and takes 4-address frames (WDS / AP_VLAN station). */
  use4addr = false;
  /** Last Sequence Control received per TID (slot 16: non-QoS), -1 when none yet (last_seq_ctrl). */
  readonly lastSeqCtrl = new Int32Array(NUM_SEQ_SLOTS).fill(-1);
  /** Next transmit sequence number per TID (tid_seq). */
  readonly txSeq = new Uint16Array(16);
  readonly frags = new FragCache();
  /** AP mode: the client is in power save (PM bit of its last frame). */
  powerSave = false;
  readonly rx: StaRxStats = {
    packets: 0,
    bytes: 0,
    fragments: 0,
    duplicates: 0,
    dropped: 0,
    msdu: new Array(NUM_SEQ_SLOTS).fill(0),
    lastRx: 0,
    lastSignal: 0,
    nullfunc: 0,
  };
  readonly tx: StaTxStats = { packets: 0, bytes: 0, acked: 0, failed: 0, retries: 0, lastAckSignal: 0 };

  constructor(
    addr: Uint8Array,
    /** The interface the peer belongs to. */
    readonly sdata: Ieee80211SubIf,
  ) {
    this.addr = macCopy(addr);
    this.key = macKey(addr);
    this.sta = { addr: this.addr, aid: 0, ht: false, vht: false, he: false, rates: [], wmm: false };
  }

  get authorized(): boolean {
    return this.state >= StaState.AUTHORIZED;
  }

  get associated(): boolean {
    return this.state >= StaState.ASSOC;
  }

  /** QoS data (WMM) with this peer. */
  get wme(): boolean {
    return this.sta.wmm;
  }

  /** The pairwise key used for transmission, if any. */
  get txKey(): Ieee80211Key | null {
    return this.ptk[this.ptkIdx] ?? null;
  }

  toString(): string {
    return macToString(this.addr);
  }
}
