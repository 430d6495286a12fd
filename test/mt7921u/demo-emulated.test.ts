/**
 * End to end on the emulated MT7921U: the station's whole story (scan, WPA2, DHCP, DNS, ping, a byte-exact HTTP
 * download) through mac80211 → the mt7921u driver → USB → the emulated chip → the mock PHY → the simulated AP, in
 * virtual time — with the real MT7961 firmware images (../shared/firmware) and with synthetic ones; then
 * `airstack demo --device emulated` from the command line: the report, determinism by seed, the USB trace (replayed
 * into a fresh driver), the pcapng (tshark), and the injected faults (a lost MCU reply, an unplug).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EmulatedMt7921u } from '../../drivers/mt7921u/emulator/index.ts';
import { ReplayTransport } from '../../drivers/mt7921u/usb/replayer.ts';
import { parseTrace } from '../../drivers/mt7921u/usb/trace.ts';
import { createMt7921uDevice } from '../../drivers/mt7921u/usb-bus.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { type DriverFirmware, loadDriverFirmware } from '../../tools/cli/dongle.ts';
import { runDongleDemo } from '../../tools/cli/dongle-demo.ts';
import { missingShared, repoRoot, sharedPath } from '../support/shared.ts';
import { haveTshark, tshark, tsharkCheck } from '../support/tshark.ts';
import { settle } from './world.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-demo-emulated-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const realPatch = sharedPath('firmware', 'WIFI_MT7961_patch_mcu_1_2_hdr.bin');
const realDir = realPatch === null ? null : dirname(realPatch);
/** No firmware anywhere: the CLI falls back to synthetic images. */
const NO_FIRMWARE = { AIRSTACK_FIRMWARE_DIR: join(dir, 'no-firmware') };

const synthetic = (): DriverFirmware => loadDriverFirmware({ allowSynthetic: true, dirs: [] });

/** The demo on the emulated dongle with synthetic images, one ping, the default 1 MiB file unless told. */
const emulated = (o: Partial<Parameters<typeof runDongleDemo>[0]>) =>
  runDongleDemo({ device: 'emulated', firmware: synthetic(), seed: 1, loss: 0, count: 1, ...o });

async function story(firmware: DriverFirmware) {
  let emu: EmulatedMt7921u | null = null;
  const lines: string[] = [];
  const r = await runDongleDemo({
    device: 'emulated',
    firmware,
    seed: 1,
    loss: 0,
    count: 3,
    fileBytes: 256 * 1024,
    out: (l) => lines.push(l),
    onReady: (x) => (emu = x.emulator),
  });
  return { r, emu: emu as EmulatedMt7921u | null, lines };
}

function expectWholeStory(r: Awaited<ReturnType<typeof story>>['r']) {
  expect(r.failure).toBeNull();
  const rep = r.report;
  expect(rep.device).toBe('emulated');
  expect(rep.driver).toEqual({ chip: '7961', rev: '0x10', usb: { vid: '0e8d', pid: '7961' } });
  expect(rep.scan.map((b) => b.ssid).sort()).toEqual(['airstack', 'airstack-guest']);
  expect(rep.link).toMatchObject({ ssid: 'airstack', freq: 2437, akm: 'PSK', pairwiseCipher: 'CCMP' });
  expect(rep.dhcp).toEqual({ address: '10.42.0.100', gateway: '10.42.0.1', dns: ['10.42.0.1'], leaseSeconds: 3600 });
  expect(rep.dns).toEqual({ name: 'files.airstack.test', addresses: ['10.42.0.1'] });
  expect(rep.ping).toMatchObject({ transmitted: 3, received: 3 });
  expect(rep.http).toMatchObject({ status: 200, bytes: 256 * 1024 });
  expect(rep.http!.sha256).toBe(rep.http!.expectedSha256);
  // The chip did the CCMP both ways; mac80211 none for data.
  const mac = (rep.counters.station as { mac80211: { tx: Record<string, number>; rx: Record<string, number> } })
    .mac80211;
  expect(mac.tx.hwEncrypted).toBeGreaterThan(20);
  expect(mac.rx.hwDecrypted).toBeGreaterThan(20);
  expect(mac.tx.swEncrypted).toBe(0);
  expect(mac.rx.swDecrypted).toBe(0);
  expect(rep.counters.driver).toMatchObject({ resets: 0, initAttempts: 1, mcu: { timeouts: 0 } });
}

