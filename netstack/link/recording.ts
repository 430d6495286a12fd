/**
 * A device for tests and tools: every transmitted frame is recorded (a copy), and frames can be injected as if
 * received (through netif_rx and the backlog NAPI, so the whole receive path runs). Also useful to drive a stack
 * from a capture file.
 */
import { NetDevice, NetdevTx } from '../core/netdevice.ts';
import { type ChecksumState, SkBuff } from '../core/skb.ts';

export class RecordingDevice extends NetDevice {
  /** Frames sent by the stack, oldest first. */
  readonly sent: Buffer[] = [];

  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    this.sent.push(skb.copyBytes());
    skb.free();
    return NetdevTx.OK;
  }

  /** Receive `frame` (copied), starting at the Ethernet header. */
  inject(frame: Uint8Array, ipSummed?: ChecksumState): void {
    const skb = SkBuff.fromBytes(frame, 64);
    skb.resetMacHeader();
    if (ipSummed !== undefined) skb.ipSummed = ipSummed;
    this.netifRx(skb);
  }

  /** Remove and return the recorded frames. */
  take(): Buffer[] {
    return this.sent.splice(0);
  }
}
