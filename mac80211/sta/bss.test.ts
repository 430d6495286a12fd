import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SkBuff } from '../../netstack/core/skb.ts';
import type { RxStatus } from '../driver-ops.ts';
import { rxStatus } from '../../test/mac80211/fake-driver.ts';
import { dsParamsCodec, ssidCodec, supportedRatesCodec } from '../elements/basic.ts';
import { encodeElement } from '../elements/codec.ts';
import { concatBytes, Elements } from '../elements/elements.ts';
import { AKM_SUITE, buildRsn, CIPHER_SUITE, rsnCodec } from '../elements/rsn.ts';
import { buildTim, timCodec } from '../elements/tim.ts';
import { buildBeacon, buildProbeResp } from '../frame/build.ts';
import { encodeFrame } from '../frame/frame.ts';
import { CAPAB } from '../frame/mgmt.ts';
import { htCapsElement, wmmParamElement } from '../mlme/caps.ts';
import { BssTable, scanResultLine, updateBss } from './bss.ts';
import { bssFromSkb } from './scan.ts';

const BSSID = Uint8Array.of(2, 0, 0, 0, 1, 0);
const STA = Uint8Array.of(2, 0, 0, 0, 2, 0);

/** A CCK frame heard at -42 dBm on channel 6 (the fixture's other values). */
const status = (over: Partial<RxStatus> = {}): RxStatus =>
  rxStatus({ signal: -42, rate: { mode: 'cck', rate: 10, nss: 1, bw: 20, sgi: false }, ...over });

function ies(ssid: Uint8Array, opts: { rsn?: boolean; channel?: number; tim?: boolean } = {}): Uint8Array {
  const parts = [
    encodeElement(ssidCodec, { ssid }),
    encodeElement(supportedRatesCodec, {
      rates: [
        { value: 2, basic: true },
        { value: 4, basic: true },
        { value: 12, basic: false },
        { value: 127, basic: true }, // HT PHY membership selector: not a rate
      ],
    }),
    encodeElement(dsParamsCodec, { channel: opts.channel ?? 6 }),
  ];
  if (opts.tim)
    parts.push(encodeElement(timCodec, buildTim({ dtimCount: 0, dtimPeriod: 3, groupTraffic: false, aids: [] })));
  if (opts.rsn) {
    parts.push(
      encodeElement(
        rsnCodec,
        buildRsn({
          groupCipher: CIPHER_SUITE.CCMP,
          pairwiseCiphers: [CIPHER_SUITE.CCMP],
          akms: [AKM_SUITE.PSK, AKM_SUITE.PSK_SHA256],
          capabilities: 0,
        }),
      ),
    );
  }
  parts.push(htCapsElement(2, false), wmmParamElement());
  return concatBytes(parts);
}

function frame(kind: 'beacon' | 'probe-resp', e: Uint8Array, capability = CAPAB.ESS | CAPAB.PRIVACY) {
  return { kind, bssid: BSSID, timestamp: 77n, beaconInterval: 100, capability, elements: Elements.of(e) };
}

const ssid = new TextEncoder().encode('airstack');

