/**
 * Table-driven bit fields. 802.11 numbers the bits of a multi-octet field B0, B1, ... from the least significant bit
 * of the first octet, so a field is (first bit, width) within the octets that hold it. A layout lists every field,
 * reserved ones included, so that encode(decode(x)) gives back x bit for bit.
 */

/** [name, first bit, width in bits (1..32)]. */
export type BitField = readonly [name: string, bit: number, width: number];

export type BitsOf<L extends readonly BitField[]> = { [K in L[number][0]]: number };

/** Read `width` bits starting at bit `bit` of the octets at `off`. The caller guarantees the octets exist. */
export function getBits(b: Uint8Array, off: number, bit: number, width: number): number {
  return Math.floor(octetsValue(b, off, bit, width) / 2 ** (bit & 7)) % 2 ** width;
}

/** The octets holding bits [bit, bit + width) as one little-endian number (at most 5 octets: exact in a double). */
function octetsValue(b: Uint8Array, off: number, bit: number, width: number): number {
  let v = 0;
  let mul = 1;
  for (let i = bit >> 3; i <= (bit + width - 1) >> 3; i++) {
    v += b[off + i] * mul;
    mul *= 256;
  }
  return v;
}

/** Write `value` (truncated to `width` bits) at bit `bit` of the octets at `off`, leaving other bits alone. */
export function setBits(b: Uint8Array, off: number, bit: number, width: number, value: number): void {
  const first = bit >> 3;
  const last = (bit + width - 1) >> 3;
  let v = octetsValue(b, off, bit, width);
  const shift = 2 ** (bit & 7);
  const span = 2 ** width;
  const old = Math.floor(v / shift) % span;
  const nv = ((value % span) + span) % span;
  v += (nv - old) * shift;
  for (let i = first; i <= last; i++) {
    b[off + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

export function decodeBits<L extends readonly BitField[]>(layout: L, b: Uint8Array, off = 0): BitsOf<L> {
  const out: Record<string, number> = {};
  for (const [name, bit, width] of layout) out[name] = getBits(b, off, bit, width);
  return out as BitsOf<L>;
}

export function encodeBits<L extends readonly BitField[]>(layout: L, rec: BitsOf<L>, b: Uint8Array, off = 0): void {
  const r = rec as Record<string, number>;
  for (const [name, bit, width] of layout) setBits(b, off, bit, width, r[name] ?? 0);
}

/** Number of octets a layout spans. */
export function layoutBytes(layout: readonly BitField[]): number {
  let end = 0;
  for (const [, bit, width] of layout) end = Math.max(end, bit + width);
  return (end + 7) >> 3;
}

/** Problems with a layout: overlapping fields or uncovered bits (used by the tests of every layout). */
export function layoutProblems(layout: readonly BitField[]): string[] {
  const bits = layoutBytes(layout) * 8;
  const owner: (string | null)[] = Array(bits).fill(null);
  const out: string[] = [];
  for (const [name, bit, width] of layout) {
    if (width < 1 || width > 32) out.push(`${name}: width ${width}`);
    for (let i = bit; i < bit + width; i++) {
      if (owner[i] !== null) out.push(`${name} overlaps ${owner[i]} at bit ${i}`);
      owner[i] = name;
    }
  }
  owner.forEach((o, i) => {
    if (o === null) out.push(`bit ${i} is not covered`);
  });
  return out;
}
