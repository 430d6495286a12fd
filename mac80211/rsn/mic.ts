/**
 * The EAPOL-Key MIC (802.11-2020 12.7.2 and Table 12-11): computed over the whole EAPOL PDU (header through Key
 * Data) with the MIC field zeroed, under the KCK. Descriptor version 1: HMAC-MD5; 2: HMAC-SHA1-128; 3 and the
 * AKM-defined SHA-256 AKMs (PSK-SHA256, SAE): AES-128-CMAC.
 */
import { timingSafeEqual } from 'node:crypto';
import { aesCmac } from './cmac.ts';
import { hmac } from './kdf.ts';
import type { MicAlgorithm } from './suites.ts';

/** The MIC algorithm for a key descriptor version 1..3 (0 is AKM-defined: ask the AKM). */
export function micAlgorithmForVersion(version: number): MicAlgorithm | null {
  switch (version) {
    case 1:
      return 'hmac-md5';
    case 2:
      return 'hmac-sha1-128';
    case 3:
      return 'aes-128-cmac';
    default:
      return null;
  }
}

/** MIC of `pdu` (MIC field already zeroed), truncated to `micLen` bytes. */
export function computeMic(alg: MicAlgorithm, kck: Uint8Array, pdu: Uint8Array, micLen = 16): Buffer {
  switch (alg) {
    case 'hmac-md5':
      return hmac('md5', kck, pdu).subarray(0, micLen);
    case 'hmac-sha1-128':
      return hmac('sha1', kck, pdu).subarray(0, micLen);
    case 'aes-128-cmac':
      return aesCmac(kck, pdu).subarray(0, micLen);
  }
}

/** Constant-time comparison of two MICs (false when lengths differ). */
export function micEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
