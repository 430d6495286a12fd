/**
 * AES-CCM (RFC 3610; 802.11-2020 12.5.3) with L = 2 (13-byte nonce) and M = 8 or 16, built for the receive hot
 * path: one key schedule per key, no cipher object per frame, and a batch mode.
 *
 * node:crypto's own 'aes-128-ccm' needs a createDecipheriv() per frame (a new OpenSSL context and key schedule).
 * Here each key keeps two long-lived OpenSSL contexts:
 *  - AES-ECB encrypts counter blocks A0..An: the CTR keystream (S0 masks the tag). In batch mode the counter
 *    blocks of every frame of the batch go through one ECB call: each node:crypto call costs about a microsecond
 *    of fixed overhead (output allocation), more than the AES work on 1,500 bytes;
 *  - AES-CBC with a zero IV computes the CBC-MAC. A CBC context keeps its chaining value (the last ciphertext
 *    block) between update() calls, so the next message starts as CBC with IV = that block; xoring the previous
 *    last block into B0 cancels it, which turns the same context into a fresh CBC-MAC for every message. The
 *    CBC-MAC is inherently serial, so it stays one call per frame.
 * The MAC input is assembled in a 4-byte aligned scratch buffer so that the keystream xor runs on 32-bit words.
 * Figures (and the comparison with createDecipheriv): ccmp-bench.ts.
 */
import { type Cipher, createCipheriv, createDecipheriv } from 'node:crypto';

const ZERO16 = Buffer.alloc(16);

/** One message of a batch. Reused between batches: the caller fills it, decryptBatch sets `ok`. */
export interface CcmJob {
  /** 13 bytes. */
  nonce: Uint8Array;
  /** At least aadLen bytes (at most 30). */
  aad: Uint8Array;
  aadLen: number;
  buf: Uint8Array;
  off: number;
  len: number;
  tagOff: number;
  /** Set by decryptBatch: the tag verified and buf[off, off+len) now holds the plaintext. */
  ok: boolean;
}

export function newCcmJob(): CcmJob {
  return {
    nonce: new Uint8Array(13),
    aad: new Uint8Array(32),
    aadLen: 0,
    buf: ZERO16,
    off: 0,
    len: 0,
    tagOff: 0,
    ok: false,
  };
}

export class AesCcm {
  readonly tagLen: number;
  private readonly ecb: Cipher;
  private readonly cbc: Cipher;
  /** Last CBC output block: the chaining value the CBC context continues from. */
  private readonly chain = Buffer.alloc(16);
  /** Counter blocks. */
  private ctr = new Uint8Array(0);
  private ctr32 = new Int32Array(0);
  /**
   * MAC input: B0 | AAD blocks | data blocks. The data sit at a block boundary, so 4-byte aligned. Plain
   * Uint8Arrays (not Buffers) and explicit views: Buffer#subarray costs more than the work on a short frame.
   */
  private mac = new Uint8Array(0);
  private mac32 = new Int32Array(0);

  /** `key` 16 (AES-128, CCMP) or 32 bytes (AES-256, CCMP-256); `tagLen` 8 (CCMP) or 16 (CCMP-256). */
  constructor(key: Uint8Array, tagLen = 8) {
    if (key.length !== 16 && key.length !== 32) throw new RangeError('AES-CCM key must be 16 or 32 bytes');
    if (tagLen < 4 || tagLen > 16 || tagLen & 1) throw new RangeError(`AES-CCM tag length ${tagLen} is invalid`);
    this.tagLen = tagLen;
    const bits = key.length * 8;
    this.ecb = createCipheriv(`aes-${bits}-ecb`, key, null);
    this.ecb.setAutoPadding(false);
    this.cbc = createCipheriv(`aes-${bits}-cbc`, key, ZERO16);
    this.cbc.setAutoPadding(false);
    this.growMac(2304);
    this.growCtr(2304 / 16 + 1);
  }

  private growMac(dataLen: number): void {
    const bytes = (Math.ceil(dataLen / 16) + 3) * 16; // B0 + up to 2 AAD blocks (2 + 30 bytes) + data
    if (this.mac.length >= bytes) return;
    const ab = new ArrayBuffer(bytes);
    this.mac = new Uint8Array(ab);
    this.mac32 = new Int32Array(ab);
  }

  private growCtr(blocks: number): void {
    if (this.ctr.length >= blocks * 16) return;
    const ab = new ArrayBuffer(blocks * 16);
    this.ctr = new Uint8Array(ab);
    this.ctr32 = new Int32Array(ab);
  }

