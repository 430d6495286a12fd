/**
 * HT Capabilities (IEEE 802.11-2020 9.4.2.55) and HT Operation (9.4.2.56). Bit positions are relative to the start
 * of the element body; every bit, reserved ones included, belongs to one named field.
 */
import { type BitField, type BitsOf, decodeBits, encodeBits, layoutBytes } from '../bits.ts';
import { fail, ok } from '../parse.ts';
import { layoutCodec } from './basic.ts';
import type { ElementCodec } from './codec.ts';
import { EID } from './ids.ts';

export const HT_CAPABILITIES_LAYOUT = [
  // HT Capability Information (B0..B15)
  ['ldpcCodingCapability', 0, 1],
  ['supportedChannelWidthSet', 1, 1],
  ['smPowerSave', 2, 2],
  ['htGreenfield', 4, 1],
  ['shortGiFor20MHz', 5, 1],
  ['shortGiFor40MHz', 6, 1],
  ['txStbc', 7, 1],
  ['rxStbc', 8, 2],
  ['htDelayedBlockAck', 10, 1],
  ['maxAmsduLength', 11, 1],
  ['dsssCckModeIn40MHz', 12, 1],
  ['psmpSupport', 13, 1],
  ['fortyMHzIntolerant', 14, 1],
  ['lsigTxopProtectionSupport', 15, 1],
  // A-MPDU Parameters
  ['maxAmpduLengthExponent', 16, 2],
  ['minMpduStartSpacing', 18, 3],
  ['ampduReserved', 21, 3],
  // Supported MCS Set (16 octets from bit 24)
  ['rxMcsBitmask0', 24, 32],
  ['rxMcsBitmask1', 56, 32],
  ['rxMcsBitmask2', 88, 13],
  ['mcsReserved77', 101, 3],
  ['rxHighestSupportedDataRate', 104, 10],
  ['mcsReserved90', 114, 6],
  ['txMcsSetDefined', 120, 1],
  ['txRxMcsSetNotEqual', 121, 1],
  ['txMaxNssSupported', 122, 2],
  ['txUnequalModulationSupported', 124, 1],
  ['mcsReserved101a', 125, 27],
  // HT Extended Capabilities (bits 152..167)
  ['pco', 152, 1],
  ['pcoTransitionTime', 153, 2],
  ['extReserved3', 155, 5],
  ['mcsFeedback', 160, 2],
  ['htcSupport', 162, 1],
  ['rdResponder', 163, 1],
  ['extReserved12', 164, 4],
  // Transmit Beamforming Capabilities (bits 168..199)
  ['implicitTxbfReceiving', 168, 1],
  ['receiveStaggeredSounding', 169, 1],
  ['transmitStaggeredSounding', 170, 1],
  ['receiveNdp', 171, 1],
  ['transmitNdp', 172, 1],
  ['implicitTxbf', 173, 1],
  ['calibration', 174, 2],
  ['explicitCsiTxbf', 176, 1],
  ['explicitNoncompressedSteering', 177, 1],
  ['explicitCompressedSteering', 178, 1],
  ['explicitTxbfCsiFeedback', 179, 2],
  ['explicitNoncompressedBeamformingFeedback', 181, 2],
  ['explicitCompressedBeamformingFeedback', 183, 2],
  ['minimalGrouping', 185, 2],
  ['csiNumberOfBeamformerAntennas', 187, 2],
  ['noncompressedSteeringNumberOfBeamformerAntennas', 189, 2],
  ['compressedSteeringNumberOfBeamformerAntennas', 191, 2],
  ['csiMaxNumberOfRowsBeamformer', 193, 2],
  ['channelEstimationCapability', 195, 2],
  ['txbfReserved', 197, 3],
  // ASEL Capabilities (bits 200..207)
  ['antennaSelectionCapable', 200, 1],
  ['explicitCsiFeedbackBasedTxAsel', 201, 1],
  ['antennaIndicesFeedbackBasedTxAsel', 202, 1],
  ['explicitCsiFeedback', 203, 1],
  ['antennaIndicesFeedback', 204, 1],
  ['rxAsel', 205, 1],
  ['transmitSoundingPpdus', 206, 1],
  ['aselReserved', 207, 1],
] as const satisfies readonly BitField[];

export const htCapabilitiesCodec = layoutCodec('HT Capabilities', EID.HT_CAPABILITY, undefined, HT_CAPABILITIES_LAYOUT);
export type HtCapabilities = BitsOf<typeof HT_CAPABILITIES_LAYOUT> & { extra: Uint8Array };

/** The 77-bit Rx MCS bitmask as a set of MCS indexes. */
export function htRxMcs(c: HtCapabilities): number[] {
  const out: number[] = [];
  const parts: [number, number, number][] = [
    [c.rxMcsBitmask0, 0, 32],
    [c.rxMcsBitmask1, 32, 32],
    [c.rxMcsBitmask2, 64, 13],
  ];
  for (const [v, base, n] of parts) for (let i = 0; i < n; i++) if (Math.floor(v / 2 ** i) % 2) out.push(base + i);
  return out;
}

export const HT_OPERATION_LAYOUT = [
  ['primaryChannel', 0, 8],
  // HT Operation Information (5 octets from bit 8)
  ['secondaryChannelOffset', 8, 2],
  ['staChannelWidth', 10, 1],
  ['rifsMode', 11, 1],
  ['infoReserved4', 12, 4],
  ['htProtection', 16, 2],
  ['nongreenfieldHtStasPresent', 18, 1],
  ['infoReserved11', 19, 1],
  ['obssNonHtStasPresent', 20, 1],
  ['channelCenterFrequencySegment2', 21, 8],
  ['infoReserved21', 29, 9],
  ['dualBeacon', 38, 1],
  ['dualCtsProtection', 39, 1],
  ['stbcBeacon', 40, 1],
  // B33..B35 were L-SIG TXOP protection full support, PCO active and PCO phase until 802.11-2016 reserved them.
  ['lsigTxopProtectionFullSupport', 41, 1],
  ['pcoActive', 42, 1],
  ['pcoPhase', 43, 1],
  ['infoReserved36', 44, 4],
] as const satisfies readonly BitField[];

export type HtOperation = BitsOf<typeof HT_OPERATION_LAYOUT> & {
  /** Basic HT-MCS Set: 16 octets, the same format as the Supported MCS Set. */
  basicMcsSet: Uint8Array;
  extra: Uint8Array;
};

const HT_OP_FIXED = layoutBytes(HT_OPERATION_LAYOUT);

export const htOperationCodec: ElementCodec<HtOperation> = {
  name: 'HT Operation',
  id: EID.HT_OPERATION,
  decode(body) {
    if (body.length < HT_OP_FIXED + 16)
      return fail('bad-length', 0, `HT Operation of ${body.length} octets (22 expected)`);
    return ok(
      Object.assign(decodeBits(HT_OPERATION_LAYOUT, body), {
        basicMcsSet: body.subarray(HT_OP_FIXED, HT_OP_FIXED + 16),
        extra: body.subarray(HT_OP_FIXED + 16),
      }),
    );
  },
  encode(v) {
    const out = new Uint8Array(HT_OP_FIXED + 16 + v.extra.length);
    encodeBits(HT_OPERATION_LAYOUT, v, out);
    out.set(v.basicMcsSet.subarray(0, 16), HT_OP_FIXED);
    out.set(v.extra, HT_OP_FIXED + 16);
    return out;
  },
};
