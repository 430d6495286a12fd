import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { macFromString, macToString } from '../addr.ts';
import { encodeElement, ssidCodec, supportedRatesCodec } from '../elements/index.ts';
import { writeFcs } from '../fcs.ts';
import { baParams, delbaParams, parseBaParams } from './action.ts';
import {
  buildAck,
  buildAddbaReq,
  buildAddbaResp,
  buildAssocReq,
  buildAssocResp,
  buildAuth,
  buildBa,
  buildBar,
  buildBeacon,
  buildCts,
  buildData,
  buildDeauth,
  buildDelba,
  buildDisassoc,
  buildProbeReq,
  buildProbeResp,
  buildPsPoll,
  buildReassocReq,
  buildRts,
  dataHeaderLength,
  elementsOf,
  frameToSkb,
  writeDataHeader,
} from './build.ts';
import { baAcked, baTid, baType } from './ctrl.ts';
import {
  bssidOffset,
  daOffset,
  FCTL,
  fcTypeSubtype,
  frameTypeName,
  hdrLen,
  qosCtrlAt,
  rxHeaderLength,
  saOffset,
  seqCtrlAt,
} from './fc.ts';
import { decodeFrame, encodeFrame, type Frame } from './frame.ts';
import { fragNumber, seqNumber } from './header.ts';
import { AUTH_ALG } from './mgmt.ts';
import { ccmpPn, securityKeyId } from './security.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const AP = macFromString('00:14:6c:7e:40:80');
const STA = macFromString('00:13:46:fe:32:0c');
const DS = macFromString('00:0f:66:e3:e4:01');
const FAR = macFromString('02:00:00:00:00:99');

function decoded(bytes: Uint8Array, opts = {}): Frame {
  const r = decodeFrame(bytes, opts);
  if (!r.ok) throw new Error(`${r.reason} at ${r.offset}: ${r.detail}`);
  return r.value;
}

describe('frame control and header shape', () => {
  it('computes header lengths as Linux does', () => {
    expect(hdrLen(0x0080)).toBe(24); // beacon
    expect(hdrLen(0x8080)).toBe(28); // beacon +HTC
    expect(hdrLen(0x00d4)).toBe(10); // ACK
    expect(hdrLen(0x00b4)).toBe(16); // RTS
    expect(hdrLen(0x0108)).toBe(24); // data To DS
    expect(hdrLen(0x0308)).toBe(30); // data, 4 addresses
    expect(hdrLen(0x0388)).toBe(32); // QoS data, 4 addresses
    expect(hdrLen(0x8288)).toBe(30); // QoS data +HTC
    expect(hdrLen(0x8208)).toBe(24); // non-QoS data: Order does not add HT Control
  });

  it('finds DA, SA and BSSID for every To/From DS combination', () => {
    const cases: [number, number, number, number][] = [
      [0x0008, 4, 10, 16],
      [0x0208, 4, 16, 10],
      [0x0108, 16, 10, 4],
      [0x0308, 16, 24, -1],
    ];
    for (const [fc, da, sa, bssid] of cases)
      expect([daOffset(fc), saOffset(fc), bssidOffset(fc)]).toEqual([da, sa, bssid]);
    expect(fcTypeSubtype(0x00d4)).toBe(0x1d);
    expect(frameTypeName(0x00c8)).toBe('QoS Null');
  });
});

