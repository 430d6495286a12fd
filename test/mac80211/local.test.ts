/**
 * The control side of Ieee80211Local against a fake driver: what it calls, in which order, and what it does with
 * the driver's answers and callbacks.
 */
import { describe, expect, it } from 'vitest';
import { StaState } from '../../mac80211/driver-ops.ts';
import { buildDeauth, frameToSkb } from '../../mac80211/frame/build.ts';
import { dot11Counters } from '../../mac80211/stats.ts';
import { Cipher } from '../../mac80211/rsn/suites.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { FakeDriver } from './fake-driver.ts';
import { AP, eth, ipv4, makePair, makeSide, OTHER, STA, TK, txSkb } from './world.ts';

describe('Ieee80211Local: keys', () => {
  it('a cipher the hardware refuses stays in software; one it takes is uploaded; a rekey disables the old key', async () => {
    const sw = await makePair();
    const k = await sw.sta.local.setKey(sw.sta.sdata, sw.staPeer, {
      cipher: 'CCMP',
      keyIdx: 0,
      key: TK,
      pairwise: true,
    });
    expect([k.uploaded, k.sw !== null, sw.sta.local.driverErrors]).toEqual([false, true, 0]);

    const hw = await makePair({ hwCiphers: ['CCMP'] });
    hw.sta.drv.calls.length = 0;
    const k1 = await hw.sta.local.setKey(hw.sta.sdata, hw.staPeer, {
      cipher: Cipher.CCMP,
      keyIdx: 0,
      key: TK,
      pairwise: true,
    });
    const k2 = await hw.sta.local.setKey(hw.sta.sdata, hw.staPeer, {
      cipher: 'CCMP',
      keyIdx: 0,
      key: TK,
      pairwise: true,
    });
    expect(hw.sta.drv.calls).toEqual([
      'setKey set CCMP 0 pairwise',
      'setKey disable CCMP 0 pairwise',
      'setKey set CCMP 0 pairwise',
    ]);
    expect([k1.uploaded, k1.removed, k2.uploaded, hw.staPeer.txKey === k2]).toEqual([false, true, true, true]);
  });

  it('a driver error falls back to software and is counted; a hardware-only cipher it refuses is unlinked', async () => {
    const p = await makePair();
    p.sta.drv.setKey = async () => {
      throw new Error('MCU timeout');
    };
    const k = await p.sta.local.setKey(p.sta.sdata, p.staPeer, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true });
    expect([k.uploaded, p.sta.local.driverErrors]).toEqual([false, 1]);
    await expect(
      p.sta.local.setKey(p.sta.sdata, p.staPeer, { cipher: 'GCMP', keyIdx: 1, key: TK, pairwise: true }),
    ).rejects.toThrow(/needs hardware crypto/);
    expect(p.staPeer.ptk[1]).toBeNull();
    await expect(
      p.sta.local.setKey(p.sta.sdata, null, { cipher: 0x1234, keyIdx: 1, key: TK, pairwise: false }),
    ).rejects.toThrow(/not supported/);
  });
});

