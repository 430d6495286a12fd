/**
 * The real dongle through the `usb` package's WebUSB API (node-usb 3, on nusb): the UsbTransport over a
 * WebUSB-style device object.
 *
 * The logic lives here and is tested with a fake device (webusb.test.ts); the `usb` module itself is only touched
 * by `loadWebUsb` (finder.ts) and the few calls `openDevice` makes.
 *
 * Behaviour worth knowing:
 * - node-usb 3 opens an endpoint for each transfer and nusb allows one open handle per endpoint, so only one
 *   native transfer can be outstanding per endpoint (a second fails with "endpoint not found"). The transport
 *   therefore queues transfers per endpoint: many reads can be "in flight" for the driver, `maxInFlight` (1) of them
 *   on the wire. They complete in submission order.
 * - A bulk IN without a timeout is a sequence of native reads of `pollMs` each, re-posted while nothing arrives
 *   (nusb reports an expired timeout as "cancelled"); a cancelled read can lose a transfer that was arriving at that
 *   moment, as usb_kill_urb can.
 * - Every operation has a guard timer on the injected clock (its timeout plus `graceMs`), so a backend that never
 *   answers cannot hang the driver. Device loss (a 'nodev' error, the WebUSB 'disconnect' event, close) fails every
 *   pending and queued operation with UsbError('nodev') at once; late native completions are dropped.
 * - WebUSB names the request type and recipient with words and knows only the recipients device, interface,
 *   endpoint and other (0–3). The MT7921U's vendor requests use recipients 0x1f and 0x1e (bmRequestType 0xdf/0x5f,
 *   0xde/0x5e) that WebUSB cannot express; those are sent with recipient "device" (0xc0/0x40) and counted in
 *   `stats.recipientFallbacks`.
 *   GUESS: the chip decodes vendor requests by bRequest and ignores the recipient bits — the Linux driver itself
 *   sends READ_EXT with 0xc0 in mt76u_read_copy, and the UHW/normal pairs differ in bRequest (0x01/0x02 vs
 *   0x63/0x66) as well as in recipient.
 */
import type { Clock, Timer } from '../../../netstack/core/clock.ts';
import { logger } from '../../../netstack/core/log.ts';
import {
  type ControlSetup,
  type UsbDeviceInfo,
  type UsbEndpoints,
  UsbError,
  type UsbSpeed,
  type UsbTransport,
  USB_BULK_OUT_TIMEOUT_MS,
  USB_CONTROL_TIMEOUT_MS,
  isIn,
} from '../transport.ts';
import {
  type ConfigurationDescriptor,
  DongleSetupError,
  type WifiInterface,
  ep0MaxPacketForSpeed,
  selectWifiInterface,
} from './descriptors.ts';
import { matchDongleId, usbIdString } from './ids.ts';
import { statusError, toUsbError } from './native-errors.ts';

const log = logger('usb');

/** WebUSB's control setup (USBControlTransferParameters). */
export interface WebUsbSetup {
  requestType: 'standard' | 'class' | 'vendor';
  recipient: 'device' | 'interface' | 'endpoint' | 'other';
  request: number;
  value: number;
  index: number;
}

interface InResult {
  data?: DataView;
  status: string;
}
interface OutResult {
  bytesWritten: number;
  status: string;
}

/** The part of a WebUSB USBDevice (node-usb 3's UsbDevice) this transport uses. Timeouts are node-usb's extension. */
export interface NativeUsbDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly speed?: string;
  readonly bus?: string;
  readonly address?: number;
  readonly configuration?: ConfigurationDescriptor | null;
  open(): Promise<void>;
  close(): Promise<void>;
  reset(): Promise<void>;
  selectConfiguration(value: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  selectAlternateInterface(n: number, alt: number): Promise<void>;
  /** Linux only (node-usb 3). */
  detachKernelDriver?(n: number): Promise<void>;
  controlTransferIn(setup: WebUsbSetup, length: number, timeout?: number): Promise<InResult>;
  controlTransferOut(setup: WebUsbSetup, data?: Uint8Array, timeout?: number): Promise<OutResult>;
  transferIn(endpointNumber: number, length: number, timeout?: number): Promise<InResult>;
  transferOut(endpointNumber: number, data: Uint8Array, timeout?: number): Promise<OutResult>;
}

/** The WebUSB object (navigator.usb / node-usb's WebUSB) as far as used here. */
export interface WebUsbLike {
  getDevices(): Promise<NativeUsbDevice[]>;
  addEventListener?(type: 'disconnect', listener: (ev: { device: unknown }) => void): void;
  removeEventListener?(type: 'disconnect', listener: (ev: { device: unknown }) => void): void;
}

const TYPES = ['standard', 'class', 'vendor'] as const;
const RECIPIENTS = ['device', 'interface', 'endpoint', 'other'] as const;

