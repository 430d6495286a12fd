/**
 * The recipient side of Block Ack setup (Linux's net/mac80211/agg-rx.c): a peer's ADDBA Request gets an ADDBA
 * Response with the request's dialog token, TID, policy, buffer size and timeout, and a status that one function
 * decides (addbaRxDecision). No driver offers aggregation (Ieee80211Ops has no ampdu_action, which Linux's
 * drv_ampdu_action would call), so the answer is always a refusal; a driver that gains the op makes the decision
 * able to accept (with the per-TID session state that needs, sessions.ts).
 */
import { logger } from '../../netstack/core/log.ts';
import { macToString } from '../addr.ts';
import { baParams, parseBaParams } from '../frame/action.ts';
import { buildAddbaResp } from '../frame/build.ts';
import type { Ieee80211SubIf } from '../iface.ts';
import { Status } from '../mlme/codes.ts';
import { sendFrame } from '../mlme/tx.ts';
import type { StaInfo } from '../sta-info.ts';
import { FIRST_TSPEC_TSID } from './sessions.ts';

const log = logger('agg');

/** IEEE80211_MAX_AMPDU_BUF_HT / _HE: the largest reorder buffer a peer may ask for. */
const MAX_AMPDU_BUF_HT = 64;
const MAX_AMPDU_BUF_HE = 256;

export interface AddbaRequest {
  dialogToken: number;
  /** Block Ack Parameter Set as received. */
  params: number;
  /** Block Ack Timeout, TUs. */
  timeout: number;
  /** Starting Sequence Control as received (sequence number << 4). */
  startSeqCtrl: number;
}

/**
 * The status for a peer's ADDBA Request, in the order of Linux's __ieee80211_start_rx_ba_session: a TSPEC TID or a
 * peer without HT/HE is declined; a delayed Block Ack policy (we have no delayed Block Ack) or a buffer larger than
 * the peer's PHY allows is an invalid QoS parameter; then the hardware decides (drv_ampdu_action), and with no
 * ampdu_action in the driver ops the hardware cannot take the session: declined.
 */
export function addbaRxDecision(sta: StaInfo, p: { tid: number; immediate: boolean; bufferSize: number }): number {
  if (p.tid >= FIRST_TSPEC_TSID) return Status.REQUEST_DECLINED;
  if (!sta.sta.ht && !sta.sta.he) return Status.REQUEST_DECLINED;
  const maxBuf = sta.sta.he ? MAX_AMPDU_BUF_HE : MAX_AMPDU_BUF_HT;
  if (!p.immediate || p.bufferSize > maxBuf) return Status.INVALID_QOS_PARAM;
  // drv_ampdu_action(IEEE80211_AMPDU_RX_START) without the op: -EOPNOTSUPP.
  return Status.REQUEST_DECLINED;
}

/** ieee80211_process_addba_request: answer `req` from the associated peer `sta`. */
export function processAddbaRequest(sdata: Ieee80211SubIf, sta: StaInfo, req: AddbaRequest): void {
  const stats = sdata.local.actionStats;
  stats.addbaReq++;
  const p = parseBaParams(req.params);
  const status = addbaRxDecision(sta, p);
  log(
    '%s: ADDBA Request from %s tid %d token %d buf %d timeout %d ssn %d: status %d',
    sdata.name,
    macToString(sta.addr),
    p.tid,
    req.dialogToken,
    p.bufferSize,
    req.timeout,
    req.startSeqCtrl >> 4,
    status,
  );
  // No accept path yet: a success would need the session state (tidRx) and the driver's RX_START first.
  if (status !== Status.SUCCESS) stats.addbaDeclined++;
  sendAddbaResp(sdata, sta, req.dialogToken, status, p, req.timeout);
}

/**
 * ieee80211_send_addba_resp. The parameters echo the request's TID, policy and buffer size (GUESS: Linux always
 * writes the immediate policy and its own buffer size; for a refusal the request's values say what was refused);
 * the A-MSDU bit is clear: we take no A-MSDU inside an A-MPDU.
 */
function sendAddbaResp(
  sdata: Ieee80211SubIf,
  sta: StaInfo,
  dialogToken: number,
  status: number,
  p: { immediate: boolean; tid: number; bufferSize: number },
  timeout: number,
): void {
  const bssid = sdata.type === 'ap' ? sdata.addr : sdata.bss.bssid;
  const f = buildAddbaResp({
    da: sta.addr,
    sa: sdata.addr,
    bssid,
    dialogToken,
    status,
    params: baParams({ amsdu: false, immediate: p.immediate, tid: p.tid, bufferSize: p.bufferSize }),
    timeout,
  });
  sdata.local.actionStats.addbaRespSent++;
  // Block Ack is a robust category: protected under management frame protection.
  sendFrame(sdata.local, sdata, f, { sta, protect: sta.mfp });
}
