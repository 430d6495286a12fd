/**
 * The packets of a capture file, for tests that replay external captures. A minimal loop over classic pcap
 * records and pcapng enhanced packet blocks, with the link type of the file / first interface.
 * TODO: replace with netstack/pcap/reader.ts (branch frames) once it is on main.
 */
import { readFileSync } from 'node:fs';

export function captureFrames(path: string): { linkType: number; frames: Buffer[] } {
  const f = readFileSync(path);
  const frames: Buffer[] = [];
  if (f.readUInt32LE(0) === 0x0a0d0d0a) {
    let linkType = -1;
    for (let o = 0; o + 12 <= f.length; ) {
      const type = f.readUInt32LE(o);
      const len = f.readUInt32LE(o + 4);
      if (len < 12 || o + len > f.length) break;
      if (type === 1 && linkType < 0) linkType = f.readUInt16LE(o + 8);
      if (type === 6) frames.push(f.subarray(o + 28, o + 28 + f.readUInt32LE(o + 20)));
      o += len;
    }
    return { linkType, frames };
  }
  const le = f.readUInt32LE(0) === 0xa1b2c3d4 || f.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? f.readUInt32LE(o) : f.readUInt32BE(o));
  for (let o = 24; o + 16 <= f.length; ) {
    const incl = u32(o + 8);
    frames.push(f.subarray(o + 16, o + 16 + incl));
    o += 16 + incl;
  }
  return { linkType: u32(20), frames };
}
