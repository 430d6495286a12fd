/**
 * Two Stacks on the in-memory pair link, h1 10.0.0.1/24 on `a` and h2 10.0.0.2/24 on `b`, with permanent ARP entries
 * for each other and the clock run until idle: the starting point of tests that cross the link.
 */
import { VirtualClock } from '../../netstack/core/clock.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { parseIpv4 } from '../../netstack/inet/addr.ts';
import { createPair, type PairOptions } from '../../netstack/link/pair.ts';
import { Stack } from '../../netstack/stack.ts';

export function pairStacks(opts: Omit<PairOptions, 'clock' | 'rng'> = {}, seed = 7) {
  const clock = new VirtualClock();
  const { a, b } = createPair({ clock, rng: new Prng(seed), ...opts });
  const h1 = new Stack({ clock, name: 'h1' });
  const h2 = new Stack({ clock, name: 'h2' });
  h1.addDevice(a);
  h2.addDevice(b);
  h1.addAddress(a, '10.0.0.1/24');
  h2.addAddress(b, '10.0.0.2/24');
  h1.arp.tbl.addPermanent(a, parseIpv4('10.0.0.2'), b.addr);
  h2.arp.tbl.addPermanent(b, parseIpv4('10.0.0.1'), a.addr);
  clock.runUntilIdle();
  return { clock, a, b, h1, h2 };
}
