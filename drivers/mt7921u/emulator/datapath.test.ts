import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../netstack/core/clock.ts';
import { ccmpDecrypt, ccmpEncrypt, readCcmpPn, writeCcmpHeader } from './ccmp.ts';
import { type RadioRate, TestAir, type TestRadio } from './radio.ts';
import {
  bootedHost,
  cat,
  le32,
  legacyCommand,
  type Received,
  type TestHost,
  tlv,
  u32,
  uniCommand,
  usbFrame,
} from './test-host.ts';

const AP = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);
const ME = Uint8Array.of(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
const OTHER = Uint8Array.of(0x02, 0x99, 0x99, 0x99, 0x99, 0x99);
const PTK = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
const GTK = Uint8Array.from({ length: 16 }, (_, i) => 0x80 + i);

let seq = 0;
async function uni(h: TestHost, cid: number, payload: Uint8Array): Promise<number> {
  seq = (seq % 15) + 1;
  await h.send(0x08, uniCommand(cid, seq, payload));
  const ev = await h.event(seq, 100);
  return ev ? le32(ev.data, 40) : -1;
}

function key(keyId: number, k: Uint8Array, cipher = 5): Uint8Array {
  const b = new Uint8Array(40);
  b.set([0, 1, 0, 0, cipher, 36, keyId, 16], 0);
  b.set(k, 8);
  return tlv(17, b);
}

function staBasic(peer: Uint8Array, qos = 1): Uint8Array {
  const b = new Uint8Array(16);
  b.set(u32(0x10002), 0);
  b[4] = 2;
  b[5] = qos;
  b.set(peer, 8);
  return tlv(0, b);
}

const staRec = (wcid: number, ...tlvs: Uint8Array[]) =>
  cat(Uint8Array.of(0, wcid, tlvs.length, 0, 1, 0, 0, 0), ...tlvs);

/** Associated station on channel 6: vif 0 (ME), BSS 0 (AP), AP = wcid 1 with a pairwise key, group key on wcid 16. */
async function associated(): Promise<{
  h: TestHost;
  air: TestAir;
  chip: TestRadio;
  ap: TestRadio;
  clock: VirtualClock;
}> {
  const clock = new VirtualClock();
  const air = new TestAir(clock);
  const chip = air.radio('chip');
  const ap = air.radio('ap');
  ap.tune({ band: '2g', number: 6 });
  const h = await bootedHost({ radio: chip, macAddress: ME }, clock);
  seq = 0;
  expect(await uni(h, 0x01, cat(u32(0), tlv(0, [1, 0, ...ME])))).toBe(0);
  const basic = new Uint8Array(28);
  basic[0] = 1;
  basic.set(u32(0x10001), 4);
  basic.set(AP, 10);
  basic[16] = 16;
  expect(await uni(h, 0x02, cat(u32(0), tlv(0, basic), tlv(2, [6, 6, 0, 0, 2, 3, 1, 0, 0, 0, 0, 0])))).toBe(0);
  expect(await uni(h, 0x03, staRec(1, staBasic(AP), key(0, PTK)))).toBe(0);
  expect(await uni(h, 0x03, staRec(16, key(1, GTK)))).toBe(0);
  seq = (seq % 15) + 1;
  await h.send(0x08, legacyCommand({ cid: 0, ext: 0x46, seq, payload: Uint8Array.of(1, 0, 0, 0) }));
  await h.event(seq, 100);
  return { h, air, chip, ap, clock };
}

/** A data frame from the AP (FromDS). QoS data when tid is given. */
function fromAp(da: Uint8Array, body: Uint8Array, tid?: number): Uint8Array {
  const hl = tid === undefined ? 24 : 26;
  const f = new Uint8Array(hl + body.length);
  f[0] = tid === undefined ? 0x08 : 0x88;
  f[1] = 0x02; // FromDS
  f.set(da, 4);
  f.set(AP, 10);
  f.set(AP, 16);
  f[22] = 0x10;
  if (tid !== undefined) f[24] = tid;
  f.set(body, hl);
  return f;
}

function protect(f: Uint8Array, hl: number, k: Uint8Array, keyId: number, pn: number): Uint8Array {
  const out = new Uint8Array(f.length + 16);
  out.set(f.subarray(0, hl));
  out[1] = out[1]! | 0x40;
  writeCcmpHeader(out, hl, pn, keyId);
  out.set(ccmpEncrypt(k, out, hl, pn, f.subarray(hl)), hl + 8);
  return out;
}

/** One try, ACK expected (the test looks at the acknowledgement itself). */
const ONCE = { noAck: false, retryLimit: 0 };

const payload = Uint8Array.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, ...Array.from({ length: 40 }, (_, i) => i)]);

