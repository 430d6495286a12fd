import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Ac,
  type BssConf,
  KeyNotSupportedError,
  type ScanRequest,
  type Sta,
  StaState,
  type TxInfo,
  type Vif,
} from '../../mac80211/driver-ops.ts';
import { element } from '../../mac80211/elements/elements.ts';
import { buildBeacon, elementsOf } from '../../mac80211/frame/build.ts';
import { decodeFrame, encodeFrame } from '../../mac80211/frame/frame.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { NetCore } from '../../netstack/core/netdevice.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { CHANNELS_2G, CHANNELS_5G, chandef } from './chan.ts';
import { Medium, type MediumOptions } from './medium.ts';
import { TU_US } from './radio-beacon.ts';
import { HwsimRadio, type HwsimRadioOptions } from './radio.ts';
import { BROADCAST, dataFrame, mac, RecordingMac, seqOf } from './testing.ts';

function world(opts: Partial<MediumOptions> = {}) {
  const clock = new VirtualClock();
  const medium = new Medium({ clock, seed: 5, ...opts });
  return { clock, medium };
}

async function radio(medium: Medium, n: number, opts: Partial<HwsimRadioOptions> & { type?: Vif['type'] } = {}) {
  const r = new HwsimRadio({ medium, addr: mac(n), ...opts });
  const hw = new RecordingMac(medium.clock);
  r.attach(hw);
  await r.start();
  const vif: Vif = { type: opts.type ?? 'station', addr: mac(n) };
  await r.addInterface(vif);
  if (opts.chandef) await r.config({ chandef: opts.chandef });
  return { r, hw, vif };
}

function info(vif: Vif, over: Partial<TxInfo> = {}): TxInfo {
  return {
    vif,
    sta: null,
    ac: Ac.BE,
    tid: 0,
    hwKey: null,
    reqTxStatus: true,
    noAck: false,
    useMinRate: false,
    offChannel: false,
    ...over,
  };
}

function sta(addr: Uint8Array, caps: Partial<Sta> = {}): Sta {
  return { addr, aid: 1, ht: false, vht: false, he: false, rates: [60, 120, 240, 540], wmm: true, ...caps };
}

const ch36 = chandef('5g', 36);

