import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LINKTYPE_IEEE802_11,
  LINKTYPE_IEEE802_11_AVS,
  LINKTYPE_IEEE802_11_PRISM,
  LINKTYPE_IEEE802_11_RADIOTAP,
} from '../netstack/pcap/reader.ts';
import { macFromString } from './addr.ts';
import { decodeCapturedFrame, prismHeaderLength } from './capture.ts';
import { buildAck } from './frame/build.ts';
import { encodeFrame } from './frame/frame.ts';
import { encodeRadiotap, RADIOTAP_F } from './radiotap.ts';

const ack = encodeFrame(buildAck(macFromString('02:00:00:00:00:01')), { fcs: true });

describe('captured frames', () => {
  it('strips radiotap and honours its FCS and bad-FCS flags', () => {
    const withFcs = Uint8Array.from([
      ...encodeRadiotap({ fields: { flags: RADIOTAP_F.FCS, dbmAntSignal: -40 } }),
      ...ack,
    ]);
    const d = decodeCapturedFrame(LINKTYPE_IEEE802_11_RADIOTAP, withFcs);
    expect(d.ok && d.value.frame.body.kind).toBe('ack');
    expect(d.ok && d.value.radiotap?.fields.dbmAntSignal).toBe(-40);
    const corrupt = Uint8Array.from(withFcs);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect(decodeCapturedFrame(LINKTYPE_IEEE802_11_RADIOTAP, corrupt)).toMatchObject({ ok: false, reason: 'bad-fcs' });
    const flagged = Uint8Array.from([
      ...encodeRadiotap({ fields: { flags: RADIOTAP_F.FCS | RADIOTAP_F.BADFCS } }),
      ...ack,
    ]);
    flagged[flagged.length - 1] ^= 0xff;
    const f = decodeCapturedFrame(LINKTYPE_IEEE802_11_RADIOTAP, flagged);
    expect(f.ok && f.value.badFcs).toBe(true);
  });

  it('uses the file-level FCS length for raw 802.11 and reports a cut capture as such', () => {
    expect(decodeCapturedFrame(LINKTYPE_IEEE802_11, ack, { fcsLength: 4 }).ok).toBe(true);
    expect(decodeCapturedFrame(LINKTYPE_IEEE802_11, ack.subarray(0, 7), { originalLength: 14 })).toMatchObject({
      ok: false,
      reason: 'capture-truncated',
    });
    expect(decodeCapturedFrame(1, ack)).toMatchObject({ ok: false, reason: 'link-type' });
  });

  it('skips Prism and AVS headers by their length, and takes anything else as a bare frame', () => {
    const prism = new Uint8Array(144);
    new DataView(prism.buffer).setUint32(0, 0x44, true);
    new DataView(prism.buffer).setUint32(4, 144, true);
    expect(prismHeaderLength(prism)).toEqual({ ok: true, value: 144 });
    const p = decodeCapturedFrame(LINKTYPE_IEEE802_11_PRISM, Uint8Array.from([...prism, ...ack.subarray(0, 10)]));
    expect(p.ok && p.value.frame.body.kind).toBe('ack');
    const avs = new Uint8Array(64);
    new DataView(avs.buffer).setUint32(0, 0x80211001, false);
    new DataView(avs.buffer).setUint32(4, 64, false);
    expect(decodeCapturedFrame(LINKTYPE_IEEE802_11_AVS, Uint8Array.from([...avs, ...ack.subarray(0, 10)])).ok).toBe(
      true,
    );
    new DataView(avs.buffer).setUint32(4, 4000, false);
    expect(decodeCapturedFrame(LINKTYPE_IEEE802_11_AVS, avs)).toMatchObject({ ok: false, reason: 'prism-length' });
    expect(prismHeaderLength(ack.subarray(0, 10))).toEqual({ ok: true, value: 0 });
  });

  it('never throws on random packets of any 802.11 link type', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(105, 119, 127, 163, 1),
        fc.uint8Array({ maxLength: 200 }),
        fc.option(fc.nat(300), { nil: undefined }),
        (lt, data, orig) => {
          const r = decodeCapturedFrame(lt, data, { originalLength: orig });
          if (!r.ok) expect(r.reason).toMatch(/^[a-z0-9-]+$/);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
