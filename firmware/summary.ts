/**
 * A plain, JSON-ready description of a parsed image (what `airstack fw info --json` prints): every header field,
 * the sections or regions with address, length and download mode, and for RAM code the release info and CNM.
 * Payload bytes are left out; text fields are given as stored and trimmed for display.
 */
import { displayText } from './fields.ts';
import type { FirmwareImage } from './image.ts';
import type { RomPatch } from './patch.ts';
import type { RamCode } from './ram.ts';

export function patchSummary(p: RomPatch) {
  return {
    kind: p.kind,
    file: p.file,
    bytes: p.size,
    buildDate: displayText(p.buildDate),
    platform: displayText(p.platform),
    hwSwVer: p.hwSwVer,
    patchVer: p.patchVer,
    checksum: p.checksum,
    desc: { patchVer: p.desc.patchVer, subsys: p.desc.subsys, feature: p.desc.feature, crc: p.desc.crc },
    downloadBytes: p.downloadBytes,
    sections: p.sections.map((s) => ({
      index: s.index,
      type: s.type,
      fileOffset: s.offs,
      size: s.size,
      addr: s.addr,
      len: s.len,
      secInfo: s.secKeyIdx,
      encryption: s.encryption,
      alignLen: s.alignLen,
      mode: s.dlMode,
      chunks: s.chunks,
      command: s.patchStartReq ? 'PATCH_START_REQ' : 'TARGET_ADDRESS_LEN_REQ',
    })),
  };
}

export function ramSummary(r: RamCode) {
  return {
    kind: r.kind,
    file: r.file,
    bytes: r.size,
    chipId: r.chipId,
    eco: r.ecoCode,
    formatVer: r.formatVer,
    formatFlag: r.formatFlag,
    version: displayText(r.fwVer),
    buildDate: displayText(r.buildDate),
    crc: r.crc,
    cnm: r.cnm,
    overrideAddr: r.overrideAddr,
    startOption: r.startOption,
    downloadBytes: r.downloadBytes,
    regions: r.regions.map((g) => ({
      index: g.index,
      fileOffset: g.fileOffset,
      addr: g.addr,
      len: g.len,
      featureSet: g.featureSet,
      type: g.type,
      download: g.download,
      override: g.override,
      mode: g.dlMode,
      chunks: g.chunks,
    })),
    releaseInfo:
      r.releaseInfo === null
        ? null
        : {
            offset: r.releaseInfo.offset,
            len: r.releaseInfo.len,
            entries: r.releaseInfo.entries.map((e) => ({
              tag: e.tag,
              len: e.data.length,
              padLen: e.pad.length,
              data: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('hex'),
              ...(e.tag === 1 ? { text: displayText(Buffer.from(e.data).toString('latin1')) } : {}),
            })),
            feature: r.releaseInfo.feature,
          },
  };
}

export function firmwareSummary(img: FirmwareImage) {
  return img.kind === 'patch' ? patchSummary(img) : ramSummary(img);
}
