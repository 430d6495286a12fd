/**
 * Just enough of the two firmware formats (FACTS.md §4.2 ROM patch, big-endian; §4.3 RAM code, little-endian) for
 * the emulator to know what a correct download must deliver, region by region, so that it can check what arrives.
 * The project's full parser lives in firmware/; this one is the emulator's own, kept independent on purpose.
 */
import { le32 } from './wire.ts';

export interface ExpectedRegion {
  kind: 'patch' | 'ram';
  /** Target address. */
  addr: number;
  /** Bytes to download. */
  len: number;
  /** The payload as it is in the file. */
  data: Uint8Array;
  /** RAM: feature_set BIT5 OVERRIDE_ADDR — FW_START should name this address. */
  override: boolean;
}

function be32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** The regions a driver must download from a ROM patch file. Throws an Error naming the problem. */
export function expectedPatchRegions(file: Uint8Array, name = 'ROM patch'): ExpectedRegion[] {
  if (file.length < 96) throw new Error(`${name}: ${file.length} bytes is shorter than the 96-byte header`);
  const n = be32(file, 44);
  if (n === 0 || 96 + n * 64 > file.length) throw new Error(`${name}: n_region ${n} does not fit in the file`);
  const out: ExpectedRegion[] = [];
  for (let i = 0; i < n; i++) {
    const d = 96 + i * 64;
    if ((be32(file, d) & 0xffff) !== 0x0002) throw new Error(`${name}: section ${i} type is not PATCH_SEC_TYPE_INFO`);
    const offs = be32(file, d + 4);
    const addr = be32(file, d + 12);
    const len = be32(file, d + 16);
    if (offs + len > file.length) throw new Error(`${name}: section ${i} (offset ${offs}, ${len} bytes) past EOF`);
    out.push({ kind: 'patch', addr, len, data: file.subarray(offs, offs + len), override: false });
  }
  return out;
}

/** The regions a driver must download from a RAM code file (NON_DL regions left out). Throws on a bad file. */
export function expectedRamRegions(file: Uint8Array, name = 'RAM code'): ExpectedRegion[] {
  if (file.length < 36) throw new Error(`${name}: ${file.length} bytes is shorter than the 36-byte trailer`);
  const t = file.length - 36;
  const n = file[t + 2]!;
  if (n === 0 || n * 40 > t) throw new Error(`${name}: n_region ${n} does not fit in the file`);
  const out: ExpectedRegion[] = [];
  let offs = 0;
  for (let i = 0; i < n; i++) {
    const d = t - (n - i) * 40;
    const addr = le32(file, d + 16);
    const len = le32(file, d + 20);
    const feature = file[d + 24]!;
    if (offs + len > d) throw new Error(`${name}: region ${i} payload (${len} bytes at ${offs}) overlaps the tables`);
    if (!(feature & 0x40)) {
      out.push({ kind: 'ram', addr, len, data: file.subarray(offs, offs + len), override: (feature & 0x20) !== 0 });
    }
    offs += len;
  }
  return out;
}