async function sendAir(t: { ap: TestRadio; h: TestHost }, f: Uint8Array, rate: RadioRate = { mode: 'ofdm', mbps: 24 }) {
  let acked: boolean | null = null;
  t.ap.transmit(f, rate, ONCE, (a) => (acked = a));
  const got = await t.h.take((r) => r.type === 2, 50);
  await t.h.until(() => acked !== null, 50);
  return { got, acked };
}

/** RXD fields (FACTS.md §7.3). */
function rxd(r: Received) {
  const d = r.data;
  const dw1 = le32(d, 4);
  const dw2 = le32(d, 8);
  const dw3 = le32(d, 12);
  const g1 = (dw1 >> 11) & 1;
  const g2 = (dw1 >> 12) & 1;
  const g3 = (dw1 >> 13) & 1;
  const g4 = (dw1 >> 14) & 1;
  const g5 = (dw1 >> 15) & 1;
  let o = 24 + g4 * 16 + g1 * 16 + g2 * 8;
  const prxv0 = g3 ? le32(d, o) : 0;
  const rcpi0 = g3 ? d[o + 4]! : 0;
  o += g3 * 8 + g5 * 72;
  const pnOff = 24 + g4 * 16;
  const pn = g1 ? Number(new DataView(d.buffer, d.byteOffset).getBigUint64(pnOff, true) & 0xffffffffffffn) : -1;
  const hdrOffset = (dw2 >> 14) & 3;
  return {
    len: r.len,
    wcid: dw1 & 0x3ff,
    groups: [g1, g2, g3, g4, g5],
    secMode: (dw1 >> 16) & 0x1f,
    keyId: (dw1 >> 21) & 3,
    cm: (dw1 >> 23) & 1,
    clm: (dw1 >> 24) & 1,
    icv: (dw1 >> 25) & 1,
    secDone: dw1 >>> 31,
    hdrLen: ((dw2 >> 8) & 0x1f) * 2,
    hdrTrans: (dw2 >> 13) & 1,
    hdrOffset,
    chFreq: (dw3 >> 8) & 0xff,
    addrType: (dw3 >> 16) & 3,
    rate: prxv0 & 0x7f,
    nsts: (prxv0 >> 7) & 7,
    txMode: (prxv0 >> 24) & 0xf,
    dbm: (rcpi0 - 220) / 2,
    pn,
    frame: d.slice(o + 2 * hdrOffset, r.len),
  };
}

