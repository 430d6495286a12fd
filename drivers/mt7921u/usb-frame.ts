/**
 * USB bulk OUT framing shared by MCU commands, firmware chunks and data frames (FACTS.md §5.1, §7.1;
 * mt792x_skb_add_usb_sdio_hdr and the USB send paths of mt7921).
 *
 *     [4-byte USB header][body][zero pad to a 4-byte boundary][4 zero bytes tail]
 *
 * The header is LE32: [15:0] body length (everything after the header, before padding — on USB the header itself is
 * not counted), [17:16] packet type (always 0 on USB).
 */

/** MT_SDIO_HDR_SIZE */
export const MT_USB_HDR_SIZE = 4;
/** MT_USB_TAIL_SIZE */
export const MT_USB_TAIL_SIZE = 4;
/** Largest body the 16-bit length field can describe. */
export const MT_USB_MAX_BODY = 0xffff;

/** Bytes of padding + tail after a packet of `lenWithHeader` bytes: round_up(len, 4) − len + 4. */
export function usbPadLen(lenWithHeader: number): number {
  return ((lenWithHeader + 3) & ~3) - lenWithHeader + MT_USB_TAIL_SIZE;
}

/** Whole transfer length for a body of `bodyLen` bytes. */
export function usbFrameLen(bodyLen: number): number {
  const n = MT_USB_HDR_SIZE + bodyLen;
  return n + usbPadLen(n);
}

/** The LE32 USB header value for a body of `bodyLen` bytes (packet type 0). */
export function usbHeaderValue(bodyLen: number): number {
  if (bodyLen < 0 || bodyLen > MT_USB_MAX_BODY) throw new RangeError(`USB body length ${bodyLen} out of range`);
  return bodyLen;
}

/**
 * A complete zero-filled transfer buffer for a body of `bodyLen` bytes with the header written; the caller fills
 * the body at offset 4.
 */
export function allocUsbFrame(bodyLen: number): Buffer {
  const buf = Buffer.alloc(usbFrameLen(bodyLen));
  buf.writeUInt32LE(usbHeaderValue(bodyLen), 0);
  return buf;
}

/** Decoded USB header of an OUT transfer (for tests, recorders and fakes). */
export interface UsbFrameView {
  bodyLen: number;
  pktType: number;
  /** The body, a view into the transfer. */
  body: Buffer;
}

/** Parse a framed OUT transfer; null when it is shorter than its header says. */
export function parseUsbFrame(buf: Uint8Array): UsbFrameView | null {
  if (buf.length < MT_USB_HDR_SIZE) return null;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const hdr = b.readUInt32LE(0);
  const bodyLen = hdr & 0xffff;
  if (MT_USB_HDR_SIZE + bodyLen > b.length) return null;
  return { bodyLen, pktType: (hdr >>> 16) & 3, body: b.subarray(MT_USB_HDR_SIZE, MT_USB_HDR_SIZE + bodyLen) };
}
