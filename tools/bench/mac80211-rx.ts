/**
 * mac80211-rx: received 802.11 data frames per second through mac80211 into the stack, one core:
 *
 *   the "DMA" (the frame copied into an RX ring buffer) → ieee80211_rx (Ieee80211HwCallbacks.rx) → peer lookup,
 *   duplicate detection, class-3 check, statistics → CCMP decryption (rsn's CcmpKey, in place) → defragmentation
 *   check → ieee80211_data_to_8023 (in place) → the controlled port and unencrypted-frame checks →
 *   netif_receive_skb on the interface's net device (taps, then a sink standing in for eth_type_trans).
 *
 * Frames: QoS data From DS, TID 0, carrying a 1,500-byte IP packet (MSDU 1,508 octets with LLC/SNAP; MPDU 1,550
 * with the CCMP header and MIC), PNs increasing. Figures: software CCMP (the issue's target: ≥ 250,000 frames/s),
 * the same frames decrypted "by the hardware" (RxStatus.decrypted, IV and MIC stripped: replay check and bridge
 * only), the bridge without encryption, and rsn's CcmpKey.decrypt alone on the same frames for comparison. The
 * software CCMP figure is taken twice: rx() frame by frame, and rxList() with a NAPI poll's 64 frames, which lets
 * mac80211 decrypt them with rsn's batch (one keystream computation for the lot).
 *
 * Measured on the development machine (2-core VM shared with other jobs, load 4-5, Node 20), best of 7:
 * software CCMP + bridge ~84,000 frames/s (rx) and ~109,000 (rxList 64), against ~97,000 for rsn's CcmpKey.decrypt
 * alone: the software figure is the cipher's (about 10 µs per 1,500-byte frame, and ~1 KB of garbage from
 * node:crypto per frame); mac80211's own share is about 1.4 µs per frame (hardware-decrypted + bridge ~713,000
 * frames/s, open ~1.2 million, the RX ring copy and skb included). The 250,000 target is met when the hardware
 * decrypts (the MT7921), not with software CCMP.
 */
import { VirtualClock } from '../../netstack/core/clock.ts';
import { NetCore } from '../../netstack/core/netdevice.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { macFromString } from '../../mac80211/addr.ts';
import {
  type HwCapabilities,
  type Ieee80211HwCallbacks,
  type Ieee80211Ops,
  type RxStatus,
  StaState,
} from '../../mac80211/driver-ops.ts';
import { buildData } from '../../mac80211/frame/build.ts';
import { encodeFrame } from '../../mac80211/frame/frame.ts';
import { Ieee80211Local } from '../../mac80211/local.ts';
import { CcmpKey, CcmpResult, ccmpEncryptMpdu } from '../../mac80211/rsn/ccmp.ts';
import { type Benchmark, type BenchResult, type Figure, measureAllocations, median } from './framework.ts';

const AP = macFromString('02:00:00:00:0a:00');
const STA = macFromString('02:00:00:00:0b:00');
const TK = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const IP_LEN = 1500;
/** Distinct frames (PNs 1..N); the receive PN is reset between passes. */
const N = 4096;
const RING = 1024;

const MSDU = Buffer.concat([Buffer.from('aaaa030000000800', 'hex'), Buffer.alloc(IP_LEN, 0x5a)]);
MSDU[8] = 0x45;

/** A QoS data frame (TID 0) from the AP to the station carrying MSDU. */
function fromAp(seq: number): Buffer {
  const f = buildData({ toDs: false, fromDs: true, addr1: STA, addr2: AP, addr3: AP, seq, tid: 0, payload: MSDU });
  return Buffer.from(encodeFrame(f));
}

