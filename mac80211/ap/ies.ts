/**
 * The AP's elements, in the order of 802.11-2020 Table 9-34 (Beacon) and 9-38 (Probe Response): SSID (hidden:
 * empty or zeroed in Beacons), rates, DS Parameter Set, TIM (Beacons only), ERP (2.4 GHz), Extended Supported
 * Rates, RSN, HT Capabilities and Operation, Extended Capabilities, VHT, HE, and WMM last (vendor elements are).
 * Also the capability field and the Association Response's elements.
 */
import type { SupportedBand } from '../driver-ops.ts';
import { encodeElement } from '../elements/codec.ts';
import { dsParamsCodec, ssidCodec } from '../elements/basic.ts';
import { concatBytes, element } from '../elements/elements.ts';
import { EID } from '../elements/ids.ts';
import { buildRsn, CIPHER_SUITE, rsnCodec } from '../elements/rsn.ts';
import { buildTim, timCodec } from '../elements/tim.ts';
import { CAPAB } from '../frame/mgmt.ts';
import {
  extCapsElement,
  heCapsElement,
  heOperationElement,
  htCapsElement,
  htOperationElement,
  mandatoryRates,
  ratesElements,
  ratesOf,
  vhtCapsElement,
  vhtOperationElement,
  wmmParamElement,
} from '../mlme/caps.ts';
import type { ApSettings } from './config.ts';

/** Spatial streams the AP announces. */
const NSS = 2;

/** The AP's RSN element (ID and length included), or null for an open BSS. */
export function apRsnElement(s: ApSettings): Uint8Array | null {
  if (s.pmk === null) return null;
  return encodeElement(
    rsnCodec,
    buildRsn({
      groupCipher: CIPHER_SUITE.CCMP,
      pairwiseCiphers: [CIPHER_SUITE.CCMP],
      akms: s.akms,
      capabilities: 0,
    }),
  );
}

export function apCapability(s: ApSettings): number {
  let c = CAPAB.ESS;
  if (s.pmk !== null) c |= CAPAB.PRIVACY;
  if (s.band === '2g') c |= CAPAB.SHORT_SLOT_TIME | CAPAB.SHORT_PREAMBLE;
  return c;
}

function ssidFor(s: ApSettings, beacon: boolean): Uint8Array {
  if (!beacon || s.hidden === 'no') return s.ssid;
  return s.hidden === 'empty' ? new Uint8Array(0) : new Uint8Array(s.ssid.length);
}

/** Elements of a Beacon (beacon = true: hidden SSID applied, TIM included) or of a Probe Response. */
export function apIes(s: ApSettings, band: SupportedBand, beacon: boolean): Uint8Array {
  const rates = ratesElements(ratesOf(band.bitrates, mandatoryRates(s.band)));
  const parts: Uint8Array[] = [encodeElement(ssidCodec, { ssid: ssidFor(s, beacon) }), rates[0]!];
  if (s.band === '2g') parts.push(encodeElement(dsParamsCodec, { channel: s.channel }));
  if (beacon) {
    // An empty TIM: nothing buffered (no power-save buffering); the radio fills in the DTIM count per beacon.
    const tim = buildTim({ dtimCount: 0, dtimPeriod: s.dtimPeriod, groupTraffic: false, aids: [] });
    parts.push(encodeElement(timCodec, tim));
  }
  if (s.band === '2g') parts.push(element(EID.ERP_INFO, Uint8Array.of(0)));
  if (rates[1] !== undefined) parts.push(rates[1]);
  const rsn = apRsnElement(s);
  if (rsn !== null) parts.push(rsn);
  parts.push(...apHtVhtHe(s, band));
  if (s.wmm) parts.push(wmmParamElement());
  return concatBytes(parts);
}

/** HT/VHT/HE capabilities and operation with Extended Capabilities between them, as both frames carry them. */
function apHtVhtHe(s: ApSettings, band: SupportedBand): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (s.ht && band.ht) out.push(htCapsElement(NSS, false), htOperationElement(s.channel));
  out.push(extCapsElement(true));
  if (s.vht && band.vht && s.band !== '2g') out.push(vhtCapsElement(NSS), vhtOperationElement(NSS));
  if (s.he && band.he) out.push(heCapsElement(s.band, NSS), heOperationElement(s.bssColor));
  return out;
}

/** Elements of an Association Response: rates, then what was negotiated (HT/VHT/HE to a capable station, WMM). */
export function assocRespIes(
  s: ApSettings,
  band: SupportedBand,
  peer: { ht: boolean; vht: boolean; he: boolean; wmm: boolean },
): Uint8Array {
  const parts = ratesElements(ratesOf(band.bitrates, mandatoryRates(s.band)));
  if (s.ht && band.ht && peer.ht) parts.push(htCapsElement(NSS, false), htOperationElement(s.channel));
  parts.push(extCapsElement(true));
  if (peer.vht) parts.push(vhtCapsElement(NSS), vhtOperationElement(NSS));
  if (peer.he) parts.push(heCapsElement(s.band, NSS), heOperationElement(s.bssColor));
  if (peer.wmm) parts.push(wmmParamElement());
  return concatBytes(parts);
}