describe('management frames', () => {
  it('decodes a beacon (wpa2.eapol.cap frame 1)', () => {
    const bytes = hex(
      '80000000ffffffffffff00146c7e408000146c7e4080 1007 8161ea0000000000 fa00 3104 00084861726b6f6e656e 010882848b960c183048 030101 050400010000 2a0100 32041224606c 30140100000fac040100000fac040100000fac020100',
    );
    const f = decoded(bytes);
    if (f.type !== 'mgmt' || f.body.kind !== 'beacon') throw new Error('not a beacon');
    expect(macToString(f.header.addr3!)).toBe('00:14:6c:7e:40:80');
    expect(seqNumber(f.header.seqCtrl!)).toBe(113);
    expect(f.body.beaconInterval).toBe(250);
    expect(f.body.capability).toBe(0x0431);
    expect(f.body.timestamp).toBe(15360385n);
    expect(Buffer.from(f.body.elements.find(0)!).toString()).toBe('Harkonen');
    expect(encodeFrame(f)).toEqual(bytes);
  });

  it('decodes authentication: open system, shared key (challenge text), SAE (fields kept raw)', () => {
    const open = decoded(
      encodeFrame(buildAuth({ da: AP, sa: STA, bssid: AP, algorithm: 0, transaction: 1, status: 0 })),
    );
    expect(open.body).toMatchObject({ kind: 'auth', algorithm: 0, transaction: 1, status: 0 });
    const challenge = Uint8Array.from({ length: 128 }, (_, i) => i);
    const shared = buildAuth({
      da: STA,
      sa: AP,
      bssid: AP,
      algorithm: AUTH_ALG.SHARED_KEY,
      transaction: 2,
      status: 0,
      elements: elementsOf(Uint8Array.of(16, 128, ...challenge)),
    });
    const s = decoded(encodeFrame(shared));
    if (s.body.kind !== 'auth' || !s.body.elements) throw new Error('no elements');
    expect(s.body.elements.find(16)).toEqual(challenge);
    const saeFields = hex('1300 2e2c0f0db52440ad146d967114ce005ce1eab0aa2c2e5c2871b774f6c2575c65');
    const sae = decoded(
      encodeFrame(
        buildAuth({ da: AP, sa: STA, bssid: AP, algorithm: AUTH_ALG.SAE, transaction: 1, status: 0, rest: saeFields }),
      ),
    );
    expect(sae.body).toMatchObject({ kind: 'auth', algorithm: 3, elements: null, rest: saeFields });
    // Shared-key message 3 is WEP-encrypted: the Protected bit makes the body ciphertext.
    const m3 = hex('b0403a0100146c7e408000138ec4acb800146c7e4080 2000 0e3f9700 0102030405060708');
    expect(decoded(m3).body).toMatchObject({ kind: 'protected', securityHeader: hex('0e3f9700') });
  });

  it('decodes (re)association request and response, deauthentication and disassociation', () => {
    const els = elementsOf(encodeElement(ssidCodec, { ssid: new TextEncoder().encode('test') }));
    const req = decoded(
      encodeFrame(buildAssocReq({ da: AP, sa: STA, bssid: AP, capability: 0x0431, listenInterval: 10, elements: els })),
    );
    expect(req.body).toMatchObject({ kind: 'assoc-req', capability: 0x0431, listenInterval: 10 });
    const re = decoded(
      encodeFrame(
        buildReassocReq({
          da: AP,
          sa: STA,
          bssid: AP,
          capability: 1,
          listenInterval: 3,
          currentAp: FAR,
          elements: els,
        }),
      ),
    );
    if (re.body.kind !== 'reassoc-req') throw new Error(re.body.kind);
    expect(macToString(re.body.currentAp)).toBe('02:00:00:00:00:99');
    const resp = decoded(
      encodeFrame(buildAssocResp({ da: STA, sa: AP, bssid: AP, capability: 0x0411, status: 0, aid: 5, elements: els })),
    );
    expect(resp.body).toMatchObject({ kind: 'assoc-resp', status: 0, aid: 0xc005 });
    expect(decoded(encodeFrame(buildDeauth({ da: STA, sa: AP, bssid: AP, reason: 7 }))).body).toMatchObject({
      kind: 'deauth',
      reason: 7,
    });
    expect(decoded(encodeFrame(buildDisassoc({ da: STA, sa: AP, bssid: AP, reason: 8 }))).body).toMatchObject({
      kind: 'disassoc',
      reason: 8,
    });
    const short = encodeFrame(
      buildAssocReq({ da: AP, sa: STA, bssid: AP, capability: 0, listenInterval: 0, elements: els }),
    ).subarray(0, 27);
    expect(decodeFrame(short)).toMatchObject({ ok: false, reason: 'truncated-body' });
  });

  it('decodes Block Ack setup action frames and keeps unknown categories raw', () => {
    const params = baParams({ amsdu: true, immediate: true, tid: 5, bufferSize: 64 });
    expect(parseBaParams(params)).toEqual({ amsdu: true, immediate: true, tid: 5, bufferSize: 64 });
    const req = decoded(
      encodeFrame(buildAddbaReq({ da: AP, sa: STA, bssid: AP, dialogToken: 7, params, timeout: 0, startSeq: 1234 })),
    );
    expect(req.body).toMatchObject({
      kind: 'action',
      action: { kind: 'addba-req', dialogToken: 7, params, startSeqCtrl: 1234 << 4 },
    });
    const resp = decoded(
      encodeFrame(buildAddbaResp({ da: STA, sa: AP, bssid: AP, dialogToken: 7, status: 0, params, timeout: 0 })),
    );
    expect(resp.body).toMatchObject({ kind: 'action', action: { kind: 'addba-resp', status: 0 } });
    const del = decoded(
      encodeFrame(
        buildDelba({ da: AP, sa: STA, bssid: AP, params: delbaParams({ initiator: true, tid: 5 }), reason: 37 }),
      ),
    );
    expect(del.body).toMatchObject({ kind: 'action', action: { kind: 'delba', params: 0x5800, reason: 37 } });
    // Spectrum management (category 0), a measurement request: raw after the category.
    const raw = hex('d0003a01 00146c7e4080 00138ec4acb8 00146c7e4080 0000 00 00 01 2603010000');
    expect(decoded(raw).body).toMatchObject({
      kind: 'action',
      action: { kind: 'raw', category: 0, data: hex('00012603010000') },
    });
    // A truncated ADDBA request is malformed, not raw.
    expect(decodeFrame(raw.map((b, i) => (i === 24 ? 3 : b)))).toMatchObject({ ok: false, reason: 'truncated-body' });
  });

  it('decodes probe requests and responses, and +HTC management frames', () => {
    const els = elementsOf(encodeElement(supportedRatesCodec, { rates: [{ value: 2, basic: true }] }));
    const pr = decoded(encodeFrame(buildProbeReq({ sa: STA, elements: els })));
    expect(pr.body.kind).toBe('probe-req');
    expect(macToString(pr.header.addr1)).toBe('ff:ff:ff:ff:ff:ff');
    const resp = buildProbeResp({
      bssid: AP,
      da: STA,
      timestamp: 123456789n,
      beaconInterval: 100,
      capability: 0x11,
      elements: els,
    });
    resp.header.fc |= FCTL.ORDER;
    resp.header.htCtrl = 0x0002_0003;
    const bytes = encodeFrame(resp);
    expect(bytes.length).toBe(28 + 12 + 3);
    const d = decoded(bytes);
    expect(d.header.htCtrl).toBe(0x00020003);
    expect(d.body).toMatchObject({ kind: 'probe-resp', timestamp: 123456789n, beaconInterval: 100 });
  });

  it('rejects a malformed element list with the element and offset', () => {
    const bytes = hex('40000000ffffffffffff 00138ec4acb8 ffffffffffff 0000 0004 7465');
    expect(decodeFrame(bytes)).toMatchObject({ ok: false, reason: 'element-overrun', offset: 24 });
  });
});

