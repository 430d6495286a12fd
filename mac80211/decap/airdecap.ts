/**
 * The airdecap-ng job as a library: captured 802.11 frames in, decrypted Ethernet frames out. Every 4-way and
 * group-key handshake in the capture is followed (decap/handshakes.ts); CCMP data frames are decrypted with the
 * pair's PTK (unicast) or the authenticator's GTK (group-addressed) by rsn's CcmpKey, and bridged to Ethernet by the
 * same ieee80211_data_to_8023 and A-MSDU code the live receive path uses (in passive mode: every To/From DS
 * combination, no interface). As a receiver would, retransmissions are dropped (Retry bit with the transmitter's
 * last Sequence Control for that TID; airdecap-ng compares body checksums for the same effect). Like airdecap-ng,
 * only decrypted frames are written, and group-addressed frames only when asked (`group`): airdecap-ng never
 * decrypts them. Nothing throws on a bad frame: each is counted under a reason.
 */
import { SkBuff } from '../../netstack/core/skb.ts';
import { isMulticastAddr } from '../addr.ts';
import { AmsduLayout, amsduToEthernet, parseAmsdu } from '../bridge/amsdu.ts';
import { ieee80211DataTo8023, PASSIVE_DOT3 } from '../bridge/data-to-8023.ts';
import { ETH_P_PAE, snapEthertype } from '../bridge/llc.ts';
import { decodeCapturedFrame } from '../capture.ts';
import { FCTL, hdrLen, isDataNoPayload, QOS_CTL_A_MSDU_PRESENT, qosOffset } from '../frame/fc.ts';
import { RADIOTAP_F } from '../radiotap.ts';
import { CCMP_RESULT_NAMES, CcmpResult, ccmpDecryptSkb, type CcmpKey } from '../rsn/ccmp.ts';
import { passphraseToPsk } from '../rsn/kdf.ts';
import { macKey, NUM_SEQ_SLOTS, SEQ_SLOT_NON_QOS } from '../sta-info.ts';
import { HandshakeTracker } from './handshakes.ts';

export interface DecapCounts {
  /** Capture records read. */
  packets: number;
  /** Records that were not 802.11 frames we could decode, by reason. */
  undecodable: Record<string, number>;
  /** Pairs of addresses seen in key handshakes. */
  stations: number;
  eapolFrames: number;
  /** Distinct PTKs derived and verified. */
  handshakes: number;
  groupKeys: number;
  /** Handshake messages that could not be used, by reason (handshake-mic: wrong passphrase or another network). */
  handshakeFailures: Record<string, number>;
  /** Data frames with a payload. */
  dataFrames: number;
  plaintextData: number;
  protectedData: number;
  /** Retransmissions skipped (Retry bit, same Sequence Control as the transmitter's last frame on that TID). */
  duplicates: number;
  /** Protected frames decrypted. */
  decrypted: number;
  /** Ethernet frames produced (an A-MSDU gives several). */
  written: number;
  /** Protected frames not decrypted, or decrypted but not bridged, by reason. */
  failures: Record<string, number>;
}

function bump(r: Record<string, number>, k: string): void {
  r[k] = (r[k] ?? 0) + 1;
}

export class Airdecap {
  readonly tracker: HandshakeTracker;
  private readonly c = {
    packets: 0,
    undecodable: {} as Record<string, number>,
    dataFrames: 0,
    plaintextData: 0,
    protectedData: 0,
    duplicates: 0,
    decrypted: 0,
    written: 0,
    failures: {} as Record<string, number>,
  };
  private readonly layout = new AmsduLayout();
  /** Last Sequence Control per transmitter and TID (slot 16: non-QoS), as a receiver's duplicate detection. */
  private readonly lastSeq = new Map<number, Int32Array>();
  private readonly group: boolean;

  constructor(
    opts: ({ ssid: Uint8Array | string; passphrase: string } | { pmk: Uint8Array }) & {
      /** Also decrypt group-addressed frames with the GTK (airdecap-ng does not). */
      group?: boolean;
    },
  ) {
    const pmk = 'pmk' in opts ? opts.pmk : passphraseToPsk(opts.passphrase, opts.ssid);
    this.tracker = new HandshakeTracker(pmk);
    this.group = opts.group ?? false;
  }

  /** ieee80211_rx_h_check_dup for a passive observer: per transmitter instead of per associated peer. */
  private duplicate(buf: Uint8Array, off: number, fc: number): boolean {
    if (isMulticastAddr(buf, off + 4)) return false;
    const ta = macKey(buf, off + 10);
    let last = this.lastSeq.get(ta);
    if (last === undefined) {
      last = new Int32Array(NUM_SEQ_SLOTS).fill(-1);
      this.lastSeq.set(ta, last);
    }
    const slot = fc & 0x0080 ? buf[off + qosOffset(fc)]! & 0x0f : SEQ_SLOT_NON_QOS;
    const sc = buf[off + 22]! | (buf[off + 23]! << 8);
    if (fc & FCTL.RETRY && last[slot] === sc) return true;
    last[slot] = sc;
    return false;
  }