describe('RX: frames heard on the air reach the host as RXD type 2 (FACTS.md §7.3)', () => {
  let t: Awaited<ReturnType<typeof associated>>;
  beforeEach(async () => {
    t = await associated();
  });

  it('a unicast data frame: length, WLAN_IDX, groups, channel, RCPI, rate; acknowledged', async () => {
    const f = fromAp(ME, payload);
    const { got, acked } = await sendAir(t, f);
    expect(acked).toBe(true);
    expect(got?.ep).toBe(0x84);
    const x = rxd(got!);
    expect(x.len).toBe(24 + 8 + 8 + f.length);
    expect(got!.data.length - x.len).toBeGreaterThanOrEqual(4);
    expect(x).toMatchObject({ wcid: 1, groups: [0, 1, 1, 0, 0], secMode: 0, secDone: 0, hdrLen: 24, hdrOffset: 0 });
    expect(x).toMatchObject({ chFreq: 6, addrType: 1, txMode: 1, rate: 9, dbm: -50 });
    expect(x.frame).toEqual(f);
  });

  it('a QoS data header (26 bytes) gets HDR_OFFSET 1; an HT frame reports mode 2 and its MCS', async () => {
    const f = fromAp(ME, payload, 5);
    const { got } = await sendAir(t, f, { mode: 'ht', mcs: 12, nss: 2, width: 20 });
    const x = rxd(got!);
    expect([x.hdrLen, x.hdrOffset, x.txMode, x.rate, x.nsts]).toEqual([26, 1, 2, 12, 1]);
    expect(x.frame).toEqual(f);
    expect(x.len).toBe(24 + 16 + 2 + f.length);
  });

  it('CCMP with the installed pairwise key: decrypted, IV/MIC stripped, SEC_MODE 4, SEC_DONE, PN in group 1', async () => {
    const f = fromAp(ME, payload);
    const { got } = await sendAir(t, protect(f, 24, PTK, 0, 77));
    const x = rxd(got!);
    expect(x).toMatchObject({
      secMode: 4,
      secDone: 1,
      icv: 0,
      cm: 0,
      clm: 0,
      keyId: 0,
      pn: 77,
      groups: [1, 1, 1, 0, 0],
    });
    expect(x.frame.subarray(24)).toEqual(payload);
    expect(x.frame[1]! & 0x40).toBe(0x40);
    expect(t.h.emu.counters.rxDecrypted).toBe(1);
  });

  it('a MIC failure is flagged as ICV error and not marked decrypted', async () => {
    const p = protect(fromAp(ME, payload), 24, PTK, 0, 78);
    p[40] = p[40]! ^ 0xff;
    const x = rxd((await sendAir(t, p)).got!);
    expect(x).toMatchObject({ secMode: 4, icv: 1, secDone: 0 });
    expect(t.h.emu.counters.rxIcvErrors).toBe(1);
  });

  it('group-addressed frames use the group key installed on the BSS wcid', async () => {
    const f = fromAp(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), payload);
    const x = rxd((await sendAir(t, protect(f, 24, GTK, 1, 5))).got!);
    expect(x).toMatchObject({ secMode: 4, secDone: 1, keyId: 1, addrType: 3 });
    expect(x.frame.subarray(24)).toEqual(payload);
  });

  it('a protected frame without a matching key arrives untouched (SEC_MODE 0) for software decryption', async () => {
    const f = protect(fromAp(ME, payload), 24, PTK, 2, 9);
    const x = rxd((await sendAir(t, f)).got!);
    expect(x).toMatchObject({ secMode: 0, secDone: 0 });
    expect(x.frame).toEqual(f);
  });

  it('a key of a cipher the engine does not do (GCMP) gives SEC_MODE 11 with CM, undecrypted', async () => {
    expect(await uni(t.h, 0x03, staRec(1, key(2, PTK, 7)))).toBe(0);
    const f = protect(fromAp(ME, payload), 24, PTK, 2, 9);
    const x = rxd((await sendAir(t, f)).got!);
    expect(x).toMatchObject({ secMode: 11, cm: 1, secDone: 0, keyId: 2 });
    expect(x.frame).toEqual(f);
  });

  it('unicast frames for someone else are filtered and not acknowledged', async () => {
    const { got, acked } = await sendAir(t, fromAp(OTHER, payload));
    expect(got).toBeUndefined();
    expect(acked).toBe(false);
    expect(t.h.emu.counters.rxFiltered).toBe(1);
  });

  it('6 GHz channels are reported with the (ch − 1) / 4 + 181 rule', async () => {
    const ch = { band: '6g' as const, number: 37 };
    t.chip.tune(ch);
    t.ap.tune(ch);
    const x = rxd((await sendAir(t, fromAp(ME, payload))).got!);
    expect(x.chFreq).toBe(190);
    expect((x.chFreq - 181) * 4 + 1).toBe(37);
  });

  it('header translation per station when the WTBL and MDP enable it', async () => {
    await t.h.wr(0x820cd000, 1 << 19);
    const wtbl = cat(Uint8Array.of(1, 2, 1, 0, 0, 0, 0, 0), tlv(6, [1, 0, 0, 0]));
    expect(await uni(t.h, 0x03, staRec(1, tlv(13, wtbl)))).toBe(0);
    const x = rxd((await sendAir(t, fromAp(ME, payload, 3))).got!);
    expect([x.hdrTrans, x.groups[3]]).toEqual([1, 1]);
    expect(x.frame.subarray(0, 6)).toEqual(ME);
    expect(x.frame.subarray(6, 12)).toEqual(AP);
    expect([x.frame[12], x.frame[13]]).toEqual([0x08, 0x00]);
    expect(x.frame.subarray(14)).toEqual(payload.subarray(8));
  });
});

