/**
 * Pairwise key hierarchy (802.11-2020 12.7.1.3): PTK = KDF(PMK, "Pairwise key expansion",
 * Min(AA,SPA) || Max(AA,SPA) || Min(ANonce,SNonce) || Max(ANonce,SNonce)), split into KCK | KEK | TK; and PMKID
 * (12.7.1.3: HMAC-SHA1-128 or HMAC-SHA256-128 of "PMK Name" || AA || SPA).
 */
import { hmac, kdfSha256, prfSha1 } from './kdf.ts';
import { type AkmParams, type CipherSuite, cipherKeyLen } from './suites.ts';

export interface Ptk {
  /** EAPOL-Key confirmation key: MIC key. */
  kck: Buffer;
  /** EAPOL-Key encryption key: key data wrapping. */
  kek: Buffer;
  /** Temporal key for the pairwise cipher. */
  tk: Buffer;
  /** The whole PTK (KCK | KEK | TK). */
  bytes: Buffer;
}

/** Lexicographic comparison of equal-length byte strings. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function ptkContext(aa: Uint8Array, spa: Uint8Array, anonce: Uint8Array, snonce: Uint8Array): Buffer {
  const [a1, a2] = compareBytes(aa, spa) < 0 ? [aa, spa] : [spa, aa];
  const [n1, n2] = compareBytes(anonce, snonce) < 0 ? [anonce, snonce] : [snonce, anonce];
  return Buffer.concat([a1, a2, n1, n2]);
}

export interface PtkInput {
  pmk: Uint8Array;
  /** Authenticator address (the BSSID). */
  aa: Uint8Array;
  /** Supplicant address (the station's MAC). */
  spa: Uint8Array;
  anonce: Uint8Array;
  snonce: Uint8Array;
  params: AkmParams;
  pairwise: CipherSuite;
}

export function derivePtk(i: PtkInput): Ptk {
  const { kckLen, kekLen } = i.params;
  const tkLen = cipherKeyLen(i.pairwise);
  const bits = (kckLen + kekLen + tkLen) * 8;
  const ctx = ptkContext(i.aa, i.spa, i.anonce, i.snonce);
  const bytes =
    i.params.kdf === 'prf-sha1'
      ? prfSha1(i.pmk, 'Pairwise key expansion', ctx, bits)
      : kdfSha256(i.pmk, 'Pairwise key expansion', ctx, bits);
  return {
    bytes,
    kck: bytes.subarray(0, kckLen),
    kek: bytes.subarray(kckLen, kckLen + kekLen),
    tk: bytes.subarray(kckLen + kekLen, kckLen + kekLen + tkLen),
  };
}

const PMK_NAME = Buffer.from('PMK Name', 'latin1');

/** PMKID = Truncate-128(HMAC-Hash(PMK, "PMK Name" || AA || SPA)). */
export function pmkid(pmk: Uint8Array, aa: Uint8Array, spa: Uint8Array, hash: 'sha1' | 'sha256' = 'sha1'): Buffer {
  return hmac(hash, pmk, PMK_NAME, aa, spa).subarray(0, 16);
}
