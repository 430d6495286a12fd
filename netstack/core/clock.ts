/**
 * Time as a parameter (DESIGN.md principle 1).
 *
 * Protocol code never calls Date.now(), setTimeout() or setImmediate(); it takes a Clock and asks it for the time
 * and for timers. `RealClock` drives real hardware on Node's event loop; `VirtualClock` is a discrete-event
 * scheduler that drives simulations, so a long transfer runs in milliseconds of wall time and gives the same
 * result for the same seed, every time.
 *
 * Times are milliseconds as numbers (fractions allowed). `now()` is monotonic and starts near 0; `wallTime()` maps
 * it to Unix epoch milliseconds for things that need a date (pcapng timestamps, DHCP logs).
 *
 * Timers are reusable objects, like the kernel's `struct timer_list`: create one per purpose with `clock.timer(fn)`
 * and `mod()` it as often as needed (TCP re-arms its retransmission timer on every ACK; that must not allocate).
 */

import { Fifo } from './fifo.ts';

export interface Timer {
  /** True while armed and not yet fired. */
  readonly pending: boolean;
  /** Absolute expiry time in ms (meaningful while pending). */
  readonly expires: number;
  /** Arm (or re-arm) to fire `delayMs` from now. Negative delays fire as soon as possible. */
  mod(delayMs: number): void;
  /** Arm (or re-arm) to fire at absolute time `t`. */
  modAt(t: number): void;
  /** Disarm. Safe to call when not pending. */
  cancel(): void;
}

export interface Clock {
  /** Monotonic time in milliseconds. */
  now(): number;
  /** Unix epoch milliseconds corresponding to `now()`. */
  wallTime(): number;
  /** A disarmed reusable timer that calls `fn` when it fires. */
  timer(fn: () => void): Timer;
  /** One-shot convenience: a timer armed to fire after `delayMs`. */
  setTimeout(fn: () => void, delayMs: number): Timer;
  /** Run `fn` soon, after the current work and before time advances (softirq raising, deferred work). */
  defer(fn: () => void): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Real clock

class RealTimer implements Timer {
  pending = false;
  expires = 0;
  private handle: NodeJS.Timeout | null = null;
  private handleAt = 0;

  constructor(
    private readonly clock: RealClock,
    private readonly fn: () => void,
  ) {}

  mod(delayMs: number): void {
    this.modAt(this.clock.now() + delayMs);
  }

  modAt(t: number): void {
    this.expires = t;
    this.pending = true;
    // Re-arming later than an armed OS timer keeps it and re-checks on fire: no timer churn on the ACK path.
    if (this.handle !== null && this.handleAt <= t) return;
    if (this.handle !== null) clearTimeout(this.handle);
    this.arm(t);
  }

  cancel(): void {
    this.pending = false;
    if (this.handle !== null) {
      clearTimeout(this.handle);
      this.handle = null;
    }
  }

  private arm(t: number): void {
    this.handleAt = t;
    const delay = Math.max(0, t - this.clock.now());
    this.handle = setTimeout(() => this.fire(), Math.ceil(delay));
    this.handle.unref?.();
    if (this.clock.keepAlive) this.handle.ref?.();
  }

  private fire(): void {
    this.handle = null;
    if (!this.pending) return;
    const now = this.clock.now();
    if (this.expires > now + 0.5) {
      this.arm(this.expires);
      return;
    }
    this.pending = false;
    this.fn();
  }
}

export class RealClock implements Clock {
  private readonly origin = performance.now();
  private readonly epochAtOrigin = Date.now();
  /** When false, armed timers do not keep the Node process alive (set false for library use in daemons). */
  keepAlive = true;

  now(): number {
    return performance.now() - this.origin;
  }

  wallTime(): number {
    return this.epochAtOrigin + this.now();
  }

  timer(fn: () => void): Timer {
    return new RealTimer(this, fn);
  }

  setTimeout(fn: () => void, delayMs: number): Timer {
    const t = this.timer(fn);
    t.mod(delayMs);
    return t;
  }

