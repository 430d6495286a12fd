/**
 * The RX path through a fake driver: frames injected as the driver's NAPI poll would hand them, and what reaches the
 * station's net device, its RSN handler and its MLME handler, with every drop counted under its reason.
 */
import { describe, expect, it } from 'vitest';
import { macFromString } from '../../mac80211/addr.ts';
import { CcmpKey } from '../../mac80211/rsn/ccmp.ts';
import { amsduBody, fromAp, LLC_IP } from './frames.ts';
import { AP, eth, GTK, makePair, OTHER, STA, TK } from './world.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const PAYLOAD = Buffer.alloc(40, 0x11);
const expected = eth(STA, AP, 0x0800, PAYLOAD);

describe('mac80211 RX: delivery and duplicates', () => {
  it('a data frame from the AP arrives as the Ethernet frame, with the TID as priority', async () => {
    const p = await makePair();
    const prios: number[] = [];
    p.sta.core.addTap({ dev: p.sta.dev, dir: 'rx', fn: (skb) => prios.push(skb.priority) });
    p.sta.drv.inject(fromAp({ tid: 5 }));
    expect(p.sta.delivered.map(hex)).toEqual([hex(expected)]);
    expect(prios).toEqual([5]);
    expect(p.sta.local.rxStats.delivered).toBe(1);
    expect(p.staPeer.rx.msdu[5]).toBe(1);
  });

  it('a retransmission (Retry bit, same Sequence Control, same TID) is dropped; other TIDs are not', async () => {
    const p = await makePair();
    p.sta.drv.inject(fromAp({ seq: 7 }));
    p.sta.drv.inject(fromAp({ seq: 7, retry: true }));
    p.sta.drv.inject(fromAp({ seq: 7, retry: true, tid: 3 }));
    p.sta.drv.inject(fromAp({ seq: 7 })); // no Retry bit: a new frame that happens to reuse the number
    expect(p.sta.delivered).toHaveLength(3);
    expect(p.sta.local.rxStats.drop.duplicate).toBe(1);
    expect(p.staPeer.rx.duplicates).toBe(1);
  });

  it('Null frames are consumed for keepalive accounting, never delivered', async () => {
    const p = await makePair();
    p.clock.runFor(1234);
    p.sta.drv.inject(fromAp({ nullData: true, payload: new Uint8Array(0) }));
    expect(p.sta.delivered).toHaveLength(0);
    expect(p.sta.local.rxStats.drop.nullfunc).toBe(1);
    expect(p.staPeer.rx.nullfunc).toBe(1);
    expect(p.staPeer.rx.lastRx).toBe(p.clock.now());
  });

  it('sanity: FCS failures, FCS removal, control frames, short frames, unknown senders', async () => {
    const p = await makePair();
    const f = fromAp();
    const withFcs = Buffer.concat([f, Buffer.from([1, 2, 3, 4])]);
    p.sta.drv.inject(withFcs, { hasFcs: true });
    p.sta.drv.inject(withFcs, { hasFcs: true, fcsFailed: true });
    p.sta.drv.inject(Buffer.from('d4000000020000000b00', 'hex')); // ACK
    p.sta.drv.inject(f.subarray(0, 20));
    p.sta.drv.inject(fromAp({ addr2: OTHER, addr3: OTHER }));
    const d = p.sta.local.rxStats.drop;
    expect(p.sta.delivered.map(hex)).toEqual([hex(expected)]);
    expect([d['fcs-failed'], d.control, d.short, d['not-associated']]).toEqual([1, 1, 1, 1]);
  });

  it('data before the port is authorized is dropped; EAPOL goes to the RSN handler, not to the stack', async () => {
    const p = await makePair({ authorize: false });
    const eapol = Buffer.from('0203005f02008a00100000000000000001', 'hex');
    p.sta.drv.inject(fromAp());
    p.sta.drv.inject(fromAp({ payload: Buffer.concat([Buffer.from('aaaa03000000888e', 'hex'), eapol]) }));
    p.sta.drv.inject(
      fromAp({ addr1: STA, addr3: AP, payload: Buffer.concat([Buffer.from('aaaa03000000888e', 'hex'), eapol]) }),
    );
    expect(p.sta.delivered).toHaveLength(0);
    expect(p.sta.eapol.map((e) => [hex(e.src), hex(e.pdu), e.encrypted])).toEqual([
      [hex(AP), hex(eapol), false],
      [hex(AP), hex(eapol), false],
    ]);
    expect(p.sta.local.rxStats.drop['port-unauthorized']).toBe(1);
  });

  it('EAPOL to another station’s address is dropped', async () => {
    const p = await makePair();
    // A 4-address-free way to get DA ≠ us: a group-addressed frame whose DA is not the PAE group address.
    p.sta.drv.inject(
      fromAp({ addr1: Buffer.alloc(6, 0xff), payload: Buffer.from('aaaa03000000888e0203000000', 'hex') }),
    );
    expect(p.sta.eapol).toHaveLength(0);
    expect(p.sta.local.rxStats.drop['eapol-bad-dest']).toBe(1);
  });

  it('LLC/SNAP: RFC 1042 AppleTalk ARP keeps its LLC (802.3), 802.1H IPX and plain LLC as Linux does', async () => {
    const p = await makePair();
    const aarp = Buffer.from('aaaa0300000080f3abcd', 'hex');
    const ipx = Buffer.from('aaaa030000f88137abcd', 'hex');
    const llc = Buffer.from('4242030102', 'hex');
    for (const payload of [aarp, ipx, llc]) p.sta.drv.inject(fromAp({ payload }));
    expect(p.sta.delivered.map(hex)).toEqual([
      hex(Buffer.concat([STA, AP, Buffer.from([0, aarp.length]), aarp])),
      hex(eth(STA, AP, 0x8137, Buffer.from('abcd', 'hex'))),
      hex(Buffer.concat([STA, AP, Buffer.from([0, llc.length]), llc])),
    ]);
  });

  it('our own multicast relayed back by the AP is dropped', async () => {
    const p = await makePair();
    const group = macFromString('01:00:5e:00:00:fb');
    p.sta.drv.inject(fromAp({ addr1: group, addr3: STA }));
    p.sta.drv.inject(fromAp({ addr1: group, addr3: OTHER }));
    expect(p.sta.delivered.map(hex)).toEqual([hex(eth(group, OTHER, 0x0800, PAYLOAD))]);
    expect(p.sta.local.rxStats.drop['own-multicast']).toBe(1);
  });

  it('4-address frames: delivered with DA = addr3, SA = addr4 to a 4-address station, not to a 3-address one', async () => {
    const sa = macFromString('02:00:00:00:0e:00');
    const f = fromAp({ toDs: true, fromDs: true, addr1: STA, addr2: AP, addr3: OTHER, addr4: sa });
    const p4 = await makePair({ use4addr: true });
    p4.sta.drv.inject(f);
    expect(p4.sta.delivered.map(hex)).toEqual([hex(eth(OTHER, sa, 0x0800, PAYLOAD))]);
    const p3 = await makePair();
    p3.sta.drv.inject(f);
    expect(p3.sta.delivered).toHaveLength(0);
    expect(p3.sta.local.rxStats.drop['no-interface']).toBe(1);
  });

  it('management frames go to the MLME handler; with none registered they are counted', async () => {
    const p = await makePair();
    const beacon = Buffer.from(`80000000ffffffffffff${hex(AP)}${hex(AP)}10000000000000000000640011040000`, 'hex');
    p.sta.drv.inject(beacon);
    expect(p.sta.mgmt.map(hex)).toEqual([hex(beacon)]);
    p.sta.sdata.mlme = null;
    p.sta.drv.inject(beacon);
    expect(p.sta.local.rxStats.drop['mgmt-no-handler']).toBe(1);
  });
});

