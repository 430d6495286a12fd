/**
 * The MT7921U device: the state that bring-up, the MCU, the RX reader and the TX path share (mt792x_dev). The ops
 * that mac80211 calls sit on top of this class and the MCU command helpers (mcu-ops.ts).
 */
import type { Clock } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import { Fifo } from '../../netstack/core/fifo.ts';
import type { NetCore } from '../../netstack/core/netdevice.ts';
import type { SkBuff } from '../../netstack/core/skb.ts';
import {
  type BringupContext,
  type ChipInfo,
  hasUsbCode,
  initHardware,
  macReset,
  probeDevice,
  reprobe,
  setDeepSleep,
} from './bringup.ts';
import {
  type EndpointMap,
  EpIn,
  EpOut,
  MT7921U_DEFAULT_ENDPOINTS,
  type RegAccess,
  regSet,
  type UsbBus,
} from './bus.ts';
import { Mt7921uError } from './errors.ts';
import type { DownloadProgress, DownloadResult, FirmwareImages } from './firmware-load.ts';
import type { RxStatus } from './mac/rxd.ts';
import { type MtTxq, type TxdInfo, txPrepareSkb, txqToEpOut } from './mac/txd.ts';
import type { TxsRecord } from './mac/txs.ts';
import type { ChanDef } from './mcu/chan.ts';
import {
  CHANNELS_2G,
  CHANNELS_5G,
  CHANNELS_6G,
  chanDomainPayload,
  chanInfoPayload,
  type DomainChannel,
  ratePowerLastChannel,
  rateTxPowerPayloads,
} from './mcu/chan-cmds.ts';
import { MCU_CE_CMD, MCU_CE_QUERY, MCU_EXT_CMD, McuCeCmdId, McuExtCmdId } from './mcu/cmd.ts';
import { McuEventRouter, type McuEventHandlers } from './mcu/events.ts';
import {
  CHIP_CAP_WF_RF_PIN_CTRL_EVT_EN,
  macInitCtrlPayload,
  type NicCapability,
  regReadPayload,
  wfRfPinCtrlPayload,
} from './mcu/init-cmds.ts';
import { type McuTimeoutError, Mt7921Mcu } from './mcu/mcu.ts';
import { Mt7921McuOps } from './mcu-ops.ts';
import { Mt7921RxDispatch } from './queue-rx.ts';
import {
  MT_MIB_SDR9,
  MT_MIB_SDR36,
  MT_MIB_SDR37,
  MT_PSE_BASE,
  MT_TX_AGG_CNT,
  MT_TX_AGG_CNT2,
  MT_WF_RMAC_MIB_AIRTIME0,
  MT_WF_RMAC_MIB_RXTIME_CLR,
  MT_WF_RMAC_MIB_TIME0,
} from './regs.ts';
import { Mt7921uRxReader } from './rx.ts';

const log = logger('mt7921u');

/** MT_NUM_TX_ENTRIES: transfers in flight per data queue. */
export const MT7921U_TX_ENTRIES = 256;
/** How many times the reset work retries a MAC reset. */
export const MAC_RESET_RETRIES = 10;
/** GUESS: consecutive stalled reads on one IN endpoint before the driver resets the USB port. */
export const RX_STALL_LIMIT = 3;

/** 'mac': mt7921u_mac_reset (WFSYS reset, firmware again); 'usb': a port reset and the whole probe again. */
export type ResetKind = 'mac' | 'usb';

export type DeviceState = 'new' | 'probing' | 'ready' | 'running' | 'resetting' | 'failed' | 'removed';

export interface Mt7921uDeviceOptions {
  bus: UsbBus;
  regs: RegAccess;
  clock: Clock;
  /** The parsed firmware images, or a loader called at download time. */
  firmware: FirmwareImages | (() => Promise<FirmwareImages>);
  /** The stack's NetCore for the RX NAPI context (a private one when absent). */
  core?: NetCore;
  onProgress?: (p: DownloadProgress) => void;
  /** Received frames (ieee80211_rx); ownership of the skb passes. */
  onFrame?: (skb: SkBuff, status: RxStatus) => void;
  /** The end of a NAPI poll: the frames given to onFrame since the last call may go up as one list. */
  onRxPollComplete?: () => void;
  /** TX status records (type-0 packets and the TX-done event). */
  onTxStatus?: (rec: TxsRecord) => void;
  /** Unsolicited MCU events. */
  events?: McuEventHandlers;
  /** Called after a full MAC reset succeeded (ieee80211_restart_hw), or with the error when it gave up. */
  onRestart?: (err: Error | null) => void;
  rxReadsPerEp?: number;
  /** Regulatory domain for SET_CHAN_DOMAIN / SET_RATE_TX_POWER. */
  alpha2?: string;
}

