/**
 * Decode every packet of a capture as airstack would: frame, radiotap, and every element it has a codec for,
 * recording what was decoded, what was rejected and why, and whether each decoded piece re-encodes to its octets.
 */
import { readFileSync } from 'node:fs';
import { decodeCapturedFrame } from '../../mac80211/capture.ts';
import { codecFor, Elements } from '../../mac80211/elements/index.ts';
import { encodeFrame, type Frame } from '../../mac80211/frame/frame.ts';
import { encodeRadiotap } from '../../mac80211/radiotap.ts';
import { ReasonCounters } from '../../mac80211/parse.ts';
import { readCapture } from '../../netstack/pcap/reader.ts';

export interface CaptureSummary {
  frames: number;
  /** Decoded frames by type/body kind ("mgmt/beacon", "data/protected"...), and rejected ones by reason. */
  counts: Record<string, number>;
  /** Element bodies decoded by one of our codecs, and those a codec rejected (codec: reason). */
  elementsDecoded: number;
  elementFailures: Record<string, number>;
  /** Per packet: the decoded frame (or null) and why not. */
  packets: { frame: Frame | null; reason: string | null }[];
  /** Octets that did not survive decode → encode (frame, radiotap header, element bodies). */
  roundTripFailures: string[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0
  );
}

/** Element lists of a decoded frame (management bodies and Block Ack actions). */
export function frameElements(f: Frame): Elements | null {
  if (f.type !== 'mgmt') return null;
  const b = f.body;
  if ('elements' in b && b.elements instanceof Elements) return b.elements;
  if ((b.kind === 'action' || b.kind === 'action-no-ack') && 'elements' in b.action) return b.action.elements;
  return null;
}

export function decodeCapture(file: string): CaptureSummary {
  const cap = readCapture(readFileSync(file));
  if (cap.error) throw cap.error;
  const counts = new ReasonCounters();
  const elementFailures = new ReasonCounters();
  const s: CaptureSummary = {
    frames: cap.records.length,
    counts: {},
    elementsDecoded: 0,
    elementFailures: {},
    packets: [],
    roundTripFailures: [],
  };
  cap.records.forEach((r, i) => {
    if (r.linkType === 1) {
      counts.add('ethernet');
      s.packets.push({ frame: null, reason: 'ethernet' });
      return;
    }
    const d = decodeCapturedFrame(r.linkType, r.data, {
      fcsLength: cap.interfaces[r.interfaceId]?.fcsLength,
      originalLength: r.originalLength,
    });
    if (!d.ok) {
      counts.add(`rejected:${d.reason}`);
      s.packets.push({ frame: null, reason: d.reason });
      return;
    }
    const { frame, frameBytes, radiotap } = d.value;
    counts.add(`${frame.type}/${frame.body.kind}`);
    s.packets.push({ frame, reason: null });
    if (r.originalLength === r.data.length && !sameBytes(encodeFrame(frame, { fcs: frame.fcs !== null }), frameBytes))
      s.roundTripFailures.push(`#${i + 1} frame`);
    if (radiotap && !radiotap.incomplete) {
      const again = encodeRadiotap({ namespaces: radiotap.namespaces, pad: radiotap.pad, trailing: radiotap.trailing });
      if (!sameBytes(again, r.data.subarray(0, radiotap.length))) s.roundTripFailures.push(`#${i + 1} radiotap`);
    }
    const els = frameElements(frame);
    if (!els) return;
    for (const ref of els) {
      const codec = codecFor(els.buf, ref);
      if (!codec) continue;
      const body = els.buf.subarray(ref.offset, ref.offset + ref.length);
      const v = codec.decode(body);
      if (!v.ok) {
        elementFailures.add(`${codec.name}: ${v.reason}`);
        continue;
      }
      s.elementsDecoded++;
      if (!sameBytes(codec.encode(v.value), body)) s.roundTripFailures.push(`#${i + 1} ${codec.name}`);
    }
  });
  s.counts = counts.toJSON();
  s.elementFailures = elementFailures.toJSON();
  return s;
}
