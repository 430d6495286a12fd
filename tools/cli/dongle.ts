/**
 * Bringing up an MT7921U from the command line — the pieces `airstack usb up` uses and `airstack demo` can reuse:
 * choosing the device (a real dongle when one is attached, else the emulator), the firmware (the real MT7961
 * images when found on disk, synthetic ones for the emulator otherwise), the `--usb-trace FILE` wrapping, the
 * progress bar, and the JSON report fields of issue 5 (`firmware`, `driver`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mt7921uDevice, Mt7921uDeviceOptions } from '../../drivers/mt7921u/device.ts';
import { EmulatedMt7921u, type EmulatorOptions } from '../../drivers/mt7921u/emulator/index.ts';
import type { UsbTransport } from '../../drivers/mt7921u/transport.ts';
import { DongleSetupError } from '../../drivers/mt7921u/usb/descriptors.ts';
import { type DongleCandidate, findDongles, openDongle } from '../../drivers/mt7921u/usb/finder.ts';
import { MT7921U_IDS, usbIdString } from '../../drivers/mt7921u/usb/ids.ts';
import { TraceFileError, traceToFile } from '../../drivers/mt7921u/usb/recorder.ts';
import { createMt7921uDevice } from '../../drivers/mt7921u/usb-bus.ts';
import {
  buildPatch,
  buildRamCode,
  displayText,
  FirmwareError,
  parsePatch,
  parseRamCode,
  type RamCode,
  type RomPatch,
  locateFirmware,
} from '../../firmware/index.ts';
import { firmwareDirs } from '../../firmware/locate.ts';
import { type Clock, RealClock, VirtualClock } from '../../netstack/core/clock.ts';
import { downloadProgressBar } from './download-progress.ts';
import { UsageError } from './errors.ts';

export type DongleKind = 'usb' | 'emulated';

export interface DriverFirmware {
  source: 'real' | 'synthetic';
  patch: RomPatch;
  ram: RamCode;
  /** The file bytes (the emulator checks the download against them). */
  patchFile: Uint8Array;
  ramFile: Uint8Array;
  paths: { patch: string; ram: string } | null;
}

/**
 * The firmware folder of a developer checkout: `../shared/firmware` beside the project (where CI and developer
 * machines keep the real MT7961 images: shared/firmware/README.md), looked at only when running from a git
 * checkout — an installed package has no business reading its parent folder.
 */
export function checkoutFirmwareDir(): string | null {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  if (!existsSync(join(root, '.git'))) return null;
  const dir = join(root, '..', 'shared', 'firmware');
  return existsSync(dir) ? dir : null;
}

/**
 * Where the images are looked for, in order: $AIRSTACK_FIRMWARE_DIR, the system folders, then the checkout's
 * ../shared/firmware — the last only when AIRSTACK_FIRMWARE_DIR is unset (a person who names a folder means it).
 */
export function driverFirmwareDirs(env: NodeJS.ProcessEnv = process.env, checkout = checkoutFirmwareDir()): string[] {
  const own = env.AIRSTACK_FIRMWARE_DIR !== undefined && env.AIRSTACK_FIRMWARE_DIR !== '';
  return [...firmwareDirs(env), ...(checkout === null || own ? [] : [checkout])];
}

/**
 * The MT7961 images: the real ones when both are found (driverFirmwareDirs), otherwise synthetic ones when
 * `allowSynthetic` (the emulator accepts any well-formed image; a real chip does not). UsageError saying where it
 * looked when real images are required and missing or unreadable.
 */
