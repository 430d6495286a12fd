/**
 * Vendor-specific elements we decode: WMM (Wi-Fi Alliance WMM spec v1.2, Microsoft OUI type 2: Information subtype 0,
 * Parameter subtype 1) and WPS (Wi-Fi Simple Configuration, Microsoft OUI type 4: big-endian TLV attributes).
 * Like every codec, these take and give the whole element body: OUI, type, then the vendor's octets.
 */
import { fail, ok, type ParseResult, rebase } from '../parse.ts';
import { type ElementCodec, put16le, u16le } from './codec.ts';
import { EID, MS_OUI_TYPE_WMM, MS_OUI_TYPE_WPS, OUI_MICROSOFT } from './ids.ts';

export interface VendorCodec<T> extends ElementCodec<T> {
  readonly oui: number;
  readonly type: number;
  readonly subtype?: number;
}

/** A vendor codec from a parser of the octets after OUI and type (checked here) and an encoder of them. */
export function vendorCodec<T>(
  name: string,
  oui: number,
  type: number,
  subtype: number | undefined,
  decodeInner: (inner: Uint8Array) => ParseResult<T>,
  encodeInner: (v: T) => Uint8Array,
): VendorCodec<T> {
  return {
    name,
    id: EID.VENDOR_SPECIFIC,
    oui,
    type,
    subtype,
    decode(body) {
      if (body.length < 4 || ((body[0] << 16) | (body[1] << 8) | body[2]) !== oui || body[3] !== type)
        return fail('bad-value', 0, `not a ${name} element (OUI or type differs)`);
      const r = decodeInner(body.subarray(4));
      return r.ok ? r : rebase(r, 4);
    },
    encode: (v) => withOui(oui, type, encodeInner(v)),
  };
}

export function withOui(oui: number, type: number, inner: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + inner.length);
  out[0] = oui >>> 16;
  out[1] = (oui >>> 8) & 0xff;
  out[2] = oui & 0xff;
  out[3] = type;
  out.set(inner, 4);
  return out;
}

export const WMM_SUBTYPE_INFORMATION = 0;
export const WMM_SUBTYPE_PARAMETER = 1;

export interface WmmInformation {
  version: number;
  /** QoS Info: from an AP, B0..3 parameter set count and B7 U-APSD; from a STA, B0..3 per-AC U-APSD, B5..6 max SP. */
  qosInfo: number;
  extra: Uint8Array;
}

export const wmmInformationCodec = vendorCodec<WmmInformation>(
  'WMM Information',
  OUI_MICROSOFT,
  MS_OUI_TYPE_WMM,
  WMM_SUBTYPE_INFORMATION,
  (body) => {
    if (body.length < 3 || body[0] !== WMM_SUBTYPE_INFORMATION)
      return fail('bad-length', 0, `WMM Information element of ${body.length} octets (3 after OUI and type)`);
    return ok({ version: body[1], qosInfo: body[2], extra: body.subarray(3) });
  },
  (v) => Uint8Array.from([WMM_SUBTYPE_INFORMATION, v.version, v.qosInfo, ...v.extra]),
);

/** One AC Parameter Record. */
export interface WmmAcParams {
  /** ACI/AIFSN octet: B0..3 AIFSN, B4 ACM, B5..6 ACI. */
  aciAifsn: number;
  /** ECWmin (B0..3) and ECWmax (B4..7): CW = 2^ECW - 1. */
  ecw: number;
  /** In units of 32 µs. */
  txopLimit: number;
}

export interface WmmParameter {
  version: number;
  qosInfo: number;
  reserved: number;
  /** Records in the order sent (normally AC_BE, AC_BK, AC_VI, AC_VO). */
  ac: WmmAcParams[];
  extra: Uint8Array;
}

