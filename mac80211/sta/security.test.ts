import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeElement } from '../elements/codec.ts';
import { Elements, concatBytes, element } from '../elements/elements.ts';
import { EID } from '../elements/ids.ts';
import {
  AKM_SUITE,
  buildRsn,
  CIPHER_SUITE,
  encodeRsnCapabilities,
  rsnCodec,
  WPA_AKM_SUITE,
  WPA_CIPHER_SUITE,
  wpaCodec,
} from '../elements/rsn.ts';
import { keyMgmtName, parseSecurity, securityFlags } from './security.ts';

const rsn = (p: Parameters<typeof buildRsn>[0]) => encodeElement(rsnCodec, buildRsn(p));

describe('BSS security', () => {
  it('reads an RSN element: AKMs, ciphers, MFP, and keeps the element as sent', () => {
    const el = rsn({
      groupCipher: CIPHER_SUITE.CCMP,
      pairwiseCiphers: [CIPHER_SUITE.CCMP, CIPHER_SUITE.GCMP_256],
      akms: [AKM_SUITE.PSK, AKM_SUITE.SAE],
      capabilities: encodeRsnCapabilities({ mfpc: 1 }),
    });
    const s = parseSecurity(Elements.of(el), true);
    expect(s).toMatchObject({
      proto: 'rsn',
      akms: [AKM_SUITE.PSK, AKM_SUITE.SAE],
      pairwise: [CIPHER_SUITE.CCMP, CIPHER_SUITE.GCMP_256],
      group: CIPHER_SUITE.CCMP,
      mfpc: true,
      mfpr: false,
      groupMgmt: CIPHER_SUITE.AES_CMAC,
      malformed: false,
    });
    expect(Buffer.from(s.rsne!)).toEqual(Buffer.from(el));
    expect(securityFlags(s)).toBe('[WPA2-PSK+SAE-CCMP+GCMP-256][MFPC]');
  });

  it('takes the defaults of absent RSN fields (version only: CCMP, 802.1X)', () => {
    const s = parseSecurity(Elements.of(element(EID.RSN, Uint8Array.of(1, 0))), true);
    expect(s).toMatchObject({ akms: [AKM_SUITE.IEEE8021X], pairwise: [CIPHER_SUITE.CCMP], group: CIPHER_SUITE.CCMP });
    expect(securityFlags(s)).toBe('[WPA2-EAP-CCMP]');
  });

  it('maps WPA (vendor element) suites onto their RSN names', () => {
    const wpa = encodeElement(wpaCodec, {
      ...buildRsn({
        groupCipher: WPA_CIPHER_SUITE.TKIP,
        pairwiseCiphers: [WPA_CIPHER_SUITE.TKIP],
        akms: [WPA_AKM_SUITE.PSK],
      }),
    });
    const s = parseSecurity(Elements.of(wpa), true);
    expect(s).toMatchObject({ proto: 'wpa', akms: [AKM_SUITE.PSK], pairwise: [CIPHER_SUITE.TKIP] });
    expect(securityFlags(s)).toBe('[WPA-PSK-TKIP]');
  });

  it('tells open, WEP (Privacy without RSN) and malformed RSN apart', () => {
    expect(parseSecurity(Elements.empty(), false).proto).toBe('open');
    expect(securityFlags(parseSecurity(Elements.empty(), true))).toBe('[WEP]');
    const bad = parseSecurity(Elements.of(element(EID.RSN, Uint8Array.of(2, 0))), true);
    expect(bad.malformed).toBe(true);
  });

  it('names key management as wpa_supplicant does', () => {
    expect(keyMgmtName('rsn', AKM_SUITE.PSK)).toBe('WPA2-PSK');
    expect(keyMgmtName('rsn', AKM_SUITE.PSK_SHA256)).toBe('WPA2-PSK-SHA256');
    expect(keyMgmtName('rsn', AKM_SUITE.SAE)).toBe('SAE');
    expect(keyMgmtName('open', null)).toBe('NONE');
  });

  it('never throws on random elements', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), fc.uint8Array({ maxLength: 40 }), (body, p, x) => {
        const e = Elements.of(concatBytes([element(EID.RSN, body.subarray(0, 255)), x]));
        const s = parseSecurity(e, p);
        securityFlags(s);
      }),
    );
  });
});
