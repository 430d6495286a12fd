/**
 * The chip's MCU: the ROM (power-on, patch semaphore, firmware download, FW_START) and then the RAM firmware's
 * commands (FACTS.md §4.6, §5, §6, §8). Commands are processed one at a time after a processing delay; replies
 * echo the command's sequence number; ROM-stage replies carry their status at offset 32.
 *
 * Bad commands never throw: malformed descriptors and payloads, unknown ids and commands for the wrong stage are
 * counted and answered as a real MCU would — an error status where the protocol has one (UNI results, download
 * statuses), silence otherwise. Every choice FACTS.md does not dictate is marked GUESS.
 */
import type { Clock, Timer } from '../../../netstack/core/clock.ts';
import { logger } from '../../../netstack/core/log.ts';
import type { EmulatorCounters } from './counters.ts';
import type { FaultInjector } from './faults.ts';
import { FirmwareDownload } from './fwdl.ts';
import type { RadioChannel, RadioRate } from './radio.ts';
import { MISC_FW_PWR_ON, MISC_FW_STATE_MASK } from './regs.ts';
import type { ChipRegisters } from './regs.ts';
import { HwScan, parseScanRequest } from './scan.ts';
import { ChipState } from './state.ts';
import { bssInfoUpdate, cbwToWidth, devInfoUpdate, splitTlvs, staRecUpdate, UNI_FAIL, UNI_OK } from './uni.ts';
import {
  buildEvent,
  buildRomEvent,
  buildUniResult,
  EVENT_HDR_LEN,
  le16,
  le32,
  type McuCommand,
  parseMcuCommand,
  putLe16,
  putLe32,
} from './wire.ts';

const log = logger('mt7921u-emu:mcu');

/** Base command ids (FACTS.md §6). */
const CMD = {
  TARGET_ADDRESS_LEN_REQ: 0x01,
  FW_START_REQ: 0x02,
  INIT_ACCESS_REG: 0x03,
  NIC_POWER_CTRL: 0x04,
  PATCH_START_REQ: 0x05,
  PATCH_FINISH_REQ: 0x07,
  PATCH_SEM_CONTROL: 0x10,
  EXT_CID: 0xed,
  RESTART_DL_REQ: 0xef,
} as const;

const EXT = {
  EFUSE_ACCESS: 0x01,
  RADIO_ON_OFF_CTRL: 0x05,
  PM_STATE_CTRL: 0x07,
  CHANNEL_SWITCH: 0x08,
  EFUSE_BUFFER_MODE: 0x21,
  THERMAL_CTRL: 0x2c,
  WTBL_UPDATE: 0x32,
  PROTECT_CTRL: 0x3e,
  MAC_INIT_CTRL: 0x46,
  SET_RX_PATH: 0x4e,
  WF_RF_PIN_CTRL: 0xbd,
} as const;

const CE = {
  START_HW_SCAN: 0x03,
  SET_PS_PROFILE: 0x05,
  SET_RX_FILTER: 0x0a,
  SET_CHAN_DOMAIN: 0x0f,
  SET_BSS_CONNECTED: 0x16,
  SET_BSS_ABORT: 0x17,
  CANCEL_HW_SCAN: 0x1b,
  SET_ROC: 0x1c,
  SET_EDCA_PARMS: 0x1d,
  SET_P2P_OPPPS: 0x33,
  SET_CLC: 0x5c,
  SET_RATE_TX_POWER: 0x5d,
  SCHED_SCAN_ENABLE: 0x61,
  SCHED_SCAN_REQ: 0x62,
  GET_NIC_CAPAB: 0x8a,
  RSSI_MONITOR: 0xa1,
  SET_MU_EDCA_PARMS: 0xb0,
  REG_ACCESS: 0xc0,
  FWLOG_2_HOST: 0xc5,
  CHIP_CONFIG: 0xca,
  GET_WTBL: 0xcd,
  GET_TXPWR: 0xd0,
} as const;

const UNI = {
  DEV_INFO_UPDATE: 0x01,
  BSS_INFO_UPDATE: 0x02,
  STA_REC_UPDATE: 0x03,
  SUSPEND: 0x05,
  OFFLOAD: 0x06,
  HIF_CTRL: 0x07,
  SNIFFER: 0x24,
  ROC: 0x27,
} as const;

/** Event ids (FACTS.md §5.5, §5.6). */
const EID_GENERIC = 0x01;
const EID_PATCH_SEM = 0x04;
const EID_EXT = 0xed;
const EID_ROC = 0x27;
const EID_BEACON_LOSS = 0x13;
const BSS_TLV_BCNFT = 22;
const BEACON_LOSS_INTERVALS = 10;
/** Event ids the driver treats as unsolicited: a reply must never carry one (FACTS.md §5.5). */
const UNSOLICITED_EIDS = new Set([0x13, 0x23, 0x96, 0x0d, 0x0f, 0x27, 0xf0, 0x07]);

