/**
 * MT7921U register map (FACTS.md §3.1, §3.5; names as in mt76's mt792x_regs.h and mt7921/regs.h).
 *
 * On USB every register is addressed by its full 32-bit address (vendor requests READ_EXT/WRITE_EXT), except the
 * four "UHW" host-wrapper registers marked below, which go through DEV_MODE/WRITE (FACTS §2.3). There is no
 * windowing or remap.
 */

/** BIT(n) as an unsigned 32-bit value. */
export const BIT = (n: number): number => (1 << n) >>> 0;

/** GENMASK(hi, lo) as an unsigned 32-bit value. */
export function GENMASK(hi: number, lo: number): number {
  const width = hi - lo + 1;
  const ones = width >= 32 ? 0xffffffff : (1 << width) - 1;
  return (ones << lo) >>> 0;
}

/** FIELD_GET(mask, v) */
export function FIELD_GET(mask: number, v: number): number {
  const shift = ctz32(mask);
  return ((v & mask) >>> shift) >>> 0;
}

/** FIELD_PREP(mask, v): `v` shifted into `mask` (excess bits are cut off). */
export function FIELD_PREP(mask: number, v: number): number {
  const shift = ctz32(mask);
  return ((v << shift) & mask) >>> 0;
}

function ctz32(mask: number): number {
  if (mask === 0) return 0;
  return 31 - Math.clz32(mask & -mask);
}

// ---------------------------------------------------------------------------------------------------------------
// Chip identity and top-level state (§3.1)

export const MT_HW_BOUND = 0x70010020;
export const MT_HW_CHIPID = 0x70010200;
export const MT_HW_REV = 0x70010204;

export const MT_CONN_ON_LPCTL = 0x7c060010;
export const PCIE_LPCR_HOST_SET_OWN = BIT(0);
export const PCIE_LPCR_HOST_CLR_OWN = BIT(1);
export const PCIE_LPCR_HOST_OWN_SYNC = BIT(2);

export const MT_CONN_ON_MISC = 0x7c0600f0;
export const MT_TOP_MISC2_FW_PWR_ON = BIT(0);
export const MT_TOP_MISC2_FW_N9_ON = BIT(1);
/** [1:0] == 3 once the RAM firmware runs. */
export const MT_TOP_MISC2_FW_N9_RDY = GENMASK(1, 0);
/** [2:0] firmware state (values: FwState). */
export const MT_TOP_MISC2_FW_STATE = GENMASK(2, 0);

export const MT_CONN_STATUS = 0x7c053c10;
export const MT_CONN_PATCH_DL_STATE = BIT(0);

/** FW_STATE values (mt76_connac_mcu.h). */
export enum FwState {
  INITIAL = 0,
  FW_DOWNLOAD = 1,
  NORMAL_OPERATION = 2,
  NORMAL_TRX = 3,
  RDY = 7,
}

/** PCIe view of FW_STATE; not used on USB. */
export const MT_TOP_MISC = 0x180600f0;
export const MT_TOP_MISC_FW_STATE = GENMASK(2, 0);

/** WF subsystem reset (UHW access). */
export const MT_CBTOP_RGU_WF_SUBSYS_RST = 0x70002600;
export const MT_CBTOP_RGU_WF_SUBSYS_RST_WF_WHOLE_PATH = BIT(0);

// ---------------------------------------------------------------------------------------------------------------
// USB DMA (UMAC) — §3.1, §3.3

export const MT_UMAC_BASE = 0x74000000;
export const MT_UMAC = (ofs: number): number => MT_UMAC_BASE + ofs;

export const MT_UDMA_TX_QSEL = MT_UMAC(0x008);
export const MT_FW_DL_EN = BIT(3);

export const MT_UDMA_WLCFG_1 = MT_UMAC(0x00c);
export const MT_WL_RX_AGG_PKT_LMT = GENMASK(7, 0);
export const MT_WL_TX_TMOUT_LMT = GENMASK(27, 8);