  defer(fn: () => void): void {
    setImmediate(fn);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Virtual clock: a discrete-event scheduler

interface Entry {
  time: number;
  seq: number;
  /** null while the entry waits on the free list. */
  timer: VirtualTimer | null;
  gen: number;
}

/** Free heap entries kept for reuse (an event costs no allocation); beyond this many they are left to the GC. */
const FREE_ENTRIES_MAX = 4096;

class VirtualTimer implements Timer {
  pending = false;
  expires = 0;
  /** Generation of the heap entry that currently represents this timer (-1: none). */
  gen = 0;
  entryTime = Number.POSITIVE_INFINITY;
  inHeap = false;

  constructor(
    private readonly clock: VirtualClock,
    readonly fn: () => void,
  ) {}

  mod(delayMs: number): void {
    this.modAt(this.clock.now() + Math.max(0, delayMs));
  }

  modAt(t: number): void {
    const now = this.clock.now();
    if (t < now) t = now;
    this.expires = t;
    this.pending = true;
    // An existing heap entry at or before t is reused: when it pops, the timer is re-queued at `expires`.
    if (this.inHeap && this.entryTime <= t) return;
    this.clock.push(this);
  }

  cancel(): void {
    this.pending = false;
  }
}

/**
 * Discrete-event scheduler. Events at equal times run in the order they were scheduled (FIFO by a sequence
 * number), so a run is a pure function of its inputs and seed.
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private heap: Entry[] = [];
  private freeEntries: Entry[] = [];
  private readonly deferred = new Fifo<() => void>(64);
  /** Number of callbacks run so far (timers and deferred work). */
  eventsRun = 0;

  constructor(private readonly epochMs = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.t;
  }

  wallTime(): number {
    return this.epochMs + this.t;
  }

  timer(fn: () => void): Timer {
    return new VirtualTimer(this, fn);
  }

  setTimeout(fn: () => void, delayMs: number): Timer {
    const t = this.timer(fn);
    t.mod(delayMs);
    return t;
  }

  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  /** Time of the next pending event, or Infinity when idle. Deferred work counts as "now". */
  nextEventTime(): number {
    if (this.deferred.length > 0) return this.t;
    this.dropStale();
    return this.heap.length ? this.heap[0]!.time : Number.POSITIVE_INFINITY;
  }

  /** True when nothing is scheduled. */
  get idle(): boolean {
    return this.nextEventTime() === Number.POSITIVE_INFINITY;
  }

  /**
   * Run one event (deferred work first). Returns false when idle or when the next event is after `limit`.
   */
  step(limit = Number.POSITIVE_INFINITY): boolean {
    const fn = this.deferred.shift();
    if (fn !== undefined) {
      this.eventsRun++;
      fn();
      return true;
    }
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.time > limit) return false;
      this.pop();
      const timer = top.timer!;
      const time = top.time;
      const gen = top.gen;
      this.release(top);
      if (gen !== timer.gen) continue; // stale
      timer.inHeap = false;
      timer.entryTime = Number.POSITIVE_INFINITY;
      if (!timer.pending) continue; // cancelled
      if (timer.expires > time) {
        // Re-armed later while queued: queue again at the real expiry, and go on with what is due before the limit
        // (returning here would let runUntil() skip other events before the limit).
        this.push(timer);
        continue;
      }
      this.t = Math.max(this.t, time);
      timer.pending = false;
      this.eventsRun++;
      timer.fn();
      return true;
    }
  }

  /** Run synchronously until nothing is scheduled, or until `maxEvents` have run (then throws: a livelock). */
  runUntilIdle(maxEvents = 100_000_000): void {
    let n = 0;
    while (this.step()) {
      if (++n >= maxEvents) throw new Error(`VirtualClock: still busy after ${maxEvents} events (livelock?)`);
    }
  }

  /** Run synchronously every event up to and including time `t`, then set the time to `t`. */
  runUntil(t: number): void {
    while (this.step(t)) {
      /* keep going */
    }
    if (t > this.t && t !== Number.POSITIVE_INFINITY) this.t = t;
  }

  /** Run synchronously for `ms` of virtual time. */
  runFor(ms: number): void {
    this.runUntil(this.t + ms);
  }

