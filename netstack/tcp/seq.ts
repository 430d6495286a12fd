/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, Linux's before()/after()). Sequence numbers are kept as
 * unsigned 32-bit numbers (`>>> 0`); comparisons take the signed difference, so they are valid for numbers less
 * than 2^31 apart.
 */

/** a < b in sequence space. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a <= b in sequence space. */
export function seqLeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a > b in sequence space. */
export function seqGt(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/** a >= b in sequence space. */
export function seqGeq(a: number, b: number): boolean {
  return ((b - a) | 0) <= 0;
}

/** Signed distance b - a (a number of bytes when the two are within 2^31). */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

/** a + n, wrapped to 32 bits. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** lo <= x <= hi in sequence space (Linux's between()). */
export function seqBetween(x: number, lo: number, hi: number): boolean {
  return (hi - lo) >>> 0 >= (x - lo) >>> 0;
}

/** The later of two sequence numbers. */
export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}

/** The earlier of two sequence numbers. */
export function seqMin(a: number, b: number): number {
  return seqLt(a, b) ? a : b;
}
