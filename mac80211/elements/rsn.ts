/**
 * The RSN element (IEEE 802.11-2020 9.4.2.24) and the WPA vendor element it grew from (00-50-f2 type 1).
 *
 * Every field after Version is optional, but only from the end: a transmitter may stop after any field, and a
 * receiver takes the missing ones as their defaults (9.4.2.24.1). The decoded value keeps `null` for absent
 * fields so that the element is re-encoded with exactly the fields it had. Cipher and AKM suites are 32-bit
 * selectors, OUI << 8 | type (0x000fac04 = 00-0f-ac:4 = CCMP), as in Linux's WLAN_CIPHER_SUITE_*.
 *
 * The syntax checks follow hostap's wpa_parse_wpa_ie_rsn() (a count of zero pairwise or AKM suites is invalid;
 * octets after the last field are ignored, here kept in `extra`); which suites are acceptable is policy, checked
 * separately by `rsnSuiteProblems`.
 */
import { type BitField, type BitsOf, decodeBits } from '../bits.ts';
import { fail, ok, type ParseResult } from '../parse.ts';
import { type ElementCodec, u16le } from './codec.ts';
import { EID, MS_OUI_TYPE_WPA, OUI_MICROSOFT } from './ids.ts';
import { vendorCodec } from './vendor.ts';

export const CIPHER_SUITE = {
  USE_GROUP: 0x000fac00,
  WEP40: 0x000fac01,
  TKIP: 0x000fac02,
  NO_GROUP_ADDRESSED: 0x000fac07,
  CCMP: 0x000fac04,
  WEP104: 0x000fac05,
  AES_CMAC: 0x000fac06,
  GCMP: 0x000fac08,
  GCMP_256: 0x000fac09,
  CCMP_256: 0x000fac0a,
  BIP_GMAC_128: 0x000fac0b,
  BIP_GMAC_256: 0x000fac0c,
  BIP_CMAC_256: 0x000fac0d,
} as const;

export const AKM_SUITE = {
  IEEE8021X: 0x000fac01,
  PSK: 0x000fac02,
  FT_IEEE8021X: 0x000fac03,
  FT_PSK: 0x000fac04,
  IEEE8021X_SHA256: 0x000fac05,
  PSK_SHA256: 0x000fac06,
  TDLS: 0x000fac07,
  SAE: 0x000fac08,
  FT_SAE: 0x000fac09,
  AP_PEER_KEY: 0x000fac0a,
  IEEE8021X_SUITE_B: 0x000fac0b,
  IEEE8021X_SUITE_B_192: 0x000fac0c,
  FT_IEEE8021X_SHA384: 0x000fac0d,
  FILS_SHA256: 0x000fac0e,
  FILS_SHA384: 0x000fac0f,
  FT_FILS_SHA256: 0x000fac10,
  FT_FILS_SHA384: 0x000fac11,
  OWE: 0x000fac12,
  FT_PSK_SHA384: 0x000fac13,
  PSK_SHA384: 0x000fac14,
  SAE_EXT_KEY: 0x000fac18,
  FT_SAE_EXT_KEY: 0x000fac19,
} as const;

/** WPA (pre-RSN) selectors use the Microsoft OUI. */
export const WPA_CIPHER_SUITE = { WEP40: 0x0050f201, TKIP: 0x0050f202, CCMP: 0x0050f204, WEP104: 0x0050f205 } as const;
export const WPA_AKM_SUITE = { IEEE8021X: 0x0050f201, PSK: 0x0050f202 } as const;

/** RSN Capabilities (Figure 9-257). */
export const RSN_CAPABILITIES_LAYOUT = [
  ['preauth', 0, 1],
  ['noPairwise', 1, 1],
  ['ptksaReplayCounter', 2, 2],
  ['gtksaReplayCounter', 4, 2],
  ['mfpr', 6, 1],
  ['mfpc', 7, 1],
  ['jointMultiBandRsna', 8, 1],
  ['peerKeyEnabled', 9, 1],
  ['sppAmsduCapable', 10, 1],
  ['sppAmsduRequired', 11, 1],
  ['pbac', 12, 1],
  ['extendedKeyId', 13, 1],
  ['ocvc', 14, 1],
  ['reserved15', 15, 1],
] as const satisfies readonly BitField[];

export type RsnCapabilities = BitsOf<typeof RSN_CAPABILITIES_LAYOUT>;

export function rsnCapabilities(caps: number): RsnCapabilities {
  return decodeBits(RSN_CAPABILITIES_LAYOUT, Uint8Array.of(caps & 0xff, caps >> 8));
}

