/**
 * EmulatedMt7921u: an MT7921U at the USB level, implementing the same UsbTransport as the real dongle (DESIGN.md
 * principle 4). Vendor control requests reach the register file (FACTS.md §2), EP 0x08 carries MCU commands, EP
 * 0x04 firmware chunks (while FW_DL_EN) or AC_BE data, the other OUT endpoints data; MCU events come back on 0x85
 * (0x84 once EP4 routing is on), frames and TX status on 0x84. All timing is on the injected Clock.
 *
 * The emulator is written from FACTS.md, not from the driver: it shares no constants or codecs with it.
 */
import type { Clock, Timer } from '../../../netstack/core/clock.ts';
import { logger } from '../../../netstack/core/log.ts';
import { Fifo } from '../../../netstack/core/fifo.ts';
import { Prng } from '../../../netstack/core/prng.ts';
import {
  type ControlSetup,
  type UsbDeviceInfo,
  type UsbEndpoints,
  UsbError,
  type UsbErrorCode,
  type UsbTransport,
} from '../transport.ts';
import { UsbBus } from './bus.ts';
import { EmulatorCounters } from './counters.ts';
import {
  buildDescriptor,
  EP_IN_CMD_RESP,
  EP_IN_PKT_RX,
  EP_INT_IN,
  EP_OUT_AC_BE,
  EP_OUT_INBAND_CMD,
  type EmulatedSpeed,
  type UsbDeviceDescriptor,
  MT7921U_IDS,
  WIFI_BULK_OUT,
  WIFI_INTERFACE,
} from './descriptors.ts';
import { FaultInjector } from './faults.ts';
import { type ExpectedRegion, expectedPatchRegions, expectedRamRegions } from './fwimage.ts';
import { MacRx, MacTx } from './mac.ts';
import { Mcu, type McuTiming } from './mcu.ts';
import type { EmulatorRadio, RadioChannel, RadioRate, RadioTxDone, RadioTxOptions } from './radio.ts';
import {
  ChipRegisters,
  HOST_CONFIG_RXEVT_EP4_EN,
  QSEL_FW_DL_EN,
  R,
  UHW_REGISTERS,
  WLCFG0_RX_EN,
  WLCFG0_TX_EN,
} from './regs.ts';
import { parseUsbFrame, USB_HDR_LEN } from './wire.ts';

const log = logger('mt7921u-emu');

/** Vendor request codes and bmRequestType values (FACTS.md §2.1, §2.2). */
const REQ_DEV_MODE = 0x01;
const REQ_WRITE = 0x02;
const REQ_POWER_ON = 0x04;
const REQ_READ_EXT = 0x63;
const REQ_WRITE_EXT = 0x66;
const TYPE_VENDOR_OUT = 0x5f;
const TYPE_VENDOR_IN = 0xdf;
const TYPE_UHW_OUT = 0x5e;
const TYPE_UHW_IN = 0xde;
const TYPE_READ_COPY = 0xc0;

export interface EmulatorTiming extends McuTiming {
  /** Per control transfer. */
  controlMs: number;
  /** Per bulk transfer, on top of the bytes' transmission time. */
  bulkMs: number;
  /** USB port reset (re-enumeration). */
  portResetMs: number;
}

// GUESS: every timing below is an estimate of a real dongle (FACTS gives only the limits the driver waits for:
// POWER_ON within 500 ms, FW_START → ready within 1.5 s, ROC grant within 1 s).
export const DEFAULT_TIMING: EmulatorTiming = {
  controlMs: 0.125,
  bulkMs: 0.02,
  portResetMs: 20,
  cmdMs: 0.2,
  powerOnMs: 1,
  bootMs: 40,
  rocGrantMs: 2,
  activeDwellMs: 40,
  passiveDwellMs: 110,
};

/** Effective payload rate of the link in bytes per ms. GUESS: ~3.2 Gb/s at SuperSpeed, ~320 Mb/s at high speed. */
const BYTES_PER_MS: Record<EmulatedSpeed, number> = { super: 400_000, high: 40_000 };

