/**
 * Register access over USB vendor requests, exactly as mt7921u does it (FACTS §2; mt792x_usb.c, usb.c):
 *
 *   32-bit read   READ_EXT  0x63, bmRequestType 0xdf, wLength 4 → LE32; 0xffffffff on a short or failed read
 *   32-bit write  WRITE_EXT 0x66, 0x5f, 4 bytes LE
 *   UHW read      DEV_MODE  0x01, 0xde;  UHW write  WRITE 0x02, 0x5e   (host-wrapper registers only)
 *   block write   0x66, 0x5f, in chunks of max(EP0 max packet, 32), length rounded up to 4, each chunk addressed
 *   block read    0x63, 0xc0 (plain vendor/device, as mt76u_read_copy), same chunking
 *   MCU power on  POWER_ON 0x04, 0x5f, wValue 0, wIndex 1, no data
 *
 * wValue = address bits 31:16, wIndex = bits 15:0. Every request: 300 ms timeout, up to 10 attempts with a
 * 5–10 ms sleep after each failure (usleep_range(5000, 10000)); a 'nodev' or protocol error marks the device
 * removed at once (MT76_REMOVED), after which every request fails immediately without touching the bus. Accesses
 * are serialized under one lock (usb_ctrl_mtx), so a read-modify-write is atomic with respect to the others.
 * Sleeps are taken on the injected clock.
 */
import type { Clock } from '../../../netstack/core/clock.ts';
import { logger } from '../../../netstack/core/log.ts';
import type { Prng } from '../../../netstack/core/prng.ts';
import { UsbError, type UsbTransport } from '../transport.ts';

const log = logger('mt7921u:usb');

/** enum mt_vendor_req (mt76.h) */
export const MT_VEND_DEV_MODE = 0x01;
export const MT_VEND_WRITE = 0x02;
export const MT_VEND_POWER_ON = 0x04;
export const MT_VEND_MULTI_WRITE = 0x06;
export const MT_VEND_MULTI_READ = 0x07;
export const MT_VEND_READ_EEPROM = 0x09;
export const MT_VEND_WRITE_FCE = 0x42;
export const MT_VEND_WRITE_CFG = 0x46;
export const MT_VEND_READ_CFG = 0x47;
export const MT_VEND_READ_EXT = 0x63;
export const MT_VEND_WRITE_EXT = 0x66;
export const MT_VEND_FEATURE_SET = 0x91;

export const USB_DIR_IN = 0x80;
export const USB_TYPE_VENDOR = 0x40;
/** MT_USB_TYPE_VENDOR: vendor type, recipient 0x1f (mt792x.h). */
export const MT_USB_TYPE_VENDOR = USB_TYPE_VENDOR | 0x1f;
/** MT_USB_TYPE_UHW_VENDOR: vendor type, recipient 0x1e. */
export const MT_USB_TYPE_UHW_VENDOR = USB_TYPE_VENDOR | 0x1e;

export const MT_VEND_REQ_MAX_RETRY = 10;
export const MT_VEND_REQ_TOUT_MS = 300;
/** MT_HW_CHIPID, read by the bus check. */
export const MT_HW_CHIPID = 0x70010200;

export interface RegAccessStats {
  /** Vendor requests issued (attempts, including retries). */
  attempts: number;
  /** Attempts that failed and were retried. */
  retries: number;
  /** Requests that failed after all attempts or on a fatal error. */
  failures: number;
  /** 32-bit reads that returned fewer than 4 bytes. */
  shortReads: number;
  /** Requests refused because the device is marked removed. */
  refused: number;
}

export interface RegAccessOptions {
  /** Per-request timeout (ms), default 300. */
  timeoutMs?: number;
  /** Attempts per request, default 10. */
  maxAttempts?: number;
  /** Jitter for the 5–10 ms retry sleep; without one every sleep is 5 ms. */
  prng?: Prng;
}

type Outcome = { ok: true; data: Uint8Array } | { ok: false; error: UsbError };

