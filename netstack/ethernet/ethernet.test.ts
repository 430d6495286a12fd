import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.ts';
import { PacketType, type SkBuff } from '../core/skb.ts';
import { NetCore } from '../core/netdevice.ts';
import { parseMac } from '../inet/addr.ts';
import { RecordingDevice } from '../link/recording.ts';
import { Ethernet, ethSkbPad } from './ethernet.ts';
import {
  decodeEthHeader,
  encodeEthHeader,
  ETH_P_8021AD,
  ETH_P_8021Q,
  ETH_P_802_2,
  ETH_P_ARP,
  ETH_P_IP,
} from './header.ts';
import { SkBuff as Skb } from '../core/skb.ts';

const MY_MAC = parseMac('02:00:00:00:00:01');
const OTHER = parseMac('02:00:00:00:00:99');
const BCAST = parseMac('ff:ff:ff:ff:ff:ff');

function setup() {
  const clock = new VirtualClock();
  const core = new NetCore(clock);
  const eth = new Ethernet(core);
  const dev = new RecordingDevice('eth0', MY_MAC);
  core.register(dev);
  dev.open();
  const got: Array<{ proto: number; pktType: PacketType; vlanTci: number; payload: Buffer }> = [];
  const handler = (skb: SkBuff) => {
    got.push({ proto: skb.protocol, pktType: skb.pktType, vlanTci: skb.vlanTci, payload: skb.copyBytes() });
    skb.free();
  };
  core.addProtocol(ETH_P_IP, handler);
  core.addProtocol(ETH_P_ARP, handler);
  return { clock, core, eth, dev, got };
}

describe('Ethernet header codec', () => {
  it('encode → decode round-trips, with up to two tags', () => {
    const tag = fc.record({
      tpid: fc.constantFrom(ETH_P_8021Q, ETH_P_8021AD),
      tci: fc.integer({ min: 0, max: 0xffff }),
    });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.array(tag, { maxLength: 2 }),
        fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== ETH_P_8021Q && t !== ETH_P_8021AD),
        (dst, src, tags, type) => {
          const bytes = encodeEthHeader({ dst, src, tags, type });
          const h = decodeEthHeader(bytes)!;
          expect(h.type).toBe(type);
          expect(h.tags).toEqual(tags);
          expect([...h.dst]).toEqual([...dst]);
          expect([...h.src]).toEqual([...src]);
          expect(h.headerLen).toBe(bytes.length);
        },
      ),
    );
  });

  it('never throws on random or truncated input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const h = decodeEthHeader(b);
        if (b.length < 14) expect(h).toBeNull();
      }),
    );
  });
});