export const MT_UDMA_WLCFG_0 = MT_UMAC(0x018);
export const MT_WL_RX_AGG_TO = GENMASK(7, 0);
export const MT_WL_RX_AGG_LMT = GENMASK(15, 8);
export const MT_WL_TX_TMOUT_FUNC_EN = BIT(16);
export const MT_WL_TX_DPH_CHK_EN = BIT(17);
export const MT_WL_RX_MPSZ_PAD0 = BIT(18);
export const MT_WL_RX_FLUSH = BIT(19);
export const MT_TICK_1US_EN = BIT(20);
export const MT_WL_RX_AGG_EN = BIT(21);
export const MT_WL_RX_EN = BIT(22);
export const MT_WL_TX_EN = BIT(23);
export const MT_WL_RX_BUSY = BIT(30);
export const MT_WL_TX_BUSY = BIT(31);

/** UHW access. */
export const MT_UDMA_CONN_INFRA_STATUS = MT_UMAC(0xa20);
export const MT_UDMA_CONN_WFSYS_INIT_DONE = BIT(22);
/** UHW access. */
export const MT_UDMA_CONN_INFRA_STATUS_SEL = MT_UMAC(0xa24);

/** UHW access. */
export const MT_SSUSB_EPCTL_CSR_EP_RST_OPT = 0x74011890;
/** Bulk OUT endpoints 4–9. */
export const MT_SSUSB_EP_RST_OPT_OUT_BULK = GENMASK(9, 4);
/** Bulk IN endpoints 4–5 ([21:20]) and the interrupt IN endpoint 6 (BIT22). */
export const MT_SSUSB_EP_RST_OPT_IN = GENMASK(22, 20);

/** The registers that go through the UHW vendor requests (FACTS §2.3); everything else uses READ_EXT/WRITE_EXT. */
export const UHW_REGISTERS: ReadonlySet<number> = new Set([
  MT_SSUSB_EPCTL_CSR_EP_RST_OPT,
  MT_CBTOP_RGU_WF_SUBSYS_RST,
  MT_UDMA_CONN_INFRA_STATUS_SEL,
  MT_UDMA_CONN_INFRA_STATUS,
]);

// ---------------------------------------------------------------------------------------------------------------
// WFDMA as seen from USB (§3.3)

export const MT_UWFDMA0_BASE = 0x7c024000;
export const MT_UWFDMA0 = (ofs: number): number => MT_UWFDMA0_BASE + ofs;

export const MT_UWFDMA0_GLO_CFG = MT_UWFDMA0(0x208);
export const MT_WFDMA0_GLO_CFG_TX_DMA_EN = BIT(0);
export const MT_WFDMA0_GLO_CFG_TX_DMA_BUSY = BIT(1);
export const MT_WFDMA0_GLO_CFG_RX_DMA_EN = BIT(2);
export const MT_WFDMA0_GLO_CFG_RX_DMA_BUSY = BIT(3);
export const MT_WFDMA0_GLO_CFG_FW_DWLD_BYPASS_DMASHDL = BIT(9);
export const MT_WFDMA0_GLO_CFG_OMIT_RX_INFO_PFET2 = BIT(21);
export const MT_WFDMA0_GLO_CFG_OMIT_RX_INFO = BIT(27);
export const MT_WFDMA0_GLO_CFG_OMIT_TX_INFO = BIT(28);

export const MT_UWFDMA0_TX_RING_EXT_CTRL = (n: number): number => MT_UWFDMA0(0x600 + (n << 2));
export const MT_WPDMA0_MAX_CNT_MASK = GENMASK(7, 0);
export const MT_WPDMA0_BASE_PTR_MASK = GENMASK(31, 16);

/** TX ring prefetch settings of DMA init step 1: [ring, base]. Ring 16 = FWDL, 17 = MCU WM. */
export const MT_TX_RING_PREFETCH: ReadonlyArray<readonly [number, number]> = [
  [0, 0x080],
  [1, 0x0c0],
  [2, 0x100],
  [3, 0x140],
  [4, 0x180],
  [16, 0x280],
  [17, 0x2c0],
];

