/**
 * What both handshake state machines share: the key-install request they hand to mac80211 (set_key), the Key RSC
 * encoding, EAPOL-Key frame building with MIC and wrapped Key Data, and the 802.11 reason codes they use.
 */
import { randomBytes } from 'node:crypto';
import { type EapolKeyInit, encodeEapolKey, KeyInfo, setEapolKeyMic } from './eapol-key.ts';
import { padKeyData } from './kde.ts';
import { aesKeyUnwrap, aesKeyWrap } from './keywrap.ts';
import type { AkmParams, CipherSuite } from './suites.ts';

/** 802.11-2020 Table 9-49 reason codes used by the handshakes. */
export const Reason = {
  UNSPECIFIED: 1,
  PREV_AUTH_NOT_VALID: 2,
  DEAUTH_LEAVING: 3,
  MICHAEL_MIC_FAILURE: 14,
  FOURWAY_HANDSHAKE_TIMEOUT: 15,
  GROUP_KEY_UPDATE_TIMEOUT: 16,
  IE_IN_4WAY_DIFFERS: 17,
  GROUP_CIPHER_NOT_VALID: 18,
  PAIRWISE_CIPHER_NOT_VALID: 19,
  AKMP_NOT_VALID: 20,
  IEEE_802_1X_AUTH_FAILED: 23,
} as const;

/** A key for mac80211 to install through the driver's set_key (Linux's ieee80211_key_conf, reduced). */
export interface InstallKey {
  kind: 'pairwise' | 'group' | 'igtk' | 'bigtk';
  cipher: CipherSuite;
  /** 0 for the PTK (no extended key ID), 1..3 for GTKs, 4..5 IGTK, 6..7 BIGTK. */
  keyIdx: number;
  key: Uint8Array;
  /** Receive sequence counter: frames must carry a larger PN (the Key RSC / IPN of the handshake; 0 for a PTK). */
  rsc: number;
  /** Peer address for a pairwise key. */
  addr?: Uint8Array;
  /** Authenticator side: install as the transmit key for group traffic. */
  tx?: boolean;
}

/** Source of randomness for nonces and GTKs: node's CSPRNG by default; a seeded Prng's bytes() in simulations. */
export type RandomSource = (n: number) => Uint8Array;
export const defaultRandom: RandomSource = (n) => randomBytes(n);

/** Key RSC / IPN (little-endian PN0 first) as a number (48 bits are exact in a double). */
export function rscToPn(rsc: Uint8Array, len = 6): number {
  let pn = 0;
  for (let i = Math.min(len, rsc.length) - 1; i >= 0; i--) pn = pn * 256 + rsc[i]!;
  return pn;
}

export function pnToRsc(pn: number, len = 8): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < 6 && i < len; i++) {
    out[i] = pn % 256;
    pn = Math.floor(pn / 256);
  }
  return out;
}

export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Build an EAPOL-Key frame: Key Data padded and wrapped under `kek` when ENCRYPTED_KEY_DATA is set, MIC under `kck`. */
export function buildEapolKey(
  params: AkmParams,
  f: EapolKeyInit,
  kck: Uint8Array | null,
  kek: Uint8Array | null,
): Buffer {
  let keyData = f.keyData;
  if (f.keyInfo & KeyInfo.ENCRYPTED_KEY_DATA) {
    if (kek === null) throw new Error('buildEapolKey: encrypted Key Data needs a KEK');
    keyData = aesKeyWrap(kek, padKeyData(keyData ?? new Uint8Array(0)));
  }
  const frame = encodeEapolKey({ ...f, keyData }, params.micLen);
  if (f.keyInfo & KeyInfo.MIC) {
    if (kck === null) throw new Error('buildEapolKey: a MIC needs a KCK');
    setEapolKeyMic(frame, params.mic, kck, params.micLen);
  }
  return frame;
}

/** Unwrap Key Data (null when the integrity check fails). */
export function unwrapKeyData(kek: Uint8Array, keyData: Uint8Array): Buffer | null {
  return aesKeyUnwrap(kek, keyData);
}
