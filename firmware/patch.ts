/**
 * The ROM patch file (FACTS §4.2, mt76_connac2_patch_hdr / mt76_connac2_patch_sec) — big-endian.
 *
 *   header (96 bytes) | n_region section descriptors (64 bytes each) | section payloads (at their `offs`)
 *
 * `parsePatch` validates every field and throws FirmwareError (only) for anything wrong; `encodePatch` writes the
 * same layout back, so that encodePatch(parsePatch(file)) reproduces a well-formed file byte for byte.
 */
import { chipFirmware } from './chips.ts';
import { type PatchEncryption, chunkCount, patchDlMode, patchEncryption, usesPatchStartReq } from './dlmode.ts';
import { FirmwareError } from './errors.ts';
import { dataView, hex32, rangesOverlap, readText, requireBytes, writeText } from './fields.ts';

export const PATCH_HDR_SIZE = 96;
export const PATCH_SEC_SIZE = 64;
export const PATCH_SEC_TYPE_MASK = 0xffff;
export const PATCH_SEC_TYPE_INFO = 0x2;
const HDR_RESERVED_WORDS = 11;
const SEC_RESERVED_WORDS = 9;

/** The fields of one section descriptor, and its payload. */
export interface PatchSectionFields {
  /** Full type word; the low 16 bits must be PATCH_SEC_TYPE_INFO (the real file has 0x00040002). */
  type: number;
  /** File offset of the payload. */
  offs: number;
  /** Payload size in the file. */
  size: number;
  /** info.addr: target address. */
  addr: number;
  /** info.len: bytes to download (from `offs`). */
  len: number;
  /** info.sec_key_idx: security info (encryption type in [31:24], AES key index in [7:0]). */
  secKeyIdx: number;
  /** info.align_len */
  alignLen: number;
  /** The 9 reserved words (the first reads 0x00000100 in the real file; meaning unknown). */
  reserved: readonly number[];
  /** The `size` payload bytes at `offs` (a view into the file when parsed). */
  payload: Uint8Array;
}

export interface PatchFields {
  /** 16 ASCII bytes as stored, e.g. "20231109190918a\n". */
  buildDate: string;
  /** 4 ASCII bytes, e.g. "ALPS". */
  platform: string;
  hwSwVer: number;
  patchVer: number;
  checksum: number;
  /** The 2 reserved bytes after the checksum, as a big-endian 16-bit value. */
  reserved: number;
  desc: {
    patchVer: number;
    subsys: number;
    feature: number;
    crc: number;
    /** 11 reserved words. */
    reserved: readonly number[];
  };
  sections: readonly PatchSectionFields[];
}

export interface PatchSection extends PatchSectionFields {
  index: number;
  encryption: PatchEncryption;
  /** The mode word for the init-download command (mt76_connac2_get_data_mode). */
  dlMode: number;
  /** The bytes to download: payload[0, len). */
  data: Uint8Array;
  /** FW_SCATTER chunks of ≤ 4096 bytes. */
  chunks: number;
  /** Init download by PATCH_START_REQ (true) or TARGET_ADDRESS_LEN_REQ (false). */
  patchStartReq: boolean;
}

export interface RomPatch extends PatchFields {
  kind: 'patch';
  file: string;
  /** File size in bytes. */
  size: number;
  desc: PatchFields['desc'] & { nRegion: number };
  sections: readonly PatchSection[];
  /** Total bytes downloaded (sum of info.len). */
  downloadBytes: number;
}

export interface ParseOptions {
  /** The file's name for error messages. */
  file?: string;
  /** When set, refuse an image that is known not to be for this chip id (e.g. 0x7961). */
  chip?: number;
}

