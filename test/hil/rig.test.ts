/** The HIL scan step, run against the emulated MT7921U on a test medium (the hardware run uses the same code). */
import { describe, expect, it } from 'vitest';
import { beaconingAp, emulatorWorld, settle } from '../mt7921u/world.ts';
import { scan } from './rig.ts';

describe('HIL rig on the emulator', () => {
  it('scan(): a passive hardware scan of every 2.4/5 GHz channel hears the AP with its SSID, channel and signal', async () => {
    const w = emulatorWorld({ air: true });
    await settle(w.clock, w.device.probe());
    const ap = beaconingAp(w, 6, -52);
    const heard = await settle(w.clock, scan(w.device, 'airstack', { passive: true }));
    ap.stop();
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ ssid: 'airstack', bssid: '02:aa:bb:cc:dd:ee', channel: 6, band: '2g' });
    expect(Math.abs(heard[0]!.signal - -52)).toBeLessThanOrEqual(1);
    expect(w.device.state).toBe('ready'); // the scan's interface was removed and the radio stopped again
  });
});
