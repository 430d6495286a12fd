import { describe, expect, it } from 'vitest';
import { formatEvent, tempDisableSeconds } from './events.ts';

const B = '02:00:00:00:01:00';

describe('wpa_supplicant lines', () => {
  it('print as wpa_supplicant prints them', () => {
    expect(formatEvent({ type: 'connected', bssid: B, ssid: 'x', freq: 2412 })).toBe(
      `CTRL-EVENT-CONNECTED - Connection to ${B} completed [id=0 id_str=]`,
    );
    expect(formatEvent({ type: 'disconnected', bssid: B, reason: 3, locallyGenerated: true })).toBe(
      `CTRL-EVENT-DISCONNECTED bssid=${B} reason=3 locally_generated=1`,
    );
    expect(formatEvent({ type: 'disconnected', bssid: B, reason: 15, locallyGenerated: false })).toBe(
      `CTRL-EVENT-DISCONNECTED bssid=${B} reason=15`,
    );
    expect(
      formatEvent({ type: 'ssid-temp-disabled', ssid: 'home', authFailures: 2, durationS: 20, reason: 'WRONG_KEY' }),
    ).toBe('CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="home" auth_failures=2 duration=20 reason=WRONG_KEY');
    expect(formatEvent({ type: 'auth-reject', bssid: B, authType: 0, transaction: 2, status: 13 })).toBe(
      `CTRL-EVENT-AUTH-REJECT ${B} auth_type=0 auth_transaction=2 status_code=13`,
    );
    expect(formatEvent({ type: 'assoc-reject', bssid: B, status: 17 })).toBe(
      `CTRL-EVENT-ASSOC-REJECT bssid=${B} status_code=17`,
    );
    expect(formatEvent({ type: 'state', from: 'SCANNING', to: 'AUTHENTICATING' })).toBeNull();
  });

  it('disable a failing network for wpa_supplicant’s durations', () => {
    expect([1, 2, 3, 4, 6, 11, 51].map(tempDisableSeconds)).toEqual([10, 20, 30, 60, 90, 120, 300]);
  });
});
