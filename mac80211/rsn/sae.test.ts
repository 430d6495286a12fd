import { describe, expect, it } from 'vitest';
import {
  bigIntToBytes,
  bytesToBigInt,
  decodePoint,
  encodePoint,
  encodeSaeCommit,
  isOnCurve,
  P256,
  pointAdd,
  pointNegate,
  saeCommit,
  saeConfirm,
  saeDeriveKeys,
  saeDerivePt,
  saePweFromPt,
  saePweHuntingPecking,
  scalarMult,
} from './sae.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const big = (s: string) => bytesToBigInt(h(s));

// vectors.md §6: 802.11-2020 Annex J.10 via hostap's sae_tests(), group 19.
const ADDR1 = h('4d3f2fffe387');
const ADDR2 = h('a5d8aa958e3c');
const RAND = big('992465fd3daa3c60aa6565b7f62a2a7f2e12dd12f198faf4fbed89d7ff1ace94');
const MASK = big('9507a90f777a044d6a0830b91ea3d5dd70bece44e1acffb86983b5e1bf9fb322');
const LOCAL_COMMIT = h(
  '1300 2e2c0f0db52440ad146d967114ce005ce1eab0aa2c2e5c2871b774f6c2575c65' +
    'd5ad9e00829707aa36ba8b859738fc961d08243505f47c035376d7ac4bc8d7b9' +
    '5083bf43827d0fc31ed778dd3671fd21a46d1091d64b6f9a1e1272621325dbe1',
);
const PEER_COMMIT = h(
  '1300 591b96f3397fb945100848e7b550543b6720d88337ee93fc49fd6df7e08b5223' +
    'e71b9bb048d3873f20556953a96c91536fd8ee6ca9b4a68a148b056a909be03e' +
    '83ae208f60f8ef5537858074db06687032399862999b511e0a1552a5fea317c2',
);

describe('SAE group 19 (vectors.md §6)', () => {
  const pwe = saePweHuntingPecking('mekmitasdigoat', ADDR1, ADDR2)!;

  it('hunting-and-pecking PWE', () => {
    expect(pwe).not.toBeNull();
    expect(hex(bigIntToBytes(pwe.x))).toBe('da6eb7b06a1ac5624974f90afdd6a8e9d5722634cf987c34defc91a9874e5658');
    expect(hex(bigIntToBytes(pwe.y))).toBe('f4fefd130bd5be08fe68af3e4a290272ec065fd3671f3c25bf8ec419ddc9b822');
    expect(isOnCurve(pwe)).toBe(true);
    // The order of the addresses does not matter.
    expect(saePweHuntingPecking('mekmitasdigoat', ADDR2, ADDR1)).toEqual(pwe);
  });

  it('local commit from rand and mask', () => {
    const c = saeCommit(pwe, RAND, MASK);
    expect(hex(encodeSaeCommit(c))).toBe(hex(LOCAL_COMMIT));
  });

  it('k, keyseed, KCK, PMK and PMKID from the peer commit', () => {
    const own = saeCommit(pwe, RAND, MASK);
    const peerScalar = bytesToBigInt(PEER_COMMIT.subarray(2, 34));
    const peerElement = decodePoint(PEER_COMMIT.subarray(34))!;
    expect(peerElement).not.toBeNull();
    const keys = saeDeriveKeys(pwe, own, peerScalar, peerElement)!;
    expect(hex(keys.k)).toBe('189f666f3181b4a1701c2bf7d34d644e66b5a104acb99adf25f3d48b878c081f');
    expect(hex(keys.keyseed)).toBe('06900d37677ed6c103ea1386d753b56be74dc3a7e5fe96528e580521daad121a');
    expect(hex(keys.kck)).toBe('1e733f6d9bd53256287304338831b09a39406d121017073a5c30db36f36cb81a');
    expect(hex(keys.pmk)).toBe('4e4dfab1a2dd8ac1a91790f953faaa452ae5c6873ab75b63605ba663f8a7fe59');
    expect(hex(keys.pmkid)).toBe('8747a600eea3f9f22475df58ca1e5498');
  });

  it('rejects an invalid peer commit: scalar out of range, element off the curve, or our own reflected', () => {
    const own = saeCommit(pwe, RAND, MASK);
    const el = decodePoint(PEER_COMMIT.subarray(34))!;
    expect(saeDeriveKeys(pwe, own, 1n, el)).toBeNull();
    expect(saeDeriveKeys(pwe, own, P256.r, el)).toBeNull();
    expect(saeDeriveKeys(pwe, own, own.scalar, own.element)).toBeNull();
    const off = Buffer.from(PEER_COMMIT.subarray(34));
    off[63]! ^= 1;
    expect(decodePoint(off)).toBeNull();
  });

  it('two peers with the same password agree on PMK and confirm each other', () => {
    const a = saeCommit(pwe, 12345678901234567890n, 98765432109876543210n);
    const b = saeCommit(pwe, 5555555555555555555n, 7777777777777777777n);
    const ka = saeDeriveKeys(pwe, a, b.scalar, b.element)!;
    const kb = saeDeriveKeys(pwe, b, a.scalar, a.element)!;
    expect(hex(ka.pmk)).toBe(hex(kb.pmk));
    expect(hex(ka.pmkid)).toBe(hex(kb.pmkid));
    // A's confirm as B verifies it (own and peer swapped).
    expect(hex(saeConfirm(ka.kck, 1, a, b))).toBe(hex(saeConfirm(kb.kck, 1, a, b)));
    // A wrong password gives another PWE, another PMK.
    const wrong = saePweHuntingPecking('not-the-password', ADDR1, ADDR2)!;
    const kw = saeDeriveKeys(wrong, saeCommit(wrong, 3n, 4n), a.scalar, a.element)!;
    expect(hex(kw.pmk)).not.toBe(hex(ka.pmk));
  });
});

describe('SAE hash-to-element (vectors.md §6, not re-verified there)', () => {
  it('PT from SSID/password/identifier, then PWE for the addresses', () => {
    const pt = saeDerivePt('byteme', 'mekmitasdigoat', 'psk4internet');
    expect(isOnCurve(pt)).toBe(true);
    const pwe = saePweFromPt(pt, h('00095b66ec1e'), h('000b6bd90246'));
    expect(hex(bigIntToBytes(pwe.x))).toBe('c93049b9e64000f848201649e999f2b5c22dea69b5632c9df4d633b8aa1f6c1e');
    expect(hex(bigIntToBytes(pwe.y))).toBe('73634e94b53d82e7383a8d258199d9dc1a5ee8269d060382ccbf33e614ff59a0');
  });

  it('point arithmetic: (r−1)·P + P is the point at infinity, (r−1)·P = −P, encode/decode round-trips', () => {
    const pt = saeDerivePt('ssid', 'password');
    const m = scalarMult(P256.r - 1n, pt)!;
    expect(m).toEqual(pointNegate(pt));
    expect(pointAdd(m, pt)).toBeNull();
    expect(scalarMult(2n, pt)).toEqual(pointAdd(pt, pt));
    expect(decodePoint(encodePoint(pt))).toEqual(pt);
  });
});
