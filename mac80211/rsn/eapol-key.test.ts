import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEapol, EapolType, encodeEapol } from './eapol.ts';
import {
  decodeEapolKey,
  decodeKeyInfo,
  EAPOL_KEY_MIC_OFFSET,
  eapolKeyMessage,
  eapolKeyMic,
  encodeEapolKey,
  encodeKeyInfo,
  KeyInfo,
  setEapolKeyMic,
  verifyEapolKeyMic,
} from './eapol-key.ts';
import { prfSha1 } from './kdf.ts';
import { computeMic, micAlgorithmForVersion } from './mic.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// vectors.md §3a: message 2 of the Harkonen handshake, MIC zeroed.
const HARKONEN_M2 = h(
  '0103007502010a0010000000000000000159168bc3a5df18d71efb6423f340088dab9e1ba2bbc58659e07b3764b0de8570' +
    '00000000000000000000000000000000 0000000000000000 0000000000000000 00000000000000000000000000000000' +
    '0016 30140100000fac040100000fac040100000fac020100',
);
// vectors.md §3b: message 2 of the Neheb handshake (AKM 6, descriptor version 3), MIC zeroed.
const NEHEB_M2 = h(
  '0203007502010b001000000000000000036467233e730767c33e1df875c3ad0eb58a51ad704a3fae06b818c0c5fcebf3af' +
    '00'.repeat(16 + 8 + 8 + 16) +
    '0016 30140100000fac040100000fac040100000fac068c00',
);

describe('EAPOL-Key MIC vectors', () => {
  it('§3a HMAC-SHA1-128 (descriptor version 2)', () => {
    const kck = h('ea0e404633c802450302868ccaa749de');
    expect(HARKONEN_M2.length).toBe(121);
    const d = decodeEapolKey(HARKONEN_M2);
    if (!d.ok) throw new Error(d.reason);
    const alg = micAlgorithmForVersion(decodeKeyInfo(d.value.keyInfo).descriptorVersion)!;
    expect(alg).toBe('hmac-sha1-128');
    expect(hex(eapolKeyMic(HARKONEN_M2, alg, kck))).toBe('d5355382b8a9b806dcaf99cdaf564eb6');
    const withMic = Buffer.from(HARKONEN_M2);
    setEapolKeyMic(withMic, alg, kck);
    expect(verifyEapolKeyMic(withMic, alg, kck)).toBe(true);
    withMic[100]! ^= 0x40;
    expect(verifyEapolKeyMic(withMic, alg, kck)).toBe(false);
  });

  it('§3b AES-128-CMAC (descriptor version 3)', () => {
    const kck = h('2c76dc592c3b671bac230f6c9e38a062');
    const d = decodeEapolKey(NEHEB_M2);
    if (!d.ok) throw new Error(d.reason);
    const alg = micAlgorithmForVersion(decodeKeyInfo(d.value.keyInfo).descriptorVersion)!;
    expect(alg).toBe('aes-128-cmac');
    expect(hex(eapolKeyMic(NEHEB_M2, alg, kck))).toBe('2e13c40ca1c2e4e2037f99a2da18a46b');
  });

  it('§3a note: aircrack-ng test-calc-mic.c, HMAC-MD5 (version 1) and HMAC-SHA1 (version 2) with another PMK', () => {
    const pmk = h('6fe857c0b742dfc2da8a1fe8b1b4b4628d9fbbb060826b83cb43b64b13e103e8');
    const ctx = Buffer.concat([
      h('001346fe320c'),
      h('00146c7e4080'),
      h('225854b0444de3af06d1492b852984f04cf6274c0e3218b8681756864db7a055'),
      h('59168bc3a5df18d71efb6423f340088dab9e1ba2bbc58659e07b3764b0de8570'),
    ]);
    const ptk = prfSha1(pmk, 'Pairwise key expansion', ctx, 640);
    expect(hex(ptk)).toBe(
      '9a75ef0bde7c209ccae13f54b1b33ea3fa0166166e30811f1baaff8d1c1ac16382a49b50b86088c5cb793b542661a28a64693c72b86673e0a82d48c74768cbf9a1bf86cc30b9d63de8825925ec1f4d3f',
    );
    const kck = ptk.subarray(0, 16);
    expect(hex(computeMic('hmac-md5', kck, HARKONEN_M2))).toBe('9cc3faa0c685961d8406bb657745135d');
    expect(hex(computeMic('hmac-sha1-128', kck, HARKONEN_M2))).toBe('6f0489cf7406acf0ae8fcb32bce57c37');
  });
});

