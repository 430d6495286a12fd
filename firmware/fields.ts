/** Byte-level helpers shared by the ROM-patch and RAM-code formats. */
import { FirmwareError } from './errors.ts';

/** Bytes allowed in a text field: printable ASCII, tab, CR, LF and NUL (padding). */
function isTextByte(b: number): boolean {
  return (b >= 0x20 && b < 0x7f) || b === 0 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/** A fixed-size ASCII field as stored (NULs and newlines kept), validated byte by byte. */
export function readText(buf: Uint8Array, offset: number, size: number, file: string, field: string): string {
  let s = '';
  for (let i = 0; i < size; i++) {
    const b = buf[offset + i]!;
    if (!isTextByte(b)) {
      throw new FirmwareError(
        file,
        field,
        'bad-text',
        `byte ${i} is 0x${b.toString(16).padStart(2, '0')}, not ASCII text (at file offset ${offset + i})`,
      );
    }
    s += String.fromCharCode(b);
  }
  return s;
}

/** Write `text` into a fixed-size field, NUL-padded. Throws RangeError when it does not fit or is not ASCII. */
export function writeText(out: Uint8Array, offset: number, size: number, text: string, field: string): void {
  if (text.length > size) throw new RangeError(`${field}: "${text}" is longer than ${size} bytes`);
  for (let i = 0; i < size; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (c > 0x7f) throw new RangeError(`${field}: "${text}" is not ASCII`);
    out[offset + i] = c;
  }
}

/** A text field for display: without trailing NUL padding and surrounding whitespace. */
export function displayText(s: string): string {
  const nul = s.indexOf('\0');
  return (nul < 0 ? s : s.slice(0, nul)).trim();
}

export function requireBytes(buf: Uint8Array, end: number, file: string, field: string, what: string): void {
  if (end > buf.length) {
    throw new FirmwareError(file, field, 'truncated', `${what} needs ${end} bytes, the file has ${buf.length}`);
  }
}

export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

export function dataView(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Half-open ranges [a, a+alen) and [b, b+blen) intersect. */
export function rangesOverlap(a: number, alen: number, b: number, blen: number): boolean {
  return alen > 0 && blen > 0 && a < b + blen && b < a + alen;
}
