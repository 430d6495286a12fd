/**
 * Hardware scan (FACTS.md §6.11; mt76_connac_mcu_hw_scan, _cancel_hw_scan,
 * struct mt76_connac_hw_scan_req / _hw_scan_done).
 */
import type { Band } from '../mac/rates.ts';
import { mcuBand123 } from './chan.ts';

export const HW_SCAN_REQ_LEN = 1186;
export const SCAN_IE_LEN = 600;
export const SCAN_MAX_SSIDS = 4;
export const SCAN_MAX_CHANNELS = 64;
export const SCAN_DONE_LEN = 476;

export const SCAN_FUNC_RANDOM_MAC = 1 << 0;
export const SCAN_FUNC_RNR = 1 << 3;
export const SCAN_FUNC_SPLIT_SCAN = 1 << 5;

/** Offsets of mt76_connac_hw_scan_req (the §6.11 table). */
export const SCAN_OFF = {
  seqNum: 0,
  bssIdx: 1,
  scanType: 2,
  ssidType: 3,
  ssidsNum: 4,
  probeReqNum: 5,
  scanFunc: 6,
  version: 7,
  ssids: 8,
  probeDelayTime: 152,
  channelDwellTime: 154,
  timeoutValue: 156,
  channelType: 158,
  channelsNum: 159,
  channels: 160,
  iesLen: 224,
  ies: 226,
  extChannelsNum: 826,
  extSsidsNum: 827,
  channelMinDwellTime: 828,
  extChannels: 830,
  extSsids: 894,
  bssid: 1110,
  randomMac: 1116,
  pad: 1122,
  ssidTypeExt: 1185,
} as const;

export interface ScanChannel {
  band: Band;
  channel: number;
}

export interface HwScanRequest {
  /** 7-bit per-vif counter (the caller increments it). */
  seqNum: number;
  bandIdx: number;
  bssIdx: number;
  /** SSIDs to probe for; an empty SSID (wildcard) counts for scan_type but is not listed. */
  ssids: Uint8Array[];
  /** Listed channels (≤ 64); none or more than 64 ⇒ firmware scans all. */
  channels: ScanChannel[];
  /** Extra probe-request IEs (≤ 600 bytes). */
  ies?: Uint8Array;
  bssid?: Uint8Array;
  /** Randomized source address (NL80211_SCAN_FLAG_RANDOM_ADDR): the already-masked address. */
  randomMac?: Uint8Array;
}

/** The 1186-byte START_HW_SCAN payload (connac2: dwell times 0 = firmware default, split scan). */
export function hwScanPayload(r: HwScanRequest): Buffer {
  const b = Buffer.alloc(HW_SCAN_REQ_LEN);
  b[SCAN_OFF.seqNum] = (r.seqNum & 0x7f) | ((r.bandIdx & 1) << 7);
  b[SCAN_OFF.bssIdx] = r.bssIdx;
  const anySsid = r.ssids.length > 0;
  b[SCAN_OFF.scanType] = anySsid ? 1 : 0;
  b[SCAN_OFF.probeReqNum] = anySsid ? 2 : 0;
  b[SCAN_OFF.version] = 1;
  let n = 0;
  for (const ssid of r.ssids) {
    if (ssid.length === 0 || n >= SCAN_MAX_SSIDS) continue;
    const o = SCAN_OFF.ssids + n * 36;
    b.writeUInt32LE(Math.min(32, ssid.length), o);
    b.set(ssid.subarray(0, 32), o + 4);
    n++;
  }
  b[SCAN_OFF.ssidType] = n ? 1 << 2 : 1 << 0;
  b[SCAN_OFF.ssidTypeExt] = n ? 1 : 0;
  b[SCAN_OFF.ssidsNum] = n;
  // timeout_value, channel_min_dwell_time, channel_dwell_time: 0 on connac2
  const nch = r.channels.length;
  if (nch === 0 || nch > SCAN_MAX_CHANNELS) {
    b[SCAN_OFF.channelType] = 0;
  } else {
    b[SCAN_OFF.channelType] = 4;
    b[SCAN_OFF.channelsNum] = Math.min(nch, 32);
    b[SCAN_OFF.extChannelsNum] = Math.max(0, Math.min(nch - 32, 32));
    for (let i = 0; i < nch; i++) {
      const o = i < 32 ? SCAN_OFF.channels + 2 * i : SCAN_OFF.extChannels + 2 * (i - 32);
      b[o] = mcuBand123(r.channels[i]!.band);
      b[o + 1] = r.channels[i]!.channel;
    }
  }
  if (r.ies && r.ies.length > 0) {
    const ies = r.ies.subarray(0, SCAN_IE_LEN);
    b.set(ies, SCAN_OFF.ies);
    b.writeUInt16LE(ies.length, SCAN_OFF.iesLen);
  }
  b[SCAN_OFF.scanFunc] = SCAN_FUNC_SPLIT_SCAN;
  if (r.bssid) b.set(r.bssid.subarray(0, 6), SCAN_OFF.bssid);
  if (r.randomMac) {
    b.set(r.randomMac.subarray(0, 6), SCAN_OFF.randomMac);
    b[SCAN_OFF.scanFunc] |= SCAN_FUNC_RANDOM_MAC;
  }
  return b;
}

