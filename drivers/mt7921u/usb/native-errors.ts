/**
 * Mapping the backends' errors to UsbError codes. node-usb 3 (nusb) rejects with messages such as
 * "transferIn error: Disconnected", "controlTransferOut error: endpoint stalled", "… transfer was cancelled" (its
 * way of reporting a timeout: nusb cancels a transfer whose timeout expires); node-usb 2 / libusb uses
 * LIBUSB_ERROR_* / LIBUSB_TRANSFER_* names; browsers' WebUSB uses DOMException names. Unknown failures are 'io'.
 */
import { UsbError, type UsbErrorCode } from '../transport.ts';

const RULES: Array<[RegExp, UsbErrorCode]> = [
  [
    /disconnected|no.?device|NotFoundError|ENODEV|invalid state|not found \(errno|device is not (open|configured)/i,
    'nodev',
  ],
  [/cancel|timed? ?out|ETIMEDOUT|LIBUSB_ERROR_TIMEOUT|TimeoutError/i, 'timeout'],
  [/stall|EPIPE|LIBUSB_ERROR_PIPE/i, 'stall'],
  [/fault|protocol|EPROTO|EOVERFLOW|overflow|babble/i, 'proto'],
];

export function toUsbError(err: unknown, op: string): UsbError {
  if (err instanceof UsbError) return err;
  const e = err as { message?: unknown; name?: unknown; code?: unknown; errno?: unknown } | null;
  const text = [e?.name, e?.code, e?.errno, e?.message ?? String(err)].filter((x) => x !== undefined).join(' ');
  for (const [re, code] of RULES) if (re.test(text)) return new UsbError(code, `${op}: ${String(e?.message ?? err)}`);
  return new UsbError('io', `${op}: ${String(e?.message ?? err)}`);
}

/** A WebUSB transfer result status other than 'ok' as an error ('stall' → stall, 'babble' → proto). */
export function statusError(status: string | undefined, op: string): UsbError | null {
  if (status === undefined || status === 'ok') return null;
  return new UsbError(status === 'stall' ? 'stall' : 'proto', `${op}: transfer status ${status}`);
}
