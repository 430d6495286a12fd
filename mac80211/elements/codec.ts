/**
 * An element codec turns an element body (the octets after ID and length, and after the extension ID for ID 255)
 * into a typed value and back. Every codec keeps what it does not interpret (reserved bits, trailing octets), so
 * that encode(decode(body)) = body for every body it accepts.
 */
import type { ParseResult } from '../parse.ts';
import { element, extElement } from './elements.ts';
import { EID } from './ids.ts';

export interface ElementCodec<T> {
  readonly name: string;
  /** Element ID (255 for extension elements, 221 for vendor elements). */
  readonly id: number;
  /** Extension ID when id is 255. */
  readonly ext?: number;
  decode(body: Uint8Array): ParseResult<T>;
  /** The element body for `value`. */
  encode(value: T): Uint8Array;
}

/** The whole element (ID, length[, extension ID], body) for a typed value. */
export function encodeElement<T>(codec: ElementCodec<T>, value: T): Uint8Array {
  const body = codec.encode(value);
  return codec.id === EID.EXTENSION ? extElement(codec.ext ?? 0, body) : element(codec.id, body);
}

export function u16le(b: Uint8Array, off: number): number {
  return b[off] | (b[off + 1] << 8);
}

export function u32le(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

export function put16le(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}

export function put32le(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}
