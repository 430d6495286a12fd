/**
 * The driver's TX queues: each bulk OUT completion goes back to its own frame (the oldest in flight on that
 * endpoint), failed transfers are counted and reported as such, a full queue refuses frames, and a completion
 * makes room.
 */
import { describe, expect, it } from 'vitest';
import { buildPatch, buildRamCode, parsePatch, parseRamCode } from '../../firmware/index.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { EpOut, type UsbBus } from './bus.ts';
import { MT7921U_TX_ENTRIES, Mt7921uDevice } from './device.ts';
import { MtTxq, txUnprepareSkb } from './mac/txd.ts';
import { FakeMt7921u } from './testing/fake-mt7921u.ts';
import { testTxdInfo } from './testing/txd-info.ts';
import { UsbError } from './transport.ts';

const INFO = testTxdInfo();

/** A bus whose bulk OUT transfers wait until the test completes them, in submission order per endpoint. */
function setup() {
  const clock = new VirtualClock();
  const fake = new FakeMt7921u(clock);
  const pending = new Map<number, Array<{ resolve(): void; reject(e: Error): void }>>();
  const bus: UsbBus = {
    resetDevice: () => fake.resetDevice(),
    endpoints: () => fake.endpoints(),
    removed: false,
    bulkOut: (ep) =>
      new Promise<void>((resolve, reject) => {
        const q = pending.get(ep) ?? [];
        pending.set(ep, q);
        q.push({ resolve, reject });
      }),
    bulkIn: () => new Promise<Uint8Array>(() => {}),
  };
  const dev = new Mt7921uDevice({
    bus,
    regs: fake,
    clock,
    firmware: { patch: parsePatch(buildPatch()), ram: parseRamCode(buildRamCode()) },
  });
  const complete = async (ep: number, err?: Error) => {
    const t = pending.get(ep)!.shift()!;
    if (err) t.reject(err);
    else t.resolve();
    await new Promise<void>((r) => setImmediate(r));
  };
  return { dev, complete };
}

function frame(tag: number): SkBuff {
  const b = Buffer.alloc(40, tag);
  b[0] = 0x88;
  return SkBuff.fromBytes(b);
}

describe('Mt7921uDevice TX', () => {
  it('hands each completion to its own frame, oldest first, per endpoint', async () => {
    const { dev, complete } = setup();
    const be = dev.endpoints.out[EpOut.AC_BE];
    const vo = dev.endpoints.out[EpOut.AC_VO];
    const got: Array<[number, boolean]> = [];
    const done = (skb: SkBuff, ok: boolean) => {
      txUnprepareSkb(skb);
      got.push([skb.buf[skb.tail - 1]!, ok]);
    };
    for (const tag of [1, 2, 3]) expect(dev.tx(frame(tag), INFO, done)).toBe(true);
    expect(dev.tx(frame(9), { ...INFO, qid: MtTxq.VO }, done)).toBe(true);
    expect([dev.txPending(MtTxq.BE), dev.txPending(MtTxq.VO)]).toEqual([3, 1]);
    await complete(vo);
    await complete(be);
    await complete(be, new UsbError('io', 'bulk OUT failed'));
    await complete(be);
    expect(got).toEqual([
      [9, true],
      [1, true],
      [2, false],
      [3, true],
    ]);
    expect(dev.txStats).toMatchObject({ queued: 4, completed: 3, errors: 1 });
    expect(dev.txPending(MtTxq.BE)).toBe(0);
  });

  it('frees the skb itself when nobody asked for it back, and drops it when the transfer failed', async () => {
    const { dev, complete } = setup();
    const be = dev.endpoints.out[EpOut.AC_BE];
    const ends: string[] = [];
    for (const tag of [1, 2]) {
      const skb = frame(tag);
      skb.destructor = () => ends.push(`end ${tag}`);
      dev.tx(skb, INFO);
    }
    await complete(be, new UsbError('io', 'bulk OUT failed'));
    await complete(be);
    expect(ends).toEqual(['end 1', 'end 2']);
    expect(dev.txStats).toMatchObject({ completed: 1, errors: 1 });
  });

  it('refuses a frame when the queue is full, and a completion makes room', async () => {
    const { dev, complete } = setup();
    for (let i = 0; i < MT7921U_TX_ENTRIES; i++) dev.tx(frame(i & 0xff), INFO);
    expect(dev.txQueueFull(MtTxq.BE)).toBe(true);
    let woken = 0;
    dev.onTxSpace(() => woken++);
    expect(dev.tx(frame(0), INFO)).toBe(false);
    expect(dev.txStats.busy).toBe(1);
    await complete(dev.endpoints.out[EpOut.AC_BE]);
    expect([woken, dev.txQueueFull(MtTxq.BE)]).toEqual([1, false]);
    expect(dev.tx(frame(0), INFO)).toBe(true);
  });
});