  /** Write counter blocks A0..A(nBlocks) for `nonce` at block `at` of this.ctr. */
  private counters(nonce: Uint8Array, nBlocks: number, at: number): void {
    const c = this.ctr;
    const b0 = at << 4;
    // A_i = flags (L-1 = 1) | nonce (13) | i (16-bit big-endian). Build A0, then write every block as 4 words: the
    // first three are A0's, the last is nonce[11..12] with i, from a table of i's two bytes in word position.
    c[b0] = 1;
    c.set(nonce, b0 + 1);
    c[b0 + 14] = 0;
    c[b0 + 15] = 0;
    const c32 = this.ctr32;
    const w = at << 2;
    const w0 = c32[w]!;
    const w1 = c32[w + 1]!;
    const w2 = c32[w + 2]!;
    const w3 = c32[w + 3]!;
    const ctrWords = counterWords(nBlocks);
    for (let i = 1, o = w + 4; i <= nBlocks; i++, o += 4) {
      c32[o] = w0;
      c32[o + 1] = w1;
      c32[o + 2] = w2;
      c32[o + 3] = w3 | ctrWords[i]!;
    }
  }

  /** Write B0 and the AAD blocks; returns the offset of the data area in this.mac. */
  private header(nonce: Uint8Array, aad: Uint8Array, aadLen: number, dataLen: number): number {
    const m = this.mac;
    m[0] = 0x40 | (((this.tagLen - 2) >> 1) << 3) | 1; // Adata | M' | L'
    m.set(nonce, 1);
    m[14] = dataLen >> 8;
    m[15] = dataLen & 0xff;
    const aadEnd = 16 + 2 + aadLen;
    const dataOff = (aadEnd + 15) & ~15;
    m[16] = aadLen >> 8;
    m[17] = aadLen & 0xff;
    for (let i = 0; i < aadLen; i++) m[18 + i] = aad[i]!;
    for (let i = aadEnd; i < dataOff; i++) m[i] = 0;
    // Continue the CBC context's chain from its last block: B0 ^ chain ^ chain = B0 under a zero IV.
    const ch = this.chain;
    for (let i = 0; i < 16; i++) m[i]! ^= ch[i]!;
    return dataOff;
  }

  /** CBC-MAC over this.mac[0, end); returns T (its first tagLen bytes matter) and keeps the chain. */
  private cbcMac(end: number): Buffer {
    const out = this.cbc.update(new Uint8Array(this.mac.buffer, 0, end));
    const ch = this.chain;
    for (let i = 0, o = out.length - 16; i < 16; i++) ch[i] = out[o + i]!;
    return ch;
  }

  /** this.mac[dataOff...] ^= keystream blocks 1..nBlocks of the message whose A0 is block `ksBlock` of ks. */
  private xorKeystream(dataOff: number, ks: Buffer, ksBlock: number, nBlocks: number): void {
    const m32 = this.mac32;
    const start = ks.byteOffset + ((ksBlock + 1) << 4);
    if ((start & 3) === 0) {
      const k32 = new Int32Array(ks.buffer, start, nBlocks << 2);
      // One block per iteration: V8 keeps the four xors in registers (about twice as fast as a word loop).
      for (let i = 0, d = dataOff >> 2, e = nBlocks << 2; i < e; i += 4, d += 4) {
        m32[d] = m32[d]! ^ k32[i]!;
        m32[d + 1] = m32[d + 1]! ^ k32[i + 1]!;
        m32[d + 2] = m32[d + 2]! ^ k32[i + 2]!;
        m32[d + 3] = m32[d + 3]! ^ k32[i + 3]!;
      }
    } else {
      const m = this.mac;
      const k = (ksBlock + 1) << 4;
      for (let i = 0; i < nBlocks * 16; i++) m[dataOff + i]! ^= ks[k + i]!;
    }
  }

  private decryptOne(j: CcmJob, ks: Buffer, ksBlock: number): boolean {
    const len = j.len;
    const nb = (len + 15) >> 4;
    const dataOff = this.header(j.nonce, j.aad, j.aadLen, len);
    const m = this.mac;
    const buf = j.buf;
    m.set(view(buf, j.off, len), dataOff);
    this.xorKeystream(dataOff, ks, ksBlock, nb);
    for (let i = dataOff + len, e = dataOff + nb * 16; i < e; i++) m[i] = 0;
    const t = this.cbcMac(dataOff + nb * 16);
    const s0 = ksBlock << 4;
    const tagOff = j.tagOff;
    let diff = 0;
    for (let i = 0; i < this.tagLen; i++) diff |= t[i]! ^ ks[s0 + i]! ^ buf[tagOff + i]!;
    if (diff !== 0) return false;
    buf.set(view(m, dataOff, len), j.off);
    return true;
  }

