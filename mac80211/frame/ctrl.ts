/**
 * Control frame bodies (IEEE 802.11-2020 9.3.1). ACK, CTS, RTS, PS-Poll and CF-End have no body (their fields are
 * the header's: RA, TA, and the AID in the Duration/ID of a PS-Poll). Block Ack Request and Block Ack (9.3.1.7-8)
 * carry a control field and, in their basic, compressed and extended compressed variants, a Starting Sequence
 * Control (and for BA a bitmap); other variants and other subtypes (trigger, NDP announcement...) are kept raw.
 */
import { fail, ok, type ParseResult } from '../parse.ts';
import { fcSubtype } from './fc.ts';

export type CtrlBody =
  | { kind: 'ack' | 'cts' | 'rts' | 'ps-poll' | 'cf-end' | 'cf-end-ack' }
  | {
      kind: 'bar';
      /** BAR Control: B0 ack policy, B1..4 BAR type, B12..15 TID (or TID_INFO). */
      control: number;
      /** Starting Sequence Control for the single-TID variants, else null. */
      startSeqCtrl: number | null;
      /** Octets after the control field that are not the SSC (multi-TID info and others). */
      rest: Uint8Array;
    }
  | {
      kind: 'ba';
      control: number;
      startSeqCtrl: number | null;
      /** The Block Ack bitmap of the single-TID variants (8 octets compressed, 128 basic), else null. */
      bitmap: Uint8Array | null;
      rest: Uint8Array;
    }
  | { kind: 'raw'; data: Uint8Array };

/** BAR/BA type (B1..B4 of the control field, 802.11ax numbering). */
export const BA_TYPE = {
  BASIC: 0,
  EXT_COMPRESSED: 1,
  COMPRESSED: 2,
  MULTI_TID: 3,
  GCR: 6,
  GLK_GCR: 10,
  MULTI_STA: 11,
} as const;

export function baType(control: number): number {
  return (control >> 1) & 0xf;
}

export function baTid(control: number): number {
  return control >> 12;
}

function singleTid(type: number): boolean {
  return type === BA_TYPE.BASIC || type === BA_TYPE.COMPRESSED || type === BA_TYPE.EXT_COMPRESSED;
}

export function decodeCtrlBody(fc: number, body: Uint8Array): ParseResult<CtrlBody> {
  switch (fcSubtype(fc)) {
    case 13:
      return ok({ kind: 'ack' });
    case 12:
      return ok({ kind: 'cts' });
    case 11:
      return ok({ kind: 'rts' });
    case 10:
      return ok({ kind: 'ps-poll' });
    case 14:
      return ok({ kind: 'cf-end' });
    case 15:
      return ok({ kind: 'cf-end-ack' });
    case 8: {
      if (body.length < 2) return fail('truncated-body', body.length, 'Block Ack Request without its control field');
      const control = body[0] | (body[1] << 8);
      if (!singleTid(baType(control))) return ok({ kind: 'bar', control, startSeqCtrl: null, rest: body.subarray(2) });
      if (body.length < 4)
        return fail('truncated-body', body.length, 'Block Ack Request without its Starting Sequence Control');
      return ok({ kind: 'bar', control, startSeqCtrl: body[2] | (body[3] << 8), rest: body.subarray(4) });
    }
    case 9: {
      if (body.length < 2) return fail('truncated-body', body.length, 'Block Ack without its control field');
      const control = body[0] | (body[1] << 8);
      const type = baType(control);
      if (!singleTid(type))
        return ok({ kind: 'ba', control, startSeqCtrl: null, bitmap: null, rest: body.subarray(2) });
      if (body.length < 4)
        return fail('truncated-body', body.length, 'Block Ack without its Starting Sequence Control');
      // Basic: 128 octets; compressed: 8 (or 32/64/128 per 802.11ax fragment-number encoding); extended: 8 + RBUFCAP.
      const n = type === BA_TYPE.BASIC ? 128 : type === BA_TYPE.EXT_COMPRESSED ? 9 : Math.max(8, body.length - 4);
      if (body.length < 4 + n)
        return fail('truncated-body', body.length, `Block Ack bitmap needs ${n} octets, has ${body.length - 4}`);
      return ok({
        kind: 'ba',
        control,
        startSeqCtrl: body[2] | (body[3] << 8),
        bitmap: body.subarray(4, 4 + n),
        rest: body.subarray(4 + n),
      });
    }
    default:
      return ok({ kind: 'raw', data: body });
  }
}

export function encodeCtrlBody(b: CtrlBody): Uint8Array {
  switch (b.kind) {
    case 'bar':
    case 'ba': {
      const bitmap = b.kind === 'ba' ? (b.bitmap ?? new Uint8Array(0)) : new Uint8Array(0);
      const ssc = b.startSeqCtrl === null ? 0 : 2;
      const out = new Uint8Array(2 + ssc + bitmap.length + b.rest.length);
      out[0] = b.control & 0xff;
      out[1] = b.control >> 8;
      if (b.startSeqCtrl !== null) {
        out[2] = b.startSeqCtrl & 0xff;
        out[3] = b.startSeqCtrl >> 8;
      }
      out.set(bitmap, 2 + ssc);
      out.set(b.rest, 2 + ssc + bitmap.length);
      return out;
    }
    case 'raw':
      return b.data;
    default:
      return new Uint8Array(0);
  }
}

/** True when the BA bitmap acknowledges sequence number `seq` (relative to its Starting Sequence Control). */
export function baAcked(startSeqCtrl: number, bitmap: Uint8Array, seq: number): boolean {
  const d = (seq - (startSeqCtrl >> 4)) & 0xfff;
  if (d >= bitmap.length * 8) return false;
  return (bitmap[d >> 3] & (1 << (d & 7))) !== 0;
}
