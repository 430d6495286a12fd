/**
 * Properties of the whole 802.3 ↔ 802.11 bridge: an Ethernet frame sent by one side arrives unchanged on the other
 * (both directions, with and without CCMP, hardware or software), and no input from the air makes the RX path
 * throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StaState } from '../../mac80211/driver-ops.ts';
import { CcmpKey } from '../../mac80211/rsn/ccmp.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { rxStatus } from './fake-driver.ts';
import { fromAp } from './frames.ts';
import { AP, eth, makePair, OTHER, type Pair, STA, TK, txSkb } from './world.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const unicastMac = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((a) => {
    a[0] = (a[0]! & 0xfe) | 0x02;
    return a;
  })
  .filter((a) => hex(a) !== hex(STA) && hex(a) !== hex(AP));

const ethFrame = fc.oneof(
  // EtherType frames, AARP and IPX (802.1H) included, any DSCP in an IPv4-looking payload
  fc.record({
    type: fc.oneof(fc.integer({ min: 0x0600, max: 0xffff }), fc.constantFrom(0x80f3, 0x8137, 0x0800, 0x86dd)),
    payload: fc.uint8Array({ minLength: 0, maxLength: 1500 }),
  }),
  // 802.3 length frames with an LLC that is not SNAP
  fc.uint8Array({ minLength: 3, maxLength: 1400 }).map((p) => {
    p[0] = 0x42;
    return { type: p.length, payload: p };
  }),
);

describe('802.3 → 802.11 → 802.3', () => {
  for (const mode of ['open', 'software CCMP', 'hardware CCMP on the sender'] as const) {
    it(`station → AP and AP → station, ${mode}`, async () => {
      const p: Pair = await makePair({
        air: true,
        keys: mode !== 'open',
        hwCiphers: mode === 'hardware CCMP on the sender' ? ['CCMP'] : [],
      });
      // Hardware encryption in the fake driver is not real: let the receiving side see software CCMP only.
      if (mode === 'hardware CCMP on the sender') {
        for (const side of [p.sta, p.ap]) side.drv.peer = null;
      }
      await fc.assert(
        fc.asyncProperty(ethFrame, unicastMac, fc.boolean(), async (f, peer, up) => {
          const [from, to, da, sa] = up ? [p.sta, p.ap, peer, STA] : [p.ap, p.sta, STA, peer];
          const frame = eth(da, sa, f.type, f.payload);
          from.dev.devQueueXmit(txSkb(from.dev, frame));
          const sent = from.drv.take();
          expect(sent).toHaveLength(1);
          if (mode === 'hardware CCMP on the sender') {
            // What the hardware would put on the air: mac80211 wrote the CCMP header; encrypt with the same PN.
            const b = sent[0]!.bytes;
            const pn = b[26]! + b[27]! * 256 + b[30]! * 65536;
            const key = new CcmpKey(TK);
            const hl = 26;
            const plain = Buffer.concat([b.subarray(0, hl), b.subarray(hl + 8), Buffer.alloc(8)]);
            const air = Buffer.alloc(plain.length + 8);
            plain.copy(air, 0, 0, hl);
            plain.copy(air, hl + 8, hl);
            key.encrypt(air, 0, air.length, pn);
            to.drv.inject(air);
          }
          const got = to.delivered.splice(0);
          expect(got.map(hex)).toEqual([hex(frame)]);
        }),
        { numRuns: 150 },
      );
      expect(p.ap.local.rxStats.dropped + p.sta.local.rxStats.dropped).toBe(0);
    });
  }
});

describe('no input from the air makes the RX path throw', () => {
  const status = fc.record({
    decrypted: fc.boolean(),
    ivStripped: fc.boolean(),
    micStripped: fc.boolean(),
    pn: fc.integer({ min: -1, max: 1000 }),
    keyIdx: fc.integer({ min: 0, max: 3 }),
    fcsFailed: fc.constant(false),
    hasFcs: fc.boolean(),
  });

  it('random bytes', async () => {
    const p = await makePair({ keys: true });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), status, async (bytes, st) => {
        p.sta.drv.inject(bytes, st);
        p.ap.drv.inject(bytes, st);
      }),
      { numRuns: 3000 },
    );
    expect(p.sta.local.rxStats.frames).toBe(3000);
  });

  it('valid frames with bits flipped, cut short, or with a random Frame Control', async () => {
    const p = await makePair({ keys: true, use4addr: false });
    const ap = new CcmpKey(TK);
    let pn = 1;
    const base = () => [
      fromAp({ key: ap, pn: pn++ }),
      fromAp({ amsdu: true, key: ap, pn: pn++ }),
      fromAp({ frag: 0, moreFragments: true, key: ap, pn: pn++ }),
      fromAp({ frag: 1, key: ap, pn: pn++ }),
      fromAp(),
      fromAp({ toDs: true, fromDs: true, addr4: OTHER }),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.boolean(),
        status,
        async (which, flips, cut, fcv, randomFc, st) => {
          const f = base()[which]!;
          for (const x of flips) f[x % f.length]! ^= 1 << (x % 8);
          if (randomFc) f.writeUInt16LE(fcv & 0xfffc, 0);
          const g = f.subarray(0, f.length - (cut % (f.length + 1)));
          p.sta.drv.inject(g, st);
          p.ap.drv.inject(g, st);
        },
      ),
      { numRuns: 3000 },
    );
    // Peers back to a lower state and again, with frames in between: still no throw.
    await p.sta.local.staMoveState(p.staPeer, StaState.AUTH);
    p.sta.drv.inject(fromAp());
    expect(p.sta.local.rxStats.frames).toBe(3001);
  });
});

describe('rxList (batched software CCMP) gives the same result as rx() frame by frame', () => {
  const ap = new CcmpKey(TK);
  const frame = fc.oneof(
    fc
      .record({ pn: fc.integer({ min: 1, max: 40 }), seq: fc.nat(4095), tid: fc.integer({ min: 0, max: 7 }) })
      .map((o) => fromAp({ ...o, key: ap })),
    fc
      .record({ pn: fc.integer({ min: 1, max: 40 }), frag: fc.integer({ min: 0, max: 2 }), more: fc.boolean() })
      .map((o) => fromAp({ key: ap, pn: o.pn, seq: 7, frag: o.frag, moreFragments: o.more })),
    fc.constant(null).map(() => fromAp()),
    fc.constant(null).map(() => fromAp({ payload: Buffer.from('aaaa03000000888e0203000000', 'hex') })),
    fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
    fc.record({ pn: fc.integer({ min: 1, max: 40 }), flip: fc.nat(200) }).map((o) => {
      const f = fromAp({ key: ap, pn: o.pn, seq: 9 });
      f[26 + 8 + (o.flip % 40)]! ^= 1;
      return f;
    }),
  );

  it('same deliveries, same EAPOL, same counters, for any split of the frames into polls', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(frame, { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 16 })),
        async (frames, cuts) => {
          const a = await makePair({ keys: true });
          const b = await makePair({ keys: true });
          for (const f of frames) a.sta.drv.inject(f);
          let i = 0;
          let c = 0;
          while (i < frames.length) {
            const n = cuts.length ? cuts[c++ % cuts.length]! : frames.length;
            const chunk = frames.slice(i, i + n);
            b.sta.local.rxList(
              chunk.map((f) => SkBuff.fromBytes(f, 64)),
              chunk.map(() => rxStatus()),
            );
            i += n;
          }
          expect(b.sta.delivered.map(hex)).toEqual(a.sta.delivered.map(hex));
          expect(b.sta.eapol).toEqual(a.sta.eapol);
          expect(JSON.stringify(b.sta.local.rxStats)).toBe(JSON.stringify(a.sta.local.rxStats));
        },
      ),
      { numRuns: 200 },
    );
  });
});
