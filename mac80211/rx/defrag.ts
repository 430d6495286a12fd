/**
 * The fragment cache of one peer (Linux's struct ieee80211_fragment_cache, per station since the FragAttacks
 * fixes): up to four MSDUs being reassembled, each remembering the key it started under (its color), whether it
 * was protected, and for CCMP the PN of the last fragment, so that the next one must carry exactly PN + 1.
 * Entries older than two seconds are discarded (Linux: 2 * HZ). The cache is flushed when the peer's keys change
 * or it (re)associates.
 */
import type { SkBuff } from '../../netstack/core/skb.ts';
import { macEqual } from '../addr.ts';
import { FCTL, hdrLen, SCTL_FRAG } from '../frame/fc.ts';
import { isCcmpFamily } from '../key.ts';
import { RX_QUEUED, type RxData, type RxResult } from './rx-data.ts';

export const IEEE80211_FRAGMENT_MAX = 4;
export const FRAG_TIMEOUT_MS = 2000;
/** An MSDU is at most 2304 octets; a reassembled frame with its header and security overhead stays well below. */
export const MAX_REASSEMBLED = 2304 + 64;

export class FragEntry {
  /** First fragment (whole, with its header) then the later fragments' bodies. */
  skbs: SkBuff[] = [];
  seq = 0;
  rxQueue = 0;
  lastFrag = 0;
  firstTime = 0;
  extraLen = 0;
  checkSequentialPn = false;
  lastPn = 0;
  keyColor = 0;
  isProtected = false;

  purge(): void {
    for (const s of this.skbs) s.drop();
    this.skbs.length = 0;
  }
}

export class FragCache {
  readonly entries: FragEntry[] = Array.from({ length: IEEE80211_FRAGMENT_MAX }, () => new FragEntry());
  private next = 0;

  /** Start a new MSDU with its first fragment (evicting the oldest entry). */
  add(skb: SkBuff, seq: number, rxQueue: number, now: number): FragEntry {
    const e = this.entries[this.next]!;
    this.next = (this.next + 1) % IEEE80211_FRAGMENT_MAX;
    e.purge();
    e.skbs.push(skb);
    e.seq = seq;
    e.rxQueue = rxQueue;
    e.lastFrag = 0;
    e.firstTime = now;
    e.extraLen = 0;
    e.checkSequentialPn = false;
    e.lastPn = 0;
    e.keyColor = 0;
    e.isProtected = false;
    return e;
  }

  /**
   * The entry that fragment `frag` of MSDU `seq` continues: same sequence number, TID, frame type, addr1 and addr2,
   * and the previous fragment number. Timed-out entries are purged on the way.
   */
  find(buf: Uint8Array, off: number, frag: number, seq: number, rxQueue: number, now: number): FragEntry | null {
    let idx = this.next;
    for (let i = 0; i < IEEE80211_FRAGMENT_MAX; i++) {
      idx = (idx + IEEE80211_FRAGMENT_MAX - 1) % IEEE80211_FRAGMENT_MAX;
      const e = this.entries[idx]!;
      if (e.skbs.length === 0 || e.seq !== seq || e.rxQueue !== rxQueue || e.lastFrag + 1 !== frag) continue;
      const first = e.skbs[0]!;
      const f0 = first.buf[first.data]! | (first.buf[first.data + 1]! << 8);
      const fc = buf[off]! | (buf[off + 1]! << 8);
      if (
        (f0 ^ fc) & FCTL.FTYPE ||
        !macEqual(buf, off + 4, first.buf, first.data + 4) ||
        !macEqual(buf, off + 10, first.buf, first.data + 10)
      ) {
        continue;
      }
      if (now > e.firstTime + FRAG_TIMEOUT_MS) {
        e.purge();
        continue;
      }
      return e;
    }
    return null;
  }

  /** Forget every partial MSDU (rekey, reassociation, station removal). */
  flush(): void {
    for (const e of this.entries) e.purge();
  }

