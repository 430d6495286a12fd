/**
 * CCMP decrypt throughput for 1,500-byte frames (a benchmark, not a test): node:crypto's one-shot AES-CCM with a
 * createDecipheriv() per frame against CcmpKey's reusable ECB + CBC contexts, one frame at a time and in batches.
 *
 *   npx tsx mac80211/rsn/ccmp-bench.ts [seconds-per-case]
 *
 * Measured on the development machine (2-core AMD EPYC VM shared with other jobs, Node 20, OpenSSL 3.0), medians:
 * createDecipheriv per frame ~110-135k frames/s; CcmpKey.decrypt ~100-130k; CcmpKey.decryptBatch (64 per call)
 * ~195-210k. Each node:crypto update() call costs about a microsecond of fixed overhead (output allocation and
 * copy), and the CBC-MAC cannot be batched (it is serial), so a batch saves the keystream calls only.
 */
import { createDecipheriv } from 'node:crypto';
import { positiveArg } from '../../tools/bench/framework.ts';
import { CCMP_HDR_LEN, CcmpKey, CcmpResult, ccmpAad, ccmpEncryptMpdu, ccmpHeaderPn, ccmpNonce } from './ccmp.ts';

const SECONDS = positiveArg(process.argv[2], 2, 'seconds per case');
const PAYLOAD = 1500;
const N = 2048;
const tk = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

// QoS data frames, ToDS, TID 0, 1,500 bytes of payload (the MSDU incl. LLC/SNAP), increasing PNs.
const hdr = Buffer.from('88410000020000000001020000000002020000000003000000', 'hex').subarray(0, 26);
const tx = new CcmpKey(tk);
const frames: Buffer[] = [];
for (let i = 0; i < N; i++) {
  const body = Buffer.alloc(PAYLOAD, i & 0xff);
  frames.push(ccmpEncryptMpdu(tx, Buffer.concat([hdr, body])));
}
const work = Buffer.alloc(frames[0]!.length);

interface Case {
  name: string;
  fn: (f: Buffer, i: number) => boolean;
  rates: number[];
  failed: number;
}
const cases: Case[] = [];
function run(name: string, fn: (f: Buffer, i: number) => boolean): void {
  cases.push({ name, fn, rates: [], failed: 0 });
}

/** Rounds of SECONDS/ROUNDS each, the cases interleaved, so that load from elsewhere hits them alike. */
function measure(rounds = 5): void {
  for (const c of cases) {
    const warm = performance.now();
    for (let n = 0; performance.now() - warm < 300; n++) c.fn(frames[n % N]!, n);
  }
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      let n = 0;
      let ok = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < (SECONDS * 1000) / rounds) {
        for (let j = 0; j < 256; j++, n++) ok += c.fn(frames[n % N]!, n) ? 1 : 0;
        t = performance.now();
      }
      c.rates.push((n / (t - t0)) * 1000);
      c.failed += n - ok;
    }
  }
  for (const c of cases) {
    const sorted = [...c.rates].sort((a, b) => a - b);
    const med = sorted[sorted.length >> 1]!;
    const best = sorted.at(-1)!;
    console.log(
      `${c.name.padEnd(44)} median ${fmt(med)} frames/s (${(1e6 / med).toFixed(2)} µs/frame, ${Math.round((med * PAYLOAD * 8) / 1e6)} Mbit/s)  best ${fmt(best)}  ${c.failed ? `${c.failed} FAILED` : 'all verified'}`,
    );
  }
}

const fmt = (v: number) => Math.round(v).toLocaleString('en-US').padStart(9);

// 1. node:crypto one-shot AES-CCM: a new decipher (context + key schedule) per frame.
const aad = new Uint8Array(32);
const nonce = new Uint8Array(13);
run('createDecipheriv(aes-128-ccm) per frame', (f) => {
  const fa = ccmpAad(f, 0, aad);
  const pn = ccmpHeaderPn(f, 26);
  ccmpNonce(nonce, fa & 0xff, f, 0, pn);
  const d = createDecipheriv('aes-128-ccm', tk, nonce, { authTagLength: 8 });
  d.setAuthTag(f.subarray(f.length - 8));
  d.setAAD(aad.subarray(0, fa >> 8), { plaintextLength: f.length - 26 - CCMP_HDR_LEN - 8 });
  d.update(f.subarray(26 + CCMP_HDR_LEN, f.length - 8));
  try {
    d.final();
    return true;
  } catch {
    return false;
  }
});

// 2. CcmpKey: reusable contexts, in place (the frame is copied first because decryption overwrites it).
const rx = new CcmpKey(tk);
run('CcmpKey.decrypt (ECB keystream + CBC-MAC)', (f) => {
  f.copy(work);
  rx.rxPn.fill(0);
  return rx.decrypt(work, 0, work.length) === CcmpResult.OK;
});

// 3. CcmpKey.decryptBatch: 64 frames per call (a NAPI poll), one keystream call for all of them.
const B = 64;
// Batches may wrap around the frame list (PNs go down): the replay check (one comparison per frame) is off here.
const rxBatch = new CcmpKey(tk, { replayCheck: false });
const batchBufs: Buffer[] = Array.from({ length: B }, () => Buffer.alloc(frames[0]!.length));
const offs = new Int32Array(B);
const lens = new Int32Array(B).fill(frames[0]!.length);
const results = new Uint8Array(B);
let pending = 0;
let okInBatch = 0;
run(`CcmpKey.decryptBatch (${B} frames per call)`, (f) => {
  f.copy(batchBufs[pending]!);
  if (++pending < B) return true;
  pending = 0;
  rxBatch.decryptBatch(batchBufs, offs, lens, results, B);
  okInBatch = 0;
  for (let i = 0; i < B; i++) okInBatch += results[i] === CcmpResult.OK ? 1 : 0;
  return okInBatch === B;
});

// 4. The copy alone, to subtract from (2) and (3).
run('(frame copy alone)', (f) => {
  f.copy(work);
  return true;
});

measure();
