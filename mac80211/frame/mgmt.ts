/**
 * Management frame bodies (IEEE 802.11-2020 9.3.3): fixed fields, then elements (a lazy `Elements` view over the
 * frame's bytes). A body with the Protected bit set is ciphertext (WEP shared-key authentication, or a robust
 * management frame under PMF) and is kept as such. Action frames are in action.ts.
 */
import type { MacAddr } from '../addr.ts';
import type { BitField } from '../bits.ts';
import { u16le } from '../elements/codec.ts';
import { checkElements, Elements } from '../elements/elements.ts';
import { fail, ok, type ParseFailure, type ParseResult, rebase } from '../parse.ts';
import { type ActionBody, decodeAction, encodeAction } from './action.ts';
import { FCTL, fcSubtype } from './fc.ts';
import { type SecuredBody, splitSecured } from './security.ts';

export const AUTH_ALG = {
  OPEN: 0,
  SHARED_KEY: 1,
  FT: 2,
  SAE: 3,
  FILS_SK: 4,
  FILS_SK_PFS: 5,
  FILS_PK: 6,
  PASN: 7,
} as const;

/** Capability Information bits (9.4.1.4). */
export const CAPAB = {
  ESS: 0x0001,
  IBSS: 0x0002,
  PRIVACY: 0x0010,
  SHORT_PREAMBLE: 0x0020,
  SPECTRUM_MGMT: 0x0100,
  QOS: 0x0200,
  SHORT_SLOT_TIME: 0x0400,
  APSD: 0x0800,
  RADIO_MEASURE: 0x1000,
  EPD: 0x2000,
} as const;

/** Capability Information as a bit layout (802.11-2020 Figure 9-68), every bit named. */
export const CAPABILITY_LAYOUT = [
  ['ess', 0, 1],
  ['ibss', 1, 1],
  ['reserved2', 2, 2],
  ['privacy', 4, 1],
  ['shortPreamble', 5, 1],
  ['reserved6', 6, 2],
  ['spectrumManagement', 8, 1],
  ['qos', 9, 1],
  ['shortSlotTime', 10, 1],
  ['apsd', 11, 1],
  ['radioMeasurement', 12, 1],
  ['epd', 13, 1],
  ['reserved14', 14, 2],
] as const satisfies readonly BitField[];

export type MgmtBody =
  | { kind: 'assoc-req'; capability: number; listenInterval: number; elements: Elements }
  | { kind: 'reassoc-req'; capability: number; listenInterval: number; currentAp: MacAddr; elements: Elements }
  | { kind: 'assoc-resp' | 'reassoc-resp'; capability: number; status: number; aid: number; elements: Elements }
  | { kind: 'probe-req'; elements: Elements }
  | { kind: 'beacon' | 'probe-resp'; timestamp: bigint; beaconInterval: number; capability: number; elements: Elements }
  | { kind: 'disassoc' | 'deauth'; reason: number; elements: Elements }
  | {
      kind: 'auth';
      algorithm: number;
      transaction: number;
      status: number;
      /** Elements (challenge text, FT...) for open system, shared key and FT; null for SAE, FILS, PASN and others. */
      elements: Elements | null;
      /** Everything after the three fixed fields, as sent (SAE scalar/element/confirm are here). */
      rest: Uint8Array;
    }
  | { kind: 'action' | 'action-no-ack'; action: ActionBody }
  | ({ kind: 'protected' } & SecuredBody)
  | { kind: 'raw'; data: Uint8Array };

/** Elements in body[from, end), checked (a malformed list rejects the frame). */
function elementsAt(body: Uint8Array, from: number): ParseResult<Elements> {
  const bad = checkElements(body, from, body.length);
  if (bad) return rebase(bad, from);
  return ok(new Elements(body, from, body.length));
}

function need(body: Uint8Array, n: number, what: string): ParseFailure | null {
  return body.length < n
    ? fail('truncated-body', body.length, `${what} needs ${n} octets of fixed fields, has ${body.length}`)
    : null;
}

