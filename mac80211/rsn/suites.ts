/**
 * RSN cipher and AKM suite selectors (802.11-2020 9.4.2.24.2/3, Tables 9-149 and 9-151) and what each implies for
 * key lengths, the PTK key derivation function, the EAPOL-Key MIC and the key descriptor version (Table 12-11).
 *
 * A selector is a 32-bit number: OUI << 8 | type, as hostapd's RSN_SELECTOR (00-0F-AC:4 is 0x000fac04).
 */

import { AKM_SUITE, CIPHER_SUITE, suiteToString } from '../elements/rsn.ts';

/** Cipher suite selectors (the RSN element's, mac80211/elements/rsn.ts). */
export const Cipher = CIPHER_SUITE;
export type CipherSuite = number;

/** AKM suite selectors. */
export const Akm = AKM_SUITE;
export type AkmSuite = number;

/** Temporal key length in bytes for a pairwise/group/management cipher, or 0 when unknown. */
export function cipherKeyLen(cipher: CipherSuite): number {
  switch (cipher) {
    case Cipher.WEP40:
      return 5;
    case Cipher.WEP104:
      return 13;
    case Cipher.CCMP:
    case Cipher.GCMP:
    case Cipher.AES_CMAC:
    case Cipher.BIP_GMAC_128:
      return 16;
    case Cipher.TKIP:
    case Cipher.CCMP_256:
    case Cipher.GCMP_256:
    case Cipher.BIP_GMAC_256:
    case Cipher.BIP_CMAC_256:
      return 32;
    default:
      return 0;
  }
}

/** EAPOL-Key MIC algorithm. */
export type MicAlgorithm = 'hmac-md5' | 'hmac-sha1-128' | 'aes-128-cmac';

export type PtkKdf = 'prf-sha1' | 'kdf-sha256';

/** Everything the key hierarchy needs to know about an AKM (802.11-2020 Table 12-11). */
export interface AkmParams {
  akm: AkmSuite;
  /** Key descriptor version carried in Key Information bits 0-2 (0 = "AKM-defined"). */
  descriptorVersion: number;
  mic: MicAlgorithm;
  kdf: PtkKdf;
  kckLen: number;
  kekLen: number;
  micLen: number;
  /** PMKID hash: HMAC-SHA1-128 (AKM 1/2) or HMAC-SHA256-128. */
  pmkidHash: 'sha1' | 'sha256';
  /** True for AKMs whose PMK comes from a passphrase/PSK (used to classify a failed 4-way handshake). */
  psk: boolean;
}

/**
 * The parameters for an AKM with a given pairwise cipher, or a string saying why it is not supported.
 * Supported: 802.1X/PSK (SHA-1), 802.1X/PSK-SHA256 and SAE (AKM 8), with CCMP-128 or CCMP-256/GCMP as the
 * pairwise cipher. FT (3, 4, 9) needs the FT key hierarchy, OWE and SAE-EXT-KEY need group-dependent hashes, and
 * TKIP (descriptor version 1, RC4 key data) is not a goal: these are refused.
 */
export function akmParams(akm: AkmSuite, pairwise: CipherSuite): AkmParams | string {
  if (pairwise === Cipher.TKIP) return 'TKIP (WPA1 / key descriptor version 1) is not supported';
  if (cipherKeyLen(pairwise) === 0 || pairwise === Cipher.WEP40 || pairwise === Cipher.WEP104) {
    return `pairwise cipher ${suiteToString(pairwise)} is not supported`;
  }
  const base = { akm, kckLen: 16, kekLen: 16, micLen: 16 };
  switch (akm) {
    case Akm.IEEE8021X:
    case Akm.PSK:
      return {
        ...base,
        descriptorVersion: 2,
        mic: 'hmac-sha1-128',
        kdf: 'prf-sha1',
        pmkidHash: 'sha1',
        psk: akm === Akm.PSK,
      };
    case Akm.IEEE8021X_SHA256:
    case Akm.PSK_SHA256:
      return {
        ...base,
        descriptorVersion: 3,
        mic: 'aes-128-cmac',
        kdf: 'kdf-sha256',
        pmkidHash: 'sha256',
        psk: akm === Akm.PSK_SHA256,
      };
    case Akm.SAE:
      return { ...base, descriptorVersion: 0, mic: 'aes-128-cmac', kdf: 'kdf-sha256', pmkidHash: 'sha256', psk: true };
    default:
      return `AKM ${akmLabel(akm)} is not supported`;
  }
}

function akmLabel(akm: AkmSuite): string {
  const name = Object.entries(Akm).find(([, v]) => v === akm)?.[0];
  return name ? `${name} (${suiteToString(akm)})` : suiteToString(akm);
}

/** akmParams that throws (for configuration given by a person or by code that already checked). */
export function requireAkmParams(akm: AkmSuite, pairwise: CipherSuite): AkmParams {
  const p = akmParams(akm, pairwise);
  if (typeof p === 'string') throw new Error(p);
  return p;
}
