/**
 * Software CCMP (802.11-2020 12.5.3): encapsulate and decapsulate whole MPDUs in place, the AAD and nonce
 * construction, the CCMP header, a transmit PN per key and receive PNs per TID with replay detection, as Linux's
 * net/mac80211/wpa.c (ccmp_gcmp_aad, ccmp_special_blocks, ieee80211_crypto_ccmp_decrypt).
 *
 * MPDU layout:  802.11 header | CCMP header (8) | data | MIC (8; 16 for CCMP-256)
 * CCMP header:  PN0 PN1 rsvd (KeyID << 6 | ExtIV 0x20) PN2 PN3 PN4 PN5
 */
import type { SkBuff } from '../../netstack/core/skb.ts';
import { hdrLen } from '../frame/fc.ts';
import { AesCcm, type CcmJob, newCcmJob } from './aes-ccm.ts';
import { Cipher } from './suites.ts';

export const CCMP_HDR_LEN = 8;
export const CCMP_MIC_LEN = 8;
export const CCMP_256_MIC_LEN = 16;
export const CCMP_PN_MAX = 2 ** 48 - 1;
export const IEEE80211_NUM_TIDS = 16;
/** Frames per keystream call in decryptBatch (a NAPI poll's weight). */
export const CCMP_BATCH_MAX = 64;
const EMPTY = new Uint8Array(0);
/** Index of the receive PN used for (robust) management frames; non-QoS data frames use TID 0's, as Linux. */
export const CCMP_MGMT_PN_INDEX = IEEE80211_NUM_TIDS;

const FC1_TODS = 0x01;
const FC1_FROMDS = 0x02;
const FC1_RETRY = 0x08;
const FC1_PM = 0x10;
const FC1_MOREDATA = 0x20;
const FC1_PROTECTED = 0x40;
const FC1_ORDER = 0x80;

/**
 * Length of the 802.11 header of an MPDU from its Frame Control (Linux's ieee80211_hdrlen), or 0 for frames CCMP
 * cannot protect (control and extension frames).
 */
export function ieee80211HdrLen(fc0: number, fc1: number): number {
  const type = (fc0 >> 2) & 3;
  return type === 0 || type === 2 ? hdrLen(fc0 | (fc1 << 8)) : 0;
}

export interface CcmpHeader {
  pn: number;
  keyId: number;
  extIv: boolean;
}

/** Read a CCMP header at `off` (null when fewer than 8 bytes). */
export function parseCcmpHeader(buf: Uint8Array, off: number): CcmpHeader | null {
  if (off < 0 || off + CCMP_HDR_LEN > buf.length) return null;
  return { pn: ccmpHeaderPn(buf, off), keyId: buf[off + 3]! >> 6, extIv: (buf[off + 3]! & 0x20) !== 0 };
}

export function ccmpHeaderPn(buf: Uint8Array, off: number): number {
  return (
    buf[off]! +
    buf[off + 1]! * 0x100 +
    buf[off + 4]! * 0x10000 +
    buf[off + 5]! * 0x1000000 +
    buf[off + 6]! * 0x100000000 +
    buf[off + 7]! * 0x10000000000
  );
}

export function writeCcmpHeader(buf: Uint8Array, off: number, pn: number, keyId: number): void {
  buf[off] = pn & 0xff;
  buf[off + 1] = (pn >>> 8) & 0xff;
  buf[off + 2] = 0;
  buf[off + 3] = 0x20 | ((keyId & 3) << 6);
  const hi = Math.floor(pn / 0x10000);
  buf[off + 4] = hi & 0xff;
  buf[off + 5] = (hi >>> 8) & 0xff;
  buf[off + 6] = (hi >>> 16) & 0xff;
  buf[off + 7] = Math.floor(hi / 0x1000000) & 0xff;
}

/**
 * The CCMP AAD of the MPDU at `off` (without its 2-byte length prefix) into `aad` (at least 30 bytes); returns
 * (aadLen << 8) | nonceFlags. FC: subtype bits 4-6 cleared in data frames, Retry/PwrMgt/MoreData cleared, Protected
 * set, Order cleared in QoS data; A1 A2 A3; SC with the sequence number masked (fragment number kept); A4; QC with
 * only the TID (and the A-MSDU Present bit when both ends are SPP A-MSDU capable). Nonce flags: TID | mgmt << 4.
 */
