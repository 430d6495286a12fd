/**
 * HE Capabilities (802.11ax-2021 9.4.2.248, element extension 35) and HE Operation (9.4.2.249, extension 36).
 *
 * HE Capabilities: MAC capabilities (6 octets), PHY capabilities (11 octets), then the Supported HE-MCS And NSS
 * Set, whose length depends on the PHY Channel Width Set (the <=80 MHz maps always, the 160 MHz maps when B2 of
 * the set is 1, the 80+80 MHz maps when B3 is 1), then PPE Thresholds when the PHY says they are present.
 */
import { type BitField, type BitsOf, decodeBits, encodeBits, getBits } from '../bits.ts';
import { fail, ok } from '../parse.ts';
import { type ElementCodec, put16le, u16le } from './codec.ts';
import { EID, EID_EXT } from './ids.ts';

export const HE_MAC_CAPABILITIES_LAYOUT = [
  ['htcHeSupport', 0, 1],
  ['twtRequesterSupport', 1, 1],
  ['twtResponderSupport', 2, 1],
  ['dynamicFragmentationSupport', 3, 2],
  ['maxFragmentedMsdusExponent', 5, 3],
  ['minFragmentSize', 8, 2],
  ['triggerFrameMacPaddingDuration', 10, 2],
  ['multiTidAggregationRxSupport', 12, 3],
  ['heLinkAdaptationSupport', 15, 2],
  ['allAckSupport', 17, 1],
  ['trsSupport', 18, 1],
  ['bsrSupport', 19, 1],
  ['broadcastTwtSupport', 20, 1],
  ['bitmap32BitBaSupport', 21, 1],
  ['muCascadingSupport', 22, 1],
  ['ackEnabledAggregationSupport', 23, 1],
  ['reserved24', 24, 1],
  ['omControlSupport', 25, 1],
  ['ofdmaRaSupport', 26, 1],
  ['maxAmpduLengthExponentExtension', 27, 2],
  ['amsduFragmentationSupport', 29, 1],
  ['flexibleTwtScheduleSupport', 30, 1],
  ['rxControlFrameToMultiBss', 31, 1],
  ['bsrpBqrpAmpduAggregation', 32, 1],
  ['qtpSupport', 33, 1],
  ['bqrSupport', 34, 1],
  ['psrResponder', 35, 1],
  ['ndpFeedbackReportSupport', 36, 1],
  ['opsSupport', 37, 1],
  ['amsduNotUnderBaInAckEnabledAmpduSupport', 38, 1],
  ['multiTidAggregationTxSupport', 39, 3],
  ['heSubchannelSelectiveTransmissionSupport', 42, 1],
  ['ul2x996ToneRuSupport', 43, 1],
  ['omControlUlMuDataDisableRxSupport', 44, 1],
  ['heDynamicSmPowerSave', 45, 1],
  ['puncturedSoundingSupport', 46, 1],
  ['htAndVhtTriggerFrameRxSupport', 47, 1],
] as const satisfies readonly BitField[];

