/**
 * Which 802.1D priority (= 802.11 TID for QoS data) a packet gets, as Linux's cfg80211_classify8021d: an explicit
 * priority (256..263, e.g. a frame relayed by an AP keeps its received TID), a VLAN tag's PCP, or the IP DSCP
 * mapped by RFC 8325 (the three high bits, with the exceptions its section 4 lists). Then the access category of
 * a TID (ieee802_1d_to_ac).
 */
import type { SkBuff } from '../../netstack/core/skb.ts';
import { Ac } from '../driver-ops.ts';
import { ETH_P_80221, ETH_P_IP, ETH_P_IPV6 } from '../bridge/llc.ts';

/** DSCP (the six high bits of the DS field) → 802.1D user priority, RFC 8325. */
export function dscpToUp(dscp: number): number {
  switch (dscp) {
    case 10: // AF11
    case 12: // AF12
    case 14: // AF13 — high-throughput data
    case 16: // CS2 — OAM
      return 0;
    case 18: // AF21
    case 20: // AF22
    case 22: // AF23 — low-latency data
      return 3;
    case 24: // CS3 — broadcast video
    case 26: // AF31
    case 28: // AF32
    case 30: // AF33 — multimedia streaming
      return 4;
    case 44: // VA
    case 46: // EF — telephony
      return 6;
    case 48: // CS6 — network control
      return 7;
    default:
      return dscp >> 3;
  }
}

/**
 * cfg80211_classify8021d for an Ethernet frame at skb.data (EtherType at offset 12, the network header after it).
 */
export function classify8021d(skb: SkBuff): number {
  const p = skb.priority;
  if (p >= 256 && p <= 263) return p - 256;
  if (skb.vlanTci >= 0) {
    const pcp = (skb.vlanTci >> 13) & 7;
    if (pcp > 0) return pcp;
  }
  const b = skb.buf;
  const d = skb.data;
  if (skb.len < 16) return 0;
  const proto = (b[d + 12]! << 8) | b[d + 13]!;
  let ds: number;
  switch (proto) {
    case ETH_P_IP:
      ds = b[d + 15]!;
      break;
    case ETH_P_IPV6:
      // Traffic Class spans the low nibble of byte 0 and the high nibble of byte 1.
      if (skb.len < 16) return 0;
      ds = ((b[d + 14]! & 0x0f) << 4) | (b[d + 15]! >> 4);
      break;
    case ETH_P_80221:
      return 7;
    default:
      return 0;
  }
  return dscpToUp(ds >> 2);
}

/** 802.1D priority → access category (ieee802_1d_to_ac). */
const UP_TO_AC: readonly Ac[] = [Ac.BE, Ac.BK, Ac.BK, Ac.BE, Ac.VI, Ac.VI, Ac.VO, Ac.VO];

export function tidToAc(tid: number): Ac {
  return UP_TO_AC[tid & 7]!;
}
