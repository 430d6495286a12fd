/**
 * EAPOL-Key Key Data (802.11-2020 12.7.2): a list of elements (the RSN element, RSNXE...) and Key Data
 * Encapsulations, KDEs (Figure 12-34: 0xdd, length, OUI 00-0F-AC, data type, data). Parsing keeps every item in
 * order, picks out the known KDEs, and stops at the padding (0xdd followed by zeros) that AES key wrap needs.
 */
import type { Parse } from './eapol.ts';

export const WLAN_EID_RSN = 48;
export const WLAN_EID_RSNX = 244;
export const WLAN_EID_VENDOR = 0xdd;

/** KDE data types under OUI 00-0F-AC (802.11-2020 Table 12-10). */
export const KdeType = {
  GTK: 1,
  MAC_ADDR: 3,
  PMKID: 4,
  NONCE: 6,
  LIFETIME: 7,
  ERROR: 8,
  IGTK: 9,
  KEY_ID: 10,
  MULTIBAND_GTK: 11,
  MULTIBAND_KEY_ID: 12,
  OCI: 13,
  BIGTK: 14,
} as const;

const OUI_IEEE = [0x00, 0x0f, 0xac] as const;

export interface GtkKde {
  keyId: number;
  /** The Tx bit: the authenticator transmits with this key (it is not only for receiving). */
  tx: boolean;
  key: Uint8Array;
}

/** IGTK / BIGTK KDE: Key ID (2, LE), IPN/BIPN (6, PN0 first), key. */
export interface IgtkKde {
  keyId: number;
  pn: Uint8Array;
  key: Uint8Array;
}

export interface KeyDataItem {
  /** Element ID (0xdd for KDEs and vendor elements). */
  id: number;
  /** For KDEs: OUI << 8 | data type; otherwise -1. */
  kde: number;
  /** The whole item: header and body (a view of the input). */
  raw: Uint8Array;
}

export interface KeyData {
  items: KeyDataItem[];
  /** RSN elements, whole (header included), in order: the first is the AP's, a second one selects a cipher. */
  rsne: Uint8Array[];
  rsnxe?: Uint8Array;
  gtk?: GtkKde;
  igtk?: IgtkKde;
  bigtk?: IgtkKde;
  pmkid?: Uint8Array;
  macAddr?: Uint8Array;
  nonce?: Uint8Array;
  lifetime?: number;
  error?: { mui: number; errorType: number };
  keyId?: number;
  oci?: { opClass: number; primaryChannel: number; seg1Channel: number };
}

export type KeyDataDropReason = 'kde-truncated' | 'kde-bad-length';

