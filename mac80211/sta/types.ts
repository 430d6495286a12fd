/**
 * The station MLME's vocabulary: the link as reported, its errors, its counters, and one join attempt's state.
 */
import type { Timer } from '../../netstack/core/clock.ts';
import type { ChanDef } from '../driver-ops.ts';
import type { Supplicant } from '../rsn/supplicant.ts';
import type { StaInfo } from '../sta-info.ts';
import type { BssEntry } from './bss.ts';
import type { RsnChoice } from './network.ts';

export interface LinkInfo {
  bssid: string;
  ssid: string;
  freq: number;
  channel: number;
  /** dBm of the last frame from the AP. */
  signal: number;
  aid: number;
  /** wpa_supplicant's key_mgmt ("WPA2-PSK", "NONE"...). */
  keyMgmt: string;
  /** AKM name ("PSK", "PSK-SHA256") or "NONE". */
  akm: string;
  pairwiseCipher: string;
  groupCipher: string;
  wmm: boolean;
  ht: boolean;
  vht: boolean;
  he: boolean;
}

export class WrongPassphraseError extends Error {
  constructor(
    readonly bssid: string,
    readonly ssid: string,
  ) {
    super(`the 4-way handshake with ${bssid} failed: the passphrase for "${ssid}" is probably wrong`);
    this.name = 'WrongPassphraseError';
  }
}

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'aborted',
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

export interface StationCounters {
  connects: number;
  authTx: number;
  authTimeouts: number;
  authRejects: number;
  assocTx: number;
  assocTimeouts: number;
  assocRejects: number;
  associations: number;
  connected: number;
  disconnects: number;
  deauthFromAp: number;
  disassocFromAp: number;
  beaconLosses: number;
  connectionLosses: number;
  notFound: number;
  reconnects: number;
  wrongKey: number;
  rxMgmt: number;
  rxMalformed: number;
  rxIgnored: number;
}

export interface Attempt {
  epoch: number;
  bss: BssEntry;
  rsn: RsnChoice | null;
  chandef: ChanDef;
  phase: 'auth' | 'assoc' | 'handshake' | 'connected';
  tries: number;
  sta: StaInfo | null;
  aid: number;
  wmm: boolean;
  ht: boolean;
  vht: boolean;
  he: boolean;
  supplicant: Supplicant | null;
}

export interface PendingConnect {
  resolve(l: LinkInfo): void;
  reject(e: Error): void;
  timer: Timer | null;
}

export function zeroStationCounters(): StationCounters {
  return {
    connects: 0,
    authTx: 0,
    authTimeouts: 0,
    authRejects: 0,
    assocTx: 0,
    assocTimeouts: 0,
    assocRejects: 0,
    associations: 0,
    connected: 0,
    disconnects: 0,
    deauthFromAp: 0,
    disassocFromAp: 0,
    beaconLosses: 0,
    connectionLosses: 0,
    notFound: 0,
    reconnects: 0,
    wrongKey: 0,
    rxMgmt: 0,
    rxMalformed: 0,
    rxIgnored: 0,
  };
}
