/**
 * The UNI record commands the firmware keeps state from (FACTS.md §6.5–§6.8): DEV_INFO_UPDATE (interfaces),
 * BSS_INFO_UPDATE (BSSes, their operating channel), STA_REC_UPDATE (stations, WTBL settings, KEY_V2 keys).
 * Each returns the UNI result status; lengths are checked TLV by TLV and a malformed command changes nothing.
 */
import type { RadioChannel } from './radio.ts';
import type { BssRecord, ChipState, StaRecord } from './state.ts';
import { le16, le32 } from './wire.ts';

export const UNI_OK = 0;
/** FACTS.md §5.5 names 0xc0000001 "WLAN failure" (tolerated by the driver when deactivating a BSS). */
// GUESS: the firmware uses the same code for every refused UNI command (malformed, unknown, inconsistent).
export const UNI_FAIL = 0xc0000001;

interface Tlv {
  tag: number;
  body: Uint8Array;
}

/** Splits `p` from `off` into TLVs {tag le16, len le16 (including the 4-byte header)}; null when malformed. */
export function splitTlvs(p: Uint8Array, off: number): Tlv[] | null {
  const out: Tlv[] = [];
  while (off < p.length) {
    if (off + 4 > p.length) return null;
    const tag = le16(p, off);
    const len = le16(p, off + 2);
    if (len < 4 || off + len > p.length) return null;
    out.push({ tag, body: p.subarray(off + 4, off + len) });
    off += len;
  }
  return out;
}

/** nl80211 band numbering of BSS_INFO RLM (0 2.4, 1 5, 3 6 GHz). */
const NL_BANDS: Record<number, RadioChannel['band']> = { 0: '2g', 1: '5g', 3: '6g' };
/** CMD_CBW values (FACTS.md §6.4). */
const CBW_MHZ: Record<number, 20 | 40 | 80 | 160> = { 0: 20, 1: 40, 2: 80, 3: 160 };

export function cbwToWidth(bw: number): 20 | 40 | 80 | 160 {
  return CBW_MHZ[bw] ?? 20;
}

/** DEV_INFO_UPDATE: {omac_idx, band_idx, pad le16} + TLV ACTIVE {active, link_idx, omac_addr[6]}. */
export function devInfoUpdate(state: ChipState, p: Uint8Array): number {
  if (p.length < 4) return UNI_FAIL;
  const tlvs = splitTlvs(p, 4);
  if (!tlvs || tlvs.length === 0) return UNI_FAIL;
  const omacIdx = p[0]!;
  const bandIdx = p[1]!;
  for (const t of tlvs) {
    if (t.tag !== 0) continue; // GUESS: other DEV_INFO tags are accepted and ignored
    if (t.body.length < 8) return UNI_FAIL;
    state.vifs.set(omacIdx, {
      omacIdx,
      bandIdx,
      active: t.body[0] !== 0,
      linkIdx: t.body[1]!,
      addr: t.body.slice(2, 8),
    });
  }
  return UNI_OK;
}

export interface BssInfoResult {
  status: number;
  /** The RLM TLV named a channel for an active BSS. */
  channel: RadioChannel | null;
}

/** BSS_INFO_UPDATE: {bss_idx, pad[3]} + TLVs (BASIC, RLM, QBSS recorded; every TLV kept raw). */
export function bssInfoUpdate(state: ChipState, p: Uint8Array): BssInfoResult {
  const fail = { status: UNI_FAIL, channel: null };
  if (p.length < 4) return fail;
  const tlvs = splitTlvs(p, 4);
  if (!tlvs || tlvs.length === 0) return fail;
  const bssIdx = p[0]!;
  // Validate every TLV before changing anything.
  for (const t of tlvs) {
    if (t.tag === 0 && t.body.length < 28) return fail;
    if (t.tag === 2 && t.body.length < 12) return fail;
    if (t.tag === 15 && t.body.length < 4) return fail;
  }
  let bss = state.bsses.get(bssIdx);
  const basic = tlvs.find((t) => t.tag === 0);
  if (basic) {
    const b = basic.body;
    const active = b[0] !== 0;
    // GUESS: deactivating a BSS the firmware does not know answers WLAN failure (FACTS: tolerated by the driver).
    if (!active && !bss?.active) return fail;
    bss = {
      ...(bss ?? emptyBss(bssIdx)),
      active,
      omacIdx: b[1]!,
      bandIdx: b[3]!,
      connType: le32(b, 4),
      connState: b[8]!,
      wmmIdx: b[9]!,
      bssid: b.slice(10, 16),
      bmcWcid: le16(b, 16),
      bcnInterval: le16(b, 18),
      dtimPeriod: b[20]!,
      staIdx: le16(b, 22),
    };
  }
  // GUESS: TLVs for a BSS never announced with BASIC are refused.
  if (!bss) return fail;
  state.bsses.set(bssIdx, bss);
  let channel: RadioChannel | null = null;
  for (const t of tlvs) {
    bss.tlvs.set(t.tag, t.body.slice());
    if (t.tag === 15) bss.qos = t.body[0] !== 0;
    if (t.tag === 2) {
      const band = NL_BANDS[t.body[9]!];
      if (!band) return { status: UNI_FAIL, channel: null };
      bss.channel = { band, number: t.body[0]!, width: cbwToWidth(t.body[3]!) };
      if (bss.active) channel = bss.channel;
    }
  }
  return { status: UNI_OK, channel };
}