describe('mac80211 RX: CCMP', () => {
  it('software decryption, replays (equal and lower PN) and forgeries dropped and counted', async () => {
    const p = await makePair({ keys: true });
    const ap = new CcmpKey(TK);
    p.sta.drv.inject(fromAp({ key: ap, pn: 5, seq: 1 }));
    p.sta.drv.inject(fromAp({ key: ap, pn: 5, seq: 2 }));
    p.sta.drv.inject(fromAp({ key: ap, pn: 4, seq: 3 }));
    const forged = fromAp({ key: ap, pn: 9, seq: 4 });
    forged[forged.length - 20]! ^= 1;
    p.sta.drv.inject(forged);
    p.sta.drv.inject(fromAp({ key: ap, pn: 9, seq: 5, tid: 2 })); // another TID, its own counter
    const d = p.sta.local.rxStats.drop;
    expect(p.sta.delivered.map(hex)).toEqual([hex(expected), hex(expected)]);
    expect([d['ccmp-replay'], d['ccmp-mic']]).toEqual([2, 1]);
    expect(p.sta.local.rxStats.swDecrypted).toBe(2);
  });

  it('group-addressed frames under the GTK; an unknown Key ID is dropped', async () => {
    const p = await makePair({ keys: true });
    const bcast = Buffer.alloc(6, 0xff);
    p.sta.drv.inject(fromAp({ addr1: bcast, tid: undefined, key: new CcmpKey(GTK, { keyIdx: 1 }) }));
    p.sta.drv.inject(fromAp({ addr1: bcast, tid: undefined, key: new CcmpKey(GTK, { keyIdx: 2 }) }));
    expect(p.sta.delivered.map(hex)).toEqual([hex(eth(bcast, AP, 0x0800, PAYLOAD))]);
    expect(p.sta.local.rxStats.drop['no-key']).toBe(1);
  });

  it('unprotected data in a protected session is dropped; unprotected EAPOL still reaches the RSN handler', async () => {
    const p = await makePair({ keys: true });
    p.sta.drv.inject(fromAp());
    p.sta.drv.inject(fromAp({ payload: Buffer.from('aaaa03000000888e0203000000', 'hex') }));
    expect(p.sta.delivered).toHaveLength(0);
    expect(p.sta.local.rxStats.drop.unprotected).toBe(1);
    expect(p.sta.eapol.map((e) => e.encrypted)).toEqual([false]);
  });

  it('hardware-decrypted frames: PN from the status when the IV is stripped, from the header otherwise', async () => {
    const p = await makePair({ keys: true, hwCiphers: ['CCMP'] });
    const plain = fromAp({ seq: 1 });
    plain[1]! |= 0x40;
    p.sta.drv.inject(plain, { decrypted: true, ivStripped: true, micStripped: true, pn: 10 });
    p.sta.drv.inject(fromAp({ seq: 2 }), { decrypted: true, ivStripped: true, micStripped: true, pn: 10 });
    // IV and MIC left in place by the hardware (plaintext between them).
    const withIv = Buffer.concat([
      plain.subarray(0, 26),
      Buffer.from('0b00002000000000', 'hex'),
      plain.subarray(26),
      Buffer.alloc(8, 0xee),
    ]);
    withIv.writeUInt16LE(3 << 4, 22);
    p.sta.drv.inject(withIv, { decrypted: true });
    p.sta.drv.inject(withIv, { decrypted: true, pn: -1 });
    expect(p.sta.delivered.map(hex)).toEqual([hex(expected), hex(expected)]);
    expect(p.sta.local.rxStats.drop['ccmp-replay']).toBe(2);
    expect(p.sta.local.rxStats.hwDecrypted).toBe(2);
  });
});