/** bmRequestType → WebUSB words; `exact` false when the recipient had to fall back to "device". */
export function webUsbSetup(setup: ControlSetup): { setup: WebUsbSetup; exact: boolean } | null {
  const type = TYPES[(setup.requestType >> 5) & 3];
  if (type === undefined) return null;
  const r = setup.requestType & 0x1f;
  const recipient = RECIPIENTS[r] ?? 'device';
  return {
    setup: { requestType: type, recipient, request: setup.request, value: setup.value, index: setup.index },
    exact: r < RECIPIENTS.length,
  };
}

export interface WebUsbTransportOptions {
  clock: Clock;
  /** Native transfers outstanding per endpoint (node-usb 3 allows 1). */
  maxInFlight?: number;
  /** Native timeout of each read in a bulk IN that has no timeout (ms). */
  pollMs?: number;
  /** Extra time past an operation's timeout before the guard timer fails it (ms). */
  graceMs?: number;
  /** Called by close() after the device is released (openDongle uses it to drop its disconnect listener). */
  onClose?: () => void;
}

export interface WebUsbStats {
  controlIn: number;
  controlOut: number;
  bulkIn: number;
  bulkOut: number;
  errors: number;
  /** Control requests whose recipient WebUSB cannot express, sent with recipient "device". */
  recipientFallbacks: number;
  /** Operations failed by the guard timer because the backend did not answer. */
  guardTimeouts: number;
}

interface Pending {
  settled: boolean;
  /** IN endpoint for cancelIn, else -1. */
  inEp: number;
  timer: Timer | null;
  resolve(v: unknown): void;
  reject(e: UsbError): void;
}

interface EndpointQueue {
  active: number;
  waiting: Array<() => void>;
}

