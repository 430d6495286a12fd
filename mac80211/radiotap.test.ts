import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRadiotap,
  encodeRadiotap,
  RADIOTAP_F,
  type RadiotapFields,
  type RadiotapNamespace,
  radiotapLength,
} from './radiotap.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

function decoded(b: Uint8Array) {
  const r = decodeRadiotap(b);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.value;
}

describe('radiotap', () => {
  it('decodes three radiotap namespaces with per-antenna fields (OnePlus 11 capture, wlanpi-profiler)', () => {
    const b = hex(
      '00003000 2e4040a0 200800a0 20080000 10 0c 3c144001 d3 00 0000 000000000000 e312691200000000 1600 11 03 d3 00 d3 01',
    );
    const r = decoded(b);
    expect(r.length).toBe(48);
    expect(r.presentWords).toEqual([0xa040402e, 0xa0000820, 0x00000820]);
    expect(r.fields).toEqual({
      flags: RADIOTAP_F.FCS,
      rate: 12,
      channel: { freq: 5180, flags: 0x0140 },
      dbmAntSignal: -45,
      rxFlags: 0,
      timestamp: { timestamp: 308876003n, accuracy: 22, unitPosition: 0x11, flags: 3 },
    });
    expect(r.namespaces.slice(1)).toEqual([
      { kind: 'radiotap', fields: { dbmAntSignal: -45, antenna: 0 } },
      { kind: 'radiotap', fields: { dbmAntSignal: -45, antenna: 1 } },
    ]);
    expect(r.incomplete).toBeNull();
    expect(encodeRadiotap(r)).toEqual(b);
  });

  it('aligns each field to its size relative to the header start (TSFT after one octet of flags → 8)', () => {
    const b = encodeRadiotap({
      fields: { flags: 0x10, tsft: 0x0102030405060708n, channel: { freq: 2412, flags: 0xa0 }, dbmAntSignal: -40 },
    });
    // Header 8, then TSFT (bit 0) at 8, flags at 16, channel aligned to 18, signal at 22.
    expect(Buffer.from(b).toString('hex')).toBe(
      '000017002b000000' + '0807060504030201' + '10' + '00' + '6c09a000' + 'd8',
    );
    expect(decoded(b).fields.tsft).toBe(0x0102030405060708n);
    const vht = encodeRadiotap({
      fields: {
        flags: 0,
        vht: {
          known: 0x44,
          flags: 4,
          bandwidth: 4,
          mcsNss: [0x92, 0, 0, 0],
          coding: 1,
          groupId: 0,
          partialAid: 0x1234,
        },
        ampdu: { reference: 7, flags: 2, delimiterCrc: 0, reserved: 0 },
      },
    });
    const v = decoded(vht);
    expect(v.fields.vht?.mcsNss).toEqual([0x92, 0, 0, 0]);
    expect(v.fields.ampdu?.reference).toBe(7);
  });

  it('skips vendor namespaces by their skip length and resumes in the radiotap namespace', () => {
    const namespaces: RadiotapNamespace[] = [
      { kind: 'radiotap', fields: { flags: 0x10, rate: 2 } },
      { kind: 'vendor', oui: 0x001122, subNamespace: 3, presentWords: [0x5], data: hex('aabbccddee') },
      { kind: 'radiotap', fields: { dbmAntSignal: -70, antenna: 1 } },
    ];
    const b = encodeRadiotap({ namespaces });
    const r = decoded(b);
    expect(r.namespaces).toEqual(namespaces);
    expect(r.presentWords).toEqual([0xc0000006, 0xa0000005, 0x00000820]);
    expect(encodeRadiotap(r)).toEqual(b);
  });

  it('keeps a vendor namespace that ends the chain (bit 30 without bit 31), as in tcpdump ieee802.11_htc.pcap', () => {
    const b = hex(
      '00003c00 6b088040 86b2ae3900000000 04 00 3c14 4001 d3 95 0000 fcc3fe00 e5690f00 8021 027f 00037f00 1000 cb050204feff000000000000 e06e8e27',
    );
    const r = decoded(b);
    expect(r.namespaces[1]).toMatchObject({ kind: 'vendor', oui: 0x00037f, presentWords: [] }); // Atheros
    expect(encodeRadiotap(r)).toEqual(b);
  });

  it('reads TLVs (bit 28) to the end of the header', () => {
    const fields: RadiotapFields = {
      flags: 0,
      tlvs: [
        { type: 33, data: hex('0102030405060708090a0b0c') },
        { type: 34, data: hex('aabbcc') },
      ],
    };
    const b = encodeRadiotap({ fields });
    expect(b.length % 4).toBe(0);
    expect(decoded(b).fields).toEqual(fields);
    const bad = Uint8Array.from(b);
    bad[b.length - 8 + 2] = 99; // second TLV's length
    expect(decodeRadiotap(bad)).toMatchObject({ ok: false, reason: 'radiotap-tlv-overrun' });
  });

  it('stops cleanly at a field of unknown alignment and still reports the header length', () => {
    // tcpdump ieee802.11_exthdr.pcap: word 2 continues the radiotap namespace at bit 32 (unknown).
    const b = hex('00001400 02000080 01000000 10 000000 00000000');
    const r = decoded(b);
    expect(r.fields).toEqual({ flags: 0x10 });
    expect(r.incomplete).toEqual({ bit: 32, offset: 13 });
    expect(radiotapLength(b)).toBe(20);
    expect(r.trailing).toBeNull();
  });

  const malformed: [string, string, string][] = [
    ['shorter than 8 octets', '00000800', 'radiotap-short'],
    ['version 1', '0100080000000000', 'radiotap-version'],
    ['length below 8', '0000040000000000', 'radiotap-length'],
    ['length beyond the packet', '0000400000000000', 'radiotap-length'],
    ['present words past the length', '0000080000000080', 'radiotap-present-overrun'],
    ['a field past the length', '0000090001000000 00', 'radiotap-field-overrun'],
    ['vendor data past the length', '0000100000000040 001122 01 0800 0000', 'radiotap-vendor-overrun'],
  ];
  for (const [what, h, reason] of malformed) {
    it(`rejects ${what}`, () => {
      expect(decodeRadiotap(hex(h))).toMatchObject({ ok: false, reason });
    });
  }
});

