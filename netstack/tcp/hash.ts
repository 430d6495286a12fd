/**
 * A keyed hash of a few 32-bit words: HalfSipHash-2-4 (the 32-bit SipHash variant Linux calls hsiphash), fed with
 * whole little-endian words. Used for ISNs and timestamp offsets (RFC 6528), ephemeral port choice (RFC 6056
 * algorithm 3) and SYN cookies; keys come from the stack's injected PRNG, so a simulation stays deterministic.
 */
import type { Prng } from '../core/prng.ts';

export class HashKey {
  constructor(
    readonly k0: number,
    readonly k1: number,
  ) {}

  static random(rng: Prng): HashKey {
    return new HashKey(rng.nextU32(), rng.nextU32());
  }
}

function rotl(x: number, b: number): number {
  return (x << b) | (x >>> (32 - b));
}

// State lives in module variables: no allocation per hash, and the stack is single-threaded.
let v0 = 0;
let v1 = 0;
let v2 = 0;
let v3 = 0;

function round(): void {
  v0 = (v0 + v1) | 0;
  v1 = rotl(v1, 5) ^ v0;
  v0 = rotl(v0, 16);
  v2 = (v2 + v3) | 0;
  v3 = rotl(v3, 8) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = rotl(v3, 7) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = rotl(v1, 13) ^ v2;
  v2 = rotl(v2, 16);
}

function word(m: number): void {
  v3 ^= m;
  round();
  round();
  v0 ^= m;
}

function finish(nwords: number): number {
  const b = (nwords * 4) << 24;
  v3 ^= b;
  round();
  round();
  v0 ^= b;
  v2 ^= 0xff;
  round();
  round();
  round();
  round();
  return (v1 ^ v3) >>> 0;
}

function init(key: HashKey): void {
  v0 = key.k0 | 0;
  v1 = key.k1 | 0;
  v2 = (0x6c796765 ^ key.k0) | 0;
  v3 = (0x74656462 ^ key.k1) | 0;
}

/** Keyed hash of three 32-bit words. */
export function hsiphash3(key: HashKey, a: number, b: number, c: number): number {
  init(key);
  word(a);
  word(b);
  word(c);
  return finish(3);
}

/** Keyed hash of four 32-bit words. */
export function hsiphash4(key: HashKey, a: number, b: number, c: number, d: number): number {
  init(key);
  word(a);
  word(b);
  word(c);
  word(d);
  return finish(4);
}