export function ccmpAad(buf: Uint8Array, off: number, aad: Uint8Array, sppAmsdu = false): number {
  const fc0 = buf[off]!;
  const fc1 = buf[off + 1]!;
  const mgmt = ((fc0 >> 2) & 3) === 0;
  const qos = !mgmt && (fc0 & 0x80) !== 0;
  const a4 = !mgmt && (fc1 & (FC1_TODS | FC1_FROMDS)) === (FC1_TODS | FC1_FROMDS);
  aad[0] = mgmt ? fc0 : fc0 & ~0x70;
  let f1 = (fc1 & ~(FC1_RETRY | FC1_PM | FC1_MOREDATA)) | FC1_PROTECTED;
  if (qos) f1 &= ~FC1_ORDER;
  aad[1] = f1;
  for (let i = 0; i < 18; i++) aad[2 + i] = buf[off + 4 + i]!;
  aad[20] = buf[off + 22]! & 0x0f;
  aad[21] = 0;
  let len = 22;
  if (a4) {
    for (let i = 0; i < 6; i++) aad[22 + i] = buf[off + 24 + i]!;
    len = 28;
  }
  let tid = 0;
  if (qos) {
    const qc = buf[off + (a4 ? 30 : 24)]!;
    tid = qc & 0x0f;
    aad[len] = sppAmsdu ? qc & 0x8f : tid;
    aad[len + 1] = 0;
    len += 2;
  }
  return (len << 8) | tid | (mgmt ? 0x10 : 0);
}

/** Nonce = flags | A2 | PN (PN5 first) into `nonce` (13 bytes). */
export function ccmpNonce(nonce: Uint8Array, flags: number, buf: Uint8Array, off: number, pn: number): void {
  nonce[0] = flags;
  for (let i = 0; i < 6; i++) nonce[1 + i] = buf[off + 10 + i]!;
  const hi = Math.floor(pn / 0x100000000);
  nonce[7] = (hi >>> 8) & 0xff;
  nonce[8] = hi & 0xff;
  nonce[9] = (pn >>> 24) & 0xff;
  nonce[10] = (pn >>> 16) & 0xff;
  nonce[11] = (pn >>> 8) & 0xff;
  nonce[12] = pn & 0xff;
}

/** Outcome of a decapsulation: 0 is success, anything else a drop reason. */
export const CcmpResult = {
  OK: 0,
  /** Not a protected data/management MPDU, or too short for header + CCMP header + MIC. */
  FORMAT: 1,
  /** ExtIV bit clear: not a CCMP (or TKIP) header. */
  NO_EXTIV: 2,
  /** The Key ID does not name this key. */
  KEY_ID: 3,
  /** PN not above the last accepted PN for this TID. */
  REPLAY: 4,
  /** MIC did not verify (wrong key, corruption, forgery). */
  MIC: 5,
} as const;
export type CcmpResultCode = (typeof CcmpResult)[keyof typeof CcmpResult];

export const CCMP_RESULT_NAMES = ['ok', 'format', 'no-extiv', 'key-id', 'replay', 'mic'] as const;

/** Counters in the spirit of dot11RSNAStatsCCMP{FormatErrors,Replays,DecryptErrors}. */
export interface CcmpStats {
  encrypted: number;
  decrypted: number;
  formatErrors: number;
  noExtIv: number;
  keyIdMismatch: number;
  replays: number;
  micFailures: number;
}

/** Decrypt failures by reason, for reports. */
export function ccmpFailures(s: CcmpStats): Record<string, number> {
  return {
    format: s.formatErrors,
    'no-extiv': s.noExtIv,
    'key-id': s.keyIdMismatch,
    replay: s.replays,
    mic: s.micFailures,
  };
}

export interface CcmpKeyOptions {
  /** 0..3 (4..5 for IGTK-protected frames do not use CCMP). */
  keyIdx?: number;
  /** Cipher.CCMP (default) or Cipher.CCMP_256. */
  cipher?: number;
  /** Receive sequence counter at installation (the Key RSC): frames must carry a larger PN. */
  rxPn?: number;
  /** Both ends negotiated SPP A-MSDU: the A-MSDU Present bit is protected. */
  sppAmsdu?: boolean;
  /**
   * Drop frames whose PN does not increase (default true). Only a passive decoder of a capture (the airdecap-ng
   * job, which keeps retransmissions) turns it off; a station or AP never does.
   */
  replayCheck?: boolean;
}

/**
 * One installed CCMP temporal key: the cipher state, the transmit PN, the receive PN per TID (16 TIDs plus one for
 * management frames) and the counters. Like Linux's struct ieee80211_key with its u.ccmp part.
 */