export const HE_PHY_CAPABILITIES_LAYOUT = [
  ['reserved0', 0, 1],
  ['channelWidthSet', 1, 7],
  ['puncturedPreambleRx', 8, 4],
  ['deviceClass', 12, 1],
  ['ldpcCodingInPayload', 13, 1],
  ['heSuPpduWith1xHeLtfAnd08usGi', 14, 1],
  ['midambleTxRxMaxNsts', 15, 2],
  ['ndpWith4xHeLtfAnd32usGi', 17, 1],
  ['stbcTxLessOrEqual80MHz', 18, 1],
  ['stbcRxLessOrEqual80MHz', 19, 1],
  ['dopplerTx', 20, 1],
  ['dopplerRx', 21, 1],
  ['fullBandwidthUlMuMimo', 22, 1],
  ['partialBandwidthUlMuMimo', 23, 1],
  ['dcmMaxConstellationTx', 24, 2],
  ['dcmMaxNssTx', 26, 1],
  ['dcmMaxConstellationRx', 27, 2],
  ['dcmMaxNssRx', 29, 1],
  ['rxPartialBwSuIn20MHzHeMuPpdu', 30, 1],
  ['suBeamformer', 31, 1],
  ['suBeamformee', 32, 1],
  ['muBeamformer', 33, 1],
  ['beamformeeStsLessOrEqual80MHz', 34, 3],
  ['beamformeeStsGreaterThan80MHz', 37, 3],
  ['numberOfSoundingDimensionsLessOrEqual80MHz', 40, 3],
  ['numberOfSoundingDimensionsGreaterThan80MHz', 43, 3],
  ['ng16SuFeedback', 46, 1],
  ['ng16MuFeedback', 47, 1],
  ['codebookSizeSuFeedback', 48, 1],
  ['codebookSizeMuFeedback', 49, 1],
  ['triggeredSuBeamformingFeedback', 50, 1],
  ['triggeredMuBeamformingFeedback', 51, 1],
  ['triggeredCqiFeedback', 52, 1],
  ['partialBandwidthExtendedRange', 53, 1],
  ['partialBandwidthDlMuMimo', 54, 1],
  ['ppeThresholdsPresent', 55, 1],
  ['psrBasedSrSupport', 56, 1],
  ['powerBoostFactorArSupport', 57, 1],
  ['heSuPpduAndHeMuPpduWith4xHeLtfAnd08usGi', 58, 1],
  ['maxNc', 59, 3],
  ['stbcTxGreaterThan80MHz', 62, 1],
  ['stbcRxGreaterThan80MHz', 63, 1],
  ['heErSuPpduWith4xHeLtfAnd08usGi', 64, 1],
  ['twentyMHzIn40MHzHePpduIn24GHzBand', 65, 1],
  ['twentyMHzIn160MHzHePpdu', 66, 1],
  ['eightyMHzIn160MHzHePpdu', 67, 1],
  ['heErSuPpduWith1xHeLtfAnd08usGi', 68, 1],
  ['midambleTxRx2xAnd1xHeLtf', 69, 1],
  ['dcmMaxRu', 70, 2],
  ['longerThan16HeSigBOfdmSymbolsSupport', 72, 1],
  ['nonTriggeredCqiFeedback', 73, 1],
  ['tx1024QamSupportLessThan242ToneRu', 74, 1],
  ['rx1024QamSupportLessThan242ToneRu', 75, 1],
  ['rxFullBwSuUsingHeMuPpduWithCompressedHeSigB', 76, 1],
  ['rxFullBwSuUsingHeMuPpduWithNonCompressedHeSigB', 77, 1],
  ['nominalPacketPadding', 78, 2],
  ['heMuPpduWithMoreThanOneRuRxMaxNHeLtf', 80, 1],
  ['reserved81', 81, 7],
] as const satisfies readonly BitField[];

export type HeMacCapabilities = BitsOf<typeof HE_MAC_CAPABILITIES_LAYOUT>;
export type HePhyCapabilities = BitsOf<typeof HE_PHY_CAPABILITIES_LAYOUT>;

/** Bits of the PHY Channel Width Set (B1..B7 of the PHY capabilities, numbered from 0 here). */
export const HE_CHANNEL_WIDTH = {
  FORTY_IN_2G: 0x01,
  FORTY_EIGHTY_IN_5G: 0x02,
  ONE_SIXTY_IN_5G: 0x04,
  EIGHTY_PLUS_EIGHTY_IN_5G: 0x08,
  RU_242_IN_2G: 0x10,
  RU_242_IN_5G: 0x20,
} as const;

export interface HeMcsNss {
  rx: number;
  tx: number;
}

export interface HeCapabilities {
  mac: HeMacCapabilities;
  phy: HePhyCapabilities;
  mcs80: HeMcsNss;
  mcs160: HeMcsNss | null;
  mcs8080: HeMcsNss | null;
  /** PPE Thresholds field as sent (see `decodeHePpeThresholds`), or null when absent. */
  ppeThresholds: Uint8Array | null;
  extra: Uint8Array;
}

/** Length of an HE PPE Thresholds field from its first octet: NSTS (3 bits) and RU index bitmask (4 bits). */
export function hePpeThresholdsLength(first: number): number {
  const nss = (first & 7) + 1;
  const rus = popcount((first >> 3) & 0xf);
  return Math.ceil((7 + 6 * nss * rus) / 8);
}

