/**
 * The receive path (Linux's net/mac80211/rx.c), called by the driver's NAPI poll through Ieee80211HwCallbacks.rx:
 *
 *  1. monitor taps see every frame as received; then sanity: FCS failures, short frames, protocol version, and
 *     control/extension frames (monitor-only) are dropped; a trailing FCS is removed;
 *  2. the frame is matched to a peer (data: by transmitter address) and an interface (ieee80211_accept_frame);
 *     beacons and probe responses also go to a scan in progress;
 *  3. the handlers, in Linux's order: check_dup (Retry + Sequence Control per TID and peer), check (class 3 frames
 *     from peers we are not associated with; EAPOL from the AP is let through), sta_process (statistics, power
 *     save, Null frames consumed), decrypt, defragment, then management frames to the MLME, A-MSDUs to
 *     deaggregation, and data to ieee80211_data_to_8023 and delivery (rx/deliver.ts).
 *
 * Every malformed or unwanted frame is dropped and counted under one reason in local.rxStats (and the peer's
 * statistics); nothing here throws on input from the air.
 */
import type { SkBuff } from '../../netstack/core/skb.ts';
import { isMulticastAddr, isBroadcastAddr, macEqual } from '../addr.ts';
import { ieee80211DataTo8023 } from '../bridge/data-to-8023.ts';
import { ETH_P_PAE } from '../bridge/llc.ts';
import type { RxStatus } from '../driver-ops.ts';
import { FCS_LEN } from '../fcs.ts';
import {
  FCTL,
  FTYPE,
  hasA4,
  hdrLen,
  isDataNoPayload,
  isMgmtStype,
  QOS_CTL_A_MSDU_PRESENT,
  qosOffset,
  STYPE,
} from '../frame/fc.ts';
import type { Ieee80211SubIf } from '../iface.ts';
import type { Ieee80211Local } from '../local.ts';
import { type CcmpResultCode, ccmpDecryptSkb, ccmpDecryptSkbBatch } from '../rsn/ccmp.ts';
import type { StaInfo } from '../sta-info.ts';
import type { RxDropReason } from '../stats.ts';
import { rxAmsdu } from './amsdu.ts';
import { RX_SW_DECRYPT, rxSelectKey, rxSwDecrypted } from './decrypt.ts';
import { rxDefragment } from './defrag.ts';
import { deliverMsdu } from './deliver.ts';
import { isRobustMgmt, rxMgmt } from './mgmt.ts';
import { acquireRxData, RX_QUEUED, type RxData, type RxResult, releaseRxData } from './rx-data.ts';

function drop(local: Ieee80211Local, skb: SkBuff, reason: RxDropReason, sta: StaInfo | null = null): void {
  local.rxStats.drop[reason]++;
  if (sta !== null && reason !== 'nullfunc') sta.rx.dropped++;
  skb.drop();
}

/** ieee80211_rx: one received frame (takes ownership of skb). */
export function ieee80211Rx(local: Ieee80211Local, skb: SkBuff, status: RxStatus): void {
  rxOne(local, skb, status, null);
}

/**
 * ieee80211_rx_list: a NAPI poll's frames at once (takes ownership of each). The result is the same as rx() on
 * each frame in order; the difference is speed: protected data frames that need software CCMP wait in a batch
 * (until a frame that cannot wait, or the end of the list) and are decrypted together, one keystream computation
 * per key (rsn's decryptBatch), then finish in their original order.
 */
export function ieee80211RxList(local: Ieee80211Local, skbs: readonly SkBuff[], statuses: readonly RxStatus[]): void {
  const pending = local.rxPending;
  for (let i = 0; i < skbs.length; i++) rxOne(local, skbs[i]!, statuses[i]!, pending);
  flushPending(pending);
}

/** Frames of an rxList call waiting for software decryption in a batch. */
export class RxPending {
  readonly rx: RxData[] = [];
}

function flushPending(p: RxPending | null): void {
  if (p === null || p.rx.length === 0) return;
  // Taken out first: delivering a frame may run a nested receive (a synchronous loopback driver).
  const list = p.rx.splice(0, p.rx.length);
  let start = 0;
  // Runs of frames under the same key: one batch each (normally the whole list).
  while (start < list.length) {
    const key = list[start]!.key!;
    let end = start + 1;
    while (end < list.length && list[end]!.key === key) end++;
    const skbs: SkBuff[] = [];
    for (let i = start; i < end; i++) skbs.push(list[i]!.skb);
    const results = new Uint8Array(skbs.length);
    ccmpDecryptSkbBatch(key.sw!, skbs, results);
    for (let i = start; i < end; i++) {
      const rx = list[i]!;
      finishFrame(rx, rxSwDecrypted(rx, results[i - start]! as CcmpResultCode));
    }
    start = end;
  }
}

