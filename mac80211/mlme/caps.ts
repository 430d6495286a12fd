/**
 * The capability elements both MLMEs send (station: probe and association requests; AP: beacons, probe and
 * association responses): rates, HT, VHT and HE capabilities and operation, Extended Capabilities, and WMM —
 * derived from what the hardware offers (HwCapabilities), as Linux's ieee80211_add_srates_ie / ieee80211_ie_build_*
 * and hostapd's hostapd_eid_* do.
 */
import { Ac, type Band, type SupportedBand, type TxQueueParams } from '../driver-ops.ts';
import { encodeElement } from '../elements/codec.ts';
import { extSupportedRatesCodec, type Rate, splitRates, supportedRatesCodec } from '../elements/basic.ts';
import { buildExtCapabilities, EXT_CAP, extCapabilitiesCodec } from '../elements/extcap.ts';
import { type HeCapabilities, heCapabilitiesCodec, type HeOperation, heOperationCodec } from '../elements/he.ts';
import { type HtCapabilities, htCapabilitiesCodec, type HtOperation, htOperationCodec } from '../elements/ht.ts';
import type { Elements } from '../elements/elements.ts';
import { MS_OUI_TYPE_WMM, OUI_MICROSOFT } from '../elements/ids.ts';
import {
  WMM_SUBTYPE_PARAMETER,
  type WmmAcParams,
  withOui,
  wmmInformationCodec,
  wmmParameterCodec,
} from '../elements/vendor.ts';
import { type VhtCapabilities, vhtCapabilitiesCodec, type VhtOperation, vhtOperationCodec } from '../elements/vht.ts';

/** Legacy rates in 100 kb/s (driver units) → rate octets in 500 kb/s, `basic` ones flagged. */
export function ratesOf(bitrates100k: readonly number[], basic100k: readonly number[] = []): Rate[] {
  return bitrates100k.map((r) => ({ value: Math.round(r / 5), basic: basic100k.includes(r) }));
}

/** Supported Rates (first eight) and, when needed, Extended Supported Rates. */
export function ratesElements(rates: readonly Rate[]): Uint8Array[] {
  const { supported, extended } = splitRates(rates);
  const out = [encodeElement(supportedRatesCodec, supported)];
  if (extended !== null) out.push(encodeElement(extSupportedRatesCodec, extended));
  return out;
}

/** The mandatory rates of a band, as an AP makes them basic: 1, 2, 5.5, 11 at 2.4 GHz; 6, 12, 24 at 5 GHz. */
export function mandatoryRates(band: Band): number[] {
  return band === '2g' ? [10, 20, 55, 110] : [60, 120, 240];
}

function zeroed<T>(codec: { decode(b: Uint8Array): { ok: true; value: T } | { ok: false } }, n: number): T {
  const r = codec.decode(new Uint8Array(n));
  if (!r.ok) throw new Error('capability template did not decode');
  return r.value;
}

/** MCS map (VHT/HE) for `nss` streams with the given per-stream value (0: 0-7, 1: 0-8/0-9, 2: 0-9/0-11). */
function mcsMap(nss: number, v: number): number {
  let m = 0xffff;
  for (let i = 0; i < Math.min(8, nss); i++) m = (m & ~(3 << (2 * i))) | (v << (2 * i));
  return m;
}

/** HT Capabilities of a device with `nss` streams (MCS 0..8·nss-1), short GI, 40 MHz when `width40`. */
export function htCapsElement(nss: number, width40: boolean): Uint8Array {
  const c = zeroed<HtCapabilities>(htCapabilitiesCodec, 26);
  c.ldpcCodingCapability = 1;
  c.supportedChannelWidthSet = width40 ? 1 : 0;
  c.smPowerSave = 3; // SM power save disabled
  c.shortGiFor20MHz = 1;
  c.shortGiFor40MHz = width40 ? 1 : 0;
  c.rxStbc = 1;
  c.maxAmpduLengthExponent = 3;
  c.minMpduStartSpacing = 0;
  c.rxMcsBitmask0 = nss >= 4 ? 0xffffffff : 2 ** (8 * nss) - 1;
  c.txMcsSetDefined = 1;
  return encodeElement(htCapabilitiesCodec, c);
}

/** HT Operation for an AP on primary channel `primary` (20 MHz: no secondary channel). */
export function htOperationElement(primary: number): Uint8Array {
  const o = zeroed<HtOperation>(htOperationCodec, 22);
  o.primaryChannel = primary;
  o.secondaryChannelOffset = 0;
  o.staChannelWidth = 0;
  o.htProtection = 0;
  return encodeElement(htOperationCodec, o);
}

/** VHT Capabilities: MCS 0-9 on `nss` streams, 80 MHz, short GI. */
export function vhtCapsElement(nss: number): Uint8Array {
  const c = zeroed<VhtCapabilities>(vhtCapabilitiesCodec, 12);
  c.maxMpduLength = 0;
  c.rxLdpc = 1;
  c.shortGiFor80MHz = 1;
  c.rxStbc = 1;
  c.maxAmpduLengthExponent = 7;
  c.rxMcsMap = mcsMap(nss, 2);
  c.txMcsMap = mcsMap(nss, 2);
  return encodeElement(vhtCapabilitiesCodec, c);
}

/** VHT Operation for a 20/40 MHz BSS (channel width 0: the HT Operation decides). */
export function vhtOperationElement(nss: number): Uint8Array {
  const o = zeroed<VhtOperation>(vhtOperationCodec, 5);
  o.channelWidth = 0;
  o.basicMcsMap = mcsMap(Math.min(nss, 1), 0);
  return encodeElement(vhtOperationCodec, o);
}

