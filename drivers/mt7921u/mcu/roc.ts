/**
 * Remain-on-channel / join with CNM firmware (FACTS.md §6.10; mt7921_mcu_set_roc, _abort_roc,
 * mt7921_mcu_uni_roc_event).
 */
import { type ChanDef, mcuBand123, sco } from './chan.ts';
import { MCU_RXD_LEN } from './event.ts';
import { McuWriter } from './writer.ts';

export enum RocReqType {
  JOIN = 0,
  ROC = 1,
}

export enum UniRocTag {
  ACQUIRE = 0,
  ABORT = 1,
}

export const UNI_EVENT_ROC_GRANT = 0;
/** The driver waits this long for the grant before aborting. */
export const MT7921_ROC_GRANT_TIMEOUT_MS = 1000;

/** Acquire (28 bytes): rsv[4] + TLV tag 0 len 24. Always 20 MHz, dbdcband auto (0xff). */
export function rocAcquirePayload(o: {
  bssIdx: number;
  token: number;
  chan: ChanDef;
  reqType: RocReqType;
  durationMs: number;
}): Buffer {
  const w = new McuWriter(28);
  w.put(4);
  const t = w.tlv(UniRocTag.ACQUIRE, 24);
  const center = o.chan.channel;
  w.u8(t + 4, o.bssIdx)
    .u8(t + 5, o.token)
    .u8(t + 6, o.chan.channel)
    .u8(t + 7, sco(o.chan.channel, center))
    .u8(t + 8, mcuBand123(o.chan.band))
    .u8(t + 9, 0) // CMD_CBW_20MHZ
    .u8(t + 10, center)
    .u8(t + 11, 0)
    .u8(t + 12, 0) // bw_from_ap
    .u8(t + 13, center)
    .u8(t + 14, 0)
    .u8(t + 15, o.reqType)
    .u32(t + 16, o.durationMs)
    .u8(t + 20, 0xff);
  return w.finish();
}

/** Abort (16 bytes): rsv[4] + TLV tag 1 len 12 {bss_idx, token, dbdcband 0xff, rsv[5]}. */
export function rocAbortPayload(bssIdx: number, token: number): Buffer {
  const w = new McuWriter(16);
  w.put(4);
  const t = w.tlv(UniRocTag.ABORT, 12);
  w.u8(t + 4, bssIdx)
    .u8(t + 5, token)
    .u8(t + 6, 0xff);
  return w.finish();
}

export interface RocGrant {
  tag: number;
  bssIdx: number;
  tokenId: number;
  status: number;
  primaryChannel: number;
  rfSco: number;
  rfBand: number;
  channelWidth: number;
  centerFreqSeg1: number;
  centerFreqSeg2: number;
  reqType: number;
  dbdcBand: number;
  maxInterval: number;
}

/** Offset of the grant TLV in the event packet: 36-byte header + 4 skipped bytes. */
export const ROC_GRANT_OFFSET = MCU_RXD_LEN + 4;
export const ROC_GRANT_LEN = 20;

/** Decode the grant from a whole ROC event packet; null when it is too short. */
export function parseRocGrant(pkt: Uint8Array): RocGrant | null {
  if (pkt.length < ROC_GRANT_OFFSET + ROC_GRANT_LEN) return null;
  const o = ROC_GRANT_OFFSET;
  const dv = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength);
  return {
    tag: dv.getUint16(o, true),
    bssIdx: pkt[o + 4]!,
    tokenId: pkt[o + 5]!,
    status: pkt[o + 6]!,
    primaryChannel: pkt[o + 7]!,
    rfSco: pkt[o + 8]!,
    rfBand: pkt[o + 9]!,
    channelWidth: pkt[o + 10]!,
    centerFreqSeg1: pkt[o + 11]!,
    centerFreqSeg2: pkt[o + 12]!,
    reqType: pkt[o + 13]!,
    dbdcBand: pkt[o + 14]!,
    maxInterval: dv.getUint32(o + 16, true),
  };
}

/** The grant event's payload (after the 36-byte header): 4 bytes, then the TLV. */
export function buildRocGrantPayload(g: Partial<RocGrant>): Buffer {
  const b = Buffer.alloc(4 + ROC_GRANT_LEN);
  const o = 4;
  b.writeUInt16LE(g.tag ?? UNI_EVENT_ROC_GRANT, o);
  b.writeUInt16LE(ROC_GRANT_LEN, o + 2);
  b[o + 4] = g.bssIdx ?? 0;
  b[o + 5] = g.tokenId ?? 0;
  b[o + 6] = g.status ?? 0;
  b[o + 7] = g.primaryChannel ?? 0;
  b[o + 8] = g.rfSco ?? 0;
  b[o + 9] = g.rfBand ?? 0;
  b[o + 10] = g.channelWidth ?? 0;
  b[o + 11] = g.centerFreqSeg1 ?? 0;
  b[o + 12] = g.centerFreqSeg2 ?? 0;
  b[o + 13] = g.reqType ?? 0;
  b[o + 14] = g.dbdcBand ?? 0;
  b.writeUInt32LE(g.maxInterval ?? 0, o + 16);
  return b;
}