/** Decode the body of a management frame (`body` = everything after the MAC header, FCS excluded). */
export function decodeMgmtBody(fc: number, body: Uint8Array): ParseResult<MgmtBody> {
  const st = fcSubtype(fc);
  if (fc & FCTL.PROTECTED) {
    const s = splitSecured(body);
    return s.ok ? ok({ kind: 'protected', ...s.value }) : s;
  }
  switch (st) {
    case 0: {
      const short = need(body, 4, 'Association Request');
      if (short) return short;
      const e = elementsAt(body, 4);
      if (!e.ok) return e;
      return ok({ kind: 'assoc-req', capability: u16le(body, 0), listenInterval: u16le(body, 2), elements: e.value });
    }
    case 2: {
      const short = need(body, 10, 'Reassociation Request');
      if (short) return short;
      const e = elementsAt(body, 10);
      if (!e.ok) return e;
      return ok({
        kind: 'reassoc-req',
        capability: u16le(body, 0),
        listenInterval: u16le(body, 2),
        currentAp: body.subarray(4, 10),
        elements: e.value,
      });
    }
    case 1:
    case 3: {
      const kind = st === 1 ? 'assoc-resp' : 'reassoc-resp';
      const short = need(body, 6, kind);
      if (short) return short;
      const e = elementsAt(body, 6);
      if (!e.ok) return e;
      return ok({ kind, capability: u16le(body, 0), status: u16le(body, 2), aid: u16le(body, 4), elements: e.value });
    }
    case 4: {
      const e = elementsAt(body, 0);
      return e.ok ? ok({ kind: 'probe-req', elements: e.value }) : e;
    }
    case 5:
    case 8: {
      const kind = st === 8 ? 'beacon' : 'probe-resp';
      const short = need(body, 12, kind);
      if (short) return short;
      const e = elementsAt(body, 12);
      if (!e.ok) return e;
      const dv = new DataView(body.buffer, body.byteOffset, 12);
      return ok({
        kind,
        timestamp: dv.getBigUint64(0, true),
        beaconInterval: u16le(body, 8),
        capability: u16le(body, 10),
        elements: e.value,
      });
    }
    case 10:
    case 12: {
      const kind = st === 10 ? 'disassoc' : 'deauth';
      const short = need(body, 2, kind);
      if (short) return short;
      const e = elementsAt(body, 2);
      if (!e.ok) return e;
      return ok({ kind, reason: u16le(body, 0), elements: e.value });
    }
    case 11: {
      const short = need(body, 6, 'Authentication');
      if (short) return short;
      const algorithm = u16le(body, 0);
      let elements: Elements | null = null;
      if (algorithm === AUTH_ALG.OPEN || algorithm === AUTH_ALG.SHARED_KEY || algorithm === AUTH_ALG.FT) {
        const e = elementsAt(body, 6);
        if (!e.ok) return e;
        elements = e.value;
      }
      return ok({
        kind: 'auth',
        algorithm,
        transaction: u16le(body, 2),
        status: u16le(body, 4),
        elements,
        rest: body.subarray(6),
      });
    }
    case 13:
    case 14: {
      const a = decodeAction(body);
      return a.ok ? ok({ kind: st === 13 ? 'action' : 'action-no-ack', action: a.value }) : a;
    }
    default:
      return ok({ kind: 'raw', data: body });
  }
}

export function encodeMgmtBody(b: MgmtBody): Uint8Array {
  const w = new BodyWriter();
  switch (b.kind) {
    case 'assoc-req':
      w.u16(b.capability).u16(b.listenInterval).bytes(b.elements.bytes);
      break;
    case 'reassoc-req':
      w.u16(b.capability).u16(b.listenInterval).bytes(b.currentAp).bytes(b.elements.bytes);
      break;
    case 'assoc-resp':
    case 'reassoc-resp':
      w.u16(b.capability).u16(b.status).u16(b.aid).bytes(b.elements.bytes);
      break;
    case 'probe-req':
      w.bytes(b.elements.bytes);
      break;
    case 'beacon':
    case 'probe-resp':
      w.u64(b.timestamp).u16(b.beaconInterval).u16(b.capability).bytes(b.elements.bytes);
      break;
    case 'disassoc':
    case 'deauth':
      w.u16(b.reason).bytes(b.elements.bytes);
      break;
    case 'auth':
      w.u16(b.algorithm).u16(b.transaction).u16(b.status).bytes(b.rest);
      break;
    case 'action':
    case 'action-no-ack':
      w.bytes(encodeAction(b.action));
      break;
    case 'protected':
      w.bytes(b.securityHeader).bytes(b.data);
      break;
    case 'raw':
      w.bytes(b.data);
      break;
  }
  return w.finish();
}

/** A little-endian byte writer for bodies (management frames are not on the hot path). */
export class BodyWriter {
  private parts: number[] = [];
  private chunks: Uint8Array[] = [];
  private flush(): void {
    if (this.parts.length) {
      this.chunks.push(Uint8Array.from(this.parts));
      this.parts = [];
    }
  }
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    this.parts.push(v & 0xff, (v >> 8) & 0xff);
    return this;
  }
  u64(v: bigint): this {
    for (let i = 0n; i < 8n; i++) this.parts.push(Number((v >> (8n * i)) & 0xffn));
    return this;
  }
  bytes(b: Uint8Array): this {
    this.flush();
    this.chunks.push(b);
    return this;
  }
  finish(): Uint8Array {
    this.flush();
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
