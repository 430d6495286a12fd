/**
 * The net device of a station or AP interface (the netdev Linux's ieee80211_if_add creates): Ethernet-like to the
 * stack above, 802.11 below. Transmit runs mac80211's TX path (tx/tx.ts); received MSDUs, already turned into
 * Ethernet frames in place, go up with netif_receive_skb on this device.
 *
 * Headroom: the 802.11 header (up to 30 octets + QoS 2), the CCMP header (8) and LLC/SNAP (8) replace the 14-octet
 * Ethernet header, and the driver wants its own headroom (TX descriptor, USB header) in front: neededHeadroom asks
 * the stack to reserve all of it, so that the TX path never has to copy a frame to make room.
 */
import { NetDevice, NetdevTx } from '../netstack/core/netdevice.ts';
import type { SkBuff } from '../netstack/core/skb.ts';
import { ETH_HLEN, LLC_SNAP_PROTO_LEN } from './bridge/llc.ts';
import type { Ieee80211SubIf } from './iface.ts';
import { ieee80211SubifStartXmit } from './tx/tx.ts';

/** Longest data header mac80211 builds: 4 addresses + QoS Control. */
export const MAX_DATA_HDR_LEN = 32;
export const MAX_IV_LEN = 8;
export const MAX_MIC_LEN = 16;

export class Ieee80211NetDev extends NetDevice {
  constructor(
    readonly sdata: Ieee80211SubIf,
    name: string,
  ) {
    super(name, sdata.addr);
    this.neededHeadroom =
      sdata.local.caps.extraTxHeadroom + MAX_DATA_HDR_LEN + MAX_IV_LEN + LLC_SNAP_PROTO_LEN - ETH_HLEN;
    this.neededTailroom = MAX_MIC_LEN;
  }

  protected override ndoStartXmit(skb: SkBuff): NetdevTx {
    ieee80211SubifStartXmit(this.sdata, skb);
    return NetdevTx.OK;
  }

  /** A received MSDU (an Ethernet frame at skb.data) up the stack: netif_receive_skb. Takes ownership. */
  rxDeliver(skb: SkBuff): void {
    const core = this.core;
    if (core === null) {
      this.stats.rxDropped++;
      skb.drop();
      return;
    }
    this.softnet.processed++;
    core.netifReceiveSkb(skb, this);
  }

  /** AP: a frame relayed to another client (or a group-addressed copy) goes out through the qdisc. */
  bridgeXmit(skb: SkBuff): void {
    skb.macHeader = skb.data;
    this.devQueueXmit(skb);
  }
}
