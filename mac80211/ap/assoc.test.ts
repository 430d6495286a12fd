import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SupportedBand } from '../driver-ops.ts';
import { ssidCodec } from '../elements/basic.ts';
import { encodeElement } from '../elements/codec.ts';
import { concatBytes, element, Elements } from '../elements/elements.ts';
import { EID } from '../elements/ids.ts';
import { AKM_SUITE, buildRsn, CIPHER_SUITE, encodeRsnCapabilities, rsnCodec } from '../elements/rsn.ts';
import { htCapsElement, ratesElements, ratesOf, wmmInfoElement } from '../mlme/caps.ts';
import { Status } from '../mlme/codes.ts';
import { checkAssocRequest } from './assoc.ts';
import { apSettings } from './config.ts';

const band: SupportedBand = {
  band: '2g',
  channels: [],
  bitrates: [10, 20, 55, 110, 60, 90, 120, 180, 240, 360, 480, 540],
  ht: true,
  vht: false,
  he: true,
};
const s = apSettings({ ssid: 'net', psk: new Uint8Array(32), channel: 1, pskSha256: true });
const ssid = encodeElement(ssidCodec, { ssid: new TextEncoder().encode('net') });
const rates = ratesElements(ratesOf(band.bitrates));
const rsn = (p: Parameters<typeof buildRsn>[0]) =>
  encodeElement(
    rsnCodec,
    buildRsn({ groupCipher: CIPHER_SUITE.CCMP, pairwiseCiphers: [CIPHER_SUITE.CCMP], akms: [AKM_SUITE.PSK], ...p }),
  );
const req = (...parts: Uint8Array[]) => Elements.of(concatBytes(parts));

describe('association requests', () => {
  it('a good one: rates, HT and WMM negotiated, the RSN element kept for the handshake', () => {
    const r = rsn({ akms: [AKM_SUITE.PSK_SHA256] });
    const out = checkAssocRequest(s, band, req(ssid, ...rates, r, htCapsElement(1, false), wmmInfoElement()));
    expect(out).toMatchObject({ status: Status.SUCCESS, ht: true, vht: false, he: false, wmm: true });
    expect(out.rates).toEqual(band.bitrates);
    expect(out.akm).toBe(AKM_SUITE.PSK_SHA256);
    expect(Buffer.from(out.rsne!)).toEqual(Buffer.from(r));
  });

  it('refused with the status code hostapd gives', () => {
    const cases: [Elements, number][] = [
      [
        req(encodeElement(ssidCodec, { ssid: new TextEncoder().encode('other') }), ...rates, rsn({})),
        Status.UNSPECIFIED_FAILURE,
      ],
      [req(ssid, rsn({})), Status.UNSPECIFIED_FAILURE], // no rates
      [req(ssid, ...ratesElements(ratesOf([60, 120]))), Status.ASSOC_DENIED_RATES],
      [req(ssid, ...rates), Status.INVALID_IE], // no RSN element
      [req(ssid, ...rates, element(EID.RSN, Uint8Array.of(2, 0))), Status.UNSUPP_RSN_VERSION],
      [req(ssid, ...rates, rsn({ groupCipher: CIPHER_SUITE.TKIP })), Status.INVALID_GROUP_CIPHER],
      [req(ssid, ...rates, rsn({ pairwiseCiphers: [CIPHER_SUITE.TKIP] })), Status.INVALID_PAIRWISE_CIPHER],
      [
        req(ssid, ...rates, rsn({ pairwiseCiphers: [CIPHER_SUITE.CCMP, CIPHER_SUITE.GCMP] })),
        Status.INVALID_PAIRWISE_CIPHER,
      ],
      [req(ssid, ...rates, rsn({ akms: [AKM_SUITE.SAE] })), Status.INVALID_AKMP],
      [
        req(ssid, ...rates, rsn({ capabilities: encodeRsnCapabilities({ mfpr: 1, mfpc: 1 }) })),
        Status.ROBUST_MGMT_FRAME_POLICY_VIOLATION,
      ],
    ];
    for (const [e, status] of cases) expect(checkAssocRequest(s, band, e).status).toBe(status);
  });

  it('an open AP ignores RSN; random elements never throw', () => {
    const openS = apSettings({ ssid: 'net', channel: 1 });
    expect(checkAssocRequest(openS, band, req(ssid, ...rates)).status).toBe(Status.SUCCESS);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const out = checkAssocRequest(s, band, req(ssid, ...rates, b));
        expect(typeof out.status).toBe('number');
        checkAssocRequest(s, band, Elements.of(b));
      }),
    );
  });
});

describe('AP configuration', () => {
  it('says what is wrong with it', () => {
    expect(() => apSettings({ ssid: '', channel: 1 })).toThrow(/1 to 32 octets/);
    expect(() => apSettings({ ssid: 'x'.repeat(33), channel: 1 })).toThrow(/32/);
    expect(() => apSettings({ ssid: 'x', channel: 14 })).toThrow(/2.4 GHz channel 14/);
    expect(() => apSettings({ ssid: 'x', channel: 36, band: '2g' })).toThrow(/2.4 GHz channel 36/);
    expect(() => apSettings({ ssid: 'x', channel: 1, passphrase: 'short' })).toThrow(/8 to 63 characters/);
    expect(() => apSettings({ ssid: 'x', channel: 1, dtimPeriod: 0 })).toThrow(/DTIM period 0/);
    expect(apSettings({ ssid: 'x', channel: 36 })).toMatchObject({ band: '5g', vht: true, hidden: 'no', pmk: null });
    expect(apSettings({ ssid: 'x', channel: 6, hidden: true }).hidden).toBe('empty');
  });
});