  /**
   * Asynchronous run for code that mixes protocol timers with Node streams, promises and nextTick: between
   * virtual instants it yields to the event loop (setImmediate) so that stream callbacks run before time advances.
   * Work that the promise chains of an instant schedule at that same instant runs first, without a turn of its own:
   * a tick runs once the microtask queue is empty, then the clock looks again.
   * Stops when `until()` returns true, when idle (after a yield that scheduled nothing), or at `maxTime`.
   * Returns true if `until` was satisfied.
   */
  runAsync(opts: { until?: () => boolean; maxTime?: number; maxEvents?: number } = {}): Promise<boolean> {
    const maxTime = opts.maxTime ?? Number.POSITIVE_INFINITY;
    const maxEvents = opts.maxEvents ?? 100_000_000;
    const until = opts.until;
    const start = this.eventsRun;
    return new Promise<boolean>((resolve, reject) => {
      // The loop is a few continuations made once per run: no promise or closure per instant. After the first, an
      // instant always runs in a microtask, so the tick it queues runs only once every promise chain it started is
      // done.
      const instant = (): void => {
        try {
          if (until?.()) {
            resolve(true);
            return;
          }
          // Everything due at the current instant.
          while (this.nextEventTime() <= this.t) {
            this.step(this.t);
            if (this.eventsRun - start > maxEvents) throw new Error('VirtualClock.runAsync: too many events');
          }
          // Promise chains of this instant (a transfer's completion resolved by a timer) may schedule more work at
          // the same instant: let them run to the end and do that work before paying for a whole event-loop turn.
          process.nextTick(afterTicks);
        } catch (e) {
          reject(e);
        }
      };
      const afterTicks = (): void => {
        RESOLVED.then(drained);
      };
      const drained = (): void => {
        if (this.nextEventTime() <= this.t) instant();
        else setImmediate(turned);
      };
      const turned = (): void => {
        RESOLVED.then(afterTurn);
      };
      const afterTurn = (): void => {
        try {
          if (until?.()) {
            resolve(true);
            return;
          }
          const next = this.nextEventTime();
          if (next <= this.t) {
            instant();
            return;
          }
          if (next === Number.POSITIVE_INFINITY) {
            // Give pending I/O-free promise chains one more chance to schedule something.
            setImmediate(idleTurned);
            return;
          }
          if (next > maxTime) {
            this.t = Math.max(this.t, maxTime);
            resolve(until?.() ?? false);
            return;
          }
          this.t = next;
          instant();
        } catch (e) {
          reject(e);
        }
      };
      const idleTurned = (): void => {
        RESOLVED.then(afterIdleTurn);
      };
      const afterIdleTurn = (): void => {
        try {
          if (this.nextEventTime() === Number.POSITIVE_INFINITY) {
            resolve(until?.() ?? false);
            return;
          }
          instant();
        } catch (e) {
          reject(e);
        }
      };
      instant();
    });
  }

  /** @internal */
  push(timer: VirtualTimer): void {
    let e = this.freeEntries.pop();
    if (e === undefined) e = { time: timer.expires, seq: this.seq++, timer, gen: ++timer.gen };
    else {
      e.time = timer.expires;
      e.seq = this.seq++;
      e.timer = timer;
      e.gen = ++timer.gen;
    }
    timer.inHeap = true;
    timer.entryTime = e.time;
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(h[r]!, h[l]!) ? r : l;
      if (!less(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }

  private release(e: Entry): void {
    e.timer = null;
    if (this.freeEntries.length < FREE_ENTRIES_MAX) this.freeEntries.push(e);
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return;
      const timer = top.timer!;
      const current = top.gen === timer.gen;
      if (current && timer.pending) {
        if (timer.expires > top.time) {
          // Lazily moved timer: requeue at its true time so nextEventTime() is exact.
          this.pop();
          this.release(top);
          timer.inHeap = false;
          this.push(timer);
          continue;
        }
        return;
      }
      this.pop();
      this.release(top);
      if (current) {
        timer.inHeap = false;
        timer.entryTime = Number.POSITIVE_INFINITY;
      }
    }
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** Continuations of runAsync hop into a microtask through this. */
const RESOLVED: Promise<void> = Promise.resolve();
