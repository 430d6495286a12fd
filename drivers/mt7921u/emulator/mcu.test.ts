import { describe, expect, it } from 'vitest';
import { TestAir } from './radio.ts';
import {
  bootedHost,
  cat,
  le16,
  le32,
  legacyCommand,
  scanRequestPayload,
  type TestHost,
  tlv,
  u32,
  uniCommand,
} from './test-host.ts';

let seqNo = 0;
const nextSeq = () => (seqNo = (seqNo % 15) + 1);

async function ce(h: TestHost, cid: number, payload: Uint8Array = new Uint8Array(0), setQuery = 1) {
  const seq = nextSeq();
  await h.send(0x08, legacyCommand({ cid, ce: true, setQuery, seq, payload }));
  return h.event(seq, 200);
}

async function ext(h: TestHost, id: number, payload: Uint8Array) {
  const seq = nextSeq();
  await h.send(0x08, legacyCommand({ cid: 0, ext: id, seq, payload }));
  return h.event(seq, 200);
}

async function uni(h: TestHost, cid: number, payload: Uint8Array) {
  const seq = nextSeq();
  await h.send(0x08, uniCommand(cid, seq, payload));
  const ev = await h.event(seq, 200);
  return ev ? { cid: ev.data[36]!, status: le32(ev.data, 40), eid: ev.data[28]!, option: ev.data[30]! } : undefined;
}

const AP = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
const ME = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];

/** DEV_INFO (FACTS §6.5) */
const devInfo = (active: number) => cat(Uint8Array.of(0, 0, 0, 0), tlv(0, [active, 0, ...ME]));

/** BSS_INFO BASIC (32 bytes, FACTS §6.6) + optional RLM. */
function bssInfo(active: number, rlm?: { ch: number; band: number }): Uint8Array {
  const basic = new Uint8Array(28);
  basic[0] = active;
  basic.set(u32(0x10001), 4);
  basic.set(AP, 10);
  basic[16] = 16; // bmc_tx_wlan_idx
  basic[18] = 100;
  const parts = [Uint8Array.of(0, 0, 0, 0), tlv(0, basic)];
  if (rlm) parts.push(tlv(2, [rlm.ch, rlm.ch, 0, 0, 2, 3, 1, 0, 0, rlm.band, 0, 0]));
  return cat(...parts);
}

/** STA_REC header + TLVs (FACTS §6.7). */
function staRec(wcid: number, tlvs: Uint8Array[], tlvNum = tlvs.length): Uint8Array {
  return cat(Uint8Array.of(0, wcid & 0xff, tlvNum & 0xff, tlvNum >> 8, 1, 0, wcid >> 8, 0), ...tlvs);
}

function staBasic(connState: number, peer: number[]): Uint8Array {
  const b = new Uint8Array(16);
  b.set(u32(0x10002), 0);
  b[4] = connState;
  b[5] = 1;
  b.set(peer, 8);
  return tlv(0, b);
}

function keyV2(add: number, keyId: number, key: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 + 36);
  b[0] = add;
  b[1] = 1;
  b[4] = 5; // AES_CCMP
  b[5] = 36;
  b[6] = keyId;
  b[7] = key.length;
  b.set(key, 8);
  return tlv(17, b);
}

