/**
 * mac80211's counters, in the spirit of Linux's debugfs rx_handlers_* / tx_handlers_* counters and the dot11 MIB
 * (dot11FrameDuplicateCount, dot11RSNAStatsCCMPReplays, ...). Every frame the RX path drops is counted under exactly
 * one reason; the reasons are fixed keys so that the counter objects keep one shape (cheap to increment).
 */

/** Why the RX path dropped (or consumed without delivering) a frame. */
export const RX_DROP_REASONS = [
  // sanity (ieee80211_rx, should_drop_frame)
  'fcs-failed',
  'short',
  'bad-version',
  /** Control frames: only monitors see them (RX_DROP_MONITOR). */
  'control',
  'extension',
  /** No interface accepted the frame (not for us, interface down). */
  'no-interface',
  // ieee80211_rx_h_check / check_dup / sta_process
  'duplicate',
  /** Data from a peer we are not associated with (class 3 frame). */
  'not-associated',
  /** Null / QoS Null: consumed for power-save and keepalive accounting, never delivered. */
  'nullfunc',
  // ieee80211_rx_h_decrypt
  'no-key',
  'no-key-id',
  'unsupported-cipher',
  'ccmp-format',
  'ccmp-no-extiv',
  'ccmp-key-id',
  'ccmp-replay',
  'ccmp-mic',
  // ieee80211_rx_h_defragment
  'defrag-multicast',
  'defrag-no-entry',
  'defrag-nonseq-pn',
  'defrag-key-mismatch',
  'defrag-plaintext',
  'defrag-too-long',
  // ieee80211_rx_h_amsdu
  'amsdu-multicast',
  'amsdu-no-sta',
  'amsdu-old-cipher',
  'amsdu-rfc1042-da',
  'amsdu-bad-subframe',
  'amsdu-bad-da',
  'amsdu-bad-sa',
  // ieee80211_rx_h_data / ieee80211_data_to_8023 / ieee80211_frame_allowed
  'no-payload',
  'unexpected-4addr',
  'invalid-8023',
  'own-multicast',
  'port-unauthorized',
  'unprotected',
  'eapol-bad-dest',
  'eapol-no-handler',
  'netdev-down',
  // management
  'mgmt-short',
  'mgmt-unprotected',
  'mgmt-no-handler',
  // ieee80211_rx_h_action / ieee80211_rx_h_action_return (rx/action.ts)
  /** A Block Ack frame too short for its action, or with broken trailing elements (RX_DROP_U_RUNT_ACTION). */
  'action-malformed',
  /** An action frame from a peer that is not associated (RX_DROP_U_ACTION_UNKNOWN_SRC). */
  'action-unknown-src',
  /** A group-addressed action frame nobody handled: never returned (RX_DROP_U_UNKNOWN_MCAST_ACTION). */
  'action-unknown-mcast',
  /** An action frame someone returned to us (category bit 7 set): never returned again. */
  'action-rejected-response',
  /** A Public Action frame nobody handled: not returned (rx/action.ts says why). */
  'action-public-unhandled',
  /** An action Linux consumes without acting on it here (HT/VHT notifications, channel switch): not returned. */
  'action-ignored',
] as const;
export type RxDropReason = (typeof RX_DROP_REASONS)[number];

export const TX_DROP_REASONS = [
  'short',
  'down',
  'not-associated',
  /** Data (other than EAPOL from us) before the 802.1X port is authorized. */
  'unauthorized',
  /** AP mode: unicast to a station that is not associated. */
  'no-sta',
  /** The key can only be used by the hardware and the hardware did not take it. */
  'no-key',
  'key-pn-exhausted',
  'too-long',
] as const;
export type TxDropReason = (typeof TX_DROP_REASONS)[number];

function zeroed<K extends string>(keys: readonly K[]): Record<K, number> {
  const o = {} as Record<K, number>;
  for (const k of keys) o[k] = 0;
  return o;
}

function total(r: Record<string, number>): number {
  let n = 0;
  for (const k in r) n += r[k]!;
  return n;
}

