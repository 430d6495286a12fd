/**
 * Action frame bodies (IEEE 802.11-2020 9.6): Category, then the category's own fields. Block Ack setup (9.6.5:
 * ADDBA Request, ADDBA Response, DELBA) is decoded; every other category or action is kept raw after its category.
 */
import { u16le } from '../elements/codec.ts';
import { checkElements, Elements } from '../elements/elements.ts';
import { fail, ok, type ParseResult, rebase } from '../parse.ts';

export const ACTION_CATEGORY = {
  SPECTRUM_MGMT: 0,
  QOS: 1,
  DLS: 2,
  BACK: 3,
  PUBLIC: 4,
  RADIO_MEASUREMENT: 5,
  FAST_BSS_TRANSITION: 6,
  HT: 7,
  SA_QUERY: 8,
  PROTECTED_DUAL_OF_ACTION: 9,
  WNM: 10,
  UNPROTECTED_WNM: 11,
  TDLS: 12,
  MESH_ACTION: 13,
  MULTIHOP_ACTION: 14,
  SELF_PROTECTED: 15,
  DMG: 16,
  WMM: 17,
  FST: 18,
  UNPROT_DMG: 20,
  VHT: 21,
  S1G: 22,
  PROTECTED_EHT: 37,
  VENDOR_SPECIFIC_PROTECTED: 126,
  VENDOR_SPECIFIC: 127,
} as const;

export const BACK_ACTION = { ADDBA_REQ: 0, ADDBA_RESP: 1, DELBA: 2 } as const;

/** Block Ack Parameter Set (9.4.1.14): B0 A-MSDU supported, B1 policy (1 = immediate), B2..5 TID, B6..15 buffer size. */
export function baParams(p: { amsdu: boolean; immediate: boolean; tid: number; bufferSize: number }): number {
  return (p.amsdu ? 1 : 0) | (p.immediate ? 2 : 0) | ((p.tid & 0xf) << 2) | ((p.bufferSize & 0x3ff) << 6);
}

export function parseBaParams(v: number): { amsdu: boolean; immediate: boolean; tid: number; bufferSize: number } {
  return { amsdu: (v & 1) !== 0, immediate: (v & 2) !== 0, tid: (v >> 2) & 0xf, bufferSize: v >> 6 };
}

/** DELBA Parameter Set (9.4.1.16): B0..10 reserved, B11 initiator, B12..15 TID. */
export function delbaParams(p: { initiator: boolean; tid: number }): number {
  return (p.initiator ? 0x0800 : 0) | ((p.tid & 0xf) << 12);
}

export function parseDelbaParams(v: number): { initiator: boolean; tid: number } {
  return { initiator: (v & 0x0800) !== 0, tid: (v >> 12) & 0xf };
}

export type ActionBody =
  | {
      kind: 'addba-req';
      dialogToken: number;
      params: number;
      /** Block Ack Timeout in TUs (0 = none). */
      timeout: number;
      /** Block Ack Starting Sequence Control: starting sequence number << 4. */
      startSeqCtrl: number;
      elements: Elements;
    }
  | { kind: 'addba-resp'; dialogToken: number; status: number; params: number; timeout: number; elements: Elements }
  | { kind: 'delba'; params: number; reason: number; elements: Elements }
  | {
      kind: 'raw';
      category: number;
      /** Everything after the Category octet. */
      data: Uint8Array;
    };

function tailElements(body: Uint8Array, from: number): ParseResult<Elements> {
  const bad = checkElements(body, from, body.length);
  return bad ? rebase(bad, from) : ok(new Elements(body, from, body.length));
}

export function decodeAction(body: Uint8Array): ParseResult<ActionBody> {
  if (body.length < 1) return fail('truncated-body', 0, 'Action frame without a Category');
  const category = body[0];
  if (category === ACTION_CATEGORY.BACK && body.length >= 2) {
    const action = body[1];
    const short = (n: number, what: string) =>
      fail('truncated-body', body.length, `${what} needs ${n} octets, has ${body.length}`);
    if (action === BACK_ACTION.ADDBA_REQ) {
      if (body.length < 9) return short(9, 'ADDBA Request');
      const e = tailElements(body, 9);
      if (!e.ok) return e;
      return ok({
        kind: 'addba-req',
        dialogToken: body[2],
        params: u16le(body, 3),
        timeout: u16le(body, 5),
        startSeqCtrl: u16le(body, 7),
        elements: e.value,
      });
    }
    if (action === BACK_ACTION.ADDBA_RESP) {
      if (body.length < 9) return short(9, 'ADDBA Response');
      const e = tailElements(body, 9);
      if (!e.ok) return e;
      return ok({
        kind: 'addba-resp',
        dialogToken: body[2],
        status: u16le(body, 3),
        params: u16le(body, 5),
        timeout: u16le(body, 7),
        elements: e.value,
      });
    }
    if (action === BACK_ACTION.DELBA) {
      if (body.length < 6) return short(6, 'DELBA');
      const e = tailElements(body, 6);
      if (!e.ok) return e;
      return ok({ kind: 'delba', params: u16le(body, 2), reason: u16le(body, 4), elements: e.value });
    }
  }
  return ok({ kind: 'raw', category, data: body.subarray(1) });
}

export function encodeAction(a: ActionBody): Uint8Array {
  const le = (v: number) => [v & 0xff, (v >> 8) & 0xff];
  let head: number[];
  let tail: Uint8Array;
  switch (a.kind) {
    case 'addba-req':
      head = [
        ACTION_CATEGORY.BACK,
        BACK_ACTION.ADDBA_REQ,
        a.dialogToken,
        ...le(a.params),
        ...le(a.timeout),
        ...le(a.startSeqCtrl),
      ];
      tail = a.elements.bytes;
      break;
    case 'addba-resp':
      head = [
        ACTION_CATEGORY.BACK,
        BACK_ACTION.ADDBA_RESP,
        a.dialogToken,
        ...le(a.status),
        ...le(a.params),
        ...le(a.timeout),
      ];
      tail = a.elements.bytes;
      break;
    case 'delba':
      head = [ACTION_CATEGORY.BACK, BACK_ACTION.DELBA, ...le(a.params), ...le(a.reason)];
      tail = a.elements.bytes;
      break;
    default:
      head = [a.category];
      tail = a.data;
  }
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