/** TX descriptor (FACTS.md §7.1) + frame, USB-framed. */
function txd(frame: Uint8Array, o: { q: number; wcid: number; pid?: number; protect?: boolean; hdrFormat?: number }) {
  const body = new Uint8Array(64 + frame.length);
  const dv = new DataView(body.buffer);
  const hdrFormat = o.hdrFormat ?? 2;
  dv.setUint32(0, (body.length | (1 << 23) | (o.q << 25)) >>> 0, true);
  const hl = frame[0] === 0x88 ? 26 : 24;
  dv.setUint32(4, (o.wcid | (hdrFormat === 2 ? (hl / 2) << 11 : 0) | (hdrFormat << 16) | (1 << 31)) >>> 0, true);
  dv.setUint32(8, (((frame[0]! >> 2) & 3) << 4) | ((frame[0]! >> 4) & 0xf), true);
  dv.setUint32(12, (15 << 11) | (o.protect ? 2 : 0), true);
  if (o.pid !== undefined) dv.setUint32(20, o.pid | (1 << 10), true);
  body.set(frame, 64);
  return usbFrame(body);
}

function toAp(body: Uint8Array, qos = false): Uint8Array {
  const hl = qos ? 26 : 24;
  const f = new Uint8Array(hl + body.length);
  f[0] = qos ? 0x88 : 0x08;
  f[1] = 0x01; // ToDS
  f.set(AP, 4);
  f.set(ME, 10);
  f.set(AP, 16);
  f.set(body, hl);
  return f;
}

describe('TX: frames from the host go on the air; TX status comes back as type 0 (FACTS.md §7.1, §7.2)', () => {
  let t: Awaited<ReturnType<typeof associated>>;
  const heard: Uint8Array[] = [];
  beforeEach(async () => {
    t = await associated();
    heard.length = 0;
    t.ap.setReceiver((f) => {
      heard.push(f.slice());
      return f[4] === AP[0] && f[9] === AP[5];
    });
  });

  const txs = async () => {
    const r = await t.h.take((x) => x.type === 0, 50);
    if (!r) return undefined;
    const d = r.data;
    const dw0 = le32(d, 8);
    return { len: r.len, acked: ((dw0 >> 16) & 7) === 0, wcid: (le32(d, 16) >> 16) & 0x3ff, pid: le32(d, 20) >>> 24 };
  };

  it('sends a data frame and reports an acknowledged TXS for PID ≥ 3', async () => {
    const f = toAp(payload);
    await t.h.send(0x04, txd(f, { q: 1, wcid: 1, pid: 5 }));
    const s = await txs();
    expect(heard).toEqual([f]);
    expect(s).toEqual({ len: 40, acked: true, wcid: 1, pid: 5 });
    expect(t.h.emu.counters.txQueueMismatch).toBe(0);
  });

  it('reports ACK_TIMEOUT when nobody acknowledges; no TXS without TX_STATUS_HOST', async () => {
    const f = toAp(payload);
    f.set(OTHER, 4);
    await t.h.send(0x04, txd(f, { q: 1, wcid: 0, pid: 9 }));
    expect(await txs()).toMatchObject({ acked: false, pid: 9 });
    // REM_TX_COUNT 15: the MAC tried 15 times, retransmissions with the Retry bit.
    expect(heard.length).toBe(15);
    expect(heard.slice(1).every((x) => (x[1]! & 0x08) !== 0)).toBe(true);
    expect(heard[0]![1]! & 0x08).toBe(0);
    expect(t.h.emu.counters.txRetries).toBe(14);
    await t.h.send(0x04, txd(toAp(payload), { q: 1, wcid: 1 }));
    expect(await txs()).toBeUndefined();
    expect(heard.length).toBe(16);
  });

  it('retransmits until acknowledged: lost frames are retried and the TXS says acked', async () => {
    let drop = 3;
    t.ap.setReceiver((f) => {
      heard.push(f.slice());
      return drop-- <= 0;
    });
    await t.h.send(0x04, txd(toAp(payload), { q: 1, wcid: 1, pid: 4 }));
    expect(await txs()).toMatchObject({ acked: true, pid: 4 });
    expect(heard.length).toBe(4);
  });

  it('encrypts with CCMP when PROTECT_FRAME is set; the PN advances', async () => {
    const f = toAp(payload, true);
    await t.h.send(0x04, txd(f, { q: 1, wcid: 1, protect: true }));
    await t.h.send(0x04, txd(f, { q: 1, wcid: 1, protect: true }));
    await t.h.until(() => heard.length === 2, 50);
    for (const [i, e] of heard.entries()) {
      expect(e[1]! & 0x40).toBe(0x40);
      const pn = readCcmpPn(e, 26);
      expect(pn).toBe(i + 1);
      expect(ccmpDecrypt(PTK, e, 26, pn, e.subarray(34))).toEqual(Buffer.from(payload));
    }
  });

  it('counts a queue that does not belong on its endpoint, and drops malformed descriptors', async () => {
    await t.h.send(0x04, txd(toAp(payload), { q: 3, wcid: 1 }));
    expect(t.h.emu.counters.txQueueMismatch).toBe(1);
    const bad = txd(toAp(payload), { q: 1, wcid: 1 });
    bad[4] = bad[4]! + 1; // TX_BYTES wrong
    await t.h.send(0x04, bad);
    await t.h.send(0x09, usbFrame(new Uint8Array(30)));
    await t.h.advance(5);
    expect(heard.length).toBe(1);
    expect(t.h.emu.counters.drops['tx-txd-bytes']).toBe(1);
    expect(t.h.emu.counters.drops['tx-short']).toBe(1);
  });

  it('encapsulates 802.3 frames (HDR_FORMAT 0) into QoS data to the AP', async () => {
    const eth = cat(OTHER, ME, Uint8Array.of(0x08, 0x00), payload.subarray(8));
    await t.h.send(0x04, txd(eth, { q: 1, wcid: 1, hdrFormat: 0 }));
    await t.h.until(() => heard.length === 1, 50);
    const f = heard[0]!;
    expect([f[0], f[1]]).toEqual([0x88, 0x01]);
    expect(f.subarray(4, 10)).toEqual(AP);
    expect(f.subarray(10, 16)).toEqual(ME);
    expect(f.subarray(16, 22)).toEqual(OTHER);
    expect(f.subarray(26)).toEqual(payload);
  });
});

