/**
 * Hand-built 802.11 data frames for RX tests (through the frames branch's builders and rsn's CCMP), for what the
 * TX path never produces itself: fragments, A-MSDUs, retries, replays, Null frames, forged cases.
 */
import { buildData, type DataHeaderParams } from '../../mac80211/frame/build.ts';
import { encodeFrame } from '../../mac80211/frame/frame.ts';
import { type CcmpKey, ccmpEncryptMpdu } from '../../mac80211/rsn/ccmp.ts';
import { AP, STA } from './world.ts';

export const LLC_IP = Buffer.from('aaaa030000000800', 'hex');

export interface FrameOpts extends Partial<DataHeaderParams> {
  payload?: Uint8Array;
  retry?: boolean;
  /** Encrypt with this key (PN `pn`, or its next). */
  key?: CcmpKey;
  pn?: number;
}

/** A From DS data frame from the AP to the station (QoS TID 0 unless told otherwise). */
export function fromAp(o: FrameOpts = {}): Buffer {
  const p: DataHeaderParams & { payload: Uint8Array } = {
    toDs: false,
    fromDs: true,
    addr1: STA,
    addr2: AP,
    addr3: AP,
    seq: 0,
    tid: 0,
    ...o,
    payload: o.payload ?? Buffer.concat([LLC_IP, Buffer.alloc(40, 0x11)]),
  };
  let f: Buffer = Buffer.from(encodeFrame(buildData(p)));
  if (o.retry) f[1]! |= 0x08;
  if (o.key) f = ccmpEncryptMpdu(o.key, f, o.pn);
  return f;
}

/** An A-MSDU body from subframes (DA, SA, MSDU), each padded to 4 octets except the last. */
export function amsduBody(subs: { da: Uint8Array; sa: Uint8Array; msdu: Uint8Array }[]): Buffer {
  const parts: Buffer[] = [];
  subs.forEach((s, i) => {
    const h = Buffer.alloc(14);
    h.set(s.da, 0);
    h.set(s.sa, 6);
    h.writeUInt16BE(s.msdu.length, 12);
    parts.push(h, Buffer.from(s.msdu));
    const len = 14 + s.msdu.length;
    if (i < subs.length - 1 && len % 4) parts.push(Buffer.alloc(4 - (len % 4)));
  });
  return Buffer.concat(parts);
}