describe('HwsimRadio: data path', () => {
  it('a unicast frame reaches the peer through NAPI with its RxStatus, and the sender gets an acked txStatus', async () => {
    const { clock, medium } = world();
    const a = await radio(medium, 1, { chandef: ch36 });
    const b = await radio(medium, 2, { chandef: ch36 });
    medium.setLink(a.r.port, b.r.port, { snr: 30 });
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(2), mac(1), 200)), info(a.vif));
    clock.runUntilIdle();
    expect(b.hw.rxs).toHaveLength(1);
    expect(b.hw.rxs[0]!.frame).toEqual(Buffer.from(dataFrame(mac(2), mac(1), 200)));
    expect(b.hw.rxs[0]!.status).toMatchObject({
      band: '5g',
      freq: 5180,
      channel: 36,
      signal: -65,
      decrypted: false,
      fcsFailed: false,
      hasFcs: false,
    });
    expect(a.hw.statuses).toHaveLength(1);
    expect(a.hw.statuses[0]!.status).toMatchObject({ acked: true, retries: 0, ackSignal: -65 });
    expect(b.r.napiDev.softnet.processed).toBe(1);
  });

  it('unicast to nobody is not acknowledged after the retries; frames without reqTxStatus are freed silently', async () => {
    const { clock, medium } = world();
    const a = await radio(medium, 1, { chandef: ch36 });
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(9), mac(1))), info(a.vif));
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(9), mac(1))), info(a.vif, { reqTxStatus: false }));
    clock.runUntilIdle();
    expect(a.hw.statuses.map((s) => s.status)).toEqual([{ acked: false, retries: 7, ackSignal: undefined }]);
    expect(a.r.counters).toMatchObject({ txFailed: 2, txStatusReported: 1 });
  });

  it('the hardware address filter passes group frames and frames to our interfaces; monitor mode passes all', async () => {
    const { clock, medium } = world();
    const a = await radio(medium, 1, { chandef: ch36 });
    const b = await radio(medium, 2, { chandef: ch36 });
    const m = await radio(medium, 3, { chandef: ch36, type: 'monitor' });
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(7), mac(1))), info(a.vif, { reqTxStatus: false, noAck: true }));
    a.r.tx(SkBuff.fromBytes(dataFrame(BROADCAST, mac(1))), info(a.vif, { reqTxStatus: false }));
    clock.runUntilIdle();
    expect(b.hw.rxs).toHaveLength(1);
    expect(b.r.counters.rxFiltered).toBe(1);
    expect(m.hw.rxs).toHaveLength(2);
    // A second interface's address is acknowledged too.
    const vif2: Vif = { type: 'station', addr: mac(22) };
    await b.r.addInterface(vif2);
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(22), mac(1))), info(a.vif));
    clock.runUntilIdle();
    expect(a.hw.statuses.at(-1)!.status.acked).toBe(true);
    expect(b.hw.rxs).toHaveLength(2);
  });

  it('corrupted frames are counted and dropped, except in monitor mode where they come up with fcsFailed', async () => {
    const { clock, medium } = world();
    const a = await radio(medium, 1, { chandef: ch36 });
    const b = await radio(medium, 2, { chandef: ch36 });
    const m = await radio(medium, 3, { chandef: ch36, type: 'monitor' });
    medium.faults.add({ kind: 'corrupt', count: 2 });
    a.r.tx(SkBuff.fromBytes(dataFrame(BROADCAST, mac(1))), info(a.vif));
    clock.runUntilIdle();
    expect(b.hw.rxs).toHaveLength(0);
    expect(b.r.counters.rxFcsErrors).toBe(1);
    expect(m.hw.rxs.map((x) => x.status.fcsFailed)).toEqual([true]);
  });

  it('rates: lowest basic rate for management and group frames, the best rate of the peer for data', async () => {
    const { clock, medium } = world();
    const a = await radio(medium, 1, { chandef: chandef('5g', 36, 80) });
    const b = await radio(medium, 2, { chandef: chandef('5g', 36, 80) });
    const peerHe = sta(mac(2), { ht: true, vht: true, he: true });
    await a.r.staState(a.vif, peerHe, StaState.NOTEXIST, StaState.NONE);
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(2), mac(1))), info(a.vif, { sta: peerHe }));
    a.r.tx(SkBuff.fromBytes(dataFrame(BROADCAST, mac(1))), info(a.vif, { sta: peerHe }));
    const mgmt = dataFrame(mac(2), mac(1));
    mgmt[0] = 0xb0; // authentication
    a.r.tx(SkBuff.fromBytes(mgmt), info(a.vif, { sta: peerHe }));
    const peerVht = sta(mac(2), { ht: true, vht: true });
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(2), mac(1))), info(a.vif, { sta: peerVht }));
    const peerLegacy = sta(mac(2), { rates: [60, 120, 360] });
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(2), mac(1))), info(a.vif, { sta: peerLegacy }));
    clock.runUntilIdle();
    expect(b.hw.rxs.map((x) => x.status.rate)).toEqual([
      { mode: 'he', rate: 11, nss: 2, bw: 80, sgi: true },
      { mode: 'ofdm', rate: 60, nss: 1, bw: 20, sgi: false },
      { mode: 'ofdm', rate: 60, nss: 1, bw: 20, sgi: false },
      { mode: 'vht', rate: 9, nss: 2, bw: 80, sgi: true },
      { mode: 'ofdm', rate: 360, nss: 1, bw: 20, sgi: false },
    ]);
  });

  it('TX queues are bounded per AC; a full queue drops with a failed txStatus; VO goes before BK', async () => {
    const { clock, medium } = world();
    const a = await radio(medium, 1, { chandef: ch36, txQueueDepth: 4 });
    const b = await radio(medium, 2, { chandef: ch36 });
    for (let i = 0; i < 8; i++) a.r.tx(SkBuff.fromBytes(dataFrame(mac(2), mac(1), 100, i)), info(a.vif, { ac: Ac.BK }));
    // 1 on the port + 4 queued; 3 dropped at once
    expect(a.hw.statuses.map((s) => seqOf(s.frame))).toEqual([5, 6, 7]);
    expect(a.hw.statuses.every((s) => !s.status.acked)).toBe(true);
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(2), mac(1), 100, 100)), info(a.vif, { ac: Ac.VO }));
    clock.runUntilIdle();
    expect(b.hw.rxs.map((x) => seqOf(x.frame))).toEqual([0, 100, 1, 2, 3, 4]);
    expect(a.r.counters.txQueueFull).toBe(3);
  });

  it('NAPI runs in the softirq of the given NetCore, up to its weight per poll', async () => {
    const { clock, medium } = world({ timing: 'none' });
    const core = new NetCore(clock);
    const a = await radio(medium, 1, { chandef: ch36, txQueueDepth: 512 });
    const b = await radio(medium, 2, { chandef: ch36, core });
    for (let i = 0; i < 200; i++)
      a.r.tx(SkBuff.fromBytes(dataFrame(BROADCAST, mac(1), 60, i)), info(a.vif, { reqTxStatus: false }));
    clock.runUntilIdle();
    expect(b.hw.rxs.map((x) => seqOf(x.frame))).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(b.r.napiDev.softnet.processed).toBe(200);
    expect(core.softirq.rounds).toBeGreaterThan(0);
    expect(core.devices).toHaveLength(0); // the NAPI device is a dummy, not an interface
  });

  it('a stopped radio drops TX (failed status) and neither hears nor acknowledges', async () => {
    const { clock, medium } = world();
    const a = await radio(medium, 1, { chandef: ch36 });
    const b = await radio(medium, 2, { chandef: ch36 });
    await b.r.stop();
    a.r.tx(SkBuff.fromBytes(dataFrame(mac(2), mac(1))), info(a.vif));
    b.r.tx(SkBuff.fromBytes(dataFrame(mac(1), mac(2))), info(b.vif));
    clock.runUntilIdle();
    expect(a.hw.statuses[0]!.status.acked).toBe(false);
    expect(b.hw.statuses[0]!.status).toEqual({ acked: false, retries: 0 });
    expect(b.hw.rxs).toHaveLength(0);
  });
});

