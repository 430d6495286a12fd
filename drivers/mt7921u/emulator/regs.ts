/**
 * The emulated chip's register file (FACTS.md §3.1, §8). Written from FACTS.md, independently of the driver's own
 * register map: the emulator must not share the driver's constants, or a wrong constant would agree with itself.
 *
 * Default behaviour: store and return the last written value (0 before any write). The registers with behaviour of
 * their own (chip id, MISC, reset, busy bits) are handled by `ChipRegisters` and its owner through `RegisterHooks`.
 */

export const R = {
  HW_CHIPID: 0x70010200,
  HW_REV: 0x70010204,
  CONN_ON_MISC: 0x7c0600f0,
  WF_SUBSYS_RST: 0x70002600,
  UDMA_TX_QSEL: 0x74000008,
  UDMA_WLCFG_1: 0x7400000c,
  UDMA_WLCFG_0: 0x74000018,
  CONN_INFRA_STATUS: 0x74000a20,
  CONN_INFRA_STATUS_SEL: 0x74000a24,
  EPCTL_RST_OPT: 0x74011890,
  WFDMA_GLO_CFG: 0x7c024208,
  WFDMA_HOST_CONFIG: 0x7c027030,
  WFDMA_DUMMY_CR: 0x54000120,
  SWDEF_MODE: 0x0041f23c,
  USB_MCU_EVENT: 0x00401a28,
  MDP_DCR0: 0x820cd000,
  WTBL_UPDATE: 0x820d4230,
  DMA_DCR0: 0x820e7000,
} as const;

/** Registers reachable only through the UHW vendor-request pair (FACTS.md §2.3). */
export const UHW_REGISTERS: ReadonlySet<number> = new Set([
  R.EPCTL_RST_OPT,
  R.WF_SUBSYS_RST,
  R.CONN_INFRA_STATUS_SEL,
  R.CONN_INFRA_STATUS,
]);

export const MISC_FW_PWR_ON = 1 << 0;
export const MISC_FW_STATE_MASK = 0x7;
export const QSEL_FW_DL_EN = 1 << 3;
export const WLCFG0_RX_EN = 1 << 22;
export const WLCFG0_TX_EN = 1 << 23;
export const WLCFG0_BUSY = (1 << 30) | (1 << 31);
export const INFRA_WFSYS_INIT_DONE = 1 << 22;
export const GLO_CFG_TX_DMA_BUSY = 1 << 1;
export const GLO_CFG_RX_DMA_BUSY = 1 << 3;
export const HOST_CONFIG_RXEVT_EP4_EN = 1 << 6;
export const WTBL_UPDATE_BUSY = 1 << 31;
export const WF_SUBSYS_RST_WHOLE_PATH = 1 << 0;
export const MDP_DCR0_RX_HDR_TRANS_EN = 1 << 19;
export const DMA_DCR0_RXD_G5_EN = 1 << 23;

/** FACTS.md §3.2: CHIPID low half 0x7961, REV low byte 0x10. */
// GUESS: the upper halves of CHIPID and REV read 0 (FACTS: unknown; 0x00007961 works with Linux).
const CHIPID_VALUE = 0x00007961;
const REV_VALUE = 0x00000010;

/** The register ranges a WF subsystem reset returns to their defaults. */
// GUESS: WFSYS reset clears the WFDMA (0x7c02xxxx), the WF MAC (0x820xxxxx), the WF software-defined CRs (0x004xxxxx)
// and the WFDMA dummy CR (so a driver must redo DMA init after it); the USB-side UDMA registers (0x7400xxxx)
// survive it.
function clearedByWfsysReset(addr: number): boolean {
  const a = addr >>> 0;
  return (
    (a >= 0x7c020000 && a < 0x7c030000) ||
    (a >= 0x82000000 && a < 0x83000000) ||
    (a >= 0x00400000 && a < 0x00500000) ||
    a === R.WFDMA_DUMMY_CR
  );
}