describe('Ieee80211Local: peers and control calls', () => {
  it('peers move one state at a time; removal disables their keys first', async () => {
    const clock = new VirtualClock();
    const s = await makeSide('station', STA, clock, { hwCiphers: ['CCMP'] });
    s.drv.calls.length = 0;
    const sta = await s.local.staAdd(s.sdata, AP);
    await s.local.staMoveState(sta, StaState.AUTHORIZED);
    await s.local.setKey(s.sdata, sta, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true });
    await s.local.staRemove(sta);
    expect(s.drv.calls).toEqual([
      'staState 0->1',
      'staState 1->2',
      'staState 2->3',
      'staState 3->4',
      'setKey set CCMP 0 pairwise',
      'setKey disable CCMP 0 pairwise',
      'staState 4->3',
      'staState 3->2',
      'staState 2->1',
      'staState 1->0',
    ]);
    expect(s.sdata.staGet(AP)).toBeNull();
  });

  it('control calls never overlap in the driver, whatever the callers await', async () => {
    const clock = new VirtualClock();
    const drv = new FakeDriver(STA, { hwCiphers: ['CCMP'] });
    let inside = 0;
    let overlaps = 0;
    const slow =
      <A extends unknown[]>(f: (...a: A) => Promise<void>) =>
      async (...a: A) => {
        if (inside++) overlaps++;
        await new Promise((r) => setTimeout(r, 1));
        await f(...a);
        inside--;
      };
    drv.staState = slow(drv.staState.bind(drv));
    drv.setKey = slow(drv.setKey.bind(drv)) as typeof drv.setKey;
    const { Ieee80211Local } = await import('../../mac80211/local.ts');
    const local = new Ieee80211Local(drv, clock);
    await local.start();
    const sdata = await local.addInterface('station');
    const sta = await local.staAdd(sdata, AP);
    await Promise.all([
      local.staMoveState(sta, StaState.AUTHORIZED),
      local.setKey(sdata, sta, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true }),
      local.setKey(sdata, null, { cipher: 'CCMP', keyIdx: 1, key: TK, pairwise: false }),
      local.staMoveState(sta, StaState.ASSOC),
    ]);
    expect(overlaps).toBe(0);
    expect(sta.state).toBe(StaState.ASSOC);
    expect(drv.calls.filter((c) => c.startsWith('staState'))).toEqual([
      'staState 0->1',
      'staState 1->2',
      'staState 2->3',
      'staState 3->4',
      'staState 4->3',
    ]);
  });

  it('restartHw reprograms interfaces, channel, peers, keys and the BSS, then tells the MLME', async () => {
    const p = await makePair({ keys: true, hwCiphers: ['CCMP'] });
    await p.sta.local.setChannel({ chan: { band: '2g', channel: 6, freq: 2437 }, width: 20, centerFreq1: 2437 });
    let restarted = 0;
    p.sta.sdata.mlme = { rxMgmt: (skb) => skb.free(), restarted: () => restarted++ };
    for (let i = 0; i < 3; i++) p.sta.dev.devQueueXmit(txSkb(p.sta.dev, eth(OTHER, STA, 0x0800, ipv4(0))));
    p.sta.drv.calls.length = 0;
    p.sta.local.restartHw('firmware hang');
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(p.sta.drv.calls).toEqual([
      'start',
      'addInterface',
      'config',
      'staState 0->1',
      'staState 1->2',
      'staState 2->3',
      'staState 3->4',
      'setKey set CCMP 0 pairwise',
      'setKey set CCMP 1',
      'bssInfoChanged',
    ]);
    expect([restarted, p.sta.local.restarts]).toEqual([1, 1]);
    expect(p.staPeer.txKey!.uploaded).toBe(true);
    // The hardware gets the key back with the PN where it was: no packet number is used twice.
    expect(p.sta.drv.keys.at(-2)!.txPn).toBe(3);
  });
});

