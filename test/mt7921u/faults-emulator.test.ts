/**
 * Recovery from each fault the emulated MT7921U can inject: a lost MCU reply (during bring-up and after), a hung
 * MCU, a stalled IN or OUT endpoint, a short IN transfer, and an unplug in the middle of the firmware download.
 * After each recovery the interface runs again and frames flow (beacons heard in sniffer mode).
 */
import { describe, expect, it } from 'vitest';
import type { RxStatus } from '../../drivers/mt7921u/mac/rxd.ts';
import { chan20 } from '../../drivers/mt7921u/mcu/chan.ts';
import { beaconingAp, emulatorWorld, settle, stationVif, type World } from './world.ts';

/** A running device in sniffer mode on channel 6 next to a beaconing AP; `heard` collects the frames. */
async function runningWorld() {
  const heard: RxStatus[] = [];
  const w = emulatorWorld({
    air: true,
    device: {
      onFrame: (skb, st) => {
        heard.push(st);
        skb.free();
      },
    },
  });
  await settle(w.clock, w.device.probe());
  const ch6 = chan20('2g', 6);
  await settle(w.clock, w.device.start(ch6));
  const vif = stationVif(w.device);
  await settle(w.clock, w.device.ops.addDev(vif, true));
  await settle(w.clock, w.device.ops.sniffer(vif, true, ch6));
  const ap = beaconingAp(w, 6);
  return { ...w, heard, vif, ap, ch6 };
}

/** Frames keep arriving: `n` more beacons within a few beacon intervals. */
async function expectFramesFlow(w: World & { heard: RxStatus[] }, n = 3) {
  const before = w.heard.length;
  await w.clock.runAsync({ until: () => w.heard.length >= before + n, maxTime: w.clock.now() + 2000 });
  expect(w.heard.length).toBeGreaterThanOrEqual(before + n);
}

describe('fault recovery on the emulated MT7921U', () => {
  it('baseline: beacons reach the driver in sniffer mode', async () => {
    const w = await runningWorld();
    await expectFramesFlow(w);
    expect(w.heard.every((s) => s.channel === 6)).toBe(true);
    w.ap.stop();
  });

  it('a lost reply during bring-up: MCU timeout, init reset, second attempt succeeds', async () => {
    const w = emulatorWorld();
    w.emu.faults.dropReplyTo({ cid: 0x8a }); // GET_NIC_CAPAB
    await settle(w.clock, w.device.probe());
    expect(w.device.state).toBe('ready');
    expect(w.device.mcu.stats.timeouts).toBe(1);
    expect(w.device.initAttempts).toBe(2);
    expect(w.emu.counters.wfsysResets).toBeGreaterThanOrEqual(1);
  });

  it('a lost reply after init: full MAC reset, the interface runs again', async () => {
    const w = await runningWorld();
    w.emu.faults.dropReplyTo({ cid: 0xed, ext: 0x08 }); // CHANNEL_SWITCH
    const err = await settle(w.clock, w.device.ops.setChanInfo('switch', w.ch6)).catch((e) => e);
    expect((err as Error).name).toBe('McuTimeoutError');
    await w.clock.runAsync({
      until: () => w.device.state === 'running' && w.device.resets === 1,
      maxTime: w.clock.now() + 30_000,
    });
    expect(w.device.state).toBe('running');
    expect(w.device.resets).toBe(1);
    await settle(w.clock, w.device.ops.sniffer(w.vif, true, w.ch6));
    await expectFramesFlow(w);
    w.ap.stop();
  });

  it('a hung MCU: timeouts lead to a WFSYS reset that revives it', async () => {
    const w = await runningWorld();
    w.emu.faults.hangMcu();
    const err = await settle(w.clock, w.device.ops.setChanInfo('switch', w.ch6)).catch((e) => e);
    expect((err as Error).name).toBe('McuTimeoutError');
    await w.clock.runAsync({
      until: () => w.device.state === 'running' && w.device.resets >= 1,
      maxTime: w.clock.now() + 60_000,
    });
    expect(w.device.state).toBe('running');
    expect(w.emu.faults.mcuHung).toBe(false);
    w.ap.stop();
  });

  it('a stalled IN endpoint: counted, then a port reset and a new probe bring frames back', async () => {
    const w = await runningWorld();
    await expectFramesFlow(w, 1);
    w.emu.faults.stall(0x84);
    await w.clock.runAsync({
      until: () => w.device.resets === 1 && w.device.state === 'running',
      maxTime: w.clock.now() + 60_000,
    });
    expect(w.device.rx.stats.readErrors.stall).toBeGreaterThan(0);
    expect(w.emu.counters.usbResets).toBeGreaterThanOrEqual(2); // probe + recovery
    expect(w.device.state).toBe('running');
    const vif = stationVif(w.device);
    await settle(w.clock, w.device.ops.addDev(vif, true));
    await settle(w.clock, w.device.ops.sniffer(vif, true, w.ch6));
    await expectFramesFlow(w);
    w.ap.stop();
  });

  it('a stalled command endpoint: the send fails, the port is reset and the chip probed again', async () => {
    const w = await runningWorld();
    w.emu.faults.stall(0x08);
    const err = await settle(w.clock, w.device.ops.setChanInfo('switch', w.ch6)).catch((e) => e);
    expect((err as Error).name).toBe('McuSendError');
    await w.clock.runAsync({
      until: () => w.device.resets === 1 && w.device.state === 'running',
      maxTime: w.clock.now() + 60_000,
    });
    expect(w.device.state).toBe('running');
    await settle(w.clock, w.device.ops.setChanInfo('switch', w.ch6));
    w.ap.stop();
  });

  it('a short IN transfer is dropped and counted; the next packets are fine', async () => {
    const w = await runningWorld();
    await expectFramesFlow(w, 1);
    const drops0 = w.device.dispatch.totalDrops;
    const frames0 = w.device.dispatch.stats.frames;
    w.emu.faults.shortTransfer(0x84, 2);
    await expectFramesFlow(w, 4);
    // exactly the two truncated packets were dropped (as runts or for a DW0 length beyond the transfer)
    expect(w.device.dispatch.totalDrops - drops0).toBe(2);
    expect(w.device.dispatch.stats.frames - frames0).toBeGreaterThanOrEqual(4);
    const d = w.device.dispatch.stats.drops;
    expect((d.runt ?? 0) + (d.length ?? 0) + (d.short ?? 0) + (d['bad-event'] ?? 0)).toBe(2);
    w.ap.stop();
  });

  it('unplug in the middle of the firmware download: probe fails as removed, nothing hangs', async () => {
    const w = emulatorWorld();
    w.emu.faults.unplugAfterDownloadBytes = 5000;
    const t0 = w.clock.now();
    const err = await settle(w.clock, w.device.probe()).catch((e) => e);
    expect((err as { code?: string }).code).toBe('removed');
    expect(w.device.state).toBe('removed');
    expect(w.device.mcu.busy).toBe(false);
    expect(w.device.rx.stats.inFlight).toBe(0);
    // no 3 s MCU timeouts, no 10 retries: the loss is seen at the next transfer
    expect(w.clock.now() - t0).toBeLessThan(1000);
  });
});