describe('EAPOL-Key decode', () => {
  it('decodes every field of the §3a message 2', () => {
    const d = decodeEapolKey(HARKONEN_M2);
    if (!d.ok) throw new Error(d.reason);
    const k = d.value;
    expect(k.eapolVersion).toBe(1);
    expect(k.descriptorType).toBe(2);
    expect(k.keyInfo).toBe(0x010a);
    const ki = decodeKeyInfo(k.keyInfo);
    expect(ki).toEqual({
      descriptorVersion: 2,
      pairwise: true,
      keyIndex: 0,
      install: false,
      ack: false,
      mic: true,
      secure: false,
      error: false,
      request: false,
      encryptedKeyData: false,
      smkMessage: false,
    });
    expect(encodeKeyInfo(ki)).toBe(0x010a);
    expect(k.keyLength).toBe(16);
    expect(k.replayCounter).toBe(1n);
    expect(hex(k.nonce)).toBe('59168bc3a5df18d71efb6423f340088dab9e1ba2bbc58659e07b3764b0de8570');
    expect(hex(k.keyData)).toBe('30140100000fac040100000fac040100000fac020100');
    expect(eapolKeyMessage(k)).toBe('4way-2');
    expect(k.pdu.length).toBe(121);
  });

  it('ignores Ethernet padding after the EAPOL body, and the MIC ignores it too', () => {
    const padded = Buffer.concat([HARKONEN_M2, Buffer.alloc(7, 0xee)]);
    const d = decodeEapolKey(padded);
    if (!d.ok) throw new Error(d.reason);
    expect(d.value.pdu.length).toBe(121);
    expect(hex(eapolKeyMic(d.value.pdu, 'hmac-sha1-128', h('ea0e404633c802450302868ccaa749de')))).toBe(
      'd5355382b8a9b806dcaf99cdaf564eb6',
    );
  });

  it.each([
    [HARKONEN_M2.subarray(0, 3), 'eapol-short'],
    [HARKONEN_M2.subarray(0, 120), 'eapol-truncated'],
    [Buffer.concat([h('01010000')]), 'eapol-not-key'],
    [Buffer.concat([h('01030010'), Buffer.alloc(16)]), 'eapol-key-short'],
  ])('drops bad input with a reason (%#)', (buf, reason) => {
    const d = decodeEapolKey(buf);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toBe(reason);
  });

  it('drops a bad descriptor type and an overrunning Key Data Length', () => {
    const bad = Buffer.from(HARKONEN_M2);
    bad[4] = 1;
    expect(decodeEapolKey(bad)).toEqual({ ok: false, reason: 'eapol-key-bad-descriptor' });
    const over = Buffer.from(HARKONEN_M2);
    over.writeUInt16BE(23, EAPOL_KEY_MIC_OFFSET + 16);
    expect(decodeEapolKey(over)).toEqual({ ok: false, reason: 'eapol-key-data-overrun' });
  });

  it('names the four messages and the group messages', () => {
    const mk = (ki: number, kd = 0) =>
      eapolKeyMessage(decodeOk(encodeEapolKey({ keyInfo: ki, replayCounter: 1n, keyData: new Uint8Array(kd) })));
    expect(mk(0x008a)).toBe('4way-1');
    expect(mk(0x010a, 22)).toBe('4way-2');
    expect(mk(0x13ca, 56)).toBe('4way-3');
    expect(mk(0x030a)).toBe('4way-4');
    expect(mk(0x1382, 32)).toBe('group-1');
    expect(mk(0x0302)).toBe('group-2');
    expect(mk(KeyInfo.REQUEST | KeyInfo.MIC | KeyInfo.SECURE | 2)).toBe('request');
  });
});

