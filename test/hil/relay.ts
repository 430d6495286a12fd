/**
 * Power-cycling the dongle under test through a USB HID relay board: the common "USBRelay" boards (dcttech and
 * clones; USB id 16c0:05df, product "USBRelay1/2/4/8"), driven by HID feature reports through node-hid:
 *
 *   relay n on   [0x00, 0xff, n, 0, 0, 0, 0, 0, 0]      (report id 0, then the 8-byte report)
 *   relay n off  [0x00, 0xfd, n, 0, 0, 0, 0, 0, 0]
 *   status       get feature report 0: 5 ASCII bytes of board serial, …, byte 7 = relay bitmap (bit n-1 = relay n)
 *
 * AIRSTACK_HIL_RELAY = "<hidraw path or board serial>:<channel>[:nc|:no]". The suffix says how the dongle's VBUS is
 * wired through the relay: "nc" (default) — through the normally-closed contact, so the dongle is powered while
 * the relay is off and a crashed test leaves it powered; "no" — through the normally-open contact, powered while
 * the relay is on.
 *
 * node-hid is an optional dependency with a native binding (on Linux its prebuilt binaries link libusb-1.0.so.0,
 * the hidraw one too): it is loaded lazily and a failure to load is reported, never thrown at import time.
 */

export const USB_RELAY_VID = 0x16c0;
export const USB_RELAY_PID = 0x05df;
/** The feature report: 8 bytes, sent with report id 0 in front. */
export const USB_RELAY_REPORT_LEN = 8;
const CMD_ON = 0xff;
const CMD_OFF = 0xfd;

/** The parts of node-hid used (node-hid 3's synchronous API). */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string;
  serialNumber?: string;
  product?: string;
}
export interface HidHandle {
  sendFeatureReport(data: number[]): number;
  getFeatureReport(reportId: number, length: number): number[];
  close(): void;
}
export interface HidModule {
  devices(): HidDeviceInfo[];
  open(path: string): HidHandle;
}

export interface RelaySpec {
  /** A hidraw path ("/dev/hidraw3", or any path node-hid lists) or the board's 5-character serial. */
  target: string;
  /** Relay number on the board, from 1. */
  channel: number;
  /** Contact the dongle's VBUS goes through: 'nc' powered when the relay is off, 'no' when it is on. */
  wiring: 'nc' | 'no';
}

/** Parse AIRSTACK_HIL_RELAY; an Error saying what is wrong and the expected form. */
export function parseRelaySpec(spec: string): RelaySpec {
  const form = 'expected "<hidraw path or board serial>:<channel>[:nc|:no]", e.g. "/dev/hidraw3:1" or "QAAMZ:2:no"';
  let rest = spec.trim();
  let wiring: RelaySpec['wiring'] = 'nc';
  const suffix = /:(nc|no)$/i.exec(rest);
  if (suffix) {
    wiring = suffix[1]!.toLowerCase() as RelaySpec['wiring'];
    rest = rest.slice(0, -suffix[0].length);
  }
  const m = /^(.+):(\d+)$/.exec(rest);
  if (!m) throw new Error(`AIRSTACK_HIL_RELAY="${spec}": ${form}`);
  const channel = Number(m[2]);
  if (channel < 1 || channel > 8) throw new Error(`AIRSTACK_HIL_RELAY="${spec}": channel ${channel} is not 1–8`);
  return { target: m[1]!, channel, wiring };
}

/** The 9 bytes of the on/off feature report for relay `channel`. */
export function relayCommand(on: boolean, channel: number): number[] {
  const r = new Array<number>(1 + USB_RELAY_REPORT_LEN).fill(0);
  r[1] = on ? CMD_ON : CMD_OFF;
  r[2] = channel;
  return r;
}

export interface RelayStatus {
  serial: string;
  /** Bit n-1 set: relay n is on. */
  bitmap: number;
}

const printable = (b: number[], at: number) => b.slice(at, at + 5).every((c) => c >= 0x20 && c < 0x7f);

/**
 * Decode a status report. GUESS: hidapi returns the report id in front for some backends and not for others, so
 * the 5-byte serial is looked for at offset 1 (report id first) or 0; the bitmap is 7 bytes after it.
 */
export function parseRelayStatus(report: number[]): RelayStatus | null {
  const at = report.length >= 9 && report[0] === 0 && printable(report, 1) ? 1 : printable(report, 0) ? 0 : -1;
  if (at < 0 || report.length < at + 8) return null;
  return { serial: String.fromCharCode(...report.slice(at, at + 5)), bitmap: report[at + 7]! };
}

/** node-hid loaded on demand (node-hid 3: HID.HID for the handle). Rejects with why it is unavailable. */
export async function loadHid(): Promise<HidModule> {
  let mod: { devices(): HidDeviceInfo[]; HID: new (path: string) => HidHandle };
  try {
    const m = (await import('node-hid')) as unknown as { default?: typeof mod } & typeof mod;
    mod = m.default ?? m;
    mod.devices(); // loads the native binding: fails here when a shared library is missing
  } catch (e) {
    throw new Error(
      `node-hid is not usable here: ${(e as Error).message} (it is an optional dependency; on Linux its binding needs libusb-1.0-0)`,
    );
  }
  return { devices: () => mod.devices(), open: (path) => new mod.HID(path) };
}

/** One relay channel of a USBRelay board. */
export class UsbRelay {
  constructor(
    private readonly hid: HidHandle,
    readonly spec: RelaySpec,
    readonly description: string,
  ) {}

  on(): void {
    this.send(true);
  }

  off(): void {
    this.send(false);
  }

  /** Cut or restore the dongle's power, whichever relay state that is for the wiring. */
  power(powered: boolean): void {
    this.send(this.spec.wiring === 'nc' ? !powered : powered);
  }

  /** The board's serial and relay bitmap, or null when the report cannot be read or decoded. */
  status(): RelayStatus | null {
    try {
      return parseRelayStatus(this.hid.getFeatureReport(0, 1 + USB_RELAY_REPORT_LEN));
    } catch {
      return null;
    }
  }

  close(): void {
    this.hid.close();
  }

  private send(on: boolean): void {
    const n = this.hid.sendFeatureReport(relayCommand(on, this.spec.channel));
    if (n < 0) throw new Error(`${this.description}: sending the relay ${on ? 'on' : 'off'} report failed`);
  }
}

/**
 * Open the board named by the spec: by hidraw path, or by serial (each USBRelay board is opened and asked for its
 * status). An Error listing the boards seen when none matches.
 */
export function openUsbRelay(hid: HidModule, spec: RelaySpec): UsbRelay {
  const boards = hid.devices().filter((d) => d.vendorId === USB_RELAY_VID && d.productId === USB_RELAY_PID && d.path);
  const byPath = boards.find((d) => d.path === spec.target);
  if (byPath) return new UsbRelay(hid.open(byPath.path!), spec, `USB relay ${byPath.path} #${spec.channel}`);
  const seen: string[] = [];
  for (const d of boards) {
    let h: HidHandle;
    try {
      h = hid.open(d.path!);
    } catch (e) {
      seen.push(`${d.path} (cannot open: ${(e as Error).message})`);
      continue;
    }
    const relay = new UsbRelay(h, spec, `USB relay ${d.path} #${spec.channel}`);
    const st = relay.status();
    if (st?.serial === spec.target) return relay;
    seen.push(`${d.path} serial ${st?.serial ?? '?'}`);
    relay.close();
  }
  throw new Error(
    `no USBRelay board (16c0:05df) matches "${spec.target}"; boards seen: ${seen.length ? seen.join(', ') : 'none'}`,
  );
}
