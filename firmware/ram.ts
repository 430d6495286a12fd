/**
 * The RAM code file (FACTS §4.3, §4.4; mt76_connac2_fw_trailer / _fw_region, mt792x_get_offload_capability) —
 * little-endian.
 *
 *   region payloads (concatenated from offset 0) | filler (16) | release info | padding |
 *   n_region region descriptors (40 bytes each) | trailer (36)
 *
 * The release info is a header {len le16, pad_len, tag} and entries {len le16, pad_len, tag, data[len],
 * pad[pad_len]} filling header.len bytes; the first entry with tag 4 (FEATURE) carries {segment, data, ...} and
 * data BIT7 is the CNM capability.
 *
 * `parseRamCode` validates every field and throws FirmwareError (only); `encodeRamCode` writes the same layout, so
 * encodeRamCode(parseRamCode(file)) reproduces the file byte for byte.
 */
import { chipFirmware } from './chips.ts';
import {
  FW_FEATURE_KNOWN_MASK,
  FW_FEATURE_NON_DL,
  FW_FEATURE_OVERRIDE_ADDR,
  FW_START_OVERRIDE,
  chunkCount,
  ramDlMode,
} from './dlmode.ts';
import { FirmwareError } from './errors.ts';
import { dataView, hex32, rangesOverlap, readText, requireBytes, writeText } from './fields.ts';
import type { ParseOptions } from './patch.ts';

export const RAM_TRAILER_SIZE = 36;
export const RAM_REGION_SIZE = 40;
/** Bytes between the last region payload and the release info (Linux skips them: `offset + 16`). */
export const RELEASE_INFO_GAP = 16;
export const RELEASE_INFO_HDR_SIZE = 4;
export const FW_TAG_FEATURE = 4;
/** MT792x_FW_CAP_CNM: the FEATURE entry's data bit that enables real channel contexts and ROC. */
export const FW_CAP_CNM = 0x80;
export const FW_TYPE_DEFAULT = 0;
export const FW_TYPE_CLC = 2;
const REGION_RESERVED2_SIZE = 14;

export interface RamRegionFields {
  decompCrc: number;
  decompLen: number;
  decompBlkSz: number;
  /** The reserved word at offset 12. */
  reserved: number;
  /** Target address. */
  addr: number;
  /** Payload length in the file (every region's, downloaded or not, advances the payload offset). */
  len: number;
  featureSet: number;
  /** 0 default, 2 CLC. */
  type: number;
  /** The 14 reserved bytes at offset 26. */
  reserved2: readonly number[];
  payload: Uint8Array;
}

export interface ReleaseInfoEntry {
  tag: number;
  data: Uint8Array;
  pad: Uint8Array;
}

export interface ReleaseInfoFields {
  /** The header's own pad_len and tag (0 and 0 in the real file; Linux ignores them). */
  padLen: number;
  tag: number;
  entries: readonly ReleaseInfoEntry[];
}

export interface RamFields {
  chipId: number;
  ecoCode: number;
  formatVer: number;
  formatFlag: number;
  /** The 2 reserved bytes at trailer offset 5, as a little-endian 16-bit value. */
  reserved: number;
  /** 10 ASCII bytes as stored, e.g. "____010000". */
  fwVer: string;
  /** 15 ASCII bytes as stored, e.g. "20231109190959\0". */
  buildDate: string;
  crc: number;
  regions: readonly RamRegionFields[];
  /** The bytes between the payloads and the release info (16 '#' in the real file; empty without release info). */
  filler: Uint8Array;
  releaseInfo: ReleaseInfoFields | null;
  /** The bytes between the release info and the region descriptors. */
  padding: Uint8Array;
}

export interface RamRegion extends RamRegionFields {
  index: number;
  /** File offset of the payload. */
  fileOffset: number;
  /** False for NON_DL regions (e.g. the CLC table), which the driver skips. */
  download: boolean;
  /** OVERRIDE_ADDR: FW_START_REQ starts the firmware at this region's address. */
  override: boolean;
  /** The mode word for TARGET_ADDRESS_LEN_REQ (mt76_connac_mcu_gen_dl_mode). */
  dlMode: number;
  /** FW_SCATTER chunks of ≤ 4096 bytes (0 for regions not downloaded). */
  chunks: number;
}

export interface ReleaseInfo extends ReleaseInfoFields {
  /** File offset of the release-info header. */
  offset: number;
  /** header.len: bytes of entries after the header. */
  len: number;
  /** The first FEATURE (tag 4) entry's {segment, data}, or null when there is none. */
  feature: { segment: number; data: number } | null;
}

