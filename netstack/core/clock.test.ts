import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.ts';

describe('VirtualClock', () => {
  it('runs timers in time order and FIFO for equal times', () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.setTimeout(() => seen.push('b@10'), 10);
    c.setTimeout(() => seen.push('a@5'), 5);
    c.setTimeout(() => seen.push('c@10'), 10);
    c.defer(() => seen.push('deferred'));
    c.runUntilIdle();
    expect(seen).toEqual(['deferred', 'a@5', 'b@10', 'c@10']);
    expect(c.now()).toBe(10);
  });

  it('re-arming later moves the timer; cancel stops it; re-arming earlier fires early', () => {
    const c = new VirtualClock();
    const fired: number[] = [];
    const t = c.timer(() => fired.push(c.now()));
    t.mod(10);
    t.mod(50);
    c.runUntil(20);
    expect(fired).toEqual([]);
    expect(t.pending).toBe(true);
    c.runUntilIdle();
    expect(fired).toEqual([50]);
    t.mod(100);
    t.cancel();
    c.runUntilIdle();
    expect(fired).toEqual([50]);
    t.mod(100);
    t.mod(30);
    c.runUntilIdle();
    expect(fired).toEqual([50, 80]);
  });

  it('runUntil stops at the limit and sets the time', () => {
    const c = new VirtualClock();
    let n = 0;
    const tick = c.timer(() => {
      n++;
      tick.mod(1);
    });
    tick.mod(1);
    c.runUntil(100);
    expect(n).toBe(100);
    expect(c.now()).toBe(100);
    expect(c.nextEventTime()).toBe(101);
  });

  it('runAsync lets promise callbacks schedule work before time advances', async () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.setTimeout(() => {
      log.push(`t1@${c.now()}`);
      void Promise.resolve().then(() => c.setTimeout(() => log.push(`t2@${c.now()}`), 5));
    }, 10);
    await c.runAsync();
    expect(log).toEqual(['t1@10', 't2@15']);
  });

  it('is deterministic: the same schedule gives the same order', () => {
    const run = () => {
      const c = new VirtualClock();
      const out: number[] = [];
      for (let i = 0; i < 200; i++) c.setTimeout(() => out.push(i), (i * 7919) % 13);
      c.runUntilIdle();
      return out;
    };
    expect(run()).toEqual(run());
  });
  it('runUntil runs every event before the limit even when a timer moved past the limit is popped first', () => {
    const c = new VirtualClock();
    const fired: number[] = [];
    const moved = c.timer(() => fired.push(c.now()));
    moved.mod(10);
    moved.mod(200); // lazily moved: its heap entry stays at 10
    c.setTimeout(() => fired.push(c.now()), 50);
    c.runUntil(100);
    expect(fired).toEqual([50]);
    c.runUntil(300);
    expect(fired).toEqual([50, 200]);
  });
});