  get counts(): DecapCounts {
    const t = this.tracker;
    return {
      packets: this.c.packets,
      undecodable: { ...this.c.undecodable },
      stations: t.stations,
      eapolFrames: t.eapolFrames,
      handshakes: t.handshakes,
      groupKeys: t.groupKeys,
      handshakeFailures: Object.fromEntries(t.failures),
      dataFrames: this.c.dataFrames,
      plaintextData: this.c.plaintextData,
      protectedData: this.c.protectedData,
      duplicates: this.c.duplicates,
      decrypted: this.c.decrypted,
      written: this.c.written,
      failures: { ...this.c.failures },
    };
  }

  /**
   * One capture record of link type `linkType`; returns the Ethernet frames it decrypts to (usually none or one;
   * views valid until the next call).
   */
  frame(linkType: number, data: Uint8Array, fcsLength?: number): Uint8Array[] {
    this.c.packets++;
    const cf = decodeCapturedFrame(linkType, data, { fcsLength });
    if (!cf.ok) {
      bump(this.c.undecodable, cf.reason);
      return [];
    }
    const { frame, frameBytes, radiotap } = cf.value;
    if (frame.type !== 'data') return [];
    const fc = frame.header.fc;
    if (isDataNoPayload(fc)) return [];
    this.c.dataFrames++;
    // The MPDU without FCS and without the radiotap data padding between header and body.
    const hl = hdrLen(fc);
    const end = frameBytes.length - (frame.fcs !== null ? 4 : 0);
    const padded = radiotap?.fields.flags !== undefined && (radiotap.fields.flags & RADIOTAP_F.DATAPAD) !== 0;
    const bodyOff = padded ? (hl + 3) & ~3 : hl;
    const skb = SkBuff.alloc(hl + end - bodyOff, 64);
    skb.putBytes(frameBytes.subarray(0, hl));
    skb.putBytes(frameBytes.subarray(bodyOff, end));
    const buf = skb.buf;
    const off = skb.data;
    const a1 = buf.subarray(off + 4, off + 10);
    const a2 = buf.subarray(off + 10, off + 16);
    if (this.duplicate(buf, off, fc)) {
      this.c.duplicates++;
      return [];
    }

    if ((fc & FCTL.PROTECTED) === 0) {
      if (snapEthertype(buf, off + hl, skb.len - hl) === ETH_P_PAE) {
        this.tracker.eapol(a2, a1, buf.subarray(off + hl + 8, skb.tail));
      } else this.c.plaintextData++;
      return [];
    }
    this.c.protectedData++;
    if (skb.len < hl + 8) return this.failed('truncated');
    const b3 = buf[off + hl + 3]!;
    if ((b3 & 0x20) === 0) return this.failed('wep-unsupported');
    const keys: CcmpKey[] = [];
    if (isMulticastAddr(a1)) {
      if (!this.group) return this.failed('group-addressed');
      const g = this.tracker.groupKey(a2, b3 >> 6);
      if (g !== null) keys.push(g);
    } else keys.push(...this.tracker.pairwiseKeys(a1, a2));
    if (keys.length === 0) return this.failed('no-key');
    let r: number = CcmpResult.FORMAT;
    for (const k of keys) {
      r = ccmpDecryptSkb(k, skb);
      if (r === CcmpResult.OK) break;
    }
    if (r !== CcmpResult.OK) return this.failed(`ccmp-${CCMP_RESULT_NAMES[r]}`);
    this.c.decrypted++;

    const out: SkBuff[] = [];
    // The header moved up by 8 octets when the CCMP header was removed.
    if (fc & 0x0080 && skb.buf[skb.data + qosOffset(fc)]! & QOS_CTL_A_MSDU_PRESENT) {
      const why = parseAmsdu(skb.buf, skb.data + hl, skb.tail, null, null, this.layout);
      if (why !== null) return this.failed(why);
      amsduToEthernet(skb, this.layout, out);
    } else {
      const why = ieee80211DataTo8023(skb, PASSIVE_DOT3);
      if (why !== null) return this.failed(why);
      out.push(skb);
    }
    this.c.written += out.length;
    return out.map((s) => s.bytes());
  }

  private failed(reason: string): Uint8Array[] {
    bump(this.c.failures, reason);
    return [];
  }
}
