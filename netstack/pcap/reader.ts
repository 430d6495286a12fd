/**
 * Capture file reader: classic pcap (both byte orders, microsecond and nanosecond magic) and pcapng (sections in
 * either byte order, interface description blocks with link type, if_tsresol, if_tsoffset and if_fcslen, enhanced,
 * simple and obsolete packet blocks; every other block is skipped). Records are zero-copy views of the input.
 *
 * A capture file is input from a person: a malformed one raises a `PcapFormatError` that says what is wrong and at
 * which byte offset, never another exception. Iteration yields every good record before the bad spot, so a
 * truncated capture still gives its complete records.
 */

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IEEE802_11_PRISM = 119;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_IEEE802_11_AVS = 163;

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureRecord {
  linkType: number;
  /** Index into `CaptureReader.interfaces` (counted over all sections of a pcapng; always 0 for pcap). */
  interfaceId: number;
  /** Nanoseconds since the Unix epoch (resolution finer than 1 ns is rounded down). */
  timestamp: bigint;
  /** The captured bytes: a view of the input, not a copy. */
  data: Uint8Array;
  /** Length of the packet on the wire (may exceed data.length when the capture was cut at the snap length). */
  originalLength: number;
}

export interface CaptureInterface {
  linkType: number;
  /** 0 = no limit. */
  snapLength: number;
  /** pcapng section the interface belongs to (0 for pcap). */
  section: number;
  name?: string;
  description?: string;
  /** Timestamp unit is base^-exponent seconds (pcapng if_tsresol; pcap: 10^-6 or 10^-9). */
  tsResolution: { base: 2 | 10; exponent: number };
  /** Seconds added to every timestamp (pcapng if_tsoffset). */
  tsOffset: bigint;
  /** Bytes of FCS at the end of each frame when the file says so (pcap link-type field, pcapng if_fcslen). */
  fcsLength?: number;
}

/** What is wrong with a capture file, and where. */
export class PcapFormatError extends Error {
  constructor(
    readonly what: string,
    readonly offset: number,
    readonly format: CaptureFormat | 'unknown',
  ) {
    super(`${format === 'unknown' ? 'capture' : format} file: ${what} at byte offset ${offset}`);
    this.name = 'PcapFormatError';
  }
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_IDB = 1;
const PCAPNG_PB = 2;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;
/** The largest record we accept whatever the snap length says (Wireshark's limit for most link types). */
const MAX_RECORD = 262144;
/** A sanity limit on a pcapng block, so a corrupt length cannot make us walk far past the data. */
const MAX_BLOCK = 16 * 1024 * 1024;

const TEN = 10n;

function toNanoseconds(units: bigint, res: { base: 2 | 10; exponent: number }, offsetSeconds: bigint): bigint {
  let ns: bigint;
  if (res.base === 10) {
    const e = res.exponent;
    ns = e <= 9 ? units * TEN ** BigInt(9 - e) : units / TEN ** BigInt(e - 9);
  } else {
    ns = (units * 1_000_000_000n) >> BigInt(res.exponent);
  }
  return ns + offsetSeconds * 1_000_000_000n;
}

/** Detect the format from the first four bytes; null when it is neither. */
export function detectCaptureFormat(bytes: Uint8Array): CaptureFormat | null {
  if (bytes.length < 4) return null;
  const le = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
  const be = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  if (le === PCAPNG_SHB) return 'pcapng';
  for (const m of [le, be]) if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) return 'pcap';
  return null;
}

/**
 * A capture opened for reading. The file header is checked by `openCapture`; records are parsed lazily by the
 * iterator, which throws `PcapFormatError` when it meets a malformed record (after yielding all earlier ones).
 * `interfaces` grows as pcapng interface blocks are met.
 */