  /**
   * Encrypt buf[off, off+len) in place and write the tag at buf[tagOff, tagOff+tagLen). `aad` holds `aadLen`
   * bytes (at most 30), `nonce` 13 bytes.
   */
  encrypt(
    nonce: Uint8Array,
    aad: Uint8Array,
    aadLen: number,
    buf: Uint8Array,
    off: number,
    len: number,
    tagOff: number,
  ): void {
    this.growMac(len);
    const nb = (len + 15) >> 4;
    const dataOff = this.header(nonce, aad, aadLen, len);
    const m = this.mac;
    m.set(view(buf, off, len), dataOff);
    for (let i = dataOff + len, e = dataOff + nb * 16; i < e; i++) m[i] = 0;
    const t = this.cbcMac(dataOff + nb * 16);
    this.growCtr(nb + 1);
    this.counters(nonce, nb, 0);
    const ks = this.ecb.update(view(this.ctr, 0, (nb + 1) << 4));
    this.xorKeystream(dataOff, ks, 0, nb);
    buf.set(view(m, dataOff, len), off);
    for (let i = 0; i < this.tagLen; i++) buf[tagOff + i] = t[i]! ^ ks[i]!;
  }

  /**
   * Decrypt buf[off, off+len) in place if the tag at buf[tagOff...] verifies; returns false (and leaves buf
   * untouched) when it does not.
   */
  decrypt(
    nonce: Uint8Array,
    aad: Uint8Array,
    aadLen: number,
    buf: Uint8Array,
    off: number,
    len: number,
    tagOff: number,
  ): boolean {
    const j = this.single;
    j.nonce = nonce;
    j.aad = aad;
    j.aadLen = aadLen;
    j.buf = buf;
    j.off = off;
    j.len = len;
    j.tagOff = tagOff;
    this.decryptBatch(this.singleList, 1);
    j.buf = ZERO16;
    return j.ok;
  }

  private readonly single = newCcmJob();
  private readonly singleList = [this.single];

  /**
   * Decrypt jobs[0, count) in place, each verified on its own (job.ok). The keystreams of the whole batch come
   * from one ECB call; the CBC-MACs are one call each.
   */
  decryptBatch(jobs: readonly CcmJob[], count: number): void {
    let blocks = 0;
    let maxLen = 0;
    for (let i = 0; i < count; i++) {
      const len = jobs[i]!.len;
      blocks += ((len + 15) >> 4) + 1;
      if (len > maxLen) maxLen = len;
    }
    this.growCtr(blocks);
    this.growMac(maxLen);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const j = jobs[i]!;
      const nb = (j.len + 15) >> 4;
      this.counters(j.nonce, nb, at);
      at += nb + 1;
    }
    const ks = this.ecb.update(view(this.ctr, 0, blocks << 4));
    at = 0;
    for (let i = 0; i < count; i++) {
      const j = jobs[i]!;
      j.ok = this.decryptOne(j, ks, at);
      at += ((j.len + 15) >> 4) + 1;
    }
  }
}

/**
 * Little-endian words holding bytes 14-15 of counter block i (i big-endian), for i = 0..n; grown on demand. The
 * word layout assumes a little-endian host (checked once below), as the Int32Array views over the blocks do.
 */
let ctrWordTable = new Int32Array(0);
function counterWords(n: number): Int32Array {
  if (ctrWordTable.length <= n) {
    const t = new Int32Array(Math.max(n + 1, 256));
    for (let i = 0; i < t.length; i++) t[i] = ((i >> 8) << 16) | ((i & 0xff) << 24);
    ctrWordTable = t;
  }
  return ctrWordTable;
}
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('aes-ccm: a little-endian host is assumed');

/** A plain Uint8Array view of b[off, off+len) (cheaper than Buffer#subarray). */
function view(b: Uint8Array, off: number, len: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + off, len);
}

/** Reference AES-CCM through node:crypto's one-shot cipher (a new context per call): for tests and the benchmark. */
export function ccmEncryptReference(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plain: Uint8Array,
  tagLen = 8,
): { ciphertext: Buffer; tag: Buffer } {
  const c = createCipheriv(`aes-${key.length * 8}-ccm` as 'aes-128-ccm', key, nonce, { authTagLength: tagLen });
  c.setAAD(aad, { plaintextLength: plain.length });
  const ciphertext = Buffer.concat([c.update(plain), c.final()]);
  return { ciphertext, tag: c.getAuthTag() };
}

export function ccmDecryptReference(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): Buffer | null {
  try {
    const d = createDecipheriv(`aes-${key.length * 8}-ccm` as 'aes-128-ccm', key, nonce, {
      authTagLength: tag.length,
    });
    d.setAuthTag(tag);
    d.setAAD(aad, { plaintextLength: ciphertext.length });
    const out = d.update(ciphertext);
    d.final();
    return out;
  } catch {
    return null;
  }
}
