/**
 * rsn's supplicant and authenticator talking through mac80211 on both sides: EAPOL goes from the TX path's
 * controlled port to the other side's RSN handler, keys come back through installRsnKey. The first handshake is in
 * the clear (message 4 leaves before the PTK is installed); after it, EAPOL (a group rekey) is encrypted, data flows
 * under the derived keys, and data before the port opens is refused.
 */
import { describe, expect, it } from 'vitest';
import { StaState } from '../../mac80211/driver-ops.ts';
import { decodeFrame } from '../../mac80211/frame/frame.ts';
import { Authenticator } from '../../mac80211/rsn/authenticator.ts';
import { passphraseToPsk } from '../../mac80211/rsn/kdf.ts';
import { Akm, Cipher } from '../../mac80211/rsn/suites.ts';
import { Supplicant } from '../../mac80211/rsn/supplicant.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { AP, eth, ipv4, makePair, OTHER, STA, txSkb } from './world.ts';

const RSNE = Buffer.from('30140100000fac040100000fac040100000fac020000', 'hex');
const settle = () => new Promise((r) => setImmediate(r));

function protectedOnAir(bytes: Uint8Array): boolean {
  const f = decodeFrame(bytes);
  return f.ok && (f.value.header.fc & 0x4000) !== 0;
}

describe('the 4-way handshake through mac80211', () => {
  it('EAPOL in the clear, keys installed, port opened, then encrypted data and an encrypted group rekey', async () => {
    const p = await makePair({ authorize: false, air: true });
    p.ap.drv.airClock = p.clock;
    p.sta.drv.airClock = p.clock;
    const pmk = passphraseToPsk('correct horse', 'airstack');
    const events: string[] = [];
    const rnd = new Prng(5);
    const supplicant = new Supplicant({
      clock: p.clock,
      pmk,
      ownAddr: STA,
      bssid: AP,
      akm: Akm.PSK,
      pairwise: Cipher.CCMP,
      group: Cipher.CCMP,
      ownRsne: RSNE,
      apRsne: RSNE,
      random: (n) => rnd.bytes(n),
      send: (pdu) => p.sta.local.txControlPort(p.sta.sdata, AP, pdu),
      setKey: (k) => void p.sta.local.installRsnKey(p.sta.sdata, k),
      deauthenticate: (r) => events.push(`sta deauth ${r}`),
      onEvent: (e) => {
        events.push(`sta ${e.type}`);
        if (e.type === 'connected') void p.sta.local.staMoveState(p.staPeer, StaState.AUTHORIZED);
      },
    });
    const authenticator = new Authenticator({
      clock: p.clock,
      bssid: AP,
      pmk,
      akm: Akm.PSK,
      pairwise: Cipher.CCMP,
      group: Cipher.CCMP,
      rsne: RSNE,
      random: (n) => rnd.bytes(n),
      send: (addr, pdu) => p.ap.local.txControlPort(p.ap.sdata, addr, pdu),
      setKey: (k) => void p.ap.local.installRsnKey(p.ap.sdata, k),
      deauthenticate: (_a, r) => events.push(`ap deauth ${r}`),
      onEvent: (e) => {
        events.push(`ap ${e.type}`);
        if (e.type === 'sta-authorized') void p.ap.local.staMoveState(p.apPeer, StaState.AUTHORIZED);
      },
    });
    p.sta.sdata.rsn = { rxEapol: (_src, pdu) => supplicant.receive(pdu) };
    p.ap.sdata.rsn = { rxEapol: (src, pdu) => authenticator.receive(src, pdu) };

    // Data before the handshake is refused by the controlled port.
    p.sta.dev.devQueueXmit(txSkb(p.sta.dev, eth(OTHER, STA, 0x0800, ipv4(0))));
    expect(p.sta.local.txStats.drop.unauthorized).toBe(1);

    supplicant.start();
    authenticator.start();
    authenticator.addStation(STA, RSNE);
    for (let i = 0; i < 20; i++) {
      p.clock.runFor(10);
      await settle();
    }
    expect(events).toContain('sta connected');
    expect(events).toContain('ap sta-authorized');
    const handshake = [...p.sta.drv.take(), ...p.ap.drv.take()];
    expect(handshake).toHaveLength(4);
    expect(handshake.map((f) => protectedOnAir(f.bytes))).toEqual([false, false, false, false]);
    expect(p.staPeer.authorized && p.apPeer.authorized).toBe(true);
    expect(p.sta.sdata.keys[1]).not.toBeNull();

    // Data both ways, encrypted on air, delivered in the clear.
    p.sta.dev.devQueueXmit(txSkb(p.sta.dev, eth(OTHER, STA, 0x0800, ipv4(0))));
    p.ap.dev.devQueueXmit(txSkb(p.ap.dev, eth(STA, OTHER, 0x0800, ipv4(0))));
    p.clock.runFor(10);
    const data = [...p.sta.drv.take(), ...p.ap.drv.take()];
    expect(data.map((f) => protectedOnAir(f.bytes))).toEqual([true, true]);
    expect(p.ap.delivered.at(-1)!.toString('hex')).toBe(eth(OTHER, STA, 0x0800, ipv4(0)).toString('hex'));
    expect(p.sta.delivered.at(-1)!.toString('hex')).toBe(eth(STA, OTHER, 0x0800, ipv4(0)).toString('hex'));

    // A group rekey: its EAPOL frames are encrypted now, and broadcasts use the new GTK.
    const oldGtk = p.sta.sdata.keys[1];
    authenticator.rekeyGroup();
    for (let i = 0; i < 10; i++) {
      p.clock.runFor(10);
      await settle();
    }
    const rekey = [...p.sta.drv.take(), ...p.ap.drv.take()];
    expect(rekey.length).toBeGreaterThanOrEqual(2);
    expect(rekey.every((f) => protectedOnAir(f.bytes))).toBe(true);
    expect(p.sta.sdata.keys[2]).not.toBeNull();
    expect(p.sta.sdata.keys[2]).not.toBe(oldGtk);
    expect(p.ap.sdata.defaultMulticastKey).toBe(2);
    p.ap.dev.devQueueXmit(txSkb(p.ap.dev, eth(Buffer.alloc(6, 0xff), OTHER, 0x0806, Buffer.alloc(28, 1))));
    p.clock.runFor(10);
    expect(p.sta.delivered.at(-1)!.subarray(0, 6).toString('hex')).toBe('ffffffffffff');
    expect(p.sta.local.rxStats.dropped).toBe(0);
    expect(p.ap.local.rxStats.dropped).toBe(0);
  });
});
