import { describe, expect, it } from 'vitest';
import type { SupportedBand } from '../driver-ops.ts';
import { Elements } from '../elements/elements.ts';
import { EID, EID_EXT, MS_OUI_TYPE_WMM, OUI_MICROSOFT } from '../elements/ids.ts';
import { AKM_SUITE, CIPHER_SUITE, rsnCodec } from '../elements/rsn.ts';
import type { BssEntry } from './bss.ts';
import { assocRequestIes, candidates, chooseRsn, makeNetwork } from './network.ts';
import type { BssSecurity } from './security.ts';

function bss(over: Partial<BssEntry> & { sec?: Partial<BssSecurity> } = {}): BssEntry {
  const { sec, ...rest } = over;
  return {
    bssid: Uint8Array.of(2, 0, 0, 0, 1, 0),
    bssidStr: '02:00:00:00:01:00',
    ssid: new TextEncoder().encode('net'),
    ssidDisplay: 'net',
    hidden: false,
    band: '2g',
    channel: 1,
    freq: 2412,
    signal: -50,
    beaconInterval: 100,
    capability: 0x11,
    dtimPeriod: 1,
    security: {
      proto: 'rsn',
      akms: [AKM_SUITE.PSK],
      pairwise: [CIPHER_SUITE.CCMP],
      group: CIPHER_SUITE.CCMP,
      groupMgmt: null,
      mfpc: false,
      mfpr: false,
      rsne: new Uint8Array(0),
      malformed: false,
      ...sec,
    },
    ht: true,
    vht: true,
    he: true,
    wmm: true,
    rates: [2, 4, 11, 22],
    basicRates: [2, 4],
    tsf: 0n,
    lastSeen: 0,
    beaconIes: null,
    probeRespIes: null,
    ies: new Uint8Array(0),
    beacons: 1,
    probeResps: 0,
    ...rest,
  };
}

const psk = makeNetwork({ ssid: 'net', psk: new Uint8Array(32).fill(7) });
const open = makeNetwork({ ssid: 'net' });

describe('choosing AKM and ciphers', () => {
  it('prefers PSK-SHA256 when offered, and builds our RSN element for exactly what it chose', () => {
    const c = chooseRsn(psk, bss({ sec: { akms: [AKM_SUITE.PSK, AKM_SUITE.PSK_SHA256] } }));
    if (typeof c === 'string') throw new Error(c);
    expect(c).toMatchObject({ akm: AKM_SUITE.PSK_SHA256, pairwise: CIPHER_SUITE.CCMP, group: CIPHER_SUITE.CCMP });
    expect(c.ownRsne[0]).toBe(EID.RSN);
    const r = rsnCodec.decode(c.ownRsne.subarray(2));
    expect(r.ok && r.value).toMatchObject({ akms: [AKM_SUITE.PSK_SHA256], pairwiseCiphers: [CIPHER_SUITE.CCMP] });
  });

  it('says why a BSS does not fit', () => {
    expect(chooseRsn(psk, bss({ sec: { proto: 'open' } }))).toMatch(/does not offer WPA2/);
    expect(chooseRsn(psk, bss({ sec: { akms: [AKM_SUITE.SAE] } }))).toMatch(/no AKM/);
    expect(chooseRsn(psk, bss({ sec: { pairwise: [CIPHER_SUITE.TKIP] } }))).toMatch(/pairwise cipher/);
    expect(chooseRsn(psk, bss({ sec: { group: CIPHER_SUITE.TKIP } }))).toMatch(/group cipher/);
    expect(chooseRsn(psk, bss({ sec: { mfpr: true } }))).toMatch(/management frame protection/);
    expect(chooseRsn(psk, bss({ sec: { malformed: true } }))).toMatch(/malformed/);
    expect(chooseRsn(open, bss())).toMatch(/not an open network/);
    expect(chooseRsn(open, bss({ sec: { proto: 'open' } }))).toBe('open');
  });

  it('ranks candidates: same SSID octets, compatible, strongest first, pinned BSSID honoured', () => {
    const a = bss({ signal: -70 });
    const b = bss({ bssid: Uint8Array.of(2, 0, 0, 0, 1, 1), bssidStr: '02:00:00:00:01:01', signal: -40 });
    const other = bss({ ssid: new TextEncoder().encode('net2'), signal: -30 });
    const tkip = bss({ signal: -20, sec: { pairwise: [CIPHER_SUITE.TKIP] } });
    expect(candidates(psk, [a, b, other, tkip])).toEqual([b, a]);
    const pinned = makeNetwork({ ssid: 'net', psk: new Uint8Array(32), bssid: a.bssid });
    expect(candidates(pinned, [a, b])).toEqual([a]);
    const openBss = bss({ signal: -60, sec: { proto: 'open' } });
    expect(candidates(open, [a, openBss, b])).toEqual([openBss]);
  });

  it('asks in the association request for what both sides do', () => {
    const band: SupportedBand = {
      band: '2g',
      channels: [],
      bitrates: [10, 20, 55, 110, 60, 540],
      ht: true,
      vht: true,
      he: true,
    };
    const b = bss({ vht: true, he: false, wmm: true });
    const c = chooseRsn(psk, b);
    if (typeof c === 'string') throw new Error(c);
    const e = Elements.of(assocRequestIes(psk, b, band, c));
    expect(e.check()).toBeNull();
    expect(e.find(EID.SSID)).toEqual(new TextEncoder().encode('net'));
    expect(Buffer.from(e.find(EID.RSN)!)).toEqual(Buffer.from(c.ownRsne.subarray(2)));
    expect(e.find(EID.HT_CAPABILITY)).not.toBeNull();
    expect(e.find(EID.VHT_CAPABILITY)).toBeNull(); // not at 2.4 GHz
    expect(e.findExt(EID_EXT.HE_CAPABILITY)).toBeNull(); // the BSS does not do HE
    expect(e.findVendor(OUI_MICROSOFT, MS_OUI_TYPE_WMM)).not.toBeNull();
    expect(Array.from(e.find(EID.SUPP_RATES)!)).toEqual([2, 4, 11, 22, 12, 108]);
  });

  it('derives the PSK from the passphrase and refuses a bad PSK', () => {
    const n = makeNetwork({ ssid: 'IEEE', passphrase: 'password' });
    // 802.11-2020 J.4.2: passphrase "password", SSID "IEEE".
    expect(Buffer.from(n.pmk!).toString('hex')).toBe(
      'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e',
    );
    expect(() => makeNetwork({ ssid: 'x', psk: new Uint8Array(16) })).toThrow(/32 octets/);
  });
});