/** Just enough of a driver: mac80211 needs an Ieee80211Ops to bind. */
class BenchOps implements Ieee80211Ops {
  readonly caps: HwCapabilities = {
    addr: STA,
    bands: [],
    hwCiphers: [],
    maxScanSsids: 0,
    maxScanIeLen: 0,
    hwScan: true,
    needsPrepareTx: false,
    extraTxHeadroom: 0,
    hasRateControl: true,
  };
  attach(_hw: Ieee80211HwCallbacks): void {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async addInterface(): Promise<void> {}
  async removeInterface(): Promise<void> {}
  async config(): Promise<void> {}
  async hwScan(): Promise<void> {}
  async cancelHwScan(): Promise<void> {}
  async staState(): Promise<void> {}
  async setKey(): Promise<void> {
    throw new Error('software crypto only');
  }
  async bssInfoChanged(): Promise<void> {}
  tx(skb: SkBuff): void {
    skb.free();
  }
}

type Mode = 'ccmp' | 'hw' | 'open';
/** Frames per rxList call (a NAPI poll's weight); 1: rx() frame by frame. */
const POLL = 64;

interface Rig {
  pump(n: number): void;
  delivered(): number;
  dropped(): number;
  reasons?(): string;
}

async function rig(mode: Mode, batch = 1): Promise<Rig> {
  const clock = new VirtualClock();
  const local = new Ieee80211Local(new BenchOps(), clock);
  await local.start();
  const core = new NetCore(clock);
  let delivered = 0;
  core.linkRx = (skb) => {
    delivered++;
    skb.free();
    return false;
  };
  const sdata = await local.addInterface('station', { core });
  sdata.dev!.open();
  sdata.bss.bssid = AP;
  const ap = await local.staAdd(sdata, AP, { wmm: true });
  await local.staMoveState(ap, StaState.AUTHORIZED);
  const key =
    mode === 'open' ? null : await local.setKey(sdata, ap, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true });
  clock.runUntilIdle();

  const tx = new CcmpKey(TK);
  const frames: Buffer[] = [];
  for (let i = 0; i < N; i++) {
    const plain = fromAp(i & 0xfff);
    if (mode === 'ccmp') frames.push(ccmpEncryptMpdu(tx, plain, i + 1));
    else {
      if (mode === 'hw') plain[1]! |= 0x40;
      frames.push(plain);
    }
  }
  const ring = Array.from({ length: RING }, () => Buffer.allocUnsafe(2048));
  const statuses: RxStatus[] = frames.map((_, i) => ({
    band: '2g',
    freq: 2437,
    channel: 6,
    signal: -40,
    rate: { mode: 'he', rate: 11, nss: 2, bw: 80, sgi: false },
    decrypted: mode === 'hw',
    ivStripped: mode === 'hw',
    micStripped: mode === 'hw',
    pn: mode === 'hw' ? i + 1 : -1,
    keyIdx: 0,
    fcsFailed: false,
    hasFcs: false,
  }));
  let next = 0;
  let slot = 0;
  const skbs: SkBuff[] = [];
  const sts: RxStatus[] = [];
  return {
    pump(n: number) {
      for (let k = 0; k < n; k++) {
        if (next === N) {
          // Start the frames over: whatever is batched goes first, then the receive PNs are reset.
          if (skbs.length) local.rxList(skbs, sts);
          skbs.length = 0;
          sts.length = 0;
          next = 0;
          key?.rxPn.fill(0);
          ap.lastSeqCtrl.fill(-1);
        }
        const f = frames[next]!;
        const buf = ring[slot]!;
        slot = (slot + 1) % RING;
        f.copy(buf, 64);
        const skb = new SkBuff(buf, 64, 64 + f.length);
        if (batch === 1) local.rx(skb, statuses[next]!);
        else {
          skbs.push(skb);
          sts.push(statuses[next]!);
          if (skbs.length === batch || k === n - 1) {
            local.rxList(skbs, sts);
            skbs.length = 0;
            sts.length = 0;
          }
        }
        next++;
      }
    },
    delivered: () => delivered,
    dropped: () => local.rxStats.dropped,
    reasons: () => JSON.stringify(Object.fromEntries(Object.entries(local.rxStats.drop).filter(([, v]) => v))),
  };
}

function ccmpAlone(): Rig {
  const tx = new CcmpKey(TK);
  const plain = fromAp(0);
  const frames = Array.from({ length: N }, (_, i) => ccmpEncryptMpdu(tx, plain, i + 1));
  const rx = new CcmpKey(TK);
  const work = Buffer.allocUnsafe(2048);
  let ok = 0;
  let next = 0;
  return {
    pump(n: number) {
      for (let k = 0; k < n; k++) {
        if (next === N) {
          next = 0;
          rx.rxPn.fill(0);
        }
        const f = frames[next++]!;
        f.copy(work);
        if (rx.decrypt(work, 0, f.length) === CcmpResult.OK) ok++;
      }
    },
    delivered: () => ok,
    dropped: () => rx.stats.micFailures + rx.stats.replays,
  };
}

