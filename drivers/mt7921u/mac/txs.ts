/**
 * TX status (FACTS.md §7.2; mt76_connac2_mac.h MT_TXS*, mt7921_mac_add_txs, mt7921_queue_rx_skb).
 *
 * A TXS packet is an RX packet of type 0: skip 2 DWs, then one or more 8-DW records. The same record is embedded in
 * the MCU TX-done event (0x0f). A frame is acked when bits 18:16 of DW0 are all zero.
 */
import { MT792X_WTBL_SIZE } from '../regs.ts';
import { MT_PACKET_ID_FIRST } from './txd.ts';

export const MT_TXS_RECORD_LEN = 32;
/** DWs of a TXS packet before its first record. */
export const MT_TXS_PKT_HDR_LEN = 8;

export enum TxsFormat {
  MPDU = 0,
  PPDU = 2,
}

export interface TxsRecord {
  txRate: number;
  statusMcu: boolean;
  statusHost: boolean;
  ackTimeout: boolean;
  rtsTimeout: boolean;
  queueTimeout: boolean;
  bipError: boolean;
  txopTimeout: boolean;
  ps: boolean;
  baError: boolean;
  format: number;
  ampdu: boolean;
  tid: number;
  bw: number;
  fixedRate: boolean;
  txPowerDbm: number;
  rxvSeqno: number;
  respRate: number;
  seqno: number;
  txDelay: number;
  wcid: number;
  sharedAntenna: boolean;
  lastTxRate: number;
  bfStatus: number;
  antId: number;
  pid: number;
  timestamp: number;
  /** DW5–7: PPDU counters (raw). */
  dw5: number;
  dw6: number;
  dw7: number;
  /** Bits 18:16 of DW0 all zero. */
  acked: boolean;
}

/** Decode one 32-byte record at `off`. The caller guarantees 32 bytes are there. */
export function decodeTxs(b: Uint8Array, off: number): TxsRecord {
  const dv = new DataView(b.buffer, b.byteOffset + off, MT_TXS_RECORD_LEN);
  const d0 = dv.getUint32(0, true);
  const d1 = dv.getUint32(4, true);
  const d2 = dv.getUint32(8, true);
  const d3 = dv.getUint32(12, true);
  return {
    txRate: d0 & 0x3fff,
    statusMcu: (d0 & (1 << 14)) !== 0,
    statusHost: (d0 & (1 << 15)) !== 0,
    ackTimeout: (d0 & (1 << 16)) !== 0,
    rtsTimeout: (d0 & (1 << 17)) !== 0,
    queueTimeout: (d0 & (1 << 18)) !== 0,
    bipError: (d0 & (1 << 19)) !== 0,
    txopTimeout: (d0 & (1 << 20)) !== 0,
    ps: (d0 & (1 << 21)) !== 0,
    baError: (d0 & (1 << 22)) !== 0,
    format: (d0 >>> 23) & 3,
    ampdu: (d0 & (1 << 25)) !== 0,
    tid: (d0 >>> 26) & 7,
    bw: (d0 >>> 29) & 3,
    fixedRate: (d0 & 0x80000000) !== 0,
    txPowerDbm: d1 & 0xff,
    rxvSeqno: (d1 >>> 8) & 0xff,
    respRate: (d1 >>> 16) & 0xf,
    seqno: (d1 >>> 20) & 0xfff,
    txDelay: d2 & 0xffff,
    wcid: (d2 >>> 16) & 0x3ff,
    sharedAntenna: (d2 & (1 << 26)) !== 0,
    lastTxRate: (d2 >>> 27) & 7,
    bfStatus: (d2 >>> 30) & 3,
    antId: d3 & 0xffffff,
    pid: (d3 >>> 24) & 0xff,
    timestamp: dv.getUint32(16, true),
    dw5: dv.getUint32(20, true),
    dw6: dv.getUint32(24, true),
    dw7: dv.getUint32(28, true),
    acked: (d0 & 0x70000) === 0,
  };
}

/** Records the driver ignores: PPDU format (> 1), PID < 3, WCID ≥ 20 (mt7921_mac_add_txs). */
export function txsIgnored(r: TxsRecord): boolean {
  return r.format > 1 || r.pid < MT_PACKET_ID_FIRST || r.wcid >= MT792X_WTBL_SIZE;
}

/** Encode a record (the inverse of decodeTxs, for tests and fakes). */
export function encodeTxs(
  r: Partial<TxsRecord>,
  out: Uint8Array = new Uint8Array(MT_TXS_RECORD_LEN),
  off = 0,
): Uint8Array {
  const dv = new DataView(out.buffer, out.byteOffset + off, MT_TXS_RECORD_LEN);
  const b = (v: boolean | undefined, bit: number) => (v ? 1 << bit : 0);
  const d0 =
    ((r.txRate ?? 0) & 0x3fff) |
    b(r.statusMcu, 14) |
    b(r.statusHost, 15) |
    b(r.ackTimeout, 16) |
    b(r.rtsTimeout, 17) |
    b(r.queueTimeout, 18) |
    b(r.bipError, 19) |
    b(r.txopTimeout, 20) |
    b(r.ps, 21) |
    b(r.baError, 22) |
    (((r.format ?? 0) & 3) << 23) |
    b(r.ampdu, 25) |
    (((r.tid ?? 0) & 7) << 26) |
    (((r.bw ?? 0) & 3) << 29) |
    b(r.fixedRate, 31);
  dv.setUint32(0, d0 >>> 0, true);
  dv.setUint32(
    4,
    (((r.txPowerDbm ?? 0) & 0xff) |
      (((r.rxvSeqno ?? 0) & 0xff) << 8) |
      (((r.respRate ?? 0) & 0xf) << 16) |
      (((r.seqno ?? 0) & 0xfff) << 20)) >>>
      0,
    true,
  );
  dv.setUint32(
    8,
    (((r.txDelay ?? 0) & 0xffff) |
      (((r.wcid ?? 0) & 0x3ff) << 16) |
      b(r.sharedAntenna, 26) |
      (((r.lastTxRate ?? 0) & 7) << 27) |
      (((r.bfStatus ?? 0) & 3) << 30)) >>>
      0,
    true,
  );
  dv.setUint32(12, (((r.antId ?? 0) & 0xffffff) | (((r.pid ?? 0) & 0xff) << 24)) >>> 0, true);
  dv.setUint32(16, (r.timestamp ?? 0) >>> 0, true);
  dv.setUint32(20, (r.dw5 ?? 0) >>> 0, true);
  dv.setUint32(24, (r.dw6 ?? 0) >>> 0, true);
  dv.setUint32(28, (r.dw7 ?? 0) >>> 0, true);
  return out;
}
