/**
 * Action frames through mac80211 on a fake driver: what the station and the AP answer to Block Ack setup from their
 * peer, which unhandled frames go back to their sender with category bit 7, and which are dropped and counted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BROADCAST_ADDR } from '../../mac80211/addr.ts';
import { ACTION_CATEGORY, baParams, delbaParams } from '../../mac80211/frame/action.ts';
import { buildAction, buildAddbaReq, buildAddbaResp, buildDelba } from '../../mac80211/frame/build.ts';
import { decodeFrame, encodeFrame, type MgmtFrame } from '../../mac80211/frame/frame.ts';
import { addbaRxDecision } from '../../mac80211/agg/agg-rx.ts';
import { Status } from '../../mac80211/mlme/codes.ts';
import { AP, makePair, OTHER, STA, type Side } from './world.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const REQ_PARAMS = baParams({ amsdu: true, immediate: true, tid: 5, bufferSize: 64 });

/** The management frames `side` transmitted since the last call, decoded. */
function sentMgmt(side: Side): MgmtFrame[] {
  return side.drv.take().map((s) => {
    const d = decodeFrame(s.bytes);
    if (!d.ok || d.value.type !== 'mgmt') throw new Error(`sent a frame that does not decode: ${hex(s.bytes)}`);
    return d.value;
  });
}

function rawAction(from: Uint8Array, to: Uint8Array, bssid: Uint8Array, body: Uint8Array): Uint8Array {
  return encodeFrame(
    buildAction({ da: to, sa: from, bssid, action: { kind: 'raw', category: body[0]!, data: body.subarray(1) } }),
  );
}

