/**
 * Data frame bodies (IEEE 802.11-2020 9.3.2): the MSDU (or A-MSDU) as sent, or for a protected frame its security
 * header and ciphertext. LLC/SNAP, A-MSDU deaggregation and decryption belong to the bridge and the RSN layer.
 */
import { ok, type ParseResult } from '../parse.ts';
import { FCTL } from './fc.ts';
import { type SecuredBody, splitSecured } from './security.ts';

export type DataBody = { kind: 'data'; payload: Uint8Array } | ({ kind: 'protected' } & SecuredBody);

export function decodeDataBody(fc: number, body: Uint8Array): ParseResult<DataBody> {
  if (fc & FCTL.PROTECTED) {
    const s = splitSecured(body);
    return s.ok ? ok({ kind: 'protected', ...s.value }) : s;
  }
  return ok({ kind: 'data', payload: body });
}

export function encodeDataBody(b: DataBody): Uint8Array {
  if (b.kind === 'data') return b.payload;
  const out = new Uint8Array(b.securityHeader.length + b.data.length);
  out.set(b.securityHeader);
  out.set(b.data, b.securityHeader.length);
  return out;
}