export function popcount(v: number): number {
  let n = 0;
  for (; v; v &= v - 1) n++;
  return n;
}

export interface PpeThreshold {
  nss: number;
  ruIndex: number;
  ppet16: number;
  ppet8: number;
}

/** The (PPET16, PPET8) pairs of an HE PPE Thresholds field, for each NSS and each RU size in the bitmask. */
export function decodeHePpeThresholds(ppe: Uint8Array): {
  nss: number;
  ruIndexBitmask: number;
  thresholds: PpeThreshold[];
} {
  const nss = (ppe[0] & 7) + 1;
  const ruIndexBitmask = (ppe[0] >> 3) & 0xf;
  const thresholds: PpeThreshold[] = [];
  let bit = 7;
  for (let n = 0; n < nss; n++) {
    for (let ru = 0; ru < 4; ru++) {
      if (!(ruIndexBitmask & (1 << ru))) continue;
      thresholds.push({ nss: n, ruIndex: ru, ppet16: getBits(ppe, 0, bit, 3), ppet8: getBits(ppe, 0, bit + 3, 3) });
      bit += 6;
    }
  }
  return { nss, ruIndexBitmask, thresholds };
}

export const heCapabilitiesCodec: ElementCodec<HeCapabilities> = {
  name: 'HE Capabilities',
  id: EID.EXTENSION,
  ext: EID_EXT.HE_CAPABILITY,
  decode(body) {
    if (body.length < 21) return fail('bad-length', 0, `HE Capabilities of ${body.length} octets (at least 21)`);
    const mac = decodeBits(HE_MAC_CAPABILITIES_LAYOUT, body, 0);
    const phy = decodeBits(HE_PHY_CAPABILITIES_LAYOUT, body, 6);
    let p = 17;
    const maps = (): HeMcsNss => {
      const m = { rx: u16le(body, p), tx: u16le(body, p + 2) };
      p += 4;
      return m;
    };
    const need = 4 * (1 + (phy.channelWidthSet & 0x04 ? 1 : 0) + (phy.channelWidthSet & 0x08 ? 1 : 0));
    if (body.length < p + need)
      return fail('bad-length', p, `HE-MCS and NSS set needs ${need} octets, ${body.length - p} present`);
    const mcs80 = maps();
    const mcs160 = phy.channelWidthSet & 0x04 ? maps() : null;
    const mcs8080 = phy.channelWidthSet & 0x08 ? maps() : null;
    let ppeThresholds: Uint8Array | null = null;
    if (phy.ppeThresholdsPresent) {
      if (p >= body.length) return fail('bad-length', p, 'PPE Thresholds present but missing');
      const n = hePpeThresholdsLength(body[p]);
      if (p + n > body.length)
        return fail('bad-length', p, `PPE Thresholds need ${n} octets, ${body.length - p} present`);
      ppeThresholds = body.subarray(p, p + n);
      p += n;
    }
    return ok({ mac, phy, mcs80, mcs160, mcs8080, ppeThresholds, extra: body.subarray(p) });
  },
  encode(v) {
    const maps = [v.mcs80, v.mcs160, v.mcs8080].filter((m): m is HeMcsNss => m !== null);
    const ppe = v.ppeThresholds ?? new Uint8Array(0);
    const out = new Uint8Array(17 + 4 * maps.length + ppe.length + v.extra.length);
    encodeBits(HE_MAC_CAPABILITIES_LAYOUT, v.mac, out, 0);
    encodeBits(HE_PHY_CAPABILITIES_LAYOUT, v.phy, out, 6);
    let p = 17;
    for (const m of maps) {
      put16le(out, p, m.rx);
      put16le(out, p + 2, m.tx);
      p += 4;
    }
    out.set(ppe, p);
    out.set(v.extra, p + ppe.length);
    return out;
  },
};

