/**
 * Checking a (Re)Association Request as hostapd's check_assoc_ies and wpa_validate_wpa_ie do, and what the
 * answer is: a status code, and on success what the station negotiated (rates, HT/VHT/HE, WMM, its RSN element
 * with the AKM and pairwise cipher it chose).
 */
import type { SupportedBand } from '../driver-ops.ts';
import type { Elements } from '../elements/elements.ts';
import { EID, EID_EXT, MS_OUI_TYPE_WMM, OUI_MICROSOFT } from '../elements/ids.ts';
import { CIPHER_SUITE, rsnCapabilities, rsnCodec } from '../elements/rsn.ts';
import { mandatoryRates } from '../mlme/caps.ts';
import { Status } from '../mlme/codes.ts';
import type { ApSettings } from './config.ts';

export interface AssocOutcome {
  status: number;
  /** Why, for logs, when status is not SUCCESS. */
  why: string;
  /** Legacy rates both support (100 kb/s). */
  rates: number[];
  ht: boolean;
  vht: boolean;
  he: boolean;
  wmm: boolean;
  /** The station's RSN element (ID and length included): the 4-way handshake's message 2 must carry it. */
  rsne: Uint8Array | null;
  akm: number;
  pairwise: number;
}

function refuse(status: number, why: string): AssocOutcome {
  return { status, why, rates: [], ht: false, vht: false, he: false, wmm: false, rsne: null, akm: 0, pairwise: 0 };
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function checkAssocRequest(s: ApSettings, band: SupportedBand, e: Elements): AssocOutcome {
  if (e.check() !== null) return refuse(Status.UNSPECIFIED_FAILURE, 'malformed elements');
  const ssid = e.find(EID.SSID);
  if (ssid === null || !bytesEq(ssid, s.ssid)) return refuse(Status.UNSPECIFIED_FAILURE, 'SSID mismatch');
  const supp = e.find(EID.SUPP_RATES);
  if (supp === null) return refuse(Status.UNSPECIFIED_FAILURE, 'no Supported Rates element');
  const theirs = new Set<number>();
  for (const id of [EID.SUPP_RATES, EID.EXT_SUPP_RATES]) {
    const b = e.find(id);
    if (b !== null) for (const o of b) theirs.add((o & 0x7f) * 5);
  }
  for (const r of mandatoryRates(s.band)) {
    if (!theirs.has(r)) return refuse(Status.ASSOC_DENIED_RATES, `basic rate ${r / 10} Mb/s not supported`);
  }
  const out: AssocOutcome = {
    status: Status.SUCCESS,
    why: '',
    rates: band.bitrates.filter((r) => theirs.has(r)),
    ht: s.ht && band.ht && e.find(EID.HT_CAPABILITY) !== null,
    vht: s.vht && band.vht && s.band !== '2g' && e.find(EID.VHT_CAPABILITY) !== null,
    he: s.he && band.he && e.findExt(EID_EXT.HE_CAPABILITY) !== null,
    wmm: s.wmm && e.findVendor(OUI_MICROSOFT, MS_OUI_TYPE_WMM) !== null,
    rsne: null,
    akm: 0,
    pairwise: 0,
  };
  if (s.pmk === null) return out;
  const body = e.find(EID.RSN);
  if (body === null) return refuse(Status.INVALID_IE, 'no RSN element');
  const r = rsnCodec.decode(body);
  if (!r.ok) {
    return refuse(r.reason === 'bad-version' ? Status.UNSUPP_RSN_VERSION : Status.INVALID_IE, 'malformed RSN element');
  }
  const v = r.value;
  // A station names exactly the suites it chose (hostapd accepts only one of each).
  if (v.groupCipher !== null && v.groupCipher !== CIPHER_SUITE.CCMP) {
    return refuse(Status.INVALID_GROUP_CIPHER, 'group cipher is not CCMP');
  }
  const pairwise = v.pairwiseCiphers ?? [CIPHER_SUITE.CCMP];
  if (pairwise.length !== 1 || pairwise[0] !== CIPHER_SUITE.CCMP) {
    return refuse(Status.INVALID_PAIRWISE_CIPHER, 'pairwise cipher is not CCMP');
  }
  const akms = v.akms ?? [];
  if (akms.length !== 1 || !s.akms.includes(akms[0]!)) return refuse(Status.INVALID_AKMP, 'AKM not offered');
  if (v.capabilities !== null && rsnCapabilities(v.capabilities).mfpr === 1) {
    return refuse(Status.ROBUST_MGMT_FRAME_POLICY_VIOLATION, 'management frame protection required by the station');
  }
  const rsne = new Uint8Array(2 + body.length);
  rsne[0] = EID.RSN;
  rsne[1] = body.length;
  rsne.set(body, 2);
  out.rsne = rsne;
  out.akm = akms[0]!;
  out.pairwise = CIPHER_SUITE.CCMP;
  return out;
}
