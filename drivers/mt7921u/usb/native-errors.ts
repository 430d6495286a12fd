/**
 * Mapping libusb's errors (node-usb 2) to UsbError codes.
 *
 * node-usb 2 reports two kinds of number in `errno`: a transfer's completion status (LIBUSB_TRANSFER_*, positive)
 * in transfer callbacks, and a libusb error code (LIBUSB_ERROR_*, negative) from calls that fail at once (submit,
 * claim, reset). The message is libusb_error_name() of that number ("LIBUSB_TRANSFER_STALL", "LIBUSB_ERROR_ACCESS").
 *
 * On Linux libusb turns the URB status into the transfer status (os/linux_usbfs.c): -EPIPE → STALL, -ENODEV and
 * -ESHUTDOWN → NO_DEVICE, -EOVERFLOW → OVERFLOW, -ENOENT/-ECONNRESET (killed) → CANCELLED, and -EPROTO, -EILSEQ,
 * -ECOMM, -ENOSR, -ETIME → ERROR. So a TRANSFER_ERROR is what mt76 sees as -EPROTO: 'proto' (the register layer
 * then marks the device removed, as __mt76u_vendor_request does).
 */
import { UsbError, type UsbErrorCode } from '../transport.ts';

/** enum libusb_transfer_status */
export const LIBUSB_TRANSFER_ERROR = 1;
export const LIBUSB_TRANSFER_TIMED_OUT = 2;
export const LIBUSB_TRANSFER_CANCELLED = 3;
export const LIBUSB_TRANSFER_STALL = 4;
export const LIBUSB_TRANSFER_NO_DEVICE = 5;
export const LIBUSB_TRANSFER_OVERFLOW = 6;

/** enum libusb_error */
export const LIBUSB_ERROR_IO = -1;
export const LIBUSB_ERROR_ACCESS = -3;
export const LIBUSB_ERROR_NO_DEVICE = -4;
export const LIBUSB_ERROR_NOT_FOUND = -5;
export const LIBUSB_ERROR_BUSY = -6;
export const LIBUSB_ERROR_TIMEOUT = -7;
export const LIBUSB_ERROR_OVERFLOW = -8;
export const LIBUSB_ERROR_PIPE = -9;

const BY_ERRNO = new Map<number, UsbErrorCode>([
  [LIBUSB_TRANSFER_ERROR, 'proto'],
  [LIBUSB_TRANSFER_TIMED_OUT, 'timeout'],
  [LIBUSB_TRANSFER_CANCELLED, 'cancelled'],
  [LIBUSB_TRANSFER_STALL, 'stall'],
  [LIBUSB_TRANSFER_NO_DEVICE, 'nodev'],
  [LIBUSB_TRANSFER_OVERFLOW, 'proto'],
  [LIBUSB_ERROR_NO_DEVICE, 'nodev'],
  [LIBUSB_ERROR_TIMEOUT, 'timeout'],
  [LIBUSB_ERROR_OVERFLOW, 'proto'],
  [LIBUSB_ERROR_PIPE, 'stall'],
]);

/** The same by name, for errors that carry only the message. */
const BY_NAME: Array<[RegExp, UsbErrorCode]> = [
  [/NO_DEVICE|ENODEV/, 'nodev'],
  [/CANCELLED/, 'cancelled'],
  [/TIMED_OUT|ERROR_TIMEOUT|ETIMEDOUT/, 'timeout'],
  [/STALL|ERROR_PIPE|EPIPE/, 'stall'],
  [/OVERFLOW|TRANSFER_ERROR|EPROTO/, 'proto'],
];

/** The errno node-usb attached to an error, if any. */
export function libusbErrno(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

export function toUsbError(err: unknown, op: string): UsbError {
  if (err instanceof UsbError) return err;
  const message = String((err as { message?: unknown } | null)?.message ?? err);
  const errno = libusbErrno(err);
  let code = errno !== undefined ? BY_ERRNO.get(errno) : undefined;
  if (code === undefined) code = BY_NAME.find(([re]) => re.test(message))?.[1] ?? 'io';
  return new UsbError(code, `${op}: ${message}`);
}
