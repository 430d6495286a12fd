/**
 * The real dongle through the `usb` package's libusb API (node-usb 2): the UsbTransport over a libusb device
 * handle.
 *
 * Why libusb's API and not WebUSB (node-usb 2 has both; its WebUSB is a layer over this one):
 * - Control requests go out with the exact bmRequestType byte. mt7921u's register access uses the recipient values
 *   0x1f and 0x1e (0xdf/0x5f, 0xde/0x5e, FACTS §2.2), which WebUSB's four recipient words cannot express.
 * - Every bulkIn() is its own libusb transfer, so the driver's reads are really in flight at once on both IN
 *   endpoints, as mt76 keeps its URBs posted; each completion is the "interrupt".
 * - bMaxPacketSize0 (the register block-copy chunk) comes from the device descriptor; WebUSB hides it.
 * - Discovery reads the device list without opening anything (finder.ts); node-usb 2's WebUSB getDevices() opens
 *   every device on the system to read its strings.
 *
 * The logic lives here and is tested with a fake device (libusb.test.ts); the `usb` module itself is only touched
 * by finder.ts.
 *
 * Behaviour worth knowing:
 * - libusb transfer objects are pooled per endpoint and timeout; a slot is reused only after libusb has called it
 *   back, so a cancelled transfer never shares its buffer with a new one.
 * - Every operation with a timeout also has a guard timer on the injected clock (timeout + `graceMs`): a backend
 *   that never calls back cannot hang the driver. A bulk IN without a timeout waits for as long as it takes.
 * - cancelIn() and reset() fail the pending reads at once with 'cancelled' and cancel their libusb transfers; data
 *   that arrives in a cancelled read is lost, as with usb_kill_urb.
 * - Device loss (NO_DEVICE from any transfer, the hotplug 'detach' event, close) fails every pending operation with
 *   UsbError('nodev') at once; late completions are dropped.
 */
import type { Clock, Timer } from '../../../netstack/core/clock.ts';
import { logger } from '../../../netstack/core/log.ts';
import {
  type ControlSetup,
  type UsbDeviceInfo,
  type UsbEndpoints,
  UsbError,
  type UsbTransport,
  USB_BULK_OUT_TIMEOUT_MS,
  USB_CONTROL_TIMEOUT_MS,
  isIn,
} from '../transport.ts';
import {
  DongleSetupError,
  type LibusbConfigDescriptor,
  type WifiInterface,
  ep0MaxPacket,
  fromLibusbConfig,
  selectWifiInterface,
  speedFromDescriptors,
} from './descriptors.ts';
import { matchDongleId, usbIdString } from './ids.ts';
import { LIBUSB_ERROR_NOT_FOUND, libusbErrno, toUsbError } from './native-errors.ts';

const log = logger('usb');

type Callback = (error?: Error | null) => void;
type TransferCallback = (error: Error | undefined | null, buffer: Buffer, actualLength: number) => void;

/** A libusb transfer object (node-usb's Transfer). */
export interface LibusbTransfer {
  submit(buffer: Buffer): unknown;
  /** False when the transfer was not pending. */
  cancel(): boolean;
}

export interface LibusbEndpoint {
  /** A reusable transfer on this endpoint; `callback` runs at every completion. */
  makeTransfer(timeout: number, callback: TransferCallback): LibusbTransfer;
}

/** node-usb's Interface, as far as used. */
export interface LibusbInterface {
  claim(): void;
  release(callback?: Callback): void;
  isKernelDriverActive(): boolean;
  detachKernelDriver(): void;
  attachKernelDriver(): void;
  setAltSetting(altSetting: number, callback?: Callback): void;
  endpoint(address: number): LibusbEndpoint | undefined;
}