export class Mt792xUsbRegs {
  readonly stats: RegAccessStats = { attempts: 0, retries: 0, failures: 0, shortReads: 0, refused: 0 };
  /** The last error a request failed with (for logs and reports). */
  lastError: UsbError | null = null;
  private removedFlag = false;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly usb: UsbTransport,
    private readonly clock: Clock,
    private readonly opts: RegAccessOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? MT_VEND_REQ_TOUT_MS;
    this.maxAttempts = opts.maxAttempts ?? MT_VEND_REQ_MAX_RETRY;
  }

  /** MT76_REMOVED: set by a 'nodev' or protocol error, or when the transport reports the device gone. */
  get removed(): boolean {
    return this.removedFlag || this.usb.removed;
  }

  /** Control data buffer size: EP0 max packet, at least 32 (__mt76u_init). */
  get chunkSize(): number {
    return Math.max(this.usb.info.ep0MaxPacket, 32);
  }

  /** mt792xu_rr: READ_EXT. 0xffffffff when the read fails or is short. */
  rr(addr: number): Promise<number> {
    return this.locked(() => this.rr32(MT_VEND_READ_EXT, USB_DIR_IN | MT_USB_TYPE_VENDOR, addr));
  }

  /** mt792xu_wr: WRITE_EXT. Failures are counted, not thrown (the driver ignores them too). */
  wr(addr: number, val: number): Promise<void> {
    return this.locked(() => this.wr32(MT_VEND_WRITE_EXT, MT_USB_TYPE_VENDOR, addr, val));
  }

  /** mt792xu_rmw: (old & ~mask) | val under the lock; returns the value written. */
  rmw(addr: number, mask: number, val: number): Promise<number> {
    return this.locked(async () => {
      const old = await this.rr32(MT_VEND_READ_EXT, USB_DIR_IN | MT_USB_TYPE_VENDOR, addr);
      const v = ((old & ~mask) | val) >>> 0;
      await this.wr32(MT_VEND_WRITE_EXT, MT_USB_TYPE_VENDOR, addr, v);
      return v;
    });
  }

  /** mt76_set */
  set(addr: number, bits: number): Promise<number> {
    return this.rmw(addr, 0, bits);
  }

  /** mt76_clear */
  clear(addr: number, bits: number): Promise<number> {
    return this.rmw(addr, bits, 0);
  }

  /** mt792xu_uhw_rr: DEV_MODE with the UHW recipient. */
  uhwRr(addr: number): Promise<number> {
    return this.locked(() => this.rr32(MT_VEND_DEV_MODE, USB_DIR_IN | MT_USB_TYPE_UHW_VENDOR, addr));
  }

  /** mt792xu_uhw_wr: WRITE with the UHW recipient. */
  uhwWr(addr: number, val: number): Promise<void> {
    return this.locked(() => this.wr32(MT_VEND_WRITE, MT_USB_TYPE_UHW_VENDOR, addr, val));
  }

  /**
   * mt792xu_copy: write `data` (padded with zeros to a multiple of 4) from `addr` in chunks of `chunkSize`, each
   * chunk addressed at addr + offset. Stops at the first failed chunk; resolves false then.
   */
  copy(addr: number, data: Uint8Array): Promise<boolean> {
    const len = roundUp4(data.length);
    const buf = len === data.length ? data : padTo(data, len);
    return this.locked(async () => {
      for (let i = 0; i < len; ) {
        const n = Math.min(this.chunkSize, len - i);
        const r = await this.request(MT_VEND_WRITE_EXT, MT_USB_TYPE_VENDOR, addr + i, buf.subarray(i, i + n));
        if (!r.ok) return false;
        i += n;
      }
      return true;
    });
  }

  /**
   * mt76u_read_copy: read `len` bytes (rounded up to 4 on the bus) from `addr` with READ_EXT and bmRequestType
   * 0xc0, chunked as `copy`. Stops at the first failed chunk; the bytes not read are zero.
   */
  readCopy(addr: number, len: number): Promise<Uint8Array> {
    const total = roundUp4(len);
    const out = new Uint8Array(total);
    return this.locked(async () => {
      for (let i = 0; i < total; ) {
        const n = Math.min(this.chunkSize, total - i);
        const r = await this.request(MT_VEND_READ_EXT, USB_DIR_IN | USB_TYPE_VENDOR, addr + i, n);
        if (!r.ok) break;
        out.set(r.data.subarray(0, n), i);
        i += n;
      }
      return out.subarray(0, len);
    });
  }

  /** mt792xu_mcu_power_on's request: POWER_ON, wValue 0, wIndex 1, no data. Rejects with the UsbError on failure. */
  mcuPowerOn(): Promise<void> {
    return this.locked(async () => {
      const r = await this.raw(MT_VEND_POWER_ON, MT_USB_TYPE_VENDOR, 0x0000, 0x0001, null);
      if (!r.ok) throw r.error;
    });
  }

  /**
   * mt792xu bus check: MT_HW_CHIPID must read back 4 bytes; false means the bus is wedged (the driver then resets
   * the USB device).
   */
  checkBus(): Promise<boolean> {
    return this.locked(async () => {
      const r = await this.request(MT_VEND_READ_EXT, USB_DIR_IN | MT_USB_TYPE_VENDOR, MT_HW_CHIPID, 4);
      return r.ok && r.data.length === 4;
    });
  }

  /**
   * mt76_poll_msec: read `addr` until (value & mask) === val, re-reading every `intervalMs` (10) for up to
   * `timeoutMs`. Resolves whether it matched.
   */
  async pollMsec(addr: number, mask: number, val: number, timeoutMs: number, intervalMs = 10): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      if (((await this.rr(addr)) & mask) >>> 0 === val >>> 0) return true;
      if (this.clock.now() >= deadline || this.removed) return false;
      await this.sleep(intervalMs);
    }
  }

  private async rr32(req: number, type: number, addr: number): Promise<number> {
    const r = await this.request(req, type, addr, 4);
    if (!r.ok) return 0xffffffff;
    if (r.data.length !== 4) {
      this.stats.shortReads++;
      return 0xffffffff;
    }
    return (r.data[0]! | (r.data[1]! << 8) | (r.data[2]! << 16) | (r.data[3]! << 24)) >>> 0;
  }

  private async wr32(req: number, type: number, addr: number, val: number): Promise<void> {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, val >>> 0, true);
    await this.request(req, type, addr, b);
  }

  /** One register request: wValue/wIndex from the 32-bit address; `dataOrLength` is OUT data or the IN length. */
  private request(req: number, type: number, addr: number, dataOrLength: Uint8Array | number): Promise<Outcome> {
    return this.raw(req, type, (addr >>> 16) & 0xffff, addr & 0xffff, dataOrLength);
  }

  /** __mt76u_vendor_request: attempts, sleeps, removal. */
  private async raw(
    req: number,
    type: number,
    value: number,
    index: number,
    dataOrLength: Uint8Array | number | null,
  ): Promise<Outcome> {
    const setup = { requestType: type, request: req, value, index };
    let error = new UsbError('io', 'no attempt made');
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (this.removed) {
        this.stats.refused++;
        return { ok: false, error: new UsbError('nodev', 'device removed') };
      }
      this.stats.attempts++;
      try {
        if (typeof dataOrLength === 'number') {
          return { ok: true, data: await this.usb.controlIn(setup, dataOrLength, this.timeoutMs) };
        }
        await this.usb.controlOut(setup, dataOrLength, this.timeoutMs);
        return { ok: true, data: EMPTY };
      } catch (err) {
        error = err instanceof UsbError ? err : new UsbError('io', String(err));
      }
      if (error.code === 'nodev' || error.code === 'proto') {
        this.removedFlag = true;
        break;
      }
      this.stats.retries++;
      await this.sleep(this.opts.prng ? this.opts.prng.range(5, 10) : 5);
    }
    this.stats.failures++;
    this.lastError = error;
    log('vendor request req:%s off:%s failed: %s', hex(req, 2), hex(index, 4), error.message);
    return { ok: false, error };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => {});
    return run;
  }
}

const EMPTY = new Uint8Array(0);

function roundUp4(n: number): number {
  return (n + 3) & ~3;
}

function padTo(data: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  out.set(data);
  return out;
}

function hex(v: number, digits: number): string {
  return v.toString(16).padStart(digits, '0');
}
