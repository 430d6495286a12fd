/**
 * Test-local glue for the RSN tests: the 802.11 frames of a capture (through netstack/pcap and mac80211/capture),
 * then just what these tests need of them (the fixed header, LLC/SNAP, a beacon's RSN element) as plain bytes,
 * since CCMP and the MIC work on the raw MPDU.
 */
import { readFileSync } from 'node:fs';
import { decodeCapturedFrame } from '../../mac80211/capture.ts';
import { readCapture } from '../../netstack/pcap/reader.ts';

export interface Capture {
  linkType: number;
  /** 802.11 MPDUs (radiotap stripped, FCS removed), one per record that decodes as an 802.11 frame. */
  frames: Uint8Array[];
}

/** The 802.11 frames of a pcap/pcapng file, through the project's capture reader and radiotap decoder. */
export function readPcap80211(path: string): Capture {
  const { records } = readCapture(readFileSync(path));
  const frames: Uint8Array[] = [];
  for (const r of records) {
    const c = decodeCapturedFrame(r.linkType, r.data);
    if (!c.ok) continue;
    const b = c.value.frameBytes;
    frames.push(c.value.frame.fcs !== null ? b.subarray(0, b.length - 4) : b);
  }
  return { linkType: records[0]?.linkType ?? 0, frames };
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