function decodeOk(buf: Uint8Array, micLen = 16) {
  const d = decodeEapolKey(buf, micLen);
  if (!d.ok) throw new Error(d.reason);
  return d.value;
}

/** Byte fields as hex, so that Buffer and Uint8Array views compare equal. */
function norm(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v]));
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('properties', () => {
  it('EAPOL: random and truncated input never throws; encode → decode round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (buf) => {
        decodeEapol(buf);
        for (let i = 0; i <= buf.length; i += 7) decodeEapol(buf.subarray(0, i));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array(), (v, t, body) => {
        const d = decodeEapol(encodeEapol(v, t, body));
        expect(d.ok).toBe(true);
        if (d.ok) {
          expect(d.value.version).toBe(v);
          expect(d.value.type).toBe(t);
          expect(hex(d.value.body)).toBe(hex(body));
        }
      }),
    );
  });

  it('EAPOL-Key: random and truncated input never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0, 16, 24, 32), (buf, micLen) => {
        decodeEapolKey(buf, micLen);
        // The same bytes behind a plausible header, and every truncation of them.
        const framed = Buffer.concat([h('0203'), Buffer.from([buf.length >> 8, buf.length & 0xff]), buf]);
        for (let i = 0; i <= framed.length; i++) decodeEapolKey(framed.subarray(0, i), micLen);
      }),
      { numRuns: 200 },
    );
  });

  it('EAPOL-Key: encode → decode round-trips every field, for every MIC length', () => {
    fc.assert(
      fc.property(
        fc.record({
          eapolVersion: fc.integer({ min: 1, max: 3 }),
          descriptorType: fc.constantFrom(2, 254),
          keyInfo: fc.integer({ min: 0, max: 0xffff }),
          keyLength: fc.integer({ min: 0, max: 0xffff }),
          replayCounter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          nonce: bytes(32),
          iv: bytes(16),
          rsc: bytes(8),
          keyId: bytes(8),
          keyData: fc.uint8Array({ maxLength: 300 }),
        }),
        fc.constantFrom(0, 16, 24, 32),
        bytes(32),
        (k, micLen, micBytes) => {
          const mic = micBytes.subarray(0, micLen);
          const enc = encodeEapolKey({ ...k, mic }, micLen);
          const d = decodeOk(enc, micLen);
          expect(norm({ ...d, pdu: undefined })).toEqual(norm({ ...k, mic, pdu: undefined }));
          expect(hex(encodeEapolKey(d, micLen))).toBe(hex(enc));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Key Information round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3fff }), (v) => {
        expect(encodeKeyInfo(decodeKeyInfo(v))).toBe(v);
      }),
    );
  });

  it('a MIC over any frame verifies, and any flipped bit is caught', () => {
    const kck = h('000102030405060708090a0b0c0d0e0f');
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom('hmac-sha1-128' as const, 'aes-128-cmac' as const, 'hmac-md5' as const),
        fc.nat(),
        (kd, alg, flip) => {
          const f = encodeEapolKey({ keyInfo: 0x010a, replayCounter: 5n, keyData: kd });
          setEapolKeyMic(f, alg, kck);
          expect(verifyEapolKeyMic(f, alg, kck)).toBe(true);
          const bit = flip % (f.length * 8);
          f[bit >> 3]! ^= 1 << (bit & 7);
          expect(verifyEapolKeyMic(f, alg, kck)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

it('EapolType constants', () => {
  expect(EapolType.KEY).toBe(3);
});
