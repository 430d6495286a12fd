import { describe, expect, it } from 'vitest';
import type { SupportedBand } from '../driver-ops.ts';
import { Elements } from '../elements/elements.ts';
import { EID, MS_OUI_TYPE_WMM, OUI_MICROSOFT } from '../elements/ids.ts';
import { timCodec } from '../elements/tim.ts';
import { apSettings } from './config.ts';
import { apIes, assocRespIes } from './ies.ts';

const band2: SupportedBand = {
  band: '2g',
  channels: [],
  bitrates: [10, 20, 55, 110, 60, 540],
  ht: true,
  vht: false,
  he: true,
};
const band5: SupportedBand = { band: '5g', channels: [], bitrates: [60, 120, 240, 540], ht: true, vht: true, he: true };

function ids(b: Uint8Array): number[] {
  return [...Elements.of(b)].map((r) => r.id);
}

describe('AP elements', () => {
  it('a Beacon in the standard order with an empty TIM; a Probe Response without TIM', () => {
    const s = apSettings({ ssid: 'net', passphrase: 'password', channel: 6, dtimPeriod: 3 });
    const beacon = apIes(s, band2, true);
    expect(ids(beacon)).toEqual([
      EID.SSID,
      EID.SUPP_RATES,
      EID.DS_PARAMS,
      EID.TIM,
      EID.ERP_INFO,
      EID.RSN,
      EID.HT_CAPABILITY,
      EID.HT_OPERATION,
      EID.EXT_CAPABILITY,
      EID.VENDOR_SPECIFIC,
    ]);
    const tim = timCodec.decode(Elements.of(beacon).find(EID.TIM)!);
    expect(tim.ok && tim.value).toMatchObject({ dtimPeriod: 3, bitmapControl: 0 });
    expect(tim.ok && Array.from(tim.value.partialVirtualBitmap)).toEqual([0]);
    expect(ids(apIes(s, band2, false))).not.toContain(EID.TIM);
  });

  it('hides the SSID in Beacons only: empty, or zeroed of the same length', () => {
    const empty = apSettings({ ssid: 'secret', channel: 1, hidden: 'empty' });
    const zeroed = apSettings({ ssid: 'secret', channel: 1, hidden: 'zeroed' });
    expect(Elements.of(apIes(empty, band2, true)).find(EID.SSID)).toEqual(new Uint8Array(0));
    expect(Elements.of(apIes(zeroed, band2, true)).find(EID.SSID)).toEqual(new Uint8Array(6));
    expect(new TextDecoder().decode(Elements.of(apIes(zeroed, band2, false)).find(EID.SSID)!)).toBe('secret');
  });

  it('at 5 GHz: no DS Parameter Set nor ERP, VHT and HE when enabled; the association response follows the peer', () => {
    const s = apSettings({ ssid: 'net', channel: 44, he: true });
    const e = Elements.of(apIes(s, band5, true));
    expect(e.find(EID.DS_PARAMS)).toBeNull();
    expect(e.find(EID.ERP_INFO)).toBeNull();
    expect(e.find(EID.VHT_CAPABILITY)).not.toBeNull();
    expect(e.find(EID.RSN)).toBeNull(); // open
    const legacy = Elements.of(assocRespIes(s, band5, { ht: false, vht: false, he: false, wmm: false }));
    expect(legacy.find(EID.HT_CAPABILITY)).toBeNull();
    expect(legacy.findVendor(OUI_MICROSOFT, MS_OUI_TYPE_WMM)).toBeNull();
    const modern = Elements.of(assocRespIes(s, band5, { ht: true, vht: true, he: true, wmm: true }));
    expect(modern.find(EID.VHT_OPERATION)).not.toBeNull();
    expect(modern.findVendor(OUI_MICROSOFT, MS_OUI_TYPE_WMM)).not.toBeNull();
  });
});