/** NIC capability TLV types (FACTS.md §6.1). */
const NIC_CAP_MAC_ADDR = 0x07;
const NIC_CAP_PHY = 0x08;
const NIC_CAP_6G = 0x18;
const NIC_CAP_CHIP_CAP = 0x20;

function sameBssid(f: Uint8Array, bssid: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (f[16 + i] !== bssid[i]) return false;
  return true;
}

export type McuStage = 'off' | 'rom' | 'booting' | 'ram';

export interface McuTiming {
  /** Processing time of one command. */
  cmdMs: number;
  /** POWER_ON vendor request → MISC BIT0. */
  powerOnMs: number;
  /** FW_START → MISC [1:0] = 3 (FACTS: within 1.5 s). */
  bootMs: number;
  /** ROC acquire → grant event (FACTS: within 1 s). */
  rocGrantMs: number;
  /** Scan dwell per channel when the request leaves it to the firmware. */
  activeDwellMs: number;
  passiveDwellMs: number;
}

export interface McuOptions {
  macAddress: Uint8Array;
  chipCap: bigint;
  /** The ROM patch stays applied across a WFSYS reset (PATCH_SEM GET then answers 1). */
  patchSurvivesReset: boolean;
  timing: McuTiming;
}

export interface McuHost {
  readonly clock: Clock;
  readonly counters: EmulatorCounters;
  readonly regs: ChipRegisters;
  readonly faults: FaultInjector;
  /** Queue an MCU event on the event endpoint (0x85, or 0x84 once EP4 routing is on). */
  sendEvent(pkt: Uint8Array): void;
  tune(ch: RadioChannel): void;
  /** Send a management frame that expects no ACK (probe requests). */
  transmit(frame: Uint8Array, rate: RadioRate): void;
  /** Drop everything queued toward the host (a WFSYS reset flushes the chip's DMA). */
  flushIn(): void;
}

interface Queued {
  cmd: McuCommand;
  epoch: number;
}

const NL_BAND_CODE: Record<number, RadioChannel['band']> = { 1: '2g', 2: '5g', 3: '6g' };
const CHAN_BAND: Record<number, RadioChannel['band']> = { 0: '2g', 1: '5g', 2: '6g' };

export class Mcu {
  misc = 0;
  stage: McuStage = 'off';
  readonly fw = new FirmwareDownload();
  readonly state = new ChipState();
  readonly scan: HwScan;
  /** Channel the radio is on right now (home, scan or ROC). */
  radioChannel: RadioChannel = { band: '2g', number: 1, width: 20 };

  private epoch = 0;
  /** WF_SUBSYS_RST BIT0 is held set. */
  private resetHeld = false;
  private readonly queue: Queued[] = [];
  private readonly cmdTimer: Timer;
  private readonly bootTimer: Timer;
  private readonly powerTimer: Timer;
  private readonly rocTimer: Timer;
  private readonly rocEndTimer: Timer;
  private pendingRoc: { tlv: Uint8Array; channel: RadioChannel } | null = null;
  /** Beacon-loss watchdogs of BSSes with the beacon filter (BCNFT) on. */
  private readonly bcnWatch = new Map<number, Timer>();

  constructor(
    private readonly host: McuHost,
    private readonly opts: McuOptions,
  ) {
    const clock = host.clock;
    this.cmdTimer = clock.timer(() => this.processNext());
    this.bootTimer = clock.timer(() => this.booted());
    this.powerTimer = clock.timer(() => this.poweredOn());
    this.rocTimer = clock.timer(() => this.grantRoc());
    this.rocEndTimer = clock.timer(() => this.endRoc());
    this.scan = new HwScan({
      clock,
      tune: (ch) => this.tune(ch),
      transmit: (f, r) => host.transmit(f, r),
      sendEvent: (p) => this.unsolicited(p),
      homeChannel: () => this.state.roc?.channel ?? this.state.channel,
      allChannels: () => this.allChannels(),
      ownAddress: (bssIdx) => this.ownAddress(bssIdx),
      activeDwellMs: opts.timing.activeDwellMs,
      passiveDwellMs: opts.timing.passiveDwellMs,
      onProbe: () => host.counters.scanProbes++,
    });
  }

  get running(): boolean {
    return this.stage === 'ram';
  }

  // -------------------------------------------------------------------------------------------------------------
  // Power, boot, reset

  /** The POWER_ON vendor request. */
  powerOn(): undefined {
    if (this.stage === 'ram' || this.stage === 'booting' || this.misc & MISC_FW_PWR_ON || this.powerTimer.pending) {
      return;
    }
    this.powerTimer.mod(this.opts.timing.powerOnMs);
  }

  private poweredOn(): undefined {
    if (this.stage !== 'off' && this.stage !== 'rom') return;
    this.stage = 'rom';
    // FACTS §4.6/§8: POWER_ON ⇒ MISC = BIT0, i.e. FW_STATE [2:0] = 1 (FW_DOWNLOAD) as the patch download requires.
    this.misc = MISC_FW_PWR_ON;
  }

