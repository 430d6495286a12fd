/**
 * The whole MT7921U path as the station: mac80211 → the mt7921u driver → USB → the emulated chip, whose radio is
 * on the same medium as the hwsim AP. Its firmware scans, joins (ROC), and does CCMP in hardware.
 */
import { describe, expect } from 'vitest';
import { emulatedMt7921u } from '../../mac80211/world/emulated.ts';
import { story } from './story.ts';

const SSID = 'airstack';
const PASS = 'correct horse battery';

describe('scenario: the emulated MT7921U', () => {
  story('joins the WPA2 AP with hardware CCMP, gets a lease and downloads a file byte-exact', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6, services: { fileBytes: 128 * 1024 } });
    const sta = await w.addStation({ driver: emulatedMt7921u() });
    expect(sta.local.caps.needsPrepareTx).toBe(true);
    expect(sta.local.caps.hwCiphers).toContain('CCMP');
    const link = await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }, { address: 'none', timeoutMs: 30_000 }));
    expect(link).toMatchObject({ bssid: '02:00:00:00:01:00', freq: 2437, keyMgmt: 'WPA2-PSK', pairwiseCipher: 'CCMP' });
    await w.settle(sta.dhcp());
    const r = await w.settle(sta.get(ap.services!.url));
    expect(r).toMatchObject({ status: 200, bytes: 128 * 1024, sha256: ap.services!.fileSha256 });
    // The chip encrypted and decrypted; mac80211 did no CCMP in software for data.
    expect(sta.local.txStats.hwEncrypted).toBeGreaterThan(20);
    expect(sta.local.rxStats.hwDecrypted).toBeGreaterThan(20);
    expect(sta.local.txStats.swEncrypted).toBe(0);
  });
});
