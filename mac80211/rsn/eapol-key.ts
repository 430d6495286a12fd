/**
 * EAPOL-Key frames (802.11-2020 12.7.2, Figure 12-32): decode and encode, the Key Information bits, and the MIC
 * over the whole EAPOL PDU.
 *
 *   EAPOL header (4) | Descriptor Type (1) | Key Information (2) | Key Length (2) | Key Replay Counter (8) |
 *   Key Nonce (32) | EAPOL-Key IV (16) | Key RSC (8) | Reserved (8) | Key MIC (0, 16, 24 or 32) |
 *   Key Data Length (2) | Key Data
 */
import { type EapolDropReason, EAPOL_HDR_LEN, EapolType, type Parse } from './eapol.ts';
import { computeMic, micEqual } from './mic.ts';
import type { MicAlgorithm } from './suites.ts';

export const KeyDescriptorType = { RC4: 1, RSN: 2, WPA: 254 } as const;

/** Key Information bits (802.11-2020 Figure 12-33), numbered from the least significant bit of the 16-bit field. */
export const KeyInfo = {
  /** Bits 0-2: key descriptor version (1 HMAC-MD5/RC4, 2 HMAC-SHA1/AES-KW, 3 AES-CMAC/AES-KW, 0 AKM-defined). */
  VERSION_MASK: 0x0007,
  /** Bit 3: Key Type, 1 = pairwise (PTK), 0 = group. */
  PAIRWISE: 0x0008,
  /** Bits 4-5: reserved in RSN; the key index in WPA1. */
  KEY_INDEX_MASK: 0x0030,
  INSTALL: 0x0040,
  ACK: 0x0080,
  MIC: 0x0100,
  SECURE: 0x0200,
  ERROR: 0x0400,
  REQUEST: 0x0800,
  ENCRYPTED_KEY_DATA: 0x1000,
  SMK_MESSAGE: 0x2000,
  RESERVED_MASK: 0xc000,
} as const;

export interface KeyInfoFields {
  descriptorVersion: number;
  pairwise: boolean;
  keyIndex: number;
  install: boolean;
  ack: boolean;
  mic: boolean;
  secure: boolean;
  error: boolean;
  request: boolean;
  encryptedKeyData: boolean;
  smkMessage: boolean;
}

export function decodeKeyInfo(v: number): KeyInfoFields {
  return {
    descriptorVersion: v & KeyInfo.VERSION_MASK,
    pairwise: (v & KeyInfo.PAIRWISE) !== 0,
    keyIndex: (v & KeyInfo.KEY_INDEX_MASK) >> 4,
    install: (v & KeyInfo.INSTALL) !== 0,
    ack: (v & KeyInfo.ACK) !== 0,
    mic: (v & KeyInfo.MIC) !== 0,
    secure: (v & KeyInfo.SECURE) !== 0,
    error: (v & KeyInfo.ERROR) !== 0,
    request: (v & KeyInfo.REQUEST) !== 0,
    encryptedKeyData: (v & KeyInfo.ENCRYPTED_KEY_DATA) !== 0,
    smkMessage: (v & KeyInfo.SMK_MESSAGE) !== 0,
  };
}

export function encodeKeyInfo(f: Partial<KeyInfoFields>): number {
  return (
    ((f.descriptorVersion ?? 0) & KeyInfo.VERSION_MASK) |
    (f.pairwise ? KeyInfo.PAIRWISE : 0) |
    (((f.keyIndex ?? 0) << 4) & KeyInfo.KEY_INDEX_MASK) |
    (f.install ? KeyInfo.INSTALL : 0) |
    (f.ack ? KeyInfo.ACK : 0) |
    (f.mic ? KeyInfo.MIC : 0) |
    (f.secure ? KeyInfo.SECURE : 0) |
    (f.error ? KeyInfo.ERROR : 0) |
    (f.request ? KeyInfo.REQUEST : 0) |
    (f.encryptedKeyData ? KeyInfo.ENCRYPTED_KEY_DATA : 0) |
    (f.smkMessage ? KeyInfo.SMK_MESSAGE : 0)
  );
}

