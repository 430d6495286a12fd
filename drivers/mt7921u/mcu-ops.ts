/**
 * The MCU operations the mac80211 ops are built from (mt7921/mcu.c and mt76_connac_mcu.c entry points): interface
 * and BSS records, station records and keys, channel changes, hardware scan, remain-on-channel, filters, EDCA,
 * power save, sniffer. Each is one or a few commands with the driver's waiting and status rules; the ops layer maps
 * mac80211 calls onto them.
 */
import type { Clock } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import { Mt7921uError } from './errors.ts';
import type { ChanDef } from './mcu/chan.ts';
import {
  type ChanInfoOptions,
  chanInfoPayload,
  edcaPayload,
  MT7921_FIF_BIT_CLR,
  MT7921_FIF_BIT_SET,
  rssiMonitorPayload,
  rxFilterPayload,
  snifferConfigPayload,
  snifferEnablePayload,
  type TxQueueParams,
} from './mcu/chan-cmds.ts';
import { MCU_CE_CMD, MCU_EXT_CMD, MCU_UNI_CMD, McuCeCmdId, McuExtCmdId, McuUniCmdId } from './mcu/cmd.ts';
import type { McuEventRouter } from './mcu/events.ts';
import { thermalCtrlPayload } from './mcu/init-cmds.ts';
import { McuStatusError, type Mt7921Mcu } from './mcu/mcu.ts';
import {
  MT7921_ROC_GRANT_TIMEOUT_MS,
  type RocGrant,
  RocReqType,
  rocAbortPayload,
  rocAcquirePayload,
} from './mcu/roc.ts';
import { cancelHwScanPayload, type HwScanRequest, hwScanPayload, type ScanDone } from './mcu/scan.ts';
import {
  type BaParams,
  type KeyConf,
  McuCipher,
  MUAR_IDX_NON_STA,
  SetKeyCmd,
  type StaRecInfo,
  staBaPayload,
  staKeyPayload,
  staRecPayload,
  type VifType,
} from './mcu/sta-rec.ts';
import {
  bssAbortPayload,
  bssBasicPayload,
  bssBasicQosPayload,
  bssBcnftPayload,
  bssConnectedPayload,
  bssHePayload,
  bssPsPayload,
  bssRlmPayload,
  CONNECTION_INFRA_AP,
  CONNECTION_INFRA_STA,
  devInfoPayload,
  type HeBasic,
  MCU_UNI_WLAN_FAILURE,
  type VifSlots,
} from './mcu/uni-cmds.ts';
import { MT_WF_RFCR_DROP_OTHER_BEACON } from './regs.ts';

const log = logger('mt7921u:ops');

/** A virtual interface's hardware state (mt792x_vif / mt76_vif_link). */
export interface Mt76Vif extends VifSlots {
  type: VifType;
  /** The interface address. */
  addr: Uint8Array;
  /** The vif's own WLAN index (its broadcast/BSS entry). */
  wcid: number;
  /** 7-bit hardware scan counter. */
  scanSeqNum: number;
}

/** The BSS configuration the BSS record carries (ieee80211_bss_conf). */
export interface BssConf {
  bssid: Uint8Array;
  beaconInterval: number;
  dtimPeriod: number;
  qos: boolean;
  chan: ChanDef;
  /** HE BSS: the HE_BASIC + BSS_COLOR record is sent too. */
  he?: HeBasic;
}

export interface McuOpsContext {
  mcu: Mt7921Mcu;
  events: McuEventRouter;
  clock: Clock;
  /** The antenna mask from the NIC capability. */
  antennaMask(): number;
}

function checkStatus(cmd: number, status: number, what: string): void {
  if (status !== 0) throw new McuStatusError(cmd, status, what);
}

export class Mt7921McuOps {
  private rocToken = 0;
  private rocGrantWaiter: ((g: RocGrant) => void) | null = null;
  /** Token of the ROC in progress (MT76_STATE_ROC), or null. */
  rocActive: number | null = null;
  /** MT76_HW_SCANNING */
  scanning = false;
  /** The pairwise CCMP key per wcid, for the BIP batch update (mt76_connac_sta_key_conf). */
  private readonly staKeyConf = new Map<number, KeyConf>();

  constructor(private readonly ctx: McuOpsContext) {
    ctx.events.listen({
      rocGrant: (g) => this.rocGranted(g),
      scanDone: () => {
        this.scanning = false;
      },
    });
  }

  private get mcu(): Mt7921Mcu {
    return this.ctx.mcu;
  }