  /** Start as if a previous driver had left the firmware running ("warm" start). */
  warmStart(): undefined {
    this.stage = 'ram';
    this.misc = 0x3;
    this.fw.patched = true;
    this.state.macEnabled = [true, false];
  }

  /**
   * WF_SUBSYS_RST BIT0 set (asserted) or cleared. While asserted the MCU is held in reset; once released it runs its
   * ROM again with MISC reading 0 (FACTS §3.4).
   */
  // GUESS: after the reset the ROM accepts download commands without a new POWER_ON: Linux's init-reset path
  // (WFSYS reset, then the next download attempt) sends none, so the real ROM must be running. Only a cold start
  // needs POWER_ON.
  wfsysReset(asserted: boolean): undefined {
    if (!asserted) {
      if (this.stage === 'off' && this.resetHeld) this.stage = 'rom';
      this.resetHeld = false;
      return;
    }
    log('WFSYS reset');
    this.resetHeld = true;
    this.host.counters.wfsysResets++;
    this.epoch++;
    this.queue.length = 0;
    this.cmdTimer.cancel();
    this.bootTimer.cancel();
    this.powerTimer.cancel();
    this.rocTimer.cancel();
    this.rocEndTimer.cancel();
    this.pendingRoc = null;
    for (const t of this.bcnWatch.values()) t.cancel();
    this.bcnWatch.clear();
    this.scan.cancel();
    this.stage = 'off';
    this.misc = 0; // FACTS §3.4: MISC reads 0 after the reset
    this.fw.reset(this.opts.patchSurvivesReset);
    this.state.clear();
    this.host.faults.onWfsysReset();
    this.host.flushIn();
  }