/** node-usb 2's Device (the legacy API), as far as used. */
export interface LibusbDevice {
  readonly busNumber: number;
  readonly deviceAddress: number;
  readonly portNumbers?: readonly number[];
  readonly deviceDescriptor: { idVendor: number; idProduct: number; bcdUSB: number; bMaxPacketSize0: number };
  /** The active configuration, undefined when unconfigured. */
  readonly configDescriptor?: LibusbConfigDescriptor;
  /** Timeout (ms) of the next controlTransfer. */
  timeout: number;
  open(defaultConfig?: boolean): void;
  close(): void;
  reset(callback: Callback): void;
  setConfiguration(desired: number, callback?: Callback): void;
  interface(interfaceNumber: number): LibusbInterface;
  controlTransfer(
    bmRequestType: number,
    bRequest: number,
    wValue: number,
    wIndex: number,
    dataOrLength: number | Buffer,
    callback: (error: Error | undefined | null, data?: Buffer | number) => void,
  ): unknown;
}

/** The `usb` module's hotplug events, as far as used. */
export interface LibusbHotplug {
  on(event: 'detach', listener: (device: LibusbDevice) => void): unknown;
  removeListener(event: 'detach', listener: (device: LibusbDevice) => void): unknown;
}

/** "2-1.4": bus, then the port path (as Linux names it in sysfs); just the bus when ports are unknown. */
export function usbLocation(dev: Pick<LibusbDevice, 'busNumber' | 'portNumbers'>): string {
  return dev.portNumbers?.length ? `${dev.busNumber}-${dev.portNumbers.join('.')}` : `${dev.busNumber}`;
}

/** "usb 2-1:4 0e8d:7961 MediaTek MT7921U reference" */
export function describeDevice(dev: LibusbDevice): string {
  const { idVendor, idProduct } = dev.deviceDescriptor;
  const id = matchDongleId(idVendor, idProduct);
  return `usb ${usbLocation(dev)}:${dev.deviceAddress} ${usbIdString(idVendor, idProduct)}${id ? ` ${id.name}` : ''}`;
}

export interface LibusbTransportOptions {
  clock: Clock;
  /** Extra time past an operation's timeout before the guard timer fails it (ms). */
  graceMs?: number;
  /** The longest close() waits for cancelled transfers to come back before releasing the interface (ms). */
  drainMs?: number;
  /** Give the interface back to the kernel driver on close (when openDevice detached one). */
  reattachKernelDriver?: boolean;
  /** Called by close() after the device is released (openDevice uses it to drop its hotplug listener). */
  onClose?: () => void;
}

export interface LibusbStats {
  controlIn: number;
  controlOut: number;
  bulkIn: number;
  bulkOut: number;
  errors: number;
  /** Operations failed by the guard timer because libusb did not call back. */
  guardTimeouts: number;
  /** libusb transfer objects created (the pool's size). */
  transfers: number;
  /** Most bulk IN transfers pending in libusb at once, per endpoint address. */
  maxInFlight: Record<number, number>;
}

interface Op {
  settled: boolean;
  /** IN endpoint for cancelIn, else -1. */
  inEp: number;
  timer: Timer | null;
  /** The native transfer carrying it (bulk), for cancellation. */
  slot: Slot | null;
  resolve(v: unknown): void;
  reject(e: UsbError): void;
}

interface Slot {
  transfer: LibusbTransfer;
  /** The operation in libusb's hands, or null when the slot is free. */
  op: Op | null;
  finish: ((error: Error | undefined | null, buffer: Buffer, actual: number) => void) | null;
}

export class LibusbTransport implements UsbTransport {
  readonly info: UsbDeviceInfo;
  readonly endpoints: UsbEndpoints;
  readonly stats: LibusbStats = {
    controlIn: 0,
    controlOut: 0,
    bulkIn: 0,
    bulkOut: 0,
    errors: 0,
    guardTimeouts: 0,
    transfers: 0,
    maxInFlight: {},
  };
  private gone: UsbError | null = null;
  private closing: Promise<void> | null = null;
  private readonly pending = new Set<Op>();
  /** Transfer slots per "endpoint/timeout". */
  private readonly pools = new Map<string, Slot[]>();
  private readonly busy = new Set<Slot>();
  private readonly inFlight = new Map<number, number>();
  private readonly listeners = new Set<(err: UsbError) => void>();
  private readonly eps = new Map<number, LibusbEndpoint>();
  private readonly clock: Clock;
  private readonly graceMs: number;
  private drained: (() => void) | null = null;

