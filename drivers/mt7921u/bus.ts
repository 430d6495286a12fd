/**
 * What the driver core needs from the USB bus, as small interfaces (mt76's bus ops). The real transport and the
 * vendor-request register layer (drivers/mt7921u/usb/), the emulator and the replayer implement them; the driver
 * core never sees `usb` itself.
 */

/** Register access through vendor requests (FACTS.md §2.3). All values are unsigned 32-bit. */
export interface RegAccess {
  /** READ_EXT 32-bit read. */
  rr(addr: number): Promise<number>;
  /** WRITE_EXT 32-bit write. */
  wr(addr: number, val: number): Promise<void>;
  /** Read-modify-write under one lock: new = (old & ~mask) | val. Returns the value written. */
  rmw(addr: number, mask: number, val: number): Promise<number>;
  /** UHW read (DEV_MODE 0x01, 0xde) — only for the four host-wrapper registers. */
  uhwRr(addr: number): Promise<number>;
  /** UHW write (WRITE 0x02, 0x5e). */
  uhwWr(addr: number, val: number): Promise<void>;
  /** POWER_ON vendor request (0x04, wValue 0, wIndex 1, no data). */
  mcuPowerOn(): Promise<void>;
}

/** mt76_set */
export function regSet(regs: RegAccess, addr: number, bits: number): Promise<number> {
  return regs.rmw(addr, 0, bits);
}

/** mt76_clear */
export function regClear(regs: RegAccess, addr: number, bits: number): Promise<number> {
  return regs.rmw(addr, bits, 0);
}

/** mt76_rmw_field: write `val` into the field `mask`. */
export function regRmwField(regs: RegAccess, addr: number, mask: number, val: number): Promise<number> {
  const shift = 31 - Math.clz32(mask & -mask);
  return regs.rmw(addr, mask, ((val << shift) & mask) >>> 0);
}

/** Bulk pipes by endpoint address (0x84, 0x85 IN; 0x08, 0x04..0x07, 0x09 OUT on a real device). */
export interface BulkPipes {
  /**
   * One bulk OUT transfer; resolves when the device took it. Transfers on one endpoint complete (resolve or reject)
   * in the order they were submitted, as USB completes an endpoint's URBs: the TX path relies on it.
   */
  bulkOut(ep: number, data: Uint8Array): Promise<void>;
  /**
   * One bulk IN transfer of up to `length` bytes; resolves with what arrived (one packet: RX aggregation is off).
   * Several may be outstanding per endpoint. Rejects on stall, cancel or device loss.
   */
  bulkIn(ep: number, length: number): Promise<Uint8Array>;
}

/** An endpoint of the Wi-Fi interface, in descriptor order. */
export interface UsbEndpointInfo {
  /** bEndpointAddress (bit 7 = IN) */
  address: number;
  /** 'bulk' | 'interrupt' | 'isochronous' | 'control' */
  type: string;
  maxPacketSize?: number;
}

/** The whole bus as the bring-up code uses it. */
export interface UsbBus extends BulkPipes {
  /** usb_reset_device */
  resetDevice(): Promise<void>;
  /** The endpoints of the Wi-Fi interface's current alt setting, in descriptor order. */
  endpoints(): readonly UsbEndpointInfo[];
  /** True once the device is gone (unplugged, -ENODEV): every pending and future operation fails. */
  readonly removed: boolean;
  /** Cancel every outstanding bulk IN read (mt76u_stop_rx); their promises reject. Optional. */
  cancelBulkIn?(): void;
}

/** Endpoint indexes of mt76.h. */
export enum EpIn {
  PKT_RX = 0,
  CMD_RESP = 1,
}

export enum EpOut {
  INBAND_CMD = 0,
  AC_BE = 1,
  AC_BK = 2,
  AC_VI = 3,
  AC_VO = 4,
  HCCA = 5,
}

export interface EndpointMap {
  /** in[EpIn] = endpoint address */
  in: [number, number];
  /** out[EpOut] = endpoint address */
  out: [number, number, number, number, number, number];
}

/** The map of a real 0e8d:7961 (FACTS §1.2/§1.3). */
export const MT7921U_DEFAULT_ENDPOINTS: EndpointMap = {
  in: [0x84, 0x85],
  out: [0x08, 0x04, 0x05, 0x06, 0x07, 0x09],
};

/**
 * mt76u_set_endpoints: walk the endpoints in descriptor order, the first 2 bulk IN become in[0..1] and the first
 * 6 bulk OUT become out[0..5]; extra ones are ignored, interrupt endpoints are never used. Throws when there are
 * fewer than 2 bulk IN or 6 bulk OUT (probe fails: not a supported interface).
 */
export function setEndpoints(eps: readonly UsbEndpointInfo[]): EndpointMap {
  const ins: number[] = [];
  const outs: number[] = [];
  for (const ep of eps) {
    if (ep.type !== 'bulk') continue;
    if (ep.address & 0x80) {
      if (ins.length < 2) ins.push(ep.address);
    } else if (outs.length < 6) {
      outs.push(ep.address);
    }
  }
  if (ins.length < 2 || outs.length < 6) {
    throw new Error(
      `the Wi-Fi interface has ${ins.length} bulk IN and ${outs.length} bulk OUT endpoints; ` +
        'MT7921U needs at least 2 and 6 (is this the right interface?)',
    );
  }
  return { in: [ins[0]!, ins[1]!], out: [outs[0]!, outs[1]!, outs[2]!, outs[3]!, outs[4]!, outs[5]!] };
}
