/**
 * EHT Capabilities (802.11be-2024 9.4.2.323, element extension 108) and EHT Operation (9.4.2.322, extension 106).
 * Decoded for scanning and profiling; airstack does not operate in EHT.
 *
 * The length of the Supported EHT-MCS And NSS Set depends on the HE Capabilities of the same frame and on who sent
 * it (Linux's ieee80211_eht_mcs_nss_size): 4 octets for a 20 MHz-only non-AP STA, else 3 per supported bandwidth
 * class (<=80, 160, 320 MHz). Pass that context when it is known (`decodeEhtCapabilities`).
 */
import { type BitField, type BitsOf, decodeBits, encodeBits } from '../bits.ts';
import { fail, ok, type ParseResult } from '../parse.ts';
import type { ElementCodec } from './codec.ts';
import { popcount } from './he.ts';
import { EID, EID_EXT } from './ids.ts';

export const EHT_MAC_CAPABILITIES_LAYOUT = [
  ['epcsPriorityAccessSupport', 0, 1],
  ['ehtOmControlSupport', 1, 1],
  ['triggeredTxopSharingMode1Support', 2, 1],
  ['triggeredTxopSharingMode2Support', 3, 1],
  ['restrictedTwtSupport', 4, 1],
  ['scsTrafficDescriptionSupport', 5, 1],
  ['maxMpduLength', 6, 2],
  ['maxAmpduLengthExponentExtension', 8, 1],
  ['ehtTrsSupport', 9, 1],
  ['txopReturnSupportInTxopSharingMode2', 10, 1],
  ['twoBqrsSupport', 11, 1],
  ['ehtLinkAdaptationSupport', 12, 2],
  ['unsolicitedEpcsPriorityAccessParameterUpdate', 14, 1],
  ['reserved15', 15, 1],
] as const satisfies readonly BitField[];

export const EHT_PHY_CAPABILITIES_LAYOUT = [
  ['reserved0', 0, 1],
  ['support320MHzIn6GHz', 1, 1],
  ['support242ToneRuInBwWiderThan20MHz', 2, 1],
  ['ndpWith4xEhtLtfAnd32usGi', 3, 1],
  ['partialBandwidthUlMuMimo', 4, 1],
  ['suBeamformer', 5, 1],
  ['suBeamformee', 6, 1],
  ['beamformeeSsLessOrEqual80MHz', 7, 3],
  ['beamformeeSs160MHz', 10, 3],
  ['beamformeeSs320MHz', 13, 3],
  ['numberOfSoundingDimensionsLessOrEqual80MHz', 16, 3],
  ['numberOfSoundingDimensions160MHz', 19, 3],
  ['numberOfSoundingDimensions320MHz', 22, 3],
  ['ng16SuFeedback', 25, 1],
  ['ng16MuFeedback', 26, 1],
  ['codebookSize42SuFeedback', 27, 1],
  ['codebookSize75MuFeedback', 28, 1],
  ['triggeredSuBeamformingFeedback', 29, 1],
  ['triggeredMuBeamformingPartialBwFeedback', 30, 1],
  ['triggeredCqiFeedback', 31, 1],
  ['partialBandwidthDlMuMimo', 32, 1],
  ['ehtPsrBasedSrSupport', 33, 1],
  ['powerBoostFactorSupport', 34, 1],
  ['ehtMuPpduWith4xEhtLtfAnd08usGi', 35, 1],
  ['maxNc', 36, 4],
  ['nonTriggeredCqiFeedback', 40, 1],
  ['tx1024And4096QamLessThan242ToneRu', 41, 1],
  ['rx1024And4096QamLessThan242ToneRu', 42, 1],
  ['ppeThresholdsPresent', 43, 1],
  ['commonNominalPacketPadding', 44, 2],
  ['maxNumberOfSupportedEhtLtfs', 46, 5],
  ['supportOfMcs15', 51, 4],
  ['supportOfEhtDupIn6GHz', 55, 1],
  ['support20MHzStaReceivingNdpWithWiderBw', 56, 1],
  ['nonOfdmaUlMuMimoLessOrEqual80MHz', 57, 1],
  ['nonOfdmaUlMuMimo160MHz', 58, 1],
  ['nonOfdmaUlMuMimo320MHz', 59, 1],
  ['muBeamformerLessOrEqual80MHz', 60, 1],
  ['muBeamformer160MHz', 61, 1],
  ['muBeamformer320MHz', 62, 1],
  ['tbSoundingFeedbackRateLimit', 63, 1],
  ['rx1024QamInWiderBwDlOfdmaSupport', 64, 1],
  ['rx4096QamInWiderBwDlOfdmaSupport', 65, 1],
  ['only20MHzLimitedCapabilitiesSupport', 66, 1],
  ['only20MHzTriggeredMuBeamformingFullBwFeedbackAndDlMuMimo', 67, 1],
  ['only20MHzMruSupport', 68, 1],
  ['reserved69', 69, 3],
] as const satisfies readonly BitField[];

