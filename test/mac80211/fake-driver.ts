/**
 * A tiny Ieee80211Ops for mac80211 tests: records every control call and transmitted frame, lets the test inject
 * received frames, and can be told which ciphers its "hardware" takes. Two fake drivers can be joined by an "air"
 * that hands each transmitted frame to the other side's rx, synchronously.
 */
import type { Clock } from '../../netstack/core/clock.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import {
  type Cipher,
  type HwCapabilities,
  type Ieee80211HwCallbacks,
  type Ieee80211Ops,
  KeyNotSupportedError,
  type KeyConf,
  type RxStatus,
  type TxInfo,
} from '../../mac80211/driver-ops.ts';

export interface SentFrame {
  bytes: Buffer;
  info: TxInfo;
  /** Headroom the skb had in front of the 802.11 header when it reached the driver. */
  headroom: number;
  /** The skb's backing buffer (to check that no copy was made). */
  buf: Buffer;
}

export function rxStatus(over: Partial<RxStatus> = {}): RxStatus {
  return {
    band: '2g',
    freq: 2437,
    channel: 6,
    signal: -40,
    rate: { mode: 'ofdm', rate: 240, nss: 1, bw: 20, sgi: false },
    decrypted: false,
    ivStripped: false,
    micStripped: false,
    pn: -1,
    keyIdx: 0,
    fcsFailed: false,
    hasFcs: false,
    ...over,
  };
}

export class FakeDriver implements Ieee80211Ops {
  readonly caps: HwCapabilities;
  hw: Ieee80211HwCallbacks | null = null;
  readonly calls: string[] = [];
  readonly sent: SentFrame[] = [];
  readonly keys: KeyConf[] = [];
  /** Where transmitted frames go besides `sent` (another fake driver's rx). */
  peer: FakeDriver | null = null;
  /** Deliver to the peer after this clock's next tick instead of synchronously (no re-entrant receive). */
  airClock: Clock | null = null;
  /** Status the "air" reports for frames sent with reqTxStatus. */
  ackAll = true;
  hwGeneratesIv = false;

  constructor(addr: Uint8Array, opts: { hwCiphers?: Cipher[]; extraTxHeadroom?: number; hwScan?: boolean } = {}) {
    this.caps = {
      addr,
      bands: [],
      hwCiphers: opts.hwCiphers ?? [],
      maxScanSsids: 4,
      maxScanIeLen: 512,
      hwScan: opts.hwScan ?? true,
      needsPrepareTx: false,
      extraTxHeadroom: opts.extraTxHeadroom ?? 0,
      hasRateControl: true,
    };
  }

  attach(hw: Ieee80211HwCallbacks): void {
    this.hw = hw;
  }
  async start(): Promise<void> {
    this.calls.push('start');
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
  }
  async addInterface(): Promise<void> {
    this.calls.push('addInterface');
  }
  async removeInterface(): Promise<void> {
    this.calls.push('removeInterface');
  }
  async config(): Promise<void> {
    this.calls.push('config');
  }
  async hwScan(): Promise<void> {
    this.calls.push('hwScan');
  }
  async cancelHwScan(): Promise<void> {
    this.calls.push('cancelHwScan');
  }
  async staState(_v: unknown, _s: unknown, from: number, to: number): Promise<void> {
    this.calls.push(`staState ${from}->${to}`);
  }
  async setKey(cmd: 'set' | 'disable', _vif: unknown, _sta: unknown, key: KeyConf): Promise<void> {
    this.calls.push(`setKey ${cmd} ${key.cipher} ${key.keyIdx}${key.pairwise ? ' pairwise' : ''}`);
    if (cmd === 'set') {
      if (!this.caps.hwCiphers.includes(key.cipher)) throw new KeyNotSupportedError(key.cipher);
      key.hwGeneratesIv = this.hwGeneratesIv;
      this.keys.push(key);
    }
  }
  async bssInfoChanged(): Promise<void> {
    this.calls.push('bssInfoChanged');
  }

  tx(skb: SkBuff, info: TxInfo): void {
    this.sent.push({ bytes: skb.copyBytes(), info, headroom: skb.headroom, buf: skb.buf });
    if (info.reqTxStatus) {
      this.hw!.txStatus(skb, info, { acked: this.ackAll, retries: 0 });
    } else skb.free();
    const peer = this.peer;
    if (peer !== null) {
      const bytes = this.sent[this.sent.length - 1]!.bytes;
      if (this.airClock === null) peer.inject(bytes);
      else this.airClock.setTimeout(() => peer.inject(bytes), 0.1);
    }
  }

  /** A received frame (a copy of `bytes`) into mac80211, as the NAPI poll would hand it. */
  inject(bytes: Uint8Array, status: Partial<RxStatus> = {}): void {
    this.hw!.rx(SkBuff.fromBytes(bytes, 64), rxStatus(status));
  }

  /** Frames sent since the last call. */
  take(): SentFrame[] {
    return this.sent.splice(0);
  }
}
