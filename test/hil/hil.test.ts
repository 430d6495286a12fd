/**
 * Hardware in the loop: the driver on a real MT7921U against a real access point (test/hil/README.md).
 *
 *   AIRSTACK_HIL=1 AIRSTACK_HIL_SSID=lab AIRSTACK_HIL_PASSPHRASE=… AIRSTACK_HIL_URL=http://192.168.1.1/ \
 *   AIRSTACK_HIL_RELAY=/dev/hidraw3:1 npx vitest run test/hil
 *
 * Without AIRSTACK_HIL=1 everything here is skipped with a message. With it, a missing dongle or firmware fails
 * (the rig was asked for); missing AP settings or relay skip only the steps that need them.
 *
 * Story: find and open the dongle → bring it up with the real firmware → scan and hear the AP → then, exactly as
 * `airstack demo --device usb --ssid … --passphrase … --url …` (runDongleDemo, one implementation; test/hil/
 * demo-path.test.ts runs the same path on the emulator everywhere): bring-up, scan, connect (WPA2), DHCP, ping the
 * gateway, fetch the URL with its size and sha256; then, with a relay, cut the dongle's power, see it leave the bus,
 * give the power back, see it re-enumerate and boot again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { findDongles } from '../../drivers/mt7921u/usb/finder.ts';
import { type DriverFirmware, loadDriverFirmware } from '../../tools/cli/dongle.ts';
import { type DongleDemoResult, runDongleDemo } from '../../tools/cli/dongle-demo.ts';
import { hilConfig, hilDemoOptions, hilSkip } from './env.ts';
import { type HidModule, loadHid, openUsbRelay, type UsbRelay } from './relay.ts';
import { bringUpDongle, type Rig, scan, waitForDongle } from './rig.ts';

const cfg = hilConfig();

describe.skipIf(!cfg.enabled)('hardware in the loop: real MT7921U', () => {
  let fw: DriverFirmware | null = null;
  let rig: Rig | null = null;
  afterAll(async () => {
    await rig?.close();
  });

  it('finds the dongle and the real MT7961 firmware', async () => {
    const reasons: string[] = [];
    const found = await findDongles({ onUnavailable: (r) => reasons.push(r) });
    if (found.length === 0) {
      throw new Error(
        `AIRSTACK_HIL=1 but no MT7921U dongle is visible${reasons.length ? ` (USB unavailable: ${reasons[0]})` : ''}`,
      );
    }
    fw = loadDriverFirmware({ allowSynthetic: false });
    expect(fw.source).toBe('real');
  });

  it('brings the chip up: chip id, ROM patch and RAM code download, NIC capability', async () => {
    if (!fw) throw new Error('no dongle or firmware: see the first test');
    rig = await bringUpDongle(fw);
    const d = rig.device;
    expect(d.state).toBe('ready');
    expect(d.chip?.chip).toBe(0x7961);
    expect(d.caps?.macAddr).not.toBeNull();
    expect(d.mcu.stats.timeouts).toBe(0);
    expect(d.dispatch.totalDrops).toBe(0);
    const want = fw.ram.regions.filter((r) => r.download).reduce((n, r) => n + r.len, 0);
    expect(d.download?.ramBytes).toBe(want);
    // the patch may already be in the ROM when the dongle was not power-cycled (PATCH_IS_DL)
    expect([0, fw.patch.sections.reduce((n, s) => n + s.len, 0)]).toContain(d.download?.patchBytes);
    console.info(
      `[hil] ${rig.transport.info.description}: ASIC ${d.chip!.asicRevision.toString(16)}, ` +
        `download ${Math.round(d.download!.elapsedMs)} ms, ${d.initAttempts} attempt(s)`,
    );
  });

  it.skipIf(!cfg.ssid)(
    cfg.ssid ? `scans and hears "${cfg.ssid}"` : hilSkip('set AIRSTACK_HIL_SSID to scan'),
    async () => {
      expect(rig).not.toBeNull();
      const heard = await scan(rig!.device, cfg.ssid);
      console.info(
        `[hil] heard ${heard.length} BSS: ${heard.map((b) => `${b.ssid}@${b.channel}(${b.signal})`).join(' ')}`,
      );
      const ap = heard.find((b) => b.ssid === cfg.ssid);
      expect(ap, `"${cfg.ssid}" not heard; heard: ${heard.map((b) => b.ssid).join(', ')}`).toBeDefined();
      expect(ap!.signal).toBeLessThan(0);
    },
  );

  // The rest is `airstack demo --device usb` itself, on a fresh opening of the dongle.
  let demo: DongleDemoResult | null = null;
  const needDemo = () => {
    if (demo === null) throw new Error('the demo did not run: see "runs airstack demo --device usb"');
    return demo;
  };
  const noSsid = hilSkip('set AIRSTACK_HIL_SSID (and AIRSTACK_HIL_PASSPHRASE unless open) to connect');

  it.skipIf(!cfg.ssid)(
    cfg.ssid ? `runs airstack demo --device usb against "${cfg.ssid}"` : noSsid,
    { timeout: 180_000 },
    async () => {
      await rig?.close();
      rig = null;
      demo = await runDongleDemo({
        device: 'usb',
        seed: 1,
        loss: 0,
        json: true,
        ...hilDemoOptions(cfg),
        out: (l) => console.info(`[hil] ${l}`),
      });
      expect(demo.kind).toBe('usb');
      expect(demo.report.firmware.source).toBe('real');
      expect(demo.failure?.step).not.toBe('bring-up');
      expect(demo.report.scan.some((b) => b.ssid === cfg.ssid)).toBe(true);
    },
  );

  it.skipIf(!cfg.ssid)(
    cfg.ssid ? `connects to "${cfg.ssid}" (${cfg.passphrase ? 'WPA2-PSK' : 'open'})` : noSsid,
    () => {
      const d = needDemo();
      expect(['scan', 'connect', 'wrong-passphrase'], d.failure?.message).not.toContain(d.failure?.step);
      expect(d.report.link).toMatchObject({
        ssid: cfg.ssid,
        akm: cfg.passphrase ? expect.stringMatching(/PSK/) : 'NONE',
      });
    },
  );

  it.skipIf(!cfg.ssid)(cfg.ssid ? 'gets an address by DHCP and pings the gateway' : noSsid, () => {
    const d = needDemo();
    expect(d.report.dhcp, d.failure?.message).not.toBeNull();
    expect(d.report.dhcp!.gateway).not.toBeNull();
    expect(d.report.ping!.received, d.failure?.message).toBeGreaterThan(0);
    console.info(`[hil] ${JSON.stringify({ dhcp: d.report.dhcp, ping: d.report.ping })}`);
  });

  it.skipIf(!cfg.ssid)(
    cfg.ssid ? `fetches ${cfg.url ?? 'the gateway’s page (set AIRSTACK_HIL_URL for another)'} over HTTP` : noSsid,
    () => {
      const d = needDemo();
      expect(d.failure, d.failure?.message).toBeNull();
      const h = d.report.http!;
      expect(h.status).toBeGreaterThanOrEqual(200);
      expect(h.status).toBeLessThan(400);
      expect(h.sha256).toMatch(/^[0-9a-f]{64}$/);
      console.info(`[hil] GET ${h.url}: ${h.status}, ${h.bytes} bytes, sha256 ${h.sha256}`);
    },
  );
});

describe.skipIf(!cfg.enabled)('hardware in the loop: power cycle through a USB relay', async () => {
  let hid: HidModule | null = null;
  let why: string | null = cfg.relayError;
  if (!cfg.relay && !why) why = 'set AIRSTACK_HIL_RELAY=<hidraw path or board serial>:<channel>[:nc|:no]';
  if (!why) {
    try {
      hid = await loadHid();
    } catch (e) {
      why = (e as Error).message;
    }
  }
  let relay: UsbRelay | null = null;
  afterAll(() => {
    try {
      relay?.power(true); // never leave the dongle unpowered
    } finally {
      relay?.close();
    }
  });

  it.skipIf(why !== null)(
    why === null ? 'the dongle leaves the bus without power, re-enumerates with it and boots again' : hilSkip(why),
    { timeout: 120_000 },
    async () => {
      relay = openUsbRelay(hid!, cfg.relay!);
      const fw = loadDriverFirmware({ allowSynthetic: false });
      relay.power(true);
      expect(await waitForDongle(true, 20_000), 'no dongle on the bus with the relay in the powered state').toBe(true);
      relay.power(false);
      expect(await waitForDongle(false, 10_000), 'the dongle stayed on the bus after its power was cut').toBe(true);
      await new Promise((r) => setTimeout(r, 2000)); // let the chip drain
      const t0 = performance.now();
      relay.power(true);
      expect(await waitForDongle(true, 20_000), 'the dongle did not re-enumerate within 20 s').toBe(true);
      const enumerated = performance.now() - t0;
      const rig = await bringUpDongle(fw);
      try {
        expect(rig.device.state).toBe('ready');
        expect(rig.device.chip?.chip).toBe(0x7961);
        // a cold chip: the ROM has no patch, so both images were downloaded
        expect(rig.device.download?.patchDownloaded).toBe(true);
        console.info(
          `[hil] re-enumerated ${Math.round(enumerated)} ms after power; boot ${Math.round(performance.now() - t0)} ms`,
        );
      } finally {
        await rig.close();
      }
    },
  );
});

describe.skipIf(cfg.enabled)('hardware in the loop', () => {
  it.skip(hilSkip('set AIRSTACK_HIL=1 with an MT7921U dongle attached'), () => {});
});
