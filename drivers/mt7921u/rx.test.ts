import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { buildRxd } from './mac/rxd.ts';
import { encodeTxs } from './mac/txs.ts';
import { buildMcuEvent } from './mcu/event.ts';
import { Mt7921RxDispatch, type RxSink } from './queue-rx.ts';
import { Mt7921uRxReader } from './rx.ts';
import { FakePipes, FakeUsbError } from './testing/fake-pipes.ts';

const FRAME = Buffer.from([0x80, 0, 0, 0, ...new Array(20).fill(1)]);

function recorder() {
  const got = {
    responses: [] as number[],
    unsolicited: [] as number[],
    uni: [] as number[],
    txs: [] as number[],
    frames: [] as number[],
  };
  const sink: RxSink = {
    mcuResponse: (ev) => got.responses.push(ev.seq),
    mcuUnsolicited: (ev) => got.unsolicited.push(ev.eid),
    mcuUniUnsolicited: (ev) => got.uni.push(ev.eid),
    txStatus: (r) => got.txs.push(r.pid),
    frame: (skb, st) => {
      got.frames.push(st.channel);
      skb.free();
    },
  };
  return { got, sink };
}

function setup(readsPerEp = 4) {
  const clock = new VirtualClock();
  const pipes = new FakePipes();
  const { got, sink } = recorder();
  const dispatch = new Mt7921RxDispatch(sink);
  dispatch.running = true;
  const rx = new Mt7921uRxReader({
    clock,
    bus: pipes,
    inEps: [0x84, 0x85],
    readsPerEp,
    process: (b) => dispatch.handle(b),
  });
  return { clock, pipes, got, dispatch, rx };
}

describe('RX reader and dispatch', () => {
  it('posts reads on both IN endpoints and loses nothing when packets outnumber reads', async () => {
    const { clock, pipes, got, rx, dispatch } = setup(4);
    rx.start();
    expect(pipes.posted(0x84)).toBe(4);
    expect(pipes.posted(0x85)).toBe(4);
    for (let i = 1; i <= 150; i++) {
      pipes.push(0x84, buildRxd({ chFreq: (i % 13) + 1, payload: FRAME }));
      if (i % 3 === 0) pipes.push(0x85, buildMcuEvent({ eid: 1, seq: (i % 15) + 1 }));
    }
    await clock.runAsync({ until: () => pipes.queued(0x84) === 0 && pipes.queued(0x85) === 0 && rx.pending === 0 });
    expect(got.frames).toHaveLength(150);
    expect(got.frames.slice(0, 5)).toEqual([2, 3, 4, 5, 6]); // arrival order kept
    expect(got.responses).toHaveLength(50);
    expect(dispatch.totalDrops).toBe(0);
    // every slot was re-armed
    expect(pipes.posted(0x84)).toBe(4);
    expect(pipes.posted(0x85)).toBe(4);
  });

  it('NAPI honours its weight: a burst larger than 64 takes several polls', async () => {
    const { clock, pipes, got, rx } = setup(200);
    rx.start();
    for (let i = 0; i < 200; i++) pipes.push(0x84, buildRxd({ payload: FRAME }));
    await clock.runAsync({ until: () => got.frames.length === 200 });
    expect(rx.stats.polls).toBeGreaterThanOrEqual(4);
    expect(rx.dev.softnet.processed).toBe(200);
  });

  it('sorts events, TXS records and frames, including type 7 flag 1 frames', async () => {
    const { clock, pipes, got, rx, dispatch } = setup();
    rx.start();
    pipes.push(0x85, buildMcuEvent({ eid: 0x01, seq: 7 }));
    pipes.push(0x84, buildMcuEvent({ eid: 0x0d, seq: 0 }));
    pipes.push(0x84, buildMcuEvent({ eid: 0x27, seq: 0, option: 4 }));
    const txs = Buffer.alloc(8 + 64);
    txs.writeUInt32LE(txs.length, 0); // type 0
    encodeTxs({ pid: 5, wcid: 1 }, txs, 8);
    encodeTxs({ pid: 6, wcid: 1 }, txs, 40);
    pipes.push(0x84, txs);
    pipes.push(0x84, buildRxd({ pktType: 7, pktFlag: 1, chFreq: 11, payload: FRAME }));
    await clock.runAsync({ until: () => got.frames.length === 1 && got.txs.length === 2 });
    expect(got).toEqual({ responses: [7], unsolicited: [0x0d], uni: [0x27], txs: [5, 6], frames: [11] });
    expect(dispatch.stats.events).toBe(3);
  });

  it('counts a failed read and retries it after a back-off; stops on device loss', async () => {
    const { clock, pipes, got, rx } = setup(1);
    rx.start();
    pipes.push(0x84, new FakeUsbError('stall'));
    pipes.push(0x84, buildRxd({ payload: FRAME }));
    await clock.runAsync({ until: () => got.frames.length === 1, maxTime: 1000 });
    expect(rx.stats.readErrors.stall).toBe(1);
    expect(got.frames).toHaveLength(1);
    pipes.unplug();
    await clock.runAsync({ maxTime: clock.now() + 100 });
    expect(rx.stats.readErrors.nodev).toBe(2);
    expect(rx.stats.inFlight).toBe(0);
  });

  it('stop() forgets outstanding reads; start() posts fresh ones', async () => {
    const { clock, pipes, got, rx } = setup(2);
    rx.start();
    rx.stop();
    pipes.cancelBulkIn();
    await clock.runAsync({ maxTime: 10 });
    // the cancelled reads belong to the stopped generation: not errors of the new one
    expect(rx.stats.readErrors.cancelled).toBeUndefined();
    expect(pipes.posted(0x84)).toBe(0);
    rx.start();
    expect(pipes.posted(0x84)).toBe(2);
    pipes.push(0x84, buildRxd({ payload: FRAME }));
    await clock.runAsync({ until: () => got.frames.length === 1 });
    expect(pipes.posted(0x84)).toBe(2);
  });

  it('frames are dropped (and counted) while the interface is not running', () => {
    const { got, dispatch } = setup();
    dispatch.running = false;
    dispatch.handle(buildRxd({ payload: FRAME }));
    expect(got.frames).toHaveLength(0);
    expect(dispatch.stats.drops['not-running']).toBe(1);
  });

  it('random and truncated transfers never throw; every one is delivered or counted', () => {
    const { dispatch } = setup();
    const samples = [
      buildRxd({ payload: FRAME, group2: { timestamp: 1 } }),
      buildMcuEvent({ eid: 1, seq: 3, payload: Buffer.alloc(8) }),
      Buffer.concat([Buffer.from([72, 0, 0, 0, 0, 0, 0, 0]), encodeTxs({ pid: 4 })]),
    ];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.constantFrom(...samples).chain((s) => fc.nat(s.length).map((n) => s.subarray(0, n))),
        ),
        (bytes) => {
          const before = dispatch.stats.packets;
          dispatch.handle(Buffer.from(bytes));
          expect(dispatch.stats.packets).toBe(before + 1);
        },
      ),
      { numRuns: 3000 },
    );
    const s = dispatch.stats;
    expect(s.responses + s.unsolicited + s.uniUnsolicited + s.txsPackets + s.frames + dispatch.totalDrops).toBe(
      s.packets,
    );
  });
});
