/**
 * Fixtures for the socket tests: two stacks on the in-memory link in virtual time (test/sim/world.ts), plus small
 * helpers to run the clock alongside Node streams and to collect what a stream delivers.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { VirtualClock } from '../../netstack/core/clock.ts';
import { twoHosts } from '../sim/world.ts';

export { twoHosts };

/** Run virtual time (with Node's event loop in between) until `until()` holds; false if it never does. */
export function runUntil(clock: VirtualClock, until: () => boolean, maxTime = 600_000): Promise<boolean> {
  return clock.runAsync({ until, maxTime: clock.now() + maxTime });
}

/**
 * runUntil for code that also waits on real I/O (file system, the thread pool): virtual time may look idle while a
 * read is in flight, so keep running (and waiting a little in real time) until `until()` holds or `wallMs` passed.
 */
export async function runUntilWithIo(clock: VirtualClock, until: () => boolean, wallMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + wallMs;
  while (Date.now() < deadline) {
    if (await clock.runAsync({ until, maxTime: clock.now() + 600_000 })) return true;
    await new Promise((r) => setTimeout(r, 1));
  }
  return until();
}

/** Everything a readable delivers, and whether it ended / closed / failed. */
export function collect(s: Readable) {
  const chunks: Buffer[] = [];
  const st = {
    chunks,
    bytes: 0,
    ended: false,
    closed: false,
    error: null as (Error & { code?: string; syscall?: string }) | null,
    get data(): Buffer {
      return Buffer.concat(chunks);
    },
  };
  s.on('data', (d: Buffer) => {
    chunks.push(d);
    st.bytes += d.length;
  });
  s.on('end', () => {
    st.ended = true;
  });
  s.on('close', () => {
    st.closed = true;
  });
  s.on('error', (e: Error) => {
    st.error = e;
  });
  return st;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Deterministic bytes (a counter pattern): cheap, and a misplaced chunk shows. */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe((n + 3) & ~3);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < b.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b.subarray(0, n);
}