export function loadDriverFirmware(o: {
  allowSynthetic: boolean;
  env?: NodeJS.ProcessEnv;
  /** The folders to search (default driverFirmwareDirs(env)). */
  dirs?: string[];
}): DriverFirmware {
  const found = locateFirmware(0x7961, { dirs: o.dirs ?? driverFirmwareDirs(o.env) });
  if (found.patch && found.ram) {
    try {
      const patchFile = new Uint8Array(readFileSync(found.patch));
      const ramFile = new Uint8Array(readFileSync(found.ram));
      return {
        source: 'real',
        patch: parsePatch(patchFile, { file: found.patch }),
        ram: parseRamCode(ramFile, { file: found.ram }),
        patchFile,
        ramFile,
        paths: { patch: found.patch, ram: found.ram },
      };
    } catch (e) {
      throw new UsageError(e instanceof FirmwareError ? e.message : `reading the firmware: ${(e as Error).message}`);
    }
  }
  if (!o.allowSynthetic) {
    const missing = [found.patch ? null : found.chip.patchFile, found.ram ? null : found.chip.ramFile].filter(Boolean);
    throw new UsageError(
      `the MT7961 firmware is needed for a real dongle: ${missing.join(' and ')} not found in ${found.searched.join(', ')} ` +
        '(install linux-firmware / firmware-misc-nonfree, or set AIRSTACK_FIRMWARE_DIR)',
    );
  }
  const patchFile = buildPatch();
  const ramFile = buildRamCode();
  return {
    source: 'synthetic',
    patch: parsePatch(patchFile),
    ram: parseRamCode(ramFile),
    patchFile,
    ramFile,
    paths: null,
  };
}

/** issue 5's `firmware` report: {source, patch: {build, bytes}, ram: {version, build, bytes, regions}, downloadMs}. */
export function firmwareReport(fw: DriverFirmware, device: Mt7921uDevice | null) {
  return {
    source: fw.source,
    patch: { build: displayText(fw.patch.buildDate), bytes: fw.patch.size },
    ram: {
      version: displayText(fw.ram.fwVer),
      build: displayText(fw.ram.buildDate),
      bytes: fw.ram.size,
      regions: fw.ram.regions.length,
    },
    downloadMs: device?.download ? round(device.download.elapsedMs) : null,
  };
}