  private booted(): undefined {
    if (this.stage !== 'booting') return;
    log('RAM firmware running');
    this.stage = 'ram';
    this.misc = (this.misc & ~MISC_FW_STATE_MASK) | 0x3; // FACTS §8: [1:0] = 3 after FW_START
    this.host.counters.fwBoots++;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Input from the bus

  /** A command transfer's body from EP 0x08. */
  command(body: Uint8Array): undefined {
    const c = this.host.counters;
    if (this.stage === 'off' || this.stage === 'booting' || this.host.faults.mcuHung) {
      c.mcuIgnored++;
      c.drop(`mcu-${this.host.faults.mcuHung ? 'hung' : this.stage}`);
      return;
    }
    const cmd = parseMcuCommand(body);
    if (typeof cmd === 'string') {
      c.mcuMalformed++;
      c.drop(cmd);
      return;
    }
    c.mcuCommands++;
    // The host may reuse its buffer once the transfer completes: keep a copy of the payload.
    cmd.payload = cmd.payload.slice();
    this.queue.push({ cmd, epoch: this.epoch });
    if (!this.cmdTimer.pending) this.cmdTimer.mod(this.opts.timing.cmdMs);
  }

  /** FW_SCATTER bytes (body of a transfer on EP 0x04 while FW_DL_EN is set). */
  scatter(bytes: Uint8Array): number {
    const c = this.host.counters;
    if (this.stage !== 'rom' || this.host.faults.mcuHung) {
      c.mcuIgnored++;
      c.drop(this.stage === 'ram' ? 'scatter-in-ram-stage' : 'scatter-mcu-not-ready');
      return 0;
    }
    c.fwScatterChunks++;
    c.fwScatterBytes += bytes.length;
    const before = this.fw.error;
    const n = this.fw.scatter(bytes);
    if (this.fw.error !== before) {
      c.fwErrors++;
      c.drop(this.fw.error!);
    }
    return n;
  }

  private processNext(): undefined {
    const q = this.queue.shift();
    if (q && log.enabled) {
      const c = q.cmd;
      log(
        '%s cmd 0x%s%s seq %d, %d bytes',
        this.stage,
        c.cid.toString(16),
        c.uni ? ' (uni)' : c.extCid ? `/0x${c.extCid.toString(16)}` : '',
        c.seq,
        c.payload.length,
      );
    }
    if (q && q.epoch === this.epoch) {
      if (this.host.faults.mcuHung) {
        this.host.counters.mcuIgnored++;
        this.host.counters.drop('mcu-hung');
      } else if (this.stage === 'rom') this.romCommand(q.cmd);
      else if (this.stage === 'ram') this.ramCommand(q.cmd);
      else {
        this.host.counters.mcuIgnored++;
        this.host.counters.drop(`mcu-${this.stage}`);
      }
    }
    if (this.queue.length > 0) this.cmdTimer.mod(this.opts.timing.cmdMs);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Output

  private reply(cmd: McuCommand, pkt: Uint8Array): undefined {
    const c = this.host.counters;
    if (this.host.faults.takeDropReply(cmd.uni, cmd.cid, cmd.extCid)) {
      c.drop('reply-lost-by-fault');
      return;
    }
    c.mcuReplies++;
    this.host.sendEvent(pkt);
  }

  private unsolicited(pkt: Uint8Array): undefined {
    if (this.host.faults.mcuHung || this.stage !== 'ram') return;
    this.host.counters.mcuUnsolicited++;
    this.host.sendEvent(pkt);
  }

  private romReply(cmd: McuCommand, status: number, eid = EID_GENERIC): undefined {
    if (status !== 0 && !(cmd.cid === CMD.PATCH_SEM_CONTROL)) this.host.counters.mcuErrors++;
    this.reply(cmd, buildRomEvent(eid, cmd.seq, status));
  }

  /** Reply to a legacy EXT or CE command with `payloadLen` bytes to fill from offset 36. */
  private legacyReply(cmd: McuCommand, payloadLen: number): Uint8Array {
    if (cmd.cid === CMD.EXT_CID) return buildEvent({ eid: EID_EXT, seq: cmd.seq, extEid: cmd.extCid }, payloadLen);
    // GUESS: a CE command is answered with eid = its id, except ids the driver reads as unsolicited events, which
    // are answered with the generic eid 0x01 (FACTS only requires the sequence number to match).
    const eid = UNSOLICITED_EIDS.has(cmd.cid) ? EID_GENERIC : cmd.cid;
    return buildEvent({ eid, seq: cmd.seq }, payloadLen);
  }

  private ack(cmd: McuCommand, payloadLen = 4): undefined {
    // GUESS: generic replies carry a 4-byte status word 0 (THERMAL_CTRL's value sits after one at offset 40).
    this.reply(cmd, this.legacyReply(cmd, payloadLen));
  }

  private uniResult(cmd: McuCommand, status: number): undefined {
    if (status !== UNI_OK) this.host.counters.mcuErrors++;
    // §5.3: the firmware answers with a result event when the ACK option bit is set (always on connac2).
    if (cmd.option & 1) this.reply(cmd, buildUniResult(cmd.cid, cmd.seq, status));
  }

  private malformed(reason: string): undefined {
    log('malformed: %s', reason);
    this.host.counters.mcuMalformed++;
    this.host.counters.drop(reason);
  }

  private unknown(kind: string, id: number): undefined {
    this.host.counters.mcuUnknown++;
    this.host.counters.drop(`unknown-${kind}-0x${id.toString(16)}`);
  }

  private wrongStage(kind: string, id: number): undefined {
    this.host.counters.mcuWrongStage++;
    this.host.counters.drop(`wrong-stage-${this.stage}-${kind}-0x${id.toString(16)}`);
  }

  // -------------------------------------------------------------------------------------------------------------
  // ROM stage

  private romCommand(cmd: McuCommand): undefined {
    // GUESS: the ROM understands only the download commands (base commands, set_query 3); anything else is
    // ignored in silence.
    if (cmd.uni || cmd.setQuery !== 3) return this.wrongStage(cmd.uni ? 'uni' : 'ce', cmd.cid);
    const p = cmd.payload;
    const fw = this.fw;
    const c = this.host.counters;
    switch (cmd.cid) {
      case CMD.NIC_POWER_CTRL:
        // §4.6: {power_mode=1, rsv[3]}, no response awaited. GUESS: the ROM sends none; MISC [2:0] stays 1.
        if (p.length < 4) return this.malformed('nic-power-ctrl-short');
        this.misc = (this.misc & ~MISC_FW_STATE_MASK) | 0x1;
        return;
      case CMD.PATCH_SEM_CONTROL: {
        if (p.length < 4) return this.malformed('patch-sem-short');
        return this.romReply(cmd, fw.semControl(le32(p, 0)), EID_PATCH_SEM);
      }
      case CMD.PATCH_START_REQ:
      case CMD.TARGET_ADDRESS_LEN_REQ: {
        // {addr, len, mode}; GUESS: a short payload is answered with the error status.
        if (p.length < 12) return this.romReply(cmd, this.dlFail('dl-start-short'));
        const kind = cmd.cid === CMD.PATCH_START_REQ ? 'patch' : 'ram';
        return this.romReply(cmd, this.track(fw.start(kind, le32(p, 0), le32(p, 4), le32(p, 8))));
      }
      case CMD.PATCH_FINISH_REQ:
        if (p.length < 4) return this.romReply(cmd, this.dlFail('patch-finish-short'));
        return this.romReply(cmd, this.track(fw.patchFinish()));
      case CMD.FW_START_REQ: {
        if (p.length < 8) return this.romReply(cmd, this.dlFail('fw-start-short'));
        const status = this.track(fw.fwStart(le32(p, 0), le32(p, 4)));
        this.romReply(cmd, status);
        if (status === 0) {
          this.stage = 'booting';
          this.bootTimer.mod(this.opts.timing.bootMs);
        }
        return;
      }
      case CMD.RESTART_DL_REQ:
        fw.restart();
        return this.romReply(cmd, 0);
      default:
        if (cmd.cid === CMD.EXT_CID) return this.wrongStage('ext', cmd.extCid);
        c.mcuUnknown++;
        c.drop(`unknown-rom-0x${cmd.cid.toString(16)}`);
    }
  }

  private dlFail(reason: string): number {
    const fw = this.fw;
    if (fw.error === null) fw.error = reason;
    this.host.counters.fwErrors++;
    this.host.counters.drop(reason);
    return 1;
  }

  /** Counts a download step that poisoned the download. */
  private track(status: number): number {
    if (status !== 0 && this.fw.error) {
      this.host.counters.fwErrors++;
      this.host.counters.drop(this.fw.error);
    }
    return status;
  }

  // -------------------------------------------------------------------------------------------------------------
  // RAM stage

  private ramCommand(cmd: McuCommand): undefined {
    if (cmd.uni) return this.uniCommand(cmd);
    if (cmd.setQuery === 3) {
      // Base (download) commands are the ROM's; GUESS: the RAM firmware ignores them.
      return this.wrongStage('base', cmd.cid);
    }
    if (cmd.cid === CMD.EXT_CID) return this.extCommand(cmd);
    return this.ceCommand(cmd);
  }

  private extCommand(cmd: McuCommand): undefined {
    const p = cmd.payload;
    const st = this.state;
    switch (cmd.extCid) {
      case EXT.EFUSE_BUFFER_MODE:
        if (p.length < 4) return this.malformed('efuse-buffer-mode-short');
        st.efuseBufferMode = true;
        return this.ack(cmd);
      case EXT.MAC_INIT_CTRL:
        if (p.length < 4) return this.malformed('mac-init-ctrl-short');
        if (p[1]! > 1) return this.malformed('mac-init-ctrl-band');
        st.macEnabled[p[1]!] = p[0] !== 0;
        return this.ack(cmd);
      case EXT.PROTECT_CTRL:
        if (p.length < 12) return this.malformed('protect-ctrl-short');
        return this.ack(cmd);
      case EXT.CHANNEL_SWITCH:
      case EXT.SET_RX_PATH: {
        // §6.4: 76 bytes {control_ch, center_ch, bw, tx_streams, rx_streams, switch_reason, band_idx, center_ch2,
        // cac_case le16, channel_band (offset 10), ...}. GUESS: the firmware needs all of them.
        if (p.length < 76) return this.malformed('chan-info-short');
        const band = CHAN_BAND[p[10]!];
        if (!band || p[0] === 0) return this.malformed('chan-info-channel');
        st.channel = { band, number: p[0]!, width: cbwToWidth(p[2]!) };
        // GUESS: a channel change during a scan or ROC takes effect when it ends.
        if (!this.scan.running && !st.roc) this.tune(st.channel);
        return this.ack(cmd);
      }
      case EXT.THERMAL_CTRL: {
        if (p.length < 4) return this.malformed('thermal-ctrl-short');
        const r = this.legacyReply(cmd, 8);
        putLe32(r, EVENT_HDR_LEN + 4, 45); // GUESS: 45 °C
        return this.reply(cmd, r);
      }
      case EXT.WF_RF_PIN_CTRL:
        return this.ack(cmd, 4); // {result 0, value 0}
      case EXT.EFUSE_ACCESS: {
        if (p.length < 24) return this.malformed('efuse-access-short');
        const r = this.legacyReply(cmd, 24);
        r.set(p.subarray(0, 8), EVENT_HDR_LEN); // GUESS: addr and valid echoed, data all zero
        return this.reply(cmd, r);
      }
      case EXT.RADIO_ON_OFF_CTRL:
      case EXT.PM_STATE_CTRL:
      case EXT.WTBL_UPDATE:
        return this.ack(cmd);
      default:
        return this.unknown('ext', cmd.extCid);
    }
  }

  private ceCommand(cmd: McuCommand): undefined {
    const p = cmd.payload;
    const st = this.state;
    switch (cmd.cid) {
      case CE.GET_NIC_CAPAB:
        return this.reply(cmd, this.nicCapability(cmd));
      case CE.FWLOG_2_HOST:
        if (p.length < 4) return this.malformed('fwlog-short');
        st.fwLog = p[0] !== 0;
        return this.ack(cmd);
      case CE.SET_CHAN_DOMAIN:
        return this.setChanDomain(cmd);
      case CE.SET_RATE_TX_POWER:
        if (p.length < 44) return this.malformed('rate-tx-power-short');
        // §6.3: 44-byte header + 162 bytes per channel.
        if (p.length !== 44 + p[4]! * 162) return this.malformed('rate-tx-power-length');
        return this.ack(cmd);
      case CE.REG_ACCESS: {
        // GUESS: the request is {reg le32, val le32} for both read (query) and write (set).
        if (p.length < 8) return this.malformed('reg-access-short');
        const reg = le32(p, 0);
        if (cmd.setQuery === 1) {
          this.host.regs.write(reg, le32(p, 4));
          return this.ack(cmd);
        }
        const r = this.legacyReply(cmd, 8);
        putLe32(r, EVENT_HDR_LEN, reg);
        putLe32(r, EVENT_HDR_LEN + 4, this.host.regs.read(reg));
        return this.reply(cmd, r);
      }
      case CE.CHIP_CONFIG: {
        // §6.9: {id le16, type, resp_type, data_size le16, resv le16, data[320]}.
        if (p.length < 8) return this.malformed('chip-config-short');
        const n = Math.min(le16(p, 4), 320, p.length - 8);
        st.chipConfig.push(new TextDecoder().decode(p.subarray(8, 8 + n)).replace(/\0.*$/s, ''));
        return this.ack(cmd);
      }
      case CE.SET_RX_FILTER: {
        if (p.length < 17) return this.malformed('rx-filter-short');
        if (p[4] === 1) st.rxFilterFif = le32(p, 8);
        else if (p[4] === 2) {
          const bits = le32(p, 12);
          if (p[16]! & 1) st.rfcrDrop |= bits;
          if (p[16]! & 2) st.rfcrDrop &= ~bits;
        } else return this.malformed('rx-filter-mode');
        return this.ack(cmd);
      }
      case CE.SET_EDCA_PARMS:
        if (p.length < 44) return this.malformed('edca-short');
        st.edca.set(p[40]!, p.slice(0, 44));
        return this.ack(cmd);
      case CE.START_HW_SCAN: {
        const req = parseScanRequest(p);
        if (typeof req === 'string') return this.malformed(req);
        this.host.counters.scans++;
        this.ack(cmd);
        this.scan.start(req);
        return;
      }
      case CE.CANCEL_HW_SCAN:
        this.scan.cancel();
        return this.ack(cmd);
      case CE.SET_PS_PROFILE:
      case CE.SET_BSS_CONNECTED:
      case CE.SET_BSS_ABORT:
      case CE.SET_ROC:
      case CE.SET_P2P_OPPPS:
      case CE.SET_CLC:
      case CE.SCHED_SCAN_ENABLE:
      case CE.SCHED_SCAN_REQ:
      case CE.RSSI_MONITOR:
      case CE.SET_MU_EDCA_PARMS:
      case CE.GET_WTBL:
      case CE.GET_TXPWR:
        // GUESS: accepted and acknowledged without modelling their effect (sched scan, power tables, ...).
        return this.ack(cmd);
      default:
        return this.unknown('ce', cmd.cid);
    }
  }

  private uniCommand(cmd: McuCommand): undefined {
    const p = cmd.payload;
    const st = this.state;
    switch (cmd.cid) {
      case UNI.DEV_INFO_UPDATE:
        return this.uniResult(cmd, devInfoUpdate(st, p));
      case UNI.BSS_INFO_UPDATE: {
        const r = bssInfoUpdate(st, p);
        if (r.channel) {
          st.channel = r.channel;
          if (!this.scan.running && !st.roc) this.tune(r.channel);
        }
        if (r.status === UNI_OK) this.watchBeacons(p[0]!);
        return this.uniResult(cmd, r.status);
      }
      case UNI.STA_REC_UPDATE:
        return this.uniResult(cmd, staRecUpdate(st, p));
      case UNI.SNIFFER:
        return this.uniResult(cmd, this.sniffer(p));
      case UNI.ROC:
        return this.uniResult(cmd, this.roc(p));
      case UNI.SUSPEND:
      case UNI.OFFLOAD:
      case UNI.HIF_CTRL:
        return this.uniResult(cmd, p.length >= 4 && splitTlvs(p, 4) ? UNI_OK : UNI_FAIL);
      default:
        // GUESS: an unknown UNI id is answered with the failure status rather than silence.
        this.unknown('uni', cmd.cid);
        return this.uniResult(cmd, UNI_FAIL);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Individual commands

  private nicCapability(cmd: McuCommand): Uint8Array {
    const tlvs: Array<[number, Uint8Array]> = [];
    tlvs.push([NIC_CAP_MAC_ADDR, this.opts.macAddress]);
    // PHY: ht, vht, 5g, max_bw, nss, dbdc, tx_ldpc, rx_ldpc, tx_stbc, rx_stbc, hw_path, he (FACTS §6.1, §8).
    // GUESS: max_bw 2 (80 MHz) and the capability flags all 1; nss 2 and hw_path 3 are from FACTS.
    tlvs.push([NIC_CAP_PHY, Uint8Array.of(1, 1, 1, 2, 2, 0, 1, 1, 1, 1, 3, 1)]);
    tlvs.push([NIC_CAP_6G, Uint8Array.of(1, 0, 0, 0)]); // GUESS: 4-byte data, byte 0 = 1
    const cap = new Uint8Array(8);
    new DataView(cap.buffer).setBigUint64(0, this.opts.chipCap, true);
    tlvs.push([NIC_CAP_CHIP_CAP, cap]);
    const len = 4 + tlvs.reduce((n, [, d]) => n + 8 + d.length, 0);
    const r = this.legacyReply(cmd, len);
    let o = EVENT_HDR_LEN;
    putLe16(r, o, tlvs.length);
    o += 4;
    for (const [type, data] of tlvs) {
      putLe32(r, o, type);
      putLe32(r, o + 4, data.length);
      r.set(data, o + 8);
      o += 8 + data.length;
    }
    return r;
  }

  private setChanDomain(cmd: McuCommand): undefined {
    const p = cmd.payload;
    if (p.length < 12) return this.malformed('chan-domain-short');
    const n2 = p[8]!;
    const n5 = p[9]!;
    const n6 = p[10]!;
    if (p.length < 12 + (n2 + n5 + n6) * 8) return this.malformed('chan-domain-length');
    const list: RadioChannel[] = [];
    const flags: number[] = [];
    for (let i = 0; i < n2 + n5 + n6; i++) {
      const o = 12 + i * 8;
      const band: RadioChannel['band'] = i < n2 ? '2g' : i < n2 + n5 ? '5g' : '6g';
      list.push({ band, number: le16(p, o), width: 20 });
      flags.push(le32(p, o + 4));
    }
    this.state.chanDomain = list;
    this.chanFlags = flags;
    this.state.alpha2 = new TextDecoder().decode(p.subarray(0, 2)).replace(/\0.*$/s, '');
    this.ack(cmd);
  }

  private chanFlags: number[] = [];

  private allChannels(): Array<{ ch: RadioChannel; flags: number }> {
    if (this.state.chanDomain.length > 0) {
      return this.state.chanDomain.map((ch, i) => ({ ch, flags: this.chanFlags[i] ?? 0 }));
    }
    // GUESS: without SET_CHAN_DOMAIN the firmware scans 2.4 GHz 1–13 and the common 5 GHz channels.
    const out: Array<{ ch: RadioChannel; flags: number }> = [];
    for (let n = 1; n <= 13; n++) out.push({ ch: { band: '2g', number: n, width: 20 }, flags: 0 });
    for (const n of [36, 40, 44, 48, 149, 153, 157, 161, 165])
      out.push({ ch: { band: '5g', number: n, width: 20 }, flags: 0 });
    return out;
  }

  private ownAddress(bssIdx: number): Uint8Array {
    const bss = this.state.bsses.get(bssIdx);
    const vif = bss ? this.state.vifs.get(bss.omacIdx) : this.state.vifs.get(bssIdx);
    return vif?.addr ?? this.opts.macAddress;
  }

  private tune(ch: RadioChannel): undefined {
    this.radioChannel = ch;
    this.host.tune(ch);
  }

  /** UNI SNIFFER: enable TLV {enable} (tag 0), config TLV {aid, ch_band, bw, control_ch, ...} (tag 1). */
  private sniffer(p: Uint8Array): number {
    if (p.length < 4) return UNI_FAIL;
    const tlvs = splitTlvs(p, 4);
    if (!tlvs || tlvs.length === 0) return UNI_FAIL;
    for (const t of tlvs) {
      if (t.tag === 0) {
        if (t.body.length < 1) return UNI_FAIL;
        this.state.sniffer = t.body[0] !== 0;
      } else if (t.tag === 1) {
        if (t.body.length < 12) return UNI_FAIL;
        const band = NL_BAND_CODE[t.body[2]!];
        if (!band || t.body[4] === 0) return UNI_FAIL;
        // Sniffer bw codes: 0 ≤40, 1 80, 2 160 (FACTS §6.12).
        const width = ([40, 80, 160] as const)[t.body[3]!] ?? 20;
        this.state.channel = { band, number: t.body[4]!, width };
        if (!this.scan.running && !this.state.roc) this.tune(this.state.channel);
      }
    }
    return UNI_OK;
  }

  /** UNI ROC: acquire (tag 0, grant event later) or abort (tag 1). */
  private roc(p: Uint8Array): number {
    if (p.length < 4) return UNI_FAIL;
    const tlvs = splitTlvs(p, 4);
    if (tlvs?.length !== 1) return UNI_FAIL;
    const t = tlvs[0]!;
    if (t.tag === 0) {
      if (t.body.length < 20) return UNI_FAIL;
      const band = NL_BAND_CODE[t.body[4]!];
      if (!band || t.body[2] === 0) return UNI_FAIL;
      // GUESS: a new acquire replaces a pending or granted one.
      this.pendingRoc = {
        tlv: t.body.slice(),
        channel: { band, number: t.body[2]!, width: cbwToWidth(t.body[5]!) },
      };
      this.rocEndTimer.cancel();
      this.rocTimer.mod(this.opts.timing.rocGrantMs);
      return UNI_OK;
    }
    if (t.tag === 1) {
      if (t.body.length < 8) return UNI_FAIL;
      this.rocTimer.cancel();
      this.pendingRoc = null;
      this.endRoc();
      return UNI_OK;
    }
    return UNI_FAIL;
  }

  /** A beacon was heard (any BSS): re-arms the beacon-loss watchdog of ours. */
  beaconHeard(f: Uint8Array): void {
    if (f.length < 22) return;
    for (const [idx, t] of this.bcnWatch) {
      const bss = this.state.bsses.get(idx);
      if (bss && sameBssid(f, bss.bssid)) t.mod(this.beaconLossMs(idx));
    }
  }

  /**
   * With the beacon filter on (BSS_INFO BCNFT, FACTS §6.6) the firmware watches the AP's beacons and reports their
   * loss with event 0x13 {bss_idx, reason, pad[2]} (§6.12).
   */
  private watchBeacons(bssIdx: number): void {
    const bss = this.state.bsses.get(bssIdx);
    let t = this.bcnWatch.get(bssIdx);
    if (!bss?.active || !bss.tlvs.has(BSS_TLV_BCNFT)) {
      t?.cancel();
      this.bcnWatch.delete(bssIdx);
      return;
    }
    if (!t) {
      t = this.host.clock.timer(() => this.beaconLost(bssIdx));
      this.bcnWatch.set(bssIdx, t);
    }
    if (!t.pending) t.mod(this.beaconLossMs(bssIdx));
  }

  private beaconLossMs(bssIdx: number): number {
    const bss = this.state.bsses.get(bssIdx);
    const bcnft = bss?.tlvs.get(BSS_TLV_BCNFT);
    const interval = (bcnft && bcnft.length >= 2 ? le16(bcnft, 0) : 0) || bss?.bcnInterval || 100;
    // GUESS: the firmware declares the beacon lost after 10 missed beacon intervals (1 TU = 1.024 ms).
    return BEACON_LOSS_INTERVALS * interval * 1.024;
  }

  private beaconLost(bssIdx: number): void {
    const bss = this.state.bsses.get(bssIdx);
    if (!bss?.active || this.stage !== 'ram') return;
    const ev = buildEvent({ eid: EID_BEACON_LOSS, seq: 0 }, 4);
    ev[EVENT_HDR_LEN] = bssIdx;
    ev[EVENT_HDR_LEN + 1] = 0; // GUESS: reason 0
    this.host.counters.beaconLoss++;
    this.unsolicited(ev);
    // GUESS: reported once; the watchdog re-arms when a beacon is heard again.
  }

  private grantRoc(): undefined {
    const r = this.pendingRoc;
    if (!r || this.stage !== 'ram') return;
    this.pendingRoc = null;
    const b = r.tlv;
    const maxIntervalMs = le32(b, 12);
    this.state.roc = { bssIdx: b[0]!, token: b[1]!, reqType: b[11]!, channel: r.channel, maxIntervalMs };
    this.scan.cancel();
    this.tune(r.channel);
    // §6.10 grant: header (eid 0x27, option BIT2) + 4 skipped bytes + TLV {tag 0, len, bss_idx, tokenid, status,
    // primarychannel, rfsco, rfband, channelwidth, centerfreqseg1, centerfreqseg2, reqtype, dbdcband, rsv,
    // max_interval le32}. GUESS: option also has BIT1 (UNI event); seq 0; TLV len 20 counts its 4-byte header.
    const ev = buildEvent({ eid: EID_ROC, seq: 0, option: 0x06 }, 24);
    const o = EVENT_HDR_LEN + 4;
    putLe16(ev, o, 0);
    putLe16(ev, o + 2, 20);
    ev[o + 4] = b[0]!; // bss_idx
    ev[o + 5] = b[1]!; // token
    ev[o + 6] = 0; // status: granted
    ev[o + 7] = b[2]!; // primary channel
    ev[o + 8] = b[3]!; // sco
    ev[o + 9] = b[4]!; // band
    ev[o + 10] = b[5]!; // width
    ev[o + 11] = b[6]!; // center seg 1
    ev[o + 12] = b[7]!; // center seg 2
    ev[o + 13] = b[11]!; // reqtype
    ev[o + 14] = b[16]!; // dbdcband
    putLe32(ev, o + 16, maxIntervalMs);
    this.host.counters.rocGrants++;
    this.unsolicited(ev);
    // GUESS: a ROC (reqtype 1) ends by itself after max_interval; a JOIN (0) holds the channel until aborted.
    if (b[11] === 1 && maxIntervalMs > 0) this.rocEndTimer.mod(maxIntervalMs);
  }

  private endRoc(): undefined {
    this.rocEndTimer.cancel();
    if (!this.state.roc) return;
    this.state.roc = null;
    if (!this.scan.running) this.tune(this.state.channel);
  }
}
