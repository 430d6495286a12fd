/**
 * MAC init after the firmware runs (FACTS.md §3.5; mt7921_mac_init, mt792x_mac_init_band, mt7921_mac_wtbl_update,
 * mt76_connac_mcu_set_rts_thresh).
 */
import type { Clock } from '../../netstack/core/clock.ts';
import { type RegAccess, regClear, regRmwField, regSet } from './bus.ts';
import { MCU_EXT_CMD, McuExtCmdId } from './mcu/cmd.ts';
import { MT7921_RTS_THRESH, protectCtrlPayload } from './mcu/init-cmds.ts';
import type { Mt7921Mcu } from './mcu/mcu.ts';
import { pollUsec } from './poll.ts';
import {
  MT_DMA_DCR0,
  MT_DMA_DCR0_MAX_RX_LEN,
  MT_DMA_DCR0_RXD_G5_EN,
  MT_MDP_DCR0,
  MT_MDP_DCR0_DAMSDU_EN,
  MT_MDP_DCR0_RX_HDR_TRANS_EN,
  MT_MDP_DCR1,
  MT_MDP_DCR1_MAX_RX_LEN,
  MT_MIB_RXDUR_EN,
  MT_MIB_SCR1,
  MT_MIB_TXDUR_EN,
  MT_RX_MAX_LEN,
  MT_TMAC_CTCR0,
  MT_TMAC_CTCR0_INS_DDLMT_EN,
  MT_TMAC_CTCR0_INS_DDLMT_REFTIME,
  MT_TMAC_CTCR0_INS_DDLMT_VHT_SMPDU_EN,
  MT_WF_RMAC_MIB_AIRTIME0,
  MT_WF_RMAC_MIB_RXTIME_EN,
  MT_WF_RMAC_MIB_TIME0,
  MT_WTBL_UPDATE,
  MT_WTBL_UPDATE_ADM_COUNT_CLEAR,
  MT_WTBL_UPDATE_BUSY,
  MT_WTBL_UPDATE_WLAN_IDX,
  MT_WTBLOFF_TOP_RSCR,
  MT_WTBLOFF_TOP_RSCR_RCPI_MODE,
  MT_WTBLOFF_TOP_RSCR_RCPI_PARAM,
  MT792X_WTBL_SIZE,
} from './regs.ts';

/** mt7921_mac_wtbl_update: write the index and operation, wait for BUSY to clear (5 ms). */
export async function macWtblUpdate(regs: RegAccess, clock: Clock, idx: number, mask: number): Promise<boolean> {
  await regs.rmw(MT_WTBL_UPDATE, MT_WTBL_UPDATE_WLAN_IDX, ((idx & MT_WTBL_UPDATE_WLAN_IDX) | mask) >>> 0);
  return pollUsec(regs, clock, MT_WTBL_UPDATE, MT_WTBL_UPDATE_BUSY, 0, 5000);
}

/** mt792x_mac_init_band */
export async function macInitBand(regs: RegAccess, band: number): Promise<void> {
  await regRmwField(regs, MT_TMAC_CTCR0(band), MT_TMAC_CTCR0_INS_DDLMT_REFTIME, 0x3f);
  await regSet(regs, MT_TMAC_CTCR0(band), (MT_TMAC_CTCR0_INS_DDLMT_VHT_SMPDU_EN | MT_TMAC_CTCR0_INS_DDLMT_EN) >>> 0);
  await regSet(regs, MT_WF_RMAC_MIB_TIME0(band), MT_WF_RMAC_MIB_RXTIME_EN);
  await regSet(regs, MT_WF_RMAC_MIB_AIRTIME0(band), MT_WF_RMAC_MIB_RXTIME_EN);
  await regSet(regs, MT_MIB_SCR1(band), MT_MIB_TXDUR_EN);
  await regSet(regs, MT_MIB_SCR1(band), MT_MIB_RXDUR_EN);
  await regRmwField(regs, MT_DMA_DCR0(band), MT_DMA_DCR0_MAX_RX_LEN, MT_RX_MAX_LEN);
  // RX rate report (RXD group 5) off "due to hw issues"
  await regClear(regs, MT_DMA_DCR0(band), MT_DMA_DCR0_RXD_G5_EN);
  await regs.rmw(
    MT_WTBLOFF_TOP_RSCR(band),
    (MT_WTBLOFF_TOP_RSCR_RCPI_MODE | MT_WTBLOFF_TOP_RSCR_RCPI_PARAM) >>> 0,
    (3 << 24) >>> 0,
  );
}

/** mt7921_mac_init */
export async function macInit(regs: RegAccess, clock: Clock, mcu: Mt7921Mcu): Promise<void> {
  await regRmwField(regs, MT_MDP_DCR1, MT_MDP_DCR1_MAX_RX_LEN, MT_RX_MAX_LEN);
  await regSet(regs, MT_MDP_DCR0, MT_MDP_DCR0_DAMSDU_EN);
  await regSet(regs, MT_MDP_DCR0, MT_MDP_DCR0_RX_HDR_TRANS_EN);
  for (let i = 0; i < MT792X_WTBL_SIZE; i++) await macWtblUpdate(regs, clock, i, MT_WTBL_UPDATE_ADM_COUNT_CLEAR);
  for (let b = 0; b < 2; b++) await macInitBand(regs, b);
  await mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.PROTECT_CTRL), protectCtrlPayload(MT7921_RTS_THRESH, 0));
}
