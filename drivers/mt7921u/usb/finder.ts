/**
 * Finding MT7921U dongles: fast, and never throwing — `airstack demo` calls it to choose between a real dongle and
 * the emulator, on machines where the native module, the shared libraries it needs (node-usb 2's prebuilt binary
 * links libudev.so.1 on Linux; libusb itself is built in) or /sys/bus/usb may be missing. Only libusb's device
 * list is read: vendor and product ids come from the cached device descriptors; no device is opened.
 */
import { type Clock, RealClock } from '../../../netstack/core/clock.ts';
import { logger } from '../../../netstack/core/log.ts';
import type { UsbTransport } from '../transport.ts';
import { DongleSetupError } from './descriptors.ts';
import { MT7921U_IDS, matchDongleId, usbIdString } from './ids.ts';
import { type LibusbDevice, type LibusbHotplug, describeDevice, openDevice, usbLocation } from './libusb.ts';

const log = logger('usb');

/** The `usb` module (node-usb 2) as far as used: the device list and the hotplug events. */
export interface UsbModule extends LibusbHotplug {
  getDeviceList(): LibusbDevice[];
}

export interface DongleCandidate {
  vendorId: number;
  productId: number;
  /** The product's name from the id table. */
  name: string;
  /** Bus and port path, e.g. "2-1.4". */
  bus: string;
  /** Device address on the bus. */
  address: number;
  /** e.g. "usb 2-1:4 0e8d:7961 MediaTek MT7921U reference" */
  description: string;
  /** The device object, for openDongle. */
  device: LibusbDevice;
}

/** node-usb 2's libusb API, loaded on demand; rejects with why it is unavailable. */
export async function loadUsb(): Promise<UsbModule> {
  // `usb.usb` is the libusb binding with the hotplug EventEmitter mixed in (the namespace's own functions lack
  // `on`). Typed, so that the compiler checks node-usb's Device against LibusbDevice.
  const mod = await import('usb');
  const usb: UsbModule | undefined = mod.usb ?? (mod as { default?: { usb?: typeof mod.usb } }).default?.usb;
  if (!usb || typeof usb.getDeviceList !== 'function' || typeof usb.on !== 'function') {
    throw new Error('the installed `usb` package has no libusb API (getDeviceList); airstack needs usb 2.x');
  }
  return usb;
}

export interface FindOptions {
  /** A `usb` module to ask (tests); default: node-usb loaded on demand. */
  usb?: UsbModule;
  /** How to load it when `usb` is absent (default loadUsb; tests pass failing loaders). */
  load?: () => Promise<UsbModule>;
  clock?: Clock;
  /** Give up after this long (ms, default 2000): a wedged native module load must not stall the demo. */
  timeoutMs?: number;
  /** Told why no list could be read (module or libudev missing, no /sys/bus/usb, permission...). */
  onUnavailable?: (reason: string) => void;
}

/** The attached devices whose ids are in the MT7921U table; [] when USB is unavailable. Never throws. */
export async function findDongles(opts: FindOptions = {}): Promise<DongleCandidate[]> {
  const clock = opts.clock ?? new RealClock();
  const limit = opts.timeoutMs ?? 2000;
  const unavailable = (reason: string): DongleCandidate[] => {
    log('no USB device list: %s', reason);
    opts.onUnavailable?.(reason);
    return [];
  };
  let timer: ReturnType<Clock['setTimeout']> | null = null;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = clock.setTimeout(() => resolve('timeout'), limit);
  });
  try {
    const load = opts.usb ? Promise.resolve(opts.usb) : (opts.load ?? loadUsb)();
    load.catch(() => {}); // may settle after the timeout
    const usb = await Promise.race([load, timeout]);
    if (usb === 'timeout') return unavailable(`loading the USB module took longer than ${limit} ms`);
    const out: DongleCandidate[] = [];
    for (const device of usb.getDeviceList() ?? []) {
      const d = device.deviceDescriptor;
      const id = d ? matchDongleId(d.idVendor, d.idProduct) : null;
      if (!id) continue;
      out.push({
        vendorId: d.idVendor,
        productId: d.idProduct,
        name: id.name,
        bus: usbLocation(device),
        address: device.deviceAddress,
        description: describeDevice(device),
        device,
      });
    }
    return out;
  } catch (err) {
    return unavailable((err as Error)?.message ?? String(err));
  } finally {
    (timer as ReturnType<Clock['setTimeout']> | null)?.cancel();
  }
}

export interface OpenDongleOptions extends FindOptions {
  /** Pick among several dongles (default: the first). */
  select?: (candidates: DongleCandidate[]) => DongleCandidate | undefined;
  reset?: boolean;
}

/** Find and open a dongle; DongleSetupError in words for a person when there is none or it cannot be used. */
export async function openDongle(opts: OpenDongleOptions = {}): Promise<UsbTransport> {
  let reason = '';
  let usb = opts.usb;
  if (!usb) {
    try {
      usb = await (opts.load ?? loadUsb)();
    } catch (err) {
      reason = (err as Error).message;
    }
  }
  const found = usb ? await findDongles({ ...opts, usb, onUnavailable: (r) => (reason = r) }) : [];
  const pick = opts.select ? opts.select(found) : found[0];
  if (!pick) {
    const ids = MT7921U_IDS.map((d) => usbIdString(d.vendorId, d.productId)).join(', ');
    throw new DongleSetupError(
      reason ? `USB is unavailable: ${reason}` : `no MT7921U dongle attached (looked for ${ids})`,
    );
  }
  return openDevice(pick.device, { clock: opts.clock ?? new RealClock(), hotplug: usb, reset: opts.reset });
}