function rxOne(local: Ieee80211Local, skb: SkBuff, status: RxStatus, pending: RxPending | null): void {
  const stats = local.rxStats;
  stats.frames++;
  stats.bytes += skb.len;
  const taps = local.monitorTaps;
  for (let i = 0; i < taps.length; i++) taps[i]!(skb, status, 'rx');
  if (status.fcsFailed) {
    drop(local, skb, 'fcs-failed');
    return;
  }
  if (status.hasFcs) {
    if (skb.len < FCS_LEN) {
      drop(local, skb, 'short');
      return;
    }
    skb.trim(skb.len - FCS_LEN);
  }
  if (skb.len < 10) {
    drop(local, skb, 'short');
    return;
  }
  const buf = skb.buf;
  const off = skb.data;
  const fc = buf[off]! | (buf[off + 1]! << 8);
  if ((fc & FCTL.VERS) !== 0) {
    drop(local, skb, 'bad-version');
    return;
  }
  const ftype = fc & FCTL.FTYPE;
  if (ftype === FTYPE.CTL) {
    drop(local, skb, 'control');
    return;
  }
  if (ftype === FTYPE.EXT) {
    drop(local, skb, 'extension');
    return;
  }
  const hl = hdrLen(fc);
  if (skb.len < hl) {
    drop(local, skb, 'short');
    return;
  }
  const multicast = isMulticastAddr(buf, off + 4);
  if (multicast) stats.multicast++;

  if (ftype === FTYPE.MGMT && local.scan !== null) {
    if (isMgmtStype(fc, STYPE.BEACON) || isMgmtStype(fc, STYPE.PROBE_RESP)) {
      stats.scanResults++;
      local.scan.handler.rx(skb, status);
    }
  }

  const ifaces = local.interfaces;
  if (ftype === FTYPE.DATA) {
    // Data frames belong to the interface of the peer that sent them (for_each_sta_info on addr2).
    for (let i = 0; i < ifaces.length; i++) {
      const sdata = ifaces[i]!;
      if (!sdata.running || sdata.type === 'monitor') continue;
      const sta = sdata.staGet(buf, off + 10);
      if (sta !== null && acceptFrame(sdata, sta, skb, fc, multicast)) {
        handleFrame(local, sdata, sta, skb, status, fc, multicast, pending);
        return;
      }
    }
  }
  flushPending(pending);
  // Frames from no known peer (and management frames): every interface that accepts them.
  let target: Ieee80211SubIf | null = null;
  for (let i = 0; i < ifaces.length; i++) {
    const sdata = ifaces[i]!;
    if (!sdata.running || sdata.type === 'monitor') continue;
    const sta = sdata.staGet(buf, off + 10);
    if (!acceptFrame(sdata, sta, skb, fc, multicast)) continue;
    if (target !== null) {
      handleFrame(local, target, target.staGet(buf, off + 10), skb.copy(), status, fc, multicast, null);
    }
    target = sdata;
  }
  if (target === null) {
    drop(local, skb, 'no-interface');
    return;
  }
  handleFrame(local, target, target.staGet(buf, off + 10), skb, status, fc, multicast, null);
}

/** ieee80211_accept_frame for the interface types we have. */
function acceptFrame(sdata: Ieee80211SubIf, sta: StaInfo | null, skb: SkBuff, fc: number, multicast: boolean): boolean {
  const buf = skb.buf;
  const off = skb.data;
  const isData = (fc & FCTL.FTYPE) === FTYPE.DATA;
  if (sdata.type === 'station') {
    if (isData && hasA4(fc) && !sdata.use4addr) return false;
    // Robust management frames from strangers are not ours to hear (first fragment only, as Linux).
    if (!isData && sta === null && (buf[off + 22]! & 0x0f) === 0 && isRobustMgmt(fc, buf, off, skb.len)) {
      return false;
    }
    return multicast || macEqual(buf, off + 4, sdata.addr);
  }
  // AP
  if (isData && hasA4(fc)) return macEqual(buf, off + 4, sdata.addr);
  const bssidOff = isData ? bssidOffsetOfData(fc) : 16;
  const wildcard = isBroadcastAddr(buf, off + bssidOff);
  if (!wildcard && !macEqual(buf, off + bssidOff, sdata.addr)) {
    if (!multicast && !macEqual(buf, off + 4, sdata.addr)) return false;
    return isMgmtStype(fc, STYPE.BEACON) || (isMgmtStype(fc, STYPE.ACTION) && skb.len > 24 && buf[off + 24] === 4);
  }
  if (isData && ((fc & FCTL.TODS) === 0 || multicast)) return false;
  return true;
}

function bssidOffsetOfData(fc: number): number {
  switch (fc & (FCTL.TODS | FCTL.FROMDS)) {
    case FCTL.TODS:
      return 4;
    case FCTL.FROMDS:
      return 10;
    default:
      return 16;
  }
}

function handleFrame(
  local: Ieee80211Local,
  sdata: Ieee80211SubIf,
  sta: StaInfo | null,
  skb: SkBuff,
  status: RxStatus,
  fc: number,
  multicast: boolean,
  pending: RxPending | null,
): void {
  const rx = acquireRxData(local, sdata, sta, skb, status, fc, multicast);
  let r = handlersToDecrypt(rx);
  if (r === RX_SW_DECRYPT) {
    if (pending !== null) {
      pending.rx.push(rx);
      return;
    }
    r = rxSwDecrypted(rx, ccmpDecryptSkb(rx.key!.sw!, rx.skb));
  }
  // Everything before this frame finishes first.
  flushPending(pending);
  finishFrame(rx, r);
}