describe('control frames', () => {
  it('ACK, CTS, RTS, PS-Poll, CF-End', () => {
    expect(encodeFrame(buildAck(STA))).toEqual(hex('d4000000 001346fe320c'));
    expect(decoded(encodeFrame(buildCts(STA, 44))).header.duration).toBe(44);
    const rts = decoded(encodeFrame(buildRts(AP, STA, 100)));
    expect(rts.body.kind).toBe('rts');
    expect(macToString(rts.header.addr2!)).toBe('00:13:46:fe:32:0c');
    const ps = decoded(encodeFrame(buildPsPoll(AP, STA, 3)));
    expect(ps.header.duration & 0x3fff).toBe(3);
    expect(decoded(hex('e4000000ffffffffffff00146c7e4080')).body.kind).toBe('cf-end');
    expect(decodeFrame(hex('d40000'))).toMatchObject({ ok: false, reason: 'truncated-header' });
  });

  it('BAR and compressed BA', () => {
    const bar = decoded(encodeFrame(buildBar(AP, STA, 6, 100)));
    if (bar.body.kind !== 'bar') throw new Error(bar.body.kind);
    expect([baType(bar.body.control), baTid(bar.body.control), bar.body.startSeqCtrl! >> 4]).toEqual([2, 6, 100]);
    const bitmap = hex('0500000000000080');
    const ba = decoded(encodeFrame(buildBa(STA, AP, 6, 100, bitmap)));
    if (ba.body.kind !== 'ba' || !ba.body.bitmap) throw new Error(ba.body.kind);
    expect(ba.body.bitmap).toEqual(bitmap);
    expect(
      [100, 101, 102, 163, 164].map((s) => baAcked(ba.body.kind === 'ba' ? ba.body.startSeqCtrl! : 0, bitmap, s)),
    ).toEqual([true, false, true, true, false]);
    const shortBa = encodeFrame(buildBa(STA, AP, 6, 100, bitmap)).subarray(0, 22);
    expect(decodeFrame(shortBa)).toMatchObject({ ok: false, reason: 'truncated-body' });
  });
});

