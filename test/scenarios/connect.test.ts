/**
 * Joining: the happy path, a wrong passphrase, a hidden SSID, an AP on another channel, and a software scan.
 */
import { describe, expect } from 'vitest';
import { HwsimRadio } from '../../drivers/hwsim/radio.ts';
import type { Ieee80211Ops } from '../../mac80211/driver-ops.ts';
import { Akm } from '../../mac80211/rsn/suites.ts';
import { WrongPassphraseError } from '../../mac80211/sta/mlme.ts';
import { story } from './story.ts';

const SSID = 'airstack';
const PASS = 'correct horse battery';

describe('scenario: connect', () => {
  story('a station joins a WPA2 AP and pings its host', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6 });
    const sta = await w.addStation();
    const link = await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    expect(link).toMatchObject({ bssid: '02:00:00:00:01:00', ssid: SSID, freq: 2437, keyMgmt: 'WPA2-PSK' });
    expect(link).toMatchObject({ pairwiseCipher: 'CCMP', groupCipher: 'CCMP', aid: 1, wmm: true, ht: true });
    const r = await w.settle(sta.stack.ping(ap.ip, { count: 3, interval: 100 }));
    expect(r.received).toBe(3);
    expect(sta.mlme.lines).toEqual([
      'CTRL-EVENT-SCAN-STARTED',
      'CTRL-EVENT-SCAN-RESULTS',
      "Trying to associate with 02:00:00:00:01:00 (SSID='airstack' freq=2437 MHz)",
      'Associated with 02:00:00:00:01:00',
      'WPA: Key negotiation completed with 02:00:00:00:01:00 [PTK=CCMP GTK=CCMP]',
      'CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:01:00 completed [id=0 id_str=]',
    ]);
    expect(ap.ap.lines).toEqual([
      'AP-ENABLED',
      'EAPOL-4WAY-HS-COMPLETED 02:00:00:00:02:00',
      'AP-STA-CONNECTED 02:00:00:00:02:00',
    ]);
    expect(sta.mlme.status()).toMatchObject({ wpa_state: 'COMPLETED', key_mgmt: 'WPA2-PSK', ssid: SSID });
    // Everything after the handshake went encrypted, in software (the virtual radio has no hardware crypto).
    expect(sta.radio!.keyRequests.filter((k) => k.cmd === 'set').length).toBeGreaterThanOrEqual(2);
    expect(sta.local.txStats.swEncrypted).toBeGreaterThanOrEqual(3);
    expect(ap.local.txStats.swEncrypted).toBeGreaterThanOrEqual(3);
  });

  story('a wrong passphrase is reported as such and the AP saw a PSK mismatch', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 1 });
    const sta = await w.addStation();
    const err = await w.settle(sta.connect({ ssid: SSID, passphrase: 'not the passphrase' })).catch((e) => e);
    expect(err).toBeInstanceOf(WrongPassphraseError);
    expect((err as Error).message).toMatch(/passphrase .* is probably wrong/);
    expect(sta.mlme.lines).toContain(
      'CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="airstack" auth_failures=1 duration=10 reason=WRONG_KEY',
    );
    expect(sta.mlme.lines.some((l) => /^CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=15/.test(l))).toBe(true);
    expect(ap.ap.lines).toContain('AP-STA-POSSIBLE-PSK-MISMATCH 02:00:00:00:02:00');
    expect(ap.ap.authenticator!.counters.m2MicFailures).toBeGreaterThanOrEqual(1);
    // wpa_supplicant keeps trying after the network's 10 s of disabling: the same failure, now 20 s.
    await w.runUntil(() => sta.mlme.counters.wrongKey === 2, 30_000);
    expect(sta.mlme.lines).toContain('CTRL-EVENT-SSID-REENABLED id=0 ssid="airstack"');
    expect(sta.mlme.lines).toContain(
      'CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="airstack" auth_failures=2 duration=20 reason=WRONG_KEY',
    );
    await w.settle(sta.mlme.disconnect());
    expect(sta.mlme.wpaState).toBe('DISCONNECTED');
    expect(sta.local.interfaces[0]!.stas.size).toBe(0);
  });

  story('a hidden SSID is joined through a directed probe', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 11, hidden: 'empty' });
    const listener = await w.addStation({ name: 'listener' });
    const passive = await w.settle(listener.mlme.scan({ passive: true }));
    const seen = passive.find((b) => b.bssidStr === '02:00:00:00:01:00');
    expect(seen).toMatchObject({ hidden: true, ssidDisplay: '' });
    const sta = await w.addStation();
    const link = await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    expect(link.ssid).toBe(SSID);
    await w.sleep(300); // a few beacons: the table learns that this BSS hides its SSID
    expect(sta.mlme.bss.get(ap.sdata.addr)).toMatchObject({ hidden: true, ssidDisplay: SSID });
    expect(ap.ap.counters.probesIgnored).toBeGreaterThan(0);
    const r = await w.settle(sta.stack.ping(ap.ip, { count: 2, interval: 100 }));
    expect(r.received).toBe(2);
  });

  story('the AP on a 5 GHz channel is found and joined from 2.4 GHz', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 44 });
    const sta = await w.addStation();
    expect(sta.radio!.operating.chan.freq).toBe(2412);
    const link = await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    expect(link).toMatchObject({ freq: 5220, channel: 44, vht: true });
    expect(sta.radio!.operating.chan.freq).toBe(5220);
    const r = await w.settle(sta.stack.ping(ap.ip, { count: 2, interval: 100 }));
    expect(r.received).toBe(2);
  });

  story('an AP offering PSK and PSK-SHA256 serves a station of each', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 1, pskSha256: true });
    const modern = await w.addStation({ name: 'modern' });
    const legacy = await w.addStation({ name: 'legacy' });
    const a = await w.settle(modern.connect({ ssid: SSID, passphrase: PASS, scanFreqs: [2412] }));
    const b = await w.settle(legacy.connect({ ssid: SSID, passphrase: PASS, scanFreqs: [2412], akms: [Akm.PSK] }));
    expect([a.keyMgmt, b.keyMgmt]).toEqual(['WPA2-PSK-SHA256', 'WPA2-PSK']);
    // AKM 6 derives its PTK with KDF-SHA256 and signs EAPOL-Key frames with AES-CMAC (descriptor version 3).
    expect(modern.mlme.supplicant!.params).toMatchObject({ kdf: 'kdf-sha256', descriptorVersion: 3 });
    expect(legacy.mlme.supplicant!.params).toMatchObject({ kdf: 'prf-sha1', descriptorVersion: 2 });
    for (const s of [modern, legacy])
      expect((await w.settle(s.stack.ping(ap.ip, { count: 2, interval: 50 }))).received).toBe(2);
  });

  story('a radio without hardware scan is scanned in software', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6 });
    const sta = await w.addStation({ hwScan: false });
    const link = await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    expect(link.freq).toBe(2437);
    expect(sta.mlme.scanner.counters.swScans).toBe(1);
    expect(sta.mlme.scanner.counters.probesSent).toBeGreaterThan(0);
    expect(sta.radio!.counters.scans).toBe(0);
    const r = await w.settle(sta.stack.ping(ap.ip, { count: 2, interval: 100 }));
    expect(r.received).toBe(2);
  });
});