export interface TxStats {
  queued: number;
  completed: number;
  errors: number;
  rejected: number;
  busy: number;
}

export class Mt7921uDevice {
  readonly clock: Clock;
  readonly bus: UsbBus;
  readonly regs: RegAccess;
  readonly mcu: Mt7921Mcu;
  readonly rx: Mt7921uRxReader;
  readonly dispatch: Mt7921RxDispatch;
  readonly events: McuEventRouter;
  /** The MCU operations the mac80211 ops use. */
  readonly ops: Mt7921McuOps;
  readonly txStats: TxStats = { queued: 0, completed: 0, errors: 0, rejected: 0, busy: 0 };
  state: DeviceState = 'new';
  chip: ChipInfo | null = null;
  endpoints: EndpointMap = MT7921U_DEFAULT_ENDPOINTS;
  caps: NicCapability | null = null;
  download: DownloadResult | null = null;
  initAttempts = 0;
  resets = 0;
  alpha2: string;
  /** Where received frames go (ieee80211_rx); ownership of the skb passes. Frames are freed when null. */
  onFrame: ((skb: SkBuff, status: RxStatus) => void) | null;
  /** The end of a NAPI poll that delivered frames (mt76_rx_poll_complete). */
  onRxPollComplete: (() => void) | null;
  /** TX status records (type-0 packets and the TX-done event). */
  onTxStatus: ((rec: TxsRecord) => void) | null;
  /** After a full reset: null on success (restart the interfaces), or the error it gave up with. */
  onRestart: ((err: Error | null) => void) | null;
  /** hw_init_done: MCU timeouts trigger a reset only after the first successful init. */
  private hwInitDone = false;
  private fullReset = false;
  private runningChan: ChanDef | null = null;
  /** Transfers in flight per OUT endpoint (indexed by EpOut). */
  private readonly txq: TxEndpointQueue[] = [];
  private readonly rxStalls = new Map<number, number>();
  private readonly txWaiters: Array<() => void> = [];

  constructor(private readonly opts: Mt7921uDeviceOptions) {
    this.clock = opts.clock;
    this.bus = opts.bus;
    this.regs = opts.regs;
    this.alpha2 = opts.alpha2 ?? '00';
    this.mcu = new Mt7921Mcu({
      clock: opts.clock,
      bulkOut: (ep, data) =>
        this.bus.bulkOut(ep, data).catch((e) => {
          if (hasUsbCode(e, 'stall')) this.scheduleReset('usb');
          throw e;
        }),
      cmdEp: MT7921U_DEFAULT_ENDPOINTS.out[EpOut.INBAND_CMD],
      scatterEp: MT7921U_DEFAULT_ENDPOINTS.out[EpOut.AC_BE],
      onTimeout: (e) => this.mcuTimeout(e),
    });
    this.events = new McuEventRouter(opts.events ?? {});
    this.onFrame = opts.onFrame ?? null;
    this.onRxPollComplete = opts.onRxPollComplete ?? null;
    this.onTxStatus = opts.onTxStatus ?? null;
    this.onRestart = opts.onRestart ?? null;
    this.events.listen({ txDone: (ev) => this.onTxStatus?.(ev.txs) });
    this.ops = new Mt7921McuOps({
      mcu: this.mcu,
      events: this.events,
      clock: opts.clock,
      antennaMask: () => this.antennaMask,
    });
    this.dispatch = new Mt7921RxDispatch({
      mcuResponse: (ev) => this.mcu.rxEvent(ev),
      mcuUnsolicited: (ev) => this.events.unsolicited(ev),
      mcuUniUnsolicited: (ev) => this.events.uniUnsolicited(ev),
      txStatus: (rec) => this.onTxStatus?.(rec),
      frame: (skb, st) => {
        if (this.onFrame) this.onFrame(skb, st);
        else skb.free();
      },
    });
    this.rx = new Mt7921uRxReader({
      clock: opts.clock,
      bus: opts.bus,
      inEps: MT7921U_DEFAULT_ENDPOINTS.in,
      core: opts.core,
      readsPerEp: opts.rxReadsPerEp,
      process: (buf) => this.dispatch.handle(buf),
      pollComplete: () => this.onRxPollComplete?.(),
      onReadOk: (ep) => this.rxStalls.set(ep, 0),
      onReadError: (ep, code) => {
        if (code !== 'stall') return;
        const n = (this.rxStalls.get(ep) ?? 0) + 1;
        this.rxStalls.set(ep, n);
        if (n >= RX_STALL_LIMIT) this.scheduleReset('usb');
      },
    });
  }