export class CcmpKey {
  readonly keyIdx: number;
  readonly cipher: number;
  readonly micLen: number;
  readonly sppAmsdu: boolean;
  readonly replayCheck: boolean;
  /** Last PN used for transmission (the next frame uses txPn + 1). */
  txPn = 0;
  /** Last accepted PN per TID; index 16 for management frames. */
  readonly rxPn = new Float64Array(IEEE80211_NUM_TIDS + 1);
  /** PN and replay index of the last frame decapsulated (valid after a call; read by defragmentation). */
  lastPn = 0;
  lastPnIndex = 0;
  readonly stats: CcmpStats = {
    encrypted: 0,
    decrypted: 0,
    formatErrors: 0,
    noExtIv: 0,
    keyIdMismatch: 0,
    replays: 0,
    micFailures: 0,
  };
  private readonly ccm: AesCcm;
  private readonly aad = new Uint8Array(32);
  private readonly nonce = new Uint8Array(13);
  private readonly jobs: CcmJob[] = Array.from({ length: CCMP_BATCH_MAX }, newCcmJob);
  private readonly batchSlot = new Int32Array(CCMP_BATCH_MAX);
  private readonly batchPn = new Float64Array(CCMP_BATCH_MAX);
  private readonly batchIndex = new Uint8Array(CCMP_BATCH_MAX);

  constructor(tk: Uint8Array, opts: CcmpKeyOptions = {}) {
    this.cipher = opts.cipher ?? Cipher.CCMP;
    const want = this.cipher === Cipher.CCMP_256 ? 32 : 16;
    if (this.cipher !== Cipher.CCMP && this.cipher !== Cipher.CCMP_256) {
      throw new RangeError('CcmpKey: cipher must be CCMP or CCMP-256');
    }
    if (tk.length !== want) throw new RangeError(`CcmpKey: TK must be ${want} bytes (got ${tk.length})`);
    this.keyIdx = opts.keyIdx ?? 0;
    this.micLen = this.cipher === Cipher.CCMP_256 ? CCMP_256_MIC_LEN : CCMP_MIC_LEN;
    this.sppAmsdu = opts.sppAmsdu ?? false;
    this.replayCheck = opts.replayCheck ?? true;
    this.ccm = new AesCcm(tk, this.micLen);
    this.rxPn.fill(opts.rxPn ?? 0);
  }

  /** The next transmit PN (increments; throws when the 48-bit PN space is exhausted: the key must be replaced). */
  nextTxPn(): number {
    if (this.txPn >= CCMP_PN_MAX) throw new Error('CCMP PN exhausted: rekey required');
    return ++this.txPn;
  }

  /**
   * Encapsulate in place. buf[off, off+len) is: 802.11 header | 8 bytes for the CCMP header | plaintext | micLen
   * bytes for the MIC. Sets the Protected bit, writes the CCMP header with `pn` (default: the next transmit PN)
   * and encrypts. Returns the PN used.
   */
  encrypt(buf: Uint8Array, off: number, len: number, pn = this.nextTxPn()): number {
    const hdrLen = ieee80211HdrLen(buf[off]!, buf[off + 1]!);
    const dataOff = off + hdrLen + CCMP_HDR_LEN;
    const dataLen = len - hdrLen - CCMP_HDR_LEN - this.micLen;
    if (hdrLen === 0 || dataLen < 0) throw new RangeError('CCMP encrypt: not a data/management MPDU with room');
    buf[off + 1]! |= FC1_PROTECTED;
    writeCcmpHeader(buf, off + hdrLen, pn, this.keyIdx);
    const fa = ccmpAad(buf, off, this.aad, this.sppAmsdu);
    ccmpNonce(this.nonce, fa & 0xff, buf, off, pn);
    this.ccm.encrypt(this.nonce, this.aad, fa >> 8, buf, dataOff, dataLen, dataOff + dataLen);
    this.stats.encrypted++;
    return pn;
  }

  /**
   * Decapsulate in place: on success the data between the CCMP header and the MIC is plaintext (the header and
   * MIC stay; see ccmpDecryptSkb to strip them). Checks the format, Key ID and replay (per TID) before the MIC,
   * and accepts the PN only after the MIC verified. Never throws on bad input; on failure buf is unchanged.
   */
  decrypt(buf: Uint8Array, off: number, len: number): CcmpResultCode {
    const r = this.prepare(buf, off, len, 0);
    if (r !== CcmpResult.OK) return r;
    const job = this.jobs[0]!;
    job.ok = this.ccm.decrypt(job.nonce, job.aad, job.aadLen, buf, job.off, job.len, job.tagOff);
    return this.finish(0);
  }