describe('Block Ack setup with no aggregation in the hardware', () => {
  it('the station answers its AP’s ADDBA Request with a refusal that echoes the request', async () => {
    const p = await makePair();
    p.sta.drv.take();
    const req = buildAddbaReq({
      da: STA,
      sa: AP,
      bssid: AP,
      dialogToken: 77,
      params: REQ_PARAMS,
      timeout: 5000,
      startSeq: 123,
    });
    p.sta.drv.inject(encodeFrame(req));
    const [resp, ...more] = sentMgmt(p.sta);
    expect(more).toEqual([]);
    expect([hex(resp!.header.addr1!), hex(resp!.header.addr2!), hex(resp!.header.addr3!)]).toEqual([
      hex(AP),
      hex(STA),
      hex(AP),
    ]);
    expect(resp!.body).toMatchObject({
      kind: 'action',
      action: {
        kind: 'addba-resp',
        dialogToken: 77,
        status: Status.REQUEST_DECLINED,
        // TID, policy and buffer size of the request; no A-MSDU in A-MPDU from us.
        params: baParams({ amsdu: false, immediate: true, tid: 5, bufferSize: 64 }),
        timeout: 5000,
      },
    });
    const s = p.sta.local.actionStats;
    expect([s.addbaReq, s.addbaRespSent, s.addbaDeclined]).toEqual([1, 1, 1]);
    expect(p.sta.local.rxStats.dropped).toBe(0);
  });

  it('the decision follows Linux’s order: TSPEC TID or no HT declined, bad QoS parameters, then the hardware', async () => {
    const p = await makePair();
    const peer = p.staPeer;
    const ask = (tid: number, immediate: boolean, bufferSize: number) =>
      addbaRxDecision(peer, { tid, immediate, bufferSize });
    expect(ask(0, true, 64)).toBe(Status.REQUEST_DECLINED); // a peer without HT
    peer.sta.ht = true;
    expect([ask(8, true, 64), ask(0, false, 64), ask(0, true, 65), ask(0, true, 0), ask(7, true, 64)]).toEqual([
      Status.REQUEST_DECLINED,
      Status.INVALID_QOS_PARAM,
      Status.INVALID_QOS_PARAM,
      Status.REQUEST_DECLINED,
      Status.REQUEST_DECLINED,
    ]);
    peer.sta.he = true;
    expect([ask(0, true, 256), ask(0, true, 257)]).toEqual([Status.REQUEST_DECLINED, Status.INVALID_QOS_PARAM]);
    // On the air: a delayed-policy request from an HT peer is refused as an invalid QoS parameter.
    p.sta.drv.take();
    const params = baParams({ amsdu: false, immediate: false, tid: 1, bufferSize: 32 });
    p.sta.drv.inject(
      encodeFrame(buildAddbaReq({ da: STA, sa: AP, bssid: AP, dialogToken: 5, params, timeout: 0, startSeq: 0 })),
    );
    const [resp] = sentMgmt(p.sta);
    expect(resp!.body).toMatchObject({ action: { kind: 'addba-resp', status: Status.INVALID_QOS_PARAM, params } });
  });

  it('the AP answers a client’s ADDBA Request the same way, with its own address as BSSID', async () => {
    const p = await makePair();
    p.ap.drv.take();
    const req = buildAddbaReq({
      da: AP,
      sa: STA,
      bssid: AP,
      dialogToken: 3,
      params: REQ_PARAMS,
      timeout: 0,
      startSeq: 0,
    });
    p.ap.drv.inject(encodeFrame(req));
    const [resp] = sentMgmt(p.ap);
    expect([hex(resp!.header.addr1!), hex(resp!.header.addr2!), hex(resp!.header.addr3!)]).toEqual([
      hex(STA),
      hex(AP),
      hex(AP),
    ]);
    expect(resp!.body).toMatchObject({
      action: { kind: 'addba-resp', dialogToken: 3, status: Status.REQUEST_DECLINED },
    });
  });

  it('DELBA without a session and an ADDBA Response to no request: counted, ignored, nothing sent', async () => {
    const p = await makePair();
    p.sta.drv.take();
    for (const initiator of [true, false]) {
      const params = delbaParams({ initiator, tid: 2 });
      p.sta.drv.inject(encodeFrame(buildDelba({ da: STA, sa: AP, bssid: AP, params, reason: 37 })));
    }
    const resp = buildAddbaResp({
      da: STA,
      sa: AP,
      bssid: AP,
      dialogToken: 9,
      status: 0,
      params: REQ_PARAMS,
      timeout: 0,
    });
    p.sta.drv.inject(encodeFrame(resp));
    expect(p.sta.drv.take()).toEqual([]);
    const s = p.sta.local.actionStats;
    expect([s.delba, s.delbaNoSession, s.addbaResp, s.addbaRespUnsolicited]).toEqual([2, 2, 1, 1]);
    expect(p.sta.local.rxStats.dropped).toBe(0);
  });

  it('truncated Block Ack frames are dropped as malformed, never answered', async () => {
    const p = await makePair();
    p.sta.drv.take();
    const req = encodeFrame(
      buildAddbaReq({ da: STA, sa: AP, bssid: AP, dialogToken: 1, params: REQ_PARAMS, timeout: 0, startSeq: 0 }),
    );
    const delba = encodeFrame(buildDelba({ da: STA, sa: AP, bssid: AP, params: 0, reason: 1 }));
    for (let len = 25; len < req.length; len++) p.sta.drv.inject(req.subarray(0, len));
    for (let len = 26; len < delba.length; len++) p.sta.drv.inject(delba.subarray(0, len));
    // A broken element after the fixed fields.
    p.sta.drv.inject(Buffer.concat([req, Buffer.from([221, 40, 1])]));
    const truncated = req.length - 25 + (delba.length - 26) + 1;
    expect(p.sta.local.rxStats.drop['action-malformed']).toBe(truncated);
    expect(p.sta.drv.take()).toEqual([]);
    expect(p.sta.local.actionStats.addbaReq).toBe(0);
  });
});

