/**
 * The last steps for one MSDU, now an Ethernet frame (ieee80211_frame_allowed and ieee80211_deliver_skb):
 *
 *  - EAPOL (the control port protocol) goes to the interface's RSN handler, never to IP, and only when sent to us
 *    or to the PAE group address (encrypted or not: the RSN handler is told which);
 *  - everything else needs the 802.1X port to be authorized, and must have been protected when a key exists;
 *  - an AP relays frames between its clients (intra-BSS bridging) and passes the rest up;
 *  - up means netif_receive_skb on the interface's net device, with skb.priority = the frame's TID.
 */
import type { SkBuff } from '../../netstack/core/skb.ts';
import { isMulticastAddr, macEqual } from '../addr.ts';
import { ETH_HLEN, PAE_GROUP_ADDR } from '../bridge/llc.ts';
import { macKey } from '../sta-info.ts';
import type { RxDropReason } from '../stats.ts';
import type { RxData } from './rx-data.ts';

export function deliverMsdu(rx: RxData, skb: SkBuff): RxDropReason | null {
  const sdata = rx.sdata;
  const buf = skb.buf;
  const d = skb.data;
  if (skb.len < ETH_HLEN) return 'short';
  const proto = (buf[d + 12]! << 8) | buf[d + 13]!;
  const stats = rx.local.rxStats;
  if (proto === sdata.controlPortProtocol) {
    if (!macEqual(buf, d, sdata.addr) && !macEqual(buf, d, PAE_GROUP_ADDR)) return 'eapol-bad-dest';
    const rsn = sdata.rsn;
    if (rsn === null) return 'eapol-no-handler';
    const src = Uint8Array.from(buf.subarray(d + 6, d + 12));
    const pdu = Uint8Array.from(buf.subarray(d + ETH_HLEN, skb.tail));
    stats.eapol++;
    skb.free();
    rsn.rxEapol(src, pdu, rx.sta, rx.decrypted);
    return null;
  }
  const sta = rx.sta;
  if (sta === null || !sta.authorized) return 'port-unauthorized';
  if (!rx.decrypted && rx.key !== null) return 'unprotected';
  skb.priority = rx.tid;
  sta.rx.msdu[rx.seqnoIdx]!++;

  const dev = sdata.dev;
  if (sdata.type === 'ap' && sdata.bridgePackets && dev !== null) {
    if (isMulticastAddr(buf, d)) {
      // To the other clients over the air and up the local stack. +256: keep the priority (classify8021d).
      const copy = skb.copy();
      copy.priority = skb.priority + 256;
      dev.bridgeXmit(copy);
      stats.bridged++;
    } else if (!macEqual(buf, d, buf, d + 6)) {
      const dsta = sdata.stas.get(macKey(buf, d));
      if (dsta?.associated) {
        skb.priority += 256;
        dev.bridgeXmit(skb);
        stats.bridged++;
        return null;
      }
    }
  }
  if (dev === null || !dev.up) return 'netdev-down';
  stats.delivered++;
  stats.deliveredBytes += skb.len;
  dev.rxDeliver(skb);
  return null;
}
