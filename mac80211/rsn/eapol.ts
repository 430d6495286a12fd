/**
 * EAPOL (IEEE 802.1X-2010 11.3): the 4-byte header (protocol version, packet type, body length) and its body.
 * EAPOL frames reach the supplicant after the 802.11 ↔ 802.3 bridge stripped LLC/SNAP with EtherType 0x888e.
 */

export { ETH_P_PAE } from '../../netstack/ethernet/header.ts';
export const EAPOL_HDR_LEN = 4;

/** 802.1X protocol versions: 1 = 802.1X-2001, 2 = 802.1X-2004, 3 = 802.1X-2010. */
export const EapolVersion = { V2001: 1, V2004: 2, V2010: 3 } as const;

export const EapolType = {
  EAP_PACKET: 0,
  START: 1,
  LOGOFF: 2,
  KEY: 3,
  ASF_ALERT: 4,
  MKA: 5,
  ANNOUNCEMENT_GENERIC: 6,
  ANNOUNCEMENT_SPECIFIC: 7,
  ANNOUNCEMENT_REQ: 8,
} as const;

/** Outcome of a parser: the value, or the reason the input was dropped (a counter key). */
export type Parse<T, R extends string = string> = { ok: true; value: T } | { ok: false; reason: R };

export interface Eapol {
  version: number;
  type: number;
  /** The packet body (a view of the input), exactly `body length` bytes. */
  body: Uint8Array;
  /** Header + body (a view of the input) without any trailing padding: what a MIC covers. */
  pdu: Uint8Array;
}

export type EapolDropReason = 'eapol-short' | 'eapol-truncated';

/** Decode an EAPOL frame. Trailing bytes past the body length (Ethernet padding) are ignored. */
export function decodeEapol(buf: Uint8Array): Parse<Eapol, EapolDropReason> {
  if (buf.length < EAPOL_HDR_LEN) return { ok: false, reason: 'eapol-short' };
  const len = (buf[2]! << 8) | buf[3]!;
  if (EAPOL_HDR_LEN + len > buf.length) return { ok: false, reason: 'eapol-truncated' };
  return {
    ok: true,
    value: {
      version: buf[0]!,
      type: buf[1]!,
      body: buf.subarray(EAPOL_HDR_LEN, EAPOL_HDR_LEN + len),
      pdu: buf.subarray(0, EAPOL_HDR_LEN + len),
    },
  };
}

export function encodeEapol(version: number, type: number, body: Uint8Array): Buffer {
  if (body.length > 0xffff) throw new RangeError(`EAPOL body too long (${body.length} bytes)`);
  const out = Buffer.alloc(EAPOL_HDR_LEN + body.length);
  out[0] = version;
  out[1] = type;
  out.writeUInt16BE(body.length, 2);
  out.set(body, EAPOL_HDR_LEN);
  return out;
}
