import { describe, expect, it } from 'vitest';
import { ccmpDecrypt, ccmpEncrypt, readCcmpPn, writeCcmpHeader } from './ccmp.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// ../shared/testdata/crypto/vectors.md §4 (IEEE 802.11-2012 M.6.4 and a real frame), restated here.
describe('hardware CCMP engine', () => {
  it('matches the IEEE 802.11 M.6.4 test vector', () => {
    const tk = hex('c97c1f67ce371185514a8a19f2bdd52f');
    const hdr = hex('0848c32c0fd2e128a57c5030f1844408abaea5b8fcba8033');
    const pn = 0xb5039776e70c;
    const out = ccmpEncrypt(tk, hdr, 24, pn, hex('f8ba1a55d02f85ae967bb62fb6cda8eb7e78a050'));
    expect(toHex(out)).toBe('f3d0a2fe9a3dbf2342a643e43246e80c3c04d019' + '7845ce0b16f97623');
    const ivh = new Uint8Array(8);
    writeCcmpHeader(ivh, 0, pn, 0);
    expect(toHex(ivh)).toBe('0ce70020769703b5');
    expect(readCcmpPn(ivh, 0)).toBe(pn);
  });

  it('decrypts a real WPA2 frame and rejects a tampered one', () => {
    const tk = hex('1d035e8beb4f83611dc93e2657cecf69');
    const f = hex(
      '08410201000b86c2a4850013ce5598ef000f66e3e401202e010000200000000095c31e2d0201589f4debe227c4e9c21db12c7a666a35808abe1e738dab1da36ba0f31681709a94f0b6532cd6935b141359',
    );
    const pn = readCcmpPn(f, 24);
    expect(pn).toBe(1);
    const plain = ccmpDecrypt(tk, f, 24, pn, f.subarray(32));
    expect(plain && toHex(plain)).toBe(
      'aaaa030000000800450000216a1200000101f743ac100065ac10000108002667040003004448435043',
    );
    const bad = f.slice();
    bad[40] = bad[40]! ^ 1;
    expect(ccmpDecrypt(tk, bad, 24, pn, bad.subarray(32))).toBeNull();
    expect(ccmpDecrypt(tk, f, 24, pn, f.subarray(32, 36))).toBeNull();
  });
});