function emptyBss(bssIdx: number): BssRecord {
  return {
    bssIdx,
    active: false,
    omacIdx: 0,
    bandIdx: 0,
    connType: 0,
    connState: 0,
    wmmIdx: 0,
    bssid: new Uint8Array(6),
    bmcWcid: 0,
    staIdx: 0,
    bcnInterval: 0,
    dtimPeriod: 0,
    qos: false,
    channel: null,
    tlvs: new Map(),
  };
}

const TAG_BASIC = 0;
const TAG_WTBL = 13;
const TAG_KEY_V2 = 17;
const SEC_KEY_LEN = 36;

/**
 * STA_REC_UPDATE: header {bss_idx, wlan_idx_lo, tlv_num le16, is_tlv_append, muar_idx, wlan_idx_hi, rsv} + TLVs.
 */
export function staRecUpdate(state: ChipState, p: Uint8Array): number {
  if (p.length < 8) return UNI_FAIL;
  const tlvs = splitTlvs(p, 8);
  if (!tlvs) return UNI_FAIL;
  // GUESS: the firmware walks exactly tlv_num TLVs; a count that disagrees with the bytes is refused.
  if (le16(p, 2) !== tlvs.length) return UNI_FAIL;
  const wcid = p[1]! | (p[6]! << 8);
  for (const t of tlvs) {
    if (t.tag === TAG_BASIC && t.body.length < 16) return UNI_FAIL;
    if (t.tag === TAG_KEY_V2 && !validKeyTlv(t.body)) return UNI_FAIL;
    if (t.tag === TAG_WTBL && (t.body.length < 8 || !splitTlvs(t.body, 8))) return UNI_FAIL;
  }
  let sta = state.stas.get(wcid);
  const basic = tlvs.find((t) => t.tag === TAG_BASIC);
  if (basic) {
    const b = basic.body;
    const connState = b[4]!;
    if (connState === 0) {
      // GUESS: a disconnect removes the station and its keys from the firmware's table.
      state.stas.delete(wcid);
      return UNI_OK;
    }
    sta = {
      ...(sta ?? emptySta(wcid)),
      bssIdx: p[0]!,
      muarIdx: p[5]!,
      connType: le32(b, 0),
      connState,
      qos: b[5] !== 0,
      aid: le16(b, 6),
      peer: b.slice(8, 14),
    };
  }
  // GUESS: a record without BASIC for an unknown wcid (e.g. the group key on the interface's own wcid) creates it.
  if (!sta) sta = { ...emptySta(wcid), bssIdx: p[0]!, muarIdx: p[5]! };
  state.stas.set(wcid, sta);
  for (const t of tlvs) {
    sta.tlvs.set(t.tag, t.body.slice());
    if (t.tag === TAG_KEY_V2) applyKeys(sta, t.body);
    if (t.tag === TAG_WTBL) applyWtbl(sta, t.body);
  }
  return UNI_OK;
}

function emptySta(wcid: number): StaRecord {
  return {
    wcid,
    bssIdx: 0,
    muarIdx: 0,
    connType: 0,
    connState: 1,
    qos: false,
    aid: 0,
    peer: new Uint8Array(6),
    keys: new Map(),
    hdrTrans: null,
    tlvs: new Map(),
  };
}

/** KEY_V2: {add, n_cipher, rsv[2]} + n × {cipher_id, cipher_len, key_id, key_len, key[32]} (FACTS.md §6.8). */
function validKeyTlv(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const n = b[1]!;
  if (n > 2 || b.length < 4 + n * SEC_KEY_LEN) return false;
  for (let i = 0; i < n; i++) {
    const k = 4 + i * SEC_KEY_LEN;
    if (b[k + 3]! > 32) return false;
  }
  return true;
}

function applyKeys(sta: StaRecord, b: Uint8Array): void {
  const add = b[0] === 0; // mac80211 set_key_cmd: 0 SET_KEY, 1 DISABLE_KEY
  const n = b[1]!;
  if (!add && n === 0) {
    sta.keys.clear();
    return;
  }
  for (let i = 0; i < n; i++) {
    const k = 4 + i * SEC_KEY_LEN;
    const keyId = b[k + 2]!;
    if (!add) {
      sta.keys.delete(keyId);
      continue;
    }
    sta.keys.set(keyId, { cipher: b[k]!, keyId, key: b.slice(k + 4, k + 4 + b[k + 3]!), txPn: 1 });
  }
}

/** WTBL: wtbl_req_hdr {wlan_idx_lo, operation, tlv_num le16, wlan_idx_hi, rsv[3]} + nested TLVs. */
function applyWtbl(sta: StaRecord, b: Uint8Array): void {
  const nested = splitTlvs(b, 8) ?? [];
  for (const t of nested) {
    if (t.tag === 6 && t.body.length >= 3) {
      sta.hdrTrans = { toDs: t.body[0] !== 0, fromDs: t.body[1] !== 0, noRxTrans: t.body[2] !== 0 };
    }
  }
}
