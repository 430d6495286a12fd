/**
 * `airstack usb list [--json]`: the MT7921U dongles attached (by the id table of FACTS §1.1), or why USB cannot be
 * read on this machine.
 *
 * `airstack usb up [--device usb|emulated] [--usb-trace FILE] [--json] [--seed N]`: bring a chip up — probe, WFSYS
 * reset if needed, DMA init, ROM patch and RAM code download (a progress bar on a terminal), NIC capability, MAC
 * init — and print what came up: chip and revision, firmware, download time, MAC address, antennas, bands. Without
 * --device: a real dongle when one is attached, else the emulated MT7921U. `--usb-trace FILE` writes every control
 * and bulk transfer as JSON lines (drivers/mt7921u/usb/trace.ts).
 */
import type { Command } from 'commander';
import { findDongles } from '../../../drivers/mt7921u/usb/finder.ts';
import { MT7921U_IDS, usbIdString } from '../../../drivers/mt7921u/usb/ids.ts';
import { formatMac } from '../../../netstack/inet/addr.ts';
import {
  bringUp,
  type DongleKind,
  driverReport,
  firmwareReport,
  loadDriverFirmware,
  openDongleForCli,
} from '../dongle.ts';
import { UsageError } from '../errors.ts';

export const order = 30;

const out = (line: string) => process.stdout.write(`${line}\n`);

async function list(o: { json?: boolean }): Promise<void> {
  let reason: string | null = null;
  const found = await findDongles({ onUnavailable: (r) => (reason = r) });
  if (o.json) {
    out(
      JSON.stringify({
        available: reason === null,
        reason,
        dongles: found.map((d) => ({
          vid: d.vendorId.toString(16).padStart(4, '0'),
          pid: d.productId.toString(16).padStart(4, '0'),
          name: d.name,
          bus: d.bus,
          address: d.address,
        })),
      }),
    );
    return;
  }
  if (reason !== null) out(`USB is unavailable here: ${reason}`);
  else if (found.length === 0) {
    out(
      `no MT7921U dongle attached (looked for ${MT7921U_IDS.map((d) => usbIdString(d.vendorId, d.productId)).join(', ')})`,
    );
  }
  for (const d of found) out(d.description);
}

interface UpOptions {
  device?: string;
  usbTrace?: string;
  json?: boolean;
  seed: number;
}

async function up(o: UpOptions): Promise<void> {
  if (o.device !== undefined && o.device !== 'usb' && o.device !== 'emulated') {
    throw new UsageError(`unknown device "${o.device}" (available: usb, emulated)`);
  }
  const kind = o.device as DongleKind | undefined;
  const say = o.json ? () => {} : out;
  const fw = loadDriverFirmware({ allowSynthetic: kind !== 'usb' });
  const d = await openDongleForCli({ device: kind, firmware: fw, usbTrace: o.usbTrace, seed: o.seed });
  say(d.line);
  say(
    `firmware: ${fw.source === 'real' ? `${fw.paths!.patch}, ${fw.paths!.ram}` : 'synthetic images (no MT7961 firmware found on disk)'}`,
  );
  const wall0 = performance.now();
  let device: Awaited<ReturnType<typeof bringUp>> | null = null;
  try {
    device = await bringUp(d, fw, { json: o.json });
  } catch (e) {
    throw new UsageError(`bring-up failed: ${(e as Error).message}`);
  } finally {
    device?.close();
    await d.transport.close();
  }
  const wallMs = Math.round(performance.now() - wall0);
  const caps = device.caps!;
  const report = {
    device: d.kind,
    driver: driverReport(device, d.transport),
    firmware: firmwareReport(fw, device),
    initAttempts: device.initAttempts,
    mac: caps.macAddr ? formatMac(caps.macAddr) : null,
    antennaMask: caps.antennaMask,
    bands: [caps.has2g && '2g', caps.has5g && '5g', caps.has6g && '6g'].filter(Boolean),
    wallMs,
    ...(o.usbTrace !== undefined ? { usbTrace: o.usbTrace } : {}),
  };
  if (o.json) {
    out(JSON.stringify(report));
    return;
  }
  const f = report.firmware;
  out(`chip ${report.driver.chip} rev ${report.driver.rev}, usb ${report.driver.usb.vid}:${report.driver.usb.pid}`);
  out(`ROM patch build ${f.patch.build}, RAM code ${f.ram.version} build ${f.ram.build} (${f.ram.regions} regions)`);
  const bytes = device.download!.patchBytes + device.download!.ramBytes;
  out(
    `downloaded ${bytes} bytes in ${f.downloadMs} ms${d.kind === 'emulated' ? ' of virtual time' : ''}, ${report.initAttempts} attempt(s)`,
  );
  out(`MAC ${report.mac}, antennas 0x${report.antennaMask.toString(16)}, bands ${report.bands.join(' ')}`);
  if (o.usbTrace !== undefined) out(`USB trace written to ${o.usbTrace}`);
}

export function register(program: Command): void {
  const usb = program.command('usb').description('MT7921U dongles: list them, bring one up');
  usb
    .command('list')
    .description('list the attached MT7921U dongles (or say why USB cannot be read)')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => list(o));
  usb
    .command('up')
    .description('bring a dongle (or the emulator) up: firmware download, NIC capability, MAC init')
    .option('--device <kind>', 'usb or emulated (default: a dongle when attached, else the emulator)')
    .option('--usb-trace <file>', 'write every control and bulk transfer to FILE as JSON lines')
    .option(
      '--seed <n>',
      "the emulator's seed",
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed ${v}: give a non-negative integer`);
        return n;
      },
      1,
    )
    .option('--json', 'print a JSON report (no progress bar)')
    .action((o: UpOptions) => up(o));
}