  constructor(
    private readonly dev: LibusbDevice,
    private readonly intf: LibusbInterface,
    wifi: WifiInterface,
    private readonly opts: LibusbTransportOptions,
  ) {
    this.clock = opts.clock;
    this.graceMs = opts.graceMs ?? 1000;
    const dd = dev.deviceDescriptor;
    const ep0 = ep0MaxPacket(dd.bcdUSB, dd.bMaxPacketSize0);
    this.info = {
      vendorId: dd.idVendor,
      productId: dd.idProduct,
      speed: speedFromDescriptors(ep0, wifi.bulkPacketSize),
      ep0MaxPacket: ep0,
      interfaceNumber: wifi.interfaceNumber,
      description: describeDevice(dev),
    };
    this.endpoints = { in: wifi.in, out: wifi.out };
    for (const addr of [...wifi.in, ...wifi.out]) {
      const ep = intf.endpoint(addr);
      if (!ep) throw new DongleSetupError(`${this.info.description}: endpoint 0x${addr.toString(16)} not found`);
      this.eps.set(addr, ep);
    }
  }

  get removed(): boolean {
    return this.gone !== null;
  }

  controlIn(setup: ControlSetup, length: number, timeoutMs = USB_CONTROL_TIMEOUT_MS): Promise<Uint8Array> {
    const bad = checkSetup(setup, true);
    if (bad) return Promise.reject(bad);
    this.stats.controlIn++;
    return this.run<Uint8Array>(-1, timeoutMs, (done) =>
      this.control(setup, length, timeoutMs, (err, data) => done(err, Buffer.isBuffer(data) ? data : EMPTY)),
    );
  }

  controlOut(setup: ControlSetup, data: Uint8Array | null, timeoutMs = USB_CONTROL_TIMEOUT_MS): Promise<void> {
    const bad = checkSetup(setup, false);
    if (bad) return Promise.reject(bad);
    this.stats.controlOut++;
    const buf = data ? asBuffer(data) : EMPTY;
    return this.run<void>(-1, timeoutMs, (done) =>
      this.control(setup, buf, timeoutMs, (err, sent) => {
        if (!err && typeof sent === 'number' && sent < buf.length) {
          return done(new UsbError('io', `control OUT: short write, ${sent} of ${buf.length} bytes`));
        }
        done(err, undefined);
      }),
    );
  }

  bulkOut(ep: number, data: Uint8Array, timeoutMs = USB_BULK_OUT_TIMEOUT_MS): Promise<void> {
    if (isIn(ep) || !this.endpoints.out.includes(ep)) {
      return Promise.reject(
        new UsbError('io', `bulk OUT to 0x${ep.toString(16)}: not a bulk OUT endpoint of the device`),
      );
    }
    this.stats.bulkOut++;
    const buf = asBuffer(data);
    const what = `bulk OUT 0x${ep.toString(16)}`;
    return this.run<void>(-1, timeoutMs, (done, op) =>
      this.submit(op, ep, timeoutMs, buf, (err, _b, actual) => {
        if (!err && actual < buf.length) {
          return done(new UsbError('io', `${what}: short write, ${actual} of ${buf.length} bytes`));
        }
        done(err ? toUsbError(err, what) : null, undefined);
      }),
    );
  }

  bulkIn(ep: number, length: number, timeoutMs = 0): Promise<Uint8Array> {
    if (!isIn(ep) || !this.endpoints.in.includes(ep)) {
      return Promise.reject(
        new UsbError('io', `bulk IN from 0x${ep.toString(16)}: not a bulk IN endpoint of the device`),
      );
    }
    this.stats.bulkIn++;
    const what = `bulk IN 0x${ep.toString(16)}`;
    return this.run<Uint8Array>(ep, timeoutMs, (done, op) =>
      this.submit(op, ep, timeoutMs, Buffer.allocUnsafe(length), (err, b, actual) =>
        done(err ? toUsbError(err, what) : null, b.subarray(0, actual)),
      ),
    );
  }

