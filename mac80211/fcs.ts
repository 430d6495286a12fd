/**
 * The 802.11 frame check sequence: CRC-32 (IEEE 802.3 polynomial, reflected, init and final XOR 0xffffffff) over
 * the MAC header and body, sent least significant byte first.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array, off = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = off; i < end; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const FCS_LEN = 4;

/** The FCS stored in the last four bytes of buf[off, end). */
export function fcsAt(buf: Uint8Array, end: number): number {
  return (buf[end - 4] | (buf[end - 3] << 8) | (buf[end - 2] << 16) | (buf[end - 1] << 24)) >>> 0;
}

/** True when buf[off, end) is a frame followed by its correct FCS. */
export function fcsValid(buf: Uint8Array, off = 0, end = buf.length): boolean {
  if (end - off < FCS_LEN) return false;
  return crc32(buf, off, end - FCS_LEN) === fcsAt(buf, end);
}

/** Write the FCS of buf[off, end - 4) into the last four bytes. */
export function writeFcs(buf: Uint8Array, off: number, end: number): void {
  const c = crc32(buf, off, end - FCS_LEN);
  buf[end - 4] = c & 0xff;
  buf[end - 3] = (c >>> 8) & 0xff;
  buf[end - 2] = (c >>> 16) & 0xff;
  buf[end - 1] = c >>> 24;
}
