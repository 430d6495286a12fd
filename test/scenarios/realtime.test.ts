/**
 * The same world on a real clock (as the demo can run it against real time): the station joins on the one channel
 * it is told to scan and pings the AP's host. Only outcomes are asserted, never durations.
 */
import { describe, expect, it } from 'vitest';
import { World } from '../../mac80211/world/world.ts';
import { RealClock } from '../../netstack/core/clock.ts';

describe('scenario: real time', () => {
  it('connects and pings on a real clock, then stops without leaving timers behind', async () => {
    const w = new World({ seed: 1, clock: new RealClock() });
    try {
      const ap = await w.addAp({ ssid: 'airstack', passphrase: 'correct horse battery', channel: 11 });
      const sta = await w.addStation();
      const link = await w.settle(
        sta.connect({ ssid: 'airstack', passphrase: 'correct horse battery', scanFreqs: [2462] }),
        20_000,
      );
      expect(link.freq).toBe(2462);
      expect(sta.mlme.scanner.counters.probesSent).toBe(2); // one channel, wildcard and directed
      const r = await w.settle(sta.stack.ping(ap.ip, { count: 3, interval: 50 }), 10_000);
      expect(r.received).toBe(3);
    } finally {
      await w.stop();
    }
    expect(w.aps[0]!.radio.started).toBe(false);
  }, 30_000);
});
