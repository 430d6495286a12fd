/**
 * What an access point is told (hostapd.conf's essentials): SSID and whether beacons hide it, channel, beacon
 * interval and DTIM period, WPA2-Personal (passphrase or PSK, AKMs PSK and optionally PSK-SHA256, CCMP), HT/VHT/HE
 * and WMM, group and PTK rekeying, station inactivity, capacity. Checked where a person gives it: every error
 * says what is wrong and what to do.
 */
import type { Band } from '../driver-ops.ts';
import { ssidFromString, ssidToDisplay } from '../elements/basic.ts';
import { AKM_SUITE } from '../elements/rsn.ts';
import { checkPassphrase, passphraseToPsk } from '../rsn/kdf.ts';
import { TIM_MAX_AID } from '../elements/tim.ts';

/** hostapd's ignore_broadcast_ssid: 0 (no), 1 (empty SSID in beacons), 2 (zeroed SSID of the same length). */
export type HiddenSsid = 'no' | 'empty' | 'zeroed';

export interface ApConfig {
  ssid: string | Uint8Array;
  /** WPA2-Personal passphrase; with neither it nor `psk` the BSS is open. */
  passphrase?: string;
  psk?: Uint8Array;
  /** 2.4 GHz channels 1..13 or 5 GHz channels (36...); the band follows from the number unless given. */
  channel: number;
  band?: Band;
  /** Beacon interval in TUs (default 100). */
  beaconIntervalTu?: number;
  /** DTIM period in beacons (default 2, as hostapd). */
  dtimPeriod?: number;
  hidden?: HiddenSsid | boolean;
  /** Also offer AKM 6 (PSK-SHA256) next to AKM 2 (default false). */
  pskSha256?: boolean;
  ht?: boolean;
  vht?: boolean;
  he?: boolean;
  wmm?: boolean;
  /** GTK rekey interval in ms (hostapd's wpa_group_rekey; default 86,400 s; 0: never). */
  groupRekeyMs?: number;
  /** PTK rekey interval per station in ms (wpa_ptk_rekey; default 0: never). */
  ptkRekeyMs?: number;
  /** Disconnect a station silent this long that does not answer a poll (ap_max_inactivity; default 300 s). */
  maxInactivityMs?: number;
  /** Associated stations at most (max_num_sta; default 2007). */
  maxStations?: number;
  /** HE BSS color (1..63, default 1). */
  bssColor?: number;
}

export interface ApSettings {
  ssid: Uint8Array;
  ssidDisplay: string;
  pmk: Uint8Array | null;
  band: Band;
  channel: number;
  beaconIntervalTu: number;
  dtimPeriod: number;
  hidden: HiddenSsid;
  akms: number[];
  ht: boolean;
  vht: boolean;
  he: boolean;
  wmm: boolean;
  groupRekeyMs: number;
  ptkRekeyMs: number;
  maxInactivityMs: number;
  maxStations: number;
  bssColor: number;
}

export class ApConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApConfigError';
  }
}

function intIn(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new ApConfigError(`${name} ${v}: expected an integer from ${lo} to ${hi}`);
  return v;
}

export function apSettings(c: ApConfig): ApSettings {
  let ssid: Uint8Array;
  try {
    ssid = typeof c.ssid === 'string' ? ssidFromString(c.ssid) : Uint8Array.from(c.ssid);
  } catch (e) {
    throw new ApConfigError((e as Error).message);
  }
  if (ssid.length === 0 || ssid.length > 32) throw new ApConfigError(`an SSID has 1 to 32 octets (got ${ssid.length})`);
  const band: Band = c.band ?? (c.channel <= 14 ? '2g' : '5g');
  if (band === '2g') intIn('2.4 GHz channel', c.channel, 1, 13);
  else intIn('5 GHz channel', c.channel, 32, 177);
  let pmk: Uint8Array | null = null;
  if (c.psk !== undefined) {
    if (c.psk.length !== 32) throw new ApConfigError(`a PSK is 32 octets (got ${c.psk.length})`);
    pmk = Uint8Array.from(c.psk);
  } else if (c.passphrase !== undefined) {
    const problem = checkPassphrase(c.passphrase);
    if (problem !== null) throw new ApConfigError(problem);
    pmk = passphraseToPsk(c.passphrase, ssid);
  }
  const hidden: HiddenSsid =
    c.hidden === true ? 'empty' : c.hidden === false || c.hidden === undefined ? 'no' : c.hidden;
  return {
    ssid,
    ssidDisplay: ssidToDisplay(ssid),
    pmk,
    band,
    channel: c.channel,
    beaconIntervalTu: intIn('beacon interval', c.beaconIntervalTu ?? 100, 15, 65535),
    dtimPeriod: intIn('DTIM period', c.dtimPeriod ?? 2, 1, 255),
    hidden,
    akms: c.pskSha256 ? [AKM_SUITE.PSK, AKM_SUITE.PSK_SHA256] : [AKM_SUITE.PSK],
    ht: c.ht ?? true,
    vht: (c.vht ?? true) && band !== '2g',
    he: c.he ?? false,
    wmm: c.wmm ?? true,
    groupRekeyMs: c.groupRekeyMs ?? 86_400_000,
    ptkRekeyMs: c.ptkRekeyMs ?? 0,
    maxInactivityMs: c.maxInactivityMs ?? 300_000,
    maxStations: intIn('station limit', c.maxStations ?? TIM_MAX_AID, 1, TIM_MAX_AID),
    bssColor: intIn('BSS color', c.bssColor ?? 1, 1, 63),
  };
}