export type EhtMacCapabilities = BitsOf<typeof EHT_MAC_CAPABILITIES_LAYOUT>;
export type EhtPhyCapabilities = BitsOf<typeof EHT_PHY_CAPABILITIES_LAYOUT>;

/**
 * Supported EHT-MCS And NSS Set: each octet holds Rx max NSS (low nibble) and Tx max NSS (high nibble) for an MCS
 * range. `only20MHz` has 4 octets (MCS 0-7, 8-9, 10-11, 12-13); the others 3 each (MCS 0-9, 10-11, 12-13).
 */
export interface EhtMcsNss {
  only20MHz: Uint8Array | null;
  le80MHz: Uint8Array | null;
  bw160MHz: Uint8Array | null;
  bw320MHz: Uint8Array | null;
}

export interface EhtCapabilities {
  mac: EhtMacCapabilities;
  phy: EhtPhyCapabilities;
  mcsNss: EhtMcsNss;
  ppeThresholds: Uint8Array | null;
  extra: Uint8Array;
}

/**
 * What decides the MCS/NSS set's layout: the HE PHY Channel Width Set of the same frame, the sender's role, and the
 * band the frame was sent in (B0 of the width set is about 2.4 GHz and reserved in 5 and 6 GHz, 802.11ax Table
 * 9-322b; without the band we do as Linux's ieee80211_eht_mcs_nss_size, which trusts senders to leave it clear).
 */
export interface EhtContext {
  heChannelWidthSet: number;
  fromAp: boolean;
  band?: '2g' | '5g' | '6g';
}

/** Length of an EHT PPE Thresholds field from its first two octets: NSS (4 bits), RU index bitmask (5 bits). */
export function ehtPpeThresholdsLength(hdr: number): number {
  const nss = (hdr & 0xf) + 1;
  const rus = popcount((hdr >> 4) & 0x1f);
  return Math.ceil((9 + 6 * nss * rus) / 8);
}

function mcsLayout(ctx: EhtContext, phy: EhtPhyCapabilities): (keyof EhtMcsNss)[] {
  const w = ctx.heChannelWidthSet;
  const narrow = ctx.fromAp ? 'le80MHz' : 'only20MHz';
  if (ctx.band === '2g') return [w & 0x01 ? 'le80MHz' : narrow];
  if (ctx.band === undefined && w & 0x01) return ['le80MHz'];
  const out: (keyof EhtMcsNss)[] = [];
  if (w & 0x02) out.push('le80MHz');
  if (w & 0x04) out.push('bw160MHz');
  if (phy.support320MHzIn6GHz) out.push('bw320MHz');
  return out.length ? out : [narrow];
}

function decodeEht(body: Uint8Array, ctx: EhtContext | null): ParseResult<EhtCapabilities> {
  if (body.length < 11) return fail('bad-length', 0, `EHT Capabilities of ${body.length} octets (at least 11)`);
  const mac = decodeBits(EHT_MAC_CAPABILITIES_LAYOUT, body, 0);
  const phy = decodeBits(EHT_PHY_CAPABILITIES_LAYOUT, body, 2);
  const rest = body.length - 11;
  let parts: (keyof EhtMcsNss)[];
  if (ctx !== null) parts = mcsLayout(ctx, phy);
  else {
    // GUESS: without the HE Capabilities of the frame, infer the layout from the length: the set is 3, 4, 6 or 9
    // octets, followed by the PPE thresholds whose own header gives their length.
    const candidates: (keyof EhtMcsNss)[][] = [
      ['le80MHz', 'bw160MHz', 'bw320MHz'],
      ['le80MHz', 'bw160MHz'],
      ['only20MHz'],
      ['le80MHz'],
    ];
    const size = (c: (keyof EhtMcsNss)[]) => (c[0] === 'only20MHz' ? 4 : 3 * c.length);
    const fits = (c: (keyof EhtMcsNss)[]) => {
      const n = size(c);
      if (!phy.ppeThresholdsPresent) return n === rest;
      if (rest < n + 2) return false;
      return n + ehtPpeThresholdsLength(body[11 + n] | (body[12 + n] << 8)) === rest;
    };
    parts = candidates.find(fits) ?? candidates.find((c) => size(c) <= rest) ?? ['le80MHz'];
  }
  const mcsNss: EhtMcsNss = { only20MHz: null, le80MHz: null, bw160MHz: null, bw320MHz: null };
  let p = 11;
  for (const part of parts) {
    const n = part === 'only20MHz' ? 4 : 3;
    if (p + n > body.length) return fail('bad-length', p, `EHT-MCS and NSS set truncated (${part})`);
    mcsNss[part] = body.subarray(p, p + n);
    p += n;
  }
  let ppeThresholds: Uint8Array | null = null;
  if (phy.ppeThresholdsPresent) {
    if (p + 2 > body.length) return fail('bad-length', p, 'EHT PPE Thresholds present but missing');
    const n = ehtPpeThresholdsLength(body[p] | (body[p + 1] << 8));
    if (p + n > body.length)
      return fail('bad-length', p, `EHT PPE Thresholds need ${n} octets, ${body.length - p} present`);
    ppeThresholds = body.subarray(p, p + n);
    p += n;
  }
  return ok({ mac, phy, mcsNss, ppeThresholds, extra: body.subarray(p) });
}

