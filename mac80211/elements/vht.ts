/** VHT Capabilities (IEEE 802.11-2020 9.4.2.157) and VHT Operation (9.4.2.158). */
import type { BitField, BitsOf } from '../bits.ts';
import { layoutCodec } from './basic.ts';
import { EID } from './ids.ts';

export const VHT_CAPABILITIES_LAYOUT = [
  // VHT Capabilities Information (B0..B31)
  ['maxMpduLength', 0, 2],
  ['supportedChannelWidthSet', 2, 2],
  ['rxLdpc', 4, 1],
  ['shortGiFor80MHz', 5, 1],
  ['shortGiFor160MHz', 6, 1],
  ['txStbc', 7, 1],
  ['rxStbc', 8, 3],
  ['suBeamformerCapable', 11, 1],
  ['suBeamformeeCapable', 12, 1],
  ['beamformeeStsCapability', 13, 3],
  ['numberOfSoundingDimensions', 16, 3],
  ['muBeamformerCapable', 19, 1],
  ['muBeamformeeCapable', 20, 1],
  ['txopPs', 21, 1],
  ['htcVhtCapable', 22, 1],
  ['maxAmpduLengthExponent', 23, 3],
  ['vhtLinkAdaptationCapable', 26, 2],
  ['rxAntennaPatternConsistency', 28, 1],
  ['txAntennaPatternConsistency', 29, 1],
  ['extendedNssBwSupport', 30, 2],
  // Supported VHT-MCS and NSS Set (B32..B95)
  ['rxMcsMap', 32, 16],
  ['rxHighestSupportedLongGiDataRate', 48, 13],
  ['maxNstsTotal', 61, 3],
  ['txMcsMap', 64, 16],
  ['txHighestSupportedLongGiDataRate', 80, 13],
  ['vhtExtendedNssBwCapable', 93, 1],
  ['mcsReserved', 94, 2],
] as const satisfies readonly BitField[];

export const vhtCapabilitiesCodec = layoutCodec(
  'VHT Capabilities',
  EID.VHT_CAPABILITY,
  undefined,
  VHT_CAPABILITIES_LAYOUT,
);
export type VhtCapabilities = BitsOf<typeof VHT_CAPABILITIES_LAYOUT> & { extra: Uint8Array };

export const VHT_OPERATION_LAYOUT = [
  ['channelWidth', 0, 8],
  ['channelCenterFrequencySegment0', 8, 8],
  ['channelCenterFrequencySegment1', 16, 8],
  ['basicMcsMap', 24, 16],
] as const satisfies readonly BitField[];

export const vhtOperationCodec = layoutCodec('VHT Operation', EID.VHT_OPERATION, undefined, VHT_OPERATION_LAYOUT);
export type VhtOperation = BitsOf<typeof VHT_OPERATION_LAYOUT> & { extra: Uint8Array };

/** Max MCS for `nss` spatial streams (1..8) from a VHT or HE MCS map: 0..2, or 3 = not supported. */
export function mcsMapNss(map: number, nss: number): number {
  return (map >> ((nss - 1) * 2)) & 3;
}