  /** The firmware offers the CNM capability (MT792x_FW_CAP_CNM; assumed when the image does not say). */
  cnm = true;

  private bringupContext(): BringupContext {
    const fw = this.opts.firmware;
    return {
      bus: this.bus,
      regs: this.regs,
      clock: this.clock,
      mcu: this.mcu,
      rxStart: () => this.rx.start(),
      rxStop: () => this.rx.stop(),
      firmware: async () => {
        const images = typeof fw === 'function' ? await fw() : fw;
        this.cnm = images.ram.cnm ?? true;
        return images;
      },
      onProgress: this.opts.onProgress,
    };
  }

  /** Probe and bring up the chip: ends with the firmware running, the MAC initialised and deep sleep off. */
  async probe(): Promise<void> {
    if (this.state !== 'new' && this.state !== 'failed') throw new Error(`probe in state ${this.state}`);
    this.state = 'probing';
    try {
      const ctx = this.bringupContext();
      const { chip, endpoints } = await probeDevice(ctx);
      this.chip = chip;
      this.setEndpointMap(endpoints);
      const r = await initHardware(ctx);
      this.caps = r.caps;
      this.download = r.download;
      this.initAttempts = r.attempts;
      this.applyCaps(r.caps);
      this.hwInitDone = true;
      await setDeepSleep(this.mcu, false);
      this.state = 'ready';
    } catch (e) {
      this.state = this.bus.removed ? 'removed' : 'failed';
      this.rx.stop();
      throw e;
    }
  }

  private setEndpointMap(m: EndpointMap): void {
    this.endpoints = m;
    this.mcu.setEndpoints(m.out[EpOut.INBAND_CMD], m.out[EpOut.AC_BE]);
    const d = MT7921U_DEFAULT_ENDPOINTS.in;
    if (m.in[EpIn.PKT_RX] !== d[EpIn.PKT_RX] || m.in[EpIn.CMD_RESP] !== d[EpIn.CMD_RESP]) {
      log('non-standard IN endpoints %o', m.in);
      const running = this.rx.isRunning;
      this.rx.stop();
      this.rx.setInEndpoints(m.in);
      if (running) this.rx.start();
    }
  }

  private applyCaps(c: NicCapability): void {
    const ctx = this.dispatch.ctx;
    if (c.antennaMask) ctx.antennaMask = c.antennaMask;
    if (c.phy) {
      ctx.has2g = c.has2g;
      ctx.has5g = c.has5g;
    }
    ctx.has6g = c.has6g;
  }

  get antennaMask(): number {
    return this.dispatch.ctx.antennaMask;
  }

