/**
 * USB DMA init, WFSYS reset and MCU power-on (FACTS.md §3.2 step 6, §3.3, §3.4; mt792x_usb.c mt792xu_dma_init,
 * mt792xu_wfdma_init, mt792xu_epctl_rst_opt, mt792xu_wfsys_reset, mt792xu_mcu_power_on).
 */
import type { Clock } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import { type RegAccess, regClear, regSet } from './bus.ts';
import { Mt7921uError } from './errors.ts';
import { pollMsec, pollUsec, sleep } from './poll.ts';
import {
  MT_CBTOP_RGU_WF_SUBSYS_RST,
  MT_CBTOP_RGU_WF_SUBSYS_RST_WF_WHOLE_PATH,
  MT_CONN_ON_MISC,
  MT_DMASHDL_GROUP_QUOTA,
  MT_DMASHDL_GROUP_SEQ_ORDER,
  MT_DMASHDL_PAGE,
  MT_DMASHDL_PKT_MAX_SIZE,
  MT_DMASHDL_Q_MAP,
  MT_DMASHDL_REFILL,
  MT_DMASHDL_REFILL_MASK,
  MT_DMASHDL_SCHED_SET,
  MT_SSUSB_EP_RST_OPT_IN,
  MT_SSUSB_EP_RST_OPT_OUT_BULK,
  MT_SSUSB_EPCTL_CSR_EP_RST_OPT,
  MT_TICK_1US_EN,
  MT_TOP_MISC2_FW_PWR_ON,
  MT_TX_RING_PREFETCH,
  MT_UDMA_CONN_INFRA_STATUS,
  MT_UDMA_CONN_INFRA_STATUS_SEL,
  MT_UDMA_CONN_WFSYS_INIT_DONE,
  MT_UDMA_WLCFG_0,
  MT_UDMA_WLCFG_1,
  MT_UWFDMA0_GLO_CFG,
  MT_UWFDMA0_TX_RING_EXT_CTRL,
  MT_WFDMA_DUMMY_CR,
  MT_WFDMA_HOST_CONFIG,
  MT_WFDMA_HOST_CONFIG_USB_RXEVT_EP4_EN,
  MT_WFDMA_NEED_REINIT,
  MT_WFDMA0_GLO_CFG_FW_DWLD_BYPASS_DMASHDL,
  MT_WFDMA0_GLO_CFG_OMIT_RX_INFO,
  MT_WFDMA0_GLO_CFG_OMIT_RX_INFO_PFET2,
  MT_WFDMA0_GLO_CFG_OMIT_TX_INFO,
  MT_WFDMA0_GLO_CFG_RX_DMA_BUSY,
  MT_WFDMA0_GLO_CFG_RX_DMA_EN,
  MT_WFDMA0_GLO_CFG_TX_DMA_EN,
  MT_WL_RX_AGG_LMT,
  MT_WL_RX_AGG_PKT_LMT,
  MT_WL_RX_AGG_TO,
  MT_WL_RX_EN,
  MT_WL_RX_FLUSH,
  MT_WL_RX_MPSZ_PAD0,
  MT_WL_TX_EN,
  MT_WPDMA0_BASE_PTR_MASK,
  MT_WPDMA0_MAX_CNT_MASK,
} from './regs.ts';

const log = logger('mt7921u:dma');

/** MT792x_WFSYS_INIT_RETRY_COUNT */
export const WFSYS_INIT_RETRY_COUNT = 2;
export const MCU_POWER_ON_TIMEOUT_MS = 500;

/** mt792xu_epctl_rst_opt(reset = false): clear the EP reset options of bulk OUT 4–9 and IN 4–5 / int 6 (UHW). */
export async function epctlRstOptClear(regs: RegAccess): Promise<void> {
  const v = await regs.uhwRr(MT_SSUSB_EPCTL_CSR_EP_RST_OPT);
  await regs.uhwWr(MT_SSUSB_EPCTL_CSR_EP_RST_OPT, (v & ~(MT_SSUSB_EP_RST_OPT_OUT_BULK | MT_SSUSB_EP_RST_OPT_IN)) >>> 0);
}

/** mt792xu_wfsys_reset for MT7921 (§3.4). */
export async function wfsysReset(regs: RegAccess, clock: Clock): Promise<void> {
  await epctlRstOptClear(regs);
  let v = await regs.uhwRr(MT_CBTOP_RGU_WF_SUBSYS_RST);
  await regs.uhwWr(MT_CBTOP_RGU_WF_SUBSYS_RST, (v | MT_CBTOP_RGU_WF_SUBSYS_RST_WF_WHOLE_PATH) >>> 0);
  await sleep(clock, 0.02); // usleep_range(10, 20)
  v = await regs.uhwRr(MT_CBTOP_RGU_WF_SUBSYS_RST);
  await regs.uhwWr(MT_CBTOP_RGU_WF_SUBSYS_RST, (v & ~MT_CBTOP_RGU_WF_SUBSYS_RST_WF_WHOLE_PATH) >>> 0);
  await regs.uhwWr(MT_UDMA_CONN_INFRA_STATUS_SEL, 0);
  for (let i = 0; i < WFSYS_INIT_RETRY_COUNT; i++) {
    const s = await regs.uhwRr(MT_UDMA_CONN_INFRA_STATUS);
    if (s & MT_UDMA_CONN_WFSYS_INIT_DONE) {
      log('WFSYS reset done');
      return;
    }
    await sleep(clock, 100);
  }
  throw new Mt7921uError(
    'wfsys-reset-timeout',
    'WFSYS reset: the WF subsystem did not report init done (0x74000a20 BIT22)',
  );
}

