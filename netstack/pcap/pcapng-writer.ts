/**
 * A pcapng writer (draft-ietf-opsawg-pcapng): one Section Header Block, one Interface Description Block per
 * interface with its link type (Ethernet 1, raw 802.11 105, radiotap 127...), and an Enhanced Packet Block per
 * packet with microsecond timestamps (the default if_tsresol) and the direction in epb_flags. Blocks are written
 * little-endian with every length and padding as the specification requires; `tshark -r` reads the output.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_HARDWARE = 2;
const SHB_OS = 3;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_MACADDR = 6;
const EPB_FLAGS = 2;

export interface PcapngSink {
  write(chunk: Buffer): void;
  close?(): void;
}

export interface InterfaceOptions {
  /** LINKTYPE_* value (1 Ethernet, 105 raw 802.11, 127 radiotap). */
  linkType: number;
  name?: string;
  description?: string;
  /** 0: no limit. */
  snapLen?: number;
  mac?: Uint8Array;
}

export type Direction = 'in' | 'out';

interface Opt {
  code: number;
  value: Uint8Array;
}

function optionsLength(opts: Opt[]): number {
  if (opts.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const o of opts) n += 4 + ((o.value.length + 3) & ~3);
  return n;
}

function writeOptions(b: Buffer, off: number, opts: Opt[]): number {
  if (opts.length === 0) return off;
  for (const o of opts) {
    b.writeUInt16LE(o.code, off);
    b.writeUInt16LE(o.value.length, off + 2);
    b.set(o.value, off + 4);
    const padded = (o.value.length + 3) & ~3;
    b.fill(0, off + 4 + o.value.length, off + 4 + padded);
    off += 4 + padded;
  }
  b.writeUInt32LE(OPT_ENDOFOPT, off); // code 0, length 0
  return off + 4;
}

function str(code: number, s: string | undefined): Opt[] {
  return s === undefined || s === '' ? [] : [{ code, value: Buffer.from(s, 'utf8') }];
}

/** Build a block: type, total length, body, options, total length again. */
function block(type: number, bodyLen: number, opts: Opt[], fill: (b: Buffer, off: number) => void): Buffer {
  const total = 12 + ((bodyLen + 3) & ~3) + optionsLength(opts);
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  fill(b, 8);
  writeOptions(b, 8 + ((bodyLen + 3) & ~3), opts);
  b.writeUInt32LE(total, total - 4);
  return b;
}

export class PcapngWriter {
  private interfaces = 0;
  private closed = false;
  packets = 0;

  constructor(
    private readonly sink: PcapngSink,
    opts: { userAppl?: string; hardware?: string; os?: string } = {},
  ) {
    const shbOpts = [
      ...str(SHB_HARDWARE, opts.hardware),
      ...str(SHB_OS, opts.os),
      ...str(SHB_USERAPPL, opts.userAppl ?? 'airstack'),
    ];
    sink.write(
      block(BT_SHB, 16, shbOpts, (b, o) => {
        b.writeUInt32LE(BYTE_ORDER_MAGIC, o);
        b.writeUInt16LE(1, o + 4); // major
        b.writeUInt16LE(0, o + 6); // minor
        b.writeInt32LE(-1, o + 8); // section length: unknown (-1 as 64 bits)
        b.writeInt32LE(-1, o + 12);
      }),
    );
  }

  /** Describe an interface; returns its id for writePacket. */
  addInterface(opts: InterfaceOptions): number {
    const o: Opt[] = [...str(IF_NAME, opts.name), ...str(IF_DESCRIPTION, opts.description)];
    if (opts.mac !== undefined && opts.mac.length === 6) o.push({ code: IF_MACADDR, value: opts.mac });
    this.sink.write(
      block(BT_IDB, 8, o, (b, off) => {
        b.writeUInt16LE(opts.linkType, off);
        b.writeUInt16LE(0, off + 2);
        b.writeUInt32LE(opts.snapLen ?? 0, off + 4);
      }),
    );
    return this.interfaces++;
  }

  /**
   * One packet: bytes buf[off, off+len), captured at `wallTimeMs` (Unix epoch milliseconds). `origLen` is the
   * length on the wire when more than was captured.
   */
  writePacket(
    ifId: number,
    wallTimeMs: number,
    buf: Uint8Array,
    off = 0,
    len = buf.length - off,
    opts: { direction?: Direction; origLen?: number; comment?: string } = {},
  ): void {
    if (this.closed) return;
    if (ifId < 0 || ifId >= this.interfaces) throw new Error(`pcapng: no interface ${ifId}`);
    const o: Opt[] = [];
    if (opts.direction !== undefined) {
      const f = Buffer.alloc(4);
      f.writeUInt32LE(opts.direction === 'in' ? 1 : 2, 0);
      o.push({ code: EPB_FLAGS, value: f });
    }
    o.push(...str(OPT_COMMENT, opts.comment));
    const us = Math.round(wallTimeMs * 1000);
    const hi = Math.floor(us / 4294967296);
    const lo = us - hi * 4294967296;
    this.sink.write(
      block(BT_EPB, 20 + len, o, (b, p) => {
        b.writeUInt32LE(ifId, p);
        b.writeUInt32LE(hi, p + 4);
        b.writeUInt32LE(lo, p + 8);
        b.writeUInt32LE(len, p + 12);
        b.writeUInt32LE(Math.max(len, opts.origLen ?? len), p + 16);
        b.set(buf.subarray(off, off + len), p + 20);
      }),
    );
    this.packets++;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.close?.();
  }
}

/** Collects the file in memory. */
export class MemorySink implements PcapngSink {
  readonly chunks: Buffer[] = [];
  write(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Writes to a file, buffering up to 64 KiB between writes. Throws a readable error when it cannot open it. */
export class FileSink implements PcapngSink {
  private fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new Error(`cannot write capture file ${path}: ${(e as Error).message}`);
    }
  }

  write(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= 65536) this.flush();
  }

  flush(): void {
    if (this.pendingBytes === 0) return;
    writeSync(this.fd, Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}
