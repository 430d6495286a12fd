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
import { FCTL, FTYPE, qosOffset } from '../frame/fc.ts';
import { RX_PN_MGMT } from '../key.ts';
import { SEQ_SLOT_NON_QOS } from '../sta-info.ts';

export const RX_QUEUED = 'queued';
export type RxResult = RxDropReason | typeof RX_QUEUED | null;

/**
 * One per frame in flight through the handlers; recycled through a small pool (see acquire/release), so the fast path
 * allocates none. Handlers must not keep a reference past their return.
 */
export class RxData {
  local!: Ieee80211Local;
  sdata!: Ieee80211SubIf;
  sta: StaInfo | null = null;
  skb!: SkBuff;
  status!: RxStatus;
  /** The frame's Frame Control (as received; decryption keeps the Protected bit). */
  fc = 0;
  /** addr1 is a group address. */
  multicast = false;
  /** Duplicate-detection slot: the TID for QoS data, 16 otherwise (rx->seqno_idx). */
  seqnoIdx = 0;
  /** Receive-PN slot: the TID for QoS data, 16 for management, 0 for non-QoS data (rx->security_idx). */
  securityIdx = 0;
  /** TID of QoS data (0 otherwise). */
  tid = 0;
  /** Key the frame was (or, for an unprotected frame, could have been) protected with (rx->key). */
  key: Ieee80211Key | null = null;
  /** The frame was decrypted (by the hardware or in software): RX_FLAG_DECRYPTED after ieee80211_rx_h_decrypt. */
  decrypted = false;
  /** Packet number of this MPDU (CCMP), for the sequential-PN check of fragments. */
  pn = -1;
}

const pool: RxData[] = [];

/**
 * An RxData for a new frame (from the pool when one is free; nested receive calls each get their own). The TID and
 * the duplicate-detection and receive-PN slots follow from the Frame Control and QoS Control.
 */
export function acquireRxData(
  local: Ieee80211Local,
  sdata: Ieee80211SubIf,
  sta: StaInfo | null,
  skb: SkBuff,
  status: RxStatus,
  fc: number,
  multicast: boolean,
): RxData {
  const rx = pool.pop() ?? new RxData();
  let tid = 0;
  rx.seqnoIdx = SEQ_SLOT_NON_QOS;
  rx.securityIdx = 0;
  if ((fc & FCTL.FTYPE) !== FTYPE.DATA) rx.securityIdx = RX_PN_MGMT;
  else if (fc & 0x0080) {
    tid = skb.buf[skb.data + qosOffset(fc)]! & 0x0f;
    rx.seqnoIdx = tid;
    rx.securityIdx = tid;
  }
  rx.tid = tid & 7;
  rx.local = local;
  rx.sdata = sdata;
  rx.sta = sta;
  rx.skb = skb;
  rx.status = status;
  rx.fc = fc;
  rx.multicast = multicast;
  rx.key = null;
  rx.decrypted = false;
  rx.pn = -1;
  return rx;
}

export function releaseRxData(rx: RxData): void {
  rx.sta = null;
  rx.key = null;
  if (pool.length < 16) pool.push(rx);
}
