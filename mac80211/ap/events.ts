/**
 * What the access point reports, as typed events and as hostapd's control-interface lines (wpa_ctrl.h):
 *
 *   AP-ENABLED / AP-DISABLED
 *   AP-STA-CONNECTED 02:00:00:00:02:00
 *   EAPOL-4WAY-HS-COMPLETED 02:00:00:00:02:00
 *   AP-STA-POSSIBLE-PSK-MISMATCH 02:00:00:00:02:00
 *   AP-STA-DISCONNECTED 02:00:00:00:02:00
 *   WPA: group rekeying completed (GTK keyidx 2)
 */

export type ApEvent =
  | { type: 'enabled'; ssid: string; freq: number }
  | { type: 'disabled' }
  | { type: 'authenticated'; addr: string }
  | { type: 'associated'; addr: string; aid: number }
  | { type: 'assoc-refused'; addr: string; status: number; why: string }
  | { type: 'sta-connected'; addr: string; aid: number }
  | { type: 'handshake-completed'; addr: string; rekey: boolean }
  | { type: 'psk-mismatch'; addr: string }
  | { type: 'sta-disconnected'; addr: string; reason: number; byAp: boolean }
  | { type: 'group-rekeyed'; keyIdx: number };

export function formatApEvent(e: ApEvent): string | null {
  switch (e.type) {
    case 'enabled':
      return 'AP-ENABLED';
    case 'disabled':
      return 'AP-DISABLED';
    case 'sta-connected':
      return `AP-STA-CONNECTED ${e.addr}`;
    case 'handshake-completed':
      return `EAPOL-4WAY-HS-COMPLETED ${e.addr}`;
    case 'psk-mismatch':
      return `AP-STA-POSSIBLE-PSK-MISMATCH ${e.addr}`;
    case 'sta-disconnected':
      return `AP-STA-DISCONNECTED ${e.addr}`;
    case 'group-rekeyed':
      return `WPA: group rekeying completed (GTK keyidx ${e.keyIdx})`;
    default:
      return null;
  }
}
