/**
 * Two hosts on the in-memory link, for simulation tests: h1 (10.0.0.1) on `a`, h2 (10.0.0.2) on `b`, in virtual
 * time, seeded.
 */
import { VirtualClock } from '../../netstack/core/clock.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { parseIpv4 } from '../../netstack/inet/addr.ts';
import { createPair, type PairOptions } from '../../netstack/link/pair.ts';
import { Stack, type StackOptions } from '../../netstack/stack.ts';

export const H1 = parseIpv4('10.0.0.1');
export const H2 = parseIpv4('10.0.0.2');

export function twoHosts(
  opts: Omit<PairOptions, 'clock' | 'rng'> & { seed?: number; stack?: Partial<StackOptions> } = {},
) {
  const clock = new VirtualClock();
  const rng = new Prng(opts.seed ?? 1);
  const { a, b } = createPair({ ...opts, clock, rng: rng.fork('link') });
  const h1 = new Stack({ clock, name: 'h1', rng: rng.fork('h1'), ...opts.stack });
  const h2 = new Stack({ clock, name: 'h2', rng: rng.fork('h2'), ...opts.stack });
  h1.addDevice(a);
  h2.addDevice(b);
  h1.addAddress(a, '10.0.0.1/24');
  h2.addAddress(b, '10.0.0.2/24');
  return { clock, a, b, h1, h2 };
}