/** Decode with the frame's context (see EhtContext); the codec's `decode` guesses the context from the length. */
export function decodeEhtCapabilities(body: Uint8Array, ctx: EhtContext): ParseResult<EhtCapabilities> {
  return decodeEht(body, ctx);
}

export const ehtCapabilitiesCodec: ElementCodec<EhtCapabilities> = {
  name: 'EHT Capabilities',
  id: EID.EXTENSION,
  ext: EID_EXT.EHT_CAPABILITY,
  decode: (body) => decodeEht(body, null),
  encode(v) {
    const parts = [v.mcsNss.only20MHz, v.mcsNss.le80MHz, v.mcsNss.bw160MHz, v.mcsNss.bw320MHz].filter(
      (x): x is Uint8Array => x !== null,
    );
    const tail = [...parts, v.ppeThresholds ?? new Uint8Array(0), v.extra];
    const out = new Uint8Array(11 + tail.reduce((n, t) => n + t.length, 0));
    encodeBits(EHT_MAC_CAPABILITIES_LAYOUT, v.mac, out, 0);
    encodeBits(EHT_PHY_CAPABILITIES_LAYOUT, v.phy, out, 2);
    let p = 11;
    for (const t of tail) {
      out.set(t, p);
      p += t.length;
    }
    return out;
  },
};

export interface EhtOperation {
  /** B0 info present, B1 disabled subchannel bitmap present, B2 default PE duration, B3 group BU indication limit,
   * B4..5 group BU indication exponent, B6 MCS 15 disable, B7 reserved. */
  params: number;
  /** Basic EHT-MCS And NSS Set (4 octets, the 20 MHz-only format). */
  basicMcsNss: Uint8Array;
  info: { control: number; channelWidth: number; ccfs0: number; ccfs1: number } | null;
  disabledSubchannelBitmap: number | null;
  extra: Uint8Array;
}

export const ehtOperationCodec: ElementCodec<EhtOperation> = {
  name: 'EHT Operation',
  id: EID.EXTENSION,
  ext: EID_EXT.EHT_OPERATION,
  decode(body) {
    if (body.length < 5) return fail('bad-length', 0, `EHT Operation of ${body.length} octets (at least 5)`);
    const params = body[0];
    let p = 5;
    let info: EhtOperation['info'] = null;
    let bitmap: number | null = null;
    if (params & 1) {
      if (body.length < p + 3) return fail('bad-length', p, 'EHT Operation Information truncated');
      info = { control: body[p], channelWidth: body[p] & 7, ccfs0: body[p + 1], ccfs1: body[p + 2] };
      p += 3;
      if (params & 2) {
        if (body.length < p + 2) return fail('bad-length', p, 'Disabled Subchannel Bitmap truncated');
        bitmap = body[p] | (body[p + 1] << 8);
        p += 2;
      }
    }
    return ok({
      params,
      basicMcsNss: body.subarray(1, 5),
      info,
      disabledSubchannelBitmap: bitmap,
      extra: body.subarray(p),
    });
  },
  encode(v) {
    const out = [v.params, ...v.basicMcsNss.subarray(0, 4)];
    if (v.info) out.push(v.info.control, v.info.ccfs0, v.info.ccfs1);
    if (v.disabledSubchannelBitmap !== null)
      out.push(v.disabledSubchannelBitmap & 0xff, v.disabledSubchannelBitmap >> 8);
    out.push(...v.extra);
    return Uint8Array.from(out);
  },
};
