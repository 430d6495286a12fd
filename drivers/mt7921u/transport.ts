/**
 * The USB transport: what the mt7921u driver needs from a USB device, and nothing more. One driver, two devices
 * (DESIGN.md principle 4): the real dongle (usb/libusb.ts), the emulated MT7921U (emulator/) and the replayer of a
 * recorded trace (usb/replayer.ts) all implement it; usb/recorder.ts wraps any of them and writes a trace.
 *
 * Conventions
 * - Endpoints are addresses with the direction bit: 0x84 is bulk IN 4, 0x08 is bulk OUT 8.
 * - `endpoints.in` / `endpoints.out` are the bulk endpoints of the Wi-Fi interface in descriptor order, exactly as
 *   mt76u_set_endpoints collects them (FACTS §1.3): in[0] = MT_EP_IN_PKT_RX (0x84), in[1] = MT_EP_IN_CMD_RESP (0x85),
 *   out[0] = INBAND_CMD (0x08), out[1] = AC_BE + FW_SCATTER (0x04), out[2..4] = AC_BK/VI/VO, out[5] = HCCA (0x09).
 * - Control requests carry the raw bmRequestType byte (0xdf, 0x5f, 0xde, 0x5e, 0xc0 ...), as in the setup packet.
 * - Buffers: data passed to an OUT transfer is borrowed until its promise settles; the caller must not change it
 *   before then. Data returned by an IN transfer belongs to the caller.
 * - Errors: every failure rejects with a UsbError. Once the device is gone (unplugged, closed, failed reset) every
 *   pending and every later operation rejects with UsbError('nodev'); nothing is left hanging.
 */

export type UsbErrorCode =
  /** The device is gone (unplugged, closed, reset failed): -ENODEV. Permanent. */
  | 'nodev'
  /** The transfer did not complete within its timeout: -ETIMEDOUT. */
  | 'timeout'
  /** The endpoint (or the control pipe) answered STALL: -EPIPE. */
  | 'stall'
  /** A bus-level protocol error (CRC, babble, bit stuffing, overflow): -EPROTO / -EOVERFLOW. */
  | 'proto'
  /** Cancelled by the host: cancelIn(), reset() or close() while pending: -ENOENT / -ECONNRESET. */
  | 'cancelled'
  /** Anything else (access denied, busy, unknown backend failure). */
  | 'io';

export class UsbError extends Error {
  constructor(
    readonly code: UsbErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UsbError';
  }
}

/** A control request's setup packet, less wLength (the length is the data's or the IN length). */
export interface ControlSetup {
  /** bmRequestType, e.g. 0xdf = IN | vendor | recipient 0x1f. Bit 7 must match the call (controlIn/controlOut). */
  requestType: number;
  /** bRequest */
  request: number;
  /** wValue */
  value: number;
  /** wIndex */
  index: number;
}

export type UsbSpeed = 'low' | 'full' | 'high' | 'super' | 'superPlus' | 'unknown';

export interface UsbDeviceInfo {
  vendorId: number;
  productId: number;
  speed: UsbSpeed;
  /** EP0 max packet size in bytes (512 at SuperSpeed, 64 at high speed): the chunk size of register block copies. */
  ep0MaxPacket: number;
  /** The claimed Wi-Fi interface's number (3 on the reference 0e8d:7961). */
  interfaceNumber: number;
  /** One-line human description for logs and reports, e.g. "usb 1-2 0e8d:7961" or "emulated MT7921U". */
  description: string;
}

export interface UsbEndpoints {
  /** Bulk IN addresses in descriptor order (at least 2 used). */
  readonly in: readonly number[];
  /** Bulk OUT addresses in descriptor order (at least 6 used). */
  readonly out: readonly number[];
}

/** Default timeouts (ms) when a call passes none: control 300 (FACTS §2.3), bulk OUT 1000 (§1.4), bulk IN none. */
export const USB_CONTROL_TIMEOUT_MS = 300;
export const USB_BULK_OUT_TIMEOUT_MS = 1000;

export interface UsbTransport {
  readonly info: UsbDeviceInfo;
  readonly endpoints: UsbEndpoints;
  /** True once the device is gone: every operation then rejects with UsbError('nodev'). */
  readonly removed: boolean;

  /** Control transfer device→host. Resolves with the bytes received, which may be fewer than `length`. */
  controlIn(setup: ControlSetup, length: number, timeoutMs?: number): Promise<Uint8Array>;
  /** Control transfer host→device with `data` (empty or null: no data stage). */
  controlOut(setup: ControlSetup, data: Uint8Array | null, timeoutMs?: number): Promise<void>;

  /** Bulk OUT of the whole buffer to endpoint `ep`. Transfers on one endpoint complete in submission order. */
  bulkOut(ep: number, data: Uint8Array, timeoutMs?: number): Promise<void>;
  /**
   * Bulk IN of up to `length` bytes from `ep`. Several may be pending on each endpoint at once ("reads in
   * flight"); they complete in submission order, one transfer each. `timeoutMs` 0 or absent: no timeout.
   */
  bulkIn(ep: number, length: number, timeoutMs?: number): Promise<Uint8Array>;
  /** Fail every pending bulkIn on `ep` (all IN endpoints when absent) with UsbError('cancelled') (usb_kill_urb). */
  cancelIn(ep?: number): void;

  /** USB port reset (usb_reset_device). Pending transfers fail with 'cancelled'; the endpoints stay valid. */
  reset(): Promise<void>;
  /** Release the device. Pending and later operations fail with 'nodev'. Idempotent. */
  close(): Promise<void>;
  /** Called once when the device goes away (unplug, failed reset, close). Returns an unsubscribe function. */
  onRemoved(listener: (err: UsbError) => void): () => void;
}

/** True for a bmRequestType / endpoint address with the IN direction bit. */
export function isIn(addressOrRequestType: number): boolean {
  return (addressOrRequestType & 0x80) !== 0;
}