  /**
   * Decapsulate several MPDUs (a NAPI poll's worth) with one keystream computation: results[i] gets frame i's
   * CcmpResult. Frames are judged in order, exactly as by decrypt() one after the other (a frame whose PN is not
   * above an earlier accepted frame of the same TID in the batch is a replay; its bytes may then be decrypted but
   * it must be dropped). Other failures leave the frame's bytes unchanged.
   */
  decryptBatch(
    bufs: readonly Uint8Array[],
    offs: ArrayLike<number>,
    lens: ArrayLike<number>,
    results: Uint8Array,
    count = bufs.length,
  ): void {
    for (let start = 0; start < count; start += CCMP_BATCH_MAX) {
      const end = Math.min(count, start + CCMP_BATCH_MAX);
      let n = 0;
      for (let i = start; i < end; i++) {
        const r = this.prepare(bufs[i]!, offs[i]!, lens[i]!, n);
        results[i] = r;
        if (r === CcmpResult.OK) this.batchSlot[n++] = i;
      }
      if (n === 0) continue;
      this.ccm.decryptBatch(this.jobs, n);
      for (let k = 0; k < n; k++) results[this.batchSlot[k]!] = this.finish(k);
    }
  }

  /** Checks before the cryptography; fills job `slot`. */
  private prepare(buf: Uint8Array, off: number, len: number, slot: number): CcmpResultCode {
    if (len < 24 || off < 0 || off + len > buf.length) return this.fail(CcmpResult.FORMAT);
    const fc1 = buf[off + 1]!;
    const hdrLen = ieee80211HdrLen(buf[off]!, fc1);
    if (hdrLen === 0 || !(fc1 & FC1_PROTECTED) || len < hdrLen + CCMP_HDR_LEN + this.micLen) {
      return this.fail(CcmpResult.FORMAT);
    }
    const h = off + hdrLen;
    const b3 = buf[h + 3]!;
    if (!(b3 & 0x20)) return this.fail(CcmpResult.NO_EXTIV);
    if (b3 >> 6 !== this.keyIdx) return this.fail(CcmpResult.KEY_ID);
    const pn = ccmpHeaderPn(buf, h);
    const job = this.jobs[slot]!;
    const fa = ccmpAad(buf, off, job.aad, this.sppAmsdu);
    const index = fa & 0x10 ? CCMP_MGMT_PN_INDEX : fa & 0x0f;
    this.lastPn = pn;
    this.lastPnIndex = index;
    if (pn <= this.rxPn[index]! && this.replayCheck) return this.fail(CcmpResult.REPLAY);
    ccmpNonce(job.nonce, fa & 0xff, buf, off, pn);
    job.aadLen = fa >> 8;
    job.buf = buf;
    job.off = h + CCMP_HDR_LEN;
    job.len = len - hdrLen - CCMP_HDR_LEN - this.micLen;
    job.tagOff = job.off + job.len;
    this.batchPn[slot] = pn;
    this.batchIndex[slot] = index;
    return CcmpResult.OK;
  }

  /** Verdict after the cryptography of job `slot`: the replay check against frames accepted since, then the MIC. */
  private finish(slot: number): CcmpResultCode {
    const job = this.jobs[slot]!;
    job.buf = EMPTY;
    const pn = this.batchPn[slot]!;
    const index = this.batchIndex[slot]!;
    this.lastPn = pn;
    this.lastPnIndex = index;
    // Replay first, as decrypt() one frame at a time would see it after the earlier frames of the batch.
    if (pn <= this.rxPn[index]! && this.replayCheck) return this.fail(CcmpResult.REPLAY);
    if (!job.ok) return this.fail(CcmpResult.MIC);
    this.rxPn[index] = pn;
    this.stats.decrypted++;
    return CcmpResult.OK;
  }

  private fail(r: CcmpResultCode): CcmpResultCode {
    const s = this.stats;
    switch (r) {
      case CcmpResult.FORMAT:
        s.formatErrors++;
        break;
      case CcmpResult.NO_EXTIV:
        s.noExtIv++;
        break;
      case CcmpResult.KEY_ID:
        s.keyIdMismatch++;
        break;
      case CcmpResult.REPLAY:
        s.replays++;
        break;
      case CcmpResult.MIC:
        s.micFailures++;
        break;
    }
    return r;
  }
}

