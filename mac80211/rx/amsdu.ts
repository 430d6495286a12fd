/**
 * A-MSDU deaggregation (ieee80211_rx_h_amsdu and cfg80211's ieee80211_amsdu_to_8023s). The body of a QoS data frame
 * with the A-MSDU Present bit is a list of subframes: DA (6) | SA (6) | length (2) | MSDU, each padded to 4 octets
 * except the last. Each becomes an Ethernet frame (the MSDU's LLC/SNAP handled as for a plain MSDU) and goes through
 * the same delivery checks as a plain MSDU.
 *
 * Defences:
 *  - FragAttacks (CVE-2020-24588, A-MSDU injection): without SPP A-MSDU, the A-MSDU Present bit is not covered by
 *    the MIC, so an attacker can flip it on a normal frame whose payload then parses as subframes. Such a frame's
 *    first "subframe DA" is the start of its LLC/SNAP header: an A-MSDU whose first subframe's DA is AA AA 03 00 00 00
 *    is dropped. With SPP A-MSDU negotiated (the peer's sppAmsdu, which the key's CCMP AAD then covers), the bit
 *    cannot be flipped; the check stays harmless.
 *  - A-MSDUs are unicast only, need a known peer, and never come with WEP/TKIP (pre-HT ciphers).
 *  - Subframe addresses: a station takes only subframes for itself (or group-addressed ones); an AP only subframes
 *    whose SA is the sending client (no spoofing through an A-MSDU); 4-address frames carry any.
 *  - One malformed subframe (length past the end) drops the whole A-MSDU, already parsed subframes included.
 */
import { SKB_DEFAULT_HEADROOM, SkBuff } from '../../netstack/core/skb.ts';
import { isMulticastAddr, macEqual } from '../addr.ts';
import { dataFrameAddrs, dsCheck } from '../bridge/data-to-8023.ts';
import { ETH_ALEN, ETH_HLEN, isRfc1042, LLC_SNAP_PROTO_LEN, snapEthertype } from '../bridge/llc.ts';
import { hasA4, hdrLen } from '../frame/fc.ts';
import { isCcmpFamily } from '../key.ts';
import type { RxDropReason } from '../stats.ts';
import { deliverMsdu } from './deliver.ts';
import type { RxData } from './rx-data.ts';

const SUBFRAME_HDR = 14;
const frameAddrs = new Uint8Array(2 * ETH_ALEN);
const subAddrs = new Uint8Array(2 * ETH_ALEN);
/** Start and end (absolute offsets in the frame's buffer) of each converted subframe. */
let starts = new Int32Array(64);
let ends = new Int32Array(64);

export function rxAmsdu(rx: RxData): RxDropReason | null {
  const { sdata, sta, fc } = rx;
  const skb = rx.skb;
  const buf = skb.buf;
  const off = skb.data;
  const a4 = hasA4(fc);
  if (a4 && !(sdata.type === 'station' ? sdata.use4addr : sta?.use4addr)) return 'unexpected-4addr';
  if (rx.multicast) return 'amsdu-multicast';
  if (sta === null) return 'amsdu-no-sta';
  if (rx.key !== null && !isCcmpFamily(rx.key.cipher)) return 'amsdu-old-cipher';
  const ctx = sdata.dot3(sta);
  const bad = dsCheck(ctx, buf, off, fc);
  if (bad !== null) return bad;
  dataFrameAddrs(buf, off, fc, frameAddrs);
  // Which subframe addresses must match the frame's (check_da / check_sa).
  const checkDa = !a4 && sdata.type === 'station';
  const checkSa = !a4 && sdata.type === 'ap';

  const end = skb.tail;
  let p = off + hdrLen(fc);
  let n = 0;
  while (p < end) {
    const remaining = end - p;
    if (remaining < SUBFRAME_HDR) return 'amsdu-bad-subframe';
    if (n === 0 && isRfc1042(buf, p)) return 'amsdu-rfc1042-da';
    const len = (buf[p + 12]! << 8) | buf[p + 13]!;
    const subLen = SUBFRAME_HDR + len;
    if (subLen > remaining) return 'amsdu-bad-subframe';
    if (checkDa && !isMulticastAddr(buf, p) && !macEqual(buf, p, frameAddrs, 0)) return 'amsdu-bad-da';
    if (checkSa && !macEqual(buf, p + ETH_ALEN, frameAddrs, ETH_ALEN)) return 'amsdu-bad-sa';
    if (n === starts.length) {
      starts = grow(starts);
      ends = grow(ends);
    }
    starts[n] = p;
    ends[n] = p + subLen;
    n++;
    const pad = (4 - (subLen & 3)) & 3;
    p += subLen + pad;
    // The last subframe has no padding; a frame ending inside the padding is as good.
    if (p > end) break;
  }
  if (n === 0) return 'amsdu-bad-subframe';

  // Every subframe becomes an Ethernet frame in place (subframes do not overlap), then all but the last are
  // copied out and the last keeps the original skb.
  for (let i = 0; i < n; i++) {
    const s = starts[i]!;
    const len = ends[i]! - s - SUBFRAME_HDR;
    if (snapEthertype(buf, s + SUBFRAME_HDR, len) >= 0) {
      for (let j = 0; j < 2 * ETH_ALEN; j++) subAddrs[j] = buf[s + j]!;
      const eth = s + SUBFRAME_HDR + LLC_SNAP_PROTO_LEN - ETH_HLEN;
      buf.set(subAddrs, eth);
      starts[i] = eth;
    }
    // else: the subframe header already is an 802.3 header (DA, SA, length).
  }
  const stats = rx.local.rxStats;
  stats.amsdus++;
  stats.amsduSubframes += n;
  const out: SkBuff[] = [];
  for (let i = 0; i < n - 1; i++) {
    const c = SkBuff.fromBytes(buf.subarray(starts[i]!, ends[i]!), SKB_DEFAULT_HEADROOM);
    c.macHeader = c.data;
    out.push(c);
  }
  skb.trim(ends[n - 1]! - off);
  skb.pull(starts[n - 1]! - off);
  skb.macHeader = skb.data;
  out.push(skb);
  for (const m of out) {
    const r = deliverMsdu(rx, m);
    if (r !== null) {
      stats.drop[r]++;
      m.drop();
    }
  }
  return null;
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
