/**
 * Small deterministic firmware images in exactly the formats of FACTS §4.2–4.4, for the emulator and the tests
 * when the real images are not on disk. The defaults mirror the real MT7961 files' structure (one INFO section at
 * 0x900000; five RAM regions with the same addresses, feature sets and a NON_DL CLC region; release info with a
 * build string and a FEATURE entry with CNM) at a few kilobytes instead of 900. Payload bytes come from a seeded
 * PRNG, so the same options give the same bytes.
 */
import { Prng } from '../netstack/core/prng.ts';
import {
  FW_FEATURE_ENCRY_MODE,
  FW_FEATURE_NON_DL,
  FW_FEATURE_OVERRIDE_ADDR,
  FW_FEATURE_SET_ENCRYPT,
} from './dlmode.ts';
import { PATCH_HDR_SIZE, PATCH_SEC_SIZE, PATCH_SEC_TYPE_INFO, type PatchFields, encodePatch } from './patch.ts';
import {
  FW_CAP_CNM,
  FW_TAG_FEATURE,
  FW_TYPE_CLC,
  FW_TYPE_DEFAULT,
  RELEASE_INFO_GAP,
  type RamFields,
  type ReleaseInfoEntry,
  encodeRamCode,
} from './ram.ts';

export interface SyntheticSection {
  addr: number;
  len: number;
  /** Security info; default 0 (plain). */
  secKeyIdx?: number;
  /** Default 0x00040002 like the real file (INFO in the low half). */
  type?: number;
  alignLen?: number;
  /** Bytes in the file beyond `len` (section size = len + extra); default 0. */
  extra?: number;
}

export interface SyntheticPatchOptions {
  seed?: number | string;
  buildDate?: string;
  platform?: string;
  hwSwVer?: number;
  patchVer?: number;
  checksum?: number;
  descPatchVer?: number;
  subsys?: number;
  feature?: number;
  crc?: number;
  sections?: readonly SyntheticSection[];
}

export interface SyntheticRegion {
  addr: number;
  len: number;
  featureSet: number;
  /** 0 default, 2 CLC; default 0 (2 when featureSet has NON_DL and no type is given). */
  type?: number;
}

export interface SyntheticRamOptions {
  seed?: number | string;
  chipId?: number;
  ecoCode?: number;
  formatVer?: number;
  formatFlag?: number;
  fwVer?: string;
  buildDate?: string;
  crc?: number;
  regions?: readonly SyntheticRegion[];
  /** The FEATURE entry's CNM bit (default true, as in the real image). Ignored when `releaseInfo` is given. */
  cnm?: boolean;
  /** Explicit release-info entries; null for an image without release info. */
  releaseInfo?: { entries: ReadonlyArray<{ tag: number; data: Uint8Array | string; padLen?: number }> } | null;
}

export const SYNTHETIC_PATCH_BUILD = '20260101000000a\n';
export const SYNTHETIC_RAM_BUILD = '20260101000000\0';

/** One INFO section at 0x900000, plain, 9,000 bytes (3 chunks: 4096 + 4096 + 808). */
export const DEFAULT_SYNTHETIC_SECTIONS: readonly SyntheticSection[] = [{ addr: 0x900000, len: 9000 }];

const ENC_KEY3_MODE = FW_FEATURE_SET_ENCRYPT | (3 << 1) | FW_FEATURE_ENCRY_MODE; // 0x17

/** The real image's region table at a smaller scale (same addresses and feature sets). */
export const DEFAULT_SYNTHETIC_REGIONS: readonly SyntheticRegion[] = [
  { addr: 0x00915000, len: 5000, featureSet: ENC_KEY3_MODE | FW_FEATURE_OVERRIDE_ADDR }, // 0x37
  { addr: 0x02015c00, len: 4200, featureSet: ENC_KEY3_MODE },
  { addr: 0x00404400, len: 700, featureSet: ENC_KEY3_MODE },
  { addr: 0xe0270000, len: 1500, featureSet: ENC_KEY3_MODE },
  { addr: 0x00000000, len: 900, featureSet: FW_FEATURE_NON_DL, type: FW_TYPE_CLC },
];

