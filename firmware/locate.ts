/**
 * Finding the images on disk by the names of FACTS §4.1, selected by chip id: $AIRSTACK_FIRMWARE_DIR (the folder
 * itself or its mediatek/ subfolder), then /lib/firmware/mediatek, then /usr/lib/firmware/mediatek. Distributions
 * that ship compressed firmware (.zst, .xz) are recognised and reported, since Node cannot read them unaided.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type ChipFirmware, chipFirmware } from './chips.ts';
import { FirmwareError } from './errors.ts';

export const SYSTEM_FIRMWARE_DIRS = ['/lib/firmware/mediatek', '/usr/lib/firmware/mediatek'];
const COMPRESSED_SUFFIXES = ['.zst', '.xz'];

/** The folders searched, in order. */
export function firmwareDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  const own = env.AIRSTACK_FIRMWARE_DIR;
  if (own) dirs.push(own, join(own, 'mediatek'));
  dirs.push(...SYSTEM_FIRMWARE_DIRS);
  return dirs;
}

export interface LocatedFirmware {
  chip: ChipFirmware;
  /** Path of the ROM patch, or null when not found. */
  patch: string | null;
  /** Path of the RAM code, or null when not found. */
  ram: string | null;
  /** The folders searched. */
  searched: string[];
  /** Compressed copies found where an uncompressed one was missing. */
  compressed: string[];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Look for a chip's images. Never throws for missing files (see `requireFirmware`); FirmwareError for an unknown chip. */
export function locateFirmware(
  chip = 0x7961,
  opts: { dirs?: string[]; env?: NodeJS.ProcessEnv } = {},
): LocatedFirmware {
  const fw = chipFirmware(chip);
  if (!fw) {
    throw new FirmwareError(
      `chip ${chip.toString(16)}`,
      'chip',
      'wrong-chip',
      `no firmware is known for chip 0x${chip.toString(16)} (known: 7961, 7920, 7922)`,
    );
  }
  const searched = opts.dirs ?? firmwareDirs(opts.env);
  const compressed: string[] = [];
  const find = (name: string): string | null => {
    for (const dir of searched) {
      const p = join(dir, name);
      if (isFile(p)) return p;
    }
    for (const dir of searched) {
      for (const sfx of COMPRESSED_SUFFIXES) if (isFile(join(dir, name + sfx))) compressed.push(join(dir, name + sfx));
    }
    return null;
  };
  return { chip: fw, patch: find(fw.patchFile), ram: find(fw.ramFile), searched, compressed };
}

/** Both images' paths, or FirmwareError('not-found') naming what is missing, where we looked and what to do. */
export function requireFirmware(chip = 0x7961, opts: { dirs?: string[]; env?: NodeJS.ProcessEnv } = {}) {
  const found = locateFirmware(chip, opts);
  if (found.patch && found.ram) return { patch: found.patch, ram: found.ram, chip: found.chip };
  const missing = [found.patch ? null : found.chip.patchFile, found.ram ? null : found.chip.ramFile].filter(Boolean);
  const zst = found.compressed.length
    ? `; compressed copies found (${found.compressed.join(', ')}): decompress them (zstd -d / xz -d) into AIRSTACK_FIRMWARE_DIR`
    : '';
  throw new FirmwareError(missing.join(', '), 'file', 'not-found', `not found in ${found.searched.join(', ')}${zst}`);
}
