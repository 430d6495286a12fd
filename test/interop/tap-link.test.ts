/**
 * The TAP link against the Linux kernel at the frame level, for each backend (fd with the epoll reader, fd with
 * the poll reader, socat): frames cross both ways, the kernel's ping is answered by a responder that works on raw
 * frames, the MTU is respected, and what create() made is removed by destroy(). The stack-level interop tests
 * (stack.test.ts) build on this.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../netstack/core/clock.ts';
import { NetCore } from '../../netstack/core/netdevice.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { TapDevice, TapError } from '../../netstack/link/tap.ts';
import { findCommand } from '../../netstack/link/tap/backend.ts';
import { ip, ipTry, linkState, netnsExists } from '../../netstack/link/tap/iproute.ts';
import { describeInterop, NetnsWorld } from './harness.ts';
import { kernelPing } from './peers.ts';
import { arpFrame, echoRequestToReply, parseArp } from './rawframes.ts';

/** A device on a stack core that records what it receives and answers ARP and ping for `ip` from raw frames. */
function rawHost(dev: TapDevice, clock: RealClock, myIp: string) {
  const core = new NetCore(clock);
  core.register(dev);
  dev.open();
  const frames: Buffer[] = [];
  let waiter: { pred: (f: Buffer) => boolean; resolve: (f: Buffer) => void } | null = null;
  core.addTap({
    dev,
    dir: 'rx',
    fn: (skb) => {
      const f = skb.copyBytes();
      frames.push(f);
      if (waiter?.pred(f)) {
        waiter.resolve(f);
        waiter = null;
      }
      const arp = parseArp(f);
      if (arp && arp.op === 1 && arp.targetIp === myIp) {
        dev.devQueueXmit(SkBuff.fromBytes(arpFrame(2, dev.addr, myIp, arp.senderMac, arp.senderIp)));
      } else if (echoRequestToReply(f, dev.addr, myIp)) {
        dev.devQueueXmit(SkBuff.fromBytes(f));
      }
    },
  });
  return {
    frames,
    next(pred: (f: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
      const seen = frames.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no matching frame from the kernel')), timeoutMs);
        waiter = {
          pred,
          resolve: (f) => {
            clearTimeout(t);
            resolve(f);
          },
        };
      });
    },
  };
}

const variants = [
  { title: 'fd backend, epoll reader', opts: { backend: 'fd', reader: 'epoll' }, tool: 'python3' },
  { title: 'fd backend, poll reader', opts: { backend: 'fd', reader: 'poll' }, tool: 'python3' },
  { title: 'socat backend', opts: { backend: 'socat' }, tool: 'socat' },
] as const;

for (const v of variants) {
  describeInterop(`TAP link with the kernel: ${v.title}`, { tools: ['ping', v.tool] }, () => {
    const clock = new RealClock();
    let world: NetnsWorld;
    let dev: TapDevice;
    let host: ReturnType<typeof rawHost>;

    beforeAll(async () => {
      world = await NetnsWorld.create();
      dev = await world.attachTap(clock, v.opts);
      host = rawHost(dev, clock, world.airstackIp);
    });
    afterAll(() => world?.destroy());

    it('puts the kernel side in the namespace, up, with the TAP’s MTU', () => {
      const st = linkState(world.tapName, world.ns);
      expect(st?.up).toBe(true);
      expect(dev.mtu).toBe(st?.mtu);
      expect(linkState(world.tapName)).toBeNull(); // not in our namespace
      expect(dev.describe()).toContain(v.opts.backend);
    });

    it('the kernel answers an ARP request written into the TAP', async () => {
      dev.devQueueXmit(SkBuff.fromBytes(arpFrame(1, dev.addr, world.airstackIp, dev.addr, world.kernelIp)));
      const reply = await host.next((f) => {
        const a = parseArp(f);
        return a?.op === 2 && a.senderIp === world.kernelIp;
      });
      expect(reply.subarray(0, 6)).toEqual(dev.addr);
      expect(dev.counters.txFrames).toBeGreaterThanOrEqual(1);
    });

    it('the kernel’s ping gets through and is answered, up to full-MTU frames', async () => {
      const small = await kernelPing(world, world.airstackIp, { count: 5 });
      expect(small.received, small.output).toBe(5);
      const full = await kernelPing(world, world.airstackIp, { count: 3, size: dev.mtu - 28 });
      expect(full.received, full.output).toBe(3);
      expect(host.frames.some((f) => f.length === dev.mtu + 14)).toBe(true);
      expect(dev.counters.rxRunts + dev.counters.rxOversize + dev.counters.rxReadErrors).toBe(0);
    });

    it('drops and counts a frame longer than the MTU instead of writing it', () => {
      const before = dev.counters.txFrames;
      const f = Buffer.alloc(dev.mtu + 15);
      f.writeUInt16BE(0x0800, 12);
      dev.devQueueXmit(SkBuff.fromBytes(f));
      expect(dev.counters.txLengthErrors).toBe(1);
      expect(dev.counters.txFrames).toBe(before);
    });
  });
}

