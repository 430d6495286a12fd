/**
 * Multi-Link element (802.11be-2024 9.4.2.312, element extension 107), decode only: the Multi-Link Control, the
 * Common Info of the Basic variant (what an MLD puts in beacons and association frames), and the Per-STA Profile
 * subelements with their STA Info. Other variants keep their common info raw. Encoding returns the body as it was
 * received (airstack does not build multi-link frames).
 */
import { fail, ok, type ParseResult } from '../parse.ts';
import { concatBytes } from './elements.ts';
import { type ElementCodec, u16le } from './codec.ts';
import { EID, EID_EXT } from './ids.ts';

export const ML_TYPE = { BASIC: 0, PROBE_REQUEST: 1, RECONFIGURATION: 2, TDLS: 3, PRIORITY_ACCESS: 4 } as const;

/** Presence bits of the Basic variant (in the Multi-Link Control, from bit 4). */
export const ML_BASIC_PRESENT = {
  LINK_ID: 0x0010,
  BSS_PARAMS_CHANGE_COUNT: 0x0020,
  MEDIUM_SYNC_DELAY: 0x0040,
  EML_CAPABILITIES: 0x0080,
  MLD_CAPABILITIES: 0x0100,
  AP_MLD_ID: 0x0200,
  EXT_MLD_CAPABILITIES: 0x0400,
} as const;

export interface MlBasicCommonInfo {
  mldMacAddress: Uint8Array;
  linkId: number | null;
  bssParamsChangeCount: number | null;
  mediumSyncDelay: number | null;
  emlCapabilities: number | null;
  mldCapabilities: number | null;
  apMldId: number | null;
  extMldCapabilities: number | null;
}

export const STA_CONTROL = {
  LINK_ID: 0x000f,
  COMPLETE_PROFILE: 0x0010,
  STA_MAC_PRESENT: 0x0020,
  BEACON_INTERVAL_PRESENT: 0x0040,
  TSF_OFFSET_PRESENT: 0x0080,
  DTIM_INFO_PRESENT: 0x0100,
  NSTR_LINK_PAIR_PRESENT: 0x0200,
  NSTR_BITMAP_SIZE: 0x0400,
  BSS_PARAMS_CHANGE_COUNT_PRESENT: 0x0800,
} as const;

export interface PerStaProfile {
  staControl: number;
  linkId: number;
  completeProfile: boolean;
  staMacAddress: Uint8Array | null;
  beaconInterval: number | null;
  tsfOffset: bigint | null;
  dtimInfo: { count: number; period: number } | null;
  nstrIndicationBitmap: number | null;
  bssParamsChangeCount: number | null;
  /** The STA profile after the STA Info: fixed fields of the carrying frame, then elements. */
  profile: Uint8Array;
}

export interface MultiLink {
  control: number;
  type: number;
  /** Presence bitmap (bits 4..15 of the control, shifted down). */
  presence: number;
  /** Common Info as sent, its length octet included. */
  commonInfo: Uint8Array;
  basic: MlBasicCommonInfo | null;
  /** Per-STA Profile subelements (ID 0) of a Basic element, reassembled when fragmented. */
  perStaProfiles: PerStaProfile[];
  /** Every subelement of the Link Info as (id, body), fragments reassembled. */
  subelements: { id: number; body: Uint8Array }[];
  raw: Uint8Array;
}