function isPadding(buf: Uint8Array, pos: number): boolean {
  // 0xdd with no room for a length, or 0xdd 0x00: the start of the padding; everything after must be zero.
  if (buf[pos] !== WLAN_EID_VENDOR) return false;
  if (pos + 1 < buf.length && buf[pos + 1] !== 0) return false;
  for (let i = pos + 1; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Parse Key Data (after decryption). Unknown elements and KDEs are kept in `items`. */
export function parseKeyData(buf: Uint8Array): Parse<KeyData, KeyDataDropReason> {
  const out: KeyData = { items: [], rsne: [] };
  let pos = 0;
  while (pos < buf.length) {
    if (isPadding(buf, pos)) break;
    if (pos + 2 > buf.length) return { ok: false, reason: 'kde-truncated' };
    const id = buf[pos]!;
    const len = buf[pos + 1]!;
    if (pos + 2 + len > buf.length) return { ok: false, reason: 'kde-truncated' };
    const raw = buf.subarray(pos, pos + 2 + len);
    const body = raw.subarray(2);
    pos += 2 + len;
    let kde = -1;
    if (id === WLAN_EID_VENDOR && len >= 4) {
      kde = ((body[0]! << 16) | (body[1]! << 8) | body[2]!) * 256 + body[3]!;
      if (body[0] === OUI_IEEE[0] && body[1] === OUI_IEEE[1] && body[2] === OUI_IEEE[2]) {
        const d = body.subarray(4);
        if (!takeKde(out, body[3]!, d)) return { ok: false, reason: 'kde-bad-length' };
      }
    } else if (id === WLAN_EID_RSN) {
      out.rsne.push(raw);
    } else if (id === WLAN_EID_RSNX) {
      out.rsnxe ??= raw;
    }
    out.items.push({ id, kde, raw });
  }
  return { ok: true, value: out };
}

function takeKde(out: KeyData, type: number, d: Uint8Array): boolean {
  switch (type) {
    case KdeType.GTK:
      if (d.length < 2 + 5) return false;
      out.gtk ??= { keyId: d[0]! & 3, tx: (d[0]! & 4) !== 0, key: d.subarray(2) };
      return true;
    case KdeType.IGTK:
    case KdeType.BIGTK: {
      if (d.length < 8 + 16) return false;
      const v = { keyId: d[0]! | (d[1]! << 8), pn: d.subarray(2, 8), key: d.subarray(8) };
      if (type === KdeType.IGTK) out.igtk ??= v;
      else out.bigtk ??= v;
      return true;
    }
    case KdeType.PMKID:
      if (d.length < 16) return false;
      out.pmkid ??= d.subarray(0, 16);
      return true;
    case KdeType.MAC_ADDR:
      if (d.length < 6) return false;
      out.macAddr ??= d.subarray(0, 6);
      return true;
    case KdeType.NONCE:
      if (d.length < 32) return false;
      out.nonce ??= d.subarray(0, 32);
      return true;
    case KdeType.LIFETIME:
      if (d.length < 4) return false;
      out.lifetime ??= ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
      return true;
    case KdeType.ERROR:
      if (d.length < 4) return false;
      out.error ??= { mui: (d[0]! << 8) | d[1]!, errorType: (d[2]! << 8) | d[3]! };
      return true;
    case KdeType.KEY_ID:
      if (d.length < 1) return false;
      out.keyId ??= d[0]! & 3;
      return true;
    case KdeType.OCI:
      if (d.length < 3) return false;
      out.oci ??= { opClass: d[0]!, primaryChannel: d[1]!, seg1Channel: d[2]! };
      return true;
    default:
      return true;
  }
}

/** One KDE: 0xdd, length, 00-0F-AC, type, data. */
export function kde(type: number, data: Uint8Array): Buffer {
  if (data.length > 255 - 4) throw new RangeError(`KDE data too long (${data.length} bytes)`);
  const out = Buffer.alloc(6 + data.length);
  out[0] = WLAN_EID_VENDOR;
  out[1] = 4 + data.length;
  out[2] = OUI_IEEE[0];
  out[3] = OUI_IEEE[1];
  out[4] = OUI_IEEE[2];
  out[5] = type;
  out.set(data, 6);
  return out;
}

export function gtkKde(g: GtkKde): Buffer {
  const d = Buffer.alloc(2 + g.key.length);
  d[0] = (g.keyId & 3) | (g.tx ? 4 : 0);
  d.set(g.key, 2);
  return kde(KdeType.GTK, d);
}

function igtkLike(type: number, g: IgtkKde): Buffer {
  if (g.pn.length !== 6) throw new RangeError('IGTK/BIGTK PN must be 6 bytes');
  const d = Buffer.alloc(8 + g.key.length);
  d.writeUInt16LE(g.keyId, 0);
  d.set(g.pn, 2);
  d.set(g.key, 8);
  return kde(type, d);
}

export function igtkKde(g: IgtkKde): Buffer {
  return igtkLike(KdeType.IGTK, g);
}

export function bigtkKde(g: IgtkKde): Buffer {
  return igtkLike(KdeType.BIGTK, g);
}

export function pmkidKde(pmkid: Uint8Array): Buffer {
  return kde(KdeType.PMKID, pmkid);
}

export function macAddrKde(addr: Uint8Array): Buffer {
  return kde(KdeType.MAC_ADDR, addr);
}

/**
 * Pad Key Data for AES key wrap (802.11-2020 12.7.2 j): when shorter than 16 bytes or not a multiple of 8, append
 * 0xdd then zeros up to the next multiple of 8 (at least 16 bytes).
 */
export function padKeyData(data: Uint8Array): Buffer {
  let len = data.length;
  if (len >= 16 && len % 8 === 0) return Buffer.from(data);
  len = Math.max(16, (Math.floor(data.length / 8) + 1) * 8);
  const out = Buffer.alloc(len);
  out.set(data);
  out[data.length] = WLAN_EID_VENDOR;
  return out;
}