describe('the demo scenario on the emulated MT7921U, in virtual time', () => {
  it.skipIf(realDir === null)(
    realDir === null
      ? missingShared('firmware/WIFI_MT7961_patch_mcu_1_2_hdr.bin')
      : 'with the real MT7961 images: downloaded byte for byte, then WPA2, DHCP, DNS, ping and a byte-exact download',
    async () => {
      const fw = loadDriverFirmware({ allowSynthetic: false, dirs: [realDir!] });
      const { r, emu, lines } = await story(fw);
      expectWholeStory(r);
      expect(r.report.firmware).toEqual({
        source: 'real',
        patch: { build: '20231109190918a', bytes: 92_192 },
        ram: { version: '____010000', build: '20231109190959', bytes: 797_300, regions: 5 },
        downloadMs: r.report.firmware.downloadMs,
      });
      expect(r.report.firmware.downloadMs).toBeGreaterThan(0);
      // The emulated chip checked every downloaded region against the files.
      const regions = emu!.download.regions;
      expect(regions.length).toBeGreaterThan(0);
      expect(regions.every((x) => x.matchesFile === true && x.received === x.len)).toBe(true);
      expect(lines.find((l) => l.startsWith('0. Bring-up:'))).toContain(realPatch!);
    },
  );

  it('with synthetic images: the same story, the report says so', async () => {
    const { r, emu } = await story(synthetic());
    expectWholeStory(r);
    expect(r.report.firmware).toMatchObject({ source: 'synthetic', patch: { bytes: 9160 }, ram: { regions: 5 } });
    expect(emu!.download.regions.every((x) => x.matchesFile === true)).toBe(true);
  });

  it('a lost MCU reply while connecting: MCU timeout → chip reset → the station connects on its next try', async () => {
    const lines: string[] = [];
    let connects = 0;
    const r = await emulated({
      fileBytes: 32 * 1024,
      fault: 'mcu-reply',
      out: (l) => lines.push(l),
      onStep: (s) => s === 'connect' && connects++,
    });
    expect(r.failure).toBeNull();
    expect(connects).toBe(1);
    expect(r.report.counters.driver).toMatchObject({ resets: 1, state: 'ready', mcu: { timeouts: 1 } });
    expect((r.report.counters.emulator as { wfsysResets: number }).wfsysResets).toBeGreaterThanOrEqual(1);
    expect(r.report.http!.sha256).toBe(r.report.http!.expectedSha256);
    const reset = lines.findIndex((l) => /mt7921u: chip reset #1 done/.test(l));
    const connected = lines.findIndex((l) => /CTRL-EVENT-CONNECTED/.test(l));
    expect(reset).toBeGreaterThan(0);
    expect(connected).toBeGreaterThan(reset);
  });

  it('an unplug during the download ends the step at once with a clear error', async () => {
    let emu: EmulatedMt7921u | null = null;
    let at = 0;
    const r = await emulated({
      fault: 'unplug',
      onReady: (x) => (emu = x.emulator),
      onStep: (s) => {
        if (s === 'http') at = emu!.counters.bulkIn;
      },
    });
    expect(r.failure).toEqual({
      step: 'http',
      message: 'http://files.airstack.test/airstack.bin: the MT7921U went away (device disconnected)',
    });
    expect(r.report.http).toBeNull();
    expect(r.report.ping).toMatchObject({ received: 1 });
    expect(emu!.counters.bulkIn).toBeGreaterThan(at); // part of the download arrived before the plug was pulled
    expect(r.report.counters.driver).toMatchObject({ state: 'removed' });
  });
});

function airstack(args: string[], env: NodeJS.ProcessEnv = NO_FIRMWARE) {
  const r = spawnSync(process.execPath, ['bin/airstack.js', 'demo', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('airstack demo --device emulated (command line)', () => {
  const traceA = join(dir, 'a.jsonl');
  const pcapA = join(dir, 'a.pcapng');
  let reportA: Record<string, unknown> | null = null;

  it('--json: one object with the report of issue 4 and issue 5’s driver and firmware fields', () => {
    const r = airstack(['--device', 'emulated', '--json', '--seed', '3', '--usb-trace', traceA, '--pcap', pcapA]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    reportA = j;
    expect(Object.keys(j)).toEqual([
      'device',
      'driver',
      'firmware',
      'scan',
      'link',
      'dhcp',
      'dns',
      'ping',
      'http',
      'counters',
    ]);
    expect(j.device).toBe('emulated');
    expect(j.driver).toEqual({ chip: '7961', rev: '0x10', usb: { vid: '0e8d', pid: '7961' } });
    expect(j.firmware).toMatchObject({
      source: 'synthetic',
      patch: { build: expect.any(String), bytes: 9160 },
      ram: { version: '____010000', build: expect.any(String), bytes: expect.any(Number), regions: 5 },
    });
    expect(j.firmware.downloadMs).toBeGreaterThan(0);
    expect(j.http.status).toBe(200);
    expect(j.http.sha256).toBe(j.http.expectedSha256);
    expect(j.counters).toHaveProperty('driver.mcu');
    expect(j.counters).toHaveProperty('emulator.fwScatterBytes');
  });

  it('is deterministic for a seed (virtual time throughout, downloadMs included); another seed differs', () => {
    expect(reportA).not.toBeNull();
    const again = airstack(['--device', 'emulated', '--json', '--seed', '3']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(reportA);
    const other = JSON.parse(airstack(['--device', 'emulated', '--json', '--seed', '4']).stdout);
    expect(other.http.sha256).not.toBe((reportA as { http: { sha256: string } }).http.sha256);
  });

  it('--usb-trace: every transfer as JSON lines; the bring-up replays from it into a fresh driver', async () => {
    const recs = parseTrace(readFileSync(traceA, 'utf8'));
    expect(recs[0]).toMatchObject({ type: 'open', info: { vendorId: 0x0e8d, productId: 0x7961 } });
    expect(recs.at(-1)!.type).toBe('close');
    const kinds = new Set(recs.map((x) => (x.type === 'bulk' ? `bulk-${x.dir}-${x.ep}` : x.type)));
    // control transfers, firmware scatter (0x04), MCU commands (0x08), data (0x05…), events and frames (0x84/0x85)
    for (const k of ['control', 'bulk-out-0x04', 'bulk-out-0x08', 'bulk-in-0x84', 'bulk-in-0x85']) {
      expect(kinds, k).toContain(k);
    }
    const clock = new VirtualClock();
    const replayer = ReplayTransport.fromFile(traceA);
    const fw = synthetic();
    const { device } = createMt7921uDevice({ transport: replayer, clock, firmware: { patch: fw.patch, ram: fw.ram } });
    await settle(clock, device.probe());
    expect(replayer.divergence).toBeNull();
    expect(device.state).toBe('ready');
    expect(device.chip?.chip).toBe(0x7961);
    const bytes = device.download!.patchBytes + device.download!.ramBytes;
    expect(bytes).toBe(
      (reportA as { counters: { driver: { mcu: { scatterBytes: number } } } }).counters.driver.mcu.scatterBytes,
    );
    expect(Buffer.from(device.caps!.macAddr!).toString('hex')).toBe('020000000200');
    expect(device.mcu.stats.timeouts).toBe(0);
    device.close();
    await replayer.close();
  });

  it('--pcap: the air and the station’s Ethernet view, which tshark reads cleanly', (ctx) => {
    if (!haveTshark()) return ctx.skip('tshark is not installed');
    const check = tsharkCheck(pcapA);
    expect(check.malformed).toEqual([]);
    expect(check.ok).toBe(true);
    const protos = tshark(['-n', '-r', pcapA, '-T', 'fields', '-e', 'frame.protocols']);
    expect(protos).toMatch(/radiotap:wlan_radio:wlan:.*eapol/);
    expect(protos).toMatch(/eth:ethertype:ip:tcp:http/);
  });

  it('without --device: says which device in one line (the emulator when no dongle is attached)', async (ctx) => {
    const { findDongles } = await import('../../drivers/mt7921u/usb/finder.ts');
    if ((await findDongles()).length > 0) return ctx.skip('a dongle is attached: the demo would use it');
    const r = airstack(['--count', '1', '--seed', '3']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('using the emulated MT7921U (no MT7921U dongle attached)');
    expect(lines.filter((l) => /^\d\. /.test(l)).map((l) => l.slice(0, 2))).toEqual([
      '0.',
      '1.',
      '2.',
      '3.',
      '4.',
      '5.',
      '6.',
      '7.',
    ]);
    const usb = airstack(['--device', 'usb']);
    expect(usb.code).toBe(1);
    expect(usb.stdout).toBe('');
    expect(usb.stderr.trim().split('\n')).toHaveLength(1);
    expect(usb.stderr).toMatch(/^airstack: --device usb: (no MT7921U dongle attached|USB is unavailable here)/);
  });

  it('--fault unplug: a one-line error and exit 1; --fault mcu-reply: recovered, exit 0', () => {
    const unplug = airstack(['--device', 'emulated', '--fault', 'unplug', '--json', '--count', '1']);
    expect(unplug.code).toBe(1);
    expect(unplug.stderr).toBe(
      'airstack demo: http failed: http://files.airstack.test/airstack.bin: the MT7921U went away (device disconnected)\n',
    );
    expect(JSON.parse(unplug.stdout).counters.driver.state).toBe('removed');
    const reply = airstack(['--device', 'emulated', '--fault', 'mcu-reply', '--json', '--count', '1']);
    expect(reply.code).toBe(0);
    expect(JSON.parse(reply.stdout).counters.driver).toMatchObject({ resets: 1, mcu: { timeouts: 1 } });
  });
});
