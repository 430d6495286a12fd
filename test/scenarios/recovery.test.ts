/**
 * Losing the AP and getting it back: the AP restarts (beacons stop, the station notices and reconnects), and the
 * AP deauthenticates the station (which reconnects at once).
 */
import { describe, expect } from 'vitest';
import { ReasonCode } from '../../mac80211/mlme/codes.ts';
import { story } from './story.ts';

const SSID = 'airstack';
const PASS = 'correct horse battery';

describe('scenario: recovery', () => {
  story('the AP restarts: beacon loss, disconnection, reconnection', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6 });
    const sta = await w.addStation();
    await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    expect((await w.settle(sta.stack.ping(ap.ip, { count: 2, interval: 100 }))).received).toBe(2);
    const connectedBefore = sta.mlme.counters.connected;

    await w.settle(ap.restart({ downMs: 3_000 }));
    expect(sta.mlme.lines).toContain('CTRL-EVENT-BEACON-LOSS bssid=02:00:00:00:01:00');
    expect(sta.mlme.lines).toContain('CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=4 locally_generated=1');
    expect(sta.mlme.monitor.counters.probes).toBeGreaterThanOrEqual(2);

    const back = await w.runUntil(() => sta.mlme.counters.connected > connectedBefore, 30_000);
    expect(back).toBe(true);
    expect(sta.mlme.wpaState).toBe('COMPLETED');
    expect((await w.settle(sta.stack.ping(ap.ip, { count: 3, interval: 100 }))).received).toBe(3);
    expect(ap.ap.lines.filter((l) => l === 'AP-STA-CONNECTED 02:00:00:00:02:00')).toHaveLength(2);
  });

  story('the AP restarts faster than beacon loss shows: data to it is answered with reason 7', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6 });
    const sta = await w.addStation();
    await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    await w.sleep(50);
    await w.settle(ap.restart({ downMs: 200 }));
    // The station has not noticed: beacons came back before 7 were missed. Its next frame reveals it.
    expect(sta.mlme.counters.beaconLosses).toBe(0);
    const r = await w.settle(sta.stack.ping(ap.ip, { count: 10, interval: 200 }));
    expect(r.received).toBeGreaterThanOrEqual(5);
    expect(ap.ap.counters.class3Deauths).toBeGreaterThanOrEqual(1);
    expect(sta.mlme.lines).toContain('CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=7');
    expect(sta.mlme.counters.connected).toBe(2);
  });

  story('the AP deauthenticates the station, which reconnects', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6 });
    const sta = await w.addStation();
    await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    const t0 = w.clock.now();
    ap.ap.deauthenticate(sta.sdata.addr, ReasonCode.PREV_AUTH_NOT_VALID);
    const back = await w.runUntil(() => sta.mlme.counters.connected === 2, 10_000);
    expect(back).toBe(true);
    // Results younger than 5 s are joined without scanning again: back well within a second.
    expect(w.clock.now() - t0).toBeLessThan(1_000);
    expect(sta.mlme.lines).toContain('CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=2');
    expect(sta.mlme.counters.deauthFromAp).toBe(1);
    expect(ap.ap.lines).toContain('AP-STA-DISCONNECTED 02:00:00:00:02:00');
    expect((await w.settle(sta.stack.ping(ap.ip, { count: 3, interval: 100 }))).received).toBe(3);
  });

  story('the station leaves with reason 3 and the AP forgets it', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6 });
    const sta = await w.addStation();
    await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    await w.settle(sta.mlme.disconnect());
    await w.sleep(50);
    expect(sta.mlme.lines.at(-1)).toBe('CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=3 locally_generated=1');
    expect(ap.ap.stations()).toHaveLength(0);
    expect(ap.ap.counters.deauthRx).toBe(1);
    expect(sta.sdata.stas.size).toBe(0);
    expect(sta.sdata.keys.every((k) => k === null)).toBe(true);
    // No reconnection after a disconnection we asked for.
    await w.sleep(5_000);
    expect(sta.mlme.counters.connected).toBe(1);
  });
});

describe('scenario: inactivity', () => {
  story('the AP polls a silent station, keeps the one that answers and drops the one that vanished', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6, maxInactivityMs: 3_000 });
    const quiet = await w.addStation({ name: 'quiet' });
    const gone = await w.addStation({ name: 'gone' });
    await w.settle(quiet.connect({ ssid: SSID, passphrase: PASS, scanFreqs: [2437] }));
    await w.settle(gone.connect({ ssid: SSID, passphrase: PASS, scanFreqs: [2437] }));
    await w.sleep(100);
    gone.mlme.autoReconnect = false;
    await gone.local.stop(); // powered off without a word
    await w.sleep(10_000);
    expect(ap.ap.counters.inactivityPolls).toBeGreaterThanOrEqual(2);
    expect(ap.ap.counters.inactivityDrops).toBe(1);
    expect(ap.ap.stations().map((s) => s.addrStr)).toEqual(['02:00:00:00:02:00']);
    expect(ap.ap.lines).toContain('AP-STA-DISCONNECTED 02:00:00:00:02:01');
    expect(quiet.mlme.wpaState).toBe('COMPLETED');
  });
});