/** The fields of an EAPOL-Key frame. Byte fields are views of the decoded input. */
export interface EapolKey {
  /** EAPOL protocol version of the enclosing header. */
  eapolVersion: number;
  descriptorType: number;
  keyInfo: number;
  keyLength: number;
  replayCounter: bigint;
  /** 32 bytes. */
  nonce: Uint8Array;
  /** 16 bytes. */
  iv: Uint8Array;
  /** 8 bytes: the receive sequence counter of the key being installed (PN0 first). */
  rsc: Uint8Array;
  /** 8 reserved bytes (the Key ID in WPA1). */
  keyId: Uint8Array;
  /** micLen bytes. */
  mic: Uint8Array;
  keyData: Uint8Array;
}

export interface DecodedEapolKey extends EapolKey {
  /** The EAPOL PDU (header through Key Data) the MIC covers: a view of the input. */
  pdu: Uint8Array;
}

/** Offset of the Key MIC field from the start of the EAPOL header. */
export const EAPOL_KEY_MIC_OFFSET = EAPOL_HDR_LEN + 1 + 2 + 2 + 8 + 32 + 16 + 8 + 8;

export type EapolKeyDropReason =
  | EapolDropReason
  | 'eapol-not-key'
  | 'eapol-key-short'
  | 'eapol-key-bad-descriptor'
  | 'eapol-key-data-overrun';

const EMPTY = new Uint8Array(0);

/**
 * Decode an EAPOL-Key frame (from its EAPOL header) whose MIC field is `micLen` bytes. Descriptor types 2 (RSN)
 * and 254 (WPA) are accepted. Trailing bytes after the EAPOL body and after the Key Data are ignored.
 */
export function decodeEapolKey(buf: Uint8Array, micLen = 16): Parse<DecodedEapolKey, EapolKeyDropReason> {
  if (buf.length < EAPOL_HDR_LEN) return { ok: false, reason: 'eapol-short' };
  const bodyLen = (buf[2]! << 8) | buf[3]!;
  if (EAPOL_HDR_LEN + bodyLen > buf.length) return { ok: false, reason: 'eapol-truncated' };
  if (buf[1] !== EapolType.KEY) return { ok: false, reason: 'eapol-not-key' };
  const end = EAPOL_HDR_LEN + bodyLen;
  const kdlOff = EAPOL_KEY_MIC_OFFSET + micLen;
  if (kdlOff + 2 > end) return { ok: false, reason: 'eapol-key-short' };
  const desc = buf[4]!;
  if (desc !== KeyDescriptorType.RSN && desc !== KeyDescriptorType.WPA) {
    return { ok: false, reason: 'eapol-key-bad-descriptor' };
  }
  const kdl = (buf[kdlOff]! << 8) | buf[kdlOff + 1]!;
  if (kdlOff + 2 + kdl > end) return { ok: false, reason: 'eapol-key-data-overrun' };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    ok: true,
    value: {
      eapolVersion: buf[0]!,
      descriptorType: desc,
      keyInfo: dv.getUint16(5),
      keyLength: dv.getUint16(7),
      replayCounter: dv.getBigUint64(9),
      nonce: buf.subarray(17, 49),
      iv: buf.subarray(49, 65),
      rsc: buf.subarray(65, 73),
      keyId: buf.subarray(73, 81),
      mic: buf.subarray(EAPOL_KEY_MIC_OFFSET, kdlOff),
      keyData: buf.subarray(kdlOff + 2, kdlOff + 2 + kdl),
      pdu: buf.subarray(0, end),
    },
  };
}

export interface EapolKeyInit {
  eapolVersion?: number;
  descriptorType?: number;
  keyInfo: number;
  keyLength?: number;
  replayCounter: bigint;
  nonce?: Uint8Array;
  iv?: Uint8Array;
  rsc?: Uint8Array;
  keyId?: Uint8Array;
  /** Omitted: zeros (compute it afterwards with setEapolKeyMic). */
  mic?: Uint8Array;
  keyData?: Uint8Array;
}

