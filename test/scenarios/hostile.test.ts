/**
 * Hostile air: management frames of random content thrown at the AP and the station. Nothing may throw, and the
 * BSS keeps working; each MLME counts what it could not use.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chandef } from '../../drivers/hwsim/chan.ts';
import { legacyRate } from '../../drivers/hwsim/radio-caps.ts';
import type { RxStatus } from '../../mac80211/driver-ops.ts';
import { rxStatus } from '../mac80211/fake-driver.ts';
import { World } from '../../mac80211/world/world.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { story } from './story.ts';

const SSID = 'airstack';
const PASS = 'correct horse battery';
const STATUS: RxStatus = rxStatus({ signal: -50, rate: legacyRate(10) });
/** Management subtypes a spoofer may use without legitimately ending the association (not 10 and 12). */
const SAFE_SUBTYPES = [0, 1, 2, 3, 4, 5, 8, 11, 13, 14];

describe('scenario: hostile air', () => {
  story(
    'random management frames, some spoofing the AP, do not break the BSS',
    async (w) => {
      const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6 });
      const sta = await w.addStation();
      await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
      const rogue = w.medium.attach(Uint8Array.of(2, 0, 0, 0, 0x66, 0x66), { chandef: chandef('2g', 6) });
      const rng = new Prng('rogue');
      let sent = 0;
      const blast = () => {
        for (let i = 0; i < 20; i++) {
          const f = rng.bytes(24 + rng.int(300));
          f[0] = SAFE_SUBTYPES[rng.int(SAFE_SUBTYPES.length)]! << 4;
          f[1] = rng.chance(0.1) ? 0x40 : 0; // sometimes "protected"
          const to = rng.int(3);
          if (to === 0) f.set(ap.sdata.addr, 4);
          else if (to === 1) f.set(sta.sdata.addr, 4);
          else f.fill(0xff, 4, 10);
          if (rng.chance(0.5)) {
            f.set(ap.sdata.addr, 10);
            f.set(ap.sdata.addr, 16);
          }
          rogue.transmit(f, { rate: legacyRate(10), noAck: true });
          sent++;
        }
      };
      const timer = w.clock.timer(() => {
        blast();
        if (sent < 2_000) timer.mod(20);
      });
      timer.mod(0);
      const r = await w.settle(sta.stack.ping(ap.ip, { count: 10, interval: 200 }));
      expect(await w.runUntil(() => sent === 2_000, 5_000)).toBe(true);
      expect(r.received).toBe(10);
      expect(sta.mlme.wpaState).toBe('COMPLETED');
      expect(sta.mlme.counters.connected).toBe(1);
      expect(sta.mlme.counters.rxMalformed + sta.mlme.counters.rxIgnored).toBeGreaterThan(0);
      expect(ap.ap.counters.rxMalformed + ap.ap.counters.authRefused + ap.ap.counters.class2Deauths).toBeGreaterThan(0);
    },
    { tshark: false },
  ); // the rogue's frames are malformed on purpose

  it('each MLME takes any byte string as a management frame without throwing', async () => {
    const w = new World({ seed: 2 });
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6, services: false });
    const sta = await w.addStation();
    await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.integer({ min: 0, max: 15 }), (bytes, st) => {
        const f = new Uint8Array(Math.max(24, bytes.length));
        f.set(bytes);
        f[0] = (st << 4) | (f[0]! & 0x0f & ~0x0c);
        if (st === 10 || st === 12) f[10] ^= 0x80; // not from the AP: a deauthentication is not hostile here
        sta.mlme.rxMgmt(SkBuff.fromBytes(f), STATUS, null);
        ap.ap.rxMgmt(SkBuff.fromBytes(f), STATUS, null);
      }),
      { numRuns: 300 },
    );
    await w.sleep(100);
    expect(sta.mlme.wpaState).toBe('COMPLETED');
    w.close();
  });
});