export class WebUsbTransport implements UsbTransport {
  readonly info: UsbDeviceInfo;
  readonly endpoints: UsbEndpoints;
  readonly stats: WebUsbStats = {
    controlIn: 0,
    controlOut: 0,
    bulkIn: 0,
    bulkOut: 0,
    errors: 0,
    recipientFallbacks: 0,
    guardTimeouts: 0,
  };
  private gone: UsbError | null = null;
  private readonly pending = new Set<Pending>();
  private readonly queues = new Map<number, EndpointQueue>();
  private readonly listeners = new Set<(err: UsbError) => void>();
  private readonly clock: Clock;
  private readonly maxInFlight: number;
  private readonly pollMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly dev: NativeUsbDevice,
    private readonly wifi: WifiInterface,
    private readonly opts: WebUsbTransportOptions,
  ) {
    this.clock = opts.clock;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
    this.pollMs = opts.pollMs ?? 1000;
    this.graceMs = opts.graceMs ?? 1000;
    const speed = (dev.speed ?? 'unknown') as UsbSpeed;
    const id = matchDongleId(dev.vendorId, dev.productId);
    const where = dev.bus !== undefined ? `usb ${dev.bus}${dev.address !== undefined ? `:${dev.address}` : ''} ` : '';
    this.info = {
      vendorId: dev.vendorId,
      productId: dev.productId,
      speed,
      ep0MaxPacket: ep0MaxPacketForSpeed(dev.speed),
      interfaceNumber: wifi.interfaceNumber,
      description: `${where}${usbIdString(dev.vendorId, dev.productId)}${id ? ` ${id.name}` : ''}`,
    };
    this.endpoints = { in: wifi.in, out: wifi.out };
  }

  get removed(): boolean {
    return this.gone !== null;
  }

  controlIn(setup: ControlSetup, length: number, timeoutMs = USB_CONTROL_TIMEOUT_MS): Promise<Uint8Array> {
    const ws = this.mapSetup(setup, true);
    if (ws instanceof UsbError) return Promise.reject(ws);
    this.stats.controlIn++;
    return this.run<Uint8Array>(-1, -1, timeoutMs, async () => {
      const r = await this.dev.controlTransferIn(ws, length, timeoutMs);
      return inData(r, 'control IN');
    });
  }

  controlOut(setup: ControlSetup, data: Uint8Array | null, timeoutMs = USB_CONTROL_TIMEOUT_MS): Promise<void> {
    const ws = this.mapSetup(setup, false);
    if (ws instanceof UsbError) return Promise.reject(ws);
    this.stats.controlOut++;
    const payload = data ?? new Uint8Array(0); // node-usb 3 cannot take an absent buffer
    return this.run<void>(-1, -1, timeoutMs, async () => {
      const r = await this.dev.controlTransferOut(ws, payload, timeoutMs);
      outCheck(r, payload.length, 'control OUT');
    });
  }

  bulkOut(ep: number, data: Uint8Array, timeoutMs = USB_BULK_OUT_TIMEOUT_MS): Promise<void> {
    if (isIn(ep) || !this.endpoints.out.includes(ep)) {
      return Promise.reject(
        new UsbError('io', `bulk OUT to 0x${ep.toString(16)}: not a bulk OUT endpoint of the device`),
      );
    }
    this.stats.bulkOut++;
    return this.run<void>(ep, -1, timeoutMs, async () => {
      const r = await this.dev.transferOut(ep & 0x7f, data, timeoutMs);
      outCheck(r, data.length, `bulk OUT 0x${ep.toString(16)}`);
    });
  }

  bulkIn(ep: number, length: number, timeoutMs = 0): Promise<Uint8Array> {
    if (!isIn(ep) || !this.endpoints.in.includes(ep)) {
      return Promise.reject(
        new UsbError('io', `bulk IN from 0x${ep.toString(16)}: not a bulk IN endpoint of the device`),
      );
    }
    this.stats.bulkIn++;
    const what = `bulk IN 0x${ep.toString(16)}`;
    return this.run<Uint8Array>(ep, ep, timeoutMs, async (p) => {
      if (timeoutMs > 0) return inData(await this.dev.transferIn(ep & 0x7f, length, timeoutMs), what);
      for (;;) {
        try {
          return inData(await this.dev.transferIn(ep & 0x7f, length, this.pollMs), what);
        } catch (err) {
          const e = toUsbError(err, what);
          if (e.code !== 'timeout' || p.settled || this.gone) throw e;
        }
      }
    });
  }

  cancelIn(ep?: number): void {
    for (const p of this.pending) {
      if (p.inEp >= 0 && (ep === undefined || p.inEp === ep))
        this.settle(p, new UsbError('cancelled', 'read cancelled'));
    }
  }

  async reset(): Promise<void> {
    if (this.gone) throw this.gone;
    for (const p of this.pending) this.settle(p, new UsbError('cancelled', 'cancelled by USB reset'));
    try {
      await this.dev.reset();
    } catch (err) {
      const e = toUsbError(err, 'USB reset');
      if (e.code === 'nodev') this.markRemoved(e);
      throw e;
    }
  }

  async close(): Promise<void> {
    if (!this.gone) this.markRemoved(new UsbError('nodev', 'device closed'));
    await this.dev.releaseInterface(this.wifi.interfaceNumber).catch(() => {});
    await this.dev.close().catch(() => {});
    this.opts.onClose?.();
  }

  onRemoved(listener: (err: UsbError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The device went away (a disconnect event, or an operation that saw 'nodev'): fail everything, once. */
  markRemoved(err: UsbError = new UsbError('nodev', 'device disconnected')): void {
    if (this.gone) return;
    this.gone = err.code === 'nodev' ? err : new UsbError('nodev', err.message);
    log('%s removed: %s', this.info.description, this.gone.message);
    for (const p of this.pending) this.settle(p, this.gone);
    for (const q of this.queues.values()) q.waiting.length = 0;
    for (const l of [...this.listeners]) l(this.gone);
    this.listeners.clear();
  }

  private mapSetup(setup: ControlSetup, wantIn: boolean): WebUsbSetup | UsbError {
    if (isIn(setup.requestType) !== wantIn) {
      return new UsbError(
        'io',
        `control ${wantIn ? 'IN' : 'OUT'} with bmRequestType 0x${setup.requestType.toString(16)} of the other direction`,
      );
    }
    const m = webUsbSetup(setup);
    if (!m) return new UsbError('io', `bmRequestType 0x${setup.requestType.toString(16)}: reserved request type`);
    if (!m.exact) this.stats.recipientFallbacks++;
    return m.setup;
  }

  /**
   * Run `start` as one operation: queued behind others on `queueEp` (-1: no queue), failed by the guard timer,
   * by cancelIn (when `inEp` ≥ 0), reset or removal. The queue slot is held until the native call returns.
   */
  private run<T>(queueEp: number, inEp: number, timeoutMs: number, start: (p: Pending) => Promise<T>): Promise<T> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { settled: false, inEp, timer: null, resolve: resolve as (v: unknown) => void, reject };
      this.pending.add(p);
      if (timeoutMs > 0) {
        p.timer = this.clock.setTimeout(() => {
          this.stats.guardTimeouts++;
          this.settle(p, new UsbError('timeout', `no answer from the USB backend within ${timeoutMs} ms`));
        }, timeoutMs + this.graceMs);
      }
      const go = (release: () => void) => {
        if (p.settled) return release();
        start(p).then(
          (v) => {
            release();
            this.settle(p, null, v);
          },
          (err: unknown) => {
            release();
            const e = toUsbError(err, 'USB transfer');
            if (e.code === 'nodev') this.markRemoved(e);
            this.settle(p, e);
          },
        );
      };
      if (queueEp < 0) go(() => {});
      else this.acquire(queueEp, go);
    });
  }

  private acquire(ep: number, go: (release: () => void) => void): void {
    let q = this.queues.get(ep);
    if (!q) this.queues.set(ep, (q = { active: 0, waiting: [] }));
    const queue = q;
    const release = () => {
      queue.active--;
      const next = queue.waiting.shift();
      if (next) next();
    };
    const startIt = () => {
      queue.active++;
      go(release);
    };
    if (queue.active < this.maxInFlight) startIt();
    else queue.waiting.push(startIt);
  }

  private settle(p: Pending, err: UsbError | null, value?: unknown): void {
    if (p.settled) return;
    p.settled = true;
    p.timer?.cancel();
    this.pending.delete(p);
    if (err) {
      this.stats.errors++;
      p.reject(err);
    } else {
      p.resolve(value);
    }
  }
}