describe('random frames on the air', () => {
  it('never throw and never stop reception', async () => {
    const t = await associated();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 120 }),
        fc.boolean(),
        fc.boolean(),
        async (junk, toMe, prot) => {
          const f = junk.slice();
          if (f.length >= 10 && toMe) f.set(ME, 4);
          if (f.length >= 2 && prot) f[1] = f[1]! | 0x40;
          t.ap.transmit(f, { mode: 'ofdm', mbps: 6 }, ONCE, () => {});
          await t.h.advance(1);
        },
      ),
      { numRuns: 300 },
    );
    t.h.received.length = 0;
    const { got } = await sendAir(t, protect(fromAp(ME, payload), 24, PTK, 0, 1000));
    expect(rxd(got!)).toMatchObject({ secDone: 1 });
  });
});

describe('beacon loss (FACTS.md §6.6 BCNFT, §6.12 event 0x13)', () => {
  it('is reported once the AP stops beaconing while the beacon filter is on', async () => {
    const t = await associated();
    const beacon = new Uint8Array(36);
    beacon[0] = 0x80;
    beacon.fill(0xff, 4, 10);
    beacon.set(AP, 10);
    beacon.set(AP, 16);
    let on = true;
    const tick = () => {
      if (!on) return;
      t.ap.transmit(beacon, { mode: 'cck', mbps: 1 }, ONCE, () => {});
      t.clock.setTimeout(tick, 102.4);
    };
    tick();
    expect(await uni(t.h, 0x02, cat(u32(0), tlv(22, [100, 0, 1, 0])))).toBe(0);
    const lost = () => t.h.received.some((r) => r.type === 7 && r.data[28] === 0x13);
    expect(await t.h.until(lost, 3000)).toBe(false);
    on = false;
    const off = t.clock.now();
    expect(await t.h.until(lost, 3000)).toBe(true);
    const ev = t.h.received.find((r) => r.type === 7 && r.data[28] === 0x13)!;
    expect([ev.data[29], ev.data[36]]).toEqual([0, 0]);
    expect(t.clock.now() - off).toBeGreaterThan(102.4);
    expect(t.h.emu.counters.beaconLoss).toBe(1);
  });
});