function basicCommon(c: Uint8Array, control: number): ParseResult<MlBasicCommonInfo> {
  let need = 7;
  for (const [bit, n] of [
    [ML_BASIC_PRESENT.LINK_ID, 1],
    [ML_BASIC_PRESENT.BSS_PARAMS_CHANGE_COUNT, 1],
    [ML_BASIC_PRESENT.MEDIUM_SYNC_DELAY, 2],
    [ML_BASIC_PRESENT.EML_CAPABILITIES, 2],
    [ML_BASIC_PRESENT.MLD_CAPABILITIES, 2],
    [ML_BASIC_PRESENT.AP_MLD_ID, 1],
    [ML_BASIC_PRESENT.EXT_MLD_CAPABILITIES, 2],
  ] as const)
    if (control & bit) need += n;
  if (c.length < need)
    return fail('bad-length', 0, `Basic Multi-Link common info of ${c.length} octets, presence bits need ${need}`);
  let p = 7;
  const take = (bit: number, n: 1 | 2): number | null => {
    if (!(control & bit)) return null;
    const v = n === 1 ? c[p] : u16le(c, p);
    p += n;
    return v;
  };
  return ok({
    mldMacAddress: c.subarray(1, 7),
    linkId: take(ML_BASIC_PRESENT.LINK_ID, 1),
    bssParamsChangeCount: take(ML_BASIC_PRESENT.BSS_PARAMS_CHANGE_COUNT, 1),
    mediumSyncDelay: take(ML_BASIC_PRESENT.MEDIUM_SYNC_DELAY, 2),
    emlCapabilities: take(ML_BASIC_PRESENT.EML_CAPABILITIES, 2),
    mldCapabilities: take(ML_BASIC_PRESENT.MLD_CAPABILITIES, 2),
    apMldId: take(ML_BASIC_PRESENT.AP_MLD_ID, 1),
    extMldCapabilities: take(ML_BASIC_PRESENT.EXT_MLD_CAPABILITIES, 2),
  });
}

function perSta(body: Uint8Array): ParseResult<PerStaProfile> {
  if (body.length < 3) return fail('bad-length', 0, `Per-STA Profile of ${body.length} octets (at least 3)`);
  const ctl = u16le(body, 0);
  const infoLen = body[2];
  if (infoLen < 1 || 2 + infoLen > body.length)
    return fail('bad-length', 2, `STA Info length ${infoLen} does not fit the ${body.length}-octet profile`);
  const info = body.subarray(2, 2 + infoLen);
  let p = 1;
  const need = (n: number) => p + n <= info.length;
  const prof: PerStaProfile = {
    staControl: ctl,
    linkId: ctl & STA_CONTROL.LINK_ID,
    completeProfile: (ctl & STA_CONTROL.COMPLETE_PROFILE) !== 0,
    staMacAddress: null,
    beaconInterval: null,
    tsfOffset: null,
    dtimInfo: null,
    nstrIndicationBitmap: null,
    bssParamsChangeCount: null,
    profile: body.subarray(2 + infoLen),
  };
  const short = () => fail('bad-length', 2, `STA Info of ${infoLen} octets is too short for its presence bits`);
  if (ctl & STA_CONTROL.STA_MAC_PRESENT) {
    if (!need(6)) return short();
    prof.staMacAddress = info.subarray(p, p + 6);
    p += 6;
  }
  if (ctl & STA_CONTROL.BEACON_INTERVAL_PRESENT) {
    if (!need(2)) return short();
    prof.beaconInterval = u16le(info, p);
    p += 2;
  }
  if (ctl & STA_CONTROL.TSF_OFFSET_PRESENT) {
    if (!need(8)) return short();
    prof.tsfOffset = new DataView(info.buffer, info.byteOffset + p, 8).getBigInt64(0, true);
    p += 8;
  }
  if (ctl & STA_CONTROL.DTIM_INFO_PRESENT) {
    if (!need(2)) return short();
    prof.dtimInfo = { count: info[p], period: info[p + 1] };
    p += 2;
  }
  if (ctl & STA_CONTROL.COMPLETE_PROFILE && ctl & STA_CONTROL.NSTR_LINK_PAIR_PRESENT) {
    const n = ctl & STA_CONTROL.NSTR_BITMAP_SIZE ? 2 : 1;
    if (!need(n)) return short();
    prof.nstrIndicationBitmap = n === 2 ? u16le(info, p) : info[p];
    p += n;
  }
  if (ctl & STA_CONTROL.BSS_PARAMS_CHANGE_COUNT_PRESENT) {
    if (!need(1)) return short();
    prof.bssParamsChangeCount = info[p];
  }
  return ok(prof);
}

