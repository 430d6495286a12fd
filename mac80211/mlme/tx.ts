/**
 * Sending the MLMEs' frames through mac80211 (ieee80211_tx_skb): a built Frame becomes an skb with the driver's
 * headroom and goes out with Ieee80211Local.txMgmt, which assigns the sequence number.
 */
import type { ChanDef, Channel, HwCapabilities } from '../driver-ops.ts';
import { frameToSkb } from '../frame/build.ts';
import type { Frame } from '../frame/frame.ts';
import type { Ieee80211SubIf } from '../iface.ts';
import type { Ieee80211Local, TxMgmtOptions } from '../local.ts';

export function sendFrame(local: Ieee80211Local, sdata: Ieee80211SubIf, f: Frame, opts: TxMgmtOptions = {}): void {
  const skb = frameToSkb(f, { headroom: Math.max(64, local.caps.extraTxHeadroom + 16) });
  local.txMgmt(sdata, skb, opts);
}

/** The hardware's channel entry for `freq` (with its no-IR flag), or null when the hardware does not have it. */
export function hwChannel(caps: HwCapabilities, freq: number): Channel | null {
  for (const b of caps.bands) for (const c of b.channels) if (c.freq === freq) return c;
  return null;
}

/** A 20 MHz channel definition on `chan`. */
export function chandef20(chan: Channel): ChanDef {
  return { chan, width: 20, centerFreq1: chan.freq };
}
