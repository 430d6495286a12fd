/**
 * The chip's data path (FACTS.md §7): TX descriptors arriving on the data endpoints are checked, the frame goes out
 * on the radio (encrypted by the hardware CCMP engine when PROTECT_FRAME is set, 802.3 frames encapsulated), and a
 * TXS record comes back for frames that asked for one. Frames heard on the air pass the MAC's address filter, are
 * decrypted with the installed keys and reach the host as RXD type-2 packets on EP 0x84.
 */
import type { Clock } from '../../../netstack/core/clock.ts';
import { CCMP_HDR_LEN, CCMP_MIC_LEN, ccmpDecrypt, ccmpEncrypt, readCcmpPn, writeCcmpHeader } from './ccmp.ts';
import type { EmulatorCounters } from './counters.ts';
import {
  FC_FROMDS,
  FC_MOREFRAG,
  FC_PROTECTED,
  FC_TODS,
  FC_TYPE_CTRL,
  FC_TYPE_DATA,
  FC_TYPE_MGMT,
  fcSubtype,
  fcType,
  frameControl,
  headerLength,
  isGroupAddr,
  isQosData,
  qosTid,
  sameAddr,
  STYPE_BEACON,
  STYPE_PROBE_RESP,
} from './ieee80211.ts';
import { decodeTxRate, prxvDw0, rcpiFromDbm, txRateCode } from './rates.ts';
import type { RadioChannel, RadioRate, RadioRxInfo, RadioTxDone, RadioTxOptions } from './radio.ts';
import { type ChipRegisters, DMA_DCR0_RXD_G5_EN, MDP_DCR0_RX_HDR_TRANS_EN, R } from './regs.ts';
import { basicRate, type HwScan } from './scan.ts';
import { chipAlloc, chipCopy } from './slab.ts';
import { CIPHER, type ChipState, type KeyEntry, type StaRecord } from './state.ts';
import { le32, PKT_TYPE_NORMAL, PKT_TYPE_TXS, putLe16, putLe32, rxDw0, rxTailPadding } from './wire.ts';

export const TXD_LEN = 64;
/** MT7921 WTBL size: wcids ≥ 20 do not exist (FACTS.md §7.2: "WCID ≥ 20 are ignored"). */
export const WTBL_SIZE = 20;
// GUESS: the WLAN_IDX the hardware reports for a frame from a transmitter it has no WTBL entry for.
export const WCID_UNKNOWN = 0x3ff;

/** Endpoint → the Q_IDX values that belong on it (FACTS.md §1.3, §7.1). */
function queueFitsEndpoint(ep: number, qIdx: number): boolean {
  switch (ep) {
    case 0x04:
      return qIdx < 0x10 && qIdx % 4 === 1; // AC01 BE
    case 0x05:
      return qIdx < 0x10 && qIdx % 4 === 0; // AC00 BK
    case 0x06:
      return qIdx < 0x10 && qIdx % 4 === 2; // AC02 VI
    case 0x07:
      return qIdx < 0x10 && qIdx % 4 === 3; // AC03 VO
    case 0x09:
      return qIdx === 0x10 || qIdx === 0x11 || qIdx === 0x12; // ALTX0, BMC0, BCN0
    default:
      return false;
  }
}

export interface MacHost {
  readonly clock: Clock;
  readonly counters: EmulatorCounters;
  readonly regs: ChipRegisters;
  readonly state: ChipState;
  readonly scan: HwScan;
  firmwareRunning(): boolean;
  /** The channel the radio is on now (home, scan or ROC channel). */
  channel(): RadioChannel;
  transmit(frame: Uint8Array, rate: RadioRate, opts: RadioTxOptions, done: RadioTxDone): void;
  /** A beacon was received (before filtering): feeds the firmware's beacon-loss watchdog. */
  beaconHeard(frame: Uint8Array): void;
  /** Queue a packet on EP 0x84. `pkt` has room for the tail padding. */
  deliverRx(pkt: Uint8Array): void;
}