export const MT_DMA_SHDL_BASE = 0x7c026000;
export const MT_DMA_SHDL = (ofs: number): number => MT_DMA_SHDL_BASE + ofs;
export const MT_DMASHDL_SW_CONTROL = MT_DMA_SHDL(0x004);
export const MT_DMASHDL_DMASHDL_BYPASS = BIT(28);
export const MT_DMASHDL_OPTIONAL = MT_DMA_SHDL(0x008);
export const MT_DMASHDL_PAGE = MT_DMA_SHDL(0x00c);
export const MT_DMASHDL_GROUP_SEQ_ORDER = BIT(16);
export const MT_DMASHDL_REFILL = MT_DMA_SHDL(0x010);
export const MT_DMASHDL_REFILL_MASK = GENMASK(31, 16);
export const MT_DMASHDL_PKT_MAX_SIZE = MT_DMA_SHDL(0x01c);
export const MT_DMASHDL_PKT_MAX_SIZE_PLE = GENMASK(11, 0);
export const MT_DMASHDL_PKT_MAX_SIZE_PSE = GENMASK(27, 16);
export const MT_DMASHDL_GROUP_QUOTA = (n: number): number => MT_DMA_SHDL(0x020 + (n << 2));
export const MT_DMASHDL_GROUP_QUOTA_MIN = GENMASK(11, 0);
export const MT_DMASHDL_GROUP_QUOTA_MAX = GENMASK(27, 16);
export const MT_DMASHDL_Q_MAP = (n: number): number => MT_DMA_SHDL(0x060 + (n << 2));
export const MT_DMASHDL_SCHED_SET = (n: number): number => MT_DMA_SHDL(0x070 + (n << 2));

export const MT_WFDMA_HOST_CONFIG = 0x7c027030;
export const MT_WFDMA_HOST_CONFIG_USB_RXEVT_EP4_EN = BIT(6);

export const MT_WFDMA_DUMMY_CR = 0x54000120;
export const MT_WFDMA_NEED_REINIT = BIT(1);

export const MT_SWDEF_MODE = 0x0041f23c;
export const MT_SWDEF_NORMAL_MODE = 0;
export const MT_SWDEF_ICAP_MODE = 1;
export const MT_SWDEF_SPECTRUM_MODE = 2;

export const MT_WF_SW_DEF_CR_USB_MCU_EVENT = 0x00401a28;
export const MT_WF_SW_SER_TRIGGER_SUSPEND = BIT(6);
export const MT_WF_SW_SER_DONE_SUSPEND = BIT(7);

// ---------------------------------------------------------------------------------------------------------------
// MAC (§3.5, §3.6, §7.2)

export const MT_PSE_BASE = 0x820c8000;

export const MT_MDP_BASE = 0x820cd000;
export const MT_MDP_DCR0 = MT_MDP_BASE + 0x000;
export const MT_MDP_DCR0_DAMSDU_EN = BIT(15);
export const MT_MDP_DCR0_RX_HDR_TRANS_EN = BIT(19);
export const MT_MDP_DCR1 = MT_MDP_BASE + 0x004;
export const MT_MDP_DCR1_MAX_RX_LEN = GENMASK(15, 3);

export const MT_WTBLON_TOP_BASE = 0x820d4000;
export const MT_WTBL_UPDATE = MT_WTBLON_TOP_BASE + 0x230;
export const MT_WTBL_UPDATE_WLAN_IDX = GENMASK(9, 0);
export const MT_WTBL_UPDATE_ADM_COUNT_CLEAR = BIT(12);
export const MT_WTBL_UPDATE_BUSY = BIT(31);

export const MT_WTBL_BASE = 0x820d8000;
/** WTBL DW of an LMAC entry, polled by the status worker (§7.2). */
export const MT_WTBL_LMAC_OFFS = (wcid: number, dw: number): number =>
  (MT_WTBL_BASE | FIELD_PREP(GENMASK(14, 8), wcid) | FIELD_PREP(GENMASK(7, 2), dw)) >>> 0;

const band = (b: number, base0: number, base1: number): number => (b ? base1 : base0);

export const MT_WF_TMAC_BASE = (b: number): number => band(b, 0x820e4000, 0x820f4000);
export const MT_TMAC_CTCR0 = (b: number): number => MT_WF_TMAC_BASE(b) + 0x0f4;
export const MT_TMAC_CTCR0_INS_DDLMT_REFTIME = GENMASK(5, 0);
export const MT_TMAC_CTCR0_INS_DDLMT_EN = BIT(17);
export const MT_TMAC_CTCR0_INS_DDLMT_VHT_SMPDU_EN = BIT(18);

