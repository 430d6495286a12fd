/**
 * The Ethernet layer of one stack: eth_type_trans on receive (installed as NetCore.linkRx), eth_header on
 * transmit, 802.1Q/802.1ad tags, and minimum-length padding for links that need it (eth_skb_pad).
 *
 * Receive: the frame's destination gives skb.pktType (HOST / BROADCAST / MULTICAST / OTHERHOST). One VLAN tag
 * (0x8100 or 0x88a8) is stripped into skb.vlanTci and the inner EtherType dispatched. As in Linux without a VLAN
 * device for the tag, a frame whose VID is not 0 (priority tag) and not accepted with acceptVlan() is marked
 * OTHERHOST: upper layers ignore it. A second tag (QinQ) has no handler here: dropped and counted. Frames with an
 * 802.3 length field are given Linux's pseudo protocols (ETH_P_802_2 / ETH_P_802_3) and find no handler.
 */
import type { NetCore, NetDevice } from '../core/netdevice.ts';
import { PacketType, type SkBuff } from '../core/skb.ts';
import { logger } from '../core/log.ts';
import { isBroadcastMac, macEqual } from '../inet/addr.ts';
import {
  ETH_HLEN,
  ETH_P_802_2,
  ETH_P_802_3,
  ETH_P_802_3_MIN,
  ETH_P_8021AD,
  ETH_P_8021Q,
  ETH_ZLEN,
  VLAN_HLEN,
  VLAN_VID_MASK,
} from './header.ts';

const log = logger('eth');

export interface EthStats {
  /** Frames shorter than an Ethernet header (or a tag cut short). */
  rxRunts: number;
  /** Frames that carried a VLAN tag (stripped into skb.vlanTci). */
  rxVlanTagged: number;
  /** Tagged frames for a VLAN this host has not joined: marked OTHERHOST. */
  rxVlanOtherHost: number;
  /** Frames with two or more tags (QinQ): dropped. */
  rxNestedVlanDrops: number;
  /** Frames with an 802.3 length field instead of an EtherType. */
  rx8023: number;
  /** Frames addressed to another host's unicast MAC. */
  rxOtherHost: number;
}

export class Ethernet {
  readonly stats: EthStats = {
    rxRunts: 0,
    rxVlanTagged: 0,
    rxVlanOtherHost: 0,
    rxNestedVlanDrops: 0,
    rx8023: 0,
    rxOtherHost: 0,
  };
  private vlans = new Map<NetDevice, Set<number>>();

  constructor(core: NetCore) {
    core.linkRx = this.typeTrans;
  }

  /** Accept frames tagged with `vid` on `dev` as if untagged (a minimal VLAN device). */
  acceptVlan(dev: NetDevice, vid: number): void {
    let set = this.vlans.get(dev);
    if (set === undefined) this.vlans.set(dev, (set = new Set()));
    set.add(vid & VLAN_VID_MASK);
  }

  /**
   * eth_type_trans: classify by destination, strip one tag, pull the header, set skb.protocol. Returns false after
   * dropping and counting a malformed frame.
   */
  readonly typeTrans = (skb: SkBuff, dev: NetDevice): boolean => {
    const len = skb.len;
    if (len < ETH_HLEN) return this.runt(skb, dev);
    const b = skb.buf;
    const d = skb.data;
    skb.macHeader = d;
    if (b[d]! & 1) {
      skb.pktType = isBroadcastMac(b, d) ? PacketType.BROADCAST : PacketType.MULTICAST;
    } else if (macEqual(b, d, dev.addr)) {
      skb.pktType = PacketType.HOST;
    } else {
      skb.pktType = PacketType.OTHERHOST;
      this.stats.rxOtherHost++;
    }
    let proto = (b[d + 12]! << 8) | b[d + 13]!;
    let hlen = ETH_HLEN;
    if (proto === ETH_P_8021Q || proto === ETH_P_8021AD) {
      if (len < ETH_HLEN + VLAN_HLEN) return this.runt(skb, dev);
      const tci = (b[d + 14]! << 8) | b[d + 15]!;
      proto = (b[d + 16]! << 8) | b[d + 17]!;
      hlen += VLAN_HLEN;
      this.stats.rxVlanTagged++;
      if (proto === ETH_P_8021Q || proto === ETH_P_8021AD) {
        this.stats.rxNestedVlanDrops++;
        dev.stats.rxDropped++;
        skb.drop();
        return false;
      }
      skb.vlanTci = tci;
      const vid = tci & VLAN_VID_MASK;
      if (vid !== 0 && !this.vlans.get(dev)?.has(vid)) {
        if (skb.pktType !== PacketType.OTHERHOST) this.stats.rxVlanOtherHost++;
        skb.pktType = PacketType.OTHERHOST;
      }
    }
    if (proto < ETH_P_802_3_MIN) {
      this.stats.rx8023++;
      // Linux: raw 802.3 (Novell) frames start with 0xffff, the rest are 802.2 LLC.
      proto = len >= hlen + 2 && b[d + hlen] === 0xff && b[d + hlen + 1] === 0xff ? ETH_P_802_3 : ETH_P_802_2;
    }
    skb.protocol = proto;
    skb.data = d + hlen;
    skb.networkHeader = d + hlen;
    return true;
  };

  private runt(skb: SkBuff, dev: NetDevice): false {
    this.stats.rxRunts++;
    dev.stats.rxErrors++;
    if (log.enabled) log('%s: runt frame of %d bytes dropped', dev.name, skb.len);
    skb.drop();
    return false;
  }

  /**
   * eth_header: push a header in front of skb.data (the network header). `dst` is read at dstOff; the source is the
   * device address. When skb.vlanTci >= 0 an 802.1Q tag is inserted. Grows the headroom if it must.
   */
  header(skb: SkBuff, dev: NetDevice, proto: number, dst: Uint8Array, dstOff = 0): void {
    const tagged = skb.vlanTci >= 0;
    const hlen = tagged ? ETH_HLEN + VLAN_HLEN : ETH_HLEN;
    if (skb.headroom < hlen + dev.neededHeadroom) skb.ensureRoom(hlen + dev.neededHeadroom, dev.neededTailroom);
    const p = skb.push(hlen);
    const b = skb.buf;
    for (let i = 0; i < 6; i++) b[p + i] = dst[dstOff + i]!;
    b.set(dev.addr, p + 6);
    let t = p + 12;
    if (tagged) {
      b[t] = ETH_P_8021Q >> 8;
      b[t + 1] = ETH_P_8021Q & 0xff;
      b[t + 2] = (skb.vlanTci >> 8) & 0xff;
      b[t + 3] = skb.vlanTci & 0xff;
      t += VLAN_HLEN;
    }
    b[t] = proto >> 8;
    b[t + 1] = proto & 0xff;
    skb.macHeader = p;
    skb.protocol = proto;
  }
}

/** Zero-pad a frame (skb.data at the Ethernet header) to ETH_ZLEN. Returns true when it padded. */
export function ethSkbPad(skb: SkBuff): boolean {
  const short = ETH_ZLEN - skb.len;
  if (short <= 0) return false;
  if (skb.tailroom < short) skb.ensureRoom(0, short);
  const off = skb.put(short);
  skb.buf.fill(0, off, off + short);
  return true;
}