/** CANCEL_HW_SCAN {seq_num, is_ext_channel, rsv[2]}. */
export function cancelHwScanPayload(seqNum: number): Buffer {
  return Buffer.from([seqNum, 0, 0, 0]);
}

export interface ScanDone {
  seqNum: number;
  sparseChannelNum: number;
  sparseChannel: { band: number; channel: number };
  completeChannelNum: number;
  currentState: number;
  version: number;
  beaconScanNum: number;
  pnoEnabled: number;
  sparseChannelValidNum: number;
  alpha2: string;
  /** Per scanned channel (up to 64): number, idle time, beacon/probe count, mdrdy count, scan time. */
  channels: Array<{ channel: number; idleTime: number; beaconProbeNum: number; mdrdyCount: number; scanTime: number }>;
  beacon2gNum: number;
  beacon5gNum: number;
}

/**
 * Decode a SCAN_DONE (eid 0x0d) payload. Returns null when it is shorter than the fixed 476-byte structure
 * (the driver only reads alpha2, but a short event is malformed).
 */
export function parseScanDone(p: Uint8Array): ScanDone | null {
  if (p.length < SCAN_DONE_LEN) return null;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const n = Math.min(p[4]!, SCAN_MAX_CHANNELS);
  const channels: ScanDone['channels'] = [];
  for (let i = 0; i < n; i++) {
    channels.push({
      channel: p[20 + i]!,
      idleTime: dv.getUint16(84 + 2 * i, true),
      beaconProbeNum: p[212 + i]!,
      mdrdyCount: p[276 + i]!,
      scanTime: dv.getUint16(348 + 2 * i, true),
    });
  }
  const a2 = p.subarray(17, 20);
  let alpha2 = '';
  for (const c of a2) if (c >= 0x20 && c < 0x7f) alpha2 += String.fromCharCode(c);
  return {
    seqNum: p[0]!,
    sparseChannelNum: p[1]!,
    sparseChannel: { band: p[2]!, channel: p[3]! },
    completeChannelNum: p[4]!,
    currentState: p[5]!,
    version: p[6]!,
    beaconScanNum: dv.getUint32(8, true),
    pnoEnabled: p[12]!,
    sparseChannelValidNum: p[16]!,
    alpha2,
    channels,
    beacon2gNum: dv.getUint32(340, true),
    beacon5gNum: dv.getUint32(344, true),
  };
}

/** Build a SCAN_DONE payload (for tests and fakes). */
export function buildScanDone(d: Partial<ScanDone> & { seqNum: number }): Buffer {
  const b = Buffer.alloc(SCAN_DONE_LEN);
  b[0] = d.seqNum;
  b[1] = d.sparseChannelNum ?? 0;
  b[2] = d.sparseChannel?.band ?? 0;
  b[3] = d.sparseChannel?.channel ?? 0;
  const ch = (d.channels ?? []).slice(0, SCAN_MAX_CHANNELS);
  b[4] = d.completeChannelNum ?? ch.length;
  b[5] = d.currentState ?? 0;
  b[6] = d.version ?? 0;
  b.writeUInt32LE(d.beaconScanNum ?? 0, 8);
  b[12] = d.pnoEnabled ?? 0;
  b[16] = d.sparseChannelValidNum ?? 0;
  b.write((d.alpha2 ?? '').slice(0, 3), 17, 'latin1');
  ch.forEach((c, i) => {
    b[20 + i] = c.channel;
    b.writeUInt16LE(c.idleTime, 84 + 2 * i);
    b[212 + i] = c.beaconProbeNum;
    b[276 + i] = c.mdrdyCount;
    b.writeUInt16LE(c.scanTime, 348 + 2 * i);
  });
  b.writeUInt32LE(d.beacon2gNum ?? 0, 340);
  b.writeUInt32LE(d.beacon5gNum ?? 0, 344);
  return b;
}

/** MT792x_HW_SCAN_TIMEOUT: the driver reports completion this long after SCAN_DONE. */
export const MT792X_HW_SCAN_TIMEOUT_MS = 100;
