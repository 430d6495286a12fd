/**
 * Capture a stack's traffic to pcapng through its taps (ptype_all): every frame received (before any layer looks
 * at it) and every frame handed to a driver, each device its own interface block with its link type.
 */
import type { Clock } from '../core/clock.ts';
import type { NetCore, NetDevice } from '../core/netdevice.ts';
import type { SkBuff } from '../core/skb.ts';
import type { PcapngWriter } from './pcapng-writer.ts';

export interface CaptureOptions {
  /** Only these devices (default: all, including loopback). */
  devices?: NetDevice[];
  /** Prefix for interface names (e.g. the stack's name): "h1/eth0". */
  prefix?: string;
}

/** Attach `writer` to the taps of `core`; returns a function that detaches it. */
export function attachPcap(
  host: { core: NetCore; clock: Clock; name?: string },
  writer: PcapngWriter,
  opts: CaptureOptions = {},
): () => void {
  const ids = new Map<NetDevice, number>();
  const only = opts.devices ? new Set(opts.devices) : null;
  const prefix = opts.prefix ?? host.name;
  const idFor = (dev: NetDevice): number => {
    let id = ids.get(dev);
    if (id === undefined) {
      id = writer.addInterface({
        linkType: dev.linkType,
        name: prefix ? `${prefix}/${dev.name}` : dev.name,
        mac: dev.addr,
      });
      ids.set(dev, id);
    }
    return id;
  };
  return host.core.addTap({
    dev: null,
    dir: 'both',
    fn: (skb: SkBuff, dev: NetDevice, dir) => {
      if (only !== null && !only.has(dev)) return;
      writer.writePacket(idFor(dev), host.clock.wallTime(), skb.buf, skb.data, skb.len, {
        direction: dir === 'rx' ? 'in' : 'out',
      });
    },
  });
}
