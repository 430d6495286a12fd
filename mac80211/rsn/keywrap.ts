/**
 * AES Key Wrap (RFC 3394, NIST SP 800-38F KW) with the default IV A6A6A6A6A6A6A6A6: the EAPOL-Key Key Data
 * encryption for key descriptor versions 2 and 3 and the SHA-256 AKMs (802.11-2020 12.7.2).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

const DEFAULT_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

function wrapName(kek: Uint8Array): string {
  if (kek.length !== 16 && kek.length !== 24 && kek.length !== 32) {
    throw new RangeError(`AES key wrap KEK must be 16, 24 or 32 bytes (got ${kek.length})`);
  }
  return `id-aes${kek.length * 8}-wrap`;
}

/** Wrap `plain` (a multiple of 8 bytes, at least 16) under `kek`; the result is 8 bytes longer. */
export function aesKeyWrap(kek: Uint8Array, plain: Uint8Array): Buffer {
  if (plain.length < 16 || plain.length % 8 !== 0) {
    throw new RangeError(`AES key wrap input must be a multiple of 8 bytes and at least 16 (got ${plain.length})`);
  }
  const c = createCipheriv(wrapName(kek), kek, DEFAULT_IV);
  return Buffer.concat([c.update(plain), c.final()]);
}

/**
 * Unwrap `wrapped` under `kek`. Returns null when the length is impossible or the integrity check (the IV) fails:
 * the input comes from the air and must never throw.
 */
export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Buffer | null {
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) return null;
  try {
    const d = createDecipheriv(wrapName(kek), kek, DEFAULT_IV);
    return Buffer.concat([d.update(wrapped), d.final()]);
  } catch {
    // OpenSSL reports the failed integrity check as an error; so does any other failure.
    return null;
  }
}
