/**
 * ieee80211_rx_h_amsdu: the receive path's rules around A-MSDU deaggregation (bridge/amsdu.ts does the parsing,
 * with the FragAttacks first-subframe check):
 *  - A-MSDUs are unicast only, need a known peer, and never come with WEP/TKIP (pre-HT ciphers);
 *  - 4-address A-MSDUs only on a 4-address link;
 *  - subframe addresses: a station takes only subframes for itself (or group-addressed ones); an AP only those whose
 *    SA is the sending client (no spoofing through an A-MSDU); 4-address frames carry any;
 *  - with SPP A-MSDU negotiated (the peer's sppAmsdu, which its key's CCMP AAD then covers) the A-MSDU Present bit
 *    cannot be flipped by an attacker; without it, the first-subframe check is the defence.
 * Each subframe then goes through the same delivery checks as a plain MSDU.
 */
import type { SkBuff } from '../../netstack/core/skb.ts';
import { AmsduLayout, amsduToEthernet, parseAmsdu } from '../bridge/amsdu.ts';
import { dataFrameAddrs, dsCheck } from '../bridge/data-to-8023.ts';
import { ETH_ALEN } from '../bridge/llc.ts';
import { hasA4, hdrLen } from '../frame/fc.ts';
import { isCcmpFamily } from '../key.ts';
import type { RxDropReason } from '../stats.ts';
import { deliverMsdu } from './deliver.ts';
import type { RxData } from './rx-data.ts';

const layout = new AmsduLayout();
const frameAddrs = new Uint8Array(2 * ETH_ALEN);
const frameDa = frameAddrs.subarray(0, ETH_ALEN);
const frameSa = frameAddrs.subarray(ETH_ALEN);

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
  const bad = dsCheck(sdata.dot3(sta), buf, off, fc);
  if (bad !== null) return bad;
  dataFrameAddrs(buf, off, fc, frameAddrs);
  const checkDa = !a4 && sdata.type === 'station' ? frameDa : null;
  const checkSa = !a4 && sdata.type === 'ap' ? frameSa : null;
  const r = parseAmsdu(buf, off + hdrLen(fc), skb.tail, checkDa, checkSa, layout);
  if (r !== null) return r;
  const stats = rx.local.rxStats;
  stats.amsdus++;
  stats.amsduSubframes += layout.n;
  const out: SkBuff[] = [];
  amsduToEthernet(skb, layout, out);
  for (const m of out) {
    const d = deliverMsdu(rx, m);
    if (d !== null) {
      stats.drop[d]++;
      m.drop();
    }
  }
  return null;
}
