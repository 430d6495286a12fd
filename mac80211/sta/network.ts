/**
 * The network a station is told to join (wpa_supplicant's struct wpa_ssid): SSID, PSK or open, and what follows
 * from it — which scan results qualify (SSID octets equal, security compatible), which is best (signal), which
 * AKM and ciphers to ask for (our RSN element), and the elements of the association request.
 */
import { macEquals } from '../addr.ts';
import type { SupportedBand } from '../driver-ops.ts';
import { encodeElement } from '../elements/codec.ts';
import { ssidCodec, ssidFromString, ssidToDisplay } from '../elements/basic.ts';
import { concatBytes } from '../elements/elements.ts';
import { AKM_SUITE, buildRsn, CIPHER_SUITE, rsnCodec } from '../elements/rsn.ts';
import {
  extCapsElement,
  heCapsElement,
  htCapsElement,
  ratesElements,
  ratesOf,
  vhtCapsElement,
  wmmInfoElement,
} from '../mlme/caps.ts';
import { passphraseToPsk } from '../rsn/kdf.ts';
import type { BssEntry } from './bss.ts';

export interface NetworkConfig {
  /** SSID as text (UTF-8) or octets. */
  ssid: string | Uint8Array;
  /** WPA2-Personal passphrase (8..63 characters); absent with no `psk`: an open network. */
  passphrase?: string;
  /** A 32-octet PSK instead of the passphrase. */
  psk?: Uint8Array;
  /** Join only this BSSID. */
  bssid?: Uint8Array;
  /** AKMs we accept, in order of preference (default PSK-SHA256 then PSK). */
  akms?: number[];
  /** Scan only these frequencies (MHz) when looking for the network (wpa_supplicant's scan_freq). */
  scanFreqs?: number[];
}

export interface Network {
  ssid: Uint8Array;
  ssidDisplay: string;
  /** The PMK (the PSK) for RSN, null for an open network. */
  pmk: Uint8Array | null;
  bssid: Uint8Array | null;
  akms: number[];
  scanFreqs: number[] | null;
}

export function makeNetwork(c: NetworkConfig): Network {
  const ssid = typeof c.ssid === 'string' ? ssidFromString(c.ssid) : Uint8Array.from(c.ssid);
  let pmk: Uint8Array | null = null;
  if (c.psk !== undefined) {
    if (c.psk.length !== 32) throw new Error(`a PSK is 32 octets (got ${c.psk.length})`);
    pmk = Uint8Array.from(c.psk);
  } else if (c.passphrase !== undefined) pmk = passphraseToPsk(c.passphrase, ssid);
  return {
    ssid,
    ssidDisplay: ssidToDisplay(ssid),
    pmk,
    bssid: c.bssid ? Uint8Array.from(c.bssid) : null,
    akms: c.akms ?? [AKM_SUITE.PSK_SHA256, AKM_SUITE.PSK],
    scanFreqs: c.scanFreqs ? [...c.scanFreqs] : null,
  };
}

/** What we ask a BSS for: AKM, ciphers, and our RSN element (ID and length included). */
export interface RsnChoice {
  akm: number;
  pairwise: number;
  group: number;
  ownRsne: Uint8Array;
}

/** Pairwise ciphers we can do, in order of preference (software CCMP). */
const OUR_PAIRWISE = [CIPHER_SUITE.CCMP];
const OUR_GROUP = [CIPHER_SUITE.CCMP];

/** The AKM and ciphers to use with `bss`, or a reason why the network's security does not fit it. */
export function chooseRsn(net: Network, bss: BssEntry): RsnChoice | string {
  const s = bss.security;
  if (net.pmk === null) return s.proto === 'open' ? 'open' : `${bss.bssidStr} is not an open network`;
  if (s.malformed) return `${bss.bssidStr} sends a malformed RSN element`;
  if (s.proto !== 'rsn') return `${bss.bssidStr} does not offer WPA2 (RSN)`;
  // We do not do management frame protection (no BIP): a BSS that requires it is not for us.
  if (s.mfpr) return `${bss.bssidStr} requires management frame protection`;
  const akm = net.akms.find((a) => s.akms.includes(a));
  if (akm === undefined) return `${bss.bssidStr} offers no AKM we use`;
  const pairwise = OUR_PAIRWISE.find((c) => s.pairwise.includes(c));
  if (pairwise === undefined) return `${bss.bssidStr} offers no pairwise cipher we use`;
  if (s.group === null || !OUR_GROUP.includes(s.group as (typeof OUR_GROUP)[number])) {
    return `${bss.bssidStr} uses a group cipher we do not`;
  }
  const ownRsne = encodeElement(
    rsnCodec,
    buildRsn({ groupCipher: s.group, pairwiseCiphers: [pairwise], akms: [akm], capabilities: 0 }),
  );
  return { akm, pairwise, group: s.group, ownRsne };
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Scan results the network may join, best first (signal, then BSSID for a stable order). */
export function candidates(net: Network, bsses: readonly BssEntry[]): BssEntry[] {
  return bsses
    .filter((b) => bytesEq(b.ssid, net.ssid))
    .filter((b) => net.bssid === null || macEquals(b.bssid, net.bssid))
    .filter((b) => {
      const c = chooseRsn(net, b);
      return c === 'open' || typeof c !== 'string'; // 'open' is a fit (an open network for an open config)
    })
    .sort((a, b) => b.signal - a.signal || a.bssidStr.localeCompare(b.bssidStr));
}

/** The elements of our (Re)Association Request to `bss`: what we can do, limited to what it advertises. */
export function assocRequestIes(net: Network, bss: BssEntry, band: SupportedBand, rsn: RsnChoice | null): Uint8Array {
  const parts: Uint8Array[] = [encodeElement(ssidCodec, { ssid: net.ssid })];
  parts.push(...ratesElements(ratesOf(band.bitrates)));
  if (rsn !== null) parts.push(rsn.ownRsne);
  if (bss.ht && band.ht) parts.push(htCapsElement(2, band.band !== '2g'));
  parts.push(extCapsElement(false));
  if (bss.vht && band.vht && band.band !== '2g') parts.push(vhtCapsElement(2));
  if (bss.he && band.he) parts.push(heCapsElement(band.band, 2));
  if (bss.wmm) parts.push(wmmInfoElement());
  return concatBytes(parts);
}
