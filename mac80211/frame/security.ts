/**
 * The security header of a protected frame (IEEE 802.11-2020 12.3.2.2, 12.5.2.2, 12.5.3.2): 4 octets for WEP
 * (IV + Key ID), 8 for TKIP and CCMP/GCMP (Ext IV set in octet 3). Decryption is the RSN layer's; here the header
 * is only split off, and the packet number read for display and replay checks.
 */
import { fail, ok, type ParseResult } from '../parse.ts';

export interface SecuredBody {
  /** IV / Key ID / Ext IV octets (4 or 8). */
  securityHeader: Uint8Array;
  /** Ciphertext with its MIC / ICV. */
  data: Uint8Array;
}

export const EXT_IV = 0x20;

export function splitSecured(body: Uint8Array): ParseResult<SecuredBody> {
  if (body.length < 4)
    return fail('truncated-body', body.length, `protected body of ${body.length} octets has no security header`);
  const n = body[3] & EXT_IV ? 8 : 4;
  if (body.length < n)
    return fail('truncated-body', body.length, `protected body of ${body.length} octets, Ext IV header needs 8`);
  return ok({ securityHeader: body.subarray(0, n), data: body.subarray(n) });
}

export function securityKeyId(h: Uint8Array): number {
  return h[3] >> 6;
}

export function hasExtIv(h: Uint8Array): boolean {
  return (h[3] & EXT_IV) !== 0;
}

/** CCMP/GCMP packet number (48 bits): PN0 PN1 in octets 0-1, PN2..PN5 in octets 4-7. */
export function ccmpPn(h: Uint8Array): number {
  return h[0] + h[1] * 2 ** 8 + h[4] * 2 ** 16 + h[5] * 2 ** 24 + h[6] * 2 ** 32 + h[7] * 2 ** 40;
}

/** TKIP sequence counter (48 bits): TSC1 TSC0 in octets 0 and 2, TSC2..TSC5 in octets 4-7. */
export function tkipTsc(h: Uint8Array): number {
  return h[2] + h[0] * 2 ** 8 + h[4] * 2 ** 16 + h[5] * 2 ** 24 + h[6] * 2 ** 32 + h[7] * 2 ** 40;
}
