/**
 * 802.11 data → 802.3 (Linux's ieee80211_data_to_8023_exthdr and mac80211's __ieee80211_data_to_8023), in place:
 * the frame's DA and SA (from the To/From DS addressing: addr1/addr3/addr4) and the EtherType behind an RFC 1042 or
 * 802.1H SNAP header become an Ethernet header that overwrites the tail of the 802.11 header; the payload does not
 * move. An MSDU without a strippable SNAP header keeps its LLC behind an 802.3 length field.
 *
 * The live receive path and `airstack decrypt` both use this one function (the capture decoder in `passive` mode,
 * which accepts every To/From DS combination, as a monitor that belongs to no BSS).
 */
import type { SkBuff } from '../../netstack/core/skb.ts';
import { isMulticastAddr, macEqual } from '../addr.ts';
import type { IfType } from '../driver-ops.ts';
import { daOffset, FCTL, fcAt, hdrLen, saOffset } from '../frame/fc.ts';
import type { RxDropReason } from '../stats.ts';
import { ETH_ALEN, ETH_HLEN, LLC_SNAP_PROTO_LEN, snapEthertype } from './llc.ts';

/** Who converts: an interface of a type with its address, or a passive decoder of captures. */
export interface Dot3Context {
  iftype: IfType | 'passive';
  /** The interface's own address (unused when passive). */
  addr: Uint8Array;
  /** Station interface in 4-address mode (WDS client) / AP interface serving a 4-address station. */
  use4addr: boolean;
}

export const PASSIVE_DOT3: Dot3Context = { iftype: 'passive', addr: new Uint8Array(6), use4addr: false };

/**
 * Whether a data frame with Frame Control `fc` may be converted on this interface (the iftype rules of
 * ieee80211_data_to_8023_exthdr plus mac80211's 4-address rules). buf[off] is the 802.11 header.
 */
export function dsCheck(ctx: Dot3Context, buf: Uint8Array, off: number, fc: number): RxDropReason | null {
  if (ctx.iftype === 'passive') return null;
  const ds = fc & (FCTL.TODS | FCTL.FROMDS);
  const a4 = ds === (FCTL.TODS | FCTL.FROMDS);
  if (a4 && !ctx.use4addr) return 'unexpected-4addr';
  // A 4-address station still takes 3-address frames sent to it (EAPOL before the 4-address link is up).
  if (!a4 && ctx.use4addr && ctx.iftype === 'station' && !macEqual(buf, off + 4, ctx.addr)) return 'unexpected-4addr';
  switch (ds) {
    case FCTL.TODS:
      return ctx.iftype === 'ap' ? null : 'invalid-8023';
    case FCTL.TODS | FCTL.FROMDS:
      return ctx.iftype === 'station' || ctx.iftype === 'ap' ? null : 'invalid-8023';
    case FCTL.FROMDS:
      if (ctx.iftype !== 'station') return 'invalid-8023';
      // Our own multicast, sent back by the AP to the whole BSS.
      if (isMulticastAddr(buf, off + 4) && macEqual(buf, off + 16, ctx.addr)) return 'own-multicast';
      return null;
    default:
      // IBSS and OCB would take these; a station takes them from a TDLS peer.
      return ctx.iftype === 'station' ? null : 'invalid-8023';
  }
}

/** DA then SA of the 802.11 data header at buf[off] into out[0, 12). */
export function dataFrameAddrs(buf: Uint8Array, off: number, fc: number, out: Uint8Array): void {
  const da = off + daOffset(fc);
  const sa = off + saOffset(fc);
  for (let i = 0; i < ETH_ALEN; i++) {
    out[i] = buf[da + i]!;
    out[ETH_ALEN + i] = buf[sa + i]!;
  }
}

const scratch = new Uint8Array(2 * ETH_ALEN);

/**
 * Turn the data frame in `skb` (skb.data at the 802.11 header; security header and MIC already removed) into an
 * Ethernet frame in place. Returns null on success (skb.data and skb.macHeader at the Ethernet header), or why the
 * frame must be dropped (the skb is then unchanged).
 */
export function ieee80211DataTo8023(skb: SkBuff, ctx: Dot3Context): RxDropReason | null {
  const buf = skb.buf;
  const off = skb.data;
  if (skb.len < 24) return 'short';
  const fc = fcAt(buf, off);
  const hl = hdrLen(fc);
  if (skb.len < hl) return 'short';
  const bad = dsCheck(ctx, buf, off, fc);
  if (bad !== null) return bad;
  dataFrameAddrs(buf, off, fc, scratch);
  const payload = off + hl;
  const plen = skb.tail - payload;
  let start: number;
  if (snapEthertype(buf, payload, plen) >= 0) {
    // The EtherType stays where it is; DA and SA go right in front of it.
    start = payload + LLC_SNAP_PROTO_LEN - ETH_HLEN;
  } else {
    start = payload - ETH_HLEN;
    buf[start + 12] = (plen >> 8) & 0xff;
    buf[start + 13] = plen & 0xff;
  }
  buf.set(scratch, start);
  skb.pull(start - off);
  skb.macHeader = skb.data;
  return null;
}