describe('data frames', () => {
  const payload = hex('aaaa03000000888e0103005f');
  const combos = [
    { toDs: false, fromDs: false, addr1: STA, addr2: FAR, addr3: AP },
    { toDs: false, fromDs: true, addr1: STA, addr2: AP, addr3: DS },
    { toDs: true, fromDs: false, addr1: AP, addr2: STA, addr3: DS },
    { toDs: true, fromDs: true, addr1: AP, addr2: FAR, addr3: DS, addr4: STA },
  ];
  for (const c of combos) {
    for (const tid of [undefined, 6]) {
      it(`To DS ${+c.toDs} From DS ${+c.fromDs}${tid === undefined ? '' : ' QoS'}: addresses, sequence and QoS`, () => {
        const f = buildData({ ...c, seq: 4000, frag: 2, tid, amsdu: tid !== undefined, payload });
        const bytes = encodeFrame(f);
        expect(bytes.length).toBe(dataHeaderLength({ ...c, seq: 0, tid }) + payload.length);
        const buf = new Uint8Array(64);
        const n = writeDataHeader(buf, 3, { ...c, seq: 4000, frag: 2, tid, amsdu: tid !== undefined });
        expect(buf.subarray(3, 3 + n)).toEqual(bytes.subarray(0, n));
        const d = decoded(bytes);
        if (d.type !== 'data' || d.body.kind !== 'data') throw new Error('not plain data');
        expect(d.body.payload).toEqual(payload);
        expect([seqNumber(d.header.seqCtrl!), fragNumber(d.header.seqCtrl!)]).toEqual([4000, 2]);
        expect(d.header.qosCtrl).toBe(tid === undefined ? null : 6 | 0x80);
        const fcv = d.header.fc;
        expect(macToString(bytes, daOffset(fcv))).toBe(macToString(c.toDs ? c.addr3 : c.addr1));
        expect(macToString(bytes, saOffset(fcv))).toBe(macToString(c.fromDs ? (c.toDs ? STA : c.addr3) : c.addr2));
        expect(d.header.addr4 === null).toBe(!(c.toDs && c.fromDs));
      });
    }
  }

  it('Null and QoS Null frames, and the power management bit', () => {
    const toAp = {
      toDs: true,
      fromDs: false,
      addr1: AP,
      addr2: STA,
      addr3: AP,
      seq: 1,
      nullData: true,
      payload: new Uint8Array(0),
    };
    const n = decoded(encodeFrame(buildData({ ...toAp, powerMgmt: true })));
    expect(n.header.fc).toBe(0x1148);
    const q = decoded(encodeFrame(buildData({ ...toAp, tid: 0 })));
    expect(fcTypeSubtype(q.header.fc)).toBe(0x2c);
  });

  it('splits the CCMP header of protected frames and reads the PN (wpa2-psk-linksys.cap frame 5 header)', () => {
    const bytes = hex('08420000 00138ec4acb8 000b86c2a485 000f66e3e401 8021 a0020020 00000000 deadbeef');
    const d = decoded(bytes);
    if (d.type !== 'data' || d.body.kind !== 'protected') throw new Error('not protected');
    expect(ccmpPn(d.body.securityHeader)).toBe(0x2a0);
    expect(securityKeyId(d.body.securityHeader)).toBe(0);
    expect(d.body.data).toEqual(hex('deadbeef'));
    expect(decodeFrame(bytes.subarray(0, 28))).toMatchObject({ ok: false, reason: 'truncated-body' });
  });

  it('HT Control in QoS data (+HTC) and data padding', () => {
    const f = buildData({ toDs: false, fromDs: true, addr1: STA, addr2: AP, addr3: DS, seq: 9, tid: 1, payload });
    f.header.fc |= FCTL.ORDER;
    f.header.htCtrl = 0xfffffffc;
    const d = decoded(encodeFrame(f));
    expect(d.header.htCtrl).toBe(0xfffffffc);
    const q = encodeFrame(
      buildData({ toDs: false, fromDs: true, addr1: STA, addr2: AP, addr3: DS, seq: 9, tid: 1, payload }),
    );
    const padded = Uint8Array.from([...q.subarray(0, 26), 0, 0, ...q.subarray(26)]);
    const p = decoded(padded, { dataPad: true });
    expect(p.type === 'data' && p.body.kind === 'data' && p.body.payload).toEqual(payload);
  });

  it('skb building leaves headroom and writes the FCS', () => {
    const f = buildData({ toDs: true, fromDs: false, addr1: AP, addr2: STA, addr3: DS, seq: 5, tid: 0, payload });
    const skb = frameToSkb(f, { headroom: 64, fcs: true });
    expect(skb.headroom).toBe(64);
    expect(decodeFrame(skb.bytes(), { fcs: true }).ok).toBe(true);
    expect(Uint8Array.from(skb.bytes().subarray(0, skb.len - 4))).toEqual(encodeFrame(f));
  });
});

