/**
 * What a BSS asks of a station's security, read from its RSN element (or the older WPA vendor element): key
 * management (AKM) and cipher suites, management frame protection, and the names wpa_supplicant prints for them
 * ("[WPA2-PSK-CCMP]", key_mgmt=WPA2-PSK, pairwise_cipher=CCMP).
 */
import { EID } from '../elements/ids.ts';
import type { Elements } from '../elements/elements.ts';
import { AKM_SUITE, CIPHER_SUITE, rsnCapabilities, rsnCodec, rsnWithDefaults, wpaCodec } from '../elements/rsn.ts';
import { MS_OUI_TYPE_WPA, OUI_MICROSOFT } from '../elements/ids.ts';
import { withOui } from '../elements/vendor.ts';

export type SecurityProto = 'open' | 'wep' | 'wpa' | 'rsn';

export interface BssSecurity {
  proto: SecurityProto;
  akms: number[];
  pairwise: number[];
  group: number | null;
  groupMgmt: number | null;
  /** Management frame protection capable / required (RSN Capabilities B7 / B6). */
  mfpc: boolean;
  mfpr: boolean;
  /** The whole RSN element (ID, length, body) as the BSS sends it: the 4-way handshake's message 3 must match. */
  rsne: Uint8Array | null;
  /** The RSN element was there but did not parse (the BSS is unusable for RSN). */
  malformed: boolean;
}

const AKM_NAMES: Record<number, string> = {
  [AKM_SUITE.IEEE8021X]: 'EAP',
  [AKM_SUITE.PSK]: 'PSK',
  [AKM_SUITE.FT_IEEE8021X]: 'FT/EAP',
  [AKM_SUITE.FT_PSK]: 'FT/PSK',
  [AKM_SUITE.IEEE8021X_SHA256]: 'EAP-SHA256',
  [AKM_SUITE.PSK_SHA256]: 'PSK-SHA256',
  [AKM_SUITE.SAE]: 'SAE',
  [AKM_SUITE.FT_SAE]: 'FT/SAE',
  [AKM_SUITE.OWE]: 'OWE',
  [AKM_SUITE.SAE_EXT_KEY]: 'SAE-EXT-KEY',
  [AKM_SUITE.IEEE8021X_SUITE_B]: 'EAP-SUITE-B',
  [AKM_SUITE.IEEE8021X_SUITE_B_192]: 'EAP-SUITE-B-192',
  [AKM_SUITE.FILS_SHA256]: 'FILS-SHA256',
  [AKM_SUITE.FILS_SHA384]: 'FILS-SHA384',
  [AKM_SUITE.PSK_SHA384]: 'PSK-SHA384',
};

const CIPHER_NAMES: Record<number, string> = {
  [CIPHER_SUITE.WEP40]: 'WEP40',
  [CIPHER_SUITE.TKIP]: 'TKIP',
  [CIPHER_SUITE.CCMP]: 'CCMP',
  [CIPHER_SUITE.WEP104]: 'WEP104',
  [CIPHER_SUITE.AES_CMAC]: 'BIP',
  [CIPHER_SUITE.NO_GROUP_ADDRESSED]: 'GTK_NOT_USED',
  [CIPHER_SUITE.GCMP]: 'GCMP',
  [CIPHER_SUITE.GCMP_256]: 'GCMP-256',
  [CIPHER_SUITE.CCMP_256]: 'CCMP-256',
  [CIPHER_SUITE.BIP_GMAC_128]: 'BIP-GMAC-128',
  [CIPHER_SUITE.BIP_GMAC_256]: 'BIP-GMAC-256',
  [CIPHER_SUITE.BIP_CMAC_256]: 'BIP-CMAC-256',
};

/** WPA (Microsoft OUI) selectors mapped onto their RSN equivalents for naming and matching. */
function fromWpaSuite(s: number): number {
  return (s & 0xffffff00) === 0x0050f200 ? 0x000fac00 | (s & 0xff) : s;
}

/** "PSK", "SAE", ... or the selector in hex for suites without a name. */
export function akmName(s: number): string {
  return AKM_NAMES[s] ?? `AKM-${(s >>> 0).toString(16).padStart(8, '0')}`;
}

export function cipherSuiteName(s: number): string {
  return CIPHER_NAMES[s] ?? `CIPHER-${(s >>> 0).toString(16).padStart(8, '0')}`;
}

/** Read a BSS's security from its elements and the Privacy bit of its capability. */
export function parseSecurity(elements: Elements, privacy: boolean): BssSecurity {
  const sec: BssSecurity = {
    proto: privacy ? 'wep' : 'open',
    akms: [],
    pairwise: [],
    group: null,
    groupMgmt: null,
    mfpc: false,
    mfpr: false,
    rsne: null,
    malformed: false,
  };
  const rsnBody = elements.find(EID.RSN);
  if (rsnBody !== null) {
    const r = rsnCodec.decode(rsnBody);
    if (!r.ok) {
      sec.malformed = true;
      return sec;
    }
    const v = rsnWithDefaults(r.value);
    const caps = rsnCapabilities(v.capabilities);
    sec.proto = 'rsn';
    sec.akms = v.akms;
    sec.pairwise = v.pairwiseCiphers;
    sec.group = v.groupCipher;
    sec.mfpc = caps.mfpc === 1;
    sec.mfpr = caps.mfpr === 1;
    sec.groupMgmt = sec.mfpc ? v.groupMgmtCipher : null;
    const whole = new Uint8Array(2 + rsnBody.length);
    whole[0] = EID.RSN;
    whole[1] = rsnBody.length;
    whole.set(rsnBody, 2);
    sec.rsne = whole;
    return sec;
  }
  const wpaBody = elements.findVendor(OUI_MICROSOFT, MS_OUI_TYPE_WPA);
  if (wpaBody !== null) {
    const w = wpaCodec.decode(withOui(OUI_MICROSOFT, MS_OUI_TYPE_WPA, wpaBody));
    if (!w.ok) {
      sec.malformed = true;
      return sec;
    }
    sec.proto = 'wpa';
    sec.akms = (w.value.akms ?? [0x0050f201]).map(fromWpaSuite);
    sec.pairwise = (w.value.pairwiseCiphers ?? [0x0050f202]).map(fromWpaSuite);
    sec.group = fromWpaSuite(w.value.groupCipher ?? 0x0050f202);
  }
  return sec;
}

/** wpa_supplicant's scan-result flags: "[WPA2-PSK-CCMP]", "[WPA2-PSK+PSK-SHA256-CCMP][MFPC]", "[WEP]", "". */
export function securityFlags(s: BssSecurity): string {
  if (s.proto === 'open') return '';
  if (s.proto === 'wep') return '[WEP]';
  const akms = s.akms.map(akmName).join('+');
  const ciphers = s.pairwise.map(cipherSuiteName).join('+');
  let f = `[${s.proto === 'rsn' ? 'WPA2' : 'WPA'}-${akms}-${ciphers}]`;
  if (s.mfpr) f += '[MFPR]';
  else if (s.mfpc) f += '[MFPC]';
  return f;
}

/** wpa_supplicant's key_mgmt= value for the AKM in use ("WPA2-PSK", "WPA2-PSK-SHA256", "SAE", "NONE"). */
export function keyMgmtName(proto: SecurityProto, akm: number | null): string {
  if (akm === null || proto === 'open') return 'NONE';
  if (akm === AKM_SUITE.SAE) return 'SAE';
  return `${proto === 'rsn' ? 'WPA2' : 'WPA'}-${akmName(akm)}`;
}