  /** __mt7921_start: MAC on, channel domain, RX path, rate-power tables, counters; frames flow after this. */
  async start(chan: ChanDef): Promise<void> {
    if (this.state !== 'ready' && this.state !== 'running') throw new Error(`start in state ${this.state}`);
    const mcu = this.mcu;
    await mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.MAC_INIT_CTRL), macInitCtrlPayload(true, 0));
    await mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.SET_CHAN_DOMAIN), chanDomainPayload(this.alpha2, this.domainChannels()));
    const rxPath = MCU_EXT_CMD(McuExtCmdId.SET_RX_PATH);
    await mcu.sendAndGet(rxPath, chanInfoPayload(rxPath, chan, { antennaMask: this.antennaMask }));
    await this.setRateTxPower();
    await this.resetCounters();
    this.dispatch.running = true;
    this.runningChan = chan;
    this.state = 'running';
    if (this.caps && this.caps.chipCap & CHIP_CAP_WF_RF_PIN_CTRL_EVT_EN) {
      await mcu.sendNoWait(MCU_EXT_CMD(McuExtCmdId.WF_RF_PIN_CTRL), wfRfPinCtrlPayload(0));
    }
  }

  /** mt792x_stop: frames stop; MAC off. */
  async stop(): Promise<void> {
    this.dispatch.running = false;
    this.runningChan = null;
    if (this.state === 'running') this.state = 'ready';
    await this.mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.MAC_INIT_CTRL), macInitCtrlPayload(false, 0));
  }

  private domainChannels(): DomainChannel[] {
    const c = this.dispatch.ctx;
    const out: DomainChannel[] = [];
    if (c.has2g) for (const ch of CHANNELS_2G) out.push({ band: '2g', channel: ch, flags: 0 });
    if (c.has5g) for (const ch of CHANNELS_5G) out.push({ band: '5g', channel: ch, flags: 0 });
    if (c.has6g) for (const ch of CHANNELS_6G) out.push({ band: '6g', channel: ch, flags: 0 });
    return out;
  }

  /** mt76_connac_mcu_set_rate_txpower: per band, batches followed by a REG_READ of MT_PSE_BASE. */
  async setRateTxPower(powerLevel = 0): Promise<void> {
    const c = this.dispatch.ctx;
    const lastCh = ratePowerLastChannel(c.has5g, c.has6g);
    const bands = [c.has2g ? '2g' : null, c.has5g ? '5g' : null, c.has6g ? '6g' : null] as const;
    for (const band of bands) {
      if (band === null) continue;
      for (const p of rateTxPowerPayloads(band, this.alpha2, { lastCh, powerLevel })) {
        await this.mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.SET_RATE_TX_POWER), p);
        // read a CR to avoid PSE buffer underflow
        await this.mcu.sendAndGet(MCU_CE_QUERY(McuCeCmdId.REG_READ), regReadPayload(MT_PSE_BASE));
      }
    }
  }

  /** mt792x_mac_reset_counters */
  async resetCounters(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      await this.regs.rr(MT_TX_AGG_CNT(0, i));
      await this.regs.rr(MT_TX_AGG_CNT2(0, i));
    }
    await this.regs.rr(MT_MIB_SDR9(0));
    await this.regs.rr(MT_MIB_SDR36(0));
    await this.regs.rr(MT_MIB_SDR37(0));
    await regSet(this.regs, MT_WF_RMAC_MIB_TIME0(0), MT_WF_RMAC_MIB_RXTIME_CLR);
    await regSet(this.regs, MT_WF_RMAC_MIB_AIRTIME0(0), MT_WF_RMAC_MIB_RXTIME_CLR);
  }

  // -------------------------------------------------------------------------------------------------------------
  // TX

  /** Transfers in flight on the endpoint of `qid`. */
  txPending(qid: MtTxq): number {
    return this.txq[txqToEpOut(qid)]?.length ?? 0;
  }

  /** True when `qid` cannot take another frame (the caller waits for onTxSpace). */
  txQueueFull(qid: MtTxq): boolean {
    return this.txPending(qid) >= MT7921U_TX_ENTRIES;
  }

  /** Call `fn` once when a TX transfer completes (backpressure). */
  onTxSpace(fn: () => void): void {
    this.txWaiters.push(fn);
  }

  /**
   * Send one frame (802.11 header + body, or 802.3): TXD + USB framing in the skb's headroom/tailroom, bulk OUT to
   * the queue's endpoint; the completion frees the skb, or hands it to `done` (which then owns it; the skb still
   * holds the USB framing: see txUnprepareSkb). Returns false (skb dropped and counted) when the frame is rejected
   * or the queue is full.
   */
  tx(skb: SkBuff, info: TxdInfo, done?: TxDoneFn): boolean {
    const ep = txqToEpOut(info.qid);
    let q = this.txq[ep];
    if (q === undefined) q = this.txq[ep] = new TxEndpointQueue(ep, (q, ok, e) => this.txComplete(q, ok, e));
    if (q.length >= MT7921U_TX_ENTRIES) {
      this.txStats.busy++;
      skb.drop();
      return false;
    }
    const err = txPrepareSkb(skb, info);
    if (err !== null) {
      this.txStats.rejected++;
      skb.drop();
      return false;
    }
    q.push(skb, done ?? null);
    this.txStats.queued++;
    // The queue's own handlers: the completion belongs to its oldest transfer (no closure per frame).
    this.bus.bulkOut(this.endpoints.out[ep], skb.bytes()).then(q.onOk, q.onError);
    return true;
  }

  private txComplete(q: TxEndpointQueue, ok: boolean, e: unknown): void {
    const done = q.peekDone();
    const skb = q.shift();
    if (skb === undefined) return; // every completion has its transfer; nothing to do otherwise
    if (ok) {
      this.txStats.completed++;
    } else {
      this.txStats.errors++;
      const addr = this.endpoints.out[q.ep];
      log('TX on 0x%s failed: %s', addr.toString(16), e instanceof Error ? e.message : String(e));
      if (hasUsbCode(e, 'stall')) this.scheduleReset('usb');
    }
    if (this.txWaiters.length) {
      const w = this.txWaiters.splice(0);
      for (const f of w) f();
    }
    if (done !== null) done(skb, ok);
    else if (ok) skb.free();
    else skb.drop();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reset

  private mcuTimeout(e: McuTimeoutError): void {
    log('%s: scheduling a full reset', e.message);
    this.scheduleReset('mac');
  }

  /** mt792x_reset: queue the reset work, only once the first init succeeded and when no reset runs already. */
  private scheduleReset(kind: ResetKind): void {
    if (!this.hwInitDone || this.fullReset || this.state === 'removed' || this.bus.removed) return;
    this.fullReset = true;
    this.clock.defer(() => {
      this.fullReset = false;
      void this.reset(kind).catch(() => {});
    });
  }

  /**
   * The reset work (mt792x_mac_reset_work): up to 10 attempts, then restart the interface on the channel it was
   * running on. 'usb' resets the port and probes again (halted endpoints); 'mac' is the WFSYS/firmware reset.
   * Concurrent calls share one reset.
   */
  async reset(kind: ResetKind = 'mac'): Promise<void> {
    if (this.fullReset) return;
    this.fullReset = true;
    const wasRunning = this.runningChan;
    const prev = this.state;
    this.state = 'resetting';
    this.dispatch.running = false;
    this.resets++;
    this.rxStalls.clear();
    let last: unknown = null;
    try {
      for (let i = 0; i < MAC_RESET_RETRIES; i++) {
        if (this.bus.removed) throw new Mt7921uError('removed', 'the device went away during reset');
        try {
          const ctx = this.bringupContext();
          if (kind === 'usb') {
            await reprobe(ctx);
            const r = await initHardware(ctx);
            this.initAttempts = r.attempts;
            this.caps = r.caps;
            this.download = r.download;
            this.applyCaps(r.caps);
            await setDeepSleep(this.mcu, false);
          } else {
            const r = await macReset(ctx);
            this.caps = r.caps;
            this.download = r.download;
            this.applyCaps(r.caps);
          }
          last = null;
          break;
        } catch (e) {
          last = e;
          log('%s reset attempt %d failed: %s', kind, i + 1, e instanceof Error ? e.message : String(e));
          if (hasUsbCode(e, 'stall')) kind = 'usb';
        }
      }
      if (last !== null) throw last;
      this.state = 'ready';
      if (wasRunning) await this.start(wasRunning);
      this.onRestart?.(null);
    } catch (e) {
      this.state = this.bus.removed ? 'removed' : 'failed';
      const err = e instanceof Error ? e : new Error(String(e));
      this.onRestart?.(err);
      throw err;
    } finally {
      this.fullReset = false;
      if (this.state === 'resetting') this.state = prev;
    }
  }

  /** Stop reading; outstanding waits are abandoned. */
  close(): void {
    this.dispatch.running = false;
    this.mcu.abortPending('device closed');
    this.rx.stop();
    this.bus.cancelBulkIn?.();
    if (this.bus.removed) this.state = 'removed';
  }
}