/** mt792xu_mcu_power_on: POWER_ON vendor request, then FW_PWR_ON within 500 ms. */
export async function mcuPowerOn(regs: RegAccess, clock: Clock): Promise<void> {
  await regs.mcuPowerOn();
  const ok = await pollMsec(
    regs,
    clock,
    MT_CONN_ON_MISC,
    MT_TOP_MISC2_FW_PWR_ON,
    MT_TOP_MISC2_FW_PWR_ON,
    MCU_POWER_ON_TIMEOUT_MS,
  );
  if (!ok)
    throw new Mt7921uError('power-on-timeout', 'Timeout for power on: MT_CONN_ON_MISC FW_PWR_ON did not come up');
}

/** mt792xu_wfdma_init (§3.3 steps 1–4). */
async function wfdmaInit(regs: RegAccess): Promise<void> {
  for (const [ring, base] of MT_TX_RING_PREFETCH) {
    await regs.rmw(
      MT_UWFDMA0_TX_RING_EXT_CTRL(ring),
      (MT_WPDMA0_MAX_CNT_MASK | MT_WPDMA0_BASE_PTR_MASK) >>> 0,
      (4 | (base << 16)) >>> 0,
    );
  }
  await regClear(regs, MT_UWFDMA0_GLO_CFG, MT_WFDMA0_GLO_CFG_OMIT_RX_INFO);
  await regSet(
    regs,
    MT_UWFDMA0_GLO_CFG,
    (MT_WFDMA0_GLO_CFG_OMIT_TX_INFO |
      MT_WFDMA0_GLO_CFG_OMIT_RX_INFO_PFET2 |
      MT_WFDMA0_GLO_CFG_FW_DWLD_BYPASS_DMASHDL |
      MT_WFDMA0_GLO_CFG_TX_DMA_EN |
      MT_WFDMA0_GLO_CFG_RX_DMA_EN) >>>
      0,
  );
  // DMASHDL
  await regs.rmw(MT_DMASHDL_REFILL, MT_DMASHDL_REFILL_MASK, 0xffe00000);
  await regClear(regs, MT_DMASHDL_PAGE, MT_DMASHDL_GROUP_SEQ_ORDER);
  await regs.rmw(MT_DMASHDL_PKT_MAX_SIZE, 0x0fff0fff, 1);
  for (let i = 0; i < 5; i++) await regs.wr(MT_DMASHDL_GROUP_QUOTA(i), 0x0fff0003);
  for (let i = 5; i < 16; i++) await regs.wr(MT_DMASHDL_GROUP_QUOTA(i), 0);
  await regs.wr(MT_DMASHDL_Q_MAP(0), 0x32013201);
  await regs.wr(MT_DMASHDL_Q_MAP(1), 0x32013201);
  await regs.wr(MT_DMASHDL_Q_MAP(2), 0x55555444);
  await regs.wr(MT_DMASHDL_Q_MAP(3), 0x55555444);
  await regs.wr(MT_DMASHDL_SCHED_SET(0), 0x76540132);
  await regs.wr(MT_DMASHDL_SCHED_SET(1), 0xfedcba98);
  await regSet(regs, MT_WFDMA_DUMMY_CR, MT_WFDMA_NEED_REINIT);
}

/** mt792xu_dma_init (§3.3). `resume` skips the EP4 event routing and the EP reset option. */
export async function dmaInit(regs: RegAccess, clock: Clock, resume = false): Promise<void> {
  await wfdmaInit(regs);
  await regClear(regs, MT_UDMA_WLCFG_0, MT_WL_RX_FLUSH);
  await regSet(regs, MT_UDMA_WLCFG_0, (MT_WL_RX_EN | MT_WL_TX_EN | MT_WL_RX_MPSZ_PAD0 | MT_TICK_1US_EN) >>> 0);
  await regClear(regs, MT_UDMA_WLCFG_0, (MT_WL_RX_AGG_TO | MT_WL_RX_AGG_LMT) >>> 0);
  await regClear(regs, MT_UDMA_WLCFG_1, MT_WL_RX_AGG_PKT_LMT);
  if (resume) return;
  // route RX events to EP4 (0x84)
  const idle = await pollUsec(regs, clock, MT_UWFDMA0_GLO_CFG, MT_WFDMA0_GLO_CFG_RX_DMA_BUSY, 0, 1000);
  if (!idle) throw new Mt7921uError('dma-busy', 'DMA init: RX DMA stayed busy (UWFDMA0_GLO_CFG BIT3)');
  await regClear(regs, MT_UWFDMA0_GLO_CFG, MT_WFDMA0_GLO_CFG_RX_DMA_EN);
  await regSet(regs, MT_WFDMA_HOST_CONFIG, MT_WFDMA_HOST_CONFIG_USB_RXEVT_EP4_EN);
  await regSet(regs, MT_UWFDMA0_GLO_CFG, MT_WFDMA0_GLO_CFG_RX_DMA_EN);
  await epctlRstOptClear(regs);
  log('DMA init done');
}
