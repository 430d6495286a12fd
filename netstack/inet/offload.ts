/**
 * Checksum offload helpers. A transport that sends CHECKSUM_PARTIAL stores the folded pseudo-header sum in its
 * checksum field and sets skb.csumStart / csumOffset; whoever cannot leave the rest to hardware (IPv4 before
 * fragmenting, a device without txCsumOffload, a link emulating a NIC) completes it with skbChecksumHelp.
 */
import { csumFold, csumPartial } from '../core/checksum.ts';
import { ChecksumState, type SkBuff } from '../core/skb.ts';

/** skb_checksum_help: complete a CHECKSUM_PARTIAL checksum in software. No-op for other states. */
export function skbChecksumHelp(skb: SkBuff): void {
  if (skb.ipSummed !== ChecksumState.PARTIAL) return;
  const start = skb.csumStart;
  if (start >= skb.data && start < skb.tail) {
    const field = start + skb.csumOffset;
    const sum = csumPartial(skb.buf, start, skb.tail - start);
    // A computed 0 is sent as 0xffff (CSUM_MANGLED_0): the same in one's complement, and UDP reserves 0.
    const v = ~csumFold(sum) & 0xffff || 0xffff;
    skb.buf[field] = v >> 8;
    skb.buf[field + 1] = v & 0xff;
  }
  skb.ipSummed = ChecksumState.NONE;
  skb.csumStart = -1;
}
