/**
 * The hardware-in-the-loop story (hil.test.ts: `airstack demo --device usb` against a real AP, runDongleDemo) run
 * everywhere on the emulated MT7921U, so that its code cannot rot: the same function with the same options from
 * the same HIL settings — only the device and the world are handed in (the emulated chip on the mock PHY, next to a
 * simulated AP that plays the lab's network) instead of the dongle and the real clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmulatorRadioAdapter } from '../../drivers/hwsim/emulator-radio.ts';
import { World } from '../../mac80211/world/world.ts';
import { loadDriverFirmware, openDongleForCli } from '../../tools/cli/dongle.ts';
import { EMULATED_MAC, runDongleDemo } from '../../tools/cli/dongle-demo.ts';
import { haveTshark, tshark, tsharkCheck } from '../support/tshark.ts';
import { hilConfig, hilDemoOptions } from './env.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-hil-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LAB = { ssid: 'lab', passphrase: 'lab passphrase 1' };

/** The lab: an AP with DHCP, DNS and a file over HTTP; the emulated dongle's antenna on the same medium. */
async function lab(o: { open?: boolean } = {}) {
  const w = new World({ seed: 5 });
  const ap = await w.addAp({
    ssid: LAB.ssid,
    ...(o.open ? {} : { passphrase: LAB.passphrase }),
    channel: 11,
    cidr: '192.168.7.1/24',
    services: { fileBytes: 48 * 1024 },
  });
  const fw = loadDriverFirmware({ allowSynthetic: true, dirs: [] });
  const open = async () => {
    const dongle = await openDongleForCli({
      device: 'emulated',
      firmware: fw,
      emulator: async () => ({
        clock: w.virtual!,
        radio: new EmulatorRadioAdapter(w.medium.attach(EMULATED_MAC, { name: 'dongle' })),
        macAddress: EMULATED_MAC,
      }),
    });
    return { dongle, world: w };
  };
  return { w, ap, fw, open };
}

/** runDongleDemo as the HIL test calls it (device usb, the settings from the environment), on the lab. */
function hilRun(
  l: Awaited<ReturnType<typeof lab>>,
  settings: Record<string, string>,
  extra: Partial<Parameters<typeof runDongleDemo>[0]> = {},
) {
  const fromEnv = hilDemoOptions(hilConfig({ AIRSTACK_HIL: '1', ...settings }));
  return runDongleDemo({ device: 'usb', seed: 1, loss: 0, firmware: l.fw, open: l.open, ...fromEnv, ...extra });
}

describe('the HIL story on the emulated MT7921U (the code of airstack demo --device usb)', () => {
  it('WPA2: bring-up, scan, connect, DHCP, ping the gateway, GET the URL with its size and sha256', async () => {
    const l = await lab();
    const lines: string[] = [];
    const pcap = join(dir, 'station.pcapng');
    const r = await hilRun(
      l,
      {
        AIRSTACK_HIL_SSID: LAB.ssid,
        AIRSTACK_HIL_PASSPHRASE: LAB.passphrase,
        AIRSTACK_HIL_URL: 'http://192.168.7.1/airstack.bin',
      },
      { json: true, pcap, out: (x) => lines.push(x) },
    );
    expect(r.failure).toBeNull();
    expect(r.report.scan).toContainEqual(expect.objectContaining({ ssid: 'lab', channel: 11, akm: 'PSK' }));
    expect(r.report.link).toMatchObject({ ssid: 'lab', akm: 'PSK', pairwiseCipher: 'CCMP' });
    expect(r.report.dhcp).toMatchObject({ address: '192.168.7.100', gateway: '192.168.7.1' });
    expect(r.report.dns).toBeNull(); // the URL names an address
    expect(r.report.ping).toMatchObject({ transmitted: 3, received: 3 });
    expect(r.report.http).toEqual({
      url: 'http://192.168.7.1/airstack.bin',
      status: 200,
      bytes: 48 * 1024,
      sha256: l.ap.services!.fileSha256,
      expectedSha256: null, // a real server's file is not known in advance
    });
    expect(lines).toContain('4. DNS: nothing to resolve (the URL names an address)');
    expect(r.report.driver.chip).toBe('7961');
    // --pcap on a dongle: the station's Ethernet view only (the air is not ours to see)
    if (haveTshark()) {
      expect(tsharkCheck(pcap).malformed).toEqual([]);
      const protos = tshark(['-n', '-r', pcap, '-T', 'fields', '-e', 'frame.protocols']).trim().split('\n');
      expect(protos.every((p) => p.startsWith('eth:'))).toBe(true);
      expect(protos.some((p) => p.includes(':http'))).toBe(true);
    }
  });

  it('an open network and a URL with a name: DNS through the lease’s server', async () => {
    const l = await lab({ open: true });
    const r = await hilRun(l, {
      AIRSTACK_HIL_SSID: LAB.ssid,
      AIRSTACK_HIL_URL: 'http://files.airstack.test/airstack.bin',
    });
    expect(r.failure).toBeNull();
    expect(r.report.link).toMatchObject({ akm: 'NONE', pairwiseCipher: 'NONE' });
    expect(r.report.dns).toEqual({ name: 'files.airstack.test', addresses: ['192.168.7.1'] });
    expect(r.report.http!.sha256).toBe(l.ap.services!.fileSha256);
  });

  it('no SSID: bring-up and scan, then what to give to go further; the default URL is the gateway’s page', async () => {
    const lines: string[] = [];
    const r = await hilRun(await lab(), {}, { out: (x) => lines.push(x) });
    expect(r.failure).toBeNull();
    expect(r.report.scan.map((b) => b.ssid)).toEqual(['lab']);
    expect(r.report.link).toBeNull();
    expect(lines.some((l) => l.startsWith('to join a network: --ssid NAME'))).toBe(true);
    const gw = await hilRun(await lab(), { AIRSTACK_HIL_SSID: LAB.ssid, AIRSTACK_HIL_PASSPHRASE: LAB.passphrase });
    const nopass = await hilRun(await lab(), { AIRSTACK_HIL_SSID: LAB.ssid });
    expect(nopass.failure).toEqual({ step: 'connect', message: '"lab" is secured (PSK): give its passphrase' });
    // The simulated AP serves only its file: its page answers 404, which the story reports as a failed step.
    expect(gw.report.http).toMatchObject({ url: 'http://192.168.7.1/', status: 404 });
    expect(gw.failure).toEqual({ step: 'http', message: 'http://192.168.7.1/ answered 404' });
  });
});