describe('the RAM firmware answers the station driver commands (FACTS.md §6, §8)', () => {
  it('GET_NIC_CAPAB: MAC address, PHY nss 2 hw_path 3, 6G, CHIP_CAP', async () => {
    const h = await bootedHost({ macAddress: Uint8Array.from(ME) });
    const ev = await ce(h, 0x8a);
    expect(ev?.ep).toBe(0x84);
    const d = ev!.data;
    const n = le16(d, 36);
    const tlvs = new Map<number, Uint8Array>();
    let o = 40;
    for (let i = 0; i < n; i++) {
      const len = le32(d, o + 4);
      tlvs.set(le32(d, o), d.slice(o + 8, o + 8 + len));
      o += 8 + len;
    }
    expect(o).toBe(ev!.len);
    expect([...tlvs.get(0x07)!]).toEqual(ME);
    const phy = tlvs.get(0x08)!;
    expect(phy.length).toBe(12);
    expect(phy[4]).toBe(2);
    expect(phy[10]).toBe(3);
    expect(tlvs.get(0x18)![0]).not.toBe(0);
    expect(tlvs.get(0x20)!.length).toBe(8);
  });

  it('REG_READ returns {reg, value}; REG_WRITE writes', async () => {
    const h = await bootedHost();
    await ce(h, 0xc0, u32(0x820c8000, 0x1234), 1);
    const ev = await ce(h, 0xc0, u32(0x820c8000, 0), 0);
    expect([le32(ev!.data, 36), le32(ev!.data, 40)]).toEqual([0x820c8000, 0x1234]);
    expect(await h.rr(0x820c8000)).toBe(0x1234);
  });

  it('EXT commands are answered with eid 0xED and their ext id; THERMAL_CTRL carries a temperature', async () => {
    const h = await bootedHost();
    for (const [id, p] of [
      [0x21, Uint8Array.of(0, 1, 0, 0)],
      [0x46, Uint8Array.of(1, 0, 0, 0)],
      [0x3e, u32(1, 0x92b, 2)],
    ] as const) {
      const ev = await ext(h, id, p);
      expect([ev?.data[28], ev?.data[32]]).toEqual([0xed, id]);
    }
    expect(h.emu.state.efuseBufferMode).toBe(true);
    expect(h.emu.state.macEnabled[0]).toBe(true);
    const t = await ext(h, 0x2c, new Uint8Array(8));
    expect(le32(t!.data, 40)).toBeGreaterThan(0);
  });

  it('SET_RX_PATH moves the radio to the channel; a CE reply never carries an unsolicited eid', async () => {
    const air = new TestAir(new (await import('../../../netstack/core/clock.ts')).VirtualClock());
    const radio = air.radio('chip');
    const h = await bootedHost({ radio });
    const chan = new Uint8Array(76);
    chan.set([36, 42, 2, 2, 3, 0, 0, 0], 0);
    chan[10] = 1; // channel_band: 5 GHz (offset 10 of the §6.4 layout)
    expect(await ext(h, 0x4e, chan)).toBeDefined();
    expect(radio.channel).toMatchObject({ band: '5g', number: 36, width: 80 });
    const dom = cat(Uint8Array.of(0x55, 0x53, 0, 0, 0, 3, 3, 0, 1, 0, 0, 0), Uint8Array.of(6, 0, 0, 0, 0, 0, 0, 0));
    const ev = await ce(h, 0x0f, dom);
    expect(ev?.data[28]).toBe(0x01);
    expect(h.emu.state.chanDomain).toEqual([{ band: '2g', number: 6, width: 20 }]);
    expect(h.emu.state.alpha2).toBe('US');
  });

  it('UNI DEV_INFO / BSS_INFO / STA_REC record the state and answer {cid, status 0}', async () => {
    const h = await bootedHost();
    expect(await uni(h, 0x01, devInfo(1))).toEqual({ cid: 1, status: 0, eid: 1, option: 2 });
    expect([...h.emu.state.vifs.get(0)!.addr]).toEqual(ME);
    expect((await uni(h, 0x02, bssInfo(1, { ch: 11, band: 0 })))?.status).toBe(0);
    const bss = h.emu.state.bsses.get(0)!;
    expect([...bss.bssid]).toEqual(AP);
    expect(bss.channel).toMatchObject({ band: '2g', number: 11 });
    expect(h.emu.mcu.radioChannel).toMatchObject({ band: '2g', number: 11 });
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    expect((await uni(h, 0x03, staRec(1, [staBasic(2, AP), keyV2(0, 0, key)])))?.status).toBe(0);
    const sta = h.emu.state.stas.get(1)!;
    expect([...sta.peer]).toEqual(AP);
    expect(sta.keys.get(0)).toMatchObject({ cipher: 5, keyId: 0, key });
    expect((await uni(h, 0x03, staRec(1, [tlv(17, [1, 0, 0, 0])])))?.status).toBe(0);
    expect(sta.keys.size).toBe(0);
    expect((await uni(h, 0x03, staRec(1, [staBasic(0, AP)])))?.status).toBe(0);
    expect(h.emu.state.stas.has(1)).toBe(false);
  });

  it('keeps its own copy of a command held in a Buffer the host reuses after the transfer', async () => {
    const h = await bootedHost();
    await uni(h, 0x01, devInfo(1));
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    const send = async (cid: number, payload: Uint8Array) => {
      const seq = nextSeq();
      // node-usb hands the chip a Buffer; Buffer#slice would be a view of it, not a copy.
      const xfer = Buffer.from(uniCommand(cid, seq, payload));
      await h.send(0x08, xfer);
      const ev = await h.event(seq, 200);
      xfer.fill(0xee); // the host's next command goes into the same buffer
      return ev;
    };
    expect(le32((await send(0x02, bssInfo(1, { ch: 11, band: 0 })))!.data, 40)).toBe(0);
    expect(le32((await send(0x03, staRec(1, [staBasic(2, AP), keyV2(0, 0, key)])))!.data, 40)).toBe(0);
    expect([...h.emu.state.bsses.get(0)!.bssid]).toEqual(AP);
    const sta = h.emu.state.stas.get(1)!;
    expect([...sta.peer]).toEqual(AP);
    expect([...sta.keys.get(0)!.key]).toEqual([...key]);
  });

  it('malformed UNI records are refused with 0xc0000001 and change nothing', async () => {
    const h = await bootedHost();
    expect((await uni(h, 0x03, staRec(1, [staBasic(2, AP)], 2)))?.status).toBe(0xc0000001);
    expect((await uni(h, 0x03, staRec(1, [tlv(0, [1, 2])])))?.status).toBe(0xc0000001);
    expect((await uni(h, 0x02, cat(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(0, 0, 99, 0))))?.status).toBe(0xc0000001);
    expect((await uni(h, 0x02, bssInfo(0)))?.status).toBe(0xc0000001); // deactivating an unknown BSS
    expect(h.emu.state.stas.size).toBe(0);
    expect((await uni(h, 0x7f, u32(0)))?.status).toBe(0xc0000001);
    expect(h.emu.counters.mcuUnknown).toBe(1);
  });

  it('unknown CE/EXT ids, malformed descriptors and download commands get silence and are counted', async () => {
    const h = await bootedHost();
    const c = h.emu.counters;
    const before = { unknown: c.mcuUnknown, malformed: c.mcuMalformed, wrong: c.mcuWrongStage };
    expect(await ce(h, 0x77)).toBeUndefined();
    expect(await ext(h, 0x99, u32(0))).toBeUndefined();
    const bad = legacyCommand({ cid: 0x8a, ce: true, seq: 9 });
    bad[4 + 37] = 0x55;
    await h.send(0x08, bad);
    expect(await h.event(9, 100)).toBeUndefined();
    await h.send(0x08, legacyCommand({ cid: 0x10, seq: 10, payload: u32(1) }));
    expect(await h.event(10, 100)).toBeUndefined();
    expect(c.mcuUnknown - before.unknown).toBe(2);
    expect(c.mcuMalformed - before.malformed).toBe(1);
    expect(c.mcuWrongStage - before.wrong).toBe(1);
    expect(c.drops['txd-pkt-type']).toBe(1);
    expect(await ce(h, 0xc0, u32(0x70010200, 0), 0)).toBeDefined(); // still answering
  });

  it('ROC acquire: result, then a grant event (eid 0x27, option BIT2) within 1 s on the channel; abort returns home', async () => {
    const h = await bootedHost();
    await uni(h, 0x01, devInfo(1));
    await uni(h, 0x02, bssInfo(1, { ch: 1, band: 0 }));
    const acq = new Uint8Array(20);
    acq.set([0, 7, 44, 0, 2, 0, 44, 0], 0);
    acq[11] = 1; // ROC
    acq.set(u32(500), 12);
    acq[16] = 0xff;
    const t0 = h.clock.now();
    expect((await uni(h, 0x27, cat(u32(0), tlv(0, acq))))?.status).toBe(0);
    const grant = await h.take((r) => r.type === 7 && r.data[28] === 0x27, 1000);
    expect(grant).toBeDefined();
    expect(h.clock.now() - t0).toBeLessThan(1000);
    const g = grant!.data;
    expect(g[30]! & 0x04).toBe(4);
    expect([le16(g, 40), g[44], g[45], g[46], g[47], g[49]]).toEqual([0, 0, 7, 0, 44, 2]);
    expect(le32(g, 56)).toBe(500);
    expect(h.emu.mcu.radioChannel).toMatchObject({ band: '5g', number: 44 });
    await uni(h, 0x27, cat(u32(0), tlv(1, [0, 7, 0xff, 0, 0, 0, 0, 0])));
    expect(h.emu.mcu.radioChannel).toMatchObject({ band: '2g', number: 1 });
  });
});

