/**
 * What the station reports, as typed events and as the text lines wpa_supplicant prints on its control interface
 * (wpa_ctrl.h), so that logs read the same as a Linux client's:
 *
 *   CTRL-EVENT-SCAN-STARTED
 *   CTRL-EVENT-SCAN-RESULTS
 *   CTRL-EVENT-NETWORK-NOT-FOUND
 *   Trying to associate with 02:00:00:00:01:00 (SSID='airstack' freq=2412 MHz)
 *   CTRL-EVENT-AUTH-REJECT 02:00:00:00:01:00 auth_type=0 auth_transaction=2 status_code=13
 *   CTRL-EVENT-ASSOC-REJECT bssid=02:00:00:00:01:00 status_code=17
 *   Associated with 02:00:00:00:01:00
 *   WPA: Key negotiation completed with 02:00:00:00:01:00 [PTK=CCMP GTK=CCMP]
 *   CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:01:00 completed [id=0 id_str=]
 *   WPA: Group rekeying completed with 02:00:00:00:01:00 [GTK=CCMP]
 *   CTRL-EVENT-BEACON-LOSS
 *   CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=3 locally_generated=1
 *   WPA: 4-Way Handshake failed - pre-shared key may be incorrect
 *   CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="airstack" auth_failures=1 duration=10 reason=WRONG_KEY
 *   CTRL-EVENT-SSID-REENABLED id=0 ssid="airstack"
 */

/** wpa_supplicant's wpa_states. */
export type WpaState =
  | 'DISCONNECTED'
  | 'INACTIVE'
  | 'SCANNING'
  | 'AUTHENTICATING'
  | 'ASSOCIATING'
  | 'ASSOCIATED'
  | '4WAY_HANDSHAKE'
  | 'GROUP_HANDSHAKE'
  | 'COMPLETED';

export type TempDisableReason = 'WRONG_KEY' | 'CONN_FAILED' | 'AUTH_FAILED';

export type StaEvent =
  | { type: 'state'; from: WpaState; to: WpaState }
  | { type: 'scan-started' }
  | { type: 'scan-results'; count: number }
  | { type: 'scan-failed'; error: string }
  | { type: 'network-not-found'; ssid: string }
  | { type: 'trying'; bssid: string; ssid: string; freq: number }
  | { type: 'auth-timeout'; bssid: string }
  | { type: 'auth-reject'; bssid: string; authType: number; transaction: number; status: number }
  | { type: 'assoc-timeout'; bssid: string }
  | { type: 'assoc-reject'; bssid: string; status: number }
  | { type: 'associated'; bssid: string; aid: number }
  | { type: 'key-negotiation-completed'; bssid: string; ptk: string; gtk: string }
  | { type: 'connected'; bssid: string; ssid: string; freq: number }
  | { type: 'group-rekey'; bssid: string; gtk: string; keyIdx: number }
  | { type: 'beacon-loss'; bssid: string }
  /** The 4-way handshake failed in a way that points at the PSK (wpa_supplicant's could_be_psk_mismatch). */
  | { type: 'psk-mismatch'; bssid: string }
  | { type: 'disconnected'; bssid: string; reason: number; locallyGenerated: boolean }
  | {
      type: 'ssid-temp-disabled';
      ssid: string;
      authFailures: number;
      durationS: number;
      reason: TempDisableReason;
    }
  | { type: 'ssid-reenabled'; ssid: string };

/** A network id in the lines: we have one configured network, as wpa_supplicant's id=0. */
const ID = 0;

/** The wpa_supplicant text line of an event (null for events it does not print, such as state changes). */
export function formatEvent(e: StaEvent): string | null {
  switch (e.type) {
    case 'state':
      return null;
    case 'scan-started':
      return 'CTRL-EVENT-SCAN-STARTED';
    case 'scan-results':
      return 'CTRL-EVENT-SCAN-RESULTS';
    case 'scan-failed':
      return `CTRL-EVENT-SCAN-FAILED ret=-1 (${e.error})`;
    case 'network-not-found':
      return 'CTRL-EVENT-NETWORK-NOT-FOUND';
    case 'trying':
      return `Trying to associate with ${e.bssid} (SSID='${e.ssid}' freq=${e.freq} MHz)`;
    case 'auth-timeout':
      return `SME: Authentication timed out with ${e.bssid}`;
    case 'auth-reject':
      return `CTRL-EVENT-AUTH-REJECT ${e.bssid} auth_type=${e.authType} auth_transaction=${e.transaction} status_code=${e.status}`;
    case 'assoc-timeout':
      return `CTRL-EVENT-ASSOC-REJECT bssid=${e.bssid} status_code=1 timeout=1`;
    case 'assoc-reject':
      return `CTRL-EVENT-ASSOC-REJECT bssid=${e.bssid} status_code=${e.status}`;
    case 'associated':
      return `Associated with ${e.bssid}`;
    case 'key-negotiation-completed':
      return `WPA: Key negotiation completed with ${e.bssid} [PTK=${e.ptk} GTK=${e.gtk}]`;
    case 'connected':
      return `CTRL-EVENT-CONNECTED - Connection to ${e.bssid} completed [id=${ID} id_str=]`;
    case 'group-rekey':
      return `WPA: Group rekeying completed with ${e.bssid} [GTK=${e.gtk}]`;
    case 'psk-mismatch':
      return 'WPA: 4-Way Handshake failed - pre-shared key may be incorrect';
    case 'beacon-loss':
      return `CTRL-EVENT-BEACON-LOSS bssid=${e.bssid}`;
    case 'disconnected':
      return `CTRL-EVENT-DISCONNECTED bssid=${e.bssid} reason=${e.reason}${e.locallyGenerated ? ' locally_generated=1' : ''}`;
    case 'ssid-temp-disabled':
      return `CTRL-EVENT-SSID-TEMP-DISABLED id=${ID} ssid="${e.ssid}" auth_failures=${e.authFailures} duration=${e.durationS} reason=${e.reason}`;
    case 'ssid-reenabled':
      return `CTRL-EVENT-SSID-REENABLED id=${ID} ssid="${e.ssid}"`;
  }
}

/** wpas_auth_failed's back-off: how long (s) a network stays disabled after its n-th consecutive failure. */
export function tempDisableSeconds(failures: number): number {
  if (failures > 50) return 300;
  if (failures > 10) return 120;
  if (failures > 5) return 90;
  if (failures > 3) return 60;
  if (failures === 3) return 30;
  if (failures === 2) return 20;
  return 10;
}