export const wmmParameterCodec = vendorCodec<WmmParameter>(
  'WMM Parameter',
  OUI_MICROSOFT,
  MS_OUI_TYPE_WMM,
  WMM_SUBTYPE_PARAMETER,
  (body) => {
    if (body.length < 20 || body[0] !== WMM_SUBTYPE_PARAMETER)
      return fail('bad-length', 0, `WMM Parameter element of ${body.length} octets (20 after OUI and type)`);
    const ac: WmmAcParams[] = [];
    for (let i = 0; i < 4; i++) {
      const o = 4 + i * 4;
      ac.push({ aciAifsn: body[o], ecw: body[o + 1], txopLimit: u16le(body, o + 2) });
    }
    return ok({ version: body[1], qosInfo: body[2], reserved: body[3], ac, extra: body.subarray(20) });
  },
  (v) => {
    const inner = new Uint8Array(20 + v.extra.length);
    inner.set([WMM_SUBTYPE_PARAMETER, v.version, v.qosInfo, v.reserved]);
    v.ac.slice(0, 4).forEach((a, i) => {
      inner[4 + i * 4] = a.aciAifsn;
      inner[5 + i * 4] = a.ecw;
      put16le(inner, 6 + i * 4, a.txopLimit);
    });
    inner.set(v.extra, 20);
    return inner;
  },
);

/** WPS attribute types (Wi-Fi Simple Configuration Technical Specification, Table 28). */
export const WPS_ATTR = {
  AP_SETUP_LOCKED: 0x1057,
  CONFIG_METHODS: 0x1008,
  DEVICE_NAME: 0x1011,
  DEVICE_PASSWORD_ID: 0x1012,
  MANUFACTURER: 0x1021,
  MODEL_NAME: 0x1023,
  MODEL_NUMBER: 0x1024,
  RESPONSE_TYPE: 0x103b,
  RF_BANDS: 0x103c,
  SELECTED_REGISTRAR: 0x1041,
  SERIAL_NUMBER: 0x1042,
  WPS_STATE: 0x1044,
  UUID_E: 0x1047,
  VENDOR_EXTENSION: 0x1049,
  VERSION: 0x104a,
  SELECTED_REGISTRAR_CONFIG_METHODS: 0x1053,
  PRIMARY_DEVICE_TYPE: 0x1054,
} as const;

/** The Wi-Fi Alliance vendor extension (0x1049 with OUI 00-37-2a) and its Version2 subelement (ID 0). */
export const WFA_VENDOR_EXTENSION_OUI = 0x00372a;

export interface Wps {
  attributes: { type: number; value: Uint8Array }[];
}

export const wpsCodec = vendorCodec<Wps>(
  'WPS',
  OUI_MICROSOFT,
  MS_OUI_TYPE_WPS,
  undefined,
  (body) => {
    const attributes: Wps['attributes'] = [];
    let p = 0;
    while (p < body.length) {
      if (p + 4 > body.length)
        return fail('element-overrun', p, `WPS attribute header truncated (${body.length - p} octets)`);
      const type = (body[p] << 8) | body[p + 1];
      const len = (body[p + 2] << 8) | body[p + 3];
      if (p + 4 + len > body.length)
        return fail(
          'element-overrun',
          p,
          `WPS attribute 0x${type.toString(16)} says ${len} octets, ${body.length - p - 4} remain`,
        );
      attributes.push({ type, value: body.subarray(p + 4, p + 4 + len) });
      p += 4 + len;
    }
    return ok({ attributes });
  },
  (v) => {
    const parts: number[] = [];
    for (const a of v.attributes)
      parts.push(a.type >> 8, a.type & 0xff, a.value.length >> 8, a.value.length & 0xff, ...a.value);
    return Uint8Array.from(parts);
  },
);

export function wpsAttribute(w: Wps, type: number): Uint8Array | null {
  return w.attributes.find((a) => a.type === type)?.value ?? null;
}

/** WPS 2.0 Version2 from the WFA vendor extension (0x20 = 2.0), or null for WPS 1.0. */
export function wpsVersion2(w: Wps): number | null {
  const ext = wpsAttribute(w, WPS_ATTR.VENDOR_EXTENSION);
  if (ext === null || ext.length < 3 || ((ext[0] << 16) | (ext[1] << 8) | ext[2]) !== WFA_VENDOR_EXTENSION_OUI)
    return null;
  for (let p = 3; p + 2 <= ext.length; p += 2 + ext[p + 1])
    if (ext[p] === 0 && ext[p + 1] >= 1 && p + 2 < ext.length) return ext[p + 2];
  return null;
}
