/**
 * `airstack fw info FILE [--json]`: what a MT7961 firmware image holds (FACTS §4): kind, build date, platform,
 * versions, sections or regions with address, length and download mode, and for RAM code the chip id, eco,
 * format, version and CNM capability. A malformed file is one line on stderr naming the file, the field and the
 * problem, and exit code 1.
 */
import type { Command } from 'commander';
import {
  FW_FEATURE_ENCRY_MODE,
  FW_FEATURE_NON_DL,
  FW_FEATURE_OVERRIDE_ADDR,
  FW_FEATURE_SET_ENCRYPT,
  FirmwareError,
  type FirmwareKind,
  chipFirmware,
  firmwareSummary,
  type patchSummary,
  type ramSummary,
  readFirmwareFile,
} from '../../../firmware/index.ts';
import { UsageError } from '../errors.ts';

const hex = (v: number, digits = 8) => `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;

function features(f: number): string {
  const out: string[] = [];
  if (f & FW_FEATURE_SET_ENCRYPT) out.push(`ENCRYPT key ${(f >> 1) & 3}`);
  if (f & FW_FEATURE_ENCRY_MODE) out.push('ENCRY_MODE');
  if (f & FW_FEATURE_OVERRIDE_ADDR) out.push('OVERRIDE_ADDR');
  if (f & FW_FEATURE_NON_DL) out.push('NON_DL');
  return out.join(' ') || '-';
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `    ${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}`.trimEnd());
}

export function formatPatch(s: ReturnType<typeof patchSummary>): string {
  const lines = [
    `${s.file}: ROM patch, ${s.bytes} bytes`,
    `  build date   ${s.buildDate}`,
    `  platform     ${s.platform}`,
    `  hw/sw ver    ${hex(s.hwSwVer)}`,
    `  patch ver    ${hex(s.patchVer)}`,
    `  checksum     ${hex(s.checksum, 4)}`,
    `  descriptor   patch_ver ${hex(s.desc.patchVer)}, subsys ${hex(s.desc.subsys)}, feature ${hex(s.desc.feature)}, crc ${hex(s.desc.crc)}`,
    `  sections     ${s.sections.length} (${s.downloadBytes} bytes to download)`,
    ...table([
      ['#', 'type', 'addr', 'len', 'offset', 'size', 'encryption', 'mode', 'chunks', 'command'],
      ...s.sections.map((x) => [
        String(x.index),
        hex(x.type),
        hex(x.addr),
        String(x.len),
        hex(x.fileOffset),
        String(x.size),
        x.encryption,
        hex(x.mode),
        String(x.chunks),
        x.command,
      ]),
    ]),
  ];
  return lines.join('\n');
}

export function formatRam(s: ReturnType<typeof ramSummary>): string {
  const chip = s.chipId === 0x0d ? ' (MT7961)' : '';
  const dl = s.regions.filter((r) => r.download).length;
  const lines = [
    `${s.file}: RAM code, ${s.bytes} bytes`,
    `  chip id      ${hex(s.chipId, 2)}${chip}`,
    `  eco          ${hex(s.eco, 2)}`,
    `  format       ver ${hex(s.formatVer, 2)}, flag ${hex(s.formatFlag, 2)}`,
    `  version      ${s.version}`,
    `  build date   ${s.buildDate}`,
    `  crc          ${hex(s.crc)}`,
    `  CNM          ${s.cnm ? 'yes' : 'no'}`,
    `  start        ${s.overrideAddr === null ? 'default address' : `override address ${hex(s.overrideAddr)}`}`,
    `  regions      ${s.regions.length} (${dl} downloaded, ${s.downloadBytes} bytes)`,
    ...table([
      ['#', 'addr', 'len', 'offset', 'feature', 'type', 'mode', 'chunks', 'flags'],
      ...s.regions.map((r) => [
        String(r.index),
        hex(r.addr),
        String(r.len),
        hex(r.fileOffset),
        hex(r.featureSet, 2),
        r.type === 2 ? 'CLC' : String(r.type),
        r.download ? hex(r.mode) : 'skipped',
        String(r.chunks),
        features(r.featureSet),
      ]),
    ]),
  ];
  if (s.releaseInfo) {
    lines.push(`  release info ${s.releaseInfo.entries.length} entries at ${hex(s.releaseInfo.offset)}`);
    for (const e of s.releaseInfo.entries) {
      const what =
        e.text !== undefined
          ? JSON.stringify(e.text)
          : e.tag === 4 && s.releaseInfo.feature
            ? `FEATURE segment ${hex(s.releaseInfo.feature.segment, 2)} data ${hex(s.releaseInfo.feature.data, 2)}${s.cnm ? ' (CNM)' : ''}`
            : e.data;
      lines.push(`    tag ${e.tag}: ${what}`);
    }
  } else {
    lines.push('  release info none');
  }
  return lines.join('\n');
}

function parseChip(v: string): number | undefined {
  if (v === 'any') return undefined;
  const n = Number.parseInt(v.replace(/^0x/i, ''), 16);
  if (!Number.isFinite(n) || !chipFirmware(n)) {
    throw new UsageError(`--chip ${v}: give a chip id in hex (7961, 7920, 7922) or "any"`);
  }
  return n;
}

export const order = 50;

export function register(program: Command): void {
  const fw = program.command('fw').description('MT7961 firmware images');
  fw.command('info')
    .description('print what a ROM patch or RAM code image holds, after validating every field')
    .argument('<file>', 'a ROM patch (*_patch_mcu_*_hdr.bin) or RAM code (WIFI_RAM_CODE_*.bin)')
    .option('--json', 'print JSON')
    .option('--kind <kind>', 'patch or ram (default: recognised by content)')
    .option('--chip <id>', 'refuse images known to be for another chip (hex id, or "any")', '7961')
    .action(async (file: string, opts: { json?: boolean; kind?: string; chip: string }) => {
      if (opts.kind !== undefined && opts.kind !== 'patch' && opts.kind !== 'ram') {
        throw new UsageError(`--kind ${opts.kind}: give "patch" or "ram"`);
      }
      const chip = parseChip(opts.chip);
      let img: Awaited<ReturnType<typeof readFirmwareFile>>;
      try {
        img = await readFirmwareFile(file, { chip, kind: opts.kind as FirmwareKind | undefined });
      } catch (err) {
        if (err instanceof FirmwareError) throw new UsageError(err.message);
        throw err;
      }
      const summary = firmwareSummary(img);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else process.stdout.write(`${summary.kind === 'patch' ? formatPatch(summary) : formatRam(summary)}\n`);
    });
}
