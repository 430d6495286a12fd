/**
 * Sleeping and register polling on the injected clock (mt76 util.c mt76_poll / mt76_poll_msec, msleep,
 * usleep_range). Time is in milliseconds; fractions are microseconds.
 */
import type { Clock } from '../../netstack/core/clock.ts';
import type { RegAccess } from './bus.ts';

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/**
 * Re-read `addr` until (value & mask) == val or `timeoutMs` has passed on the clock; re-read every `intervalMs`.
 * Returns true on success. mt76_poll_msec uses a ~10 ms interval, mt76_poll ~10 µs.
 */
export async function pollReg(
  regs: RegAccess,
  clock: Clock,
  addr: number,
  mask: number,
  val: number,
  timeoutMs: number,
  intervalMs = 10,
): Promise<boolean> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const cur = await regs.rr(addr);
    if ((cur & mask) >>> 0 === val >>> 0) return true;
    if (clock.now() >= deadline) return false;
    await sleep(clock, Math.min(intervalMs, Math.max(0, deadline - clock.now())));
  }
}

/** mt76_poll_msec */
export function pollMsec(regs: RegAccess, clock: Clock, addr: number, mask: number, val: number, timeoutMs: number) {
  return pollReg(regs, clock, addr, mask, val, timeoutMs, 10);
}

/** mt76_poll: a microsecond budget, re-read about every 10 µs. */
export function pollUsec(regs: RegAccess, clock: Clock, addr: number, mask: number, val: number, timeoutUs: number) {
  return pollReg(regs, clock, addr, mask, val, timeoutUs / 1000, 0.01);
}
