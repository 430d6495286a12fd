/**
 * Block Ack agreements of one peer (Linux's struct sta_ampdu_mlme): per TID, the session in which we receive
 * aggregates (tid_rx, the peer initiated it with an ADDBA Request) and the one in which we send them (tid_tx, we
 * initiated it). No driver offers aggregation yet (Ieee80211Ops has no ampdu_action), so nothing creates a
 * session: every ADDBA Request is declined (agg-rx.ts) and we never send one. The tables are where a DELBA or an
 * ADDBA Response is checked against, and where accepted sessions will live.
 */

/** IEEE80211_NUM_TIDS: TIDs 0..7 are user priorities, 8..15 TSPEC streams. */
export const NUM_TIDS = 16;
/** IEEE80211_FIRST_TSPEC_TSID: Block Ack on TSPEC streams is not supported (as Linux). */
export const FIRST_TSPEC_TSID = 8;

/** struct tid_ampdu_rx: an agreement in which the peer sends us aggregates. */
export interface TidAmpduRx {
  dialogToken: number;
  /** Block Ack Timeout, TUs (0: none). */
  timeout: number;
  /** Starting sequence number of the reorder window. */
  ssn: number;
  bufSize: number;
}

/** struct tid_ampdu_tx: an agreement we asked for (dialog token of our ADDBA Request). */
export interface TidAmpduTx {
  dialogToken: number;
  timeout: number;
  bufSize: number;
}

export class StaAmpdu {
  readonly tidRx: (TidAmpduRx | null)[] = new Array(NUM_TIDS).fill(null);
  readonly tidTx: (TidAmpduTx | null)[] = new Array(NUM_TIDS).fill(null);
}
