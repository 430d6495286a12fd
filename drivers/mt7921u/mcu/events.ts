/**
 * Unsolicited MCU events (FACTS.md §5.5, §6.10–§6.12; mt7921_mcu_rx_unsolicited_event,
 * mt7921_mcu_uni_rx_unsolicited_event): decoders and a router to typed handlers. Malformed events are dropped and
 * counted; nothing here throws.
 */
import { logger } from '../../../netstack/core/log.ts';
import { decodeTxs, MT_TXS_RECORD_LEN, type TxsRecord } from '../mac/txs.ts';
import { McuEventId, McuUniEventId } from './cmd.ts';
import { type McuEvent, mcuEventPayload } from './event.ts';
import { parseRocGrant, type RocGrant } from './roc.ts';
import { parseScanDone, type ScanDone } from './scan.ts';

const log = logger('mt7921u:event');

export interface BeaconLoss {
  bssIdx: number;
  reason: number;
}

/** {bss_idx, reason, pad[2]} */
export function parseBeaconLoss(p: Uint8Array): BeaconLoss | null {
  if (p.length < 2) return null;
  return { bssIdx: p[0]!, reason: p[1]! };
}

/** {rssi le32[4]} (signed dBm per BSS index) */
export function parseRssiNotify(p: Uint8Array): number[] | null {
  if (p.length < 16) return null;
  const dv = new DataView(p.buffer, p.byteOffset, 16);
  return [0, 1, 2, 3].map((i) => dv.getInt32(4 * i, true));
}

export interface FwDebugMsg {
  id: number;
  type: number;
  flag: number;
  value: number;
  /** Text of a type-3 (fw log) message, NULs as spaces, at most 512 bytes. */
  text: string | null;
}

export const FW_LOG_TYPE_TEXT = 3;

/** {id le16, type, flag, value le32, len le16, content[≤512]} */
export function parseDebugMsg(p: Uint8Array): FwDebugMsg | null {
  if (p.length < 10) return null;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const type = p[2]!;
  let text: string | null = null;
  if (type === FW_LOG_TYPE_TEXT) {
    const len = Math.min(dv.getUint16(8, true), 512, p.length - 10);
    let s = '';
    for (let i = 0; i < len; i++) {
      const c = p[10 + i]!;
      s += c === 0 ? ' ' : String.fromCharCode(c);
    }
    text = s;
  }
  return { id: dv.getUint16(0, true), type, flag: p[3]!, value: dv.getUint32(4, true), text };
}

export interface TxDoneEvent {
  pid: number;
  status: number;
  seq: number;
  wlanIdx: number;
  txCnt: number;
  txRate: number;
  flag: number;
  tid: number;
  rspRate: number;
  mcs: number;
  bw: number;
  txPwr: number;
  reason: number;
  delay: number;
  timestamp: number;
  appliedFlag: number;
  /** The embedded TXS record (28 bytes on the wire, DW7 read as 0 when absent). */
  txs: TxsRecord;
}

export const TX_DONE_LEN = 88;
const TX_DONE_TXS_OFF = 28;

export function parseTxDone(p: Uint8Array): TxDoneEvent | null {
  if (p.length < TX_DONE_TXS_OFF + 28) return null;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const txsBytes = new Uint8Array(MT_TXS_RECORD_LEN);
  txsBytes.set(p.subarray(TX_DONE_TXS_OFF, Math.min(p.length, TX_DONE_TXS_OFF + MT_TXS_RECORD_LEN)));
  return {
    pid: p[0]!,
    status: p[1]!,
    seq: dv.getUint16(2, true),
    wlanIdx: p[4]!,
    txCnt: p[5]!,
    txRate: dv.getUint16(6, true),
    flag: p[8]!,
    tid: p[9]!,
    rspRate: p[10]!,
    mcs: p[11]!,
    bw: p[12]!,
    txPwr: p[13]!,
    reason: p[14]!,
    delay: dv.getUint32(16, true),
    timestamp: dv.getUint32(20, true),
    appliedFlag: dv.getUint32(24, true),
    txs: decodeTxs(txsBytes, 0),
  };
}