describe('FCS handling', () => {
  it('verifies, rejects and can be told to ignore the FCS', () => {
    const body = encodeFrame(buildAck(STA));
    const withFcs = new Uint8Array(body.length + 4);
    withFcs.set(body);
    writeFcs(withFcs, 0, withFcs.length);
    const ok = decodeFrame(withFcs, { fcs: true });
    expect(ok.ok && ok.value.fcs).toBe(new DataView(withFcs.buffer).getUint32(10, true));
    expect(encodeFrame(buildAck(STA), { fcs: true })).toEqual(withFcs);
    withFcs[5] ^= 1;
    expect(decodeFrame(withFcs, { fcs: true })).toMatchObject({ ok: false, reason: 'bad-fcs' });
    expect(decodeFrame(withFcs, { fcs: true, verifyFcs: false }).ok).toBe(true);
    expect(decodeFrame(hex('d400'), { fcs: true })).toMatchObject({ ok: false, reason: 'truncated-header' });
    expect(decodeFrame(hex('d5000000 00138ec4acb8'))).toMatchObject({ ok: false, reason: 'bad-protocol-version' });
  });
});

// ---- properties ----

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const elementsArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 254 }), fc.uint8Array({ maxLength: 20 })), { maxLength: 5 })
  .map((list) => elementsOf(...list.map(([id, b]) => Uint8Array.from([id, b.length, ...b]))));