describe('Ieee80211Local: callbacks upward', () => {
  it('management frames with a status callback; beacon and connection loss reach the MLME', async () => {
    const p = await makePair();
    const events: string[] = [];
    p.sta.sdata.mlme = {
      rxMgmt: (skb) => skb.free(),
      beaconLoss: () => events.push('beacon-loss'),
      connectionLoss: () => events.push('connection-loss'),
      txStatus: (_s, _i, st) => events.push(`mlme status ${st.acked}`),
    };
    const deauth = () => frameToSkb(buildDeauth({ da: AP, sa: STA, bssid: AP, reason: 3 }), { headroom: 32 });
    p.sta.local.txMgmt(p.sta.sdata, deauth(), {
      sta: p.staPeer,
      onStatus: (_s, _i, st) => events.push(`cb ${st.acked}`),
    });
    p.sta.drv.ackAll = false;
    p.sta.local.txMgmt(p.sta.sdata, deauth(), { sta: p.staPeer, reqTxStatus: true });
    p.sta.local.beaconLoss(p.sta.sdata.vif);
    p.sta.local.connectionLoss(p.sta.sdata.vif);
    expect(events).toEqual(['cb true', 'mlme status false', 'beacon-loss', 'connection-loss']);
    const sent = p.sta.drv.take();
    expect(sent.map((f) => (f.bytes[22]! | (f.bytes[23]! << 8)) >> 4)).toEqual([0, 1]);
    expect(sent[0]!.info).toMatchObject({ useMinRate: true, reqTxStatus: true });
    expect([p.staPeer.tx.acked, p.staPeer.tx.failed]).toEqual([1, 1]);
    const mib = dot11Counters(p.sta.local.rxStats, p.sta.local.txStats);
    expect([mib.dot11TransmittedFrameCount, mib.dot11FailedCount]).toEqual([1, 1]);
  });

  it('a hardware scan: beacons go to the scan handler and on to the MLME; completion ends it', async () => {
    const p = await makePair();
    const seen: string[] = [];
    const beacon = Buffer.from(
      `80000000ffffffffffff${Buffer.from(AP).toString('hex').repeat(2)}1000${'00'.repeat(8)}64001104`,
      'hex',
    );
    p.sta.drv.inject(beacon);
    await p.sta.local.hwScan(
      p.sta.sdata,
      { channels: [], ssids: [], ies: new Uint8Array(0), dwellActiveMs: 30, dwellPassiveMs: 110 },
      { rx: () => seen.push('beacon'), completed: (a) => seen.push(`done ${a}`) },
    );
    await expect(
      p.sta.local.hwScan(
        p.sta.sdata,
        { channels: [], ssids: [], ies: new Uint8Array(0), dwellActiveMs: 30, dwellPassiveMs: 110 },
        { rx: () => {}, completed: () => {} },
      ),
    ).rejects.toThrow(/already in progress/);
    p.sta.drv.inject(beacon);
    p.sta.local.scanCompleted(false);
    p.sta.drv.inject(beacon);
    expect(seen).toEqual(['beacon', 'done false']);
    expect(p.sta.mgmt).toHaveLength(3);
    const noHw = new FakeDriver(STA, { hwScan: false });
    const { Ieee80211Local } = await import('../../mac80211/local.ts');
    const l = new Ieee80211Local(noHw, new VirtualClock());
    await expect(l.hwScan(p.sta.sdata, {} as never, { rx() {}, completed() {} })).rejects.toThrow(/no hardware scan/);
  });
});

describe('Ieee80211Local: monitor taps and spurious frames', () => {
  it('taps see every frame as received (FCS failures and control frames too) and every frame sent', async () => {
    const p = await makePair();
    const seen: string[] = [];
    p.sta.local.monitorTaps.push((skb, status, dir) =>
      seen.push(`${dir} ${skb.len}${status?.fcsFailed ? ' bad-fcs' : ''}`),
    );
    p.sta.drv.inject(Buffer.from('d4000000020000000b00', 'hex'));
    p.sta.drv.inject(Buffer.alloc(30, 8), { fcsFailed: true, hasFcs: true });
    p.sta.local.txControlPort(p.sta.sdata, AP, Buffer.alloc(4));
    expect(seen).toEqual(['rx 10', 'rx 30 bad-fcs', 'tx 38']);
  });

  it('an AP hears data from a station that is not associated and tells its MLME', async () => {
    const p = await makePair({ authorize: false });
    const spurious: string[] = [];
    p.ap.sdata.mlme = {
      rxMgmt: (skb) => skb.free(),
      spuriousData: (a) => spurious.push(Buffer.from(a).toString('hex')),
    };
    await p.ap.local.staMoveState(p.apPeer, StaState.AUTH);
    p.sta.dev.devQueueXmit(eapolFromSta());
    expect(spurious).toEqual([]);
    p.ap.drv.inject(p.sta.drv.take()[0]?.bytes ?? Buffer.alloc(0));
    expect(p.ap.local.rxStats.drop['not-associated']).toBe(1);
    expect(spurious).toEqual([Buffer.from(STA).toString('hex')]);
  });
});

function eapolFromSta() {
  // EAPOL from the station leaves before authorization; to the AP it is a data frame like any other.
  return SkBuff.fromBytes(Buffer.concat([AP, STA, Buffer.from('888e', 'hex'), Buffer.alloc(8)]), 64);
}
