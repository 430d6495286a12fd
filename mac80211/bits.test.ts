import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BitField, decodeBits, encodeBits, getBits, layoutBytes, layoutProblems, setBits } from './bits.ts';
import { HE_6GHZ_CAPABILITIES_LAYOUT, RM_CAPABILITIES_LAYOUT, RSNX_LAYOUT } from './elements/basic.ts';
import { EHT_MAC_CAPABILITIES_LAYOUT, EHT_PHY_CAPABILITIES_LAYOUT } from './elements/eht.ts';
import {
  HE_6GHZ_OPERATION_LAYOUT,
  HE_MAC_CAPABILITIES_LAYOUT,
  HE_OPERATION_PARAMS_LAYOUT,
  HE_PHY_CAPABILITIES_LAYOUT,
} from './elements/he.ts';
import { HT_CAPABILITIES_LAYOUT, HT_OPERATION_LAYOUT } from './elements/ht.ts';
import { RSN_CAPABILITIES_LAYOUT } from './elements/rsn.ts';
import { VHT_CAPABILITIES_LAYOUT, VHT_OPERATION_LAYOUT } from './elements/vht.ts';

describe('bit fields', () => {
  it('numbers bits from the least significant bit of the first octet', () => {
    const b = Uint8Array.of(0b1010_0101, 0b0000_0011);
    expect(getBits(b, 0, 0, 1)).toBe(1);
    expect(getBits(b, 0, 1, 2)).toBe(0b10);
    expect(getBits(b, 0, 5, 5)).toBe(0b11101);
    expect(getBits(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff), 0, 4, 32)).toBe(0xffffffff);
  });

  it('setBits changes only its field', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 1, max: 32 }),
        fc.nat(),
        (bytes, bit, width, value) => {
          const b = Uint8Array.from(bytes);
          setBits(b, 0, bit, width, value);
          expect(getBits(b, 0, bit, width)).toBe(value % 2 ** width);
          for (let i = 0; i < 48; i++) {
            if (i >= bit && i < bit + width) continue;
            expect(getBits(b, 0, i, 1)).toBe(getBits(bytes, 0, i, 1));
          }
        },
      ),
    );
  });

  const layouts: [string, readonly BitField[], number][] = [
    ['HT Capabilities', HT_CAPABILITIES_LAYOUT, 26],
    ['HT Operation (fixed part)', HT_OPERATION_LAYOUT, 6],
    ['VHT Capabilities', VHT_CAPABILITIES_LAYOUT, 12],
    ['VHT Operation', VHT_OPERATION_LAYOUT, 5],
    ['HE MAC Capabilities', HE_MAC_CAPABILITIES_LAYOUT, 6],
    ['HE PHY Capabilities', HE_PHY_CAPABILITIES_LAYOUT, 11],
    ['HE Operation parameters', HE_OPERATION_PARAMS_LAYOUT, 6],
    ['HE 6 GHz Operation Information', HE_6GHZ_OPERATION_LAYOUT, 5],
    ['EHT MAC Capabilities', EHT_MAC_CAPABILITIES_LAYOUT, 2],
    ['EHT PHY Capabilities', EHT_PHY_CAPABILITIES_LAYOUT, 9],
    ['RM Enabled Capabilities', RM_CAPABILITIES_LAYOUT, 5],
    ['HE 6 GHz Band Capabilities', HE_6GHZ_CAPABILITIES_LAYOUT, 2],
    ['RSN Capabilities', RSN_CAPABILITIES_LAYOUT, 2],
    ['RSNX', RSNX_LAYOUT, 1],
  ];
  for (const [name, layout, octets] of layouts) {
    it(`${name}: every bit of its ${octets} octets belongs to exactly one field, and it round-trips`, () => {
      expect(layoutProblems(layout)).toEqual([]);
      expect(layoutBytes(layout)).toBe(octets);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: octets, maxLength: octets }), (bytes) => {
          const out = new Uint8Array(octets);
          encodeBits(layout, decodeBits(layout, bytes), out);
          expect(out).toEqual(bytes);
        }),
        { numRuns: 50 },
      );
    });
  }

  it('layoutProblems finds gaps and overlaps', () => {
    expect(
      layoutProblems([
        ['a', 0, 3],
        ['b', 2, 2],
      ] as const),
    ).toEqual([
      'b overlaps a at bit 2',
      'bit 4 is not covered',
      'bit 5 is not covered',
      'bit 6 is not covered',
      'bit 7 is not covered',
    ]);
  });
});
