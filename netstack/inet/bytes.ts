/** Big-endian (network order) reads and writes on byte arrays, for code that does not hold a DataView. */

export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

/** The parts one after another, in a new Uint8Array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A private copy of b[start, end) as a plain Uint8Array (Buffer#slice would return a view). */
export function copyOf(b: Uint8Array, start: number, end: number): Uint8Array {
  return Uint8Array.from(b.subarray(start, end));
}

/** Copies up to this many bytes with DataView words; longer ones go to the native copy. */
const SMALL_COPY = 256;

/**
 * Copy n bytes from src[so..] to dst[doff..], given DataViews over the same bytes as src and dst (offsets are
 * relative to the arrays). Allocation-free: short copies move 32-bit words through the DataViews (Node 20's
 * Buffer#copy and TypedArray#set with a subarray allocate a view per call, which costs more than the copy for the
 * packet sizes of a receive path); long ones use the native copy.
 */
export function copyBytes(
  src: Uint8Array,
  sdv: DataView,
  so: number,
  dst: Uint8Array,
  ddv: DataView,
  doff: number,
  n: number,
): void {
  if (n > SMALL_COPY) {
    dst.set(src.subarray(so, so + n), doff);
    return;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) ddv.setInt32(doff + i, sdv.getInt32(so + i));
  for (; i < n; i++) dst[doff + i] = src[so + i]!;
}
