import { describe, expect, it } from 'vitest';
import { World } from '../../mac80211/world/world.ts';

describe('scenario: connect', () => {
  it('a station joins a WPA2 AP and pings its host', async () => {
    const w = new World({ seed: 1 });
    const ap = await w.addAp({ ssid: 'airstack', passphrase: 'correct horse battery', channel: 6 });
    const sta = await w.addStation();
    const link = await w.settle(sta.connect({ ssid: 'airstack', passphrase: 'correct horse battery' }));
    console.log(sta.mlme.lines, ap.ap.lines, link);
    const r = await w.settle(sta.stack.ping(ap.ip, { count: 3, interval: 100 }));
    console.log(r);
    expect(r.received).toBe(3);
  });
});