/** HE Capabilities: MCS 0-11 on `nss` streams at up to 80 MHz (40 MHz at 2.4 GHz). */
export function heCapsElement(band: Band, nss: number): Uint8Array {
  const mac = zeroed<HeCapabilities>(heCapabilitiesCodec, 21);
  mac.phy.channelWidthSet = band === '2g' ? 0x01 : 0x02;
  mac.phy.ldpcCodingInPayload = 1;
  mac.phy.heSuPpduWith1xHeLtfAnd08usGi = 1;
  mac.mcs80 = { rx: mcsMap(nss, 2), tx: mcsMap(nss, 2) };
  return encodeElement(heCapabilitiesCodec, mac);
}

/** HE Operation for an AP: BSS color `color`, basic HE-MCS 0-7 on one stream. */
export function heOperationElement(color: number): Uint8Array {
  const body = new Uint8Array(6);
  const o = heOperationCodec.decode(body);
  if (!o.ok) throw new Error('HE Operation template did not decode');
  const v: HeOperation = o.value;
  // GUESS: values an AP commonly sends (PE 16 µs; 1023 = TXOP-based RTS/CTS disabled).
  v.defaultPeDuration = 4;
  v.txopDurationRtsThreshold = 1023;
  v.bssColor = color & 0x3f;
  v.basicHeMcsNssSet = mcsMap(1, 0);
  return encodeElement(heOperationCodec, v);
}

/** Extended Capabilities a station or AP of ours sends (8 octets, as Linux's minimum). */
export function extCapsElement(ap: boolean): Uint8Array {
  const bits: number[] = [EXT_CAP.EXT_CHANNEL_SWITCHING];
  if (ap) bits.push(EXT_CAP.BSS_TRANSITION);
  return encodeElement(extCapabilitiesCodec, buildExtCapabilities(bits, 8));
}

/** The station's WMM Information element (no U-APSD). */
export function wmmInfoElement(): Uint8Array {
  return encodeElement(wmmInformationCodec, { version: 1, qosInfo: 0, extra: new Uint8Array(0) });
}

/** EDCA parameters an AP advertises for its stations (802.11-2020 Table 9-155, dot11EDCATable defaults). */
export const STA_EDCA: Readonly<Record<Ac, TxQueueParams>> = {
  [Ac.VO]: { aifs: 2, cwMin: 3, cwMax: 7, txop: 47, acm: false },
  [Ac.VI]: { aifs: 2, cwMin: 7, cwMax: 15, txop: 94, acm: false },
  [Ac.BE]: { aifs: 3, cwMin: 15, cwMax: 1023, txop: 0, acm: false },
  [Ac.BK]: { aifs: 7, cwMin: 15, cwMax: 1023, txop: 0, acm: false },
};

/** ACI of each access category in the WMM element (BE 0, BK 1, VI 2, VO 3). */
const ACI: Record<Ac, number> = { [Ac.BE]: 0, [Ac.BK]: 1, [Ac.VI]: 2, [Ac.VO]: 3 };
const AC_BY_ACI: Ac[] = [Ac.BE, Ac.BK, Ac.VI, Ac.VO];

const ecw = (cw: number) => Math.round(Math.log2(cw + 1));

/** WMM Parameter element with `params` per AC (records in ACI order), parameter set count `count` (0..15). */
export function wmmParamElement(params: Readonly<Record<Ac, TxQueueParams>> = STA_EDCA, count = 0): Uint8Array {
  const ac: WmmAcParams[] = AC_BY_ACI.map((a) => {
    const p = params[a];
    return {
      aciAifsn: (p.aifs & 0xf) | (p.acm ? 0x10 : 0) | (ACI[a] << 5),
      ecw: (ecw(p.cwMin) & 0xf) | ((ecw(p.cwMax) & 0xf) << 4),
      txopLimit: p.txop,
    };
  });
  return encodeElement(wmmParameterCodec, {
    version: 1,
    qosInfo: count & 0xf,
    reserved: 0,
    ac,
    extra: new Uint8Array(0),
  });
}

/** The EDCA parameters of the WMM Parameter element among `elements`, per AC (null when absent or malformed). */
export function parseWmmParams(elements: Elements): Map<Ac, TxQueueParams> | null {
  const inner = elements.findVendor(OUI_MICROSOFT, MS_OUI_TYPE_WMM, WMM_SUBTYPE_PARAMETER);
  if (inner === null) return null;
  const r = wmmParameterCodec.decode(withOui(OUI_MICROSOFT, MS_OUI_TYPE_WMM, inner));
  if (!r.ok) return null;
  const out = new Map<Ac, TxQueueParams>();
  for (const rec of r.value.ac) {
    const a = AC_BY_ACI[(rec.aciAifsn >> 5) & 3]!;
    out.set(a, {
      aifs: rec.aciAifsn & 0xf,
      acm: (rec.aciAifsn & 0x10) !== 0,
      cwMin: 2 ** (rec.ecw & 0xf) - 1,
      cwMax: 2 ** (rec.ecw >> 4) - 1,
      txop: rec.txopLimit,
    });
  }
  return out;
}

/** The band entry of the hardware for `band` (throws when the hardware has none). */
export function bandOf(bands: readonly SupportedBand[], band: Band): SupportedBand {
  const b = bands.find((x) => x.band === band);
  if (b === undefined) throw new Error(`the hardware has no ${band} band`);
  return b;
}
