/**
 * The state of one received frame as it goes through the RX handlers (Linux's struct ieee80211_rx_data), and the
 * handler result convention: a handler returns null to continue, RX_QUEUED when it took the frame (delivered, kept
 * for reassembly, consumed), or a drop reason (the caller drops the skb and counts the reason).
 */
import type { SkBuff } from '../../netstack/core/skb.ts';
import type { RxStatus } from '../driver-ops.ts';
import type { Ieee80211SubIf } from '../iface.ts';
import type { Ieee80211Key } from '../key.ts';
import type { Ieee80211Local } from '../local.ts';
import type { StaInfo } from '../sta-info.ts';
import type { RxDropReason } from '../stats.ts';

export const RX_QUEUED = 'queued';
export type RxResult = RxDropReason | typeof RX_QUEUED | null;

export class RxData {
  /** Key the frame was (or, for an unprotected frame, could have been) protected with (rx->key). */
  key: Ieee80211Key | null = null;
  /** The frame was decrypted (by the hardware or in software): RX_FLAG_DECRYPTED after ieee80211_rx_h_decrypt. */
  decrypted = false;
  /** Packet number of this MPDU (CCMP), for the sequential-PN check of fragments. */
  pn = -1;

  constructor(
    readonly local: Ieee80211Local,
    readonly sdata: Ieee80211SubIf,
    readonly sta: StaInfo | null,
    public skb: SkBuff,
    readonly status: RxStatus,
    /** The frame's Frame Control (as received; decryption keeps the Protected bit). */
    readonly fc: number,
    /** addr1 is a group address. */
    readonly multicast: boolean,
    /** Duplicate-detection slot: the TID for QoS data, 16 otherwise (rx->seqno_idx). */
    readonly seqnoIdx: number,
    /** Receive-PN slot: the TID for QoS data, 16 for management, 0 for non-QoS data (rx->security_idx). */
    readonly securityIdx: number,
    /** TID of QoS data (0 otherwise). */
    readonly tid: number,
  ) {}
}
