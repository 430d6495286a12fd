/** Either firmware image, recognised by content; reading one from disk with errors that say what to do. */
import { readFile } from 'node:fs/promises';
import { FirmwareError } from './errors.ts';
import { type ParseOptions, type RomPatch, parsePatch } from './patch.ts';
import { type RamCode, parseRamCode } from './ram.ts';

export type FirmwareImage = RomPatch | RamCode;
export type FirmwareKind = FirmwareImage['kind'];

/**
 * 'patch' when the file starts like a ROM patch header (an ASCII build date: 8 digits, YYYYMMDD), else 'ram'.
 * RAM code starts with machine code, never with eight ASCII digits in the images known.
 */
export function detectKind(buf: Uint8Array): FirmwareKind {
  if (buf.length < 8) return buf.length > 0 && buf[0]! >= 0x30 && buf[0]! <= 0x39 ? 'patch' : 'ram';
  for (let i = 0; i < 8; i++) if (buf[i]! < 0x30 || buf[i]! > 0x39) return 'ram';
  return 'patch';
}

export function parseFirmware(buf: Uint8Array, opts: ParseOptions & { kind?: FirmwareKind } = {}): FirmwareImage {
  const kind = opts.kind ?? detectKind(buf);
  return kind === 'patch' ? parsePatch(buf, opts) : parseRamCode(buf, opts);
}

/** Read and parse a firmware file. FirmwareError for a missing, unreadable or malformed file. */
export async function readFirmwareFile(
  path: string,
  opts: Omit<ParseOptions, 'file'> & { kind?: FirmwareKind } = {},
): Promise<FirmwareImage> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new FirmwareError(path, 'file', 'unreadable', `cannot read it: ${why}`);
  }
  return parseFirmware(buf, { ...opts, file: path });
}