describe('HwsimRadio: control path', () => {
  it('setKey refuses every cipher (software crypto) and records the calls; staState and confTx are recorded', async () => {
    const { medium } = world();
    const a = await radio(medium, 1);
    const key = { cipher: 'CCMP' as const, keyIdx: 0, key: new Uint8Array(16), pairwise: true, txPn: 0 };
    const peer = sta(mac(2));
    await expect(a.r.setKey('set', a.vif, peer, key)).rejects.toBeInstanceOf(KeyNotSupportedError);
    await expect(a.r.setKey('disable', a.vif, peer, key)).resolves.toBeUndefined();
    expect(a.r.keyRequests).toEqual([
      { cmd: 'set', cipher: 'CCMP', keyIdx: 0, pairwise: true },
      { cmd: 'disable', cipher: 'CCMP', keyIdx: 0, pairwise: true },
    ]);
    expect(a.r.caps.hwCiphers).toEqual([]);
    await a.r.staState(a.vif, peer, StaState.NOTEXIST, StaState.NONE);
    await a.r.staState(a.vif, peer, StaState.NONE, StaState.AUTH);
    expect(a.r.stations.get('02:00:00:00:00:02')!.state).toBe(StaState.AUTH);
    await a.r.staState(a.vif, peer, StaState.AUTH, StaState.NOTEXIST);
    expect(a.r.stations.size).toBe(0);
    await a.r.confTx(a.vif, Ac.VO, { aifs: 1, cwMin: 1, cwMax: 3, txop: 0, acm: false });
    expect(a.r.vifState(a.vif).txq.get(Ac.VO)).toMatchObject({ aifs: 1 });
  });

  it('capabilities: 2.4 and 5 GHz with their channels and rates, HT/VHT/HE', () => {
    const { medium } = world();
    const r = new HwsimRadio({ medium, addr: mac(1) });
    expect(r.caps.bands.map((b) => [b.band, b.channels.length, b.bitrates.length, b.ht, b.vht, b.he])).toEqual([
      ['2g', 13, 12, true, false, true],
      ['5g', CHANNELS_5G.length, 8, true, true, true],
    ]);
    expect(r.caps.bands[1]!.channels.find((c) => c.channel === 100)!.noIr).toBe(true);
    expect(r.caps.hwScan).toBe(true);
    expect(new HwsimRadio({ medium, addr: mac(2), hwScan: false }).caps.hwScan).toBe(false);
  });

  it('config() tunes the radio; unsupported channels are refused', async () => {
    const { medium } = world();
    const a = await radio(medium, 1, { bands: ['2g'] });
    await a.r.config({ chandef: chandef('2g', 11) });
    expect(a.r.port.freq).toBe(2462);
    await expect(a.r.config({ chandef: ch36 })).rejects.toThrow(/not supported/);
  });
});

