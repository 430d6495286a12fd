import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_PASSPHRASE, runWifiDemo } from '../../../mac80211/world/demo.ts';
import { repoRoot } from '../../../test/support/shared.ts';
import { haveTshark, tshark, tsharkCheck } from '../../../test/support/tshark.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-demo-hwsim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = { seed: 1, loss: 0, ssid: 'airstack', passphrase: DEMO_PASSPHRASE, count: 3, fileBytes: 64 * 1024 };

describe('airstack demo --device hwsim', () => {
  it('scans, connects, leases, resolves, pings and downloads; the report has the shape of issue 4', async () => {
    const r = await runWifiDemo(base);
    expect(r.failure).toBeNull();
    const rep = r.report;
    expect(Object.keys(rep)).toEqual(['device', 'scan', 'link', 'dhcp', 'dns', 'ping', 'http', 'counters']);
    expect(rep.device).toBe('hwsim');
    expect(rep.scan).toContainEqual({
      bssid: '02:00:00:00:01:00',
      ssid: 'airstack',
      channel: 6,
      freq: 2437,
      signal: -55,
      akm: 'PSK',
      ciphers: ['CCMP'],
    });
    expect(rep.scan.find((b) => b.ssid === 'airstack-guest')).toMatchObject({ freq: 5180, akm: 'NONE', ciphers: [] });
    expect(rep.link).toEqual({
      bssid: '02:00:00:00:01:00',
      ssid: 'airstack',
      freq: 2437,
      signal: -55,
      akm: 'PSK',
      pairwiseCipher: 'CCMP',
      groupCipher: 'CCMP',
    });
    expect(rep.dhcp).toEqual({ address: '10.42.0.100', gateway: '10.42.0.1', dns: ['10.42.0.1'], leaseSeconds: 3600 });
    expect(rep.dns).toEqual({ name: 'files.airstack.test', addresses: ['10.42.0.1'] });
    expect(rep.ping).toMatchObject({ transmitted: 3, received: 3 });
    expect(rep.ping!.rttMs.min).toBeGreaterThan(0);
    expect(rep.http).toMatchObject({ url: 'http://files.airstack.test/airstack.bin', status: 200, bytes: 64 * 1024 });
    expect(rep.http!.sha256).toBe(rep.http!.expectedSha256);
    expect(rep.counters).toHaveProperty('medium');
    expect(rep.counters).toHaveProperty('station.mac80211.dot11');
  });

  it('is deterministic for a seed, loss included', async () => {
    const a = await runWifiDemo({ ...base, seed: 7, loss: 0.1 });
    const b = await runWifiDemo({ ...base, seed: 7, loss: 0.1 });
    expect(a.failure).toBeNull();
    expect(a.report).toEqual(b.report);
    expect((a.report.counters.medium as { losses: number }).losses).toBeGreaterThan(0);
  });

  it('writes the air (radiotap) and the station’s Ethernet view into one pcapng that tshark reads cleanly', async (ctx) => {
    if (!haveTshark()) return ctx.skip('tshark is not installed');
    const file = join(dir, 'demo.pcapng');
    const r = await runWifiDemo({ ...base, pcap: file });
    expect(r.failure).toBeNull();
    const check = tsharkCheck(file);
    expect(check.malformed).toEqual([]);
    expect(check.ok).toBe(true);
    const links = tshark(['-n', '-r', file, '-T', 'fields', '-e', 'frame.interface_id', '-e', 'frame.protocols']);
    const ifaces = new Set(
      links
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
    );
    expect([...ifaces].sort()).toEqual(['0', '1']);
    expect(links).toMatch(/\tradiotap:wlan_radio:wlan:.*eapol/);
    expect(links).toMatch(/\teth:ethertype:ip:tcp:http/);
  });

  it('from the command line: a wrong passphrase exits 2 and says so; --json stays one object', () => {
    const cli = join(repoRoot, 'bin/airstack.js');
    const bad = spawnSync(process.execPath, [cli, 'demo', '--passphrase', 'not the passphrase', '--json'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/the passphrase for "airstack" is probably wrong/);
    const rep = JSON.parse(bad.stdout);
    expect(rep.link).toBeNull();
    expect(rep.scan.length).toBeGreaterThan(0);
    const usage = spawnSync(process.execPath, [cli, 'demo', '--passphrase', 'short'], { encoding: 'utf8' });
    expect(usage.status).toBe(1);
    expect(usage.stderr.trim()).toMatch(/^airstack: --passphrase: a WPA passphrase has 8 to 63 characters/);
  });
});
