/**
 * The RSN key derivation functions: passphrase → PSK (802.11-2020 J.4, PBKDF2-HMAC-SHA1), the SHA-1 PRF
 * (12.7.1.2, PRF-128...PRF-512) and the SHA-256 KDF (12.7.1.7.2, KDF-SHA-256-n).
 */
import { createHmac, pbkdf2Sync } from 'node:crypto';

/** A passphrase or PSK given by a person that cannot be used; the message says what is wrong. */
export class PassphraseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PassphraseError';
  }
}

/** Check a WPA passphrase (8..63 printable ASCII) or a 64-hex-digit PSK; returns a message, or null when valid. */
export function checkPassphrase(passphrase: string): string | null {
  if (/^[0-9a-fA-F]{64}$/.test(passphrase)) return null;
  if (passphrase.length === 64) {
    return 'a 64-character passphrase must be a raw PSK written as 64 hexadecimal digits';
  }
  if (passphrase.length < 8 || passphrase.length > 63) {
    return `a WPA passphrase has 8 to 63 characters (got ${passphrase.length}); or give the 256-bit PSK as 64 hex digits`;
  }
  for (let i = 0; i < passphrase.length; i++) {
    const c = passphrase.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      return `a WPA passphrase is printable ASCII only (character ${i + 1} is U+${c.toString(16).toUpperCase().padStart(4, '0')})`;
    }
  }
  return null;
}

/**
 * The PSK (= PMK for AKM 2/6) for `passphrase` on `ssid`: PBKDF2-HMAC-SHA1(passphrase, SSID, 4096, 32).
 * A 64-hex-digit string is taken as the PSK itself. The SSID is bytes (it need not be UTF-8); a string SSID is
 * encoded as UTF-8. Throws PassphraseError when the passphrase is not valid.
 */
export function passphraseToPsk(passphrase: string, ssid: Uint8Array | string): Buffer {
  const problem = checkPassphrase(passphrase);
  if (problem !== null) throw new PassphraseError(problem);
  if (passphrase.length === 64) return Buffer.from(passphrase, 'hex');
  const salt = typeof ssid === 'string' ? Buffer.from(ssid, 'utf8') : ssid;
  if (salt.length < 1 || salt.length > 32) {
    throw new PassphraseError(`an SSID has 1 to 32 bytes (got ${salt.length})`);
  }
  return pbkdf2Sync(Buffer.from(passphrase, 'latin1'), salt, 4096, 32, 'sha1');
}

export function hmac(hash: 'md5' | 'sha1' | 'sha256' | 'sha384', key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac(hash, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * 802.11 PRF-n: HMAC-SHA1(K, A || 0 || B || i) for i = 0, 1, ... concatenated and truncated to `bits`/8 bytes.
 * `label` is the ASCII string A.
 */
export function prfSha1(key: Uint8Array, label: string, data: Uint8Array, bits: number): Buffer {
  const len = (bits + 7) >> 3;
  const a = Buffer.from(label, 'latin1');
  const zero = Buffer.of(0);
  const out = Buffer.alloc(Math.ceil(len / 20) * 20);
  const counter = Buffer.alloc(1);
  for (let i = 0, off = 0; off < len; i++, off += 20) {
    counter[0] = i;
    hmac('sha1', key, a, zero, data, counter).copy(out, off);
  }
  return out.subarray(0, len);
}

/**
 * 802.11 KDF-Hash-Length (12.7.1.7.2): HMAC-Hash(K, i || Label || Context || Length) with i and Length as 16-bit
 * little-endian integers, i from 1; output truncated to `bits` bits.
 */
export function kdfHash(
  hash: 'sha256' | 'sha384',
  key: Uint8Array,
  label: string,
  context: Uint8Array,
  bits: number,
): Buffer {
  const hlen = hash === 'sha256' ? 32 : 48;
  const len = (bits + 7) >> 3;
  const lab = Buffer.from(label, 'latin1');
  const lenLe = Buffer.of(bits & 0xff, bits >> 8);
  const iLe = Buffer.alloc(2);
  const out = Buffer.alloc(Math.ceil(len / hlen) * hlen);
  for (let i = 1, off = 0; off < len; i++, off += hlen) {
    iLe.writeUInt16LE(i);
    hmac(hash, key, iLe, lab, context, lenLe).copy(out, off);
  }
  const r = out.subarray(0, len);
  // A bit length that is not a whole number of bytes keeps the leftmost bits.
  if (bits & 7) r[len - 1]! &= (0xff << (8 - (bits & 7))) & 0xff;
  return r;
}

export function kdfSha256(key: Uint8Array, label: string, context: Uint8Array, bits: number): Buffer {
  return kdfHash('sha256', key, label, context, bits);
}