const u8 = fc.integer({ min: 0, max: 255 });
const s8 = fc.integer({ min: -128, max: 127 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const quad = fc.tuple(u8, u8, u8, u8);
const fieldsArb: fc.Arbitrary<RadiotapFields> = fc.record(
  {
    tsft: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    flags: u8,
    rate: u8,
    channel: fc.record({ freq: u16, flags: u16 }),
    fhss: fc.record({ hopSet: u8, hopPattern: u8 }),
    dbmAntSignal: s8,
    dbmAntNoise: s8,
    lockQuality: u16,
    txAttenuation: u16,
    dbTxAttenuation: u16,
    dbmTxPower: s8,
    antenna: u8,
    dbAntSignal: u8,
    dbAntNoise: u8,
    rxFlags: u16,
    txFlags: u16,
    rtsRetries: u8,
    dataRetries: u8,
    xChannel: fc.record({ flags: u32, freq: u16, channel: u8, maxPower: u8 }),
    mcs: fc.record({ known: u8, flags: u8, mcs: u8 }),
    ampdu: fc.record({ reference: u32, flags: u16, delimiterCrc: u8, reserved: u8 }),
    vht: fc.record({ known: u16, flags: u8, bandwidth: u8, mcsNss: quad, coding: u8, groupId: u8, partialAid: u16 }),
    timestamp: fc.record({
      timestamp: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      accuracy: u16,
      unitPosition: u8,
      flags: u8,
    }),
    he: fc.record({ data1: u16, data2: u16, data3: u16, data4: u16, data5: u16, data6: u16 }),
    heMu: fc.record({ flags1: u16, flags2: u16, ruChannel1: quad, ruChannel2: quad }),
    heMuOtherUser: fc.record({ perUser1: u16, perUser2: u16, perUserPosition: u8, perUserKnown: u8 }),
    zeroLengthPsdu: u8,
    lsig: fc.record({ data1: u16, data2: u16 }),
  },
  { requiredKeys: [] },
);
const namespacesArb: fc.Arbitrary<RadiotapNamespace[]> = fc
  .tuple(
    fieldsArb,
    fc.array(
      fc.oneof(
        fieldsArb.map((fields): RadiotapNamespace => ({ kind: 'radiotap', fields })),
        fc
          .record({
            oui: fc.integer({ min: 0, max: 0xffffff }),
            subNamespace: u8,
            presentWords: fc.array(fc.integer({ min: 0, max: 0x1fffffff }), { minLength: 1, maxLength: 2 }),
            data: fc.uint8Array({ maxLength: 12 }),
          })
          .map((v): RadiotapNamespace => ({ kind: 'vendor', ...v })),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([first, rest]) => [{ kind: 'radiotap', fields: first }, ...rest]);

describe('radiotap properties', () => {
  it('generated headers round-trip (fields, vendor namespaces, antenna namespaces)', () => {
    fc.assert(
      fc.property(namespacesArb, (namespaces) => {
        const b = encodeRadiotap({ namespaces });
        const r = decoded(b);
        expect(r.namespaces).toEqual(namespaces);
        expect(r.incomplete).toBeNull();
        expect(encodeRadiotap(r)).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });

  it('random and truncated input never throws, and what decodes re-encodes to an equivalent header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (tail, plausible) => {
        // Half the inputs start like a real header: version 0 and a length inside the packet.
        const b =
          plausible && tail.length >= 8 ? Uint8Array.from([0, 0, tail.length & 0xff, 0, ...tail.subarray(4)]) : tail;
        const r = decodeRadiotap(b);
        if (!r.ok) {
          expect(r.reason).toMatch(/^radiotap-/);
          return;
        }
        expect(r.value.length).toBeLessThanOrEqual(b.length);
        if (r.value.incomplete) return;
        const again = decoded(encodeRadiotap(r.value));
        expect(again.namespaces).toEqual(r.value.namespaces);
      }),
      { numRuns: 3000 },
    );
  });
});