export class CaptureReader implements Iterable<CaptureRecord> {
  readonly interfaces: CaptureInterface[] = [];
  private readonly dv: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly format: CaptureFormat,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (format === 'pcap') this.interfaces.push(this.pcapHeader().iface);
    else this.checkFirstShb();
  }

  [Symbol.iterator](): Iterator<CaptureRecord> {
    return this.format === 'pcap' ? this.pcapRecords() : this.pcapngRecords();
  }

  private fail(what: string, offset: number): never {
    throw new PcapFormatError(what, offset, this.format);
  }

  // ---- classic pcap ----

  private pcapHeader(): { le: boolean; nano: boolean; iface: CaptureInterface } {
    const b = this.bytes;
    if (b.length < 24) this.fail(`file header needs 24 bytes, the file has ${b.length}`, 0);
    const magicLe = this.dv.getUint32(0, true);
    const le = magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS;
    const magic = this.dv.getUint32(0, le);
    const nano = magic === PCAP_MAGIC_NS;
    const major = this.dv.getUint16(4, le);
    if (major !== 2) this.fail(`unsupported version ${major}.${this.dv.getUint16(6, le)} (expected 2.x)`, 4);
    const snapLength = this.dv.getUint32(16, le);
    const network = this.dv.getUint32(20, le);
    // Link-type field: low 16 bits the link type; bit 26 says bits 28..31 give the FCS length in 16-bit words.
    const iface: CaptureInterface = {
      linkType: network & 0xffff,
      snapLength,
      section: 0,
      tsResolution: { base: 10, exponent: nano ? 9 : 6 },
      tsOffset: 0n,
    };
    if (network & 0x04000000) iface.fcsLength = ((network >>> 28) & 0xf) * 2;
    return { le, nano, iface };
  }

  private *pcapRecords(): Generator<CaptureRecord> {
    const { le } = this.pcapHeader();
    const iface = this.interfaces[0];
    const limit = Math.max(iface.snapLength, MAX_RECORD);
    const b = this.bytes;
    let off = 24;
    while (off < b.length) {
      if (b.length - off < 16) this.fail(`truncated record header (${b.length - off} of 16 bytes)`, off);
      const sec = this.dv.getUint32(off, le);
      const frac = this.dv.getUint32(off + 4, le);
      const incl = this.dv.getUint32(off + 8, le);
      const orig = this.dv.getUint32(off + 12, le);
      if (incl > limit) this.fail(`record length ${incl} exceeds the snap length ${iface.snapLength}`, off + 8);
      if (off + 16 + incl > b.length)
        this.fail(`truncated record: ${incl} bytes announced, ${b.length - off - 16} present`, off);
      const units = BigInt(sec) * TEN ** BigInt(iface.tsResolution.exponent) + BigInt(frac);
      yield {
        linkType: iface.linkType,
        interfaceId: 0,
        timestamp: toNanoseconds(units, iface.tsResolution, 0n),
        data: b.subarray(off + 16, off + 16 + incl),
        originalLength: orig,
      };
      off += 16 + incl;
    }
  }

  // ---- pcapng ----

  private checkFirstShb(): void {
    if (this.bytes.length < 28) this.fail(`section header block needs 28 bytes, the file has ${this.bytes.length}`, 0);
    this.shbByteOrder(0);
  }

  /** Byte order of the section starting at `off` (true = little endian), from its byte-order magic. */
  private shbByteOrder(off: number): boolean {
    if (off + 28 > this.bytes.length) this.fail('truncated section header block', off);
    const bom = this.dv.getUint32(off + 8, true);
    if (bom === PCAPNG_BOM) return true;
    if (bom === 0x4d3c2b1a) return false;
    this.fail(`bad byte-order magic 0x${bom.toString(16).padStart(8, '0')}`, off + 8);
  }

  private *pcapngRecords(): Generator<CaptureRecord> {
    const b = this.bytes;
    const dv = this.dv;
    let off = 0;
    let le = true;
    let section = -1;
    /** Global interface index of the current section's interface 0. */
    let sectionBase = 0;
    while (off < b.length) {
      if (b.length - off < 12) this.fail(`truncated block header (${b.length - off} bytes left)`, off);
      const typeLe = dv.getUint32(off, true);
      if (typeLe === PCAPNG_SHB) {
        le = this.shbByteOrder(off);
        section++;
        sectionBase = this.interfaces.length;
        const major = dv.getUint16(off + 12, le);
        if (major !== 1) this.fail(`unsupported pcapng version ${major}.${dv.getUint16(off + 14, le)}`, off + 12);
      } else if (section < 0) {
        this.fail('the file does not start with a section header block', off);
      }
      const type = dv.getUint32(off, le);
      const total = dv.getUint32(off + 4, le);
      if (total < 12 || total % 4 !== 0)
        this.fail(`bad block length ${total} (block type 0x${type.toString(16)})`, off);
      if (total > MAX_BLOCK) this.fail(`block length ${total} is implausibly large`, off + 4);
      if (off + total > b.length)
        this.fail(`truncated block: ${total} bytes announced, ${b.length - off} present`, off);
      if (dv.getUint32(off + total - 4, le) !== total)
        this.fail('the block length at the end does not match the one at the start', off + total - 4);
      const body = off + 8;
      const bodyEnd = off + total - 4;
      switch (type) {
        case PCAPNG_SHB:
          break;
        case PCAPNG_IDB: {
          if (bodyEnd - body < 8) this.fail('interface description block too short', off);
          const iface: CaptureInterface = {
            linkType: dv.getUint16(body, le),
            snapLength: dv.getUint32(body + 4, le),
            section,
            tsResolution: { base: 10, exponent: 6 },
            tsOffset: 0n,
          };
          this.idbOptions(body + 8, bodyEnd, le, iface);
          this.interfaces.push(iface);
          break;
        }
        case PCAPNG_EPB:
        case PCAPNG_PB: {
          if (bodyEnd - body < 20) this.fail('packet block too short', off);
          const ifIndex = type === PCAPNG_EPB ? dv.getUint32(body, le) : dv.getUint16(body, le);
          const iface = this.sectionInterface(sectionBase, ifIndex, off);
          const units = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
          const capLen = dv.getUint32(body + 12, le);
          const origLen = dv.getUint32(body + 16, le);
          if (body + 20 + capLen > bodyEnd)
            this.fail(`captured length ${capLen} overruns its block (${bodyEnd - body - 20} bytes of room)`, body + 12);
          yield {
            linkType: iface.linkType,
            interfaceId: sectionBase + ifIndex,
            timestamp: toNanoseconds(units, iface.tsResolution, iface.tsOffset),
            data: b.subarray(body + 20, body + 20 + capLen),
            originalLength: origLen,
          };
          break;
        }
        case PCAPNG_SPB: {
          if (bodyEnd - body < 4) this.fail('simple packet block too short', off);
          const iface = this.sectionInterface(sectionBase, 0, off);
          const origLen = dv.getUint32(body, le);
          let capLen = Math.min(origLen, bodyEnd - body - 4);
          if (iface.snapLength > 0) capLen = Math.min(capLen, iface.snapLength);
          yield {
            linkType: iface.linkType,
            interfaceId: sectionBase,
            timestamp: 0n,
            data: b.subarray(body + 4, body + 4 + capLen),
            originalLength: origLen,
          };
          break;
        }
        default:
          // Name resolution, statistics, decryption secrets, custom blocks...: not needed to read packets.
          break;
      }
      off += total;
    }
  }

  private sectionInterface(sectionBase: number, ifIndex: number, off: number): CaptureInterface {
    // Interfaces after sectionBase all belong to the current section (later sections are not read yet).
    const iface = this.interfaces[sectionBase + ifIndex];
    if (iface === undefined)
      this.fail(`packet refers to interface ${ifIndex}, which this section has not described`, off);
    return iface;
  }

  private idbOptions(off: number, end: number, le: boolean, iface: CaptureInterface): void {
    const dv = this.dv;
    while (off + 4 <= end) {
      const code = dv.getUint16(off, le);
      const len = dv.getUint16(off + 2, le);
      if (code === 0) return;
      const v = off + 4;
      if (v + len > end) this.fail(`option ${code} overruns its block`, off);
      switch (code) {
        case 2:
          iface.name = new TextDecoder().decode(this.bytes.subarray(v, v + len));
          break;
        case 3:
          iface.description = new TextDecoder().decode(this.bytes.subarray(v, v + len));
          break;
        case 9: {
          if (len < 1) this.fail('empty if_tsresol option', off);
          const r = this.bytes[v];
          const exponent = r & 0x7f;
          const base = r & 0x80 ? 2 : 10;
          if ((base === 10 && exponent > 18) || (base === 2 && exponent > 63))
            this.fail(`if_tsresol ${base}^-${exponent} is out of range`, v);
          iface.tsResolution = { base, exponent };
          break;
        }
        case 13:
          if (len < 1) this.fail('empty if_fcslen option', off);
          iface.fcsLength = this.bytes[v];
          break;
        case 14:
          if (len < 8) this.fail('if_tsoffset option shorter than 8 bytes', off);
          iface.tsOffset = dv.getBigInt64(v, le);
          break;
        default:
          break;
      }
      off = v + ((len + 3) & ~3);
    }
  }
}

/** Open a capture held in memory; throws `PcapFormatError` when the file header is wrong. */
export function openCapture(bytes: Uint8Array): CaptureReader {
  const format = detectCaptureFormat(bytes);
  if (format === null) {
    const head = Buffer.from(bytes.subarray(0, 4)).toString('hex');
    throw new PcapFormatError(`not a pcap or pcapng file (first bytes ${head || 'missing'})`, 0, 'unknown');
  }
  return new CaptureReader(bytes, format);
}

/** Every record of a capture, and the error that stopped reading early (null when the whole file was read). */
export function readCapture(bytes: Uint8Array): {
  format: CaptureFormat | null;
  interfaces: CaptureInterface[];
  records: CaptureRecord[];
  error: PcapFormatError | null;
} {
  const records: CaptureRecord[] = [];
  let reader: CaptureReader | null = null;
  try {
    reader = openCapture(bytes);
    for (const r of reader) records.push(r);
    return { format: reader.format, interfaces: reader.interfaces, records, error: null };
  } catch (e) {
    if (!(e instanceof PcapFormatError)) throw e;
    return { format: reader?.format ?? null, interfaces: reader?.interfaces ?? [], records, error: e };
  }
}
