/**
 * ieee80211_rx_h_decrypt: pick the key (the peer's pairwise key for unicast, the interface's group key by Key ID
 * for group-addressed frames; for an unprotected frame, the key that could have been used, so that the frame can
 * be dropped later as unencrypted in a protected session), then either accept the hardware's decryption (checking
 * the PN against the replay counter of the frame's TID, and removing the CCMP header and MIC the hardware left) or
 * decrypt CCMP in software (rsn's CcmpKey, in place).
 */
import { FCTL, hdrLen } from '../frame/fc.ts';
import { isCcmpFamily, type Ieee80211Key } from '../key.ts';
import { CcmpResult, type CcmpResultCode, ccmpDecryptSkb, ccmpHeaderPn } from '../rsn/ccmp.ts';
import type { RxDropReason } from '../stats.ts';
import type { RxData } from './rx-data.ts';

const CCMP_HDR_LEN = 8;

/** rxSelectKey's answer when the frame needs software CCMP with rx.key (now, or in a batch: see rx.ts). */
export const RX_SW_DECRYPT = 'sw-decrypt';

export function rxDecrypt(rx: RxData): RxDropReason | null {
  const r = rxSelectKey(rx);
  if (r !== RX_SW_DECRYPT) return r;
  return rxSwDecrypted(rx, ccmpDecryptSkb(rx.key!.sw!, rx.skb));
}

/**
 * Key selection, and everything short of software decryption: null to continue (unprotected, or the hardware's
 * decryption accepted), a drop reason, or RX_SW_DECRYPT with rx.key and rx.pn set.
 */
export function rxSelectKey(rx: RxData): RxDropReason | null | typeof RX_SW_DECRYPT {
  const { skb, status, sta, sdata, fc } = rx;
  const prot = (fc & FCTL.PROTECTED) !== 0;
  const hl = hdrLen(fc);
  const buf = skb.buf;
  // A driver that clears the Protected bit of a frame it decrypted has removed the security header too.
  const ivStripped = status.ivStripped || (status.decrypted && !prot);
  let staPtk: Ieee80211Key | null = null;
  let ptkById: Ieee80211Key | null = null;
  if (sta !== null) {
    staPtk = sta.ptk[sta.ptkIdx] ?? null;
    if (prot && !ivStripped) {
      if (skb.len < hl + 4) return 'no-key-id';
      ptkById = sta.ptk[buf[skb.data + hl + 3]! >> 6] ?? null;
    }
  }
  let key: Ieee80211Key | null = null;
  if (!rx.multicast && staPtk !== null) {
    key = ptkById ?? staPtk;
    rx.key = key;
    if (!prot && !status.decrypted) return null;
  } else if (!prot && !status.decrypted) {
    // Linux sets rx->key for unprotected frames too (a group key for data), so ieee80211_drop_unencrypted can act.
    rx.key = (fc & FCTL.FTYPE) === 0 ? null : sdata.anyGroupKey();
    return null;
  } else {
    let idx: number;
    if (ivStripped) idx = status.keyIdx;
    else {
      if (skb.len < hl + 4) return 'no-key-id';
      idx = buf[skb.data + hl + 3]! >> 6;
    }
    // RSNA unicast frames use pairwise keys only (group keys by index are for group-addressed frames; no WEP).
    if (rx.multicast) key = sdata.keys[idx & 3] ?? null;
    rx.key = key;
  }
  if (key === null || key.removed) return 'no-key';
  if (status.decrypted) return hwDecrypted(rx, key, hl, ivStripped);
  if (key.sw === null) return 'unsupported-cipher';
  if (skb.len >= hl + CCMP_HDR_LEN) rx.pn = ccmpHeaderPn(buf, skb.data + hl);
  return RX_SW_DECRYPT;
}

/** The outcome of rsn's CCMP on rx.skb (decrypted in place, header and MIC stripped on success). */
export function rxSwDecrypted(rx: RxData, r: CcmpResultCode): RxDropReason | null {
  switch (r) {
    case CcmpResult.OK:
      rx.decrypted = true;
      rx.local.rxStats.swDecrypted++;
      return null;
    case CcmpResult.FORMAT:
      return 'ccmp-format';
    case CcmpResult.NO_EXTIV:
      return 'ccmp-no-extiv';
    case CcmpResult.KEY_ID:
      return 'ccmp-key-id';
    case CcmpResult.REPLAY:
      return 'ccmp-replay';
    default:
      return 'ccmp-mic';
  }
}

/**
 * The hardware decrypted and verified the frame. Check its PN (from the CCMP header, or from the RX status when the
 * hardware stripped the header) against the replay counter, then remove what the hardware left of the header/MIC.
 */
function hwDecrypted(rx: RxData, key: Ieee80211Key, hl: number, ivStripped: boolean): RxDropReason | null {
  const { skb, status } = rx;
  if (!isCcmpFamily(key.cipher)) return 'unsupported-cipher';
  const ivLen = ivStripped ? 0 : CCMP_HDR_LEN;
  const micLen = status.micStripped ? 0 : key.micLen;
  if (skb.len < hl + ivLen + micLen) return 'ccmp-format';
  const pn = ivStripped ? status.pn : ccmpHeaderPn(skb.buf, skb.data + hl);
  if (pn >= 0) {
    const rxPn = key.rxPn;
    if (pn <= rxPn[rx.securityIdx]!) {
      if (key.sw !== null) key.sw.stats.replays++;
      return 'ccmp-replay';
    }
    rxPn[rx.securityIdx] = pn;
  }
  if (micLen) skb.trim(skb.len - micLen);
  if (ivLen) {
    skb.buf.copyWithin(skb.data + ivLen, skb.data, skb.data + hl);
    skb.pull(ivLen);
  }
  rx.pn = pn;
  rx.decrypted = true;
  rx.local.rxStats.hwDecrypted++;
  return null;
}