const seq = fc.integer({ min: 0, max: 4095 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const addrs = fc.record({ da: mac, sa: mac, bssid: mac, seq });

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .tuple(addrs, elementsArb)
    .map(([a, e]) => buildProbeReq({ sa: a.sa, da: a.da, bssid: a.bssid, seq: a.seq, elements: e })),
  fc
    .tuple(addrs, elementsArb, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), u16, u16)
    .map(([a, e, ts, bi, cap]) =>
      buildBeacon({ bssid: a.bssid, timestamp: ts, beaconInterval: bi, capability: cap, elements: e, seq: a.seq }),
    ),
  fc
    .tuple(addrs, u16, u16, u16)
    .map(([a, alg, t, s]) =>
      buildAuth({ ...a, algorithm: alg, transaction: t, status: s, rest: Uint8Array.of(16, 1, 7) }),
    ),
  fc
    .tuple(addrs, u16, u16, elementsArb)
    .map(([a, c, l, e]) => buildAssocReq({ ...a, capability: c, listenInterval: l, elements: e })),
  fc
    .tuple(addrs, u16, u16, mac, elementsArb)
    .map(([a, c, l, ap, e]) => buildReassocReq({ ...a, capability: c, listenInterval: l, currentAp: ap, elements: e })),
  fc
    .tuple(addrs, u16, fc.integer({ min: 1, max: 2007 }), elementsArb, fc.boolean())
    .map(([a, c, aid, e, re]) => buildAssocResp({ ...a, capability: c, status: 0, aid, elements: e, reassoc: re })),
  fc.tuple(addrs, u16).map(([a, r]) => buildDeauth({ ...a, reason: r })),
  fc.tuple(addrs, u16).map(([a, r]) => buildDisassoc({ ...a, reason: r })),
  fc
    .tuple(addrs, fc.integer({ min: 0, max: 255 }), u16, u16, seq)
    .map(([a, t, p, to, s]) => buildAddbaReq({ ...a, dialogToken: t, params: p, timeout: to, startSeq: s })),
  fc.tuple(mac, u16).map(([a, d]) => buildAck(a, d)),
  fc.tuple(mac, mac, u16).map(([a, b, d]) => buildRts(a, b, d)),
  fc.tuple(mac, mac, fc.integer({ min: 0, max: 15 }), seq).map(([a, b, t, s]) => buildBar(a, b, t, s)),
  fc
    .tuple(mac, mac, fc.integer({ min: 0, max: 15 }), seq, fc.uint8Array({ minLength: 8, maxLength: 8 }))
    .map(([a, b, t, s, bm]) => buildBa(a, b, t, s, bm)),
  fc
    .tuple(
      fc.boolean(),
      fc.boolean(),
      mac,
      mac,
      mac,
      mac,
      seq,
      fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
      fc.uint8Array({ maxLength: 40 }),
      fc.boolean(),
    )
    .map(([toDs, fromDs, a1, a2, a3, a4, s, tid, payload, nullData]) =>
      buildData({
        toDs,
        fromDs,
        addr1: a1,
        addr2: a2,
        addr3: a3,
        addr4: a4,
        seq: s,
        tid,
        payload: nullData ? new Uint8Array(0) : payload,
        nullData,
      }),
    ),
);

describe('frame properties', () => {
  it('random bytes never throw; an accepted frame re-encodes to the same octets (with and without FCS)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (b, withFcs) => {
        const r = decodeFrame(b, { fcs: withFcs, verifyFcs: false });
        if (!r.ok) {
          expect(r.reason).toMatch(/^[a-z-]+$/);
          expect(r.offset).toBeGreaterThanOrEqual(0);
          return;
        }
        const again = encodeFrame(r.value);
        expect(again).toEqual(withFcs ? b.subarray(0, b.length - 4) : b);
      }),
      { numRuns: 2000 },
    );
  });

  it('generated frames round-trip, and every truncation decodes or fails with a reason', () => {
    fc.assert(
      fc.property(frameArb, fc.nat(), (f, cut) => {
        const bytes = encodeFrame(f, { fcs: true });
        const d = decodeFrame(bytes, { fcs: true });
        if (!d.ok) throw new Error(`${d.reason}: ${d.detail}`);
        expect(d.value.header.fc).toBe(f.header.fc);
        expect(d.value.body.kind).toBe(f.body.kind);
        expect(encodeFrame(d.value, { fcs: true })).toEqual(bytes);
        const plain = encodeFrame(f);
        const t = decodeFrame(plain.subarray(0, cut % (plain.length + 1)));
        if (!t.ok) expect(['truncated-header', 'truncated-body', 'element-overrun']).toContain(t.reason);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hot-path accessors', () => {
  it('agree with the full decoder on every generated frame', () => {
    fc.assert(
      fc.property(frameArb, fc.nat(8), (f, pad) => {
        const bytes = encodeFrame(f);
        const buf = new Uint8Array(pad + bytes.length);
        buf.set(bytes, pad);
        expect(rxHeaderLength(buf, pad, buf.length)).toBe(hdrLen(f.header.fc));
        if (f.header.seqCtrl !== null) expect(seqCtrlAt(buf, pad)).toBe(f.header.seqCtrl);
        if (f.header.qosCtrl !== null) expect(qosCtrlAt(buf, pad, f.header.fc)).toBe(f.header.qosCtrl);
        expect(rxHeaderLength(buf, pad, pad + hdrLen(f.header.fc) - 1)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('frame type names', () => {
  it('names every type and subtype as Wireshark does', () => {
    expect([0x0080, 0x00d4, 0x0088, 0x000c, 0x001c, 0x00fc].map(frameTypeName)).toEqual([
      'Beacon',
      'ACK',
      'QoS Data',
      'DMG Beacon',
      'S1G Beacon',
      'Reserved',
    ]);
  });
});