  private async uni(id: McuUniCmdId, payload: Uint8Array, what: string, tolerate = -1): Promise<number> {
    const cmd = MCU_UNI_CMD(id);
    const st = (await this.mcu.sendAndGet(cmd, payload)).ret >>> 0;
    if (st !== 0 && st !== tolerate >>> 0) checkStatus(cmd, st, what);
    return st;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Interfaces and BSS

  /**
   * mt76_connac_mcu_uni_add_dev: on add, DEV_INFO then BSS BASIC (active, conn_state 1); on removal the reverse.
   * The "WLAN failure" status is tolerated when the BSS is being deactivated.
   */
  async addDev(vif: Mt76Vif, enable: boolean): Promise<void> {
    const dev = devInfoPayload(vif, vif.addr, enable);
    const basic = bssBasicPayload(vif, {
      active: enable,
      connType: vif.type === 'station' ? CONNECTION_INFRA_STA : CONNECTION_INFRA_AP,
      connState: 1,
      bssid: new Uint8Array(6),
      wcid: vif.wcid,
      beaconInterval: 0,
      dtimPeriod: 0,
      band: '2g',
      phyMode: 0,
      nonHtBasicPhy: 0,
    });
    const tolerate = enable ? -1 : MCU_UNI_WLAN_FAILURE;
    if (enable) {
      await this.uni(McuUniCmdId.DEV_INFO_UPDATE, dev, 'device info');
      await this.uni(McuUniCmdId.BSS_INFO_UPDATE, basic, 'BSS basic', tolerate);
    } else {
      await this.uni(McuUniCmdId.BSS_INFO_UPDATE, basic, 'BSS basic', tolerate);
      await this.uni(McuUniCmdId.DEV_INFO_UPDATE, dev, 'device info');
    }
  }

  /** mt76_connac_mcu_uni_add_bss: BASIC + QBSS, HE_BASIC + BSS_COLOR (HE), then RLM (the operating channel). */
  async addBss(vif: Mt76Vif, bss: BssConf, enable: boolean): Promise<void> {
    const station = vif.type === 'station';
    await this.uni(
      McuUniCmdId.BSS_INFO_UPDATE,
      bssBasicQosPayload(
        vif,
        {
          // a station keeps its BSS active; only AP mode fully (de)activates it
          active: station ? true : enable,
          connType: station ? CONNECTION_INFRA_STA : CONNECTION_INFRA_AP,
          connState: enable ? 0 : 1,
          bssid: bss.bssid,
          wcid: vif.wcid,
          beaconInterval: bss.beaconInterval,
          dtimPeriod: bss.dtimPeriod,
          band: bss.chan.band,
        },
        bss.qos,
      ),
      'BSS basic',
      enable ? -1 : MCU_UNI_WLAN_FAILURE,
    );
    if (bss.he) {
      const he = enable ? bss.he : { ...bss.he, bssColor: { enable: false, color: 0 } };
      await this.uni(McuUniCmdId.BSS_INFO_UPDATE, bssHePayload(vif.bssIdx, he), 'BSS HE');
    }
    await this.setChctx(vif, bss.chan);
  }

  /** mt76_connac_mcu_uni_set_chctx: the RLM record (operating channel) of the BSS. */
  async setChctx(vif: Mt76Vif, chan: ChanDef): Promise<void> {
    await this.uni(
      McuUniCmdId.BSS_INFO_UPDATE,
      bssRlmPayload(vif.bssIdx, { chan, antennaMask: this.ctx.antennaMask() }),
      'BSS RLM',
    );
  }

  /** mt7921_mcu_uni_bss_ps: power save state of a station BSS (0 awake, 2 dynamic). */
  async bssPs(vif: Mt76Vif, ps: boolean): Promise<void> {
    if (vif.type !== 'station') return;
    await this.uni(McuUniCmdId.BSS_INFO_UPDATE, bssPsPayload(vif.bssIdx, ps ? 2 : 0), 'BSS PS');
  }

  /**
   * mt7921_mcu_set_beacon_filter: on, the BCNFT record and RFCR DROP_OTHER_BEACON set; off, BSS abort and the drop
   * bit cleared.
   */
  async setBeaconFilter(
    vif: Mt76Vif,
    enable: boolean,
    bss: Pick<BssConf, 'beaconInterval' | 'dtimPeriod'>,
  ): Promise<void> {
    if (enable) {
      if (vif.type === 'station') {
        await this.uni(
          McuUniCmdId.BSS_INFO_UPDATE,
          bssBcnftPayload(vif.bssIdx, bss.beaconInterval, bss.dtimPeriod),
          'beacon filter',
        );
      }
      await this.setRxFilter(0, MT7921_FIF_BIT_SET, MT_WF_RFCR_DROP_OTHER_BEACON);
      return;
    }
    await this.setBssPm(vif, false, { ...bss, aid: 0 });
    await this.setRxFilter(0, MT7921_FIF_BIT_CLR, MT_WF_RFCR_DROP_OTHER_BEACON);
  }

  /** mt7921_mcu_set_bss_pm: SET_BSS_ABORT, then SET_BSS_CONNECTED when enabling. */
  async setBssPm(
    vif: Mt76Vif,
    enable: boolean,
    bss: Pick<BssConf, 'beaconInterval' | 'dtimPeriod'> & { aid: number },
  ): Promise<void> {
    await this.mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.SET_BSS_ABORT), bssAbortPayload(vif.bssIdx));
    if (!enable) return;
    await this.mcu.sendNoWait(
      MCU_CE_CMD(McuCeCmdId.SET_BSS_CONNECTED),
      bssConnectedPayload(vif.bssIdx, bss.dtimPeriod, bss.aid, bss.beaconInterval),
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Stations and keys

  /** mt7921_mcu_sta_update: the STA record (status checked). */
  async staUpdate(info: StaRecInfo): Promise<void> {
    await this.uni(McuUniCmdId.STA_REC_UPDATE, staRecPayload(info), 'station record');
  }

  /**
   * mt76_connac_mcu_add_key: install or remove a key. CCMP keys are remembered per wcid for a later BIP install.
   * Ciphers the hardware cannot do are refused with an error (mac80211 falls back to software crypto).
   */
  async setKey(vif: Mt76Vif, wcid: number, isPeer: boolean, cmd: SetKeyCmd, key: KeyConf | null): Promise<void> {
    const target = { bssIdx: vif.bssIdx, wcid, muarIdx: isPeer ? vif.omacIdx : MUAR_IDX_NON_STA };
    const payload = staKeyPayload(target, cmd, key, this.staKeyConf.get(wcid) ?? null);
    if (payload === null) {
      throw new Mt7921uError('mcu', `cipher ${key?.cipher} is not supported in hardware: use software crypto`);
    }
    await this.uni(McuUniCmdId.STA_REC_UPDATE, payload, 'key');
    if (cmd === SetKeyCmd.SET_KEY && key?.cipher === McuCipher.AES_CCMP) this.staKeyConf.set(wcid, key);
    if (cmd === SetKeyCmd.DISABLE_KEY && key?.cipher === McuCipher.AES_CCMP) this.staKeyConf.delete(wcid);
  }

  /** Forget the keys of a station that left. */
  forgetKeys(wcid: number): void {
    this.staKeyConf.delete(wcid);
  }

  /** mt7921_mcu_uni_tx_ba / rx_ba */
  async setBa(vif: Mt76Vif, wcid: number, p: BaParams): Promise<void> {
    await this.uni(
      McuUniCmdId.STA_REC_UPDATE,
      staBaPayload({ bssIdx: vif.bssIdx, wcid, muarIdx: vif.omacIdx }, p),
      'block ack',
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Channels

  /** mt7921_mcu_set_chan_info with CHANNEL_SWITCH (config callback) or SET_RX_PATH (start). */
  async setChanInfo(
    kind: 'switch' | 'rx-path',
    chan: ChanDef,
    o: Omit<ChanInfoOptions, 'antennaMask'> = {},
  ): Promise<void> {
    const cmd = MCU_EXT_CMD(kind === 'switch' ? McuExtCmdId.CHANNEL_SWITCH : McuExtCmdId.SET_RX_PATH);
    await this.mcu.sendAndGet(cmd, chanInfoPayload(cmd, chan, { ...o, antennaMask: this.ctx.antennaMask() }));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Scan

  /**
   * mt76_connac_mcu_hw_scan: START_HW_SCAN (not waited). Results come as ordinary RX frames; SCAN_DONE arrives as
   * an event (see McuEventRouter.scanDone). Throws when a scan is already running (-EBUSY).
   */
  async hwScan(vif: Mt76Vif, req: Omit<HwScanRequest, 'seqNum' | 'bandIdx' | 'bssIdx'>): Promise<number> {
    if (this.scanning) throw new Mt7921uError('mcu', 'a hardware scan is already running');
    this.scanning = true;
    vif.scanSeqNum = (vif.scanSeqNum + 1) & 0x7f;
    try {
      await this.mcu.sendNoWait(
        MCU_CE_CMD(McuCeCmdId.START_HW_SCAN),
        hwScanPayload({ ...req, seqNum: vif.scanSeqNum, bandIdx: vif.bandIdx, bssIdx: vif.bssIdx }),
      );
    } catch (e) {
      this.scanning = false;
      throw e;
    }
    return vif.scanSeqNum;
  }

  /** mt76_connac_mcu_cancel_hw_scan. Returns whether a scan was running (mac80211 reports it aborted). */
  async cancelHwScan(vif: Mt76Vif): Promise<boolean> {
    const was = this.scanning;
    this.scanning = false;
    await this.mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.CANCEL_HW_SCAN), cancelHwScanPayload(vif.scanSeqNum));
    return was;
  }

  /** Resolve on the next SCAN_DONE (for callers that want to await a scan), or null after `timeoutMs`. */
  waitScanDone(timeoutMs: number): Promise<ScanDone | null> {
    return new Promise((resolve) => {
      const timer = this.ctx.clock.setTimeout(() => {
        off();
        resolve(null);
      }, timeoutMs);
      const off = this.ctx.events.listen({
        scanDone: (ev) => {
          timer.cancel();
          off();
          resolve(ev);
        },
      });
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Remain on channel / join

  private rocGranted(g: RocGrant): void {
    const w = this.rocGrantWaiter;
    if (w === null) {
      log('ROC grant with nobody waiting (token %d)', g.tokenId);
      return;
    }
    this.rocGrantWaiter = null;
    w(g);
  }

  /**
   * mt7921_set_roc: acquire the channel (JOIN before auth/assoc, ROC for remain-on-channel) and wait up to 1 s for
   * the grant; without one, abort and fail. Returns the grant.
   */
  async roc(vif: Mt76Vif, chan: ChanDef, durationMs: number, type: RocReqType): Promise<RocGrant> {
    if (this.rocActive !== null) throw new Mt7921uError('mcu', 'a remain-on-channel is already active');
    this.rocToken = (this.rocToken + 1) & 0xff;
    const token = this.rocToken;
    this.rocActive = token;
    const granted = new Promise<RocGrant | null>((resolve) => {
      const timer = this.ctx.clock.setTimeout(() => {
        this.rocGrantWaiter = null;
        resolve(null);
      }, MT7921_ROC_GRANT_TIMEOUT_MS);
      this.rocGrantWaiter = (g) => {
        timer.cancel();
        resolve(g);
      };
    });
    try {
      await this.mcu.sendNoWait(
        MCU_UNI_CMD(McuUniCmdId.ROC),
        rocAcquirePayload({ bssIdx: vif.bssIdx, token, chan, reqType: type, durationMs }),
      );
    } catch (e) {
      this.rocGrantWaiter = null;
      this.rocActive = null;
      throw e;
    }
    const g = await granted;
    if (g === null) {
      await this.mcu.sendNoWait(MCU_UNI_CMD(McuUniCmdId.ROC), rocAbortPayload(vif.bssIdx, token));
      this.rocActive = null;
      throw new Mt7921uError('mcu', `no ROC grant within ${MT7921_ROC_GRANT_TIMEOUT_MS} ms (token ${token})`);
    }
    return g;
  }

  /** mt7921_abort_roc: release the channel when a ROC/JOIN is active. */
  async abortRoc(vif: Mt76Vif): Promise<void> {
    if (this.rocActive === null) return;
    const token = this.rocActive;
    this.rocActive = null;
    await this.mcu.sendNoWait(MCU_UNI_CMD(McuUniCmdId.ROC), rocAbortPayload(vif.bssIdx, token));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Filters, EDCA, monitor, misc

  /** mt7921_mcu_set_rxfilter */
  async setRxFilter(fif: number, bitOp: number, bitMap: number): Promise<void> {
    await this.mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.SET_RX_FILTER), rxFilterPayload(fif, bitOp, bitMap));
  }

  /** mt7921_mcu_set_tx: EDCA parameters per AC (mac80211 order VO, VI, BE, BK). */
  async setEdca(vif: Mt76Vif, qos: boolean, params: readonly TxQueueParams[]): Promise<void> {
    await this.mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.SET_EDCA_PARMS), edcaPayload(vif.bssIdx, qos, vif.wmmIdx, params));
  }

  /** mt7921_mcu_set_sniffer + config: monitor mode on a channel (beacons reach the host only after this). */
  async sniffer(vif: Mt76Vif, enable: boolean, chan?: ChanDef): Promise<void> {
    await this.mcu.sendAndGet(MCU_UNI_CMD(McuUniCmdId.SNIFFER), snifferEnablePayload(vif.bandIdx, enable));
    if (enable && chan) {
      await this.mcu.sendAndGet(MCU_UNI_CMD(McuUniCmdId.SNIFFER), snifferConfigPayload(vif.bandIdx, chan));
    }
  }

  /** mt7921_mcu_set_rssimonitor */
  async setRssiMonitor(vif: Mt76Vif, assoc: boolean, thold: number, hyst: number): Promise<void> {
    await this.mcu.sendNoWait(
      MCU_CE_CMD(McuCeCmdId.RSSI_MONITOR),
      rssiMonitorPayload(assoc, thold + hyst, thold - hyst, vif.bssIdx),
    );
  }

  /** mt7921_mcu_get_temperature: the chip temperature (°C). */
  async temperature(bandIdx = 0): Promise<number> {
    return (await this.mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.THERMAL_CTRL), thermalCtrlPayload(bandIdx))).ret;
  }
}

export { RocReqType, SetKeyCmd };