/**
 * The handlers up to and including key selection. Side effects: the peer's counters and duplicate state, and an AP's
 * spurious-frame report. Frames still waiting for batch decryption cannot change what these see, except for a key
 * that a waiting (protected) EAPOL frame would install; but a peer starts using a new key only after our answer to
 * that frame, which leaves when the batch is flushed.
 */
function handlersToDecrypt(rx: RxData): RxResult | typeof RX_SW_DECRYPT {
  let r: RxResult = checkDup(rx);
  if (r !== null) return r;
  r = checkAssociated(rx);
  if (r !== null) return r;
  r = staProcess(rx);
  if (r !== null) return r;
  return rxSelectKey(rx);
}

/** After decryption (r: its verdict): the remaining handlers, then the drop or the end of the frame's journey. */
function finishFrame(rx: RxData, r: RxResult): void {
  if (r === null) r = handlersAfterDecrypt(rx);
  if (r !== null && r !== RX_QUEUED) drop(rx.local, rx.skb, r, rx.sta);
  releaseRxData(rx);
}

function handlersAfterDecrypt(rx: RxData): RxResult {
  const r = rxDefragment(rx);
  if (r !== null) return r;
  const fc = rx.fc;
  if ((fc & FCTL.FTYPE) === FTYPE.MGMT) return rxMgmt(rx);
  return rxData(rx);
}

/** ieee80211_rx_h_check_dup: a retransmission of the last frame from this peer on this TID. */
function checkDup(rx: RxData): RxResult {
  const { sta, fc, skb } = rx;
  if (sta === null || rx.multicast || isDataNoPayload(fc)) return null;
  const buf = skb.buf;
  const sc = buf[skb.data + 22]! | (buf[skb.data + 23]! << 8);
  if (fc & FCTL.RETRY && sta.lastSeqCtrl[rx.seqnoIdx] === sc) {
    sta.rx.duplicates++;
    return 'duplicate';
  }
  sta.lastSeqCtrl[rx.seqnoIdx] = sc;
  return null;
}

/**
 * ieee80211_rx_h_check: data only from associated peers (class 3 frames), except EAPOL from the AP a station is
 * still associating with (the AP may send message 1 before we marked it associated).
 */
function checkAssociated(rx: RxData): RxResult {
  const { sta, fc, skb, sdata } = rx;
  if ((fc & FCTL.FTYPE) !== FTYPE.DATA) return null;
  if (sta?.associated) return null;
  if (sta !== null && sdata.type === 'station' && !isDataNoPayload(fc)) {
    const hl = hdrLen(fc);
    if (skb.len < hl + 8) return 'short';
    const b = skb.buf;
    const p = skb.data + hl + 6;
    // Unprotected EAPOL: the EtherType of an LLC/SNAP header is readable in the clear.
    if (((b[p]! << 8) | b[p + 1]!) === ETH_P_PAE && (fc & FCTL.PROTECTED) === 0) return null;
  }
  if (sdata.type === 'ap' && !rx.multicast) sdata.mlme?.spuriousData?.(skb.buf.subarray(skb.data + 10, skb.data + 16));
  return 'not-associated';
}

/** ieee80211_rx_h_sta_process: peer statistics, AP power-save tracking, Null frames consumed. */
function staProcess(rx: RxData): RxResult {
  const { sta, fc, skb, status } = rx;
  if (sta === null) return null;
  const now = rx.local.clock.now();
  if (!rx.multicast) sta.rx.lastRx = now;
  sta.rx.fragments++;
  sta.rx.bytes += skb.len;
  sta.rx.lastSignal = status.signal;
  if (rx.sdata.type === 'ap' && !rx.multicast && (fc & FCTL.MOREFRAGS) === 0) sta.powerSave = (fc & FCTL.PM) !== 0;
  if ((fc & FCTL.FTYPE) === FTYPE.DATA && isDataNoPayload(fc)) {
    sta.rx.nullfunc++;
    sta.rx.packets++;
    return 'nullfunc';
  }
  return null;
}

/** ieee80211_rx_h_amsdu + ieee80211_rx_h_data. */
function rxData(rx: RxData): RxResult {
  const fc = rx.fc;
  const skb = rx.skb;
  if (rx.sta !== null) rx.sta.rx.packets++;
  if (fc & 0x0080 && skb.buf[skb.data + qosOffset(fc)]! & QOS_CTL_A_MSDU_PRESENT) {
    const r = rxAmsdu(rx);
    return r === null ? RX_QUEUED : r;
  }
  if (hasA4(fc) && rx.sdata.type === 'ap' && !rx.sta?.use4addr) return 'unexpected-4addr';
  const r = ieee80211DataTo8023(skb, rx.sdata.dot3(rx.sta));
  if (r !== null) return r;
  const d = deliverMsdu(rx, skb);
  return d === null ? RX_QUEUED : d;
}