describeInterop('TAP link lifecycle', { tools: ['python3', 'socat'] }, () => {
  const clock = new RealClock();
  let world: NetnsWorld;
  beforeAll(async () => {
    world = await NetnsWorld.create();
  });
  afterAll(() => world?.destroy());

  it('destroy() removes the TAP it created and the namespace it created', async () => {
    const ns = `${world.ns}-x`;
    const name = `${world.tapName}x`.slice(0, 15);
    const dev = await TapDevice.create({ name, clock, netns: ns, mtu: 1400 });
    expect(netnsExists(ns)).toBe(true);
    expect(linkState(name, ns)?.mtu).toBe(1400);
    expect(dev.mtu).toBe(1400);
    await dev.destroy();
    expect(netnsExists(ns)).toBe(false);
    expect(linkState(name)).toBeNull();
  });

  it('attaches to an existing TAP, and leaves it as it found it', async () => {
    const name = `${world.tapName}p`.slice(0, 15);
    ip(['tuntap', 'add', 'dev', name, 'mode', 'tap']);
    try {
      const dev = await TapDevice.create({ name, clock });
      expect(linkState(name)?.up).toBe(true);
      expect(dev.describe()).toContain('existing');
      await dev.destroy();
      expect(linkState(name)?.up).toBe(false);
    } finally {
      ipTry(['tuntap', 'del', 'dev', name, 'mode', 'tap']);
    }
  });

  it('refuses a name that belongs to another kind of device, or is not a valid name', async () => {
    await expect(TapDevice.create({ name: 'lo', clock })).rejects.toThrow(/lo exists and is not a TAP/);
    await expect(TapDevice.create({ name: 'a/b', clock })).rejects.toBeInstanceOf(TapError);
    await expect(TapDevice.create({ name: 'x'.repeat(16), clock })).rejects.toThrow(/invalid interface name/);
  });

  it('says a TAP another process holds is in use, whichever backend tries', async () => {
    const name = `${world.tapName}b`.slice(0, 15);
    const holder = await TapDevice.create({ name, clock, up: false });
    try {
      for (const backend of ['fd', 'socat'] as const) {
        const err = await TapDevice.create({ name, clock, backend }).catch((e: unknown) => e);
        expect(err, backend).toBeInstanceOf(TapError);
        expect((err as TapError).message).toBe(`TAP ${name} is already in use by another process`);
      }
    } finally {
      await holder.destroy();
    }
    expect(linkState(name)).toBeNull();
  });

  for (const v of variants) {
    it(`reports the link as lost, once, when the TAP is deleted under it: ${v.title}`, async () => {
      const dev = await world.attachTap(clock, v.opts);
      const reasons: string[] = [];
      const lost = new Promise<void>((resolve) =>
        dev.onLinkLost((r) => {
          reasons.push(r);
          resolve();
        }),
      );
      ip(['link', 'del', 'dev', world.tapName], world.ns);
      await lost;
      await new Promise((r) => setTimeout(r, 20)); // a reader that kept going would report again, or count errors
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(v.opts.backend === 'socat' ? /socat/ : /^EBADFD$/);
      expect(dev.counters.rxReadErrors).toBeLessThanOrEqual(2);
      await dev.destroy();
    });
  }
});

// As root this cannot happen (host-cli.test.ts covers the CLI's refusal with setpriv); without root it must.
describe.skipIf(process.getuid?.() === 0 || findCommand('ip') === null)('TAP link without root', () => {
  it('says what is wrong in one line', async () => {
    await expect(TapDevice.create({ name: 'airstack0', clock: new RealClock() })).rejects.toThrow(/root|permission/i);
  });
});