export class RxStats {
  /** Frames handed to ieee80211_rx by the driver. */
  frames = 0;
  bytes = 0;
  /** Frames the hardware decrypted (RxStatus.decrypted). */
  hwDecrypted = 0;
  /** Frames decrypted in software (CCMP). */
  swDecrypted = 0;
  /** Fragments received (dot11ReceivedFragmentCount counts MPDUs of fragmented MSDUs). */
  fragments = 0;
  /** MSDUs reassembled from fragments. */
  reassembled = 0;
  amsdus = 0;
  amsduSubframes = 0;
  multicast = 0;
  /** MSDUs handed to the net device (netif_receive_skb). */
  delivered = 0;
  deliveredBytes = 0;
  /** Frames relayed to another station by an AP interface (intra-BSS bridging). */
  bridged = 0;
  /** Management frames taken by a handler: the MLME, or mac80211's own action handling. */
  mgmt = 0;
  eapol = 0;
  /** Beacons/probe responses handed to a scan in progress. */
  scanResults = 0;
  readonly drop: Record<RxDropReason, number> = zeroed(RX_DROP_REASONS);

  /** Frames dropped for any reason (Null frames, consumed by design, not counted). */
  get dropped(): number {
    return total(this.drop) - this.drop.nullfunc;
  }
}

export class TxStats {
  /** Data frames handed to the driver. */
  frames = 0;
  bytes = 0;
  mgmt = 0;
  eapol = 0;
  multicast = 0;
  swEncrypted = 0;
  hwEncrypted = 0;
  /** Data frames copied into a bigger buffer for want of headroom or tailroom (ieee80211_skb_resize). */
  resized = 0;
  /** Frames handed to the driver with EAPOL in the clear (before any key existed). */
  eapolPlain = 0;
  statusAcked = 0;
  statusFailed = 0;
  retries = 0;
  readonly drop: Record<TxDropReason, number> = zeroed(TX_DROP_REASONS);

  get dropped(): number {
    return total(this.drop);
  }
}

/**
 * Action frames mac80211 answered or consumed (Linux's ht_dbg lines in agg-rx.c / agg-tx.c / ht.c, as counters). The
 * ones it dropped are counted under the action-* reasons of RxStats.drop.
 */
export class ActionStats {
  /** ADDBA Requests received from associated peers. */
  addbaReq = 0;
  /** ADDBA Responses sent (one per request). */
  addbaRespSent = 0;
  /** Of those, responses that declined (status other than success). */
  addbaDeclined = 0;
  /** ADDBA Responses received. */
  addbaResp = 0;
  /** ADDBA Responses that answered no request of ours (no session, or another dialog token): ignored. */
  addbaRespUnsolicited = 0;
  delba = 0;
  /** DELBAs for a session that does not exist: ignored. */
  delbaNoSession = 0;
  /** Unicast action frames nobody handled, returned to their sender with category bit 7 set. */
  returned = 0;
}

/** The dot11 MIB counters (802.11-2020 Annex C dot11CountersEntry, dot11RSNAStatsEntry) derived from the above. */
export function dot11Counters(rx: RxStats, tx: TxStats): Record<string, number> {
  return {
    dot11TransmittedFrameCount: tx.statusAcked,
    dot11MulticastTransmittedFrameCount: tx.multicast,
    dot11FailedCount: tx.statusFailed,
    dot11RetryCount: tx.retries,
    dot11ReceivedFragmentCount: rx.fragments,
    dot11MulticastReceivedFrameCount: rx.multicast,
    dot11FrameDuplicateCount: rx.drop.duplicate,
    dot11RSNAStatsCCMPFormatErrors: rx.drop['ccmp-format'] + rx.drop['ccmp-no-extiv'] + rx.drop['ccmp-key-id'],
    dot11RSNAStatsCCMPReplays: rx.drop['ccmp-replay'] + rx.drop['defrag-nonseq-pn'],
    dot11RSNAStatsCCMPDecryptErrors: rx.drop['ccmp-mic'],
  };
}

/** Only the non-zero entries, for reports. */
export function nonZero(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (v !== 0) out[k] = v;
  return out;
}