export interface EmulatorOptions {
  clock: Clock;
  /** Seed of every random choice (MAC address when not given, random faults). */
  seed?: number | string;
  vendorId?: number;
  productId?: number;
  speed?: EmulatedSpeed;
  /** 'cold': powered off, no firmware. 'warm': a previous driver left the firmware running. */
  start?: 'cold' | 'warm';
  macAddress?: Uint8Array;
  radio?: EmulatorRadio;
  timing?: Partial<EmulatorTiming>;
  /** The firmware files the download must deliver (checked byte for byte when given). */
  firmware?: { patch?: Uint8Array; ram?: Uint8Array };
  /** NIC capability CHIP_CAP value. GUESS default 0: no optional features (no RF-pin, no CLC events). */
  chipCap?: bigint;
  /** The ROM patch stays applied across a WFSYS reset. GUESS default true. */
  patchSurvivesReset?: boolean;
  /** Packets an IN endpoint holds for a host that does not read. GUESS default 256. */
  inFifoDepth?: number;
}

interface PendingRead {
  length: number;
  resolve: (b: Uint8Array) => void;
  reject: (e: UsbError) => void;
  timer: Timer | null;
  /** No longer pending (matched with a packet, timed out or failed); a timed-out read is skipped in the ring. */
  done: boolean;
}

class InEndpoint {
  /** Pending reads in submission order (a ring: a read per transfer must not allocate). */
  readonly reads = new Fifo<PendingRead>(16);
  readonly fifo = new Fifo<Uint8Array>(64);
  constructor(readonly address: number) {}
}

const NO_ACK: RadioTxOptions = { noAck: true, retryLimit: 0 };
function ignoreTxDone(): void {}

/** A radio that hears nothing and whose frames are never acknowledged. */
class NoRadio implements EmulatorRadio {
  constructor(private readonly clock: Clock) {}
  tune(): void {}
  transmit(_f: Uint8Array, _r: RadioRate, _o: RadioTxOptions, done: RadioTxDone): void {
    this.clock.defer(() => done(false, 0));
  }
  setReceiver(): void {}
}

export class EmulatedMt7921u implements UsbTransport {
  readonly info: UsbDeviceInfo;
  readonly endpoints: UsbEndpoints = { in: [EP_IN_PKT_RX, EP_IN_CMD_RESP], out: [...WIFI_BULK_OUT] };
  /** The full USB descriptors (what lsusb -v would print). */
  readonly descriptor: UsbDeviceDescriptor;
  readonly counters = new EmulatorCounters();
  readonly faults: FaultInjector;
  readonly registers: ChipRegisters;
  readonly mcu: Mcu;
  readonly clock: Clock;
  readonly macAddress: Uint8Array;
  readonly timing: EmulatorTiming;
  private readonly radio: EmulatorRadio;
  private readonly bus: UsbBus;
  private readonly ins = new Map<number, InEndpoint>();
  private readonly removedListeners: Array<(err: UsbError) => void> = [];
  private readonly macTx: MacTx;
  private readonly macRx: MacRx;
  private readonly fifoDepth: number;
  private gone = false;