/** What the driver does with unsolicited events. Every handler is optional. */
export interface McuEventHandlers {
  scanDone?(ev: ScanDone, sched: boolean): void;
  beaconLoss?(ev: BeaconLoss): void;
  rocGrant?(ev: RocGrant): void;
  txDone?(ev: TxDoneEvent): void;
  rssiNotify?(rssi: number[]): void;
  fwLog?(msg: FwDebugMsg): void;
  lpInfo?(state: number): void;
  /** A coredump chunk (the firmware asserted): the driver resets afterwards. */
  coredump?(chunk: Buffer): void;
}

export interface McuEventStats {
  handled: Partial<Record<string, number>>;
  malformed: number;
  unhandled: number;
}

type HandlerArgs<K extends keyof McuEventHandlers> = Parameters<NonNullable<McuEventHandlers[K]>>;

/** Routes unsolicited events by eid to every registered handler set. */
export class McuEventRouter {
  readonly stats: McuEventStats = { handled: {}, malformed: 0, unhandled: 0 };

  private readonly listeners: McuEventHandlers[] = [];

  constructor(handlers: McuEventHandlers = {}) {
    this.listeners.push(handlers);
  }

  /** Add a handler set; returns a function that removes it. */
  listen(h: McuEventHandlers): () => void {
    this.listeners.push(h);
    return () => {
      const i = this.listeners.indexOf(h);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private emit<K extends keyof McuEventHandlers>(name: K, ...args: HandlerArgs<K>): void {
    for (const l of this.listeners) {
      const f = l[name] as ((...a: HandlerArgs<K>) => void) | undefined;
      f?.(...args);
    }
  }

  private count(name: string): void {
    this.stats.handled[name] = (this.stats.handled[name] ?? 0) + 1;
  }

  private malformed(what: string): void {
    this.stats.malformed++;
    log('malformed %s event', what);
  }

  /** A legacy unsolicited event (mt7921_mcu_rx_unsolicited_event). */
  unsolicited(ev: McuEvent): void {
    const p = mcuEventPayload(ev);
    switch (ev.eid) {
      case McuEventId.BSS_BEACON_LOSS: {
        const e = parseBeaconLoss(p);
        if (e === null) {
          this.malformed('beacon loss');
          return;
        }
        this.count('beaconLoss');
        this.emit('beaconLoss', e);
        return;
      }
      case McuEventId.SCHED_SCAN_DONE:
      case McuEventId.SCAN_DONE: {
        const e = parseScanDone(p);
        if (e === null) {
          this.malformed('scan done');
          return;
        }
        this.count('scanDone');
        this.emit('scanDone', e, ev.eid === McuEventId.SCHED_SCAN_DONE);
        return;
      }
      case McuEventId.DBG_MSG: {
        const e = parseDebugMsg(p);
        if (e === null) {
          this.malformed('debug message');
          return;
        }
        this.count('fwLog');
        if (e.text !== null) log('fw: %s', e.text);
        this.emit('fwLog', e);
        return;
      }
      case McuEventId.COREDUMP:
        this.count('coredump');
        this.emit('coredump', p);
        return;
      case McuEventId.LP_INFO:
        if (p.length < 1) {
          this.malformed('LP info');
          return;
        }
        this.count('lpInfo');
        this.emit('lpInfo', p[0]!);
        return;
      case McuEventId.TX_DONE: {
        const e = parseTxDone(p);
        if (e === null) {
          this.malformed('TX done');
          return;
        }
        this.count('txDone');
        this.emit('txDone', e);
        return;
      }
      case McuEventId.RSSI_NOTIFY: {
        const e = parseRssiNotify(p);
        if (e === null) {
          this.malformed('RSSI notify');
          return;
        }
        this.count('rssiNotify');
        this.emit('rssiNotify', e);
        return;
      }
      default:
        this.stats.unhandled++;
        log('unhandled event eid 0x%s ext 0x%s seq %d', ev.eid.toString(16), ev.extEid.toString(16), ev.seq);
    }
  }

  /** An unsolicited UNI event (option BIT2): only the ROC grant is handled. */
  uniUnsolicited(ev: McuEvent): void {
    if (ev.eid !== McuUniEventId.ROC) {
      this.stats.unhandled++;
      return;
    }
    const g = parseRocGrant(ev.buf);
    if (g === null) {
      this.malformed('ROC grant');
      return;
    }
    this.count('rocGrant');
    this.emit('rocGrant', g);
  }
}
