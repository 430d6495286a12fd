/**
 * Block Ack agreements (Linux's struct sta_ampdu_mlme). No driver offers aggregation yet (Ieee80211Ops has no
 * ampdu_action), so no agreement can exist: every ADDBA Request is declined (agg-rx.ts), we never send one, and
 * every DELBA or ADDBA Response refers to no session of ours. Per-TID session state (tid_rx / tid_tx) comes with the
 * accept path.
 */

/** IEEE80211_FIRST_TSPEC_TSID: TIDs 8..15 are TSPEC streams, where Block Ack is not supported (as Linux). */
export const FIRST_TSPEC_TSID = 8;
