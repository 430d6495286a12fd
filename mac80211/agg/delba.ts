/**
 * A peer's DELBA (Linux's ieee80211_process_delba, net/mac80211/ht.c): the Initiator bit says whose agreement ends.
 * Set, the peer was the originator and our receive session on that TID ends (__ieee80211_stop_rx_ba_session);
 * clear, our transmit session ends (__ieee80211_stop_tx_ba_session). A DELBA for a session that does not exist is
 * counted and ignored.
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
  const table = initiator ? sta.ampdu.tidRx : sta.ampdu.tidTx;
  const ours = table[tid] ?? null;
  log(
    '%s: DELBA from %s (%s) tid %d reason %d%s',
    sdata.name,
    macToString(sta.addr),
    initiator ? 'initiator' : 'recipient',
    tid,
    d.reason,
    ours === null ? ': no such session, ignored' : '',
  );
  if (ours === null) {
    stats.delbaNoSession++;
    return;
  }
  // With ampdu_action, the driver's RX_STOP / TX_STOP would be called here before the session is forgotten.
  table[tid] = null;
}