export const MT_WF_RMAC_BASE = (b: number): number => band(b, 0x820e5000, 0x820f5000);
export const MT_WF_RFCR = (b: number): number => MT_WF_RMAC_BASE(b) + 0x000;
export const MT_WF_RMAC_MIB_TIME0 = (b: number): number => MT_WF_RMAC_BASE(b) + 0x3c4;
export const MT_WF_RMAC_MIB_AIRTIME0 = (b: number): number => MT_WF_RMAC_BASE(b) + 0x380;
export const MT_WF_RMAC_MIB_RXTIME_CLR = BIT(31);
export const MT_WF_RMAC_MIB_RXTIME_EN = BIT(30);

/** MT_WF_RFCR drop bits (used by SET_RX_FILTER mode 2, §6.9). */
export const MT_WF_RFCR_DROP_STBC_MULTI = BIT(0);
export const MT_WF_RFCR_DROP_FCSFAIL = BIT(1);
export const MT_WF_RFCR_DROP_VERSION = BIT(3);
export const MT_WF_RFCR_DROP_PROBEREQ = BIT(4);
export const MT_WF_RFCR_DROP_MCAST = BIT(5);
export const MT_WF_RFCR_DROP_BCAST = BIT(6);
export const MT_WF_RFCR_DROP_MCAST_FILTERED = BIT(7);
export const MT_WF_RFCR_DROP_A3_MAC = BIT(8);
export const MT_WF_RFCR_DROP_A3_BSSID = BIT(9);
export const MT_WF_RFCR_DROP_A2_BSSID = BIT(10);
export const MT_WF_RFCR_DROP_OTHER_BEACON = BIT(11);
export const MT_WF_RFCR_DROP_FRAME_REPORT = BIT(12);
export const MT_WF_RFCR_DROP_CTL_RSV = BIT(13);
export const MT_WF_RFCR_DROP_CTS = BIT(14);
export const MT_WF_RFCR_DROP_RTS = BIT(15);
export const MT_WF_RFCR_DROP_DUPLICATE = BIT(16);
export const MT_WF_RFCR_DROP_OTHER_BSS = BIT(17);
export const MT_WF_RFCR_DROP_OTHER_UC = BIT(18);
export const MT_WF_RFCR_DROP_OTHER_TIM = BIT(19);
export const MT_WF_RFCR_DROP_NDPA = BIT(20);
export const MT_WF_RFCR_DROP_UNWANTED_CTL = BIT(21);

export const MT_WF_MIB_BASE = (b: number): number => band(b, 0x820ed000, 0x820fd000);
export const MT_MIB_SCR1 = (b: number): number => MT_WF_MIB_BASE(b) + 0x004;
export const MT_MIB_TXDUR_EN = BIT(8);
export const MT_MIB_RXDUR_EN = BIT(9);

export const MT_WF_DMA_BASE = (b: number): number => band(b, 0x820e7000, 0x820f7000);
export const MT_DMA_DCR0 = (b: number): number => MT_WF_DMA_BASE(b) + 0x000;
export const MT_DMA_DCR0_MAX_RX_LEN = GENMASK(15, 3);
export const MT_DMA_DCR0_RXD_G5_EN = BIT(23);

export const MT_WTBLOFF_TOP_BASE = (b: number): number => band(b, 0x820e9000, 0x820f9000);
export const MT_WTBLOFF_TOP_RSCR = (b: number): number => MT_WTBLOFF_TOP_BASE(b) + 0x008;
export const MT_WTBLOFF_TOP_RSCR_RCPI_MODE = GENMASK(31, 30);
export const MT_WTBLOFF_TOP_RSCR_RCPI_PARAM = GENMASK(25, 24);

/** Number of WTBL entries the driver uses (MT792x_WTBL_SIZE). */
export const MT792X_WTBL_SIZE = 20;
/** Maximum RX length programmed into MDP and DMA (§3.5). */
export const MT_RX_MAX_LEN = 1536;

/** MIB/AGG counters read (to clear) by mt792x_mac_reset_counters. */
export const MT_MIB_SDR9 = (b: number): number => MT_WF_MIB_BASE(b) + 0x02c;
export const MT_MIB_SDR36 = (b: number): number => MT_WF_MIB_BASE(b) + 0x054;
export const MT_MIB_SDR37 = (b: number): number => MT_WF_MIB_BASE(b) + 0x058;
export const MT_TX_AGG_CNT = (b: number, n: number): number => MT_WF_MIB_BASE(b) + 0x7dc + (n << 2);
export const MT_TX_AGG_CNT2 = (b: number, n: number): number => MT_WF_MIB_BASE(b) + 0x7ec + (n << 2);