/** Allocates an IN packet of `len` bytes with room for the tail padding, DW0 filled in. */
export function allocRxPacket(len: number, type: number): Uint8Array {
  const p = chipAlloc(len + rxTailPadding(len));
  putLe32(p, 0, rxDw0(len, type));
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// TX

export class MacTx {
  private seqCtl = 0;

  constructor(private readonly host: MacHost) {}

  /** One TX transfer body (USB header stripped) from data endpoint `ep`. */
  handle(ep: number, body: Uint8Array): undefined {
    const c = this.host.counters;
    if (!this.host.firmwareRunning()) return this.drop('tx-before-firmware');
    if (body.length < TXD_LEN) return this.drop('tx-short');
    const dw0 = le32(body, 0);
    const dw1 = le32(body, 4);
    const dw2 = le32(body, 8);
    const dw3 = le32(body, 12);
    const dw5 = le32(body, 20);
    const dw6 = le32(body, 24);
    if ((dw0 & 0xffff) !== body.length) return this.drop('tx-txd-bytes');
    const pktFmt = (dw0 >>> 23) & 3;
    // §7.1: SF (1) on USB, FW (3) for beacons. GUESS: other formats are refused.
    if (pktFmt !== 1 && pktFmt !== 3) return this.drop('tx-txd-pkt-fmt');
    const qIdx = dw0 >>> 25;
    if (!queueFitsEndpoint(ep, qIdx)) c.txQueueMismatch++; // GUESS: counted, the LMAC still uses Q_IDX
    if ((dw1 & (1 << 31)) === 0) return this.drop('tx-txd-short-format'); // GUESS: the 64-byte TXD needs LONG_FORMAT
    const wcid = dw1 & 0x3ff;
    const hdrFormat = (dw1 >>> 16) & 3;
    let frame = body.subarray(TXD_LEN);
    // §7.1: frames of 14 bytes or less are rejected (by the driver; GUESS: the hardware drops them too).
    if (frame.length <= 14) return this.drop('tx-frame-short');
    if (hdrFormat === 0) {
      const f = this.encap(frame, wcid, (dw1 >>> 20) & 7, (dw1 >>> 24) & 0x3f);
      if (!f) return;
      frame = f;
    } else if (hdrFormat === 2) {
      const hl = headerLength(frame);
      const fc = frameControl(frame);
      if (hl === 0 && fcType(fc) !== FC_TYPE_CTRL) return this.drop('tx-bad-80211-header');
      if (hl > frame.length) return this.drop('tx-bad-80211-header');
      // §7.1: HDR_INFO = header length / 2. GUESS: a mismatch makes the hardware mis-split the frame: refused.
      if (hl !== 0 && ((dw1 >>> 11) & 0x1f) !== hl / 2) return this.drop('tx-txd-hdr-info');
      // GUESS: DW2 FRAME_TYPE/SUB_TYPE disagreeing with the frame is counted; the frame's own control field is sent.
      if (((dw2 >>> 4) & 3) !== fcType(fc) || (dw2 & 0xf) !== fcSubtype(fc)) c.drop('tx-txd-fc-mismatch');
      if (dw3 & (1 << 31)) {
        // SN_VALID: the descriptor's sequence number replaces the frame's.
        const seq = (dw3 >>> 16) & 0xfff;
        frame = chipCopy(frame);
        putLe16(frame, 22, (seq << 4) | (frame[22]! & 0xf));
      }
    } else {
      return this.drop('tx-txd-hdr-format');
    }
    if (dw3 & 2) {
      const sta = this.host.state.stas.get(wcid);
      const enc = sta ? this.encrypt(frame, sta) : null;
      if (!enc) return;
      frame = enc;
    }
    const fixed = (dw2 & (1 << 31)) !== 0;
    const rate = fixed ? decodeTxRate((dw6 >>> 16) & 0x3fff) : this.rateControl(frame, wcid);
    if (!rate) return this.drop('tx-txd-rate');
    const wantStatus = (dw5 & (1 << 10)) !== 0;
    const pid = dw5 & 0xff;
    const tid = (dw1 >>> 20) & 7;
    const noAck = (dw3 & 1) !== 0 || isGroupAddr(frame, 4);
    // GUESS: REM_TX_COUNT (DW3 [15:11]) is the number of transmissions the MAC makes before giving up; frames sent
    // without an ACK expected (NO_ACK, group addressed) go once and count as delivered.
    const retryLimit = noAck ? 0 : Math.max(1, (dw3 >>> 11) & 0x1f) - 1;
    // The frame leaves the chip after the OUT transfer completes and the host may reuse its buffer: the MAC's copy.
    if (frame.buffer === body.buffer) frame = chipCopy(frame);
    c.txFrames++;
    c.txBytes += frame.length;
    const sent = frame;
    this.host.transmit(sent, rate, { noAck, retryLimit }, (acked, retries) => {
      if (acked || noAck) c.txAcked++;
      else c.txNoAck++;
      c.txRetries += retries;
      if (wantStatus) this.txStatus(sent, rate, fixed, acked || noAck, wcid, pid, tid);
    });
  }

  private drop(reason: string): undefined {
    this.host.counters.txDropped++;
    this.host.counters.drop(reason);
  }

  /** GUESS: the firmware's rate control settles on one rate per peer capability (no adaptation modelled). */
  private rateControl(frame: Uint8Array, wcid: number): RadioRate {
    const ch = this.host.channel();
    const fc = frameControl(frame);
    if (fcType(fc) !== FC_TYPE_DATA || isGroupAddr(frame, 4)) return basicRate(ch);
    const sta = this.host.state.stas.get(wcid);
    const width = ch.width ?? 20;
    if (sta?.tlvs.has(14) || sta?.tlvs.has(0x19)) return { mode: 'he', mcs: 7, nss: 2, width };
    if (sta?.tlvs.has(10)) return { mode: 'vht', mcs: 7, nss: 2, width };
    if (sta?.tlvs.has(9)) return { mode: 'ht', mcs: 15, nss: 2, width: width === 20 ? 20 : 40 };
    return ch.band === '2g' && !sta ? basicRate(ch) : { mode: 'ofdm', mbps: 54 };
  }

  /**
   * 802.3 → 802.11 (hardware encapsulation, HDR_FORMAT 0) for a station interface: ToDS data to the AP of `wcid`,
   * LLC/SNAP header, QoS data when the peer has QoS.
   */
  // GUESS: only the station case is modelled (ToDS, A1 = the peer's address, A2 = the interface, A3 = DA).
  private encap(eth: Uint8Array, wcid: number, tid: number, omac: number): Uint8Array | null {
    const st = this.host.state;
    const sta = st.stas.get(wcid);
    const vif = st.vifs.get(omac);
    if (!sta || !vif) {
      this.drop('tx-encap-no-peer');
      return null;
    }
    const ethertype = (eth[12]! << 8) | eth[13]!;
    if (ethertype < 0x600) {
      this.drop('tx-encap-not-ethernet-ii'); // GUESS: 802.3 length frames are not encapsulated
      return null;
    }
    const hl = sta.qos ? 26 : 24;
    const f = chipAlloc(hl + 8 + eth.length - 14);
    f[0] = sta.qos ? 0x88 : 0x08;
    f[1] = FC_TODS >> 8;
    f.set(sta.peer, 4);
    f.set(vif.addr, 10);
    f.set(eth.subarray(0, 6), 16);
    putLe16(f, 22, (this.seqCtl++ & 0xfff) << 4);
    if (sta.qos) f[24] = tid;
    f.set([0xaa, 0xaa, 0x03, 0, 0, 0, eth[12]!, eth[13]!], hl);
    f.set(eth.subarray(14), hl + 8);
    return f;
  }

  /** Hardware CCMP: insert the CCMP header (PN from the key's counter, unless the host left one), add the MIC. */
  private encrypt(frame: Uint8Array, sta: StaRecord): Uint8Array | null {
    const hl = headerLength(frame);
    const fc = frameControl(frame);
    const key = pickTxKey(sta);
    if (!key) {
      this.drop('tx-protect-no-key');
      return null;
    }
    if (key.cipher !== CIPHER.AES_CCMP || key.key.length !== 16) {
      this.drop('tx-cipher-unsupported'); // GUESS/limitation: only CCMP-128 is modelled
      return null;
    }
    let pn: number;
    let plain: Uint8Array;
    if (fc & FC_PROTECTED) {
      // GUESS: the host already put a CCMP header (IV space) in the frame: use its PN.
      if (frame.length < hl + CCMP_HDR_LEN) {
        this.drop('tx-protect-short');
        return null;
      }
      pn = readCcmpPn(frame, hl);
      plain = frame.subarray(hl + CCMP_HDR_LEN);
    } else {
      pn = key.txPn++;
      plain = frame.subarray(hl);
    }
    const out = chipAlloc(hl + CCMP_HDR_LEN + plain.length + CCMP_MIC_LEN);
    out.set(frame.subarray(0, hl));
    out[1] = out[1]! | (FC_PROTECTED >> 8);
    writeCcmpHeader(out, hl, pn, key.keyId);
    out.set(ccmpEncrypt(key.key, out, hl, pn, plain), hl + CCMP_HDR_LEN);
    this.host.counters.txEncrypted++;
    return out;
  }

  /** TXS (§7.2): RX packet type 0, 2 DWs, then one 8-DW record. */
  private txStatus(
    frame: Uint8Array,
    rate: RadioRate,
    fixed: boolean,
    acked: boolean,
    wcid: number,
    pid: number,
    tid: number,
  ): undefined {
    const p = allocRxPacket(8 + 32, PKT_TYPE_TXS);
    const r = 8;
    // GUESS: STATUS_HOST (BIT15) marks a report the host asked for; FORMAT 0 (MPDU).
    let dw0 = (txRateCode(rate) & 0x3fff) | (1 << 15) | ((tid & 7) << 26) | (fixed ? 1 << 31 : 0);
    if (!acked) dw0 |= 1 << 16; // ACK_TIMEOUT
    putLe32(p, r, dw0 >>> 0);
    const seq = frame.length >= 24 ? (frame[22]! | (frame[23]! << 8)) >>> 4 : 0;
    putLe32(p, r + 4, (seq & 0xfff) << 20);
    putLe32(p, r + 8, (wcid & 0x3ff) << 16);
    putLe32(p, r + 12, (pid & 0xff) << 24);
    putLe32(p, r + 16, Math.floor(this.host.clock.now() * 1000) >>> 0);
    this.host.counters.txStatusReports++;
    this.host.deliverRx(p);
  }
}

/** GUESS: the key the hardware uses for a wcid is its lowest key id (pairwise keys use id 0). */
function pickTxKey(sta: StaRecord): KeyEntry | undefined {
  let best: KeyEntry | undefined;
  for (const k of sta.keys.values()) if (!best || k.keyId < best.keyId) best = k;
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// RX

const DW1_GROUP_1 = 1 << 11;
const DW1_GROUP_2 = 1 << 12;
const DW1_GROUP_3 = 1 << 13;
const DW1_GROUP_4 = 1 << 14;
const DW1_GROUP_5 = 1 << 15;
const DW1_CM = 1 << 23;
const DW1_CLM = 1 << 24;
const DW1_ICV_ERR = 1 << 25;
const DW1_FCS_ERR = 1 << 27;
const DW1_SEC_DONE = 1 << 31;
/** RXD SEC_MODE (§7.3) by KEY_V2 cipher id (§6.8). */
const SEC_MODE_BY_CIPHER: Record<number, number> = { 1: 1, 2: 5, 3: 7, 4: 2, 5: 4, 6: 10, 7: 11, 8: 12, 9: 8, 10: 6 };

/** CH_FREQ of RXD DW3 (§7.3): the channel number, 6 GHz channels as (ch − 1) / 4 + 181. */
export function chFreqCode(ch: RadioChannel): number {
  return ch.band === '6g' ? Math.floor((ch.number - 1) / 4) + 181 : ch.number;
}

interface RxDecision {
  readonly deliver: boolean;
  readonly ack: boolean;
}

/** The four decisions, shared (no object per received frame). */
const RX_DECISION: readonly RxDecision[] = [
  { deliver: false, ack: false },
  { deliver: false, ack: true },
  { deliver: true, ack: false },
  { deliver: true, ack: true },
];
const decide = (deliver: boolean, ack: boolean): RxDecision => RX_DECISION[(deliver ? 2 : 0) + (ack ? 1 : 0)]!;

export class MacRx {
  constructor(private readonly host: MacHost) {}

  /** A frame heard on the air. Returns whether the chip acknowledges it. */
  receive(frame: Uint8Array, info: RadioRxInfo): boolean {
    const h = this.host;
    const c = h.counters;
    if (!h.firmwareRunning() || frame.length < 10) return false;
    if (frame[0] === 0x80 && !info.fcsError) h.beaconHeard(frame);
    const d = this.filter(frame, info);
    if (!d.deliver) {
      c.rxFiltered++;
      return d.ack;
    }
    const fc = frameControl(frame);
    if (fcType(fc) === FC_TYPE_MGMT) {
      const st = fcSubtype(fc);
      if (st === STYPE_BEACON || st === STYPE_PROBE_RESP) h.scan.noteBeacon(info.channel);
    }
    this.toHost(frame, info);
    return d.ack;
  }

  /** The MAC's receive filter. */
  private filter(f: Uint8Array, info: RadioRxInfo): RxDecision {
    const st = this.host.state;
    if (st.sniffer) return decide(!info.fcsError || (st.rxFilterFif & (1 << 2)) !== 0, false);
    // GUESS: with the MAC not enabled by MAC_INIT_CTRL (band 0) the chip receives nothing.
    if (!st.macEnabled[0]) return decide(false, false);
    if (info.fcsError) return decide(false, false);
    const fc = frameControl(f);
    const type = fcType(fc);
    // GUESS: control frames reach the host only with FIF control (BIT5); the MAC answers them itself.
    if (type === FC_TYPE_CTRL) return decide((st.rxFilterFif & (1 << 5)) !== 0, false);
    if (f.length < 24) return decide(false, false);
    if (!isGroupAddr(f, 4)) {
      const mine = st.vifByAddr(f, 4) !== undefined || this.isScanAddress(f);
      return decide(mine, mine);
    }
    if (type === FC_TYPE_MGMT) {
      const s = fcSubtype(fc);
      if (s === STYPE_BEACON && !this.ourBss(f)) {
        // FACTS §6.9: RFCR BIT11 DROP_OTHER_BEACON. GUESS: ignored while scanning or in a ROC.
        const drop = (st.rfcrDrop & (1 << 11)) !== 0 && !this.host.scan.running && !st.roc;
        return decide(!drop, false);
      }
      return decide(true, false);
    }
    // GUESS: group-addressed data is received only from a BSS we are in (or with FIF_OTHER_BSS, BIT6).
    return decide(this.ourBss(f) || (st.rxFilterFif & (1 << 6)) !== 0, false);
  }

  private isScanAddress(f: Uint8Array): boolean {
    // GUESS: while a random-MAC scan runs, probe responses to the random address are accepted.
    return this.host.scan.running && this.host.scan.randomMac !== null && sameAddr(f, 4, this.host.scan.randomMac);
  }

  /** The frame's BSSID (A3 for mgmt/IBSS, A2 from an AP) is one of our active BSSes. */
  private ourBss(f: Uint8Array): boolean {
    const fc = frameControl(f);
    const off = fcType(fc) === FC_TYPE_DATA && fc & FC_FROMDS ? 10 : 16;
    for (const b of this.host.state.bsses.values()) if (b.active && sameAddr(f, off, b.bssid)) return true;
    return false;
  }

  private toHost(frame: Uint8Array, info: RadioRxInfo): undefined {
    const h = this.host;
    const c = h.counters;
    const st = h.state;
    const fc = frameControl(frame);
    const type = fcType(fc);
    const hl = headerLength(frame);
    const sta = frame.length >= 16 ? st.staByAddr(frame, 10) : undefined;
    let dw1 = (sta ? sta.wcid : WCID_UNKNOWN) & 0x3ff;
    let key: KeyEntry | null = null;
    let pn = -1;
    if (fc & FC_PROTECTED && hl > 0 && (type === FC_TYPE_DATA || type === FC_TYPE_MGMT)) {
      const plan = this.secPlan(frame, hl, sta);
      dw1 |= plan.flags;
      key = plan.key;
      pn = plan.pn;
    }
    if (info.fcsError) dw1 |= DW1_FCS_ERR;
    // Header translation (§7.3 HDR_TRANS): per station when the WTBL allows it and MDP DCR0 enables it.
    const trans =
      type === FC_TYPE_DATA &&
      sta?.hdrTrans != null &&
      !sta.hdrTrans.noRxTrans &&
      h.regs.bits(R.MDP_DCR0, MDP_DCR0_RX_HDR_TRANS_EN);
    let body = frame;
    // Decrypt straight into the RX packet, except when the plaintext is needed first (header translation).
    let inPlace = false;
    if (key) {
      if (trans) {
        const tmp = new Uint8Array(frame.length - CCMP_HDR_LEN - CCMP_MIC_LEN);
        dw1 |= this.decryptInto(key, frame, hl, pn, tmp, 0) ? DW1_SEC_DONE : DW1_ICV_ERR;
        if (dw1 & DW1_SEC_DONE) {
          tmp.set(frame.subarray(0, hl));
          body = tmp;
        }
      } else inPlace = true;
    }
    const eth = trans && (dw1 & DW1_SEC_DONE || !(fc & FC_PROTECTED)) ? toEthernet(body, hl) : null;
    const g1 = pn >= 0;
    const g4 = eth !== null;
    const g5 = h.regs.bits(R.DMA_DCR0, DMA_DCR0_RXD_G5_EN);
    const groupsLen = (g4 ? 16 : 0) + (g1 ? 16 : 0) + 8 + 8 + (g5 ? 72 : 0);
    // GUESS: HDR_OFFSET = 1 (2 pad bytes before the header) when the 802.11 header is not a multiple of 4, so the
    // frame body is 4-byte aligned; 0 for translated frames.
    const pad = !g4 && hl % 4 === 2 ? 1 : 0;
    const payloadOff = 24 + groupsLen + pad * 2;
    const maxLen = payloadOff + (eth ?? body).length;
    const p = allocRxPacket(maxLen, PKT_TYPE_NORMAL);
    let payloadLen: number;
    if (eth) {
      p.set(eth, payloadOff);
      payloadLen = eth.length;
    } else if (inPlace && this.decryptInto(key!, frame, hl, pn, p, payloadOff + hl)) {
      // Header kept as received (Protected bit still set), IV and MIC stripped.
      p.set(frame.subarray(0, hl), payloadOff);
      payloadLen = frame.length - CCMP_HDR_LEN - CCMP_MIC_LEN;
      dw1 |= DW1_SEC_DONE;
    } else {
      if (inPlace) dw1 |= DW1_ICV_ERR;
      p.set(body, payloadOff);
      payloadLen = body.length;
    }
    const len = payloadOff + payloadLen;
    putLe32(p, 0, rxDw0(len, PKT_TYPE_NORMAL));
    dw1 |= DW1_GROUP_2 | DW1_GROUP_3 | (g1 ? DW1_GROUP_1 : 0) | (g4 ? DW1_GROUP_4 : 0) | (g5 ? DW1_GROUP_5 : 0);
    putLe32(p, 4, dw1 >>> 0);
    let dw2 = ((hl / 2) & 0x1f) << 8; // GUESS: header length in 2-byte units (the field is 5 bits wide)
    dw2 |= pad << 14;
    if (g4) dw2 |= 1 << 13;
    dw2 |= (qosTid(frame) & 0xf) << 16;
    if (fc & FC_MOREFRAG || (frame.length >= 24 && (frame[22]! & 0xf) !== 0)) dw2 |= 1 << 27;
    if (type === FC_TYPE_DATA && fcSubtype(fc) & 0x4) dw2 |= 1 << 28; // null (no data) frame
    if (type !== FC_TYPE_DATA) dw2 |= 1 << 29; // NDATA. GUESS: set for every non-data frame
    dw2 |= 1 << 30; // NON_AMPDU: no aggregation is modelled
    putLe32(p, 8, dw2 >>> 0);
    let addrType = 1;
    if (frame.length >= 10 && isGroupAddr(frame, 4)) addrType = frame[4] === 0xff && frame[9] === 0xff ? 3 : 2;
    // GUESS: ADDR_TYPE 2 multicast, 3 broadcast (FACTS names only 1 = unicast to me).
    putLe32(p, 12, ((chFreqCode(info.channel) & 0xff) << 8) | (addrType << 16));
    let o = 24;
    if (g4) {
      putLe16(p, o, fc);
      p.set(frame.subarray(10, 16), o + 2); // TA
      putLe16(p, o + 8, frame[22]! | (frame[23]! << 8));
      if (isQosData(fc)) putLe16(p, o + 10, frame[hl - 2]! | (frame[hl - 1]! << 8));
      o += 16;
    }
    if (g1) {
      for (let i = 0; i < 6; i++) p[o + i] = Math.floor(pn / 2 ** (8 * i)) & 0xff;
      o += 16;
    }
    putLe32(p, o, Math.floor(h.clock.now() * 1000) >>> 0); // group 2: timestamp in µs
    o += 8;
    putLe32(p, o, prxvDw0(info.rate));
    const rcpi = rcpiFromDbm(info.rssiDbm);
    // Two chains (nss 2, antenna mask 0x3); chains 2 and 3 do not exist on this chip.
    putLe32(p, o + 4, rcpi | (rcpi << 8));
    o += 8;
    if (g5) putLe32(p, o + 24, rcpi | (rcpi << 8)); // §7.3: the driver takes RCPI from group 5's 7th DW
    c.rxFrames++;
    c.rxBytes += payloadLen;
    h.deliverRx(len === maxLen ? p : p.subarray(0, len + rxTailPadding(len)));
  }

  private decryptInto(key: KeyEntry, f: Uint8Array, hl: number, pn: number, out: Uint8Array, off: number): boolean {
    const plain = ccmpDecrypt(key.key, f, hl, pn, f.subarray(hl + CCMP_HDR_LEN));
    const ok = plain !== null;
    if (plain) {
      out.set(plain, off);
      this.host.counters.rxDecrypted++;
    }
    // GUESS: on a MIC failure the frame is passed up still encrypted, with ICV error set and no SEC_DONE.
    else this.host.counters.rxIcvErrors++;
    return ok;
  }

  /**
   * Hardware CCMP (§7.3): SEC_MODE and KEY_ID, the key to decrypt with and the PN; or the CM flag when the installed
   * key is not CCMP, CLM when the frame is too short for IV + MIC. No key for the frame: SEC_MODE 0, delivered as it
   * came for software decryption. Success (SEC_DONE) or a MIC failure (ICV error) is decided when decrypting.
   */
  private secPlan(
    f: Uint8Array,
    hl: number,
    sta: StaRecord | undefined,
  ): { flags: number; key: KeyEntry | null; pn: number } {
    const c = this.host.counters;
    const none = { flags: 0, key: null, pn: -1 };
    if (f.length < hl + 4) return none;
    const keyId = f[hl + 3]! >> 6;
    const key = isGroupAddr(f, 4) ? this.groupKey(keyId, sta) : sta?.keys.get(keyId);
    if (!key) return none;
    const flags = ((SEC_MODE_BY_CIPHER[key.cipher] ?? 0) << 16) | ((keyId & 3) << 21);
    // GUESS/limitation: only CCMP-128 is decrypted; a key of another cipher, or a CCMP key and a frame without ExtIV,
    // gives the frame undecrypted with CM (cipher mismatch).
    if (key.cipher !== CIPHER.AES_CCMP || key.key.length !== 16 || (f[hl + 3]! & 0x20) === 0) {
      c.rxCipherMismatch++;
      return { flags: flags | DW1_CM, key: null, pn: -1 };
    }
    if (f.length < hl + CCMP_HDR_LEN + CCMP_MIC_LEN) {
      c.rxCipherMismatch++;
      return { flags: flags | DW1_CLM, key: null, pn: -1 };
    }
    return { flags, key, pn: readCcmpPn(f, hl) };
  }

  /** Group key `keyId` of the BSS the transmitter belongs to (installed on the interface's own wcid). */
  private groupKey(keyId: number, sta: StaRecord | undefined): KeyEntry | undefined {
    const st = this.host.state;
    const bss = sta ? st.bsses.get(sta.bssIdx) : undefined;
    const own = bss ? st.stas.get(bss.bmcWcid) : undefined;
    if (own?.keys.has(keyId)) return own.keys.get(keyId);
    // GUESS: otherwise any wcid of the same BSS other than the peer's pairwise entry that holds this key id.
    for (const s of st.stas.values())
      if (s !== sta && s.bssIdx === (sta?.bssIdx ?? s.bssIdx) && s.keys.has(keyId)) return s.keys.get(keyId);
    return undefined;
  }
}

/** 802.11 data (+LLC/SNAP) → 802.3 (DA, SA, EtherType, payload); null when there is no SNAP header. */
function toEthernet(f: Uint8Array, hl: number): Uint8Array | null {
  const fc = frameControl(f);
  if (f.length < hl + 8) return null;
  const snap = f[hl] === 0xaa && f[hl + 1] === 0xaa && f[hl + 2] === 0x03 && f[hl + 3] === 0 && f[hl + 4] === 0;
  if (!snap || (f[hl + 5] !== 0 && f[hl + 5] !== 0xf8)) return null;
  const toDs = (fc & FC_TODS) !== 0;
  const fromDs = (fc & FC_FROMDS) !== 0;
  const daOff = toDs ? 16 : 4;
  const saOff = fromDs ? (toDs ? 24 : 16) : 10;
  const out = new Uint8Array(14 + f.length - hl - 8);
  out.set(f.subarray(daOff, daOff + 6), 0);
  out.set(f.subarray(saOff, saOff + 6), 6);
  out[12] = f[hl + 6]!;
  out[13] = f[hl + 7]!;
  out.set(f.subarray(hl + 8), 14);
  return out;
}