describe('mac80211 RX: defragmentation (with the FragAttacks defences)', () => {
  const msdu = Buffer.concat([LLC_IP, Buffer.alloc(300, 0x22)]);
  const parts = [msdu.subarray(0, 100), msdu.subarray(100, 200), msdu.subarray(200)];
  const whole = eth(STA, AP, 0x0800, msdu.subarray(8));
  function frags(o: { key?: CcmpKey; pns?: number[]; seq?: number; keyIds?: CcmpKey[] }) {
    return parts.map((payload, i) =>
      fromAp({
        payload,
        seq: o.seq ?? 9,
        frag: i,
        moreFragments: i < parts.length - 1,
        key: o.keyIds?.[i] ?? o.key,
        pn: o.pns?.[i],
      }),
    );
  }

  it('plaintext fragments reassemble on an open network', async () => {
    const p = await makePair();
    for (const f of frags({})) p.sta.drv.inject(f);
    expect(p.sta.delivered.map(hex)).toEqual([hex(whole)]);
    expect(p.sta.local.rxStats.fragments).toBe(3);
    expect(p.sta.local.rxStats.reassembled).toBe(1);
  });

  it('CCMP fragments with consecutive PNs reassemble; a PN gap drops the MSDU', async () => {
    const p = await makePair({ keys: true });
    const ap = new CcmpKey(TK);
    for (const f of frags({ key: ap, pns: [1, 2, 3], seq: 1 })) p.sta.drv.inject(f);
    for (const f of frags({ key: ap, pns: [4, 6, 7], seq: 2 })) p.sta.drv.inject(f);
    expect(p.sta.delivered.map(hex)).toEqual([hex(whole)]);
    expect(p.sta.local.rxStats.drop['defrag-nonseq-pn']).toBe(1);
    expect(p.sta.local.rxStats.drop['defrag-no-entry']).toBe(1);
  });

  it('a plaintext fragment in a protected session is dropped', async () => {
    const p = await makePair({ keys: true });
    const ap = new CcmpKey(TK);
    const [f0, , f2] = frags({ key: ap, pns: [1, 2, 3] });
    const [, plain1] = frags({});
    for (const f of [f0!, plain1!, f2!]) p.sta.drv.inject(f);
    expect(p.sta.delivered).toHaveLength(0);
    expect(p.sta.local.rxStats.drop['defrag-plaintext']).toBe(1);
  });

  it('fragments under different keys (mixed-key attack) are dropped', async () => {
    const p = await makePair({ keys: true });
    const tk1 = Buffer.alloc(16, 0x31);
    await p.sta.local.setKey(p.sta.sdata, p.staPeer, { cipher: 'CCMP', keyIdx: 1, key: tk1, pairwise: true });
    const k0 = new CcmpKey(TK, { keyIdx: 0 });
    const k1 = new CcmpKey(tk1, { keyIdx: 1 });
    const fs = frags({ keyIds: [k0, k1, k1], pns: [1, 2, 3] });
    for (const f of fs) p.sta.drv.inject(f);
    expect(p.sta.delivered).toHaveLength(0);
    expect(p.sta.local.rxStats.drop['defrag-key-mismatch']).toBe(1);
  });

  it('a rekey flushes partial MSDUs; so do two seconds without the next fragment', async () => {
    const p = await makePair({ keys: true });
    const ap = new CcmpKey(TK);
    const fs = frags({ key: ap, pns: [1, 2, 3] });
    p.sta.drv.inject(fs[0]!);
    expect(p.staPeer.frags.pending).toBe(1);
    await p.sta.local.setKey(p.sta.sdata, p.staPeer, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true });
    expect(p.staPeer.frags.pending).toBe(0);
    p.sta.drv.inject(fs[1]!);
    expect(p.sta.local.rxStats.drop['defrag-no-entry']).toBe(1);

    const q = await makePair();
    const plain = frags({});
    q.sta.drv.inject(plain[0]!);
    q.clock.runFor(2500);
    q.sta.drv.inject(plain[1]!);
    expect(q.sta.local.rxStats.drop['defrag-no-entry']).toBe(1);
  });

  it('group-addressed fragments are dropped', async () => {
    const p = await makePair();
    p.sta.drv.inject(fromAp({ addr1: Buffer.alloc(6, 0xff), frag: 0, moreFragments: true }));
    expect(p.sta.local.rxStats.drop['defrag-multicast']).toBe(1);
  });
});