function inData(r: InResult, what: string): Uint8Array {
  const e = statusError(r.status, what);
  if (e) throw e;
  const dv = r.data;
  return dv ? new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength) : new Uint8Array(0);
}

function outCheck(r: OutResult, want: number, what: string): void {
  const e = statusError(r.status, what);
  if (e) throw e;
  if (r.bytesWritten < want) throw new UsbError('io', `${what}: short write, ${r.bytesWritten} of ${want} bytes`);
}

export interface OpenDeviceOptions {
  clock: Clock;
  /** The WebUSB object, to follow its 'disconnect' event. */
  usb?: WebUsbLike;
  /**
   * USB port reset before claiming, as mt7921u_probe does. Default: on Linux, where usbfs keeps the handle valid
   * across a reset that does not change the descriptors.
   * GUESS: elsewhere (macOS re-enumerates on reset) the handle would not survive it, so it is skipped by default.
   */
  reset?: boolean;
  /** Detach a kernel driver bound to the interface (Linux; default: on Linux). */
  detachKernelDriver?: boolean;
  maxInFlight?: number;
  pollMs?: number;
}

/**
 * Open a matched device the way mt7921u_probe starts: open, USB port reset, find the ff/ff/ff interface and its
 * endpoints, detach a kernel driver (Linux), claim, select the alt setting. DongleSetupError in words for a person
 * when any step fails.
 */
export async function openDevice(dev: NativeUsbDevice, opts: OpenDeviceOptions): Promise<WebUsbTransport> {
  const id = usbIdString(dev.vendorId, dev.productId);
  const step = async (what: string, fn: () => Promise<unknown>, hint = '') => {
    try {
      await fn();
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
  let claimed = -1;
  try {
    if (opts.reset ?? process.platform === 'linux') await step('USB reset', () => dev.reset());
    if (!dev.configuration) await step('select configuration 1', () => dev.selectConfiguration(1));
    if (!dev.configuration) throw new DongleSetupError(`${id}: the device has no active configuration`);
    const wifi = selectWifiInterface(dev.configuration);
    if ((opts.detachKernelDriver ?? process.platform === 'linux') && dev.detachKernelDriver) {
      // "no kernel driver attached" is the normal case when mt7921u is not loaded.
      await dev.detachKernelDriver(wifi.interfaceNumber).catch((err: Error) => log('detach: %s', err.message));
    }
    await step(
      `claim interface ${wifi.interfaceNumber}`,
      () => dev.claimInterface(wifi.interfaceNumber),
      ' (is the mt7921u kernel module bound to it? unload it: modprobe -r mt7921u)',
    );
    claimed = wifi.interfaceNumber;
    const current = dev.configuration.interfaces.find((i) => i.interfaceNumber === wifi.interfaceNumber);
    if (current && current.alternate.alternateSetting !== wifi.alternateSetting) {
      await step('select alt setting', () => dev.selectAlternateInterface(wifi.interfaceNumber, wifi.alternateSetting));
    }
    const usb = opts.usb;
    const onDisconnect = (ev: { device: unknown }) => {
      if (ev.device === dev) transport.markRemoved(new UsbError('nodev', 'device unplugged'));
    };
    const transport = new WebUsbTransport(dev, wifi, {
      clock: opts.clock,
      maxInFlight: opts.maxInFlight,
      pollMs: opts.pollMs,
      onClose: () => usb?.removeEventListener?.('disconnect', onDisconnect),
    });
    usb?.addEventListener?.('disconnect', onDisconnect);
    log('opened %s: interface %d, IN %o, OUT %o', transport.info.description, wifi.interfaceNumber, wifi.in, wifi.out);
    return transport;
  } catch (err) {
    if (claimed >= 0) await dev.releaseInterface(claimed).catch(() => {});
    await dev.close().catch(() => {});
    throw err;
  }
}