describe('eth_type_trans', () => {
  it('classifies by destination and pulls the header', () => {
    const { clock, dev, got, eth } = setup();
    const payload = Buffer.from('45000014', 'hex');
    dev.inject(Buffer.concat([encodeEthHeader({ dst: MY_MAC, src: OTHER, tags: [], type: ETH_P_IP }), payload]));
    dev.inject(Buffer.concat([encodeEthHeader({ dst: BCAST, src: OTHER, tags: [], type: ETH_P_ARP }), payload]));
    dev.inject(
      Buffer.concat([
        encodeEthHeader({ dst: parseMac('01:00:5e:00:00:01'), src: OTHER, tags: [], type: 0x800 }),
        payload,
      ]),
    );
    dev.inject(Buffer.concat([encodeEthHeader({ dst: OTHER, src: OTHER, tags: [], type: ETH_P_IP }), payload]));
    clock.runUntilIdle();
    expect(got.map((g) => g.pktType)).toEqual([
      PacketType.HOST,
      PacketType.BROADCAST,
      PacketType.MULTICAST,
      PacketType.OTHERHOST,
    ]);
    expect(got[0]!.payload).toEqual(payload);
    expect(got[1]!.proto).toBe(ETH_P_ARP);
    expect(eth.stats.rxOtherHost).toBe(1);
    expect(dev.stats.rxMulticast).toBe(2);
  });

  it('strips one 802.1Q tag into vlanTci; a VLAN we have not joined is another host', () => {
    const { clock, dev, got, eth } = setup();
    const body = Buffer.from('4500', 'hex');
    const tagged = (tci: number, tpid = ETH_P_8021Q) =>
      Buffer.concat([encodeEthHeader({ dst: MY_MAC, src: OTHER, tags: [{ tpid, tci }], type: ETH_P_IP }), body]);
    dev.inject(tagged(0x2000)); // priority tag, VID 0
    dev.inject(tagged(0x0005)); // VID 5, not joined
    eth.acceptVlan(dev, 7);
    dev.inject(tagged(0x0007, ETH_P_8021AD));
    clock.runUntilIdle();
    expect(got.map((g) => [g.vlanTci, g.pktType])).toEqual([
      [0x2000, PacketType.HOST],
      [5, PacketType.OTHERHOST],
      [7, PacketType.HOST],
    ]);
    expect(got.every((g) => g.payload.equals(body))).toBe(true);
    expect(eth.stats.rxVlanTagged).toBe(3);
    expect(eth.stats.rxVlanOtherHost).toBe(1);
  });

  it('drops and counts runts, QinQ and 802.3 frames nobody handles', () => {
    const { clock, core, dev, got, eth } = setup();
    dev.inject(Buffer.alloc(13));
    dev.inject(
      encodeEthHeader({ dst: MY_MAC, src: OTHER, tags: [{ tpid: ETH_P_8021Q, tci: 1 }], type: 0 }).subarray(0, 16),
    );
    dev.inject(
      encodeEthHeader({
        dst: MY_MAC,
        src: OTHER,
        tags: [
          { tpid: ETH_P_8021AD, tci: 1 },
          { tpid: ETH_P_8021Q, tci: 2 },
        ],
        type: ETH_P_IP,
      }),
    );
    dev.inject(
      Buffer.concat([encodeEthHeader({ dst: MY_MAC, src: OTHER, tags: [], type: 46 }), Buffer.alloc(46, 0xaa)]),
    );
    clock.runUntilIdle();
    expect(got).toEqual([]);
    expect(eth.stats.rxRunts).toBe(2);
    expect(eth.stats.rxNestedVlanDrops).toBe(1);
    expect(eth.stats.rx8023).toBe(1);
    expect(core.unknownProtocol).toBe(1);
    expect(dev.stats.rxErrors).toBe(2);
    expect(dev.stats.rxPackets).toBe(4);
  });

  it('never throws on random frames, and every frame is delivered or counted', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 20 }), (frames) => {
        const { clock, core, dev, got, eth } = setup();
        for (const f of frames) dev.inject(f);
        clock.runUntilIdle();
        const counted = eth.stats.rxRunts + eth.stats.rxNestedVlanDrops + core.unknownProtocol;
        expect(got.length + counted).toBe(frames.length);
      }),
    );
  });

  it('builds headers on output, tagged when skb.vlanTci is set, and pads short frames', () => {
    const { eth, dev } = setup();
    const skb = Skb.fromBytes(Buffer.from([1, 2, 3]), 32);
    eth.header(skb, dev, ETH_P_IP, OTHER);
    expect(decodeEthHeader(skb.bytes())).toMatchObject({ type: ETH_P_IP, tags: [], headerLen: 14 });
    const t = Skb.fromBytes(Buffer.from([1]), 32);
    t.vlanTci = 0x0123;
    eth.header(t, dev, ETH_P_802_2, OTHER);
    expect(decodeEthHeader(t.bytes())).toMatchObject({ type: ETH_P_802_2, tags: [{ tpid: ETH_P_8021Q, tci: 0x123 }] });
    expect(ethSkbPad(t)).toBe(true);
    expect(t.len).toBe(60);
    expect(
      t
        .bytes()
        .subarray(19)
        .every((x) => x === 0),
    ).toBe(true);
    expect(ethSkbPad(t)).toBe(false);
  });
});
