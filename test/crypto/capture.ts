/**
 * Test-local capture reading for the RSN tests: classic pcap records, raw 802.11 (105) or radiotap (127) frames,
 * the fixed 802.11 header, LLC/SNAP and the elements of a beacon. Deliberately minimal: the project's real frame
 * codecs and pcap/pcapng reader live elsewhere (helper "frames"); this only has to pull EAPOL and CCMP frames out
 * of the shared captures.
 */
import { readFileSync } from 'node:fs';

export interface Capture {
  linkType: number;
  /** 802.11 MPDUs (radiotap stripped, FCS removed when radiotap says it is there). */
  frames: Uint8Array[];
}

export function readPcap80211(path: string): Capture {
  const b = readFileSync(path);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linkType = u32(20);
  const frames: Uint8Array[] = [];
  let pos = 24;
  while (pos + 16 <= b.length) {
    const incl = u32(pos + 8);
    const rec = b.subarray(pos + 16, pos + 16 + incl);
    pos += 16 + incl;
    if (linkType === 105) frames.push(rec);
    else if (linkType === 127) {
      const f = stripRadiotap(rec);
      if (f) frames.push(f);
    }
  }
  return { linkType, frames };
}

function stripRadiotap(r: Uint8Array): Uint8Array | null {
  if (r.length < 8) return null;
  const len = r[2]! | (r[3]! << 8);
  if (len > r.length) return null;
  // Present words, then fields: TSFT (bit 0, 8 bytes, aligned 8), Flags (bit 1, 1 byte).
  let off = 4;
  let present = 0;
  let first = true;
  for (;;) {
    const w = r[off]! | (r[off + 1]! << 8) | (r[off + 2]! << 16) | (r[off + 3]! << 24);
    if (first) present = w;
    first = false;
    off += 4;
    if (!(w & 0x80000000)) break;
  }
  let fcs = false;
  if (present & 2) {
    if (present & 1) off = ((off + 7) & ~7) + 8;
    fcs = (r[off]! & 0x10) !== 0;
  }
  const f = r.subarray(len);
  return fcs ? f.subarray(0, f.length - 4) : f;
}

export interface Dot11 {
  type: number;
  subtype: number;
  toDs: boolean;
  fromDs: boolean;
  protected: boolean;
  a1: string;
  a2: string;
  a3: string;
  a4?: string;
  hdrLen: number;
  body: Uint8Array;
}

const mac = (b: Uint8Array, o: number) => Buffer.from(b.subarray(o, o + 6)).toString('hex');

export function parse80211(f: Uint8Array): Dot11 | null {
  if (f.length < 24) return null;
  const type = (f[0]! >> 2) & 3;
  const subtype = f[0]! >> 4;
  const toDs = (f[1]! & 1) !== 0;
  const fromDs = (f[1]! & 2) !== 0;
  let hdrLen = 24;
  if (type === 2) {
    if (toDs && fromDs) hdrLen += 6;
    if (subtype & 8) hdrLen += f[1]! & 0x80 ? 6 : 2;
  }
  if (f.length < hdrLen) return null;
  return {
    type,
    subtype,
    toDs,
    fromDs,
    protected: (f[1]! & 0x40) !== 0,
    a1: mac(f, 4),
    a2: mac(f, 10),
    a3: mac(f, 16),
    a4: toDs && fromDs ? mac(f, 24) : undefined,
    hdrLen,
    body: f.subarray(hdrLen),
  };
}

/** The EAPOL PDU of an unprotected data frame with LLC/SNAP EtherType 0x888e, or null. */
export function eapolOf(f: Uint8Array): { d: Dot11; eapol: Uint8Array } | null {
  const d = parse80211(f);
  if (d?.type !== 2 || d.protected) return null;
  const b = d.body;
  if (b.length < 8 || b[0] !== 0xaa || b[1] !== 0xaa || b[2] !== 0x03 || b[6] !== 0x88 || b[7] !== 0x8e) return null;
  return { d, eapol: b.subarray(8) };
}

/** The RSN element (whole, with its header) of a beacon or probe response, or null. */
export function beaconRsne(f: Uint8Array): Uint8Array | null {
  const d = parse80211(f);
  if (d?.type !== 0 || (d.subtype !== 8 && d.subtype !== 5)) return null;
  let p = 12;
  const b = d.body;
  while (p + 2 <= b.length) {
    const id = b[p]!;
    const len = b[p + 1]!;
    if (p + 2 + len > b.length) return null;
    if (id === 48) return b.subarray(p, p + 2 + len);
    p += 2 + len;
  }
  return null;
}

export const hexToBytes = (s: string) => Buffer.from(s, 'hex');
