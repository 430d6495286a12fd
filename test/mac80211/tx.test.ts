/**
 * The TX path through a fake driver: what mac80211 hands to ops.tx for Ethernet frames and EAPOL.
 */
import { describe, expect, it } from 'vitest';
import { macToString } from '../../mac80211/addr.ts';
import { Ac } from '../../mac80211/driver-ops.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { decodeFrame } from '../../mac80211/frame/frame.ts';
import { CcmpKey, CcmpResult, ccmpHeaderPn } from '../../mac80211/rsn/ccmp.ts';
import { AP, eth, ipv4, makePair, OTHER, STA, TK, txSkb } from './world.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function header(bytes: Uint8Array) {
  const f = decodeFrame(bytes);
  if (!f.ok || f.value.type !== 'data') throw new Error(`not a data frame: ${f.ok ? f.value.type : f.reason}`);
  return f.value.header;
}

describe('mac80211 TX', () => {
  it('EAPOL before keys: To DS to the BSSID, QoS TID 7, LLC/SNAP 888e, in the clear, status requested', async () => {
    const { sta } = await makePair({ authorize: false });
    const pdu = Buffer.from('0203005f02008a', 'hex');
    sta.local.txControlPort(sta.sdata, AP, pdu);
    const [f] = sta.drv.take();
    expect(f).toBeDefined();
    const h = header(f!.bytes);
    expect(h.fc & 0x0300).toBe(0x0100); // To DS only
    expect(h.fc & 0x4000).toBe(0); // not protected
    expect([macToString(h.addr1), macToString(h.addr2!), macToString(h.addr3!)]).toEqual([
      macToString(AP),
      macToString(STA),
      macToString(AP),
    ]);
    expect(h.qosCtrl! & 0x0f).toBe(7);
    expect(hex(f!.bytes.subarray(26, 34))).toBe('aaaa0300000088' + '8e');
    expect(hex(f!.bytes.subarray(34))).toBe(hex(pdu));
    expect(f!.info).toMatchObject({ tid: 7, ac: Ac.VO, reqTxStatus: true, useMinRate: true, hwKey: null });
    expect(sta.local.txStats.eapolPlain).toBe(1);
    expect(sta.local.txStats.statusAcked).toBe(1);
  });

  it('data before the port is authorized is dropped; EAPOL from us still leaves', async () => {
    const { sta } = await makePair({ authorize: false });
    sta.dev.devQueueXmit(txSkb(sta.dev, eth(AP, STA, 0x0800, ipv4(0))));
    expect(sta.drv.take()).toHaveLength(0);
    expect(sta.local.txStats.drop.unauthorized).toBe(1);
    // EAPOL with a foreign source address is data like any other.
    sta.dev.devQueueXmit(txSkb(sta.dev, eth(AP, OTHER, 0x888e, Buffer.alloc(8))));
    expect(sta.drv.take()).toHaveLength(0);
    expect(sta.local.txStats.drop.unauthorized).toBe(2);
    sta.dev.devQueueXmit(txSkb(sta.dev, eth(AP, STA, 0x888e, Buffer.alloc(8))));
    expect(sta.drv.take()).toHaveLength(1);
  });

  it('software CCMP: DSCP → TID, per-TID sequence numbers, increasing PNs, decryptable with the TK', async () => {
    const { sta } = await makePair({ keys: true });
    const frames = [
      eth(OTHER, STA, 0x0800, ipv4(46 << 2)), // EF → 6
      eth(OTHER, STA, 0x0800, ipv4(46 << 2)),
      eth(OTHER, STA, 0x0800, ipv4(0)), // best effort → 0
      eth(OTHER, STA, 0x0800, ipv4(8 << 2)), // CS1 → 1
      eth(OTHER, STA, 0x0800, ipv4(18 << 2)), // AF21 → 3
      eth(OTHER, STA, 0x0800, ipv4(46 << 2)),
    ];
    for (const fr of frames) sta.dev.devQueueXmit(txSkb(sta.dev, fr));
    const sent = sta.drv.take();
    expect(sent).toHaveLength(6);
    const tids = sent.map((s) => header(s.bytes).qosCtrl! & 15);
    expect(tids).toEqual([6, 6, 0, 1, 3, 6]);
    expect(sent.map((s) => s.info.ac)).toEqual([Ac.VO, Ac.VO, Ac.BE, Ac.BK, Ac.BE, Ac.VO]);
    const seqs = sent.map((s) => header(s.bytes).seqCtrl! >> 4);
    expect(seqs).toEqual([0, 1, 0, 0, 0, 2]);
    const pns = sent.map((s) => ccmpHeaderPn(s.bytes, 26));
    expect(pns).toEqual([1, 2, 3, 4, 5, 6]);
    const rx = new CcmpKey(TK);
    sent.forEach((s, i) => {
      expect(header(s.bytes).fc & 0x4000).toBe(0x4000);
      expect(s.info.hwKey).toBeNull();
      const work = Buffer.from(s.bytes);
      expect(rx.decrypt(work, 0, work.length)).toBe(CcmpResult.OK);
      const plain = work.subarray(26 + 8, work.length - 8);
      expect(hex(plain)).toBe(`aaaa03000000${hex(frames[i]!.subarray(12))}`);
    });
    expect(sta.local.txStats.swEncrypted).toBe(6);
  });

  it('a frame with the headroom the net device asks for is not copied', async () => {
    const { sta } = await makePair({ keys: true, extraTxHeadroom: 48 });
    const skb = txSkb(sta.dev, eth(OTHER, STA, 0x0800, ipv4(0, 1400)));
    const buf = skb.buf;
    sta.dev.devQueueXmit(skb);
    const [f] = sta.drv.take();
    expect(f!.buf).toBe(buf);
    expect(f!.headroom).toBeGreaterThanOrEqual(48);
    // A frame with no headroom at all still goes (reallocated), with the driver's headroom.
    sta.dev.devQueueXmit(SkBuff.fromBytes(eth(OTHER, STA, 0x0800, ipv4(0, 10)), 0, 0));
    const [g] = sta.drv.take();
    expect(g!.headroom).toBeGreaterThanOrEqual(48);
  });

  it('hardware CCMP: hwKey in TxInfo, CCMP header with the PN written by mac80211, no MIC', async () => {
    const { sta } = await makePair({ keys: true, hwCiphers: ['CCMP'] });
    const fr = eth(OTHER, STA, 0x0800, ipv4(0, 100));
    sta.dev.devQueueXmit(txSkb(sta.dev, fr));
    sta.dev.devQueueXmit(txSkb(sta.dev, fr));
    const sent = sta.drv.take();
    expect(sent.map((s) => s.info.hwKey?.cipher)).toEqual(['CCMP', 'CCMP']);
    expect(sent.map((s) => ccmpHeaderPn(s.bytes, 26))).toEqual([1, 2]);
    expect(sent[0]!.bytes.length).toBe(26 + 8 + 8 + fr.length - 14);
    expect(hex(sent[0]!.bytes.subarray(34, 42))).toBe('aaaa030000000800');
    expect(sta.local.txStats.hwEncrypted).toBe(2);
  });

  it('hardware that generates the IV gets no room for it', async () => {
    const p = await makePair({ hwCiphers: ['CCMP'] });
    p.sta.drv.hwGeneratesIv = true;
    await p.sta.local.setKey(p.sta.sdata, p.staPeer, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true });
    p.sta.dev.devQueueXmit(txSkb(p.sta.dev, eth(OTHER, STA, 0x0800, ipv4(0, 4))));
    const [f] = p.sta.drv.take();
    expect(header(f!.bytes).fc & 0x4000).toBe(0x4000);
    expect(hex(f!.bytes.subarray(26, 34))).toBe('aaaa030000000800');
  });

  it('EAPOL once a key exists is encrypted', async () => {
    const { sta } = await makePair({ keys: true });
    sta.local.txControlPort(sta.sdata, AP, Buffer.alloc(20, 1));
    const [f] = sta.drv.take();
    expect(header(f!.bytes).fc & 0x4000).toBe(0x4000);
    expect(sta.local.txStats.eapolPlain).toBe(0);
  });

  it('a peer without WMM gets non-QoS data with the interface sequence counter', async () => {
    const { sta } = await makePair({ wmm: false });
    for (let i = 0; i < 3; i++) sta.dev.devQueueXmit(txSkb(sta.dev, eth(OTHER, STA, 0x0800, ipv4(46 << 2))));
    const sent = sta.drv.take();
    expect(sent.map((s) => header(s.bytes).fc & 0xfc)).toEqual([0x08, 0x08, 0x08]);
    expect(sent.map((s) => header(s.bytes).seqCtrl! >> 4)).toEqual([0, 1, 2]);
    expect(sent.map((s) => s.info.ac)).toEqual([Ac.BE, Ac.BE, Ac.BE]);
  });

  it('4-address station: To DS and From DS, RA = BSSID, TA = us, DA, SA', async () => {
    const { sta } = await makePair({ use4addr: true });
    sta.dev.devQueueXmit(txSkb(sta.dev, eth(OTHER, Buffer.from('020000000d00', 'hex'), 0x0800, ipv4(0))));
    const h = header(sta.drv.take()[0]!.bytes);
    expect(h.fc & 0x0300).toBe(0x0300);
    expect([h.addr1, h.addr2!, h.addr3!, h.addr4!].map((a) => macToString(a))).toEqual([
      macToString(AP),
      macToString(STA),
      macToString(OTHER),
      '02:00:00:00:0d:00',
    ]);
  });

  it('AP: From DS (DA, BSSID, SA); group-addressed frames unacknowledged under the group key', async () => {
    const { ap } = await makePair({ keys: true });
    ap.dev.devQueueXmit(txSkb(ap.dev, eth(STA, OTHER, 0x0800, ipv4(0))));
    ap.dev.devQueueXmit(txSkb(ap.dev, eth(Buffer.alloc(6, 0xff), OTHER, 0x0806, Buffer.alloc(28))));
    ap.dev.devQueueXmit(txSkb(ap.dev, eth(OTHER, AP, 0x0800, ipv4(0))));
    const [u, m] = ap.drv.take();
    const hu = header(u!.bytes);
    expect(hu.fc & 0x0300).toBe(0x0200);
    expect([hu.addr1, hu.addr2!, hu.addr3!].map((a) => macToString(a))).toEqual(
      [STA, AP, OTHER].map((a) => macToString(a)),
    );
    const hm = header(m!.bytes);
    expect(hm.fc & 0xfc).toBe(0x08); // group-addressed: non-QoS
    expect(m!.bytes[24 + 3]! >> 6).toBe(1); // Key ID of the GTK
    expect(m!.info).toMatchObject({ noAck: true, useMinRate: true, sta: null });
    expect(ap.local.txStats.drop['no-sta']).toBe(1);
  });

  it('802.3 length frames keep their LLC; AppleTalk ARP gets the 802.1H bridge tunnel', async () => {
    const { sta } = await makePair();
    const llc = Buffer.from('424203000000', 'hex');
    sta.dev.devQueueXmit(txSkb(sta.dev, eth(OTHER, STA, llc.length, llc)));
    sta.dev.devQueueXmit(txSkb(sta.dev, eth(OTHER, STA, 0x80f3, Buffer.alloc(4, 7))));
    const [a, b] = sta.drv.take();
    expect(hex(a!.bytes.subarray(26))).toBe(hex(llc));
    expect(hex(b!.bytes.subarray(26))).toBe('aaaa030000f880f307070707');
  });

  it('frames longer than an MSDU and runts are dropped and counted', async () => {
    const { sta } = await makePair();
    sta.dev.devQueueXmit(txSkb(sta.dev, eth(OTHER, STA, 0x0800, Buffer.alloc(2400))));
    sta.dev.devQueueXmit(txSkb(sta.dev, Buffer.alloc(10)));
    expect(sta.drv.take()).toHaveLength(0);
    expect(sta.local.txStats.drop['too-long']).toBe(1);
    expect(sta.local.txStats.drop.short).toBe(1);
  });
});