/** An AP radio beaconing on `cd`. */
async function beaconingAp(medium: Medium, n: number, cd = ch36, dtimPeriod = 2) {
  const ap = await radio(medium, n, { chandef: cd, type: 'ap' });
  const template = encodeFrame(
    buildBeacon({
      bssid: mac(n),
      timestamp: 0n,
      beaconInterval: 100,
      capability: 0x0001,
      elements: elementsOf(
        element(0, new TextEncoder().encode('hwsim-net')),
        element(1, Uint8Array.of(0x8c, 0x12, 0x98, 0x24)),
        element(3, Uint8Array.of(cd.chan.channel)),
        element(5, Uint8Array.of(0, dtimPeriod, 0, 0)),
      ),
    }),
  );
  const conf: BssConf = {
    bssid: mac(n),
    assoc: false,
    aid: 0,
    beaconInt: 100,
    dtimPeriod,
    chandef: cd,
    basicRates: [60],
    qos: true,
    shortSlot: true,
    shortPreamble: false,
    ps: false,
    beaconTemplate: template,
    beaconEnabled: true,
  };
  await ap.r.bssInfoChanged(ap.vif, conf, { beacon: true, beaconEnabled: true, beaconInt: true });
  return ap;
}

function beaconsFrom<T extends { frame: Buffer }>(rxs: T[], bssid: Uint8Array): T[] {
  return rxs.filter((x) => x.frame[0] === 0x80 && Buffer.from(bssid).equals(x.frame.subarray(16, 22)));
}