describe('scenario: drivers that need more', () => {
  story('a driver that needs mgd_prepare_tx is asked for the channel before authentication', async (w) => {
    await w.addAp({ ssid: SSID, passphrase: PASS, channel: 1 });
    const calls: string[] = [];
    const sta = await w.addStation({
      driver: async (ctx) => {
        const r = new HwsimRadio({ medium: ctx.medium, addr: ctx.addr, core: ctx.core, name: ctx.name });
        r.caps.needsPrepareTx = true;
        const ops = r as HwsimRadio & Pick<Ieee80211Ops, 'mgdPrepareTx' | 'mgdCompleteTx'>;
        ops.mgdPrepareTx = async (_vif, cd, ms) => {
          calls.push(`prepare ${cd.chan.freq} ${ms} ms`);
        };
        const tx = r.tx.bind(r);
        r.tx = (skb, info) => {
          if (skb.buf[skb.data] === 0xb0) calls.push('auth');
          tx(skb, info);
        };
        ops.mgdCompleteTx = async () => {
          calls.push('complete');
        };
        return r;
      },
    });
    expect(sta.radio).toBeNull();
    await w.settle(sta.connect({ ssid: SSID, passphrase: PASS, scanFreqs: [2412] }));
    expect(calls).toEqual(['prepare 2412 1000 ms', 'auth', 'complete']);
  });
});