  get pending(): number {
    let n = 0;
    for (const e of this.entries) if (e.skbs.length > 0) n++;
    return n;
  }
}

function requiresSequentialPn(rx: RxData): boolean {
  return rx.key !== null && isCcmpFamily(rx.key.cipher) && (rx.fc & FCTL.PROTECTED) !== 0;
}

/**
 * ieee80211_rx_h_defragment. A fragment (More Fragments set or fragment number > 0) goes into the peer's cache;
 * the last one completes the MSDU, which continues in rx.skb. Group-addressed fragments, fragments of a
 * plaintext frame in a protected session, fragments under another key than the first (mixed-key attack) and CCMP
 * fragments whose PNs do not increase by exactly one are dropped (802.11-2020 12.5.3.4.4 d; FragAttacks).
 */
export function rxDefragment(rx: RxData): RxResult {
  const skb = rx.skb;
  const buf = skb.buf;
  const off = skb.data;
  const fc = rx.fc;
  const sc = buf[off + 22]! | (buf[off + 23]! << 8);
  const frag = sc & SCTL_FRAG;
  if ((fc & FCTL.MOREFRAGS) === 0 && frag === 0) return null;
  const stats = rx.local.rxStats;
  stats.fragments++;
  if (rx.multicast) return 'defrag-multicast';
  const sta = rx.sta;
  if (sta === null) return 'defrag-no-entry';
  // A plaintext fragment when a key exists that should have protected it.
  if (rx.key !== null && !rx.decrypted) return 'defrag-plaintext';
  const cache = sta.frags;
  const seq = sc >> 4;
  const now = rx.local.clock.now();
  if (frag === 0) {
    const e = cache.add(skb, seq, rx.seqnoIdx, now);
    if (requiresSequentialPn(rx)) {
      e.checkSequentialPn = true;
      e.isProtected = true;
      e.keyColor = rx.key!.color;
      e.lastPn = rx.pn;
    } else if (rx.key !== null && rx.decrypted) {
      e.isProtected = true;
      e.keyColor = rx.key.color;
    }
    return RX_QUEUED;
  }
  const e = cache.find(buf, off, frag, seq, rx.seqnoIdx, now);
  if (e === null) return 'defrag-no-entry';
  if (e.checkSequentialPn) {
    if (!requiresSequentialPn(rx)) return 'defrag-nonseq-pn';
    if (e.keyColor !== rx.key!.color) return 'defrag-key-mismatch';
    if (rx.pn !== e.lastPn + 1) return 'defrag-nonseq-pn';
    e.lastPn = rx.pn;
  } else if (e.isProtected) {
    if (rx.key === null || !rx.decrypted || rx.key.color !== e.keyColor) return 'defrag-key-mismatch';
  } else if (rx.decrypted) {
    // A protected fragment continuing a plaintext one.
    return 'defrag-key-mismatch';
  }
  const hl = hdrLen(fc);
  if (skb.len < hl) return 'short';
  const first = e.skbs[0]!;
  if (first.len + e.extraLen + skb.len - hl > MAX_REASSEMBLED) {
    e.purge();
    return 'defrag-too-long';
  }
  skb.pull(hl);
  e.skbs.push(skb);
  e.lastFrag = frag;
  e.extraLen += skb.len;
  if (fc & FCTL.MOREFRAGS) return RX_QUEUED;
  // Reassemble into the first fragment's skb (a copy: fragmentation is rare and not on the fast path).
  first.ensureRoom(0, e.extraLen);
  for (let i = 1; i < e.skbs.length; i++) {
    const f = e.skbs[i]!;
    first.putBytes(f.buf.subarray(f.data, f.tail));
    f.free();
  }
  e.skbs.length = 0;
  first.buf[first.data + 1]! &= ~(FCTL.MOREFRAGS >> 8);
  rx.skb = first;
  stats.reassembled++;
  return null;
}