  constructor(opts: EmulatorOptions) {
    const vid = opts.vendorId ?? 0x0e8d;
    const pid = opts.productId ?? 0x7961;
    if (!MT7921U_IDS.some((d) => d.vendorId === vid && d.productId === pid)) {
      const known = MT7921U_IDS.map((d) => `${hex4(d.vendorId)}:${hex4(d.productId)}`).join(', ');
      throw new Error(`EmulatedMt7921u: ${hex4(vid)}:${hex4(pid)} is not an MT7921U id; use one of ${known}`);
    }
    const speed = opts.speed ?? 'super';
    this.clock = opts.clock;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    if (this.timing.bootMs >= 1500) {
      throw new Error(`EmulatedMt7921u: timing.bootMs ${this.timing.bootMs} must be below the driver's 1500 ms wait`);
    }
    const prng = new Prng(opts.seed ?? 1, 'mt7921u-emulator');
    this.faults = new FaultInjector(prng.fork('faults'));
    this.faults.onHalt = (ep) => this.pump(ep);
    this.descriptor = buildDescriptor(vid, pid, speed);
    this.info = {
      vendorId: vid,
      productId: pid,
      speed,
      ep0MaxPacket: this.descriptor.maxPacketSize0,
      interfaceNumber: WIFI_INTERFACE,
      description: `emulated MT7921U ${hex4(vid)}:${hex4(pid)}`,
    };
    this.macAddress = opts.macAddress?.slice() ?? defaultMac(prng.fork('mac'));
    this.bus = new UsbBus(this.clock, BYTES_PER_MS[speed]);
    this.fifoDepth = opts.inFifoDepth ?? 256;
    for (const a of [EP_IN_PKT_RX, EP_IN_CMD_RESP, EP_INT_IN]) this.ins.set(a, new InEndpoint(a));
    this.radio = opts.radio ?? new NoRadio(this.clock);
    this.registers = new ChipRegisters({
      misc: () => this.mcu.misc,
      wfsysReset: (asserted) => this.mcu.wfsysReset(asserted),
    });
    this.mcu = new Mcu(
      {
        clock: this.clock,
        counters: this.counters,
        regs: this.registers,
        faults: this.faults,
        sendEvent: (p) => this.queueIn(this.eventEndpoint(), p),
        tune: (ch) => this.radio.tune(ch),
        transmit: (f, r) => this.radio.transmit(f, r, NO_ACK, ignoreTxDone),
        flushIn: () => {
          for (const e of this.ins.values()) flushFifo(e);
        },
      },
      {
        macAddress: this.macAddress,
        chipCap: opts.chipCap ?? 0n,
        patchSurvivesReset: opts.patchSurvivesReset ?? true,
        timing: this.timing,
      },
    );
    const expected: ExpectedRegion[] = [];
    if (opts.firmware?.patch) expected.push(...expectedPatchRegions(opts.firmware.patch));
    if (opts.firmware?.ram) expected.push(...expectedRamRegions(opts.firmware.ram));
    this.mcu.fw.expect(expected);
    const macHost = {
      clock: this.clock,
      counters: this.counters,
      regs: this.registers,
      state: this.mcu.state,
      scan: this.mcu.scan,
      firmwareRunning: () => this.mcu.running && !this.faults.mcuHung,
      channel: (): RadioChannel => this.mcu.radioChannel,
      transmit: (f: Uint8Array, r: RadioRate, o: RadioTxOptions, done: RadioTxDone) =>
        this.radio.transmit(f, r, o, done),
      deliverRx: (p: Uint8Array) => this.queueIn(EP_IN_PKT_RX, p),
      beaconHeard: (f: Uint8Array) => this.mcu.beaconHeard(f),
    };
    this.macTx = new MacTx(macHost);
    this.macRx = new MacRx(macHost);
    this.radio.setReceiver((frame, info) => (this.gone ? false : this.macRx.receive(frame, info)));
    this.radio.tune(this.mcu.radioChannel);
    if (opts.start === 'warm') this.warmStart();
  }

  /** The firmware-visible state (interfaces, BSSes, stations, keys, channel). */
  get state() {
    return this.mcu.state;
  }

  /** The download accounting (regions with bytes received and their hashes). */
  get download() {
    return this.mcu.fw;
  }

  /** True once unplugged or closed. */
  get removed(): boolean {
    return this.gone;
  }

  // -------------------------------------------------------------------------------------------------------------
  // UsbTransport

