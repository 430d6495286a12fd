import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aesKeyUnwrap, aesKeyWrap } from './keywrap.ts';
import { bigtkKde, gtkKde, igtkKde, kde, KdeType, macAddrKde, padKeyData, parseKeyData, pmkidKde } from './kde.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const RSNE = h('30140100000fac040100000fac040100000fac020c00');

describe('Key Data', () => {
  it('parses an RSN element, a GTK KDE and the padding of a typical message 3', () => {
    const gtk = h('00112233445566778899aabbccddeeff');
    const kd = padKeyData(Buffer.concat([RSNE, gtkKde({ keyId: 1, tx: true, key: gtk })]));
    expect(kd.length % 8).toBe(0);
    const p = parseKeyData(kd);
    if (!p.ok) throw new Error(p.reason);
    expect(p.value.rsne.map(hex)).toEqual([hex(RSNE)]);
    expect(p.value.gtk?.keyId).toBe(1);
    expect(p.value.gtk?.tx).toBe(true);
    expect(hex(p.value.gtk!.key)).toBe(hex(gtk));
    expect(p.value.items.length).toBe(2);
  });

  it('reads IGTK, BIGTK, PMKID, MAC address, lifetime, error, key id, OCI and nonce KDEs', () => {
    const kd = Buffer.concat([
      igtkKde({ keyId: 4, pn: h('010000000000'), key: h('4ea9543e09cf2b1eca66ffc58bdecbcf') }),
      bigtkKde({ keyId: 6, pn: h('020000000000'), key: h('11'.repeat(16)) }),
      pmkidKde(h('c2ea9449c142e84a0479041702526532')),
      macAddrKde(h('020000000001')),
      kde(KdeType.LIFETIME, h('00000e10')),
      kde(KdeType.ERROR, h('00010002')),
      kde(KdeType.KEY_ID, h('0100')),
      kde(KdeType.OCI, h('510624')),
      kde(KdeType.NONCE, h('ab'.repeat(32))),
      h('dd0500500f0201'), // a vendor element under another OUI is kept
      h('f40120'), // RSNXE
    ]);
    const p = parseKeyData(kd);
    if (!p.ok) throw new Error(p.reason);
    const v = p.value;
    expect(v.igtk?.keyId).toBe(4);
    expect(hex(v.igtk!.pn)).toBe('010000000000');
    expect(v.bigtk?.keyId).toBe(6);
    expect(hex(v.pmkid!)).toBe('c2ea9449c142e84a0479041702526532');
    expect(hex(v.macAddr!)).toBe('020000000001');
    expect(v.lifetime).toBe(3600);
    expect(v.error).toEqual({ mui: 1, errorType: 2 });
    expect(v.keyId).toBe(1);
    expect(v.oci).toEqual({ opClass: 0x51, primaryChannel: 6, seg1Channel: 0x24 });
    expect(hex(v.nonce!)).toBe('ab'.repeat(32));
    expect(hex(v.rsnxe!)).toBe('f40120');
    expect(v.items.length).toBe(11);
    expect(v.items[9]!.kde).toBe(0x00500f02);
  });

  it('keeps a second RSN element (the pairwise-cipher selection of 12.7.6.4)', () => {
    const p = parseKeyData(Buffer.concat([RSNE, RSNE]));
    expect(p.ok && p.value.rsne.length).toBe(2);
  });

  it('pads for key wrap as 12.7.2 says', () => {
    expect(hex(padKeyData(h('0102')))).toBe(`0102dd${'00'.repeat(13)}`);
    expect(padKeyData(new Uint8Array(16)).length).toBe(16);
    expect(hex(padKeyData(new Uint8Array(17)).subarray(17))).toBe('dd000000000000');
    expect(padKeyData(new Uint8Array(22)).length).toBe(24);
    expect(padKeyData(new Uint8Array(24)).length).toBe(24);
  });

  it('drops truncated items and KDEs too short for their type', () => {
    expect(parseKeyData(h('3014010000'))).toEqual({ ok: false, reason: 'kde-truncated' });
    expect(parseKeyData(h('dd06000fac010100'))).toEqual({ ok: false, reason: 'kde-bad-length' });
    expect(parseKeyData(h('30'))).toEqual({ ok: false, reason: 'kde-truncated' });
  });

  it('treats 0xdd at the end, or 0xdd 0x00 followed by zeros, as padding', () => {
    const p1 = parseKeyData(Buffer.concat([RSNE, h('dd')]));
    expect(p1.ok && p1.value.items.length).toBe(1);
    const p2 = parseKeyData(Buffer.concat([RSNE, h('dd000000')]));
    expect(p2.ok && p2.value.items.length).toBe(1);
  });
});

describe('properties', () => {
  it('random and truncated Key Data never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (buf) => {
        for (let i = 0; i <= buf.length; i++) parseKeyData(buf.subarray(0, i));
      }),
      { numRuns: 300 },
    );
  });

  it('build → wrap → unwrap → parse round-trips GTK and IGTK KDEs', () => {
    const kek = h('e00aad19ad8b220e8716ffa4798c8bb6');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        fc.uint8Array({ minLength: 16, maxLength: 32 }),
        fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 })),
        (keyId, tx, key, igtk) => {
          const parts = [RSNE, gtkKde({ keyId, tx, key })];
          if (igtk) parts.push(igtkKde({ keyId: 4, pn: new Uint8Array(6), key: igtk }));
          const wrapped = aesKeyWrap(kek, padKeyData(Buffer.concat(parts)));
          const plain = aesKeyUnwrap(kek, wrapped)!;
          const p = parseKeyData(plain);
          if (!p.ok) throw new Error(p.reason);
          expect(p.value.gtk).toBeDefined();
          expect(p.value.gtk!.keyId).toBe(keyId);
          expect(p.value.gtk!.tx).toBe(tx);
          expect(hex(p.value.gtk!.key)).toBe(hex(key));
          expect(p.value.igtk && hex(p.value.igtk.key)).toBe(igtk ? hex(igtk) : undefined);
        },
      ),
      { numRuns: 200 },
    );
  });
});
