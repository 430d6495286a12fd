/**
 * mt7921u-tx: the MT7921U driver's transmit path alone, one core: Mt7921uDevice.tx (queue check, TXD and USB
 * framing in the skb's head- and tailroom) → bulk OUT → its completion (the skb freed, the queue's count down).
 * The bus completes every transfer at once, so the figures are the host's cost per frame; the skbs are reused (their
 * destructors put them back), so the allocations counted are the path's own. Frames go in bursts of the queue's
 * depth (256), and the completions run between bursts.
 */
import type { UsbBus } from '../../drivers/mt7921u/bus.ts';
import { MT7921U_TX_ENTRIES, Mt7921uDevice } from '../../drivers/mt7921u/device.ts';
import { MT_USB_TX_HEADROOM, MT_USB_TX_TAILROOM } from '../../drivers/mt7921u/mac/txd.ts';
import { FakeMt7921u } from '../../drivers/mt7921u/testing/fake-mt7921u.ts';
import { testTxdInfo } from '../../drivers/mt7921u/testing/txd-info.ts';
import { buildPatch, buildRamCode, parsePatch, parseRamCode } from '../../firmware/index.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { type Benchmark, type BenchResult, measureAllocationsAsync, median, recyclingSkb } from './framework.ts';

const FRAME_LEN = 1536;
const INFO = testTxdInfo();

/** A bus whose bulk OUT transfers complete at once, and whose reads never do. */
function instantBus(clock: VirtualClock): UsbBus {
  const fake = new FakeMt7921u(clock);
  return {
    resetDevice: () => fake.resetDevice(),
    endpoints: () => fake.endpoints(),
    removed: false,
    bulkOut: () => Promise.resolve(),
    bulkIn: () => new Promise<Uint8Array>(() => {}),
    cancelBulkIn: () => {},
  };
}

function rig() {
  const clock = new VirtualClock();
  const bus = instantBus(clock);
  const device = new Mt7921uDevice({
    bus,
    regs: new FakeMt7921u(clock),
    clock,
    firmware: { patch: parsePatch(buildPatch()), ram: parseRamCode(buildRamCode()) },
  });
  // A QoS data frame (FC 0x88) of FRAME_LEN bytes, with room for the TXD, the USB header and the padding.
  const frame = Buffer.alloc(FRAME_LEN, 0x5a);
  frame[0] = 0x88;
  frame[1] = 0x01;
  // One skb per transfer the queue holds in flight, each put back by its destructor when its transfer completes.
  let completed = 0;
  const skbs = Array.from({ length: MT7921U_TX_ENTRIES }, () =>
    recyclingSkb(frame, MT_USB_TX_HEADROOM, MT_USB_TX_TAILROOM, () => completed++),
  );
  const settle = () => new Promise<void>((r) => setImmediate(r));
  return {
    async pump(n: number): Promise<void> {
      for (let sent = 0; sent < n; ) {
        const burst = Math.min(MT7921U_TX_ENTRIES, n - sent);
        for (let i = 0; i < burst; i++) device.tx(skbs[i]!, INFO);
        sent += burst;
        await settle();
      }
    },
    completed: () => completed,
    stats: () => device.txStats,
  };
}

export const mt7921uTx: Benchmark = {
  name: 'mt7921u-tx',
  description: 'MT7921U driver TX frames/s and allocations: tx() → TXD + USB framing → bulk OUT → completion',
  async run({ quick }): Promise<BenchResult> {
    const n = quick ? 100_000 : 1_000_000;
    const trials = quick ? 1 : 3;
    const r = rig();
    await r.pump(Math.min(n, 100_000)); // warm up
    const rates: number[] = [];
    for (let t = 0; t < trials; t++) {
      const before = r.completed();
      const c0 = process.cpuUsage();
      await r.pump(n);
      const c = process.cpuUsage(c0);
      const done = r.completed() - before;
      if (done !== n) throw new Error(`mt7921u-tx: ${n - done} frames not completed`);
      rates.push(n / ((c.user + c.system) / 1e6));
    }
    const alloc = await measureAllocationsAsync(() => r.pump(n));
    return {
      figures: [
        {
          name: `tx ${FRAME_LEN} B`,
          value: Math.round(Math.max(...rates)),
          unit: 'frames/s',
          note: `CPU time, best of ${trials}, median ${Math.round(median(rates))}`,
        },
        {
          name: `tx ${FRAME_LEN} B alloc`,
          value: Math.round((alloc.bytes / n) * 10) / 10,
          unit: 'B/frame',
          note: `${alloc.gcs} GCs over ${n} frames (includes the bus's resolved promise per transfer)`,
        },
      ],
      data: { frames: n, trials: rates.map(Math.round), allocBytes: alloc.bytes, stats: r.stats() },
    };
  },
};
