/**
 * The chip's hardware CCMP-128 engine (IEEE 802.11-2020 §12.5.3): AES-CCM with an 8-byte MIC, a 13-byte nonce and
 * the AAD built from the MAC header. Uses node:crypto's aes-128-ccm directly (one OpenSSL context per frame was
 * measured faster than CCM built in JavaScript from long-lived AES-ECB/CBC contexts); independent of mac80211/rsn's
 * software CCMP so the two check each other.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  FC_MOREDATA,
  FC_ORDER,
  FC_PROTECTED,
  FC_PWRMGT,
  FC_RETRY,
  FC_TYPE_DATA,
  FC_TYPE_MGMT,
  FC_FROMDS,
  FC_TODS,
  fcType,
  frameControl,
  isQosData,
} from './ieee80211.ts';

export const CCMP_HDR_LEN = 8;
export const CCMP_MIC_LEN = 8;

/** The 8-byte CCMP header for packet number `pn` (48 bits) and key id. */
export function writeCcmpHeader(out: Uint8Array, off: number, pn: number, keyId: number): void {
  out[off] = pn & 0xff;
  out[off + 1] = Math.floor(pn / 0x100) & 0xff;
  out[off + 2] = 0;
  out[off + 3] = 0x20 | ((keyId & 3) << 6); // ExtIV
  out[off + 4] = Math.floor(pn / 0x10000) & 0xff;
  out[off + 5] = Math.floor(pn / 0x1000000) & 0xff;
  out[off + 6] = Math.floor(pn / 0x100000000) & 0xff;
  out[off + 7] = Math.floor(pn / 0x10000000000) & 0xff;
}

/** PN of the CCMP header at `off` (48 bits, as a number). */
export function readCcmpPn(f: Uint8Array, off: number): number {
  return (
    f[off]! +
    f[off + 1]! * 0x100 +
    f[off + 4]! * 0x10000 +
    f[off + 5]! * 0x1000000 +
    f[off + 6]! * 0x100000000 +
    f[off + 7]! * 0x10000000000
  );
}

function nonce(hdr: Uint8Array, hdrLen: number, pn: number, n: Uint8Array = Buffer.alloc(13)): Buffer {
  const fc = frameControl(hdr);
  let prio = 0;
  if (isQosData(fc)) {
    const qcOff = (fc & (FC_TODS | FC_FROMDS)) === (FC_TODS | FC_FROMDS) ? 30 : 24;
    if (qcOff < hdrLen) prio = hdr[qcOff]! & 0x0f;
  }
  // Management frames (protected robust management, MFP) set the Management bit (BIT4) of the nonce flags.
  n[0] = prio | (fcType(fc) === FC_TYPE_MGMT ? 0x10 : 0);
  n.set(hdr.subarray(10, 16), 1); // A2
  for (let i = 0; i < 6; i++) n[7 + i] = Math.floor(pn / 2 ** (8 * (5 - i))) & 0xff; // PN5..PN0
  return n as Buffer;
}

function aadLength(hdr: Uint8Array): number {
  const fc = frameControl(hdr);
  return 22 + ((fc & (FC_TODS | FC_FROMDS)) === (FC_TODS | FC_FROMDS) ? 6 : 0) + (isQosData(fc) ? 2 : 0);
}

function aad(hdr: Uint8Array, hdrLen: number, a: Uint8Array = Buffer.alloc(aadLength(hdr))): Buffer {
  const fc = frameControl(hdr);
  const fourAddr = (fc & (FC_TODS | FC_FROMDS)) === (FC_TODS | FC_FROMDS);
  const qos = isQosData(fc);
  let mfc = fc & ~(FC_RETRY | FC_PWRMGT | FC_MOREDATA);
  if (fcType(fc) === FC_TYPE_DATA) mfc &= ~0x0070; // subtype bits 4..6
  if (qos) mfc &= ~FC_ORDER;
  mfc |= FC_PROTECTED;
  a[0] = mfc & 0xff;
  a[1] = mfc >> 8;
  a.set(hdr.subarray(4, 22), 2); // A1 A2 A3
  a[20] = hdr[22]! & 0x0f; // sequence control: fragment number only
  a[21] = 0;
  let o = 22;
  if (fourAddr) {
    a.set(hdr.subarray(24, 30), o);
    o += 6;
  }
  if (qos) {
    const qcOff = fourAddr ? 30 : 24;
    a[o] = qcOff < hdrLen ? hdr[qcOff]! & 0x0f : 0;
    a[o + 1] = 0;
  }
  return a as Buffer;
}

/**
 * Encrypts `plain` (the frame body) for the MAC header `hdr` (hdrLen bytes, Protected bit already set) with packet
 * number `pn`; returns ciphertext || MIC.
 */
export function ccmpEncrypt(key: Uint8Array, hdr: Uint8Array, hdrLen: number, pn: number, plain: Uint8Array): Buffer {
  const c = createCipheriv('aes-128-ccm', key, nonce(hdr, hdrLen, pn), { authTagLength: CCMP_MIC_LEN });
  c.setAAD(aad(hdr, hdrLen), { plaintextLength: plain.length });
  const body = c.update(plain);
  c.final();
  return Buffer.concat([body, c.getAuthTag()]);
}

/** Decrypts ciphertext || MIC; null when the MIC does not verify. */
export function ccmpDecrypt(
  key: Uint8Array,
  hdr: Uint8Array,
  hdrLen: number,
  pn: number,
  data: Uint8Array,
): Buffer | null {
  if (data.length < CCMP_MIC_LEN) return null;
  const ctLen = data.length - CCMP_MIC_LEN;
  try {
    const d = createDecipheriv('aes-128-ccm', key, nonce(hdr, hdrLen, pn), { authTagLength: CCMP_MIC_LEN });
    d.setAuthTag(data.subarray(ctLen));
    d.setAAD(aad(hdr, hdrLen), { plaintextLength: ctLen });
    const out = d.update(data.subarray(0, ctLen));
    d.final();
    return out;
  } catch {
    return null;
  }
}