export interface RamCode extends RamFields {
  kind: 'ram';
  file: string;
  size: number;
  nRegion: number;
  regions: readonly RamRegion[];
  releaseInfo: ReleaseInfo | null;
  /** The address FW_START_REQ names, from the downloaded region with OVERRIDE_ADDR, or null. */
  overrideAddr: number | null;
  /** FW_START_REQ option: FW_START_OVERRIDE when there is an override address, else 0. */
  startOption: number;
  /** MT792x_FW_CAP_CNM from the release info. */
  cnm: boolean;
  /** Total bytes downloaded (regions without NON_DL). */
  downloadBytes: number;
}

/** Parse and validate RAM code. Throws FirmwareError for anything malformed, and nothing else. */
export function parseRamCode(buf: Uint8Array, opts: ParseOptions = {}): RamCode {
  const file = opts.file ?? '<ram code>';
  requireBytes(buf, RAM_TRAILER_SIZE, file, 'trailer', `the ${RAM_TRAILER_SIZE}-byte RAM code trailer`);
  const dv = dataView(buf);
  const t = buf.length - RAM_TRAILER_SIZE;
  const chipId = buf[t]!;
  const nRegion = buf[t + 2]!;
  const fwVer = readText(buf, t + 7, 10, file, 'fw_ver');
  const buildDate = readText(buf, t + 17, 15, file, 'build_date');
  if (nRegion === 0) throw new FirmwareError(file, 'n_region', 'bad-count', 'is 0: the RAM code has no regions');
  const descStart = t - nRegion * RAM_REGION_SIZE;
  if (descStart < 0) {
    throw new FirmwareError(
      file,
      'n_region',
      'bad-count',
      `${nRegion} regions need ${nRegion * RAM_REGION_SIZE + RAM_TRAILER_SIZE} bytes of descriptors and trailer, the file has ${buf.length}`,
    );
  }

  const regions: RamRegion[] = [];
  let offset = 0;
  let overrideAddr: number | null = null;
  let overrideRegion = -1;
  let downloadBytes = 0;
  for (let i = 0; i < nRegion; i++) {
    const r = parseRegion(buf, dv, i, descStart + i * RAM_REGION_SIZE, offset, descStart, file);
    if (r.download) {
      for (const prev of regions) {
        if (prev.download && rangesOverlap(prev.addr, prev.len, r.addr, r.len)) {
          throw new FirmwareError(
            file,
            `region[${i}].addr`,
            'overlap',
            `target ${hex32(r.addr)}+${r.len} overlaps region ${prev.index}'s ${hex32(prev.addr)}+${prev.len}`,
          );
        }
      }
      if (r.override) {
        if (overrideRegion >= 0) {
          throw new FirmwareError(
            file,
            `region[${i}].feature_set`,
            'bad-feature',
            `regions ${overrideRegion} and ${i} both set OVERRIDE_ADDR: the start address is ambiguous`,
          );
        }
        overrideRegion = i;
        overrideAddr = r.addr;
      }
      downloadBytes += r.len;
    }
    regions.push(r);
    offset += r.len;
  }

  const { filler, releaseInfo, padding } = parseReleaseInfo(buf, dv, offset, descStart, file);
  // The chip last: a damaged file should be reported as damaged, not as another chip's.
  if (opts.chip !== undefined) {
    const want = chipFirmware(opts.chip)?.ramChipId ?? null;
    if (want !== null && chipId !== want) {
      throw new FirmwareError(
        file,
        'chip_id',
        'wrong-chip',
        `0x${chipId.toString(16)} is not the RAM code chip id of chip ${opts.chip.toString(16)} (0x${want.toString(16)})`,
      );
    }
  }
  const feature = releaseInfo?.feature ?? null;
  return {
    kind: 'ram',
    file,
    size: buf.length,
    chipId,
    ecoCode: buf[t + 1]!,
    nRegion,
    formatVer: buf[t + 3]!,
    formatFlag: buf[t + 4]!,
    reserved: dv.getUint16(t + 5, true),
    fwVer,
    buildDate,
    crc: dv.getUint32(t + 32, true),
    regions,
    filler,
    releaseInfo,
    padding,
    overrideAddr,
    startOption: overrideAddr === null ? 0 : FW_START_OVERRIDE,
    cnm: feature !== null && (feature.data & FW_CAP_CNM) !== 0,
    downloadBytes,
  };
}

