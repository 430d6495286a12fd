/**
 * The originator side of Block Ack setup (Linux's net/mac80211/agg-tx.c). We never send an ADDBA Request (no driver
 * offers ampdu_action), so every ADDBA Response is one that answers nothing of ours; it is counted and ignored, as
 * ieee80211_process_addba_resp ignores a response without a pending session or with another dialog token.
 */
import { logger } from '../../netstack/core/log.ts';
import { macToString } from '../addr.ts';
import { parseBaParams } from '../frame/action.ts';
import type { Ieee80211SubIf } from '../iface.ts';
import type { StaInfo } from '../sta-info.ts';

const log = logger('agg');

/** ieee80211_process_addba_resp. */
export function processAddbaResp(
  sdata: Ieee80211SubIf,
  sta: StaInfo,
  resp: { dialogToken: number; status: number; params: number },
): void {
  const stats = sdata.local.actionStats;
  stats.addbaResp++;
  stats.addbaRespUnsolicited++;
  log(
    '%s: ADDBA Response from %s tid %d token %d status %d answers no request of ours: ignored',
    sdata.name,
    macToString(sta.addr),
    parseBaParams(resp.params).tid,
    resp.dialogToken,
    resp.status,
  );
}