describe('mac80211 RX: A-MSDU', () => {
  const ip = (n: number) => Buffer.concat([LLC_IP, Buffer.alloc(n, n)]);
  const amsdu = (body: Buffer, o = {}) => fromAp({ amsdu: true, payload: body, ...o });

  it('subframes become Ethernet frames, in order', async () => {
    const p = await makePair();
    const body = amsduBody([
      { da: STA, sa: AP, msdu: ip(21) },
      { da: STA, sa: OTHER, msdu: ip(40) },
      { da: STA, sa: AP, msdu: Buffer.from('4242030102', 'hex') },
    ]);
    p.sta.drv.inject(amsdu(body));
    expect(p.sta.delivered.map(hex)).toEqual([
      hex(eth(STA, AP, 0x0800, Buffer.alloc(21, 21))),
      hex(eth(STA, OTHER, 0x0800, Buffer.alloc(40, 40))),
      hex(Buffer.concat([STA, AP, Buffer.from('0005', 'hex'), Buffer.from('4242030102', 'hex')])),
    ]);
    expect(p.sta.local.rxStats.amsduSubframes).toBe(3);
  });

  it('FragAttacks: a plain frame with the A-MSDU bit flipped (first subframe DA = AA AA 03 00 00 00) is dropped', async () => {
    const p = await makePair({ keys: true });
    const ap = new CcmpKey(TK);
    const f = fromAp({ key: ap, pn: 1 });
    f[24]! |= 0x80; // not covered by the MIC without SPP A-MSDU
    p.sta.drv.inject(f);
    expect(p.sta.delivered).toHaveLength(0);
    expect(p.sta.local.rxStats.drop['amsdu-rfc1042-da']).toBe(1);
  });

  it('SPP A-MSDU: the flipped A-MSDU bit fails the MIC', async () => {
    const p = await makePair({ keys: true });
    p.staPeer.sppAmsdu = true;
    await p.sta.local.setKey(p.sta.sdata, p.staPeer, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true });
    const ap = new CcmpKey(TK, { sppAmsdu: true });
    const ok = fromAp({ key: ap, pn: 1, amsdu: true, payload: amsduBody([{ da: STA, sa: AP, msdu: ip(8) }]) });
    const flipped = fromAp({ key: ap, pn: 2 });
    flipped[24]! |= 0x80;
    p.sta.drv.inject(ok);
    p.sta.drv.inject(flipped);
    expect(p.sta.delivered).toHaveLength(1);
    expect(p.sta.local.rxStats.drop['ccmp-mic']).toBe(1);
  });

  it('a subframe running past the end drops the whole A-MSDU; group-addressed and foreign-DA A-MSDUs too', async () => {
    const p = await makePair();
    const good = amsduBody([
      { da: STA, sa: AP, msdu: ip(10) },
      { da: STA, sa: AP, msdu: ip(10) },
    ]);
    const bad = Buffer.from(good);
    bad.writeUInt16BE(200, 12);
    p.sta.drv.inject(amsdu(bad));
    p.sta.drv.inject(amsdu(good, { addr1: Buffer.alloc(6, 0xff) }));
    p.sta.drv.inject(amsdu(amsduBody([{ da: OTHER, sa: AP, msdu: ip(10) }])));
    p.sta.drv.inject(amsdu(good.subarray(0, good.length - 3)));
    const d = p.sta.local.rxStats.drop;
    expect(p.sta.delivered).toHaveLength(0);
    expect([d['amsdu-bad-subframe'], d['amsdu-multicast'], d['amsdu-bad-da']]).toEqual([2, 1, 1]);
  });
});
