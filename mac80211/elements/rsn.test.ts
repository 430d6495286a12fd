import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeElement } from './codec.ts';
import {
  AKM_SUITE,
  buildRsn,
  CIPHER_SUITE,
  encodeRsnCapabilities,
  type Rsn,
  rsnCapabilities,
  rsnCodec,
  rsnSuiteProblems,
  rsnWithDefaults,
  suiteToString,
  wpaCodec,
} from './rsn.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

/** Parse a whole element (30, length, body) as hostap's wpa_parse_wpa_ie_rsn does: syntax, then suite policy. */
function hostapLike(el: Uint8Array): { syntax: string | null; policy: string[] } {
  const r = rsnCodec.decode(el.subarray(2, 2 + (el[1] ?? 0)));
  return { syntax: r.ok ? null : r.reason, policy: r.ok ? rsnSuiteProblems(r.value) : [] };
}

describe('RSN element', () => {
  // ../shared/testdata/crypto/vectors.md §7: hostap common_module_tests.c rsn_parse_tests[] with their return
  // codes. hostap's codes map to our syntax reasons (-2 version, -3/-5/-7 length, -4/-6/-9 counts) and to the
  // separate suite policy (-1 invalid group/pairwise cipher, -10 invalid group management cipher).
  const vectors: [string, number, string | null, boolean][] = [
    ['', -1, 'bad-length', false],
    ['3000', -1, 'bad-length', false],
    ['30020100', 0, null, false],
    ['30020000', -2, 'bad-version', false],
    ['30020200', -2, 'bad-version', false],
    ['30020001', -2, 'bad-version', false],
    ['3002000000', -2, 'bad-version', false],
    ['3003010000', -3, 'bad-length', false],
    ['3006010000000000', -1, null, true],
    ['30060100000fac04', 0, null, false],
    ['30070100000fac0400', -5, 'bad-length', false],
    ['30080100000fac040000', -4, 'bad-count', false],
    ['30080100000fac040001', -4, 'bad-count', false],
    ['300c0100000fac040100000fac04', 0, null, false],
    ['300c0100000fac040001000fac04', -4, 'bad-count', false],
    ['300c0100000fac040100000fac06', -1, null, true],
    ['30100100000fac040200000fac04000fac08', 0, null, false],
    ['300d0100000fac040100000fac0400', -7, 'bad-length', false],
    ['300e0100000fac040100000fac040000', -6, 'bad-count', false],
    ['300e0100000fac040100000fac040001', -6, 'bad-count', false],
    ['30120100000fac040100000fac040100000fac01', 0, null, false],
    ['30160100000fac040100000fac040200000fac01000fac02', 0, null, false],
    ['30130100000fac040100000fac040100000fac0100', 0, null, false],
    ['30140100000fac040100000fac040100000fac010000', 0, null, false],
    ['30160100000fac040100000fac040100000fac0100000000', 0, null, false],
    ['30160100000fac040100000fac040100000fac0100000001', -9, 'bad-count', false],
    ['301a0100000fac040100000fac040100000fac010000000000000000', -10, null, true],
    ['301a0100000fac040100000fac040100000fac0100000000000fac06', 0, null, false],
    ['301c0100000fac040100000fac040100000fac0100000000000fac060102', 0, null, false],
  ];
  for (const [h, code, reason, policy] of vectors) {
    it(`hostap vector ${h || '(empty)'} → ${code}`, () => {
      const r = hostapLike(hex(h));
      expect(r.syntax).toBe(reason);
      expect(r.policy.length > 0).toBe(policy);
      expect(code === 0).toBe(r.syntax === null && r.policy.length === 0);
    });
  }

  it('decodes every field, PMKIDs and the group management cipher included', () => {
    const pmkid = hex('00112233445566778899aabbccddeeff');
    const body = hex(
      `0100 000fac04 0200 000fac04 000fac08 0100 000fac08 cc00 0100 ${Buffer.from(pmkid).toString('hex')} 000fac06`,
    );
    const r = rsnCodec.decode(body);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      version: 1,
      groupCipher: CIPHER_SUITE.CCMP,
      pairwiseCiphers: [CIPHER_SUITE.CCMP, CIPHER_SUITE.GCMP],
      akms: [AKM_SUITE.SAE],
      capabilities: 0xcc,
      groupMgmtCipher: CIPHER_SUITE.AES_CMAC,
    });
    expect(r.value.pmkids?.map((p) => Buffer.from(p).toString('hex'))).toEqual(['00112233445566778899aabbccddeeff']);
    expect(rsnCapabilities(0xcc)).toMatchObject({ mfpr: 1, mfpc: 1, ptksaReplayCounter: 3, gtksaReplayCounter: 0 });
    expect(rsnCodec.encode(r.value)).toEqual(body);
  });

  it('keeps truncated-but-valid forms as they were, and gives the 802.11 defaults for absent fields', () => {
    for (const h of ['0100', '0100000fac02', '0100000fac040100000fac04', '0100000fac040100000fac040100000fac02']) {
      const r = rsnCodec.decode(hex(h));
      expect(r.ok).toBe(true);
      if (r.ok) expect(Buffer.from(rsnCodec.encode(r.value)).toString('hex')).toBe(h);
    }
    const r = rsnCodec.decode(hex('0100'));
    if (!r.ok) throw new Error('version-only RSN rejected');
    expect(rsnWithDefaults(r.value)).toMatchObject({
      groupCipher: CIPHER_SUITE.CCMP,
      pairwiseCiphers: [CIPHER_SUITE.CCMP],
      akms: [AKM_SUITE.IEEE8021X],
      groupMgmtCipher: CIPHER_SUITE.AES_CMAC,
    });
  });

  it('builds the element a WPA2-PSK station sends', () => {
    const rsn = buildRsn({
      groupCipher: CIPHER_SUITE.CCMP,
      pairwiseCiphers: [CIPHER_SUITE.CCMP],
      akms: [AKM_SUITE.PSK],
      capabilities: encodeRsnCapabilities({ mfpc: 1 }),
    });
    expect(Buffer.from(encodeElement(rsnCodec, rsn)).toString('hex')).toBe(
      '30140100000fac040100000fac040100000fac028000',
    );
    expect(() => rsnCodec.encode({ ...rsn, akms: null })).toThrow(/absent but a later field is present/);
    expect(suiteToString(AKM_SUITE.FT_SAE_EXT_KEY)).toBe('00-0f-ac:25');
  });

  it('decodes the WPA vendor element (MOM1.cap style: TKIP group, TKIP+CCMP pairwise)', () => {
    const body = hex('0050f201 0100 0050f202 0200 0050f202 0050f204 0100 0050f202');
    const r = wpaCodec.decode(body);
    expect(r.ok && r.value.pairwiseCiphers).toEqual([0x0050f202, 0x0050f204]);
    if (r.ok) expect(wpaCodec.encode(r.value)).toEqual(body);
    expect(wpaCodec.decode(hex('0050f2020100')).ok).toBe(false);
  });

  const suite = fc.constantFrom(...Object.values(CIPHER_SUITE), ...Object.values(AKM_SUITE), 0x00904c01);
  const rsnArb: fc.Arbitrary<Rsn> = fc
    .tuple(
      fc.integer({ min: 0, max: 6 }),
      suite,
      fc.array(suite, { minLength: 1, maxLength: 4 }),
      fc.array(suite, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { maxLength: 3 }),
      suite,
    )
    .map(([n, g, p, a, c, k, m]) =>
      buildRsn({
        groupCipher: n >= 1 ? g : undefined,
        pairwiseCiphers: n >= 2 ? p : undefined,
        akms: n >= 3 ? a : undefined,
        capabilities: n >= 4 ? c : undefined,
        pmkids: n >= 5 ? k : undefined,
        groupMgmtCipher: n >= 6 ? m : undefined,
      }),
    );

  it('round-trips generated elements, and every truncation decodes or fails with a reason', () => {
    fc.assert(
      fc.property(rsnArb, fc.nat(), (rsn, cut) => {
        const body = rsnCodec.encode(rsn);
        const r = rsnCodec.decode(body);
        expect(r.ok && r.value).toEqual(rsn);
        const t = rsnCodec.decode(body.subarray(0, cut % (body.length + 1)));
        if (!t.ok) expect(['bad-length', 'bad-count', 'bad-version']).toContain(t.reason);
        else expect(rsnCodec.encode(t.value)).toEqual(body.subarray(0, cut % (body.length + 1)));
      }),
    );
  });
});
