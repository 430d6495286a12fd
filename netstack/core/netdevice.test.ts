import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.ts';
import { NetCore, NetDevice, NetdevTx } from './netdevice.ts';
import { SkBuff } from './skb.ts';

class TestDev extends NetDevice {
  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    skb.free();
    return NetdevTx.OK;
  }
}

function rig() {
  const clock = new VirtualClock();
  const core = new NetCore(clock);
  const dev = new TestDev('t0');
  core.register(dev);
  dev.open();
  const seen: number[] = [];
  core.linkRx = (skb) => {
    seen.push(skb.len);
    skb.free();
    return false;
  };
  return { clock, core, dev, seen };
}

describe('netif_rx backlog', () => {
  it('delivers queued frames on the next softirq round', () => {
    const { clock, dev, seen } = rig();
    for (let i = 1; i <= 3; i++) dev.netifRx(SkBuff.fromBytes(new Uint8Array(60 + i)));
    expect(seen).toEqual([]);
    clock.runUntilIdle();
    expect(seen).toEqual([61, 62, 63]);
    expect(dev.softnet.processed).toBe(3);
  });

  it('a device taken down drops what waits in its backlog, counted, instead of delivering it later', () => {
    const { clock, dev, seen } = rig();
    let freed = 0;
    for (let i = 0; i < 3; i++) {
      const skb = SkBuff.fromBytes(new Uint8Array(60));
      skb.destructor = () => freed++;
      dev.netifRx(skb);
    }
    dev.close();
    clock.runUntilIdle();
    expect(seen).toEqual([]);
    expect(freed).toBe(3);
    expect(dev.stats.rxDropped).toBe(3);
    dev.open();
    dev.netifRx(SkBuff.fromBytes(new Uint8Array(64)));
    clock.runUntilIdle();
    expect(seen).toEqual([64]);
  });
});
