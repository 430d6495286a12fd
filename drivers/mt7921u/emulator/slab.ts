/**
 * Packet memory of the emulated chip: the packets it builds (RX packets for the host, the MAC's copies of frames it
 * sends) are carved from shared zero-filled slabs, so a packet costs a view, not an ArrayBuffer of its own (which
 * V8 allocates and tracks outside its heap, a microsecond each). A slab is never reused: a packet owns its bytes
 * for as long as anyone holds it, and a new packet is always zeros. Large packets get their own memory.
 */

const SLAB_BYTES = 64 * 1024;
/** Above this a packet gets its own ArrayBuffer (a slab holds at least 8 of the largest carved packets). */
const MAX_CARVED = SLAB_BYTES / 8;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** `n` zero bytes. */
export function chipAlloc(n: number): Uint8Array {
  if (n > MAX_CARVED) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const p = new Uint8Array(slab, used, n);
  used += (n + 7) & ~7; // 8-byte aligned packets: word access (checksums, DataViews) stays aligned
  return p;
}

/** A copy of `src` in chip memory. */
export function chipCopy(src: Uint8Array): Uint8Array {
  const p = chipAlloc(src.length);
  p.set(src);
  return p;
}
