/**
 * Extended Capabilities (IEEE 802.11-2020 9.4.2.26, Table 9-153): a bit string of any length, bit n in octet n/8.
 * Kept as raw octets; the named bits below are looked up with `extCapBit` and `extCapField`.
 */
import { getBits } from '../bits.ts';
import { fail, ok } from '../parse.ts';
import type { ElementCodec } from './codec.ts';
import { EID } from './ids.ts';

export interface ExtCapabilities {
  bits: Uint8Array;
}

export const extCapabilitiesCodec: ElementCodec<ExtCapabilities> = {
  name: 'Extended Capabilities',
  id: EID.EXT_CAPABILITY,
  decode(body) {
    if (body.length === 0) return fail('bad-length', 0, 'empty Extended Capabilities element');
    return ok({ bits: body });
  },
  encode: (v) => v.bits,
};

/** Bit numbers (Table 9-153; 80 and above from hostap's WLAN_EXT_CAPAB_* and Wireshark's dissector). */
export const EXT_CAP = {
  BSS_COEX_2040: 0,
  EXT_CHANNEL_SWITCHING: 2,
  PSMP: 4,
  S_PSMP: 6,
  EVENT: 7,
  DIAGNOSTICS: 8,
  MULTICAST_DIAGNOSTICS: 9,
  LOCATION_TRACKING: 10,
  FMS: 11,
  PROXY_ARP: 12,
  COLLOCATED_INTERFERENCE_REPORTING: 13,
  CIVIC_LOCATION: 14,
  GEOSPATIAL_LOCATION: 15,
  TFS: 16,
  WNM_SLEEP_MODE: 17,
  TIM_BROADCAST: 18,
  BSS_TRANSITION: 19,
  QOS_TRAFFIC_CAPABILITY: 20,
  AC_STATION_COUNT: 21,
  MULTIPLE_BSSID: 22,
  TIMING_MEASUREMENT: 23,
  CHANNEL_USAGE: 24,
  SSID_LIST: 25,
  DMS: 26,
  UTC_TSF_OFFSET: 27,
  TPU_BUFFER_STA: 28,
  TDLS_PEER_PSM: 29,
  TDLS_CHANNEL_SWITCHING: 30,
  INTERWORKING: 31,
  QOS_MAP: 32,
  EBR: 33,
  SSPN_INTERFACE: 34,
  MSGCF: 36,
  TDLS_SUPPORT: 37,
  TDLS_PROHIBITED: 38,
  TDLS_CHANNEL_SWITCHING_PROHIBITED: 39,
  REJECT_UNADMITTED_FRAME: 40,
  /** 3 bits. */
  SERVICE_INTERVAL_GRANULARITY: 41,
  IDENTIFIER_LOCATION: 44,
  UAPSD_COEXISTENCE: 45,
  WNM_NOTIFICATION: 46,
  QAB: 47,
  UTF8_SSID: 48,
  QMF_ACTIVATED: 49,
  QMF_RECONFIGURATION_ACTIVATED: 50,
  ROBUST_AV_STREAMING: 51,
  ADVANCED_GCR: 52,
  MESH_GCR: 53,
  SCS: 54,
  QLOAD_REPORT: 55,
  ALTERNATE_EDCA: 56,
  UNPROTECTED_TXOP_NEGOTIATION: 57,
  PROTECTED_TXOP_NEGOTIATION: 58,
  PROTECTED_QLOAD_REPORT: 60,
  TDLS_WIDER_BANDWIDTH: 61,
  OPERATING_MODE_NOTIFICATION: 62,
  /** 2 bits. */
  MAX_MSDUS_IN_AMSDU: 63,
  CHANNEL_SCHEDULE_MANAGEMENT: 65,
  GEODATABASE_INBAND_ENABLING_SIGNAL: 66,
  NETWORK_CHANNEL_CONTROL: 67,
  WHITE_SPACE_MAP: 68,
  CHANNEL_AVAILABILITY_QUERY: 69,
  FTM_RESPONDER: 70,
  FTM_INITIATOR: 71,
  FILS: 72,
  EXTENDED_SPECTRUM_MANAGEMENT: 73,
  FUTURE_CHANNEL_GUIDANCE: 74,
  TWT_REQUESTER: 77,
  TWT_RESPONDER: 78,
  OBSS_NARROW_BW_RU_IN_UL_OFDMA_TOLERANCE: 79,
  COMPLETE_LIST_OF_NONTX_BSSID_PROFILES: 80,
  SAE_PASSWORD_IDS_IN_USE: 81,
  SAE_PASSWORD_IDS_EXCLUSIVELY: 82,
  ENHANCED_MULTI_BSSID_ADVERTISEMENT: 83,
  BEACON_PROTECTION: 84,
  /** Mirrored SCS. */
  MSCS: 85,
  OCT: 86,
  SAE_PK_EXCLUSIVELY: 88,
  TWT_PARAMETERS_RANGE: 89,
  NON_TB_RANGING_RESPONDER: 90,
  TB_RANGING_RESPONDER: 91,
  TB_RANGING_RESPONDER_MEASUREMENT: 92,
  TB_RANGING_INITIATOR_MEASUREMENT: 93,
  AOA_MEASUREMENT: 94,
  PHASE_SHIFT_FEEDBACK: 95,
} as const;

/** Bit n of the element (0 when the element is shorter). */
export function extCapBit(c: ExtCapabilities, bit: number): boolean {
  return extCapField(c, bit, 1) === 1;
}

/** A multi-bit field starting at bit n (bits past the end read as 0). */
export function extCapField(c: ExtCapabilities, bit: number, width: number): number {
  const need = (bit + width + 7) >> 3;
  if (need <= c.bits.length) return getBits(c.bits, 0, bit, width);
  const padded = new Uint8Array(need);
  padded.set(c.bits.subarray(0, need));
  return getBits(padded, 0, bit, width);
}

/** Extended capabilities with the given bits set, as short as possible (at least `minOctets`). */
export function buildExtCapabilities(bits: readonly number[], minOctets = 0): ExtCapabilities {
  const len = Math.max(minOctets, ...bits.map((b) => (b >> 3) + 1));
  const out = new Uint8Array(len);
  for (const b of bits) out[b >> 3] |= 1 << (b & 7);
  return { bits: out };
}
