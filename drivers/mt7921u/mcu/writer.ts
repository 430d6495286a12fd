/**
 * A small little-endian writer for MCU payloads: zero-filled, growable, with TLV helpers (mt76_connac_mcu_add_tlv /
 * add_nested_tlv). Command encoders are off the hot path; clarity wins over the last allocation.
 */
import { ETH_ALEN } from '../../../netstack/ethernet/header.ts';
import { parseMac } from '../../../netstack/inet/addr.ts';

export class McuWriter {
  private buf: Buffer;
  len = 0;

  constructor(capacity = 64) {
    this.buf = Buffer.alloc(capacity);
  }

  /** Reserve `n` zeroed bytes at the end; returns their offset. */
  put(n: number): number {
    const off = this.len;
    if (off + n > this.buf.length) {
      const nb = Buffer.alloc(Math.max(this.buf.length * 2, off + n));
      this.buf.copy(nb, 0, 0, off);
      this.buf = nb;
    }
    this.len += n;
    return off;
  }

  u8(off: number, v: number): this {
    this.buf[off] = v & 0xff;
    return this;
  }

  /** Signed byte. */
  s8(off: number, v: number): this {
    this.buf.writeInt8(Math.max(-128, Math.min(127, v)), off);
    return this;
  }

  u16(off: number, v: number): this {
    this.buf.writeUInt16LE(v & 0xffff, off);
    return this;
  }

  u32(off: number, v: number): this {
    this.buf.writeUInt32LE(v >>> 0, off);
    return this;
  }

  bytes(off: number, b: Uint8Array, max = b.length): this {
    this.buf.set(b.length > max ? b.subarray(0, max) : b, off);
    return this;
  }

  get(off: number): number {
    return this.buf[off]!;
  }

  getU16(off: number): number {
    return this.buf.readUInt16LE(off);
  }

  /** Append a TLV {tag le16, len le16} of `len` bytes (header included); returns its offset. */
  tlv(tag: number, len: number): number {
    const off = this.put(len);
    this.u16(off, tag).u16(off + 2, len);
    return off;
  }

  /** The payload written so far (a copy-free view). */
  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** A MAC address as 6 bytes (accepts "aa:bb:..", a Uint8Array or a number array). */
export function macBytes(addr: string | Uint8Array | readonly number[]): Uint8Array {
  if (typeof addr === 'string') return Uint8Array.from(parseMac(addr));
  const b = Uint8Array.from(addr);
  if (b.length !== ETH_ALEN) throw new Error(`MAC address must be 6 bytes, got ${b.length}`);
  return b;
}