describe('HwsimRadio: beacons', () => {
  it('sends the template every beacon interval with sequence numbers, DTIM count and TSF', async () => {
    const { clock, medium } = world();
    const ap = await beaconingAp(medium, 1);
    const st = await radio(medium, 2, { chandef: ch36 });
    clock.runFor(1050);
    const bs = beaconsFrom(st.hw.rxs, mac(1));
    expect(bs).toHaveLength(10);
    const tsfs = bs.map((b) => new DataView(b.frame.buffer, b.frame.byteOffset).getBigUint64(24, true));
    for (let i = 1; i < tsfs.length; i++) expect(Number(tsfs[i]! - tsfs[i - 1]!)).toBe(100 * TU_US);
    // The timestamp is the TSF at the first bit: TBTT plus PIFS (SIFS + one slot) at 5 GHz.
    expect(Number(tsfs[0]!) % (100 * TU_US)).toBe(16 + 9);
    expect(bs.map((b) => seqOf(b.frame))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const dtim = bs.map((b) => {
      const f = decodeFrame(b.frame);
      if (!f.ok || f.value.type !== 'mgmt' || f.value.body.kind !== 'beacon') throw new Error('not a beacon');
      return f.value.body.elements.find(5)![0];
    });
    // DTIM count cycles 1, 0, 1, 0 (period 2), consistent with the TBTT number.
    for (let i = 0; i < dtim.length; i++) {
      const tbtt = Math.round(Number(tsfs[i]!) / (100 * TU_US));
      expect(dtim[i]).toBe((2 - (tbtt % 2)) % 2);
    }
    expect(ap.r.counters.beaconsSent).toBe(10);
    // Beaconing off: silence.
    await ap.r.bssInfoChanged(ap.vif, { ...ap.r.vifState(ap.vif).bss!, beaconEnabled: false }, { beaconEnabled: true });
    const n = st.hw.rxs.length;
    clock.runFor(1000);
    expect(st.hw.rxs.length).toBe(n);
    expect(clock.idle).toBe(true);
  });
});

describe('HwsimRadio: scanning', () => {
  const scanReq = (over: Partial<ScanRequest> = {}): ScanRequest => ({
    channels: [...CHANNELS_2G.slice(0, 3), CHANNELS_5G[0]!, CHANNELS_5G[2]!, CHANNELS_5G[3]!],
    ssids: [new Uint8Array(0)],
    ies: Uint8Array.of(1, 2, 0x8c, 0x98),
    dwellActiveMs: 120,
    dwellPassiveMs: 120,
    ...over,
  });

  it('hwScan finds a beaconing radio on another channel, sends probe requests, and returns to its channel', async () => {
    const { clock, medium } = world();
    const ap = await beaconingAp(medium, 1, chandef('5g', 44));
    const st = await radio(medium, 2, { chandef: chandef('2g', 6) });
    await st.r.hwScan(st.vif, scanReq());
    expect(st.r.isScanning).toBe(true);
    clock.runFor(1000);
    expect(st.hw.scans).toEqual([false]);
    const bs = beaconsFrom(st.hw.rxs, mac(1));
    expect(bs.length).toBeGreaterThanOrEqual(1);
    expect(st.hw.rxs.find((x) => x.frame[0] === 0x80)!.status).toMatchObject({ band: '5g', freq: 5220, channel: 44 });
    // The AP heard our probe request on its channel, with our SSID element and extra IEs.
    const probes = ap.hw.rxs.filter((x) => x.frame[0] === 0x40);
    expect(probes).toHaveLength(1);
    expect(probes[0]!.frame.subarray(10, 16)).toEqual(Buffer.from(mac(2)));
    expect([...probes[0]!.frame.subarray(24)]).toEqual([0, 0, 1, 2, 0x8c, 0x98]);
    expect(st.r.counters.probeRequests).toBe(6);
    expect(st.r.port.freq).toBe(2437);
    expect(st.r.isScanning).toBe(false);
  });

  it('passive scan (no SSIDs) and no-IR channels send no probe requests', async () => {
    const { clock, medium } = world();
    await beaconingAp(medium, 1, chandef('5g', 100));
    const st = await radio(medium, 2, { chandef: ch36 });
    await st.r.hwScan(st.vif, scanReq({ channels: [CHANNELS_5G.find((c) => c.channel === 100)!] }));
    clock.runFor(500);
    expect(st.r.counters.probeRequests).toBe(0);
    expect(beaconsFrom(st.hw.rxs, mac(1)).length).toBeGreaterThanOrEqual(1);
    expect(st.hw.scans).toEqual([false]);
  });

  it('cancelHwScan ends the scan as aborted; a second scan while one runs is refused', async () => {
    const { clock, medium } = world();
    const st = await radio(medium, 2, { chandef: ch36 });
    await st.r.hwScan(st.vif, scanReq());
    await expect(st.r.hwScan(st.vif, scanReq())).rejects.toThrow(/EBUSY/);
    clock.runFor(130);
    await st.r.cancelHwScan(st.vif);
    expect(st.hw.scans).toEqual([true]);
    expect(st.r.port.freq).toBe(5180);
    clock.runUntilIdle();
    expect(st.hw.scans).toEqual([true]);
  });

  it('data frames wait while the hardware scan is off-channel, then go out on the operating channel', async () => {
    const { clock, medium } = world();
    const st = await radio(medium, 2, { chandef: ch36 });
    const peer = await radio(medium, 3, { chandef: ch36 });
    await st.r.hwScan(st.vif, scanReq());
    clock.runFor(10);
    st.r.tx(SkBuff.fromBytes(dataFrame(mac(3), mac(2))), info(st.vif));
    clock.runFor(200);
    expect(peer.hw.rxs.filter((x) => x.frame[0] === 0x08)).toHaveLength(0);
    clock.runFor(1000);
    expect(peer.hw.rxs.filter((x) => x.frame[0] === 0x08)).toHaveLength(1);
    expect(st.hw.statuses[0]!.status.acked).toBe(true);
  });

  it('software scan: hwScan is refused and config() channel changes let mac80211 scan', async () => {
    const { clock, medium } = world();
    await beaconingAp(medium, 1, chandef('5g', 48));
    const st = await radio(medium, 2, { chandef: ch36, hwScan: false });
    await expect(st.r.hwScan(st.vif, scanReq())).rejects.toThrow(/software/);
    for (const c of [36, 40, 44, 48]) {
      await st.r.config({ chandef: chandef('5g', c) });
      clock.runFor(110);
    }
    expect(beaconsFrom(st.hw.rxs, mac(1)).map((x) => x.status.channel)).toEqual([48]);
  });
});

describe('HwsimRadio: property', () => {
  it('random bytes from the air and random TX never throw; every received frame is delivered or counted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 400 }), fc.boolean(), fc.boolean()), { maxLength: 40 }),
        fc.nat(),
        async (frames, seed) => {
          const { clock, medium } = world({ seed });
          const r = await radio(medium, 1, { chandef: ch36 });
          const mon = await radio(medium, 3, { chandef: ch36, type: 'monitor' });
          const raw = medium.attach(mac(2), { chandef: ch36 });
          medium.faults.add({ kind: 'corrupt', probability: 0.2 });
          for (const [f, toUs, fromRadio] of frames) {
            const g = Uint8Array.from(f);
            if (toUs && g.length >= 10) g.set(mac(1), 4);
            if (fromRadio) r.r.tx(SkBuff.fromBytes(g), info(r.vif, { sta: sta(mac(2)) }));
            else raw.transmit(g, { rate: { mode: 'ofdm', rate: 60, nss: 1, bw: 20, sgi: false } });
          }
          clock.runUntilIdle();
          const c = r.r.counters;
          // Station: each frame heard is delivered, filtered, or dropped for its FCS.
          expect(c.rxDelivered + c.rxFiltered + c.rxFcsErrors).toBe(r.r.port.counters.rxFrames);
          // Monitor: every frame heard comes up, bad FCS included.
          expect(mon.r.counters.rxDelivered).toBe(mon.r.port.counters.rxFrames);
          expect(mon.hw.rxs.filter((x) => x.status.fcsFailed)).toHaveLength(mon.r.counters.rxFcsErrors);
          expect(r.hw.statuses.length).toBe(c.txStatusReported);
          expect(c.txAcked + c.txFailed + c.txInvalid).toBe(frames.filter(([, , fr]) => fr).length);
        },
      ),
      { numRuns: 60 },
    );
  });
});
