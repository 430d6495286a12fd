/**
 * Finding MT7921U dongles: fast, and never throwing — `airstack demo` calls it to choose between a real dongle and
 * the emulator, on machines where libusb, the native module or /sys/bus/usb may be missing. Only the device list
 * is read (vendor and product ids come from the enumeration; no device is opened).
 */
import { type Clock, RealClock } from '../../../netstack/core/clock.ts';
import { logger } from '../../../netstack/core/log.ts';
import type { UsbTransport } from '../transport.ts';
import { DongleSetupError } from './descriptors.ts';
import { MT7921U_IDS, matchDongleId, usbIdString } from './ids.ts';
import { type NativeUsbDevice, type WebUsbLike, openDevice } from './webusb.ts';

const log = logger('usb');

export interface DongleCandidate {
  vendorId: number;
  productId: number;
  /** The product's name from the id table. */
  name: string;
  bus?: string;
  address?: number;
  /** e.g. "usb 2-1:4 0e8d:7961 MediaTek MT7921U reference" */
  description: string;
  /** The device object, for openDongle. */
  device: NativeUsbDevice;
}

/** node-usb's WebUSB with every device allowed, or an Error saying why it is unavailable. */
export async function loadWebUsb(): Promise<WebUsbLike> {
  const mod = (await import('usb')) as unknown as { WebUSB: new (o: { allowAllDevices: boolean }) => WebUsbLike };
  return new mod.WebUSB({ allowAllDevices: true });
}

export interface FindOptions {
  /** A WebUSB object to ask (tests); default: node-usb loaded on demand. */
  usb?: WebUsbLike;
  clock?: Clock;
  /** Give up after this long (ms, default 2000): a wedged USB stack must not stall the demo. */
  timeoutMs?: number;
  /** Told why no list could be read (module missing, no /sys/bus/usb, permission...). */
  onUnavailable?: (reason: string) => void;
}

/** The attached devices whose ids are in the MT7921U table; [] when USB is unavailable. Never throws. */
export async function findDongles(opts: FindOptions = {}): Promise<DongleCandidate[]> {
  const clock = opts.clock ?? new RealClock();
  const unavailable = (reason: string): DongleCandidate[] => {
    log('no USB device list: %s', reason);
    opts.onUnavailable?.(reason);
    return [];
  };
  let timer: ReturnType<Clock['setTimeout']> | null = null;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = clock.setTimeout(() => resolve('timeout'), opts.timeoutMs ?? 2000);
  });
  try {
    const list = (async () => (await (opts.usb ?? (await loadWebUsb())).getDevices()) ?? [])();
    list.catch(() => {}); // may settle after the timeout
    const devices = await Promise.race([list, timeout]);
    if (devices === 'timeout') return unavailable(`listing USB devices took longer than ${opts.timeoutMs ?? 2000} ms`);
    const out: DongleCandidate[] = [];
    for (const device of devices) {
      const id = matchDongleId(device.vendorId, device.productId);
      if (!id) continue;
      const where =
        device.bus !== undefined ? `usb ${device.bus}${device.address !== undefined ? `:${device.address}` : ''} ` : '';
      out.push({
        vendorId: device.vendorId,
        productId: device.productId,
        name: id.name,
        bus: device.bus,
        address: device.address,
        description: `${where}${usbIdString(device.vendorId, device.productId)} ${id.name}`,
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
  clock?: Clock;
  /** Pick among several dongles (default: the first). */
  select?: (candidates: DongleCandidate[]) => DongleCandidate | undefined;
  reset?: boolean;
  pollMs?: number;
}

/** Find and open a dongle; DongleSetupError in words for a person when there is none or it cannot be used. */
export async function openDongle(opts: OpenDongleOptions = {}): Promise<UsbTransport> {
  let reason = '';
  let usb = opts.usb;
  if (!usb) {
    try {
      usb = await loadWebUsb();
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
  return openDevice(pick.device, { clock: opts.clock ?? new RealClock(), usb, reset: opts.reset, pollMs: opts.pollMs });
}