describe('hardware scan (FACTS.md §6.11)', () => {
  it('visits the listed channels, probes, reports beacons as RX frames and ends with SCAN_DONE', async () => {
    const { VirtualClock } = await import('../../../netstack/core/clock.ts');
    const clock = new VirtualClock();
    const air = new TestAir(clock);
    const chip = air.radio('chip');
    const ap = air.radio('ap');
    ap.tune({ band: '2g', number: 6 });
    // The AP answers probe requests and beacons every 102.4 ms.
    const beacon = (sub: number) => {
      const f = new Uint8Array(24 + 12 + 2 + 4);
      f[0] = sub << 4;
      f.fill(0xff, 4, 10);
      f.set(AP, 10);
      f.set(AP, 16);
      f[36] = 0;
      f[37] = 4;
      f.set([0x74, 0x65, 0x73, 0x74], 38);
      return f;
    };
    ap.setReceiver((f) => {
      if (f[0] === 0x40) ap.transmit(beacon(5), { mode: 'cck', mbps: 1 }, { noAck: true, retryLimit: 0 }, () => {});
      return false;
    });
    const tick = () => {
      ap.transmit(beacon(8), { mode: 'cck', mbps: 1 }, { noAck: true, retryLimit: 0 }, () => {});
      clock.setTimeout(tick, 102.4);
    };
    clock.setTimeout(tick, 5);
    const h = await bootedHost({ radio: chip }, clock);
    await ext(h, 0x46, Uint8Array.of(1, 0, 0, 0));
    expect(await ce(h, 0x03, scanRequestPayload())).toBeDefined();
    const done = await h.take((r) => r.type === 7 && r.data[28] === 0x0d, 2000);
    expect(done).toBeDefined();
    const d = done!.data;
    expect(d[29]).toBe(0);
    expect(done!.len).toBe(36 + 476);
    expect(d[36]).toBe(3);
    expect(d[36 + 4]).toBe(3); // complete_channel_num
    expect([d[36 + 20], d[36 + 21], d[36 + 22]]).toEqual([1, 6, 36]);
    expect(d[36 + 212 + 1]).toBeGreaterThan(0); // probe responses / beacons heard on channel 6
    const frames = h.received.filter((r) => r.type === 2);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((r) => ((le32(r.data, 12) >>> 8) & 0xff) === 6)).toBe(true);
    expect(h.emu.counters.scanProbes).toBe(3 * 2);
    expect(chip.sent.filter((s) => s.frame[0] === 0x40).map((s) => s.channel.number)).toEqual([1, 1, 6, 6, 36, 36]);
    expect(h.emu.mcu.radioChannel).toMatchObject({ band: '2g', number: 1 });
  });

  it('refuses a short scan request and lets a cancel stop the scan without SCAN_DONE', async () => {
    const h = await bootedHost();
    expect(await ce(h, 0x03, new Uint8Array(100))).toBeUndefined();
    expect(h.emu.counters.drops['scan-req-short']).toBe(1);
    const req = new Uint8Array(1186);
    req[158] = 0; // all channels
    await ce(h, 0x03, req);
    expect(h.emu.mcu.scan.running).toBe(true);
    await ce(h, 0x1b, u32(0));
    expect(h.emu.mcu.scan.running).toBe(false);
    expect(await h.take((r) => r.type === 7 && r.data[28] === 0x0d, 3000)).toBeUndefined();
  });
});
