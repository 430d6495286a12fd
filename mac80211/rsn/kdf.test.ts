import { createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aesCmac, cmacSubkeys } from './cmac.ts';
import { checkPassphrase, kdfSha256, PassphraseError, passphraseToPsk, prfSha1 } from './kdf.ts';
import { aesKeyUnwrap, aesKeyWrap } from './keywrap.ts';
import { derivePtk, pmkid } from './ptk.ts';
import { Akm, Cipher, requireAkmParams } from './suites.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Every value below is from ../shared/testdata/crypto/vectors.md (section numbers as there).
describe('§1 passphrase → PSK (802.11 J.4, aircrack-ng)', () => {
  it.each([
    ['password', 'IEEE', 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e'],
    ['ThisIsAPassword', 'ThisIsASSID', '0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af'],
    ['a'.repeat(32), 'Z'.repeat(32), 'becb93866bb8c3832cb777c2f559807c8c59afcb6eae734885001300a981cc62'],
    ['12345678', 'Harkonen', 'ee51883793a6f68e9615fe73c80a3aa6f2dd0ea537bce627b929183cc6e57925'],
    ['bo$$password', 'Neheb', 'fb57668cd338374412c26208d79aa5c30ce40a110224f3cfb592a8f2e8bf53e8'],
    ['SP-91862D361', 'WLAN-771698', null],
  ])('%s / %s', (pass, ssid, psk) => {
    const out = passphraseToPsk(pass, ssid);
    expect(out.length).toBe(32);
    if (psk) expect(hex(out)).toBe(psk);
    // SSID as bytes gives the same PSK as the string.
    expect(hex(passphraseToPsk(pass, Buffer.from(ssid)))).toBe(hex(out));
  });

  it('takes 64 hex digits as the PSK itself', () => {
    const psk = 'ee51883793a6f68e9615fe73c80a3aa6f2dd0ea537bce627b929183cc6e57925';
    expect(hex(passphraseToPsk(psk, 'anything'))).toBe(psk);
    expect(hex(passphraseToPsk(psk.toUpperCase(), 'anything'))).toBe(psk);
  });

  it('uses non-UTF-8 SSID bytes as they are', () => {
    const ssid = h('b2e2cad4'); // GB2312, as in Chinese-SSID-Name.pcap
    expect(hex(passphraseToPsk('12345678', ssid))).toBe(pbkdf2Sync('12345678', ssid, 4096, 32, 'sha1').toString('hex'));
  });

  it.each([
    ['1234567', /8 to 63/],
    ['x'.repeat(64), /64 hexadecimal/],
    ['x'.repeat(70), /8 to 63/],
    ['pässwörd1', /printable ASCII.*U\+00E4/],
    ['tab\there1', /printable ASCII/],
  ])('rejects %j with a clear error', (pass, msg) => {
    expect(checkPassphrase(pass)).toMatch(msg);
    expect(() => passphraseToPsk(pass, 'ssid')).toThrow(PassphraseError);
    expect(() => passphraseToPsk(pass, 'ssid')).toThrow(msg);
  });

  it('rejects an empty or too long SSID', () => {
    expect(() => passphraseToPsk('12345678', '')).toThrow(/1 to 32 bytes/);
    expect(() => passphraseToPsk('12345678', 'x'.repeat(33))).toThrow(/1 to 32 bytes/);
  });
});

describe('§1 RFC 6070 PBKDF2-HMAC-SHA1', () => {
  it.each([
    ['password', 'salt', 1, 20, '0c60c80f961f0e71f3a9b524af6012062fe037a6'],
    ['password', 'salt', 2, 20, 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957'],
    ['password', 'salt', 4096, 20, '4b007901b765489abead49d926f721d065a429c1'],
    [
      'passwordPASSWORDpassword',
      'saltSALTsaltSALTsaltSALTsaltSALTsalt',
      4096,
      25,
      '3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038',
    ],
  ])('%s/%s c=%i', (p, s, c, len, dk) => {
    expect(pbkdf2Sync(p, s, c, len, 'sha1').toString('hex')).toBe(dk);
  });
  // The c = 16777216 vector takes minutes of CPU; vectors.md marks it "slow; not run".
});

describe('§2 PRF-SHA1 (802.11 J.3)', () => {
  it.each([
    [
      h('0b'.repeat(20)),
      Buffer.from('Hi There'),
      'bcd4c650b30b9684951829e0d75f9d54b862175ed9f00606e17d8da35402ffee75df78c3d31e0f889f012120c0862beb67753e7439ae242edb8373698356cf5a',
    ],
    [
      Buffer.from('Jefe'),
      Buffer.from('what do ya want for nothing?'),
      '51f4de5b33f249adf81aeb713a3c20f4fe631446fabdfa58244759ae58ef9009a99abf4eac2ca5fa87e692c440eb40023e7babb206d61de7b92f41529092b8fc',
    ],
    [
      h('aa'.repeat(20)),
      h('dd'.repeat(50)),
      'e1ac546ec4cb636f9976487be5c86be17a0252ca5d8d8df12cfb0473525249ce9dd8d177ead710bc9b590547239107aef7b4abd43d87f0a68f1cbd9e2b6f7607',
    ],
  ])('vector %#', (k, b, out) => {
    expect(hex(prfSha1(k, 'prefix', b, 512))).toBe(out);
    // Shorter outputs are prefixes (PRF-128, PRF-384).
    expect(hex(prfSha1(k, 'prefix', b, 384))).toBe(out.slice(0, 96));
    expect(hex(prfSha1(k, 'prefix', b, 128))).toBe(out.slice(0, 32));
  });
});

describe('§3 PTK derivation', () => {
  it('§3a Harkonen: PRF-SHA1 PTK and KCK/KEK/TK split', () => {
    const aa = h('00146c7e4080');
    const spa = h('001346fe320c');
    const anonce = h('225854b0444de3af06d1492b852984f04cf6274c0e3218b8681756864db7a055');
    const snonce = h('59168bc3a5df18d71efb6423f340088dab9e1ba2bbc58659e07b3764b0de8570');
    const pmk = passphraseToPsk('12345678', 'Harkonen');
    const params = requireAkmParams(Akm.PSK, Cipher.CCMP);
    const ptk = derivePtk({ pmk, aa, spa, anonce, snonce, params, pairwise: Cipher.CCMP });
    expect(hex(ptk.kck)).toBe('ea0e404633c802450302868ccaa749de');
    expect(hex(ptk.kek)).toBe('5cba5abcb267e2de1d5e21e57accd507');
    expect(hex(ptk.tk)).toBe('9b31e9ff220e132ae4f6ed9ef1acc885');
    // The order of addresses and nonces does not matter (min/max).
    const swapped = derivePtk({ pmk, aa: spa, spa: aa, anonce: snonce, snonce: anonce, params, pairwise: Cipher.CCMP });
    expect(hex(swapped.bytes)).toBe(hex(ptk.bytes));
    // The first 80 bytes of the PRF output, as aircrack-ng computes them.
    const ctx = Buffer.concat([spa, aa, anonce, snonce]);
    expect(hex(prfSha1(pmk, 'Pairwise key expansion', ctx, 640))).toBe(
      'ea0e404633c802450302868ccaa749de5cba5abcb267e2de1d5e21e57accd5079b31e9ff220e132ae4f6ed9ef1acc88545825fc32ee55961395ae43734d6c10798ef5afe42c07426471868a577d4d17e',
    );
  });

  it('§3b Neheb: KDF-SHA256 PTK (AKM 6)', () => {
    const params = requireAkmParams(Akm.PSK_SHA256, Cipher.CCMP);
    const ptk = derivePtk({
      pmk: passphraseToPsk('bo$$password', 'Neheb'),
      aa: h('b0b98a568dea'),
      spa: h('2cf0a2ddbcd0'),
      anonce: h('0218c7b64ecef40c4f15915fbceb19c8d62608387eb6b986d9599a8bd70dc85d'),
      snonce: h('6467233e730767c33e1df875c3ad0eb58a51ad704a3fae06b818c0c5fcebf3af'),
      params,
      pairwise: Cipher.CCMP,
    });
    expect(hex(Buffer.concat([ptk.kck, ptk.kek]))).toBe(
      '2c76dc592c3b671bac230f6c9e38a062a0ddc98f4ab4d6129022fc7f45fe9264',
    );
    expect(ptk.bytes.length).toBe(48);
  });

  it('KDF-SHA256 follows 12.7.1.7.2 (i and Length little-endian)', () => {
    const k = h('0102030405060708090a0b0c0d0e0f10');
    const out = kdfSha256(k, 'label', h('aabb'), 384);
    expect(out.length).toBe(48);
    expect(hex(out.subarray(0, 32))).toBe(
      hex(
        createHmac('sha256', k)
          .update(Buffer.concat([h('0100'), Buffer.from('label'), h('aabb'), h('8001')]))
          .digest(),
      ),
    );
  });

  it('CCMP-256 and GCMP-256 take a 32-byte TK', () => {
    const params = requireAkmParams(Akm.PSK, Cipher.CCMP_256);
    const z = new Uint8Array(32);
    const ptk = derivePtk({
      pmk: z,
      aa: z.subarray(0, 6),
      spa: z.subarray(0, 6),
      anonce: z,
      snonce: z,
      params,
      pairwise: Cipher.CCMP_256,
    });
    expect(ptk.tk.length).toBe(32);
    expect(ptk.bytes.length).toBe(64);
  });

  it('refuses TKIP and unknown AKMs with a reason', () => {
    expect(() => requireAkmParams(Akm.PSK, Cipher.TKIP)).toThrow(/TKIP/);
    expect(() => requireAkmParams(Akm.FT_PSK, Cipher.CCMP)).toThrow(/FT_PSK.*not supported/);
  });
});

describe('§3d PMKID', () => {
  it('test-pmkid vector (HMAC-SHA1-128)', () => {
    const pmk = passphraseToPsk('SP-91862D361', h('574c414e2d373731363938'));
    expect(hex(pmkid(pmk, h('0012bf77162d'), h('0021e924a5e7')))).toBe('c2ea9449c142e84a0479041702526532');
  });
  it('SHA-256 variant is HMAC-SHA256 truncated', () => {
    const pmk = h('11'.repeat(32));
    const want = createHmac('sha256', pmk)
      .update(Buffer.concat([Buffer.from('PMK Name'), h('020000000001'), h('020000000002')]))
      .digest()
      .subarray(0, 16);
    expect(hex(pmkid(pmk, h('020000000001'), h('020000000002'), 'sha256'))).toBe(hex(want));
  });
});

describe('AES-CMAC (RFC 4493 section 4)', () => {
  const k = h('2b7e151628aed2a6abf7158809cf4f3c');
  const m = h(
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  );
  it('subkeys', () => {
    const [k1, k2] = cmacSubkeys(k);
    expect(hex(k1)).toBe('fbeed618357133667c85e08f7236a8de');
    expect(hex(k2)).toBe('f7ddac306ae266ccf90bc11ee46d513b');
  });
  it.each([
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ])('example with %i bytes', (len, tag) => {
    expect(hex(aesCmac(k, m.subarray(0, len)))).toBe(tag);
    // Split input gives the same tag.
    expect(hex(aesCmac(k, m.subarray(0, len >> 1), m.subarray(len >> 1, len)))).toBe(tag);
  });
});

describe('§5 AES key wrap (RFC 3394)', () => {
  const kek = h('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  it.each([
    [16, '00112233445566778899aabbccddeeff', '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5'],
    [24, '00112233445566778899aabbccddeeff', '96778b25ae6ca435f92b5b97c050aed2468ab8a17ad84e5d'],
    [32, '00112233445566778899aabbccddeeff', '64e8c3f9ce0f5ba263e9777905818a2a93c8191e7d6e8ae7'],
    [
      24,
      '00112233445566778899aabbccddeeff0001020304050607',
      '031d33264e15d33268f24ec260743edce1c6c7ddee725a936ba814915c6762d2',
    ],
    [
      32,
      '00112233445566778899aabbccddeeff0001020304050607',
      'a8f9bc1612c68b3ff6e6f4fbe30e71e4769c8b80a32cb8958cd5d17d6b254da1',
    ],
    [
      32,
      '00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f',
      '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21',
    ],
  ])('KEK %i bytes, %s', (kekLen, plain, wrapped) => {
    const key = kek.subarray(0, kekLen);
    expect(hex(aesKeyWrap(key, h(plain)))).toBe(wrapped);
    expect(hex(aesKeyUnwrap(key, h(wrapped))!)).toBe(plain);
    // Any flipped bit fails the integrity check (returns null, never throws).
    const bad = h(wrapped);
    bad[bad.length - 1]! ^= 1;
    expect(aesKeyUnwrap(key, bad)).toBeNull();
  });
  it('rejects impossible lengths without throwing', () => {
    const key = kek.subarray(0, 16);
    expect(aesKeyUnwrap(key, new Uint8Array(0))).toBeNull();
    expect(aesKeyUnwrap(key, new Uint8Array(16))).toBeNull();
    expect(aesKeyUnwrap(key, new Uint8Array(25))).toBeNull();
    expect(() => aesKeyWrap(key, new Uint8Array(12))).toThrow(RangeError);
  });
});
