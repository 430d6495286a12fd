/**
 * Traffic Indication Map (IEEE 802.11-2020 9.4.2.5): the AP's beacon tells dozing stations which AIDs have
 * buffered frames. The full virtual bitmap has 2008 bits (AID 0..2007, octet = AID / 8, bit = AID % 8); only the
 * octets N1..N2 are sent, N1 even, with N1/2 in bits 1..7 of Bitmap Control and the group-addressed bit in bit 0.
 */
import { fail, ok } from '../parse.ts';
import type { ElementCodec } from './codec.ts';
import { EID } from './ids.ts';

export const TIM_MAX_AID = 2007;

export interface Tim {
  dtimCount: number;
  dtimPeriod: number;
  /** B0: group-addressed traffic buffered; B1..B7: bitmap offset (N1 / 2). */
  bitmapControl: number;
  partialVirtualBitmap: Uint8Array;
}

export const timCodec: ElementCodec<Tim> = {
  name: 'TIM',
  id: EID.TIM,
  decode(body) {
    if (body.length < 4) return fail('bad-length', 0, `TIM of ${body.length} octets (at least 4)`);
    const n1 = body[2] & 0xfe;
    if (n1 + body.length - 3 > 251)
      return fail(
        'bad-length',
        3,
        `partial virtual bitmap runs past octet 250 (offset ${n1}, ${body.length - 3} octets)`,
      );
    return ok({
      dtimCount: body[0],
      dtimPeriod: body[1],
      bitmapControl: body[2],
      partialVirtualBitmap: body.subarray(3),
    });
  },
  encode(v) {
    const out = new Uint8Array(3 + v.partialVirtualBitmap.length);
    out[0] = v.dtimCount;
    out[1] = v.dtimPeriod;
    out[2] = v.bitmapControl;
    out.set(v.partialVirtualBitmap, 3);
    return out;
  },
};

/** Group-addressed frames are buffered at the AP (meaningful in a DTIM beacon). */
export function timGroupTraffic(t: Tim): boolean {
  return (t.bitmapControl & 1) === 1;
}

/** Index of the first octet of the full bitmap that the partial bitmap holds (N1). */
export function timBitmapOffset(t: Tim): number {
  return t.bitmapControl & 0xfe;
}

/** Does the TIM say the AP holds frames for this AID? */
export function timHasAid(t: Tim, aid: number): boolean {
  if (aid < 0 || aid > TIM_MAX_AID) return false;
  const i = (aid >> 3) - timBitmapOffset(t);
  if (i < 0 || i >= t.partialVirtualBitmap.length) return false;
  return (t.partialVirtualBitmap[i] & (1 << (aid & 7))) !== 0;
}

/** Every AID the TIM marks (bit 0 of octet 0 included only when set). */
export function timAids(t: Tim): number[] {
  const out: number[] = [];
  const n1 = timBitmapOffset(t);
  t.partialVirtualBitmap.forEach((o, i) => {
    for (let b = 0; b < 8; b++) if (o & (1 << b)) out.push((n1 + i) * 8 + b);
  });
  return out;
}

/**
 * The TIM an AP sends: the shortest partial bitmap that covers `aids` (9.4.2.5: N1 the largest even number with
 * octets 0..N1-1 all zero, N2 the smallest with octets N2+1..250 all zero); one zero octet when nothing is buffered.
 */
export function buildTim(p: {
  dtimCount: number;
  dtimPeriod: number;
  groupTraffic: boolean;
  aids: Iterable<number>;
}): Tim {
  const full = new Uint8Array(251);
  let lo = 251;
  let hi = -1;
  for (const aid of p.aids) {
    if (!Number.isInteger(aid) || aid < 1 || aid > TIM_MAX_AID) throw new RangeError(`AID ${aid} is not in 1..2007`);
    const o = aid >> 3;
    full[o] |= 1 << (aid & 7);
    lo = Math.min(lo, o);
    hi = Math.max(hi, o);
  }
  const group = p.groupTraffic ? 1 : 0;
  if (hi < 0)
    return {
      dtimCount: p.dtimCount,
      dtimPeriod: p.dtimPeriod,
      bitmapControl: group,
      partialVirtualBitmap: new Uint8Array(1),
    };
  const n1 = lo & ~1;
  return {
    dtimCount: p.dtimCount,
    dtimPeriod: p.dtimPeriod,
    bitmapControl: n1 | group,
    partialVirtualBitmap: full.slice(n1, hi + 1),
  };
}