describe('BSS entries', () => {
  it('take what a station needs from a Beacon', () => {
    const e = updateBss(null, frame('beacon', ies(ssid, { rsn: true, tim: true })), status(), 1000);
    expect(e).toMatchObject({
      bssidStr: '02:00:00:00:01:00',
      ssidDisplay: 'airstack',
      hidden: false,
      band: '2g',
      channel: 6,
      freq: 2437,
      signal: -42,
      beaconInterval: 100,
      dtimPeriod: 3,
      ht: true,
      vht: false,
      he: false,
      wmm: true,
      rates: [2, 4, 12],
      basicRates: [2, 4],
      lastSeen: 1000,
      beacons: 1,
      probeResps: 0,
    });
    expect(e.security).toMatchObject({
      proto: 'rsn',
      akms: [AKM_SUITE.PSK, AKM_SUITE.PSK_SHA256],
      group: CIPHER_SUITE.CCMP,
    });
    expect(scanResultLine(e)).toBe('02:00:00:00:01:00\t2437\t-42\t[WPA2-PSK+PSK-SHA256-CCMP][ESS]\tairstack');
  });

  it('take the channel from the DS Parameter Set, not from where the frame was heard', () => {
    // Adjacent-channel reception: heard on channel 5, the BSS is on 6.
    const e = updateBss(null, frame('beacon', ies(ssid)), status({ freq: 2432, channel: 5 }), 0);
    expect(e).toMatchObject({ channel: 6, freq: 2437 });
  });

  it('keep a hidden SSID revealed by a Probe Response, whatever order they come in', () => {
    const hiddenBeacon = frame('beacon', ies(new Uint8Array(0)));
    const zeroedBeacon = frame('beacon', ies(new Uint8Array(8)));
    const resp = frame('probe-resp', ies(ssid));
    const a = updateBss(null, hiddenBeacon, status(), 0);
    expect(a).toMatchObject({ hidden: true, ssidDisplay: '' });
    updateBss(a, resp, status(), 1);
    expect(a).toMatchObject({ hidden: true, ssidDisplay: 'airstack' });
    updateBss(a, zeroedBeacon, status(), 2);
    expect(a).toMatchObject({ hidden: true, ssidDisplay: 'airstack', beacons: 2, probeResps: 1 });
    expect(a.probeRespIes).not.toBeNull();
  });

  it('show SSIDs that are not UTF-8 without confusing two of them', () => {
    const e = updateBss(null, frame('beacon', ies(Uint8Array.of(0x61, 0xff, 0x5c))), status(), 0);
    expect(e.ssidDisplay).toBe('a\\xff\\x5c');
  });
});

describe('the BSS table', () => {
  it('keys by BSSID and frequency, lists strongest first, and ages entries out', () => {
    const t = new BssTable(30_000);
    t.update(frame('beacon', ies(ssid)), status({ signal: -70 }), 0);
    t.update(
      { ...frame('beacon', ies(ssid, { channel: 11 })), bssid: Uint8Array.of(2, 0, 0, 0, 9, 9) },
      status({ signal: -40, freq: 2462, channel: 11 }),
      20_000,
    );
    expect(t.size).toBe(2);
    expect(t.list().map((b) => b.signal)).toEqual([-40, -70]);
    expect(t.list(25_000, 10_000).map((b) => b.bssidStr)).toEqual(['02:00:00:00:09:09']);
    expect(t.expire(40_000)).toBe(1);
    expect(t.get(BSSID)).toBeNull();
    t.remove(Uint8Array.of(2, 0, 0, 0, 9, 9));
    expect(t.size).toBe(0);
  });

  it('reads Beacons and Probe Responses from skbs and never throws on random air', () => {
    const t = new BssTable();
    const beacon = encodeFrame(
      buildBeacon({
        bssid: BSSID,
        timestamp: 1n,
        beaconInterval: 100,
        capability: CAPAB.ESS,
        elements: Elements.of(ies(ssid)),
      }),
    );
    expect(bssFromSkb(t, SkBuff.fromBytes(beacon), status(), 0)?.ssidDisplay).toBe('airstack');
    const resp = encodeFrame(
      buildProbeResp({
        da: STA,
        bssid: BSSID,
        timestamp: 1n,
        beaconInterval: 100,
        capability: 0,
        elements: Elements.of(ies(ssid)),
      }),
    );
    expect(bssFromSkb(t, SkBuff.fromBytes(resp), status(), 1)?.probeResps).toBe(1);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (body, asBeacon) => {
        const f = new Uint8Array(24 + body.length);
        f[0] = asBeacon ? 0x80 : 0x50;
        f.set(BSSID, 16);
        f.set(body, 24);
        const e = bssFromSkb(t, SkBuff.fromBytes(f), status(), 2);
        if (e !== null) expect(e.bssidStr).toBe('02:00:00:00:01:00');
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
        bssFromSkb(t, SkBuff.fromBytes(raw), status(), 3);
      }),
    );
  });
});