  cancelIn(ep?: number): void {
    for (const op of this.pending) {
      if (op.inEp >= 0 && (ep === undefined || op.inEp === ep)) {
        this.settle(op, new UsbError('cancelled', 'read cancelled'));
      }
    }
  }

  async reset(): Promise<void> {
    if (this.gone) throw this.gone;
    for (const op of this.pending) this.settle(op, new UsbError('cancelled', 'cancelled by USB reset'));
    try {
      await this.run<void>(-1, 5000, (done) => this.dev.reset((err) => done(err ?? null, undefined)));
    } catch (err) {
      const e = err as UsbError;
      // LIBUSB_ERROR_NOT_FOUND: the device re-enumerated (its descriptors changed); this handle is dead.
      if (libusbErrno((e as { cause?: unknown }).cause) === LIBUSB_ERROR_NOT_FOUND) {
        this.markRemoved(new UsbError('nodev', `USB reset: the device re-enumerated (${e.message}); open it again`));
      }
      throw this.gone ?? e;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.markRemoved(new UsbError('nodev', 'device closed'));
    // libusb refuses to release an interface with transfers pending: wait for the cancelled ones to come back.
    await this.drain(this.opts.drainMs ?? 1000);
    await new Promise<void>((resolve) => ignore(() => this.intf.release(() => resolve()), resolve));
    if (this.opts.reattachKernelDriver) ignore(() => this.intf.attachKernelDriver());
    ignore(() => this.dev.close());
    this.opts.onClose?.();
  }

  onRemoved(listener: (err: UsbError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The device went away (a hotplug event, a transfer that saw NO_DEVICE, close): fail everything, once. */
  markRemoved(err: UsbError = new UsbError('nodev', 'device disconnected')): void {
    if (this.gone) return;
    this.gone = err.code === 'nodev' ? err : new UsbError('nodev', err.message);
    log('%s removed: %s', this.info.description, this.gone.message);
    for (const op of this.pending) this.settle(op, this.gone);
    for (const l of [...this.listeners]) l(this.gone);
    this.listeners.clear();
  }

  /** Transfers libusb still holds (cancelled ones included). */
  get nativePending(): number {
    return this.busy.size;
  }

  private control(
    s: ControlSetup,
    dataOrLength: number | Buffer,
    timeoutMs: number,
    cb: (err: UsbError | null, data?: Buffer | number) => void,
  ): void {
    const what = `control ${isIn(s.requestType) ? 'IN' : 'OUT'} 0x${s.requestType.toString(16)} 0x${s.request.toString(16)}`;
    // node-usb reads the timeout when it builds the transfer, inside this call: setting it here is race-free.
    this.dev.timeout = timeoutMs;
    this.dev.controlTransfer(s.requestType, s.request, s.value, s.index, dataOrLength, (err, data) =>
      cb(err ? toUsbError(err, what) : null, data),
    );
  }

  /** Submit `buf` on `ep` in a free pooled transfer; `finish` runs when libusb calls back. */
  private submit(op: Op, ep: number, timeoutMs: number, buf: Buffer, finish: NonNullable<Slot['finish']>): void {
    const key = `${ep}/${timeoutMs}`;
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = []));
    let slot = pool.pop();
    if (!slot) {
      const s: Slot = { transfer: null as unknown as LibusbTransfer, op: null, finish: null };
      s.transfer = this.eps
        .get(ep)!
        .makeTransfer(timeoutMs, (err, b, actual) => this.completed(s, pool!, err, b, actual));
      this.stats.transfers++;
      slot = s;
    }
    slot.op = op;
    slot.finish = finish;
    op.slot = slot;
    this.busy.add(slot);
    if (isIn(ep)) {
      const n = (this.inFlight.get(ep) ?? 0) + 1;
      this.inFlight.set(ep, n);
      if (n > (this.stats.maxInFlight[ep] ?? 0)) this.stats.maxInFlight[ep] = n;
    }
    try {
      slot.transfer.submit(buf);
    } catch (err) {
      // node-usb keeps a transfer whose submit failed marked active: it is not reused.
      this.completed(slot, null, err as Error, buf, 0);
    }
  }

  private completed(slot: Slot, pool: Slot[] | null, err: Error | undefined | null, buf: Buffer, actual: number): void {
    const finish = slot.finish;
    const op = slot.op;
    slot.finish = null;
    slot.op = null;
    this.busy.delete(slot);
    if (op && op.inEp >= 0) this.inFlight.set(op.inEp, (this.inFlight.get(op.inEp) ?? 1) - 1);
    if (this.gone === null) pool?.push(slot);
    if (this.busy.size === 0) this.drained?.();
    if (op && !op.settled) finish?.(err, buf, actual);
  }

  /**
   * Run one operation: `start` gets a `done` to call once. Failed by the guard timer, by cancelIn (reads), reset or
   * removal, whichever comes first; a 'nodev' result removes the device.
   */
  private run<T>(inEp: number, timeoutMs: number, start: (done: (err: Error | null, v: T) => void, op: Op) => void) {
    if (this.gone) return Promise.reject<T>(this.gone);
    return new Promise<T>((resolve, reject) => {
      const op: Op = {
        settled: false,
        inEp,
        timer: null,
        slot: null,
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      this.pending.add(op);
      if (timeoutMs > 0) {
        op.timer = this.clock.setTimeout(() => {
          this.stats.guardTimeouts++;
          this.settle(op, new UsbError('timeout', `no answer from libusb within ${timeoutMs} ms`));
        }, timeoutMs + this.graceMs);
      }
      const done = (err: Error | null, v: T) => {
        if (op.settled) return;
        if (err) {
          const e = toUsbError(err, 'USB transfer');
          if (e !== err) (e as { cause?: unknown }).cause = err;
          if (e.code === 'nodev') this.markRemoved(e);
          this.settle(op, e);
        } else {
          this.settle(op, null, v);
        }
      };
      try {
        start(done, op);
      } catch (err) {
        done(err as Error, undefined as T);
      }
    });
  }

  private settle(op: Op, err: UsbError | null, value?: unknown): void {
    if (op.settled) return;
    op.settled = true;
    op.timer?.cancel();
    this.pending.delete(op);
    const slot = op.slot;
    // A failed operation whose transfer libusb still holds: take it back (the callback comes later, 'cancelled').
    if (err && slot && slot.op === op) {
      try {
        slot.transfer.cancel();
      } catch (e) {
        log('cancel: %s', (e as Error).message);
      }
    }
    if (err) {
      this.stats.errors++;
      op.reject(err);
    } else {
      op.resolve(value);
    }
  }

  /** Wait until libusb has handed back every transfer, or `ms` pass. */
  private drain(ms: number): Promise<void> {
    if (this.busy.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = this.clock.setTimeout(() => {
        log('close: %d transfers still pending after %d ms', this.busy.size, ms);
        this.drained = null;
        resolve();
      }, ms);
      this.drained = () => {
        t.cancel();
        this.drained = null;
        resolve();
      };
    });
  }
}

const EMPTY = Buffer.alloc(0);

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function checkSetup(setup: ControlSetup, wantIn: boolean): UsbError | null {
  if (isIn(setup.requestType) === wantIn) return null;
  return new UsbError(
    'io',
    `control ${wantIn ? 'IN' : 'OUT'} with bmRequestType 0x${setup.requestType.toString(16)} of the other direction`,
  );
}

export interface OpenDeviceOptions {
  clock: Clock;
  /** The `usb` module's hotplug events, to notice an unplug even when no transfer is pending. */
  hotplug?: LibusbHotplug;
  /**
   * USB port reset before claiming, as mt7921u_probe does. Default: on Linux, where usbfs keeps the handle valid
   * across a reset that does not change the descriptors.
   * GUESS: elsewhere (macOS re-enumerates on reset) the handle would not survive it, so it is skipped by default.
   */
  reset?: boolean;
  /** Detach a kernel driver bound to the interface (default: on Linux, the only platform where libusb can). */
  detachKernelDriver?: boolean;
  /** Give the interface back to the kernel driver on close (default: true when one was detached). */
  reattachKernelDriver?: boolean;
  graceMs?: number;
}

function callbackToPromise(fn: (cb: Callback) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

/**
 * Open a matched device the way mt7921u_probe starts, in the order a user-space owner can do it safely: open, find
 * the ff/ff/ff interface and its endpoints, detach a kernel driver (Linux), claim, USB port reset (after claiming,
 * so that the kernel does not re-bind mt7921u to the interface across the reset; libusb re-claims it), select the
 * alt setting. DongleSetupError in words for a person when any step fails; the device is closed again then.
 */
export async function openDevice(dev: LibusbDevice, opts: OpenDeviceOptions): Promise<LibusbTransport> {
  const id = usbIdString(dev.deviceDescriptor.idVendor, dev.deviceDescriptor.idProduct);
  const step = async <T>(what: string, fn: () => T | Promise<T>, hint = ''): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw new DongleSetupError(`${id}: ${what} failed: ${(err as Error).message ?? err}${hint}`);
    }
  };
  const access =
    process.platform === 'linux'
      ? ' (permission: run as root or add a udev rule granting access to the device)'
      : process.platform === 'win32'
        ? ' (install the WinUSB driver for the Wi-Fi interface, e.g. with Zadig)'
        : '';
  await step('open', () => dev.open(), access);
  let intf: LibusbInterface | null = null;
  let claimed = false;
  let detached = false;
  try {
    if (!dev.configDescriptor) {
      await step('select configuration 1', () => callbackToPromise((cb) => dev.setConfiguration(1, cb)));
    }
    const config = dev.configDescriptor;
    if (!config) throw new DongleSetupError(`${id}: the device has no active configuration`);
    const wifi = selectWifiInterface(fromLibusbConfig(config));
    const n = wifi.interfaceNumber;
    const i = await step(`find interface ${n}`, () => dev.interface(n));
    intf = i;
    if ((opts.detachKernelDriver ?? process.platform === 'linux') && kernelDriverActive(i)) {
      await step(`detach the kernel driver from interface ${n}`, () => i.detachKernelDriver());
      detached = true;
    }
    await step(
      `claim interface ${n}`,
      () => i.claim(),
      ' (is the mt7921u kernel module bound to it? unload it: modprobe -r mt7921u)',
    );
    claimed = true;
    if (opts.reset ?? process.platform === 'linux') {
      await step(
        'USB reset',
        () => callbackToPromise((cb) => dev.reset(cb)),
        ' (if the device re-enumerated, run again)',
      );
    }
    if (wifi.alternateSetting !== 0) {
      await step('select alt setting', () => callbackToPromise((cb) => i.setAltSetting(wifi.alternateSetting, cb)));
    }
    const hotplug = opts.hotplug;
    const onDetach = (d: LibusbDevice) => {
      if (d === dev || (d.busNumber === dev.busNumber && d.deviceAddress === dev.deviceAddress)) {
        transport.markRemoved(new UsbError('nodev', 'device unplugged'));
      }
    };
    const transport = new LibusbTransport(dev, i, wifi, {
      clock: opts.clock,
      graceMs: opts.graceMs,
      reattachKernelDriver: opts.reattachKernelDriver ?? detached,
      onClose: () => hotplug?.removeListener('detach', onDetach),
    });
    hotplug?.on('detach', onDetach);
    log('opened %s: interface %d, IN %o, OUT %o', transport.info.description, n, wifi.in, wifi.out);
    return transport;
  } catch (err) {
    const i = intf as LibusbInterface | null;
    if (claimed && i) await new Promise<void>((r) => i.release(() => r()));
    if (detached && i) ignore(() => i.attachKernelDriver());
    ignore(() => dev.close());
    throw err;
  }
}

function kernelDriverActive(i: LibusbInterface): boolean {
  try {
    return i.isKernelDriverActive();
  } catch (err) {
    log('kernel driver check: %s', (err as Error).message);
    return false;
  }
}

/** Run a clean-up step whose failure only matters to the log (then `orElse`). */
function ignore(fn: () => unknown, orElse?: () => void): void {
  try {
    fn();
  } catch (err) {
    log('%s', (err as Error).message);
    orElse?.();
  }
}