function putFixed(out: Uint8Array, off: number, len: number, v: Uint8Array | undefined, what: string): void {
  if (v === undefined) return;
  if (v.length !== len) throw new RangeError(`EAPOL-Key ${what} must be ${len} bytes (got ${v.length})`);
  out.set(v, off);
}

/** Encode an EAPOL-Key frame with its EAPOL header. */
export function encodeEapolKey(k: EapolKeyInit, micLen = 16): Buffer {
  const keyData = k.keyData ?? EMPTY;
  const kdlOff = EAPOL_KEY_MIC_OFFSET + micLen;
  const total = kdlOff + 2 + keyData.length;
  if (total - EAPOL_HDR_LEN > 0xffff) throw new RangeError('EAPOL-Key frame too long');
  const out = Buffer.alloc(total);
  out[0] = k.eapolVersion ?? 2;
  out[1] = EapolType.KEY;
  out.writeUInt16BE(total - EAPOL_HDR_LEN, 2);
  out[4] = k.descriptorType ?? KeyDescriptorType.RSN;
  out.writeUInt16BE(k.keyInfo & 0xffff, 5);
  out.writeUInt16BE((k.keyLength ?? 0) & 0xffff, 7);
  out.writeBigUInt64BE(BigInt.asUintN(64, k.replayCounter), 9);
  putFixed(out, 17, 32, k.nonce, 'nonce');
  putFixed(out, 49, 16, k.iv, 'IV');
  putFixed(out, 65, 8, k.rsc, 'RSC');
  putFixed(out, 73, 8, k.keyId, 'Key ID');
  putFixed(out, EAPOL_KEY_MIC_OFFSET, micLen, k.mic, 'MIC');
  out.writeUInt16BE(keyData.length, kdlOff);
  out.set(keyData, kdlOff + 2);
  return out;
}

/** The MIC of an EAPOL PDU: computed over a copy with the MIC field zeroed. */
export function eapolKeyMic(pdu: Uint8Array, alg: MicAlgorithm, kck: Uint8Array, micLen = 16): Buffer {
  const copy = Buffer.from(pdu);
  copy.fill(0, EAPOL_KEY_MIC_OFFSET, EAPOL_KEY_MIC_OFFSET + micLen);
  return computeMic(alg, kck, copy, micLen);
}

/** Compute the MIC of an encoded frame and write it in place. */
export function setEapolKeyMic(pdu: Uint8Array, alg: MicAlgorithm, kck: Uint8Array, micLen = 16): void {
  pdu.set(eapolKeyMic(pdu, alg, kck, micLen), EAPOL_KEY_MIC_OFFSET);
}

/** True when the MIC field of `pdu` (header through Key Data, no padding) is right under `kck`. */
export function verifyEapolKeyMic(pdu: Uint8Array, alg: MicAlgorithm, kck: Uint8Array, micLen = 16): boolean {
  if (pdu.length < EAPOL_KEY_MIC_OFFSET + micLen) return false;
  return micEqual(
    eapolKeyMic(pdu, alg, kck, micLen),
    pdu.subarray(EAPOL_KEY_MIC_OFFSET, EAPOL_KEY_MIC_OFFSET + micLen),
  );
}

export type EapolKeyMessage = '4way-1' | '4way-2' | '4way-3' | '4way-4' | 'group-1' | 'group-2' | 'request';

/** Which handshake message a frame is, by its Key Information (as hostapd tells message 2 from 4 by Key Data). */
export function eapolKeyMessage(k: EapolKey): EapolKeyMessage {
  const ki = k.keyInfo;
  if (ki & KeyInfo.REQUEST) return 'request';
  if (ki & KeyInfo.PAIRWISE) {
    if (ki & KeyInfo.ACK) return ki & KeyInfo.MIC ? '4way-3' : '4way-1';
    return k.keyData.length === 0 ? '4way-4' : '4way-2';
  }
  return ki & KeyInfo.ACK ? 'group-1' : 'group-2';
}
