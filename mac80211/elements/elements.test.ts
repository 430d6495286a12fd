import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkElements, element, Elements, extElement, vendorElement } from './elements.ts';
import { EID } from './ids.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

describe('element lists', () => {
  // hostap src/common/common_module_tests.c parse_tests[]: (elements, parse fails?, element count). hostap's
  // "unknown" results (vendor elements it does not know, empty extension elements) are well formed here.
  const hostapParseTests: [string, boolean, number][] = [
    ['', false, 0],
    ['20', true, 0],
    ['ff00', false, 1],
    ['ff01', true, 0],
    ['dd03010203', false, 1],
    ['dd0401020304', false, 1],
    ['dd040050f202', false, 1],
    ['dd050050f20202', false, 1],
    ['dd050050f202ff', false, 1],
    ['dd040050f2ff', false, 1],
    ['dd04506f9aff', false, 1],
    ['dd0400904c33', false, 1],
    ['dd0400904cffdd0400904c33', false, 2],
    ['1001002100', false, 2],
    ['2400', false, 1],
    ['3800', false, 1],
    ['5400', false, 1],
    ['5a00', false, 1],
    ['6500', false, 1],
    ['6512000102030405060708090a0b0c0d0e0f1011', false, 1],
    ['6e00', false, 1],
    ['c700', false, 1],
    ['c70100', false, 1],
    ['03002a003600370038002d003d00bf00c000', false, 9],
    ['8b00', false, 1],
    ['dd0400904c04', false, 1],
    ['ed00', false, 1],
    ['ef00', false, 1],
    ['ef0111', false, 1],
    ['f000', false, 1],
    ['f100', false, 1],
    ['f1021122', false, 1],
    ['f200', false, 1],
    ['ff0100', false, 1],
    ['ff0101', false, 1],
    ['ff020100', false, 1],
    ['ff0102', false, 1],
    ['ff0402112233', false, 1],
    ['ff0104', false, 1],
    ['ff0105', false, 1],
    ['ff0d05112233445555112233445555', false, 1],
    ['ff0106', false, 1],
    ['ff020600', false, 1],
    ['ff0107', false, 1],
    ['ff09071122334455667788', false, 1],
    ['ff010c', false, 1],
    ['ff020c00', false, 1],
    ['ff010d', false, 1],
  ];
  for (const [h, fails, count] of hostapParseTests) {
    it(`hostap parse test "${h.replace(/\s/g, '')}": ${fails ? 'malformed' : 'well formed'}, ${count} element(s)`, () => {
      const b = hex(h);
      const e = Elements.of(b);
      expect(e.check() !== null).toBe(fails);
      expect(e.count()).toBe(count);
    });
  }

  it('reports where and why a list is malformed', () => {
    const bad = checkElements(hex('0003616263 3005 0100'), 0, 9);
    expect(bad).toMatchObject({ ok: false, reason: 'element-overrun', offset: 5 });
    expect(bad?.detail).toMatch(/element 48 says 5 octets, 2 remain/);
  });

  it('finds elements, extension elements and vendor elements without copying', () => {
    const b = hex('0004 74657374 0102 8284 ff03 23 aabb dd07 0050f2 02 000100 dd05 0050f2 04 99');
    const e = Elements.of(b);
    const ssid = e.find(EID.SSID);
    expect(ssid && Buffer.from(ssid).toString()).toBe('test');
    expect(ssid?.buffer).toBe(b.buffer);
    expect(Array.from(e.findExt(35) ?? [])).toEqual([0xaa, 0xbb]);
    expect(e.findExt(36)).toBeNull();
    expect(Array.from(e.findVendor(0x0050f2, 2, 0) ?? [])).toEqual([0, 1, 0]);
    expect(e.findVendor(0x0050f2, 2, 1)).toBeNull();
    expect(Array.from(e.findVendor(0x0050f2, 4) ?? [])).toEqual([0x99]);
    expect([...e].map((r) => [r.id, r.ext, r.length])).toEqual([
      [0, -1, 4],
      [1, -1, 2],
      [255, 35, 2],
      [221, -1, 7],
      [221, -1, 5],
    ]);
  });

  it('fragments long elements and reassembles them (Fragment elements, ID 242)', () => {
    const long = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
    const enc = element(EID.RSN, long);
    expect(enc.length).toBe(600 + 2 * 3);
    expect([enc[0], enc[1], enc[257], enc[258], enc[514], enc[515]]).toEqual([48, 255, 242, 255, 242, 90]);
    const e = Elements.of(Uint8Array.from([...element(0, Uint8Array.of(1)), ...enc, ...element(1, Uint8Array.of(2))]));
    expect(e.find(EID.RSN)).toEqual(long);
    expect(e.check()).toBeNull();
    const ext = extElement(107, long.subarray(0, 300));
    expect(Elements.of(ext).findExt(107)).toEqual(long.subarray(0, 300));
    expect(Array.from(vendorElement(0x506f9a, 9, Uint8Array.of(7)))).toEqual([221, 5, 0x50, 0x6f, 0x9a, 9, 7]);
  });

  it('never throws on random input, and walks only what check() accepts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const e = Elements.of(b);
        const bad = e.check();
        const stop = e.walk(() => false);
        expect(stop === b.length).toBe(bad === null);
        for (const id of [0, 48, 221, 255]) e.find(id);
        e.findExt(35);
        e.findVendor(0x0050f2, 2);
      }),
    );
  });
});