/** issue 5's `driver` report: {chip, rev, usb: {vid, pid}} ("7961", "0x10", "0e8d", "7961"). */
export function driverReport(device: Mt7921uDevice | null, transport: UsbTransport) {
  const hex = (v: number, n: number) => v.toString(16).padStart(n, '0');
  const chip = device?.chip ?? null;
  return {
    chip: chip ? hex(chip.chip, 4) : null,
    rev: chip ? `0x${hex(chip.rev, 2)}` : null,
    usb: { vid: hex(transport.info.vendorId, 4), pid: hex(transport.info.productId, 4) },
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export interface OpenedDongle {
  kind: DongleKind;
  /** What the driver talks to: the dongle or the emulator, wrapped by the trace recorder with --usb-trace. */
  transport: UsbTransport;
  clock: Clock;
  /** The emulator, when kind is 'emulated'. */
  emulator: EmulatedMt7921u | null;
  /** One line saying which device is used, e.g. "using usb 2-1:4 0e8d:7961 ..." or "using the emulated MT7921U". */
  line: string;
}

export interface OpenDongleOptions {
  /** 'usb' | 'emulated'; absent: a real dongle when one is attached, else the emulator. */
  device?: DongleKind;
  firmware: DriverFirmware;
  /** --usb-trace FILE */
  usbTrace?: string;
  /** The emulator's seed. */
  seed?: number;
  /** For the automatic choice: told why USB is unavailable. */
  onUsbUnavailable?: (reason: string) => void;
  /**
   * The emulator's world when it is chosen: its clock (default a new VirtualClock), its radio (default one that
   * hears nothing), its MAC address. Called only when the emulator is used.
   */
  emulator?: () => Promise<Partial<EmulatorOptions> & { clock: VirtualClock }>;
}

/**
 * The device for a command: the real dongle on the real clock, or the emulator on a virtual clock. Errors for a
 * person (no dongle, no permission, unwritable trace file) are UsageErrors.
 */
export async function openDongleForCli(o: OpenDongleOptions): Promise<OpenedDongle> {
  let kind = o.device;
  let found: DongleCandidate[] = [];
  let unavailable: string | null = null;
  if (kind !== 'emulated') {
    found = await findDongles({
      onUnavailable: (r) => {
        unavailable = r;
        o.onUsbUnavailable?.(r);
      },
    });
    if (kind === undefined) kind = found.length > 0 ? 'usb' : 'emulated';
  }
  if (kind === 'usb' && found.length === 0) {
    const ids = MT7921U_IDS.map((d) => usbIdString(d.vendorId, d.productId)).join(', ');
    throw new UsageError(
      unavailable !== null
        ? `--device usb: USB is unavailable here: ${unavailable}`
        : `--device usb: no MT7921U dongle attached (looked for ${ids}); without one, use --device emulated`,
    );
  }
  let opened: Omit<OpenedDongle, 'transport'> & { raw: UsbTransport };
  if (kind === 'usb') {
    if (o.firmware.source !== 'real') {
      throw new UsageError(
        'a dongle needs the real MT7961 firmware, which is not on disk (install linux-firmware / firmware-misc-nonfree ' +
          'or set AIRSTACK_FIRMWARE_DIR), or use --device emulated',
      );
    }
    const clock = new RealClock();
    let raw: UsbTransport;
    try {
      raw = await openDongle({ clock });
    } catch (e) {
      if (e instanceof DongleSetupError) throw new UsageError(e.message);
      throw e;
    }
    opened = { kind, raw, clock, emulator: null, line: `using ${raw.info.description}` };
  } else {
    const world = o.emulator ? await o.emulator() : { clock: new VirtualClock() };
    const clock = world.clock;
    const emu = new EmulatedMt7921u({
      seed: o.seed ?? 1,
      ...world,
      firmware: { patch: o.firmware.patchFile, ram: o.firmware.ramFile },
    });
    const why = o.device === 'emulated' ? '' : ' (no MT7921U dongle attached)';
    opened = { kind: 'emulated', raw: emu, clock, emulator: emu, line: `using the emulated MT7921U${why}` };
  }
  const { raw, ...rest } = opened;
  if (o.usbTrace === undefined) return { ...rest, transport: raw };
  try {
    return { ...rest, transport: traceToFile(raw, rest.clock, o.usbTrace) };
  } catch (e) {
    await raw.close();
    if (e instanceof TraceFileError) throw new UsageError(`${e.message} (check the --usb-trace path)`);
    throw e;
  }
}

/** Run `p` to completion: on a virtual clock by advancing it, on the real clock by waiting. */
export async function runOn<T>(clock: Clock, p: Promise<T>, maxMs = 120_000): Promise<T> {
  if (!(clock instanceof VirtualClock)) return p;
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await clock.runAsync({ until: () => done, maxTime: clock.now() + maxMs });
  return p;
}

/**
 * Probe the chip (bring-up and firmware download) with the progress bar on a terminal. Returns the device; the
 * caller closes it and the transport.
 */
export async function bringUp(
  d: OpenedDongle,
  fw: DriverFirmware,
  o: { json?: boolean; device?: Partial<Omit<Mt7921uDeviceOptions, 'bus' | 'regs' | 'clock' | 'firmware'>> } = {},
): Promise<Mt7921uDevice> {
  const bar = downloadProgressBar({ json: o.json });
  const { device } = createMt7921uDevice({
    transport: d.transport,
    clock: d.clock,
    firmware: { patch: fw.patch, ram: fw.ram },
    // openDongle already reset the port before claiming
    bus: { resetOnProbe: d.kind === 'emulated' },
    ...o.device,
    onProgress: (p) => {
      bar.update(p);
      o.device?.onProgress?.(p);
    },
  });
  try {
    await runOn(d.clock, device.probe());
  } finally {
    bar.stop();
  }
  return device;
}