/** Parse and validate a ROM patch. Throws FirmwareError for anything malformed, and nothing else. */
export function parsePatch(buf: Uint8Array, opts: ParseOptions = {}): RomPatch {
  const file = opts.file ?? '<patch>';
  requireBytes(buf, PATCH_HDR_SIZE, file, 'header', `the ${PATCH_HDR_SIZE}-byte ROM patch header`);
  const dv = dataView(buf);
  const buildDate = readText(buf, 0, 16, file, 'build_date');
  const platform = readText(buf, 16, 4, file, 'platform');
  const nRegion = dv.getUint32(44);
  const desc = {
    patchVer: dv.getUint32(32),
    subsys: dv.getUint32(36),
    feature: dv.getUint32(40),
    nRegion,
    crc: dv.getUint32(48),
    reserved: words(dv, 52, HDR_RESERVED_WORDS),
  };
  const descEnd = PATCH_HDR_SIZE + nRegion * PATCH_SEC_SIZE;
  if (nRegion === 0) throw new FirmwareError(file, 'desc.n_region', 'bad-count', 'is 0: the patch has no sections');
  if (descEnd > buf.length) {
    throw new FirmwareError(
      file,
      'desc.n_region',
      'bad-count',
      `${nRegion} sections need ${descEnd} bytes of header and descriptors, the file has ${buf.length}`,
    );
  }

  const sections: PatchSection[] = [];
  let downloadBytes = 0;
  for (let i = 0; i < nRegion; i++) {
    const s = parseSection(buf, dv, i, descEnd, file);
    for (const prev of sections) {
      if (rangesOverlap(prev.offs, prev.size, s.offs, s.size)) {
        throw new FirmwareError(
          file,
          `section[${i}].offs`,
          'overlap',
          `payload [${s.offs}, ${s.offs + s.size}) overlaps section ${prev.index}'s [${prev.offs}, ${prev.offs + prev.size})`,
        );
      }
      if (rangesOverlap(prev.addr, prev.len, s.addr, s.len)) {
        throw new FirmwareError(
          file,
          `section[${i}].info.addr`,
          'overlap',
          `target ${hex32(s.addr)}+${s.len} overlaps section ${prev.index}'s ${hex32(prev.addr)}+${prev.len}`,
        );
      }
    }
    sections.push(s);
    downloadBytes += s.len;
  }

  // The chip last: a damaged file should be reported as damaged, not as another chip's.
  if (opts.chip !== undefined) {
    const want = chipFirmware(opts.chip)?.patchPlatform ?? null;
    if (want !== null && platform !== want) {
      throw new FirmwareError(
        file,
        'platform',
        'wrong-chip',
        `"${platform}" is not the platform of chip ${opts.chip.toString(16)} ("${want}")`,
      );
    }
  }
  return {
    kind: 'patch',
    file,
    size: buf.length,
    buildDate,
    platform,
    hwSwVer: dv.getUint32(20),
    patchVer: dv.getUint32(24),
    checksum: dv.getUint16(28),
    reserved: dv.getUint16(30),
    desc,
    sections,
    downloadBytes,
  };
}

