/**
 * AES-CMAC (RFC 4493; NIST SP 800-38B) on node:crypto's AES, which has no CMAC of its own. Used for the EAPOL-Key
 * MIC of key descriptor version 3 and AKM-defined SHA-256 AKMs (802.11-2020 12.7.2), and by BIP.
 */
import { createCipheriv } from 'node:crypto';

const ZERO16 = Buffer.alloc(16);

function aesName(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new RangeError(`AES key must be 16, 24 or 32 bytes (got ${key.length})`);
  }
  return `aes-${key.length * 8}-${mode}`;
}

/** Doubling in GF(2^128) as RFC 4493 2.3 (shift left one bit, xor 0x87 into the last byte on carry). */
function dbl(b: Buffer): Buffer {
  const out = Buffer.alloc(16);
  for (let i = 0; i < 15; i++) out[i] = ((b[i]! << 1) | (b[i + 1]! >> 7)) & 0xff;
  out[15] = (b[15]! << 1) & 0xff;
  if (b[0]! & 0x80) out[15]! ^= 0x87;
  return out;
}

/** The CMAC subkeys K1 and K2 (RFC 4493 2.3). */
export function cmacSubkeys(key: Uint8Array): [Buffer, Buffer] {
  const ecb = createCipheriv(aesName(key, 'ecb'), key, null);
  ecb.setAutoPadding(false);
  const l = ecb.update(ZERO16);
  const k1 = dbl(l);
  return [k1, dbl(k1)];
}

/** AES-CMAC of the concatenation of `parts` under `key` (16-byte tag). */
export function aesCmac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const [k1, k2] = cmacSubkeys(key);
  const msg = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  const n = msg.length;
  const complete = n > 0 && n % 16 === 0;
  const padded = complete ? n : (Math.floor(n / 16) + 1) * 16;
  const m = Buffer.alloc(padded);
  m.set(msg);
  if (!complete) m[n] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) m[padded - 16 + i]! ^= sub[i]!;
  const cbc = createCipheriv(aesName(key, 'cbc'), key, ZERO16);
  cbc.setAutoPadding(false);
  const out = cbc.update(m);
  return out.subarray(out.length - 16);
}