export interface RegisterHooks {
  /** Current MT_CONN_ON_MISC value (owned by the MCU model). */
  misc(): number;
  /** BIT0 of WF_SUBSYS_RST changed. */
  wfsysReset(asserted: boolean): void;
}

export class ChipRegisters {
  private readonly store = new Map<number, number>();
  /** True while WF_SUBSYS_RST BIT0 is held set. */
  private resetAsserted = false;

  constructor(private readonly hooks: RegisterHooks) {}

  /** A READ_EXT / MCU REG_READ of `addr`. */
  read(addr: number): number {
    addr >>>= 0;
    switch (addr) {
      case R.HW_CHIPID:
        return CHIPID_VALUE;
      case R.HW_REV:
        return REV_VALUE;
      case R.CONN_ON_MISC:
        return this.hooks.misc() >>> 0;
      case R.WFDMA_GLO_CFG:
        // FACTS §8: RX_DMA_BUSY reads 0. GUESS: TX_DMA_BUSY too (the emulated DMA is never busy).
        return (this.raw(addr) & ~(GLO_CFG_RX_DMA_BUSY | GLO_CFG_TX_DMA_BUSY)) >>> 0;
      case R.WTBL_UPDATE:
        return (this.raw(addr) & ~WTBL_UPDATE_BUSY) >>> 0;
      case R.UDMA_WLCFG_0:
        // GUESS: the UDMA RX/TX busy bits (30/31, polled by NW before a reset) read 0.
        return (this.raw(addr) & ~WLCFG0_BUSY) >>> 0;
      case R.USB_MCU_EVENT:
        return 0; // FACTS §8: no SER on resume.
      default:
        return this.raw(addr);
    }
  }

  /** A WRITE_EXT / MCU REG_WRITE of `addr`. */
  write(addr: number, value: number): void {
    addr >>>= 0;
    value >>>= 0;
    switch (addr) {
      case R.HW_CHIPID:
      case R.HW_REV:
      case R.CONN_ON_MISC:
        // GUESS: identity and MISC are read-only from the host; writes are ignored.
        return;
      default:
        this.store.set(addr, value);
    }
  }

  /** A UHW read (DEV_MODE 0x01 / 0xde). Only the four UHW registers answer; see `isUhw`. */
  readUhw(addr: number): number {
    addr >>>= 0;
    if (addr === R.CONN_INFRA_STATUS) {
      // FACTS §3.4/§8: BIT22 WFSYS_INIT_DONE reads 1. GUESS: it reads 0 while the reset is held asserted.
      return this.resetAsserted ? 0 : INFRA_WFSYS_INIT_DONE;
    }
    return this.raw(addr);
  }

  writeUhw(addr: number, value: number): void {
    addr >>>= 0;
    value >>>= 0;
    if (addr === R.CONN_INFRA_STATUS) return; // GUESS: status register is read-only.
    this.store.set(addr, value);
    if (addr === R.WF_SUBSYS_RST) {
      const asserted = (value & WF_SUBSYS_RST_WHOLE_PATH) !== 0;
      if (asserted !== this.resetAsserted) {
        this.resetAsserted = asserted;
        if (asserted) this.clearWfsys();
        this.hooks.wfsysReset(asserted);
      }
    }
  }

  /** The stored value, without side effects (for the emulator's own use and for tests). */
  raw(addr: number): number {
    return this.store.get(addr >>> 0) ?? 0;
  }

  /** Set a stored value without side effects (initial state). */
  setRaw(addr: number, value: number): void {
    this.store.set(addr >>> 0, value >>> 0);
  }

  bits(addr: number, mask: number): boolean {
    return (this.raw(addr) & mask) !== 0;
  }

  private clearWfsys(): void {
    for (const addr of [...this.store.keys()]) if (clearedByWfsysReset(addr)) this.store.delete(addr);
  }
}
