/**
 * A-MSDU deaggregation (cfg80211's ieee80211_amsdu_to_8023s): the body of a QoS data frame with the A-MSDU Present
 * bit is a list of subframes DA (6) | SA (6) | length (2) | MSDU, each padded to 4 octets except the last. Each
 * becomes an Ethernet frame (the MSDU's LLC/SNAP treated as for a plain MSDU: see llc.ts).
 *
 * FragAttacks (CVE-2020-24588): without SPP A-MSDU the A-MSDU Present bit is not covered by the MIC, so an attacker
 * can flip it on a normal frame, whose LLC/SNAP header then reads as the first subframe's DA: an A-MSDU whose first
 * subframe's DA is AA AA 03 00 00 00 is rejected. One malformed subframe rejects the whole A-MSDU.
 *
 * Used by the receive path (rx/amsdu.ts, with its per-interface address checks) and by `airstack decrypt`.
 */
import { SKB_DEFAULT_HEADROOM, SkBuff } from '../../netstack/core/skb.ts';
import { isMulticastAddr, macEqual } from '../addr.ts';
import type { RxDropReason } from '../stats.ts';
import { ETH_ALEN, ETH_HLEN, isRfc1042, LLC_SNAP_PROTO_LEN, snapEthertype } from './llc.ts';

const SUBFRAME_HDR = 14;

/** Where the subframes are: absolute offsets into the frame's buffer, reused between frames. */
export class AmsduLayout {
  starts = new Int32Array(32);
  ends = new Int32Array(32);
  n = 0;

  push(start: number, end: number): void {
    if (this.n === this.starts.length) {
      const s = new Int32Array(this.n * 2);
      const e = new Int32Array(this.n * 2);
      s.set(this.starts);
      e.set(this.ends);
      this.starts = s;
      this.ends = e;
    }
    this.starts[this.n] = start;
    this.ends[this.n] = end;
    this.n++;
  }
}

/**
 * Parse the A-MSDU body buf[start, end). `checkDa`: unicast subframes must be for this address; `checkSa`:
 * every subframe must come from this address (null: no check). Returns null (layout filled) or why the whole
 * A-MSDU is rejected.
 */
export function parseAmsdu(
  buf: Uint8Array,
  start: number,
  end: number,
  checkDa: Uint8Array | null,
  checkSa: Uint8Array | null,
  layout: AmsduLayout,
): RxDropReason | null {
  layout.n = 0;
  let p = start;
  while (p < end) {
    const remaining = end - p;
    if (remaining < SUBFRAME_HDR) return 'amsdu-bad-subframe';
    if (layout.n === 0 && isRfc1042(buf, p)) return 'amsdu-rfc1042-da';
    const subLen = SUBFRAME_HDR + ((buf[p + 12]! << 8) | buf[p + 13]!);
    if (subLen > remaining) return 'amsdu-bad-subframe';
    if (checkDa !== null && !isMulticastAddr(buf, p) && !macEqual(buf, p, checkDa)) return 'amsdu-bad-da';
    if (checkSa !== null && !macEqual(buf, p + ETH_ALEN, checkSa)) return 'amsdu-bad-sa';
    layout.push(p, p + subLen);
    // Padding to 4 octets; the last subframe has none (a frame that ends inside it is as good).
    p += subLen + ((4 - (subLen & 3)) & 3);
  }
  return layout.n === 0 ? 'amsdu-bad-subframe' : null;
}

const addrs = new Uint8Array(2 * ETH_ALEN);

/**
 * Turn the parsed subframes of the frame in `skb` into Ethernet frames: each is rewritten in place (subframes do not
 * overlap), all but the last are copied into new skbs, and the last keeps `skb` (trimmed to it). Appends to `out`.
 */
export function amsduToEthernet(skb: SkBuff, layout: AmsduLayout, out: SkBuff[]): void {
  const buf = skb.buf;
  const n = layout.n;
  for (let i = 0; i < n; i++) {
    const s = layout.starts[i]!;
    const len = layout.ends[i]! - s - SUBFRAME_HDR;
    if (snapEthertype(buf, s + SUBFRAME_HDR, len) >= 0) {
      for (let j = 0; j < 2 * ETH_ALEN; j++) addrs[j] = buf[s + j]!;
      const eth = s + SUBFRAME_HDR + LLC_SNAP_PROTO_LEN - ETH_HLEN;
      buf.set(addrs, eth);
      layout.starts[i] = eth;
    }
    // else: the subframe header already is an 802.3 header (DA, SA, length).
  }
  for (let i = 0; i < n - 1; i++) {
    const c = SkBuff.fromBytes(buf.subarray(layout.starts[i]!, layout.ends[i]!), SKB_DEFAULT_HEADROOM);
    c.copyMeta(skb);
    c.macHeader = c.data;
    out.push(c);
  }
  const base = skb.data;
  skb.trim(layout.ends[n - 1]! - base);
  skb.pull(layout.starts[n - 1]! - base);
  skb.macHeader = skb.data;
  out.push(skb);
}