/** Encapsulate a plaintext MPDU (header | data) into a new buffer (header | CCMP header | ciphertext | MIC). */
export function ccmpEncryptMpdu(key: CcmpKey, plain: Uint8Array, pn?: number): Buffer {
  const hdrLen = ieee80211HdrLen(plain[0] ?? 0, plain[1] ?? 0);
  if (hdrLen === 0 || plain.length < hdrLen) throw new RangeError('CCMP: not a data/management MPDU');
  const out = Buffer.alloc(plain.length + CCMP_HDR_LEN + key.micLen);
  out.set(plain.subarray(0, hdrLen), 0);
  out.set(plain.subarray(hdrLen), hdrLen + CCMP_HDR_LEN);
  key.encrypt(out, 0, out.length, pn);
  return out;
}

/**
 * Decapsulate a protected MPDU into a new buffer (header | plaintext; the header keeps its Protected bit, as
 * mac80211 does, so that later checks can tell decrypted frames from plaintext ones).
 */
export function ccmpDecryptMpdu(
  key: CcmpKey,
  mpdu: Uint8Array,
): { result: CcmpResultCode; plain?: Buffer; pn?: number; keyId?: number } {
  const work = Buffer.from(mpdu);
  const result = key.decrypt(work, 0, work.length);
  if (result !== CcmpResult.OK) return { result };
  const hdrLen = ieee80211HdrLen(work[0]!, work[1]!);
  const out = Buffer.alloc(work.length - CCMP_HDR_LEN - key.micLen);
  work.copy(out, 0, 0, hdrLen);
  work.copy(out, hdrLen, hdrLen + CCMP_HDR_LEN, work.length - key.micLen);
  return { result, plain: out, pn: key.lastPn, keyId: work[hdrLen + 3]! >> 6 };
}

/**
 * Decapsulate the MPDU in `skb` (data at the 802.11 header) in place, then strip the CCMP header (the 802.11
 * header moves up 8 bytes, as Linux's memmove + skb_pull) and the MIC. On failure the skb is unchanged.
 */
export function ccmpDecryptSkb(key: CcmpKey, skb: SkBuff): CcmpResultCode {
  const r = key.decrypt(skb.buf, skb.data, skb.len);
  if (r === CcmpResult.OK) stripCcmp(key, skb);
  return r;
}

/**
 * Encapsulate the plaintext MPDU in `skb` in place: the 802.11 header moves down 8 bytes into the headroom to
 * make room for the CCMP header, and the MIC goes into the tailroom (reallocating only when either is short).
 * Returns the PN used.
 */
export function ccmpEncryptSkb(key: CcmpKey, skb: SkBuff, pn?: number): number {
  const hdrLen = ieee80211HdrLen(skb.buf[skb.data]!, skb.buf[skb.data + 1]!);
  if (hdrLen === 0 || skb.len < hdrLen) throw new RangeError('CCMP: not a data/management MPDU');
  skb.ensureRoom(CCMP_HDR_LEN, key.micLen);
  skb.push(CCMP_HDR_LEN);
  skb.buf.copyWithin(skb.data, skb.data + CCMP_HDR_LEN, skb.data + CCMP_HDR_LEN + hdrLen);
  skb.put(key.micLen);
  return key.encrypt(skb.buf, skb.data, skb.len, pn);
}

/**
 * Decapsulate a batch of skbs (all under this key) and strip CCMP header and MIC from those that pass; results[i]
 * gets skb i's CcmpResult. The RX path groups a poll's frames by key and calls this once per key.
 */
export function ccmpDecryptSkbBatch(key: CcmpKey, skbs: readonly SkBuff[], results: Uint8Array): void {
  const n = skbs.length;
  const bufs: Uint8Array[] = new Array(n);
  const offs = new Int32Array(n);
  const lens = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const skb = skbs[i]!;
    bufs[i] = skb.buf;
    offs[i] = skb.data;
    lens[i] = skb.len;
  }
  key.decryptBatch(bufs, offs, lens, results, n);
  for (let i = 0; i < n; i++) if (results[i] === CcmpResult.OK) stripCcmp(key, skbs[i]!);
}

function stripCcmp(key: CcmpKey, skb: SkBuff): void {
  const hdrLen = ieee80211HdrLen(skb.buf[skb.data]!, skb.buf[skb.data + 1]!);
  skb.trim(skb.len - key.micLen);
  skb.buf.copyWithin(skb.data + CCMP_HDR_LEN, skb.data, skb.data + hdrLen);
  skb.pull(CCMP_HDR_LEN);
}
