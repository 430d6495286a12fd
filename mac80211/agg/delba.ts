/**
 * A peer's DELBA (Linux's ieee80211_process_delba, net/mac80211/ht.c): the Initiator bit says whose agreement ends.
 * Set, the peer was the originator and our receive session on that TID ends (__ieee80211_stop_rx_ba_session);
 * clear, our transmit session ends (__ieee80211_stop_tx_ba_session). No session can exist yet (sessions.ts), so every
 * DELBA is counted and ignored.
 */
import { logger } from '../../netstack/core/log.ts';
import { macToString } from '../addr.ts';
import { parseDelbaParams } from '../frame/action.ts';
import type { Ieee80211SubIf } from '../iface.ts';
import type { StaInfo } from '../sta-info.ts';

const log = logger('agg');

export function processDelba(sdata: Ieee80211SubIf, sta: StaInfo, d: { params: number; reason: number }): void {
  const stats = sdata.local.actionStats;
  stats.delba++;
  const { initiator, tid } = parseDelbaParams(d.params);
  stats.delbaNoSession++;
  log(
    '%s: DELBA from %s (%s) tid %d reason %d: no such session, ignored',
    sdata.name,
    macToString(sta.addr),
    initiator ? 'initiator' : 'recipient',
    tid,
    d.reason,
  );
}