export interface Rsn {
  version: number;
  groupCipher: number | null;
  pairwiseCiphers: number[] | null;
  akms: number[] | null;
  /** 16-bit RSN Capabilities (see `rsnCapabilities`). */
  capabilities: number | null;
  pmkids: Uint8Array[] | null;
  groupMgmtCipher: number | null;
  /** Octets after the last field this parser knows (ignored, kept for re-encoding). */
  extra: Uint8Array;
}

export const PMKID_LEN = 16;

function suite(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

function putSuite(out: number[], s: number): void {
  out.push(s >>> 24, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff);
}

/** Parse an RSN body, or (wpa = true) a WPA vendor body after its OUI and type. */
function decodeRsnLike(body: Uint8Array, what: string, wpa: boolean): ParseResult<Rsn> {
  const v: Rsn = {
    version: 0,
    groupCipher: null,
    pairwiseCiphers: null,
    akms: null,
    capabilities: null,
    pmkids: null,
    groupMgmtCipher: null,
    extra: body.subarray(body.length),
  };
  if (body.length < 2) return fail('bad-length', 0, `${what} too short for its version`);
  v.version = u16le(body, 0);
  if (v.version !== 1) return fail('bad-version', 0, `${what} version ${v.version} (only 1 is defined)`);
  let p = 2;
  const left = () => body.length - p;
  if (left() >= 4) {
    v.groupCipher = suite(body, p);
    p += 4;
  } else if (left() > 0)
    return fail('bad-length', p, `${what}: ${left()} octets where a group cipher suite (4) belongs`);
  for (const field of ['pairwiseCiphers', 'akms'] as const) {
    if (left() >= 2) {
      const count = u16le(body, p);
      if (count === 0 || count > Math.floor((left() - 2) / 4))
        return fail(
          'bad-count',
          p,
          `${what}: ${count} ${field === 'akms' ? 'AKM' : 'pairwise'} suites in ${left() - 2} octets`,
        );
      p += 2;
      const list: number[] = [];
      for (let i = 0; i < count; i++, p += 4) list.push(suite(body, p));
      v[field] = list;
    } else if (left() === 1) return fail('bad-length', p, `${what}: 1 octet where a suite count (2) belongs`);
  }
  if (left() >= 2) {
    v.capabilities = u16le(body, p);
    p += 2;
  }
  if (!wpa && v.capabilities !== null && left() >= 2) {
    const count = u16le(body, p);
    if (count > Math.floor((left() - 2) / PMKID_LEN))
      return fail('bad-count', p, `${what}: ${count} PMKIDs in ${left() - 2} octets`);
    p += 2;
    v.pmkids = [];
    for (let i = 0; i < count; i++, p += PMKID_LEN) v.pmkids.push(body.subarray(p, p + PMKID_LEN));
    if (left() >= 4) {
      v.groupMgmtCipher = suite(body, p);
      p += 4;
    }
  }
  v.extra = body.subarray(p);
  return ok(v);
}

function encodeRsnLike(v: Rsn, wpa: boolean): Uint8Array {
  const out: number[] = [v.version & 0xff, v.version >> 8];
  const fields = [v.groupCipher, v.pairwiseCiphers, v.akms, v.capabilities, v.pmkids, v.groupMgmtCipher];
  const last = fields.reduce<number>((acc, f, i) => (f !== null ? i : acc), -1);
  for (let i = 0; i <= last; i++) {
    if (fields[i] === null) throw new Error(`RSN element: field ${i + 1} is absent but a later field is present`);
  }
  if (wpa && (v.pmkids !== null || v.groupMgmtCipher !== null))
    throw new Error('WPA element has no PMKID or group management cipher');
  if (v.groupCipher !== null) putSuite(out, v.groupCipher);
  for (const list of [v.pairwiseCiphers, v.akms]) {
    if (list === null) continue;
    out.push(list.length & 0xff, list.length >> 8);
    for (const s of list) putSuite(out, s);
  }
  if (v.capabilities !== null) out.push(v.capabilities & 0xff, (v.capabilities >> 8) & 0xff);
  if (v.pmkids !== null) {
    out.push(v.pmkids.length & 0xff, v.pmkids.length >> 8);
    for (const id of v.pmkids) {
      if (id.length !== PMKID_LEN) throw new Error(`PMKID of ${id.length} octets (16 expected)`);
      out.push(...id);
    }
  }
  if (v.groupMgmtCipher !== null) putSuite(out, v.groupMgmtCipher);
  const b = new Uint8Array(out.length + v.extra.length);
  b.set(out);
  b.set(v.extra, out.length);
  return b;
}

export const rsnCodec: ElementCodec<Rsn> = {
  name: 'RSN',
  id: EID.RSN,
  decode: (body) => decodeRsnLike(body, 'RSN element', false),
  encode: (v) => encodeRsnLike(v, false),
};

/** The WPA element: vendor 00-50-f2 type 1, then the RSN-like fields (no PMKIDs, no group management cipher). */
export const wpaCodec = vendorCodec<Rsn>(
  'WPA',
  OUI_MICROSOFT,
  MS_OUI_TYPE_WPA,
  undefined,
  (inner) => decodeRsnLike(inner, 'WPA element', true),
  (v) => encodeRsnLike(v, true),
);

/** The values a receiver uses for absent fields (9.4.2.24.1): CCMP-128, 802.1X, BIP-CMAC-128. */
export function rsnWithDefaults(v: Rsn): {
  groupCipher: number;
  pairwiseCiphers: number[];
  akms: number[];
  capabilities: number;
  pmkids: Uint8Array[];
  groupMgmtCipher: number;
} {
  return {
    groupCipher: v.groupCipher ?? CIPHER_SUITE.CCMP,
    pairwiseCiphers: v.pairwiseCiphers ?? [CIPHER_SUITE.CCMP],
    akms: v.akms ?? [AKM_SUITE.IEEE8021X],
    capabilities: v.capabilities ?? 0,
    pmkids: v.pmkids ?? [],
    groupMgmtCipher: v.groupMgmtCipher ?? CIPHER_SUITE.AES_CMAC,
  };
}

const GROUP_DATA_CIPHERS: ReadonlySet<number> = new Set([
  CIPHER_SUITE.WEP40,
  CIPHER_SUITE.WEP104,
  CIPHER_SUITE.TKIP,
  CIPHER_SUITE.CCMP,
  CIPHER_SUITE.GCMP,
  CIPHER_SUITE.GCMP_256,
  CIPHER_SUITE.CCMP_256,
  CIPHER_SUITE.NO_GROUP_ADDRESSED,
]);
const PAIRWISE_CIPHERS: ReadonlySet<number> = new Set([
  CIPHER_SUITE.USE_GROUP,
  CIPHER_SUITE.TKIP,
  CIPHER_SUITE.CCMP,
  CIPHER_SUITE.GCMP,
  CIPHER_SUITE.GCMP_256,
  CIPHER_SUITE.CCMP_256,
]);
const GROUP_MGMT_CIPHERS: ReadonlySet<number> = new Set([
  CIPHER_SUITE.AES_CMAC,
  CIPHER_SUITE.BIP_GMAC_128,
  CIPHER_SUITE.BIP_GMAC_256,
  CIPHER_SUITE.BIP_CMAC_256,
]);

/**
 * Suites in the wrong role (a management cipher as pairwise, an unknown group cipher...), as hostap rejects them.
 * An empty list means the element is usable by a supplicant; vendor-specific suites count as problems.
 */
export function rsnSuiteProblems(v: Rsn): string[] {
  const out: string[] = [];
  if (v.groupCipher !== null && !GROUP_DATA_CIPHERS.has(v.groupCipher))
    out.push(`group cipher ${suiteToString(v.groupCipher)} is not a group data cipher`);
  for (const s of v.pairwiseCiphers ?? [])
    if (!PAIRWISE_CIPHERS.has(s)) out.push(`pairwise cipher ${suiteToString(s)} is not a pairwise cipher`);
  if (v.groupMgmtCipher !== null && !GROUP_MGMT_CIPHERS.has(v.groupMgmtCipher))
    out.push(`group management cipher ${suiteToString(v.groupMgmtCipher)} is not a BIP cipher`);
  return out;
}

/** "00-0f-ac:4". */
export function suiteToString(s: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `${h(s >>> 24)}-${h((s >>> 16) & 0xff)}-${h((s >>> 8) & 0xff)}:${s & 0xff}`;
}

/** Build an RSN value for a transmitter; fields left out are omitted from the element when they are trailing. */
export function buildRsn(p: Partial<Omit<Rsn, 'version' | 'extra'>>): Rsn {
  return {
    version: 1,
    groupCipher: p.groupCipher ?? null,
    pairwiseCiphers: p.pairwiseCiphers ?? null,
    akms: p.akms ?? null,
    capabilities: p.capabilities ?? null,
    pmkids: p.pmkids ?? null,
    groupMgmtCipher: p.groupMgmtCipher ?? null,
    extra: new Uint8Array(0),
  };
}

export function encodeRsnCapabilities(c: Partial<RsnCapabilities>): number {
  let v = 0;
  for (const [name, bit, width] of RSN_CAPABILITIES_LAYOUT) v |= ((c[name] ?? 0) & ((1 << width) - 1)) << bit;
  return v;
}
