/**
 * RSN cipher and AKM suite selectors (802.11-2020 9.4.2.24.2/3, Tables 9-149 and 9-151) and what each implies for
 * key lengths, the PTK key derivation function, the EAPOL-Key MIC and the key descriptor version (Table 12-11).
 *
 * A selector is a 32-bit number: OUI << 8 | type, as hostapd's RSN_SELECTOR (00-0F-AC:4 is 0x000fac04).
 */

export const RSN_OUI = 0x000fac;

export const Cipher = {
  USE_GROUP: 0x000fac00,
  WEP40: 0x000fac01,
  TKIP: 0x000fac02,
  CCMP: 0x000fac04,
  WEP104: 0x000fac05,
  BIP_CMAC_128: 0x000fac06,
  NO_GROUP_TRAFFIC: 0x000fac07,
  GCMP: 0x000fac08,
  GCMP_256: 0x000fac09,
  CCMP_256: 0x000fac0a,
  BIP_GMAC_128: 0x000fac0b,
  BIP_GMAC_256: 0x000fac0c,
  BIP_CMAC_256: 0x000fac0d,
} as const;
export type CipherSuite = number;

export const Akm = {
  IEEE8021X: 0x000fac01,
  PSK: 0x000fac02,
  FT_IEEE8021X: 0x000fac03,
  FT_PSK: 0x000fac04,
  IEEE8021X_SHA256: 0x000fac05,
  PSK_SHA256: 0x000fac06,
  TDLS: 0x000fac07,
  SAE: 0x000fac08,
  FT_SAE: 0x000fac09,
  OWE: 0x000fac12,
  SAE_EXT_KEY: 0x000fac18,
} as const;
export type AkmSuite = number;

export function suiteName(s: number): string {
  for (const [k, v] of Object.entries(Cipher)) if (v === s) return k;
  return `${(s >>> 8).toString(16).padStart(6, '0')}:${s & 0xff}`;
}

export function akmName(s: number): string {
  for (const [k, v] of Object.entries(Akm)) if (v === s) return k;
  return `${(s >>> 8).toString(16).padStart(6, '0')}:${s & 0xff}`;
}

/** Temporal key length in bytes for a pairwise/group/management cipher, or 0 when unknown. */
export function cipherKeyLen(cipher: CipherSuite): number {
  switch (cipher) {
    case Cipher.WEP40:
      return 5;
    case Cipher.WEP104:
      return 13;
    case Cipher.CCMP:
    case Cipher.GCMP:
    case Cipher.BIP_CMAC_128:
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

/** Key Replay Counter / PN length in the Key RSC field: 6 bytes for CCMP/GCMP/TKIP. */
export const RSC_LEN = 6;

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
    return `pairwise cipher ${suiteName(pairwise)} is not supported`;
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
      return `AKM ${akmName(akm)} is not supported`;
  }
}

/** akmParams that throws (for configuration given by a person or by code that already checked). */
export function requireAkmParams(akm: AkmSuite, pairwise: CipherSuite): AkmParams {
  const p = akmParams(akm, pairwise);
  if (typeof p === 'string') throw new Error(p);
  return p;
}
