/**
 * Sorting received packets by RXD type (FACTS.md §5.5 dispatch, §7.2, §7.3; mt7921_queue_rx_skb,
 * mt7921_mcu_rx_event): MCU events to the MCU waiter or the event handlers, TX status records to the status path,
 * frames through the RXD decoder to mac80211. Every malformed packet is dropped and counted by reason; nothing
 * here throws.
 */
import { logger } from '../../netstack/core/log.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { type RxdContext, type RxDropReason, type RxStatus, mt7921MacFillRx, newRxdContext } from './mac/rxd.ts';
import { decodeTxs, MT_TXS_PKT_HDR_LEN, MT_TXS_RECORD_LEN, type TxsRecord } from './mac/txs.ts';
import {
  classifyMcuEvent,
  type McuEvent,
  McuEventClass,
  parseMcuEvent,
  RxPktType,
  rxdLength,
  rxdPktFlag,
  rxdPktType,
} from './mcu/event.ts';

const log = logger('mt7921u:rx');

export interface RxSink {
  /** A reply to a command (mt76_mcu_rx_event). */
  mcuResponse(ev: McuEvent): void;
  /** A legacy unsolicited event: scan done, beacon loss, TX done, fw log, RSSI, LP info, coredump. */
  mcuUnsolicited(ev: McuEvent): void;
  /** An unsolicited UNI event (option BIT2): the ROC grant. */
  mcuUniUnsolicited(ev: McuEvent): void;
  /** One TX status record from a type-0 packet. */
  txStatus(rec: TxsRecord): void;
  /** A received frame; ownership of `skb` passes (skb.data at the 802.11 or 802.3 header). */
  frame(skb: SkBuff, status: RxStatus): void;
}

export type RxPacketDrop =
  | RxDropReason
  | 'runt'
  | 'bad-event'
  | 'txs-length'
  | 'txrx-notify'
  | 'unknown-type'
  | 'not-running'
  | 'handler-error';

export interface RxDispatchStats {
  packets: number;
  events: number;
  responses: number;
  unsolicited: number;
  uniUnsolicited: number;
  txsPackets: number;
  txsRecords: number;
  frames: number;
  drops: Partial<Record<RxPacketDrop, number>>;
}

export class Mt7921RxDispatch {
  readonly stats: RxDispatchStats = {
    packets: 0,
    events: 0,
    responses: 0,
    unsolicited: 0,
    uniUnsolicited: 0,
    txsPackets: 0,
    txsRecords: 0,
    frames: 0,
    drops: {},
  };
  /** MT76_STATE_RUNNING: frames are dropped while the interface is not started. */
  running = false;

  constructor(
    private readonly sink: RxSink,
    readonly ctx: RxdContext = newRxdContext(),
  ) {}

  get totalDrops(): number {
    let n = 0;
    for (const v of Object.values(this.stats.drops)) n += v ?? 0;
    return n;
  }

  private drop(reason: RxPacketDrop): void {
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
    log('drop: %s', reason);
  }

  /** mt7921_queue_rx_skb for one transfer. Never throws. */
  handle(buf: Buffer): void {
    this.stats.packets++;
    if (buf.length < 4) {
      this.drop('runt');
      return;
    }
    const dw0 = buf.readUInt32LE(0);
    let type = rxdPktType(dw0);
    if (type === RxPktType.RX_EVENT && rxdPktFlag(dw0) === 1) type = RxPktType.NORMAL_MCU;
    try {
      switch (type) {
        case RxPktType.RX_EVENT:
          this.event(buf);
          return;
        case RxPktType.TXS:
          this.txs(buf, dw0);
          return;
        case RxPktType.NORMAL:
        case RxPktType.NORMAL_MCU:
          this.rxFrame(buf);
          return;
        case RxPktType.TXRX_NOTIFY:
          // PKT_TYPE_TXRX_NOTIFY is MMIO-only
          this.drop('txrx-notify');
          return;
        default:
          this.drop('unknown-type');
          return;
      }
    } catch (e) {
      // A handler above the parser threw: count it and keep the RX path alive.
      this.drop('handler-error');
      log('handler error: %s', e instanceof Error ? e.stack : String(e));
    }
  }

  private event(buf: Buffer): void {
    const ev = parseMcuEvent(buf);
    if (ev === null) {
      this.drop('bad-event');
      return;
    }
    this.stats.events++;
    switch (classifyMcuEvent(ev)) {
      case McuEventClass.UNI_UNSOLICITED:
        this.stats.uniUnsolicited++;
        this.sink.mcuUniUnsolicited(ev);
        return;
      case McuEventClass.RESPONSE:
        this.stats.responses++;
        this.sink.mcuResponse(ev);
        return;
      case McuEventClass.UNSOLICITED:
        this.stats.unsolicited++;
        this.sink.mcuUnsolicited(ev);
        return;
    }
  }

  private txs(buf: Buffer, dw0: number): void {
    const len = rxdLength(dw0);
    if (len < MT_TXS_PKT_HDR_LEN || len > buf.length) {
      this.drop('txs-length');
      return;
    }
    this.stats.txsPackets++;
    for (let p = MT_TXS_PKT_HDR_LEN; p + MT_TXS_RECORD_LEN <= len; p += MT_TXS_RECORD_LEN) {
      this.stats.txsRecords++;
      this.sink.txStatus(decodeTxs(buf, p));
    }
  }

  private rxFrame(buf: Buffer): void {
    if (!this.running) {
      this.drop('not-running');
      return;
    }
    const skb = SkBuff.wrap(buf);
    const r = mt7921MacFillRx(skb, this.ctx);
    if (typeof r === 'string') {
      this.drop(r);
      skb.drop();
      return;
    }
    this.stats.frames++;
    this.sink.frame(skb, r);
  }
}