describe('unhandled action frames', () => {
  it('a unicast frame of an unknown category goes back to its sender with bit 7 set, otherwise unchanged', async () => {
    const p = await makePair();
    p.sta.drv.take();
    const body = Uint8Array.of(0x42, 1, 2, 3, 4, 5);
    const frame = rawAction(AP, STA, AP, body);
    p.sta.drv.inject(frame);
    const [back] = p.sta.drv.take();
    const expected = Buffer.from(frame);
    expected.set(AP, 4);
    expected.set(STA, 10);
    expected[24] = 0xc2;
    // The sequence number is the station's own.
    expected[22] = back!.bytes[22]!;
    expected[23] = back!.bytes[23]!;
    expect(hex(back!.bytes)).toBe(hex(expected));
    expect(p.sta.local.actionStats.returned).toBe(1);
  });

  it('categories and Block Ack actions we do not implement are returned; the AP returns them too', async () => {
    const p = await makePair();
    p.sta.drv.take();
    p.ap.drv.take();
    p.sta.drv.inject(rawAction(AP, STA, AP, Uint8Array.of(ACTION_CATEGORY.WNM, 7, 0)));
    p.sta.drv.inject(rawAction(AP, STA, AP, Uint8Array.of(ACTION_CATEGORY.BACK, 9, 0, 0)));
    p.ap.drv.inject(rawAction(STA, AP, AP, Uint8Array.of(ACTION_CATEGORY.VENDOR_SPECIFIC, 0, 0x10, 0x18, 1)));
    expect(p.sta.drv.take().map((s) => s.bytes[24])).toEqual([0x80 | ACTION_CATEGORY.WNM, 0x83]);
    const [fromAp] = p.ap.drv.take();
    expect([fromAp!.bytes[24], hex(fromAp!.bytes.subarray(4, 10))]).toEqual([0xff, hex(STA)]);
  });

  it('not returned: group-addressed, already returned, Public, or from a peer we are not associated with', async () => {
    const p = await makePair();
    p.sta.drv.take();
    p.sta.drv.inject(rawAction(AP, BROADCAST_ADDR, AP, Uint8Array.of(0x42, 1)));
    p.sta.drv.inject(rawAction(AP, STA, AP, Uint8Array.of(0xc2, 1)));
    p.sta.drv.inject(rawAction(AP, STA, AP, Uint8Array.of(ACTION_CATEGORY.PUBLIC, 0x7f)));
    // Non-robust (HT) from a stranger reaches the action handler; a robust one is no interface's (accept_frame).
    p.sta.drv.inject(rawAction(OTHER, STA, OTHER, Uint8Array.of(ACTION_CATEGORY.HT, 0)));
    const req = buildAddbaReq({
      da: STA,
      sa: OTHER,
      bssid: OTHER,
      dialogToken: 1,
      params: REQ_PARAMS,
      timeout: 0,
      startSeq: 0,
    });
    p.sta.drv.inject(encodeFrame(req));
    expect(p.sta.drv.take()).toEqual([]);
    const d = p.sta.local.rxStats.drop;
    expect([
      d['action-unknown-mcast'],
      d['action-rejected-response'],
      d['action-public-unhandled'],
      d['action-unknown-src'],
      d['no-interface'],
    ]).toEqual([1, 1, 1, 1, 1]);
    expect(p.sta.local.actionStats.returned).toBe(0);
  });

  it('the notifications Linux consumes (HT, VHT, channel switch) are ignored, never returned; their neighbours are', async () => {
    const p = await makePair();
    p.sta.drv.take();
    const consumed: Array<[number, number]> = [
      [ACTION_CATEGORY.HT, 0],
      [ACTION_CATEGORY.HT, 1],
      [ACTION_CATEGORY.VHT, 1],
      [ACTION_CATEGORY.VHT, 2],
      [ACTION_CATEGORY.SPECTRUM_MGMT, 4],
    ];
    for (const [c, a] of consumed) p.sta.drv.inject(rawAction(AP, STA, AP, Uint8Array.of(c, a, 0)));
    expect(p.sta.drv.take()).toEqual([]);
    expect(p.sta.local.rxStats.drop['action-ignored']).toBe(consumed.length);
    p.sta.drv.inject(rawAction(AP, STA, AP, Uint8Array.of(ACTION_CATEGORY.HT, 2, 0)));
    p.sta.drv.inject(rawAction(AP, STA, AP, Uint8Array.of(ACTION_CATEGORY.VHT, 0, 0)));
    expect(p.sta.drv.take().map((s) => s.bytes[24])).toEqual([0x80 | ACTION_CATEGORY.HT, 0x80 | ACTION_CATEGORY.VHT]);
  });

  it('property: random action bodies never throw, and each frame is answered, consumed or dropped exactly once', async () => {
    const p = await makePair();
    const categories = [0, 1, 3, 3, 3, 4, 7, 8, 21, 126, 127, 128, 131, 200];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...categories),
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        fc.constantFrom(AP, OTHER),
        async (category, rest, group, from) => {
          const local = p.sta.local;
          const before = { drops: local.rxStats.dropped, ...local.actionStats };
          p.sta.drv.take();
          const frame = rawAction(from, group ? BROADCAST_ADDR : STA, from, Uint8Array.of(category, ...rest));
          expect(() => p.sta.drv.inject(frame)).not.toThrow();
          const a = local.actionStats;
          const handled =
            a.addbaReq -
            before.addbaReq +
            (a.addbaResp - before.addbaResp) +
            (a.delba - before.delba) +
            (a.returned - before.returned);
          expect(handled + local.rxStats.dropped - before.drops).toBe(1);
          const sent = p.sta.drv.take().length;
          expect(sent).toBe(a.addbaRespSent - before.addbaRespSent + (a.returned - before.returned));
          if (group) expect(sent).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