function parseRegion(
  buf: Uint8Array,
  dv: DataView,
  i: number,
  at: number,
  fileOffset: number,
  descStart: number,
  file: string,
): RamRegion {
  const f = (name: string) => `region[${i}].${name}`;
  const addr = dv.getUint32(at + 16, true);
  const len = dv.getUint32(at + 20, true);
  const featureSet = buf[at + 24]!;
  const type = buf[at + 25]!;
  if (type !== FW_TYPE_DEFAULT && type !== FW_TYPE_CLC) {
    throw new FirmwareError(file, f('type'), 'bad-region-type', `${type} is neither 0 (default) nor 2 (CLC)`);
  }
  if (featureSet & ~FW_FEATURE_KNOWN_MASK) {
    throw new FirmwareError(
      file,
      f('feature_set'),
      'bad-feature',
      `0x${featureSet.toString(16)} has undefined bits 0x${(featureSet & ~FW_FEATURE_KNOWN_MASK).toString(16)}`,
    );
  }
  if (fileOffset + len > descStart) {
    throw new FirmwareError(
      file,
      f('len'),
      'outside-file',
      `payload [${fileOffset}, ${fileOffset + len}) runs past the region descriptors at ${descStart}`,
    );
  }
  const download = (featureSet & FW_FEATURE_NON_DL) === 0;
  if (download && len === 0) throw new FirmwareError(file, f('len'), 'bad-length', 'is 0: nothing to download');
  if (addr + len > 0x1_0000_0000) {
    throw new FirmwareError(file, f('addr'), 'bad-length', `${hex32(addr)}+${len} wraps past 0xffffffff`);
  }
  const reserved2: number[] = Array.from(buf.subarray(at + 26, at + 26 + REGION_RESERVED2_SIZE));
  return {
    index: i,
    decompCrc: dv.getUint32(at, true),
    decompLen: dv.getUint32(at + 4, true),
    decompBlkSz: dv.getUint32(at + 8, true),
    reserved: dv.getUint32(at + 12, true),
    addr,
    len,
    featureSet,
    type,
    reserved2,
    payload: buf.subarray(fileOffset, fileOffset + len),
    fileOffset,
    download,
    override: download && (featureSet & FW_FEATURE_OVERRIDE_ADDR) !== 0,
    dlMode: ramDlMode(featureSet),
    chunks: download ? chunkCount(len) : 0,
  };
}

function parseReleaseInfo(
  buf: Uint8Array,
  dv: DataView,
  payloadEnd: number,
  descStart: number,
  file: string,
): { filler: Uint8Array; releaseInfo: ReleaseInfo | null; padding: Uint8Array } {
  const empty = buf.subarray(payloadEnd, payloadEnd);
  if (payloadEnd === descStart) return { filler: empty, releaseInfo: null, padding: empty };
  const at = payloadEnd + RELEASE_INFO_GAP;
  if (at + RELEASE_INFO_HDR_SIZE > descStart) {
    throw new FirmwareError(
      file,
      'release_info',
      'truncated',
      `${descStart - payloadEnd} bytes between the payloads (end ${payloadEnd}) and the region descriptors: too few for the 16-byte gap and the 4-byte release-info header`,
    );
  }
  const len = dv.getUint16(at, true);
  const end = at + RELEASE_INFO_HDR_SIZE + len;
  if (end > descStart) {
    throw new FirmwareError(
      file,
      'release_info.len',
      'outside-file',
      `${len} bytes of entries from offset ${at + RELEASE_INFO_HDR_SIZE} run past the region descriptors at ${descStart}`,
    );
  }
  const entries: ReleaseInfoEntry[] = [];
  let feature: ReleaseInfo['feature'] = null;
  for (let pos = at + RELEASE_INFO_HDR_SIZE, k = 0; pos < end; k++) {
    const field = `release_info.entry[${k}]`;
    if (pos + RELEASE_INFO_HDR_SIZE > end) {
      throw new FirmwareError(
        file,
        field,
        'bad-length',
        `its 4-byte header at ${pos} runs past the release info's end ${end}`,
      );
    }
    const elen = dv.getUint16(pos, true);
    const epad = buf[pos + 2]!;
    const tag = buf[pos + 3]!;
    const dataAt = pos + RELEASE_INFO_HDR_SIZE;
    if (dataAt + elen + epad > end) {
      throw new FirmwareError(
        file,
        `${field}.len`,
        'bad-length',
        `tag ${tag}: ${elen} data + ${epad} pad bytes at ${dataAt} run past the release info's end ${end}`,
      );
    }
    const data = buf.subarray(dataAt, dataAt + elen);
    if (tag === FW_TAG_FEATURE && feature === null) {
      if (elen < 2) {
        throw new FirmwareError(file, `${field}.len`, 'bad-length', `FEATURE entry has ${elen} data bytes, needs 2`);
      }
      feature = { segment: data[0]!, data: data[1]! };
    }
    entries.push({ tag, data, pad: buf.subarray(dataAt + elen, dataAt + elen + epad) });
    pos = dataAt + elen + epad;
  }
  return {
    filler: buf.subarray(payloadEnd, at),
    releaseInfo: { offset: at, len, padLen: buf[at + 2]!, tag: buf[at + 3]!, entries, feature },
    padding: buf.subarray(end, descStart),
  };
}

