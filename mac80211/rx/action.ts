/**
 * Action frames (Linux's ieee80211_rx_h_action and ieee80211_rx_h_action_return, net/mac80211/rx.c), after
 * duplicate detection, decryption and the robust-frame checks of rx/mgmt.ts:
 *
 *  - only an associated peer is heard (RX_DROP_U_ACTION_UNKNOWN_SRC otherwise: nothing we implement serves strangers);
 *  - Block Ack (category 3): ADDBA Request → agg/agg-rx.ts, ADDBA Response → agg/agg-tx.ts, DELBA → agg/delba.ts.
 *    A Block Ack frame too short for its action (or with broken trailing elements) is dropped as malformed (Linux
 *    flags it and returns it to the sender as a syntactic error; we drop and count it);
 *  - anything else (an unknown category, a category or a Block Ack action we do not implement) goes back to its
 *    sender with bit 7 of the category set (802.11-2012 9.24.4, Linux's ieee80211_rx_h_action_return; for the AP
 *    interface, hostapd does the same), except a group-addressed frame, a frame that is itself a returned one (bit 7
 *    already set), a Public Action frame, and the notifications Linux's ieee80211_rx_h_action consumes (HT Notify
 *    Channel Width and SM Power Save, VHT Group ID Management and Operating Mode Notification, Spectrum Management
 *    Channel Switch Announcement): airstack does not act on them yet, but an AP must never get them back.
 *
 * The AP interface answers its clients like the station answers its AP: here mac80211 and hostapd are one program.
 */
import { logger } from '../../netstack/core/log.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { macToString } from '../addr.ts';
import { processAddbaRequest } from '../agg/agg-rx.ts';
import { processAddbaResp } from '../agg/agg-tx.ts';
import { processDelba } from '../agg/delba.ts';
import { ACTION_CATEGORY, decodeAction } from '../frame/action.ts';
import { FCTL, hdrLen } from '../frame/fc.ts';
import { isRobustMgmt } from './mgmt.ts';
import { RX_QUEUED, type RxData, type RxResult } from './rx-data.ts';

const log = logger('action');

/** Category bit 7: the frame is a returned (refused) action frame. */
const CATEGORY_RETURNED = 0x80;

/** (category << 8) | action of the frames Linux takes without returning them, and that airstack ignores. */
const CONSUMED_IGNORED = new Set([
  (ACTION_CATEGORY.HT << 8) | 0, // Notify Channel Width
  (ACTION_CATEGORY.HT << 8) | 1, // SM Power Save
  (ACTION_CATEGORY.VHT << 8) | 1, // Group ID Management
  (ACTION_CATEGORY.VHT << 8) | 2, // Operating Mode Notification
  (ACTION_CATEGORY.SPECTRUM_MGMT << 8) | 4, // Channel Switch Announcement
]);

/** An action frame (at least 24 + 1 octets, checked by the caller): consumed, answered, returned or dropped. */
export function rxAction(rx: RxData): RxResult {
  const { skb, sta, sdata } = rx;
  if (sta === null || !sta.associated) return 'action-unknown-src';
  const frame = skb.bytes();
  const hl = hdrLen(rx.fc);
  if (frame.length <= hl) return 'action-malformed';
  const category = frame[hl]!;
  if (category === ACTION_CATEGORY.BACK) {
    // Block Ack agreements are between two stations: a group-addressed one is nobody's.
    if (rx.multicast) return 'action-unknown-mcast';
    const d = decodeAction(frame.subarray(hl));
    if (!d.ok || frame.length < hl + 2) {
      log(
        '%s: malformed Block Ack frame from %s (%d octets): dropped',
        sdata.name,
        macToString(sta.addr),
        frame.length,
      );
      return 'action-malformed';
    }
    const a = d.value;
    switch (a.kind) {
      case 'addba-req':
        processAddbaRequest(sdata, sta, a);
        skb.free();
        return RX_QUEUED;
      case 'addba-resp':
        processAddbaResp(sdata, sta, a);
        skb.free();
        return RX_QUEUED;
      case 'delba':
        processDelba(sdata, sta, a);
        skb.free();
        return RX_QUEUED;
      default:
        // A Block Ack action we do not know: returned below.
        break;
    }
  }
  if (frame.length > hl + 1 && CONSUMED_IGNORED.has((category << 8) | frame[hl + 1]!)) return 'action-ignored';
  return actionReturn(rx, frame, hl, category);
}

/** ieee80211_rx_h_action_return: send the frame back with bit 7 of its category set. */
function actionReturn(rx: RxData, frame: Uint8Array, hl: number, category: number): RxResult {
  const { local, sdata, sta, skb } = rx;
  if (rx.multicast) return 'action-unknown-mcast';
  if (category & CATEGORY_RETURNED) return 'action-rejected-response';
  // GUESS: Linux hands Public Action frames to the user space that registered for them (wpa_supplicant for GAS, P2P,
  // DPP...; hostapd for all) and hostapd never returns one; a station that knows none of them keeps quiet too.
  if (category === ACTION_CATEGORY.PUBLIC) return 'action-public-unhandled';
  const out = SkBuff.fromBytes(frame, Math.max(64, local.caps.extraTxHeadroom + 16));
  const b = out.buf;
  const o = out.data;
  // The received frame lost its CCMP header and MIC; the copy goes out under our own protection decision.
  b[o + 1] = b[o + 1]! & ~(FCTL.PROTECTED >> 8);
  b.copyWithin(o + 4, o + 10, o + 16);
  b.set(sdata.addr, o + 10);
  b[o + hl] = category | CATEGORY_RETURNED;
  local.actionStats.returned++;
  log('%s: action category %d from %s not handled: returned', sdata.name, category, macToString(sta!.addr));
  const fc = b[o]! | (b[o + 1]! << 8);
  local.txMgmt(sdata, out, { sta, protect: sta!.mfp && isRobustMgmt(fc, b, o, out.len) });
  skb.free();
  return RX_QUEUED;
}
