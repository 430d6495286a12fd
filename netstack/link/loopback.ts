/**
 * The loopback device (Linux drivers/net/loopback.c): what a host sends to one of its own addresses goes out here
 * and comes straight back in through netif_rx, so local traffic takes the same receive path as any other and taps
 * see it. Ethernet framing with all-zero addresses, MTU 64 KiB, checksums never computed (a PARTIAL checksum is
 * trusted on the way back in, as Linux's lo does).
 */
import { NetDevice, NetdevTx } from '../core/netdevice.ts';
import { ChecksumState, type SkBuff } from '../core/skb.ts';

export class LoopbackDevice extends NetDevice {
  constructor(name = 'lo') {
    super(name, new Uint8Array(6));
    this.mtu = 65536;
    this.features = { rxCsumUnnecessary: true, txCsumOffload: true };
  }

  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    skb.orphan();
    if (skb.ipSummed === ChecksumState.NONE) skb.ipSummed = ChecksumState.UNNECESSARY;
    this.netifRx(skb);
    return NetdevTx.OK;
  }
}