/** Walk subelements, joining a 255-octet subelement with the Fragment subelements (ID 254) that follow it. */
function subelements(b: Uint8Array): ParseResult<{ id: number; body: Uint8Array }[]> {
  const out: { id: number; body: Uint8Array }[] = [];
  let p = 0;
  while (p < b.length) {
    if (p + 2 > b.length || p + 2 + b[p + 1] > b.length)
      return fail('element-overrun', p, `subelement ${b[p]} overruns the Multi-Link element`);
    const id = b[p];
    const parts = [b.subarray(p + 2, p + 2 + b[p + 1])];
    let full = b[p + 1] === 255;
    p += 2 + b[p + 1];
    while (full && p + 2 <= b.length && b[p] === 254 && p + 2 + b[p + 1] <= b.length) {
      parts.push(b.subarray(p + 2, p + 2 + b[p + 1]));
      full = b[p + 1] === 255;
      p += 2 + b[p + 1];
    }
    out.push({ id, body: parts.length === 1 ? parts[0] : concatBytes(parts) });
  }
  return ok(out);
}

export const multiLinkCodec: ElementCodec<MultiLink> = {
  name: 'Multi-Link',
  id: EID.EXTENSION,
  ext: EID_EXT.EHT_MULTI_LINK,
  decode(body) {
    if (body.length < 2) return fail('bad-length', 0, 'Multi-Link element without its control field');
    const control = u16le(body, 0);
    const type = control & 7;
    // The Basic, Probe Request and TDLS variants start their Common Info with its length.
    let commonLen: number;
    if (type === ML_TYPE.BASIC || type === ML_TYPE.PROBE_REQUEST || type === ML_TYPE.TDLS) {
      if (body.length < 3) return fail('bad-length', 2, 'Multi-Link element without its Common Info Length');
      commonLen = body[2];
      if (commonLen < 1 || 2 + commonLen > body.length)
        return fail('bad-length', 2, `Common Info length ${commonLen} does not fit the ${body.length}-octet element`);
    } else {
      // GUESS: Reconfiguration / Priority Access common info as Linux sizes it (no length octet).
      let n = 0;
      if (type === ML_TYPE.RECONFIGURATION) {
        if (control & 0x0010) n += 6;
        if (control & 0x0020) n += 2;
        if (control & 0x0040) n += 2;
        if (control & 0x0080) n += 2;
      } else if (type === ML_TYPE.PRIORITY_ACCESS) n = 7;
      if (2 + n > body.length) return fail('bad-length', 2, 'Multi-Link common info truncated');
      commonLen = n;
    }
    const commonInfo = body.subarray(2, 2 + commonLen);
    let basic: MlBasicCommonInfo | null = null;
    if (type === ML_TYPE.BASIC) {
      const r = basicCommon(commonInfo, control);
      if (!r.ok) return fail(r.reason, r.offset + 2, r.detail);
      basic = r.value;
    }
    const subs = subelements(body.subarray(2 + commonLen));
    if (!subs.ok) return fail(subs.reason, subs.offset + 2 + commonLen, subs.detail);
    const perStaProfiles: PerStaProfile[] = [];
    if (type === ML_TYPE.BASIC) {
      for (const s of subs.value) {
        if (s.id !== 0) continue;
        const r = perSta(s.body);
        if (!r.ok) return fail(r.reason, 2 + commonLen, `Per-STA Profile: ${r.detail}`);
        perStaProfiles.push(r.value);
      }
    }
    return ok({
      control,
      type,
      presence: control >> 4,
      commonInfo,
      basic,
      perStaProfiles,
      subelements: subs.value,
      raw: body,
    });
  },
  encode: (v) => v.raw,
};
