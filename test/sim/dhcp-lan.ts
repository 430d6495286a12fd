/**
 * A simulated Ethernet segment for DHCP and DNS scenarios with more than two hosts: a learning switch whose ports
 * are the far ends of in-memory pairs (netstack/link/pair.ts), so each host keeps its own faulty link and its own
 * wire counters. The switch floods broadcasts and unknown destinations and forwards known unicast to one port,
 * as a bridge does; it runs on the same virtual clock as the hosts.
 */
import type { VirtualClock } from '../../netstack/core/clock.ts';
import { NetCore } from '../../netstack/core/netdevice.ts';
import { Prng } from '../../netstack/core/prng.ts';
import type { SkBuff } from '../../netstack/core/skb.ts';
import { localMac } from '../../netstack/inet/addr.ts';
import { createPair, type LinkFaults, type PairDevice } from '../../netstack/link/pair.ts';
import { Stack } from '../../netstack/stack.ts';

export interface LanHost {
  stack: Stack;
  /** The host's device. */
  dev: PairDevice;
  /** The switch's port it is plugged into. */
  port: PairDevice;
}

export class Lan {
  private readonly core: NetCore;
  private readonly ports: PairDevice[] = [];
  private readonly fdb = new Map<string, PairDevice>();
  private readonly rng: Prng;
  private n = 0;
  /** Frames the switch forwarded (copies counted once per output port). */
  forwarded = 0;

  constructor(
    readonly clock: VirtualClock,
    seed: string | number = 'lan',
  ) {
    this.rng = new Prng(seed);
    this.core = new NetCore(clock);
    this.core.linkRx = (skb, dev) => {
      this.forward(skb, dev as PairDevice);
      return false;
    };
  }

  /** A new host (a Stack with one device, `eth0`) plugged into the switch; `faults` on its link, both ways. */
  host(name: string, faults: Partial<LinkFaults> = {}): LanHost {
    this.n++;
    const { a, b } = createPair({
      clock: this.clock,
      rng: this.rng.fork(`link:${name}`),
      names: ['eth0', `port${this.n}`],
      macs: [localMac(this.rng.nextU32(), this.n), localMac(this.rng.nextU32(), 0xf0 + (this.n & 0xf))],
      ...faults,
    });
    this.core.register(b);
    b.open();
    this.ports.push(b);
    const stack = new Stack({ clock: this.clock, name, rng: new Prng(`${name}`) });
    stack.addDevice(a);
    return { stack, dev: a, port: b };
  }

  private forward(skb: SkBuff, inPort: PairDevice): void {
    const b = skb.buf;
    const d = skb.data;
    if (skb.len >= 14) {
      const src = b.toString('hex', d + 6, d + 12);
      this.fdb.set(src, inPort);
      const dst = b.toString('hex', d, d + 6);
      const out = b[d]! & 1 ? undefined : this.fdb.get(dst);
      const targets = out !== undefined ? [out] : this.ports;
      for (const p of targets) {
        if (p === inPort) continue;
        this.forwarded++;
        p.devQueueXmit(skb.copy());
      }
    }
    skb.free();
  }
}