export const HE_OPERATION_PARAMS_LAYOUT = [
  ['defaultPeDuration', 0, 3],
  ['twtRequired', 3, 1],
  ['txopDurationRtsThreshold', 4, 10],
  ['vhtOperationInformationPresent', 14, 1],
  ['coHostedBss', 15, 1],
  ['erSuDisable', 16, 1],
  ['sixGhzOperationInformationPresent', 17, 1],
  ['reserved18', 18, 6],
  // BSS Color Information
  ['bssColor', 24, 6],
  ['partialBssColor', 30, 1],
  ['bssColorDisabled', 31, 1],
  // Basic HE-MCS And NSS Set
  ['basicHeMcsNssSet', 32, 16],
] as const satisfies readonly BitField[];

export const HE_6GHZ_OPERATION_LAYOUT = [
  ['primaryChannel', 0, 8],
  ['channelWidth', 8, 2],
  ['duplicateBeacon', 10, 1],
  ['regulatoryInfo', 11, 3],
  ['controlReserved', 14, 2],
  ['channelCenterFrequencySegment0', 16, 8],
  ['channelCenterFrequencySegment1', 24, 8],
  ['minimumRate', 32, 8],
] as const satisfies readonly BitField[];

export type HeOperation = BitsOf<typeof HE_OPERATION_PARAMS_LAYOUT> & {
  /** Present when vhtOperationInformationPresent: channel width, CCFS0, CCFS1. */
  vhtOperationInformation: { channelWidth: number; ccfs0: number; ccfs1: number } | null;
  maxCoHostedBssidIndicator: number | null;
  sixGhzOperationInformation: BitsOf<typeof HE_6GHZ_OPERATION_LAYOUT> | null;
  extra: Uint8Array;
};

export const heOperationCodec: ElementCodec<HeOperation> = {
  name: 'HE Operation',
  id: EID.EXTENSION,
  ext: EID_EXT.HE_OPERATION,
  decode(body) {
    if (body.length < 6) return fail('bad-length', 0, `HE Operation of ${body.length} octets (at least 6)`);
    const params = decodeBits(HE_OPERATION_PARAMS_LAYOUT, body, 0);
    const need =
      6 +
      (params.vhtOperationInformationPresent ? 3 : 0) +
      (params.coHostedBss ? 1 : 0) +
      (params.sixGhzOperationInformationPresent ? 5 : 0);
    if (body.length < need)
      return fail('bad-length', 6, `HE Operation needs ${need} octets for its optional fields, has ${body.length}`);
    let p = 6;
    let vht: HeOperation['vhtOperationInformation'] = null;
    if (params.vhtOperationInformationPresent) {
      vht = { channelWidth: body[p], ccfs0: body[p + 1], ccfs1: body[p + 2] };
      p += 3;
    }
    let cohosted: number | null = null;
    if (params.coHostedBss) cohosted = body[p++];
    let six: HeOperation['sixGhzOperationInformation'] = null;
    if (params.sixGhzOperationInformationPresent) {
      six = decodeBits(HE_6GHZ_OPERATION_LAYOUT, body, p);
      p += 5;
    }
    return ok(
      Object.assign(params, {
        vhtOperationInformation: vht,
        maxCoHostedBssidIndicator: cohosted,
        sixGhzOperationInformation: six,
        extra: body.subarray(p),
      }),
    );
  },
  encode(v) {
    const out = new Uint8Array(6 + 3 + 1 + 5 + v.extra.length);
    encodeBits(HE_OPERATION_PARAMS_LAYOUT, v, out, 0);
    let p = 6;
    if (v.vhtOperationInformationPresent) {
      const i = v.vhtOperationInformation ?? { channelWidth: 0, ccfs0: 0, ccfs1: 0 };
      out.set([i.channelWidth, i.ccfs0, i.ccfs1], p);
      p += 3;
    }
    if (v.coHostedBss) out[p++] = v.maxCoHostedBssidIndicator ?? 0;
    if (v.sixGhzOperationInformationPresent) {
      if (v.sixGhzOperationInformation) encodeBits(HE_6GHZ_OPERATION_LAYOUT, v.sixGhzOperationInformation, out, p);
      p += 5;
    }
    out.set(v.extra, p);
    return out.slice(0, p + v.extra.length);
  },
};