  controlIn(setup: ControlSetup, length: number, _timeoutMs?: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (!this.live(reject)) return;
      this.counters.controlIn++;
      this.bus.schedule(
        0,
        length,
        this.timing.controlMs,
        () => {
          if (this.faults.takeControlStall()) return this.stallControl(reject);
          const data = this.vendorIn(setup, length);
          if (!data) return this.stallControl(reject);
          const k = this.faults.takeShort(0, data.length);
          resolve(k >= 0 ? data.subarray(0, k) : data);
        },
        reject,
      );
    });
  }

  controlOut(setup: ControlSetup, data: Uint8Array | null, _timeoutMs?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.live(reject)) return;
      this.counters.controlOut++;
      const bytes = data ?? new Uint8Array(0);
      this.bus.schedule(
        0,
        bytes.length,
        this.timing.controlMs,
        () => {
          if (this.faults.takeControlStall()) return this.stallControl(reject);
          if (!this.vendorOut(setup, bytes)) return this.stallControl(reject);
          resolve();
        },
        reject,
      );
    });
  }

  bulkOut(endpoint: number, data: Uint8Array, _timeoutMs?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.live(reject) || !this.knownEndpoint(endpoint, false, reject)) return;
      this.counters.bulkOut++;
      this.bus.schedule(
        endpoint,
        data.length,
        this.timing.bulkMs,
        () => {
          if (this.faults.takeStall(endpoint)) return reject(stallError(endpoint));
          // A short transfer: only a prefix reaches the chip (the host cannot tell; the chip must survive it).
          const k = this.faults.takeShort(endpoint, data.length);
          const got = k >= 0 ? data.subarray(0, k) : data;
          this.counters.bulkOutBytes += got.length;
          this.receiveOut(endpoint, got);
          if (this.gone) return reject(new UsbError('nodev', 'device disconnected'));
          resolve();
        },
        reject,
      );
    });
  }

  bulkIn(endpoint: number, length: number, timeoutMs?: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (!this.live(reject) || !this.knownEndpoint(endpoint, true, reject)) return;
      if (this.faults.halted.has(endpoint)) return reject(stallError(endpoint));
      const e = this.ins.get(endpoint)!;
      const rd: PendingRead = { length, resolve, reject, timer: null, done: false };
      if (timeoutMs && timeoutMs > 0) {
        rd.timer = this.clock.setTimeout(() => {
          if (rd.done) return;
          rd.done = true;
          reject(new UsbError('timeout', `bulk IN 0x${endpoint.toString(16)} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      }
      e.reads.push(rd);
      this.pumpEndpoint(e);
    });
  }

  cancelIn(endpoint?: number): void {
    for (const e of this.ins.values()) {
      if (endpoint !== undefined && e.address !== endpoint) continue;
      this.bus.cancel(e.address, 'cancelled');
      failReads(e, 'cancelled', 'transfer cancelled');
    }
  }

  reset(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.live(reject)) return;
      this.counters.usbResets++;
      this.bus.cancel(undefined, 'cancelled');
      for (const e of this.ins.values()) failReads(e, 'cancelled', 'port reset');
      // A port reset clears endpoint halts. GUESS: it also flushes the chip's USB FIFOs but leaves the WF subsystem
      // (and its firmware) running; that is why the driver checks MISC for running firmware after it (§3.2).
      this.faults.halted.clear();
      for (const e of this.ins.values()) flushFifo(e);
      this.clock.setTimeout(() => {
        if (this.gone) reject(new UsbError('nodev', 'device disconnected'));
        else resolve();
      }, this.timing.portResetMs);
    });
  }

  async close(): Promise<void> {
    if (this.gone) return;
    this.disconnect(new UsbError('nodev', 'device closed'));
  }

  onRemoved(listener: (err: UsbError) => void): () => void {
    this.removedListeners.push(listener);
    return () => {
      const i = this.removedListeners.indexOf(listener);
      if (i >= 0) this.removedListeners.splice(i, 1);
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Test controls

  /** Pull the dongle out: every pending and later transfer fails with 'nodev'. */
  unplug(): void {
    if (this.gone) return;
    this.faults.injected++;
    log('unplugged');
    this.disconnect(new UsbError('nodev', 'device disconnected'));
  }

  private disconnect(err: UsbError): void {
    this.gone = true;
    this.bus.cancel(undefined, 'nodev');
    for (const e of this.ins.values()) failReads(e, 'nodev', err.message);
    this.radio.setReceiver(null);
    for (const l of this.removedListeners.splice(0)) l(err);
  }

  /** Firmware left running by a previous driver (MISC = 3, DMA configured as Linux leaves it). */
  private warmStart(): void {
    this.mcu.warmStart();
    const r = this.registers;
    r.setRaw(R.UDMA_WLCFG_0, WLCFG0_RX_EN | WLCFG0_TX_EN | (1 << 18) | (1 << 20));
    r.setRaw(R.WFDMA_HOST_CONFIG, HOST_CONFIG_RXEVT_EP4_EN);
    r.setRaw(R.WFDMA_GLO_CFG, (1 << 28) | (1 << 21) | (1 << 9) | (1 << 0) | (1 << 2));
    r.setRaw(R.WFDMA_DUMMY_CR, 1 << 1);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Control requests (FACTS.md §2)

  /** Data for an IN vendor request, or null to stall. */
  private vendorIn(s: ControlSetup, length: number): Uint8Array | null {
    const addr = ((s.value & 0xffff) * 0x10000 + (s.index & 0xffff)) >>> 0;
    const mps = this.descriptor.maxPacketSize0;
    if (s.request === REQ_READ_EXT && s.requestType === TYPE_VENDOR_IN && length === 4) {
      return this.le32(this.readExt(addr));
    }
    if (s.request === REQ_READ_EXT && s.requestType === TYPE_READ_COPY) {
      // GUESS: block reads must be whole words, at most one EP0 packet (the driver's chunk size, FACTS §1.4).
      if (length < 4 || length > mps || length % 4 !== 0) return null;
      const out = new Uint8Array(length);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < length; i += 4) dv.setUint32(i, this.readExt((addr + i) >>> 0), true);
      return out;
    }
    if (s.request === REQ_DEV_MODE && s.requestType === TYPE_UHW_IN && length === 4) {
      // GUESS: the UHW path reaches only the four host-wrapper registers; anything else stalls.
      if (!UHW_REGISTERS.has(addr)) return null;
      return this.le32(this.registers.readUhw(addr));
    }
    // GUESS: every other request (wrong bmRequestType, length or code, standard requests) stalls.
    return null;
  }

  /** Applies an OUT vendor request; false to stall. */
  private vendorOut(s: ControlSetup, data: Uint8Array): boolean {
    const addr = ((s.value & 0xffff) * 0x10000 + (s.index & 0xffff)) >>> 0;
    const mps = this.descriptor.maxPacketSize0;
    if (s.request === REQ_WRITE_EXT && s.requestType === TYPE_VENDOR_OUT) {
      if (data.length < 4 || data.length > mps || data.length % 4 !== 0) return false;
      const dv = new DataView(data.buffer, data.byteOffset, data.length);
      for (let i = 0; i < data.length; i += 4) this.writeExt((addr + i) >>> 0, dv.getUint32(i, true));
      this.pumpAll();
      return true;
    }
    if (s.request === REQ_WRITE && s.requestType === TYPE_UHW_OUT && data.length === 4) {
      if (!UHW_REGISTERS.has(addr)) return false;
      this.registers.writeUhw(addr, new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true));
      this.pumpAll();
      return true;
    }
    if (s.request === REQ_POWER_ON && s.requestType === TYPE_VENDOR_OUT) {
      // §2.3: wValue 0, wIndex 1, no data.
      if (data.length !== 0 || s.value !== 0 || s.index !== 1) return false;
      this.mcu.powerOn();
      return true;
    }
    return false;
  }

  private readExt(addr: number): number {
    // GUESS: the four UHW registers are not reachable through READ_EXT (it reads 0) — the driver must use UHW.
    if (UHW_REGISTERS.has(addr)) return 0;
    return this.registers.read(addr);
  }

  private writeExt(addr: number, value: number): void {
    if (UHW_REGISTERS.has(addr)) {
      this.counters.drop('write-ext-to-uhw-register'); // GUESS: ignored, see readExt
      return;
    }
    this.registers.write(addr, value);
  }

  private le32(v: number): Uint8Array {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return b;
  }

  private stallControl(reject: (e: UsbError) => void): void {
    this.counters.controlStalls++;
    reject(new UsbError('stall', 'control request stalled'));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Bulk

  private receiveOut(ep: number, bytes: Uint8Array): void {
    // What the chip keeps (commands, keys, frames) it copies with .slice(); on a Buffer (what node-usb and the driver
    // hand over) that would be a view of host memory the host reuses once the transfer completes.
    const data = Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
    const bodyLen = parseUsbFrame(data);
    if (typeof bodyLen === 'string') {
      this.counters.drop(bodyLen);
      if (ep === EP_OUT_INBAND_CMD) this.counters.mcuMalformed++;
      else this.counters.txDropped++;
      return;
    }
    // GUESS: with UDMA TX_EN off (no DMA init) the chip takes nothing from the host.
    if (!this.registers.bits(R.UDMA_WLCFG_0, WLCFG0_TX_EN)) {
      this.counters.drop('out-while-udma-tx-disabled');
      return;
    }
    const body = data.subarray(USB_HDR_LEN, USB_HDR_LEN + bodyLen);
    if (ep === EP_OUT_INBAND_CMD) {
      this.mcu.command(body);
      return;
    }
    if (ep === EP_OUT_AC_BE && this.registers.bits(R.UDMA_TX_QSEL, QSEL_FW_DL_EN)) {
      this.mcu.scatter(body);
      const limit = this.faults.unplugAfterDownloadBytes;
      if (limit !== null && this.mcu.fw.totalReceived >= limit) this.unplug();
      return;
    }
    this.macTx.handle(ep, body);
  }

  private eventEndpoint(): number {
    return this.registers.bits(R.WFDMA_HOST_CONFIG, HOST_CONFIG_RXEVT_EP4_EN) ? EP_IN_PKT_RX : EP_IN_CMD_RESP;
  }

  private queueIn(ep: number, pkt: Uint8Array): void {
    if (this.gone) return;
    const e = this.ins.get(ep)!;
    if (e.fifo.length >= this.fifoDepth) {
      this.counters.inFifoDrops++;
      this.counters.drop(`in-fifo-full-0x${ep.toString(16)}`);
      return;
    }
    e.fifo.push(pkt);
    this.pumpEndpoint(e);
  }

  private pumpAll(): void {
    for (const a of this.ins.keys()) this.pump(a);
  }

  /** Match queued packets with pending reads and put them on the bus. */
  private pump(ep: number): void {
    const e = this.ins.get(ep);
    if (e) this.pumpEndpoint(e);
  }

  private pumpEndpoint(e: InEndpoint): void {
    const ep = e.address;
    if (this.gone) return;
    if (this.faults.halted.size !== 0 && this.faults.halted.has(ep)) {
      failReads(e, 'stall', `endpoint 0x${ep.toString(16)} stalled`);
      return;
    }
    if (e.fifo.length === 0 || e.reads.length === 0) return;
    // GUESS: nothing leaves the chip while UDMA RX_EN is off (DMA init not done yet).
    if (!this.registers.bits(R.UDMA_WLCFG_0, WLCFG0_RX_EN)) return;
    while (e.fifo.length > 0) {
      const rd = e.reads.shift();
      if (rd === undefined) break;
      if (rd.done) continue;
      rd.done = true;
      rd.timer?.cancel();
      const pkt = e.fifo.shift()!;
      const len = (pkt[0]! | (pkt[1]! << 8)) & 0xffff;
      let out = pkt;
      if (pkt.length > rd.length) {
        if (len > rd.length) {
          // The packet does not fit the host's buffer: babble, the packet is lost.
          this.counters.inOverflows++;
          this.bus.schedule(
            ep,
            rd.length,
            this.timing.bulkMs,
            () => rd.reject(new UsbError('proto', `packet of ${len} bytes does not fit a ${rd.length}-byte read`)),
            rd.reject,
          );
          continue;
        }
        out = pkt.subarray(0, rd.length); // GUESS: tail padding is cut to the buffer
      }
      const k = this.faults.takeShort(ep, out.length);
      if (k >= 0) out = out.subarray(0, k);
      this.counters.bulkIn++;
      this.counters.bulkInBytes += out.length;
      this.bus.schedule(ep, out.length, this.timing.bulkMs, rd.resolve, rd.reject, out);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Checks

  private live(reject: (e: UsbError) => void): boolean {
    if (!this.gone) return true;
    reject(new UsbError('nodev', 'device disconnected'));
    return false;
  }

  private knownEndpoint(ep: number, dirIn: boolean, reject: (e: UsbError) => void): boolean {
    if (dirIn ? this.ins.has(ep) : (WIFI_BULK_OUT as readonly number[]).includes(ep)) return true;
    reject(new UsbError('io', `no ${dirIn ? 'IN' : 'OUT'} endpoint 0x${ep.toString(16)} on the Wi-Fi interface`));
    return false;
  }
}

function flushFifo(e: InEndpoint): void {
  while (e.fifo.shift() !== undefined) {
    /* drop */
  }
}

function stallError(ep: number): UsbError {
  return new UsbError('stall', `endpoint 0x${ep.toString(16)} stalled`);
}

function failReads(e: InEndpoint, code: UsbErrorCode, msg: string): void {
  const reads: PendingRead[] = [];
  for (let r = e.reads.shift(); r !== undefined; r = e.reads.shift()) if (!r.done) reads.push(r);
  for (const r of reads) {
    r.done = true;
    r.timer?.cancel();
    r.reject(new UsbError(code, msg));
  }
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** GUESS: a locally administered unicast address derived from the seed (the real one comes from efuse). */
function defaultMac(prng: Prng): Uint8Array {
  const a = prng.bytes(6);
  a[0] = (a[0]! & 0xfc) | 0x02;
  return a;
}
