import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTxs, encodeTxs, txsIgnored } from './txs.ts';

describe('TX status records (FACTS §7.2)', () => {
  it('decodes the fields at their bit positions', () => {
    const b = new Uint8Array(32);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, (0x04b | (1 << 15) | (1 << 25) | (5 << 26) | (2 << 29)) >>> 0, true);
    dv.setUint32(4, (0x12 | (0x34 << 8) | (3 << 16) | (0x7b << 20)) >>> 0, true);
    dv.setUint32(8, (100 | (4 << 16)) >>> 0, true);
    dv.setUint32(12, (0x10 << 24) >>> 0, true);
    dv.setUint32(16, 0xdeadbeef, true);
    const r = decodeTxs(b, 0);
    expect(r.txRate).toBe(0x04b);
    expect(r.statusHost).toBe(true);
    expect(r.ampdu).toBe(true);
    expect(r.tid).toBe(5);
    expect(r.bw).toBe(2);
    expect(r.txPowerDbm).toBe(0x12);
    expect(r.rxvSeqno).toBe(0x34);
    expect(r.respRate).toBe(3);
    expect(r.seqno).toBe(0x7b);
    expect(r.txDelay).toBe(100);
    expect(r.wcid).toBe(4);
    expect(r.pid).toBe(0x10);
    expect(r.timestamp).toBe(0xdeadbeef);
    expect(r.acked).toBe(true);
    expect(txsIgnored(r)).toBe(false);
  });

  it('acked iff bits 18:16 are clear; ignore rules', () => {
    expect(decodeTxs(encodeTxs({ ackTimeout: true, pid: 5, wcid: 1 }), 0).acked).toBe(false);
    expect(decodeTxs(encodeTxs({ rtsTimeout: true }), 0).acked).toBe(false);
    expect(decodeTxs(encodeTxs({ queueTimeout: true }), 0).acked).toBe(false);
    expect(decodeTxs(encodeTxs({ bipError: true }), 0).acked).toBe(true);
    expect(txsIgnored(decodeTxs(encodeTxs({ pid: 2, wcid: 1 }), 0))).toBe(true);
    expect(txsIgnored(decodeTxs(encodeTxs({ pid: 3, wcid: 20 }), 0))).toBe(true);
    expect(txsIgnored(decodeTxs(encodeTxs({ pid: 3, wcid: 19, format: 2 }), 0))).toBe(true);
    expect(txsIgnored(decodeTxs(encodeTxs({ pid: 3, wcid: 19, format: 1 }), 0))).toBe(false);
  });

  it('decode(encode(bytes)) round-trips every record', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const r = decodeTxs(bytes, 0);
        expect(encodeTxs(r)).toEqual(bytes);
      }),
    );
  });
});