export function syntheticPatchFields(opts: SyntheticPatchOptions = {}): PatchFields {
  const prng = new Prng(opts.seed ?? 1, 'synthetic-patch');
  const specs = opts.sections ?? DEFAULT_SYNTHETIC_SECTIONS;
  let offs = PATCH_HDR_SIZE + specs.length * PATCH_SEC_SIZE;
  const sections = specs.map((s, i) => {
    const size = s.len + (s.extra ?? 0);
    const section = {
      type: s.type ?? (4 << 16) | PATCH_SEC_TYPE_INFO,
      offs,
      size,
      addr: s.addr,
      len: s.len,
      secKeyIdx: s.secKeyIdx ?? 0,
      alignLen: s.alignLen ?? 0,
      reserved: [0x100],
      payload: prng.fork(`section ${i}`).bytes(size),
    };
    offs += size;
    return section;
  });
  return {
    buildDate: opts.buildDate ?? SYNTHETIC_PATCH_BUILD,
    platform: opts.platform ?? 'ALPS',
    hwSwVer: opts.hwSwVer ?? 0x8a108a10,
    patchVer: opts.patchVer ?? 0xffffffff,
    checksum: opts.checksum ?? 0,
    reserved: 0,
    desc: {
      patchVer: opts.descPatchVer ?? 0x44332211,
      subsys: opts.subsys ?? 4,
      feature: opts.feature ?? 0,
      crc: opts.crc ?? 0xffff,
      reserved: [],
    },
    sections,
  };
}

/** A synthetic ROM patch file. */
export function buildPatch(opts: SyntheticPatchOptions = {}): Uint8Array {
  return encodePatch(syntheticPatchFields(opts));
}

export function syntheticRamFields(opts: SyntheticRamOptions = {}): RamFields {
  const prng = new Prng(opts.seed ?? 1, 'synthetic-ram');
  const regions = (opts.regions ?? DEFAULT_SYNTHETIC_REGIONS).map((r, i) => ({
    decompCrc: 0,
    decompLen: 0,
    decompBlkSz: 0,
    reserved: 0,
    addr: r.addr,
    len: r.len,
    featureSet: r.featureSet,
    type: r.type ?? (r.featureSet & FW_FEATURE_NON_DL ? FW_TYPE_CLC : FW_TYPE_DEFAULT),
    reserved2: [],
    payload: prng.fork(`region ${i}`).bytes(r.len),
  }));
  const hash = new Uint8Array(RELEASE_INFO_GAP).fill(0x23); // '#', as in the real file
  let releaseInfo: RamFields['releaseInfo'];
  if (opts.releaseInfo === null) {
    releaseInfo = null;
  } else {
    const given = opts.releaseInfo?.entries;
    const entries: ReleaseInfoEntry[] = given
      ? given.map((e) => ({ tag: e.tag, data: asBytes(e.data), pad: new Uint8Array(e.padLen ?? 0) }))
      : defaultReleaseEntries(opts.cnm ?? true, String(opts.seed ?? 1));
    releaseInfo = { padLen: 0, tag: 0, entries };
  }
  return {
    chipId: opts.chipId ?? 0x0d,
    ecoCode: opts.ecoCode ?? 0x01,
    formatVer: opts.formatVer ?? 0x02,
    formatFlag: opts.formatFlag ?? 0x01,
    reserved: 0,
    fwVer: opts.fwVer ?? '____010000',
    buildDate: opts.buildDate ?? SYNTHETIC_RAM_BUILD,
    crc: opts.crc ?? 0,
    regions,
    filler: releaseInfo ? hash : new Uint8Array(0),
    releaseInfo,
    padding: releaseInfo ? hash : new Uint8Array(0),
  };
}

/** A synthetic RAM code file. */
export function buildRamCode(opts: SyntheticRamOptions = {}): Uint8Array {
  return encodeRamCode(syntheticRamFields(opts));
}

/** A build string (tag 1, NUL-padded to 4 bytes like the real one) and a FEATURE entry (tag 4) with or without CNM. */
function defaultReleaseEntries(cnm: boolean, seed: string): ReleaseInfoEntry[] {
  const text = asBytes(`t-airstack-synthetic-mt7961-seed-${seed}`);
  const feature = new Uint8Array(16);
  feature[0] = 0x02;
  feature[1] = cnm ? 0x40 | FW_CAP_CNM : 0x40; // the real image has 0xc0
  return [
    { tag: 1, data: text, pad: new Uint8Array((4 - (text.length % 4)) % 4) },
    { tag: FW_TAG_FEATURE, data: feature, pad: new Uint8Array(0) },
  ];
}

function asBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}
