/** Helpers for the firmware tests (not used by production code). */
import { FirmwareError } from './errors.ts';

/** The FirmwareError `fn` throws; fails (throws) if it throws something else or nothing. */
export function fwError(fn: () => unknown): FirmwareError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FirmwareError) return err;
    throw new Error(`expected a FirmwareError, got ${String(err)}`);
  }
  throw new Error('expected a FirmwareError, got none');
}

/** A copy of `buf` with `edit` applied through a DataView. */
export function mutate(buf: Uint8Array, edit: (dv: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = new Uint8Array(buf); // not buf.slice(): a view when buf is a Buffer
  edit(new DataView(copy.buffer, copy.byteOffset, copy.byteLength), copy);
  return copy;
}

/** A checker that lets `parse` succeed or throw FirmwareError, and rethrows anything else (for fast-check). */
export function onlyFirmwareErrors(parse: (b: Uint8Array) => unknown): (b: Uint8Array) => void {
  return (b) => {
    try {
      parse(b);
    } catch (err) {
      if (!(err instanceof FirmwareError)) throw err;
    }
  };
}