/**
 * Write RAM code in the layout above. The release-info lengths are computed from the entries; everything else is
 * written as given. RangeError on values that do not fit their fields.
 */
export function encodeRamCode(r: RamFields): Uint8Array {
  if (r.regions.length > 0xff) throw new RangeError(`${r.regions.length} regions do not fit the 8-bit n_region`);
  let payloadLen = 0;
  for (const g of r.regions) {
    if (g.payload.length !== g.len)
      throw new RangeError(`region payload has ${g.payload.length} bytes, len says ${g.len}`);
    payloadLen += g.len;
  }
  let relLen = 0;
  const ri = r.releaseInfo;
  if (ri) {
    for (const e of ri.entries) relLen += RELEASE_INFO_HDR_SIZE + e.data.length + e.pad.length;
    if (relLen > 0xffff) throw new RangeError(`release info of ${relLen} bytes does not fit its 16-bit length`);
    if (r.filler.length !== RELEASE_INFO_GAP)
      throw new RangeError(`the filler before the release info must be ${RELEASE_INFO_GAP} bytes`);
  } else if (r.filler.length || r.padding.length) {
    throw new RangeError('filler and padding need a release info');
  }
  const relAt = payloadLen + r.filler.length;
  const descStart = relAt + (ri ? RELEASE_INFO_HDR_SIZE + relLen : 0) + r.padding.length;
  const size = descStart + r.regions.length * RAM_REGION_SIZE + RAM_TRAILER_SIZE;
  const out = new Uint8Array(size);
  const dv = dataView(out);

  let off = 0;
  r.regions.forEach((g, i) => {
    out.set(g.payload, off);
    off += g.len;
    const at = descStart + i * RAM_REGION_SIZE;
    dv.setUint32(at, g.decompCrc, true);
    dv.setUint32(at + 4, g.decompLen, true);
    dv.setUint32(at + 8, g.decompBlkSz, true);
    dv.setUint32(at + 12, g.reserved, true);
    dv.setUint32(at + 16, g.addr, true);
    dv.setUint32(at + 20, g.len, true);
    setByte(out, at + 24, g.featureSet, 'feature_set');
    setByte(out, at + 25, g.type, 'type');
    if (g.reserved2.length > REGION_RESERVED2_SIZE) throw new RangeError('region reserved2 holds 14 bytes');
    for (let k = 0; k < g.reserved2.length; k++) setByte(out, at + 26 + k, g.reserved2[k]!, 'reserved2');
  });
  out.set(r.filler, payloadLen);
  if (ri) {
    dv.setUint16(relAt, relLen, true);
    setByte(out, relAt + 2, ri.padLen, 'release_info.pad_len');
    setByte(out, relAt + 3, ri.tag, 'release_info.tag');
    let pos = relAt + RELEASE_INFO_HDR_SIZE;
    for (const e of ri.entries) {
      if (e.data.length > 0xffff || e.pad.length > 0xff) throw new RangeError('release-info entry too long');
      dv.setUint16(pos, e.data.length, true);
      out[pos + 2] = e.pad.length;
      setByte(out, pos + 3, e.tag, 'release_info tag');
      out.set(e.data, pos + RELEASE_INFO_HDR_SIZE);
      out.set(e.pad, pos + RELEASE_INFO_HDR_SIZE + e.data.length);
      pos += RELEASE_INFO_HDR_SIZE + e.data.length + e.pad.length;
    }
    out.set(r.padding, pos);
  }
  const t = size - RAM_TRAILER_SIZE;
  setByte(out, t, r.chipId, 'chip_id');
  setByte(out, t + 1, r.ecoCode, 'eco_code');
  out[t + 2] = r.regions.length;
  setByte(out, t + 3, r.formatVer, 'format_ver');
  setByte(out, t + 4, r.formatFlag, 'format_flag');
  dv.setUint16(t + 5, r.reserved, true);
  writeText(out, t + 7, 10, r.fwVer, 'fw_ver');
  writeText(out, t + 17, 15, r.buildDate, 'build_date');
  dv.setUint32(t + 32, r.crc, true);
  return out;
}

function setByte(out: Uint8Array, at: number, v: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${field}: ${v} does not fit a byte`);
  out[at] = v;
}
