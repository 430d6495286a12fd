/**
 * Management frames after duplicate detection and decryption (ieee80211_rx_h_mgmt_check and
 * ieee80211_drop_unencrypted_mgmt), then action frames to mac80211's own handler (rx/action.ts) and the others to the
 * interface's MLME handler. With management frame protection (the peer's mfp), an unprotected unicast robust frame
 * (deauthentication, disassociation, robust action) is dropped; deauthentication/disassociation still pass before the
 * pairwise key exists (during the 4-way handshake).
 * Robust action frames are never taken from a peer that is not associated.
 */
import { FCTL, isMgmtStype, STYPE } from '../frame/fc.ts';
import type { RxDropReason } from '../stats.ts';
import { rxAction } from './action.ts';
import { RX_QUEUED, type RxData, type RxResult } from './rx-data.ts';

const MIN_ACTION_SIZE = 25;
/** Action categories that are not robust (802.11-2020 Table 9-51; Linux's _ieee80211_is_robust_mgmt_frame). */
const NON_ROBUST_CATEGORIES = new Set([4, 7, 11, 15, 20, 21, 22, 127]);

/** A robust management frame (deauthentication, disassociation, or an action frame of a robust category). */
export function isRobustMgmt(fc: number, buf: Uint8Array, off: number, len: number): boolean {
  if (isMgmtStype(fc, STYPE.DEAUTH) || isMgmtStype(fc, STYPE.DISASSOC)) return true;
  if (!isMgmtStype(fc, STYPE.ACTION)) return false;
  if (len < MIN_ACTION_SIZE) return false;
  if (fc & FCTL.PROTECTED) return true;
  return !NON_ROBUST_CATEGORIES.has(buf[off + 24]!);
}

export function rxMgmt(rx: RxData): RxResult {
  const { skb, fc, sta, sdata } = rx;
  if (skb.len < 24) return 'mgmt-short';
  const action = isMgmtStype(fc, STYPE.ACTION);
  if (action && skb.len < MIN_ACTION_SIZE) return 'mgmt-short';
  const r = dropUnencryptedMgmt(rx);
  if (r !== null) return r;
  // Action frames are mac80211's (ieee80211_rx_h_action), whatever MLME the interface has.
  if (action) {
    const a = rxAction(rx);
    if (a === RX_QUEUED) rx.local.rxStats.mgmt++;
    return a;
  }
  const mlme = sdata.mlme;
  if (mlme === null) return 'mgmt-no-handler';
  rx.local.rxStats.mgmt++;
  mlme.rxMgmt(skb, rx.status, sta);
  return RX_QUEUED;
}

function dropUnencryptedMgmt(rx: RxData): RxDropReason | null {
  if (rx.decrypted) return null;
  const { skb, fc, sta } = rx;
  const robust = isRobustMgmt(fc, skb.buf, skb.data, skb.len);
  if (!robust) return null;
  if (sta?.mfp && !rx.multicast) {
    const deauth = isMgmtStype(fc, STYPE.DEAUTH) || isMgmtStype(fc, STYPE.DISASSOC);
    if (deauth && rx.key === null) return null;
    return 'mgmt-unprotected';
  }
  if (isMgmtStype(fc, STYPE.ACTION) && (sta === null || !sta.associated)) return 'mgmt-unprotected';
  return null;
}
