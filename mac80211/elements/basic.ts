/**
 * The small elements: SSID, rates, DS parameter set, country, power constraint and capability, supported channels,
 * operating classes, BSS load, mobility domain, challenge text, RM enabled capabilities, RSNXE, HE 6 GHz band
 * capabilities. Each one's layout is in IEEE 802.11-2020 clause 9.4.2 (802.11ax for the 6 GHz one).
 */
import { type BitField, type BitsOf, decodeBits, encodeBits, layoutBytes } from '../bits.ts';
import { fail, ok, type ParseFailure } from '../parse.ts';
import { type ElementCodec, put16le, u16le } from './codec.ts';
import { EID, EID_EXT } from './ids.ts';

// ---- SSID ----

export const SSID_MAX_LEN = 32;

export interface Ssid {
  /** The SSID octets: not necessarily UTF-8 (802.11 says nothing about its encoding unless the UTF-8 SSID bit is set). */
  ssid: Uint8Array;
}

export const ssidCodec: ElementCodec<Ssid> = {
  name: 'SSID',
  id: EID.SSID,
  decode(body) {
    if (body.length > SSID_MAX_LEN) return fail('bad-length', 0, `SSID of ${body.length} octets (at most 32)`);
    return ok({ ssid: body });
  },
  encode: (v) => v.ssid,
};

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * A printable form of an SSID: valid UTF-8 is shown as text (control characters and backslash escaped), anything
 * else octet by octet as \xNN, so that two different SSIDs never display the same.
 */
