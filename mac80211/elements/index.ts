/**
 * Every element codec, and lookup by ID / extension ID / vendor OUI and type. Import from here.
 */
import {
  bssLoadCodec,
  challengeTextCodec,
  countryCodec,
  dsParamsCodec,
  extSupportedRatesCodec,
  he6ghzCapabilitiesCodec,
  mobilityDomainCodec,
  powerCapabilityCodec,
  powerConstraintCodec,
  rmCapabilitiesCodec,
  rsnxCodec,
  ssidCodec,
  supportedChannelsCodec,
  supportedOperatingClassesCodec,
  supportedRatesCodec,
} from './basic.ts';
import type { ElementCodec } from './codec.ts';
import { ehtCapabilitiesCodec, ehtOperationCodec } from './eht.ts';
import type { ElementRef } from './elements.ts';
import { extCapabilitiesCodec } from './extcap.ts';
import { heCapabilitiesCodec, heOperationCodec } from './he.ts';
import { htCapabilitiesCodec, htOperationCodec } from './ht.ts';
import { EID } from './ids.ts';
import { multiLinkCodec } from './multilink.ts';
import { rsnCodec, wpaCodec } from './rsn.ts';
import { timCodec } from './tim.ts';
import { type VendorCodec, wmmInformationCodec, wmmParameterCodec, wpsCodec } from './vendor.ts';
import { vhtCapabilitiesCodec, vhtOperationCodec } from './vht.ts';

export * from './basic.ts';
export * from './codec.ts';
export * from './eht.ts';
export * from './elements.ts';
export * from './extcap.ts';
export * from './he.ts';
export * from './ht.ts';
export * from './ids.ts';
export * from './multilink.ts';
export * from './rsn.ts';
export * from './tim.ts';
export * from './vendor.ts';
export * from './vht.ts';

// biome-ignore lint/suspicious/noExplicitAny: a registry of codecs of different value types
type AnyCodec = ElementCodec<any>;

export const ELEMENT_CODECS: readonly AnyCodec[] = [
  ssidCodec,
  supportedRatesCodec,
  dsParamsCodec,
  timCodec,
  countryCodec,
  bssLoadCodec,
  challengeTextCodec,
  powerConstraintCodec,
  powerCapabilityCodec,
  supportedChannelsCodec,
  htCapabilitiesCodec,
  rsnCodec,
  extSupportedRatesCodec,
  mobilityDomainCodec,
  supportedOperatingClassesCodec,
  htOperationCodec,
  rmCapabilitiesCodec,
  extCapabilitiesCodec,
  vhtCapabilitiesCodec,
  vhtOperationCodec,
  rsnxCodec,
  heCapabilitiesCodec,
  heOperationCodec,
  he6ghzCapabilitiesCodec,
  ehtCapabilitiesCodec,
  ehtOperationCodec,
  multiLinkCodec,
];

export const VENDOR_CODECS: readonly VendorCodec<unknown>[] = [
  wpaCodec as VendorCodec<unknown>,
  wmmInformationCodec as VendorCodec<unknown>,
  wmmParameterCodec as VendorCodec<unknown>,
  wpsCodec as VendorCodec<unknown>,
];

const byId = new Map<number, AnyCodec>();
const byExt = new Map<number, AnyCodec>();
for (const c of ELEMENT_CODECS) {
  if (c.id === EID.EXTENSION) byExt.set(c.ext ?? -1, c);
  else byId.set(c.id, c);
}

/**
 * The codec for the element at `ref` in `buf`, or null when airstack does not interpret it. The codec's `decode`
 * takes the element body: for ID 255 the octets after the extension ID, for ID 221 all of it (OUI included).
 */
export function codecFor(buf: Uint8Array, ref: Pick<ElementRef, 'id' | 'ext' | 'offset' | 'length'>): AnyCodec | null {
  if (ref.id === EID.EXTENSION) return byExt.get(ref.ext) ?? null;
  if (ref.id !== EID.VENDOR_SPECIFIC) return byId.get(ref.id) ?? null;
  if (ref.length < 4) return null;
  const o = ref.offset;
  const oui = (buf[o] << 16) | (buf[o + 1] << 8) | buf[o + 2];
  for (const c of VENDOR_CODECS) {
    if (c.oui !== oui || c.type !== buf[o + 3]) continue;
    if (c.subtype !== undefined && (ref.length < 5 || buf[o + 4] !== c.subtype)) continue;
    return c;
  }
  return null;
}