interface Measured {
  best: number;
  median: number;
  alloc: ReturnType<typeof measureAllocations>;
}

/**
 * Every rig warmed up, then `rounds` rounds in which each rig runs `n` frames in turn (interleaved, so that load
 * from elsewhere on the machine hits them alike); best and median per rig, then its allocations.
 */
function measureAll(rigs: Rig[], n: number, rounds: number): Measured[] {
  for (const r of rigs) r.pump(Math.min(n, 20_000)); // JIT warm-up
  const rates: number[][] = rigs.map(() => []);
  for (let t = 0; t < rounds; t++) {
    rigs.forEach((r, i) => {
      const before = r.delivered();
      const t0 = performance.now();
      r.pump(n);
      const secs = (performance.now() - t0) / 1000;
      const got = r.delivered() - before;
      if (got !== n) {
        throw new Error(
          `mac80211-rx: ${n - got} of ${n} frames not delivered (${r.dropped()} dropped: ${r.reasons?.()})`,
        );
      }
      rates[i]!.push(n / secs);
    });
  }
  return rigs.map((r, i) => ({
    best: Math.max(...rates[i]!),
    median: median(rates[i]!),
    alloc: measureAllocations(() => r.pump(n)),
  }));
}

export const mac80211Rx: Benchmark = {
  name: 'mac80211-rx',
  description: 'CCMP decrypt + bridge throughput for 1,500-byte frames: 802.11 → mac80211 → netif_receive_skb',
  async run({ quick }): Promise<BenchResult> {
    const trials = quick ? 1 : 7;
    const n = quick ? 20_000 : 50_000;
    const rigs = [await rig('ccmp'), await rig('ccmp', POLL), await rig('hw'), await rig('open'), ccmpAlone()];
    const [sw, swList, hw, open, alone] = measureAll(rigs, n, trials) as [
      Measured,
      Measured,
      Measured,
      Measured,
      Measured,
    ];
    const fig = (name: string, m: Measured, note: string): Figure[] => [
      {
        name,
        value: Math.round(m.best),
        unit: 'frm/s',
        note: `best of ${trials}, median ${Math.round(m.median)}; ${note}`,
      },
    ];
    return {
      figures: [
        ...fig('ccmp+bridge 1500 B', sw, 'software CCMP (target ≥ 250,000)'),
        ...fig(`ccmp+bridge, rxList ${POLL}`, swList, `${POLL} frames per rxList (one NAPI poll): batched CCMP`),
        {
          name: 'ccmp+bridge alloc',
          value: Math.round((sw.alloc.bytes / n) * 10) / 10,
          unit: 'B/frm',
          note: `V8 heap bytes per frame, ${sw.alloc.scavenges} scavenges`,
        },
        {
          name: 'ccmp+bridge rxList alloc',
          value: Math.round((swList.alloc.bytes / n) * 10) / 10,
          unit: 'B/frm',
          note: 'V8 heap bytes per frame with rxList',
        },
        ...fig('hw-decrypted+bridge', hw, 'RxStatus.decrypted, IV/MIC stripped: replay check + bridge'),
        {
          name: 'hw-decrypted alloc',
          value: Math.round((hw.alloc.bytes / n) * 10) / 10,
          unit: 'B/frm',
          note: 'V8 heap bytes per frame, the skb the driver wraps each frame in included',
        },
        ...fig('bridge, no crypto', open, 'open network'),
        ...fig('CcmpKey.decrypt alone', alone, 'rsn, same frames, one at a time'),
      ],
      notes: [
        `${trials} rounds of ${n} frames per case, cases interleaved; each frame is first copied into an RX ring buffer (the DMA) and wrapped in an skb`,
      ],
      data: { swAlloc: sw.alloc, hwAlloc: hw.alloc },
    };
  },
};
