/**
 * The USB transport: what the mt7921u driver needs from a USB device, and nothing more. Three things implement it:
 * the real device through `usb` (node-usb's WebUSB API), the emulated MT7921U (drivers/mt7921u/emulator/) and the
 * replayer of recorded traffic. The driver depends only on this interface (DESIGN.md principle 4).
 *
 * Shape: WebUSB-like, but every failure is a rejected promise carrying a `UsbError` with a code (a stall is an
 * error here, not a status field), so that one `catch` handles them all. Endpoints are named by their address
 * (0x84 = IN endpoint 4, 0x08 = OUT endpoint 8). Any number of bulk-IN reads may be in flight on an endpoint; they
 * complete in submission order. Device loss rejects every pending and every later transfer with code 'nodev'.
 */

/** Why a transfer failed. */
export type UsbErrorCode =
  /** The endpoint (or the control pipe, for a request the device refuses) answered STALL. */
  | 'stall'
  /** The device is gone (unplugged, reset failed): every pending and later transfer fails this way. */
  | 'nodev'
  /** No completion within the transfer's timeout. */
  | 'timeout'
  /** The device sent more data than the transfer's buffer holds (babble/overflow). */
  | 'overflow'
  /** The transfer was cancelled by the host (cancelTransfers, close, reset). */
  | 'cancelled'
  /** Any other bus error (CRC, protocol). */
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

export type UsbSpeed = 'low' | 'full' | 'high' | 'super' | 'super-plus';
export type UsbTransferType = 'control' | 'isochronous' | 'bulk' | 'interrupt';

export interface UsbEndpointDescriptor {
  /** bEndpointAddress: number in bits 3:0, BIT7 set for IN. */
  readonly address: number;
  readonly type: UsbTransferType;
  readonly maxPacketSize: number;
  /** bInterval (interrupt/isochronous). */
  readonly interval: number;
}

export interface UsbInterfaceDescriptor {
  readonly interfaceNumber: number;
  readonly alternateSetting: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
  readonly name?: string;
  /** In descriptor order (the mt7921u driver assigns roles by this order, FACTS.md §1.3). */
  readonly endpoints: readonly UsbEndpointDescriptor[];
}

export interface UsbDeviceDescriptor {
  readonly vendorId: number;
  readonly productId: number;
  /** BCD, e.g. 0x0320. */
  readonly bcdUSB: number;
  readonly bcdDevice: number;
  readonly deviceClass: number;
  readonly deviceSubclass: number;
  readonly deviceProtocol: number;
  /** EP0 max packet size in bytes (512 at SuperSpeed, 64 at high speed). */
  readonly maxPacketSize0: number;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly serialNumber?: string;
  readonly speed: UsbSpeed;
  /** Interfaces of the active configuration, every alternate setting, in descriptor order. */
  readonly interfaces: readonly UsbInterfaceDescriptor[];
}

/** The setup packet of a control transfer; the direction comes from the call (controlIn/controlOut). */
export interface UsbControlSetup {
  /** bmRequestType, full byte (e.g. 0xdf, 0x5f). */
  readonly requestType: number;
  readonly request: number;
  readonly value: number;
  readonly index: number;
}

export interface UsbTransport {
  readonly descriptor: UsbDeviceDescriptor;

  /** Claim an interface (detaching a kernel driver where the platform needs it) and select alternate 0. */
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;

  /** Control transfer, device to host; resolves with the bytes received (may be shorter than `length`). */
  controlIn(setup: UsbControlSetup, length: number, timeoutMs?: number): Promise<Uint8Array>;
  /** Control transfer, host to device; resolves with the number of bytes written. */
  controlOut(setup: UsbControlSetup, data?: Uint8Array, timeoutMs?: number): Promise<number>;

  /** Bulk OUT; resolves with the number of bytes written. `data` must not be modified until it settles. */
  bulkOut(endpoint: number, data: Uint8Array, timeoutMs?: number): Promise<number>;
  /** Bulk IN of at most `length` bytes; never times out; many may be in flight, completed in order. */
  bulkIn(endpoint: number, length: number): Promise<Uint8Array>;

  /** Cancel every pending transfer on `endpoint` (all endpoints when omitted): they reject with 'cancelled'. */
  cancelTransfers(endpoint?: number): void;
  /** Clear a halt (stall) condition on an endpoint. */
  clearHalt(endpoint: number): Promise<void>;
  /** USB port reset (usb_reset_device): pending transfers are cancelled; the device re-enumerates. */
  reset(): Promise<void>;
  /** Release everything; pending transfers reject with 'cancelled'. */
  close(): Promise<void>;

  /** Called once when the device goes away. */
  onDisconnect(listener: () => void): void;
}

/** bmRequestType helpers (USB 2.0 §9.3). */
export const USB_DIR_IN = 0x80;
export const USB_TYPE_VENDOR = 0x40;

export function isInEndpoint(address: number): boolean {
  return (address & 0x80) !== 0;
}