export function ssidToDisplay(ssid: Uint8Array): string {
  let text: string | null = null;
  try {
    text = utf8Strict.decode(ssid);
  } catch {
    text = null;
  }
  if (text !== null) {
    return text.replace(/[\u0000-\u001f\u007f\\]/g, (c) =>
      c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
  }
  let s = '';
  for (const b of ssid)
    s += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return s;
}

/** The SSID octets of a string (UTF-8). */
export function ssidFromString(s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  if (b.length > SSID_MAX_LEN) throw new Error(`SSID "${s}" is ${b.length} octets in UTF-8; 802.11 allows 32`);
  return b;
}

// ---- Supported Rates and BSS Membership Selectors / Extended Supported Rates ----

/** One octet of a rates element: a rate in units of 500 kb/s, or a BSS membership selector; basic = B7. */
export interface Rate {
  value: number;
  basic: boolean;
}

export interface Rates {
  rates: Rate[];
}

/** BSS membership selectors (Table 9-80 and 802.11be), carried in rates elements with the basic bit set. */
export const BSS_MEMBERSHIP_SELECTOR = {
  EHT_PHY: 121,
  HE_PHY: 122,
  SAE_H2E_ONLY: 123,
  EPD: 124,
  GLK: 125,
  VHT_PHY: 126,
  HT_PHY: 127,
} as const;

export function isMembershipSelector(r: Rate): boolean {
  return r.basic && r.value >= BSS_MEMBERSHIP_SELECTOR.EHT_PHY;
}

function ratesCodec(name: string, id: number): ElementCodec<Rates> {
  return {
    name,
    id,
    decode(body) {
      if (body.length === 0) return fail('bad-length', 0, `empty ${name} element`);
      return ok({ rates: Array.from(body, (o) => ({ value: o & 0x7f, basic: (o & 0x80) !== 0 })) });
    },
    encode: (v) => Uint8Array.from(v.rates, (r) => (r.value & 0x7f) | (r.basic ? 0x80 : 0)),
  };
}

export const supportedRatesCodec = ratesCodec('Supported Rates', EID.SUPP_RATES);
export const extSupportedRatesCodec = ratesCodec('Extended Supported Rates', EID.EXT_SUPP_RATES);

/** Split a rate list as a transmitter must: the first eight in Supported Rates, the rest in Extended Supported Rates. */
export function splitRates(rates: readonly Rate[]): { supported: Rates; extended: Rates | null } {
  return {
    supported: { rates: rates.slice(0, 8) },
    extended: rates.length > 8 ? { rates: rates.slice(8) } : null,
  };
}

/** "6(B)", "5.5", "HT PHY"...: a rate as Wireshark prints it (Mb/s). */
export function rateToString(r: Rate): string {
  if (isMembershipSelector(r)) {
    const name = Object.entries(BSS_MEMBERSHIP_SELECTOR).find(([, v]) => v === r.value)?.[0];
    if (name) return `${name.replace(/_/g, ' ')}`;
  }
  return `${r.value / 2}${r.basic ? '(B)' : ''}`;
}

// ---- DS Parameter Set, Power Constraint, Power Capability ----

function fixedLength(name: string, body: Uint8Array, n: number): ParseFailure | null {
  return body.length === n ? null : fail('bad-length', 0, `${name} has ${body.length} octets, expected ${n}`);
}

export interface DsParams {
  channel: number;
}

export const dsParamsCodec: ElementCodec<DsParams> = {
  name: 'DS Parameter Set',
  id: EID.DS_PARAMS,
  decode(body) {
    return fixedLength(this.name, body, 1) ?? ok({ channel: body[0] });
  },
  encode: (v) => Uint8Array.of(v.channel),
};

export interface PowerConstraint {
  /** dB below the regulatory maximum. */
  localPowerConstraint: number;
}

export const powerConstraintCodec: ElementCodec<PowerConstraint> = {
  name: 'Power Constraint',
  id: EID.PWR_CONSTRAINT,
  decode(body) {
    return fixedLength(this.name, body, 1) ?? ok({ localPowerConstraint: body[0] });
  },
  encode: (v) => Uint8Array.of(v.localPowerConstraint),
};

export interface PowerCapability {
  /** dBm, signed. */
  minTxPower: number;
  maxTxPower: number;
}

export const powerCapabilityCodec: ElementCodec<PowerCapability> = {
  name: 'Power Capability',
  id: EID.PWR_CAPABILITY,
  decode(body) {
    return (
      fixedLength(this.name, body, 2) ?? ok({ minTxPower: (body[0] << 24) >> 24, maxTxPower: (body[1] << 24) >> 24 })
    );
  },
  encode: (v) => Uint8Array.of(v.minTxPower & 0xff, v.maxTxPower & 0xff),
};

// ---- Supported Channels, Supported Operating Classes ----

export interface SupportedChannels {
  ranges: { first: number; count: number }[];
}

export const supportedChannelsCodec: ElementCodec<SupportedChannels> = {
  name: 'Supported Channels',
  id: EID.SUPPORTED_CHANNELS,
  decode(body) {
    if (body.length === 0 || body.length % 2)
      return fail('bad-length', 0, `Supported Channels of ${body.length} octets (pairs expected)`);
    const ranges = [];
    for (let i = 0; i < body.length; i += 2) ranges.push({ first: body[i], count: body[i + 1] });
    return ok({ ranges });
  },
  encode: (v) => Uint8Array.from(v.ranges.flatMap((r) => [r.first, r.count])),
};

export interface SupportedOperatingClasses {
  current: number;
  /** The rest as sent: alternate classes, possibly with the 130 and 0 delimiters and their sequences. */
  alternates: number[];
}

export const supportedOperatingClassesCodec: ElementCodec<SupportedOperatingClasses> = {
  name: 'Supported Operating Classes',
  id: EID.SUPPORTED_REGULATORY_CLASSES,
  decode(body) {
    if (body.length === 0) return fail('bad-length', 0, 'empty Supported Operating Classes element');
    return ok({ current: body[0], alternates: Array.from(body.subarray(1)) });
  },
  encode: (v) => Uint8Array.from([v.current, ...v.alternates]),
};

// ---- Country ----

export type CountryEntry =
  | { kind: 'subband'; firstChannel: number; numChannels: number; maxTxPower: number }
  | { kind: 'operating'; extensionId: number; operatingClass: number; coverageClass: number };

export interface Country {
  /** Two ASCII letters and an environment octet (' ', 'O', 'I', 'X' or a table number). */
  countryString: Uint8Array;
  entries: CountryEntry[];
  /** The pad octet that keeps the element length even, when present. */
  pad: number | null;
}

export const countryCodec: ElementCodec<Country> = {
  name: 'Country',
  id: EID.COUNTRY,
  decode(body) {
    if (body.length < 3) return fail('bad-length', 0, `Country element of ${body.length} octets (at least 3)`);
    const entries: CountryEntry[] = [];
    let p = 3;
    while (body.length - p >= 3) {
      // An octet of 201 or more where a first channel would be starts an operating triplet (9.4.2.8).
      if (body[p] >= 201)
        entries.push({
          kind: 'operating',
          extensionId: body[p],
          operatingClass: body[p + 1],
          coverageClass: body[p + 2],
        });
      else
        entries.push({
          kind: 'subband',
          firstChannel: body[p],
          numChannels: body[p + 1],
          maxTxPower: (body[p + 2] << 24) >> 24,
        });
      p += 3;
    }
    const left = body.length - p;
    if (left === 2) return fail('bad-length', p, 'Country element ends in a partial triplet');
    return ok({ countryString: body.subarray(0, 3), entries, pad: left === 1 ? body[p] : null });
  },
  encode(v) {
    const out = [...v.countryString.subarray(0, 3)];
    for (const e of v.entries) {
      if (e.kind === 'operating') out.push(e.extensionId, e.operatingClass, e.coverageClass);
      else out.push(e.firstChannel, e.numChannels, e.maxTxPower & 0xff);
    }
    if (v.pad !== null) out.push(v.pad);
    return Uint8Array.from(out);
  },
};

export function countryCode(c: Country): string {
  return String.fromCharCode(c.countryString[0], c.countryString[1]);
}

// ---- BSS Load, Mobility Domain, Challenge Text ----

export interface BssLoad {
  stationCount: number;
  /** Percentage of time busy, scaled to 255. */
  channelUtilization: number;
  /** In units of 32 µs per second. */
  availableAdmissionCapacity: number;
}

export const bssLoadCodec: ElementCodec<BssLoad> = {
  name: 'BSS Load',
  id: EID.QBSS_LOAD,
  decode(body) {
    return (
      fixedLength(this.name, body, 5) ??
      ok({ stationCount: u16le(body, 0), channelUtilization: body[2], availableAdmissionCapacity: u16le(body, 3) })
    );
  },
  encode(v) {
    const b = new Uint8Array(5);
    put16le(b, 0, v.stationCount);
    b[2] = v.channelUtilization;
    put16le(b, 3, v.availableAdmissionCapacity);
    return b;
  },
};

export interface MobilityDomain {
  mdid: number;
  /** B0 FT over DS, B1 resource request protocol capability, B2..7 reserved. */
  ftCapabilityPolicy: number;
}

export const mobilityDomainCodec: ElementCodec<MobilityDomain> = {
  name: 'Mobility Domain',
  id: EID.MOBILITY_DOMAIN,
  decode(body) {
    return fixedLength(this.name, body, 3) ?? ok({ mdid: u16le(body, 0), ftCapabilityPolicy: body[2] });
  },
  encode(v) {
    const b = new Uint8Array(3);
    put16le(b, 0, v.mdid);
    b[2] = v.ftCapabilityPolicy;
    return b;
  },
};

export interface ChallengeText {
  text: Uint8Array;
}

export const challengeTextCodec: ElementCodec<ChallengeText> = {
  name: 'Challenge Text',
  id: EID.CHALLENGE,
  decode(body) {
    if (body.length === 0) return fail('bad-length', 0, 'empty Challenge Text');
    return ok({ text: body });
  },
  encode: (v) => v.text,
};

// ---- fixed bit-field elements ----

/** A codec for an element that is a fixed bit layout, possibly followed by octets a later amendment defines. */
export function layoutCodec<L extends readonly BitField[]>(
  name: string,
  id: number,
  ext: number | undefined,
  layout: L,
): ElementCodec<BitsOf<L> & { extra: Uint8Array }> {
  const n = layoutBytes(layout);
  return {
    name,
    id,
    ext,
    decode(body) {
      if (body.length < n) return fail('bad-length', 0, `${name} of ${body.length} octets (at least ${n})`);
      return ok(Object.assign(decodeBits(layout, body, 0), { extra: body.subarray(n) }));
    },
    encode(v) {
      const out = new Uint8Array(n + v.extra.length);
      encodeBits(layout, v, out, 0);
      out.set(v.extra, n);
      return out;
    },
  };
}

/** RM Enabled Capabilities (Table 9-179). */
export const RM_CAPABILITIES_LAYOUT = [
  ['linkMeasurement', 0, 1],
  ['neighborReport', 1, 1],
  ['parallelMeasurements', 2, 1],
  ['repeatedMeasurements', 3, 1],
  ['beaconPassiveMeasurement', 4, 1],
  ['beaconActiveMeasurement', 5, 1],
  ['beaconTableMeasurement', 6, 1],
  ['beaconMeasurementReportingConditions', 7, 1],
  ['frameMeasurement', 8, 1],
  ['channelLoadMeasurement', 9, 1],
  ['noiseHistogramMeasurement', 10, 1],
  ['statisticsMeasurement', 11, 1],
  ['lciMeasurement', 12, 1],
  ['lciAzimuth', 13, 1],
  ['transmitStreamCategoryMeasurement', 14, 1],
  ['triggeredTransmitStreamCategoryMeasurement', 15, 1],
  ['apChannelReport', 16, 1],
  ['rmMib', 17, 1],
  ['operatingChannelMaxMeasurementDuration', 18, 3],
  ['nonoperatingChannelMaxMeasurementDuration', 21, 3],
  ['measurementPilotCapability', 24, 3],
  ['measurementPilotTransmissionInformation', 27, 1],
  ['neighborReportTsfOffset', 28, 1],
  ['rcpiMeasurement', 29, 1],
  ['rsniMeasurement', 30, 1],
  ['bssAverageAccessDelay', 31, 1],
  ['bssAvailableAdmissionCapacity', 32, 1],
  ['antenna', 33, 1],
  ['ftmRangeReport', 34, 1],
  ['civicLocationMeasurement', 35, 1],
  ['reserved36', 36, 4],
] as const satisfies readonly BitField[];

export const rmCapabilitiesCodec = layoutCodec(
  'RM Enabled Capabilities',
  EID.RRM_ENABLED_CAPABILITIES,
  undefined,
  RM_CAPABILITIES_LAYOUT,
);
export type RmCapabilities = BitsOf<typeof RM_CAPABILITIES_LAYOUT> & { extra: Uint8Array };

/** HE 6 GHz Band Capabilities (802.11ax 9.4.2.263). */
export const HE_6GHZ_CAPABILITIES_LAYOUT = [
  ['minMpduStartSpacing', 0, 3],
  ['maxAmpduLengthExponent', 3, 3],
  ['maxMpduLength', 6, 2],
  ['reserved8', 8, 1],
  ['smPowerSave', 9, 2],
  ['rdResponder', 11, 1],
  ['rxAntennaPatternConsistency', 12, 1],
  ['txAntennaPatternConsistency', 13, 1],
  ['reserved14', 14, 2],
] as const satisfies readonly BitField[];

export const he6ghzCapabilitiesCodec = layoutCodec(
  'HE 6 GHz Band Capabilities',
  EID.EXTENSION,
  EID_EXT.HE_6GHZ_CAPA,
  HE_6GHZ_CAPABILITIES_LAYOUT,
);
export type He6GhzCapabilities = BitsOf<typeof HE_6GHZ_CAPABILITIES_LAYOUT> & { extra: Uint8Array };

/**
 * RSN Extension (9.4.2.241): the first octet's fields; later octets (Secure LTF, Secure RTT, ...) are kept in
 * `extra`. A body shorter than one octet is invalid.
 */
export const RSNX_LAYOUT = [
  ['fieldLength', 0, 4],
  ['protectedTwtOperations', 4, 1],
  ['saeHashToElement', 5, 1],
  ['saePk', 6, 1],
  ['protectedWurFrame', 7, 1],
] as const satisfies readonly BitField[];

export const rsnxCodec = layoutCodec('RSN Extension', EID.RSNX, undefined, RSNX_LAYOUT);
export type Rsnx = BitsOf<typeof RSNX_LAYOUT> & { extra: Uint8Array };
