/** The packets of a capture file, for tests that replay external captures (through netstack/pcap/reader.ts). */
import { readFileSync } from 'node:fs';
import { readCapture } from '../pcap/reader.ts';

export function captureFrames(path: string): { linkType: number; frames: Buffer[] } {
  const c = readCapture(readFileSync(path));
  if (c.error !== null) throw c.error;
  return {
    linkType: c.records[0]?.linkType ?? c.interfaces[0]?.linkType ?? -1,
    frames: c.records.map((r) => Buffer.from(r.data)),
  };
}