function parseSection(buf: Uint8Array, dv: DataView, i: number, descEnd: number, file: string): PatchSection {
  const at = PATCH_HDR_SIZE + i * PATCH_SEC_SIZE;
  const f = (name: string) => `section[${i}].${name}`;
  const type = dv.getUint32(at);
  const offs = dv.getUint32(at + 4);
  const size = dv.getUint32(at + 8);
  const addr = dv.getUint32(at + 12);
  const len = dv.getUint32(at + 16);
  const secKeyIdx = dv.getUint32(at + 20);
  const alignLen = dv.getUint32(at + 24);
  const reserved = words(dv, at + 28, SEC_RESERVED_WORDS);

  if ((type & PATCH_SEC_TYPE_MASK) !== PATCH_SEC_TYPE_INFO) {
    throw new FirmwareError(
      file,
      f('type'),
      'bad-section-type',
      `${hex32(type)} is not an INFO section (low 16 bits must be 0x0002)`,
    );
  }
  if (offs < descEnd) {
    throw new FirmwareError(
      file,
      f('offs'),
      'overlap',
      `payload offset ${offs} lies inside the header and descriptors (which end at ${descEnd})`,
    );
  }
  if (offs + size > buf.length) {
    throw new FirmwareError(
      file,
      f('size'),
      'outside-file',
      `payload [${offs}, ${offs + size}) ends past the end of the file (${buf.length} bytes)`,
    );
  }
  if (len === 0) throw new FirmwareError(file, f('info.len'), 'bad-length', 'is 0: nothing to download');
  if (len > size) {
    throw new FirmwareError(file, f('info.len'), 'bad-length', `${len} is larger than the section's size ${size}`);
  }
  if (addr + len > 0x1_0000_0000) {
    throw new FirmwareError(file, f('info.addr'), 'bad-length', `${hex32(addr)}+${len} wraps past 0xffffffff`);
  }
  const encryption = patchEncryption(secKeyIdx);
  const dlMode = patchDlMode(secKeyIdx);
  if (encryption === null || dlMode === null) {
    throw new FirmwareError(
      file,
      f('info.sec_key_idx'),
      'unknown-encryption',
      `encryption type 0x${(secKeyIdx >>> 24).toString(16)} in ${hex32(secKeyIdx)} is not plain (0), AES (1) or scramble (2)`,
    );
  }
  const payload = buf.subarray(offs, offs + size);
  return {
    index: i,
    type,
    offs,
    size,
    addr,
    len,
    secKeyIdx,
    alignLen,
    reserved,
    payload,
    encryption,
    dlMode,
    data: payload.subarray(0, len),
    chunks: chunkCount(len),
    patchStartReq: usesPatchStartReq(addr),
  };
}

/**
 * Write a ROM patch: header, descriptors, payloads at their `offs` (gaps zero-filled). The file ends at the last
 * payload. Values are written as given (so tests can also build inconsistent files); RangeError on values that
 * do not fit their fields.
 */
export function encodePatch(p: PatchFields): Uint8Array {
  const descEnd = PATCH_HDR_SIZE + p.sections.length * PATCH_SEC_SIZE;
  let size = descEnd;
  for (const s of p.sections) {
    if (s.payload.length !== s.size)
      throw new RangeError(`section payload has ${s.payload.length} bytes, size says ${s.size}`);
    size = Math.max(size, s.offs + s.size);
  }
  const out = new Uint8Array(size);
  const dv = dataView(out);
  writeText(out, 0, 16, p.buildDate, 'build_date');
  writeText(out, 16, 4, p.platform, 'platform');
  dv.setUint32(20, p.hwSwVer);
  dv.setUint32(24, p.patchVer);
  dv.setUint16(28, p.checksum);
  dv.setUint16(30, p.reserved);
  dv.setUint32(32, p.desc.patchVer);
  dv.setUint32(36, p.desc.subsys);
  dv.setUint32(40, p.desc.feature);
  dv.setUint32(44, p.sections.length);
  dv.setUint32(48, p.desc.crc);
  setWords(dv, 52, p.desc.reserved, HDR_RESERVED_WORDS);
  p.sections.forEach((s, i) => {
    const at = PATCH_HDR_SIZE + i * PATCH_SEC_SIZE;
    dv.setUint32(at, s.type);
    dv.setUint32(at + 4, s.offs);
    dv.setUint32(at + 8, s.size);
    dv.setUint32(at + 12, s.addr);
    dv.setUint32(at + 16, s.len);
    dv.setUint32(at + 20, s.secKeyIdx);
    dv.setUint32(at + 24, s.alignLen);
    setWords(dv, at + 28, s.reserved, SEC_RESERVED_WORDS);
    if (s.offs < descEnd) throw new RangeError(`section ${i} payload offset ${s.offs} is inside the descriptors`);
    out.set(s.payload, s.offs);
  });
  return out;
}

function words(dv: DataView, at: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(dv.getUint32(at + 4 * i));
  return out;
}

function setWords(dv: DataView, at: number, values: readonly number[], n: number): void {
  if (values.length > n) throw new RangeError(`${values.length} reserved words given, the field holds ${n}`);
  for (let i = 0; i < n; i++) dv.setUint32(at + 4 * i, values[i] ?? 0);
}
