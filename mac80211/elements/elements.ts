/**
 * Element lists (IEEE 802.11-2020 9.4.2): ID, length, body. `Elements` is a lazy view over the bytes of a frame body:
 * nothing is parsed or allocated until asked, lookups walk the bytes, and the raw bytes stay available so that an
 * element we do not understand is carried through unchanged (encode(decode(x)) = x byte for byte).
 *
 * Element fragmentation (9.4.2.1.1): an element whose body exceeds 255 octets is sent as the element with length
 * 255 followed by Fragment elements (ID 242); `find*` return the reassembled body in that case.
 */
import { concatBytes } from '../../netstack/inet/bytes.ts';
import { type ParseFailure, fail } from '../parse.ts';
import { EID } from './ids.ts';

/** Where one element sits: its ID, extension ID (-1 if not 255 or empty), and its body (after ID, length and extension ID). */
export interface ElementRef {
  id: number;
  ext: number;
  /** Offset of the element's first octet (the ID) in the buffer. */
  start: number;
  /** Offset and length of the body (excluding the extension ID octet for ID 255). */
  offset: number;
  length: number;
}

/**
 * Check that buf[off, end) is a well-formed element list: every element fits in it. Returns null when it is, else
 * the failure (offset relative to `off`).
 */
export function checkElements(buf: Uint8Array, off: number, end: number): ParseFailure | null {
  let p = off;
  while (p < end) {
    if (end - p < 2) return fail('element-overrun', p - off, `1 stray octet after the last element (ID ${buf[p]})`);
    const len = buf[p + 1];
    if (p + 2 + len > end)
      return fail('element-overrun', p - off, `element ${buf[p]} says ${len} octets, ${end - p - 2} remain`);
    p += 2 + len;
  }
  return null;
}

export class Elements implements Iterable<ElementRef> {
  constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
    readonly end: number,
  ) {}

  static of(bytes: Uint8Array): Elements {
    return new Elements(bytes, 0, bytes.length);
  }

  static empty(): Elements {
    return new Elements(new Uint8Array(0), 0, 0);
  }

  get length(): number {
    return this.end - this.offset;
  }

  /** The raw element bytes (a view, not a copy). */
  get bytes(): Uint8Array {
    return this.buf.subarray(this.offset, this.end);
  }

  /** Null when well formed; else why not. Iteration silently stops at the first malformed element. */
  check(): ParseFailure | null {
    return checkElements(this.buf, this.offset, this.end);
  }

  /**
   * Visit each element without allocating: cb(id, ext, bodyOffset, bodyLength, start). Return true from cb to
   * stop. Returns the offset where the walk stopped (== end when the list is well formed).
   */
  walk(cb: (id: number, ext: number, offset: number, length: number, start: number) => boolean | undefined): number {
    const b = this.buf;
    let p = this.offset;
    const end = this.end;
    while (p + 2 <= end) {
      const id = b[p];
      const len = b[p + 1];
      if (p + 2 + len > end) return p;
      // An empty ID-255 element has no extension ID (hostap ignores it as unknown); it is reported with ext -1.
      if (id === EID.EXTENSION && len > 0) {
        if (cb(id, b[p + 2], p + 3, len - 1, p)) return p;
      } else if (cb(id, -1, p + 2, len, p)) return p;
      p += 2 + len;
    }
    return p;
  }

  *[Symbol.iterator](): Iterator<ElementRef> {
    const refs: ElementRef[] = [];
    this.walk((id, ext, offset, length, start) => {
      refs.push({ id, ext, start, offset, length });
      return false;
    });
    yield* refs;
  }

  /** Number of well-formed elements. */
  count(): number {
    let n = 0;
    this.walk(() => {
      n++;
      return false;
    });
    return n;
  }

  /** Body of the first element with this ID (reassembled if fragmented), or null. */
  find(id: number): Uint8Array | null {
    let found: Uint8Array | null = null;
    this.walk((eid, _ext, offset, length, start) => {
      if (eid !== id || id === EID.EXTENSION) return false;
      found = this.body(start, offset, length);
      return true;
    });
    return found;
  }

  /** Bodies of every element with this ID. */
  findAll(id: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.walk((eid, _ext, offset, length, start) => {
      if (eid === id) out.push(this.body(start, offset, length));
      return false;
    });
    return out;
  }

  /** Body (after the extension ID) of the first extension element with this extension ID, or null. */
  findExt(ext: number): Uint8Array | null {
    let found: Uint8Array | null = null;
    this.walk((eid, x, offset, length, start) => {
      if (eid !== EID.EXTENSION || x !== ext) return false;
      found = this.body(start, offset, length);
      return true;
    });
    return found;
  }

  /**
   * Body after OUI and type of the first vendor-specific element with this 24-bit OUI and type (and subtype, the
   * octet after the type, when given: the returned body then still starts at the subtype).
   */
  findVendor(oui: number, type: number, subtype?: number): Uint8Array | null {
    let found: Uint8Array | null = null;
    const b = this.buf;
    this.walk((eid, _x, offset, length, start) => {
      if (eid !== EID.VENDOR_SPECIFIC || length < 4) return false;
      if (((b[offset] << 16) | (b[offset + 1] << 8) | b[offset + 2]) !== oui || b[offset + 3] !== type) return false;
      if (subtype !== undefined && (length < 5 || b[offset + 4] !== subtype)) return false;
      found = this.body(start, offset, length).subarray(4);
      return true;
    });
    return found;
  }

  /** The body of the element at `start`, joined with any Fragment elements that follow a 255-octet element. */
  private body(start: number, offset: number, length: number): Uint8Array {
    const b = this.buf;
    if (b[start + 1] !== 255) return b.subarray(offset, offset + length);
    const parts = [b.subarray(offset, offset + length)];
    let p = start + 257;
    while (p + 2 <= this.end && b[p] === EID.FRAGMENT && p + 2 + b[p + 1] <= this.end) {
      parts.push(b.subarray(p + 2, p + 2 + b[p + 1]));
      const last = b[p + 1] !== 255;
      p += 2 + b[p + 1];
      if (last) break;
    }
    return parts.length === 1 ? parts[0] : concatBytes(parts);
  }
}

export { concatBytes };

/** Encode one element; a body over 255 octets is fragmented into Fragment elements. */
export function element(id: number, body: Uint8Array): Uint8Array {
  if (body.length <= 255) {
    const out = new Uint8Array(2 + body.length);
    out[0] = id;
    out[1] = body.length;
    out.set(body, 2);
    return out;
  }
  const parts: Uint8Array[] = [element(id, body.subarray(0, 255))];
  for (let o = 255; o < body.length; o += 255) parts.push(element(EID.FRAGMENT, body.subarray(o, o + 255)));
  return concatBytes(parts);
}

/** Encode an extension element (ID 255): the extension ID, then the body. */
export function extElement(ext: number, body: Uint8Array): Uint8Array {
  const inner = new Uint8Array(1 + body.length);
  inner[0] = ext;
  inner.set(body, 1);
  return element(EID.EXTENSION, inner);
}

/** Encode a vendor-specific element: 24-bit OUI, type, then the body. */
export function vendorElement(oui: number, type: number, body: Uint8Array): Uint8Array {
  const inner = new Uint8Array(4 + body.length);
  inner[0] = oui >>> 16;
  inner[1] = (oui >>> 8) & 0xff;
  inner[2] = oui & 0xff;
  inner[3] = type;
  inner.set(body, 4);
  return element(EID.VENDOR_SPECIFIC, inner);
}