/** Who gets a transmitted skb back: `ok` false when the transfer failed. */
export type TxDoneFn = (skb: SkBuff, ok: boolean) => void;

/**
 * The transfers in flight on one bulk OUT endpoint, oldest first. USB completes the transfers of an endpoint in the
 * order they were submitted (UsbTransport.bulkOut), so each completion belongs to the oldest entry, and one pair of
 * handlers, made once, serves every frame.
 */
class TxEndpointQueue {
  private readonly skbs = new Fifo<SkBuff>(MT7921U_TX_ENTRIES);
  private readonly dones = new Fifo<TxDoneFn | null>(MT7921U_TX_ENTRIES);
  readonly onOk: () => void;
  readonly onError: (e: unknown) => void;

  constructor(
    readonly ep: EpOut,
    complete: (q: TxEndpointQueue, ok: boolean, e: unknown) => void,
  ) {
    this.onOk = () => complete(this, true, null);
    this.onError = (e) => complete(this, false, e);
  }

  get length(): number {
    return this.skbs.length;
  }

  push(skb: SkBuff, done: TxDoneFn | null): void {
    this.skbs.push(skb);
    this.dones.push(done);
  }

  /** The oldest entry's completion callback (null when it has none or the queue is empty). */
  peekDone(): TxDoneFn | null {
    return this.dones.peek() ?? null;
  }

  /** Remove the oldest entry; its skb. */
  shift(): SkBuff | undefined {
    this.dones.shift();
    return this.skbs.shift();
  }
}
