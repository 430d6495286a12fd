/**
 * TapDevice over a scripted backend: what happens to frames between a backend and the stack, without root or a
 * kernel TAP (the real backends are exercised by test/interop/).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.ts';
import { NetCore } from '../core/netdevice.ts';
import { SkBuff } from '../core/skb.ts';
import { type TapBackend, TapDevice, type TapSink, TapWrite } from './tap.ts';

class ScriptedBackend implements TapBackend {
  readonly kind = 'fd' as const;
  readonly description = 'scripted';
  sink!: TapSink;
  maxFrame = 0;
  written: Buffer[] = [];
  next: TapWrite = TapWrite.OK;
  closed = false;
  start(sink: TapSink, maxFrame: number): void {
    this.sink = sink;
    this.maxFrame = maxFrame;
  }
  write(skb: SkBuff): TapWrite {
    const r = this.next;
    if (r === TapWrite.BUSY) return r;
    if (r === TapWrite.OK) {
      this.written.push(skb.copyBytes());
      skb.free();
    } else skb.drop();
    return r;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function setup(mtu = 1500) {
  const clock = new VirtualClock();
  const core = new NetCore(clock);
  const backend = new ScriptedBackend();
  const dev = TapDevice.attach(backend, { name: 'tap0', mtu });
  core.register(dev);
  dev.open();
  const received: Buffer[] = [];
  core.addTap({ dev, dir: 'rx', fn: (skb) => received.push(skb.copyBytes()) });
  return { clock, core, backend, dev, received };
}

function frame(len: number, etherType = 0x0800, fill = 0xab): Buffer {
  const b = Buffer.alloc(len, fill);
  if (len >= 14) b.writeUInt16BE(etherType, 12);
  return b;
}

function xmit(dev: TapDevice, bytes: Buffer) {
  return dev.devQueueXmit(SkBuff.fromBytes(bytes));
}

describe('TapDevice receive', () => {
  it('hands good frames to the stack through the backlog NAPI, in order', () => {
    const { clock, backend, dev, received } = setup();
    const a = frame(60, 0x0800, 1);
    const b = frame(1514, 0x0806, 2);
    backend.sink.frame(a, 0, a.length);
    backend.sink.frame(b, 0, b.length);
    expect(received).toHaveLength(0); // nothing before the softirq runs
    clock.runUntilIdle();
    expect(received).toEqual([a, b]);
    expect(dev.counters.rxFrames).toBe(2);
    expect(dev.counters.rxBytes).toBe(60 + 1514);
    expect(dev.softnet.processed).toBe(2);
  });

  it('drops and counts runts and frames longer than the MTU allows', () => {
    const { clock, backend, dev, received } = setup(1400);
    expect(backend.maxFrame).toBe(1400 + 14 + 8);
    for (const len of [0, 1, 13, 1400 + 14 + 9, 9000]) {
      const f = frame(len);
      backend.sink.frame(f, 0, f.length);
    }
    const ok = frame(1400 + 14 + 8, 0x8100); // two VLAN tags' worth of slack
    backend.sink.frame(ok, 0, ok.length);
    clock.runUntilIdle();
    expect(received).toEqual([ok]);
    expect(dev.counters.rxRunts).toBe(3);
    expect(dev.counters.rxOversize).toBe(2);
    expect(dev.stats.rxErrors).toBe(5);
  });

  it('delivers a frame that sits inside a larger buffer without copying the rest', () => {
    const { clock, backend, received } = setup();
    const big = Buffer.alloc(200, 7);
    big.writeUInt16BE(0x0800, 50 + 12);
    backend.sink.frame(big, 50, 150);
    clock.runUntilIdle();
    expect(received).toEqual([big.subarray(50, 150)]);
  });

  it('never throws on arbitrary frames, and every frame is delivered or counted', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 1600 }), { maxLength: 40 }), (frames) => {
        const { clock, backend, dev, received } = setup(1500);
        for (const f of frames) backend.sink.frame(Buffer.from(f), 0, f.length);
        clock.runUntilIdle();
        const c = dev.counters;
        expect(c.rxFrames).toBe(frames.length);
        expect(received.length + c.rxRunts + c.rxOversize).toBe(frames.length);
      }),
    );
  });

  it('drops frames while the device is down, and counts them', () => {
    const { clock, backend, dev, received } = setup();
    dev.close();
    const f = frame(60);
    backend.sink.frame(f, 0, f.length);
    clock.runUntilIdle();
    expect(received).toHaveLength(0);
    expect(dev.stats.rxDropped).toBe(1);
  });

  it('reports a lost link once, and counts read errors', () => {
    const { backend, dev } = setup();
    const reasons: string[] = [];
    dev.onLinkLost((r) => reasons.push(r));
    backend.sink.readError('EINTR', false);
    expect(dev.linkLost).toBeNull();
    backend.sink.readError('EBADFD', true);
    backend.sink.readError('EBADFD', true);
    expect(reasons).toEqual(['EBADFD']);
    expect(dev.linkLost).toBe('EBADFD');
    expect(dev.carrier).toBe(false);
    expect(dev.counters.rxReadErrors).toBe(3);
  });
});

describe('TapDevice transmit', () => {
  it('writes frames up to MTU + header, and the VLAN tags they carry', () => {
    const { backend, dev } = setup(1500);
    xmit(dev, frame(1514));
    xmit(dev, frame(1515)); // one byte too many
    const tagged = frame(1518, 0x8100);
    xmit(dev, tagged);
    const qinq = frame(1522, 0x88a8);
    qinq.writeUInt16BE(0x8100, 16);
    xmit(dev, qinq);
    xmit(dev, frame(1519, 0x8100)); // tagged, one byte too many
    xmit(dev, frame(10));
    expect(backend.written.map((b) => b.length)).toEqual([1514, 1518, 1522]);
    expect(dev.counters.txFrames).toBe(3);
    expect(dev.counters.txBytes).toBe(1514 + 1518 + 1522);
    expect(dev.counters.txLengthErrors).toBe(3);
  });

  it('holds frames while the backend is busy and sends them in order when it has room', () => {
    const { backend, dev } = setup();
    backend.next = TapWrite.BUSY;
    for (let i = 0; i < 5; i++) xmit(dev, frame(60, 0x0800, i));
    expect(backend.written).toHaveLength(0);
    expect(dev.queueIsStopped).toBe(true);
    expect(dev.txQueueLength).toBe(5);
    expect(dev.counters.txBusy).toBe(1);
    backend.next = TapWrite.OK;
    backend.sink.writable();
    expect(backend.written.map((b) => b[20])).toEqual([0, 1, 2, 3, 4]);
    expect(dev.txQueueLength).toBe(0);
  });

  it('counts frames the kernel refused because its side is down, and other write errors', () => {
    const { backend, dev } = setup();
    backend.next = TapWrite.LINK_DOWN;
    xmit(dev, frame(60));
    backend.next = TapWrite.ERROR;
    xmit(dev, frame(60));
    expect(dev.counters.txCarrierErrors).toBe(1);
    expect(dev.counters.txErrors).toBe(1);
    expect(dev.stats.txErrors).toBe(2);
    expect(dev.txQueueLength).toBe(0);
  });

  it('destroy() closes the backend once', async () => {
    const { backend, dev } = setup();
    await Promise.all([dev.destroy(), dev.destroy()]);
    expect(backend.closed).toBe(true);
    expect(dev.up).toBe(false);
  });
});
