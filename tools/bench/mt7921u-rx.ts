/**
 * mt7921u-rx: received frames per second through the whole MT7921U receive path, one core, 1,500-byte IP packets
 * (UDP, 1,472 bytes of payload) in QoS data frames from the AP:
 *
 *   the emulated chip (air → RXD type 2 packet on bulk IN 0x84; hardware CCMP when keyed) → bulk-IN completion
 *   (the "interrupt") → RX ring → napi_schedule → net_rx_action (weight 64) → RXD parse (mt7921_mac_fill_rx) →
 *   Mt7921uHw's RX status → ieee80211_rx (peer, duplicates, replay check, data_to_8023) → netif_receive_skb →
 *   IPv4 (checksum) → UDP (checksum, socket lookup) → the socket's receive queue → recvInto.
 *
 * The host's own receive path is measured without the emulator's cost: the bulk-IN transfers the emulated chip
 * produced for the frames are recorded once, then fed to the driver again as completions of its reads (each into
 * a fresh buffer, as libusb hands over a new one per read). Figures per mode: that path to the UDP socket; the
 * driver alone (ending at Mt7921uHw's rx callback, the skb freed); and the whole emulated path with the chip doing
 * its work live (air → RXD, hardware CCMP in JavaScript).
 *
 * Rates are frames per CPU second of this process (user + system): the machine these run on is shared, and wall
 * time there measures the neighbours as much as the code; the wall-time rate is in the notes.
 *
 * Modes: an open network, and WPA2 with the pairwise key in the chip (the emulator decrypts; mac80211 checks the
 * PN the RXD reports). The emulated bus runs on a virtual clock.
 */
import type { Mt7921uDevice } from '../../drivers/mt7921u/device.ts';
import { EmulatedMt7921u, TestAir, type TestRadio } from '../../drivers/mt7921u/emulator/index.ts';
import { Mt7921uHw } from '../../drivers/mt7921u/ops.ts';
import type { ControlSetup, UsbTransport } from '../../drivers/mt7921u/transport.ts';
import { createMt7921uDevice } from '../../drivers/mt7921u/usb-bus.ts';
import { buildPatch, buildRamCode, parsePatch, parseRamCode } from '../../firmware/index.ts';
import { macFromString } from '../../mac80211/addr.ts';
import { type ChanDef, channelToFreq, type Ieee80211HwCallbacks, StaState } from '../../mac80211/driver-ops.ts';
import { buildData } from '../../mac80211/frame/build.ts';
import { encodeFrame } from '../../mac80211/frame/frame.ts';
import type { Ieee80211Key } from '../../mac80211/key.ts';
import { Ieee80211Local } from '../../mac80211/local.ts';
import { CcmpKey, ccmpEncryptMpdu } from '../../mac80211/rsn/ccmp.ts';
import type { StaInfo } from '../../mac80211/sta-info.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { parseIpv4 } from '../../netstack/inet/addr.ts';
import { buildIpv4Packet } from '../../netstack/ipv4/header.ts';
import { Stack } from '../../netstack/stack.ts';
import { encodeUdp } from '../../netstack/udp/header.ts';
import { type Benchmark, type BenchResult, type Figure, median } from './framework.ts';

const AP = macFromString('02:00:00:00:0a:00');
const TK = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const IP_LEN = 1500;
/** Distinct frames (sequence numbers and PNs); the receive state is reset when they wrap. */
const N = 4096;
/** Frames handed over before the clock runs: within the chip's IN FIFO (256) and the driver's 16 reads. */
const BATCH = 64;
const EP_PKT_RX = 0x84;

type Mode = 'open' | 'hw-ccmp';

/**
 * The emulator as the driver sees it, with bulk IN on 0x84 switchable: live (the emulator), recording (live, and
 * the data frames' transfers kept), or replaying the recorded transfers as completions of the driver's reads.
 */
class RxTap implements UsbTransport {
  mode: 'live' | 'record' | 'replay' = 'live';
  readonly recorded: Uint8Array[] = [];
  private next = 0;
  private readonly reads: Array<(d: Uint8Array) => void> = [];
  private ready = 0;
  /** Called when the replay wraps around the recording. */
  onWrap: () => void = () => {};

  constructor(readonly emu: EmulatedMt7921u) {}
  get info() {
    return this.emu.info;
  }
  get endpoints() {
    return this.emu.endpoints;
  }
  get removed() {
    return this.emu.removed;
  }
  controlIn(s: ControlSetup, n: number, t?: number) {
    return this.emu.controlIn(s, n, t);
  }
  controlOut(s: ControlSetup, d: Uint8Array | null, t?: number) {
    return this.emu.controlOut(s, d, t);
  }
  bulkOut(ep: number, d: Uint8Array, t?: number) {
    return this.emu.bulkOut(ep, d, t);
  }
  bulkIn(ep: number, len: number, t?: number): Promise<Uint8Array> {
    if (ep !== EP_PKT_RX || this.mode === 'live') return this.emu.bulkIn(ep, len, t);
    if (this.mode === 'record') {
      return this.emu.bulkIn(ep, len, t).then((d) => {
        if (d.length >= 4 && d[3]! >>> 3 === 2) this.recorded.push(Uint8Array.from(d)); // RXD pkt type 2: a frame
        return d;
      });
    }
    return new Promise((resolve) => {
      this.reads.push(resolve);
      this.deliver();
    });
  }
  cancelIn(ep?: number) {
    this.emu.cancelIn(ep);
  }
  reset() {
    return this.emu.reset();
  }
  close() {
    return this.emu.close();
  }
  onRemoved(l: Parameters<UsbTransport['onRemoved']>[0]) {
    return this.emu.onRemoved(l);
  }
  /** Start the recording over; forget reads the driver no longer waits for (after mt76u_stop_rx). */
  restart(): void {
    this.next = 0;
    this.ready = 0;
    this.reads.length = 0;
  }
  /** Let `n` more recorded transfers complete (each into a fresh buffer, as a new libusb read would). */
  release(n: number): void {
    this.ready += n;
    this.deliver();
  }
  private deliver(): void {
    while (this.ready > 0 && this.reads.length > 0) {
      if (this.next === this.recorded.length) {
        this.next = 0;
        this.onWrap();
      }
      const rec = this.recorded[this.next++]!;
      const buf = Buffer.allocUnsafe(rec.length);
      buf.set(rec);
      this.ready--;
      this.reads.shift()!(buf);
    }
  }
}

interface Rig {
  clock: VirtualClock;
  tap: RxTap;
  device: Mt7921uDevice;
  radio: TestRadio;
  frames: Uint8Array[];
  /** Where Mt7921uHw's received frames go: mac80211 and the stack (full path) or a sink (driver only). */
  setFull(full: boolean): void;
  /** Frames the path delivered so far (datagrams read, or frames at the sink). */
  received(): number;
  /** Reset the receive state that a second pass over the same frames would trip (duplicates, PN replay), and
   * start the frames over. */
  rewind(): void;
  /** Hand `k` more frames to the chip's antenna, in order; rewinds when they wrap. */
  feedAir(k: number): void;
}

async function settle<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.finally(() => (done = true)).catch(() => {});
  await clock.runAsync({ until: () => done, maxTime: clock.now() + 60_000 });
  return p;
}

async function rig(mode: Mode): Promise<Rig> {
  const clock = new VirtualClock();
  const air = new TestAir(clock);
  const radio = air.radio('chip');
  radio.keepSent = false;
  const patch = buildPatch();
  const ram = buildRamCode();
  const tap = new RxTap(new EmulatedMt7921u({ clock, seed: 1, radio, firmware: { patch, ram } }));
  const stack = new Stack({ clock, name: 'sta' });
  const { device } = createMt7921uDevice({
    transport: tap,
    clock,
    core: stack.core, // the driver's NAPI runs in the stack's softirq
    firmware: { patch: parsePatch(patch), ram: parseRamCode(ram) },
  });
  await settle(clock, device.probe());
  const hw = new Mt7921uHw(device);
  const local = new Ieee80211Local(hw, clock);
  // Mt7921uHw's callbacks: mac80211's, with rx switchable to a sink for the driver-only figure.
  let sinkCount = 0;
  let full = true;
  const cb: Ieee80211HwCallbacks = {
    rx: (skb, st) => {
      if (full) local.rx(skb, st);
      else {
        sinkCount++;
        skb.free();
      }
    },
    txStatus: (skb, info, st) => local.txStatus(skb, info, st),
    scanCompleted: (a) => local.scanCompleted(a),
    beaconLoss: (v) => local.beaconLoss(v),
    connectionLoss: (v) => local.connectionLoss(v),
    restartHw: (r) => local.restartHw(r),
  };
  hw.attach(cb);
  const freq = channelToFreq('2g', 6);
  const chandef: ChanDef = { chan: { band: '2g', channel: 6, freq }, width: 20, centerFreq1: freq };
  await settle(clock, local.setChannel(chandef));
  await settle(clock, local.start());
  const sdata = await settle(clock, local.addInterface('station'));
  stack.addDevice(sdata.dev!);
  stack.addAddress(sdata.dev!, '192.168.1.2/24');
  sdata.bss.bssid = AP;
  sdata.bss.chandef = chandef;
  await settle(clock, local.bssInfoChanged(sdata, { bssid: true }));
  const ap: StaInfo = await settle(clock, local.staAdd(sdata, AP, { wmm: true }));
  await settle(clock, local.staMoveState(ap, StaState.AUTHORIZED));
  let key: Ieee80211Key | null = null;
  if (mode === 'hw-ccmp') {
    key = await settle(clock, local.setKey(sdata, ap, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true }));
  }
  await clock.runAsync({ until: () => false, maxTime: clock.now() + 10 });

  const sock = stack.udpSocket();
  sock.bind(0, 9);
  sock.rcvbuf = 64 << 20;
  const out = Buffer.alloc(2048);
  let datagrams = 0;
  sock.onReadable = () => {
    while (sock.recvInto(out, null) >= 0) datagrams++;
  };

  const src = parseIpv4('192.168.1.1');
  const dst = parseIpv4('192.168.1.2');
  const udp = encodeUdp({ srcPort: 5000, dstPort: 9, payload: Buffer.alloc(IP_LEN - 28, 0x5a) }, src, dst);
  const ip = buildIpv4Packet({ src, dst, protocol: 17, id: 1 }, udp);
  const msdu = Buffer.concat([Buffer.from('aaaa030000000800', 'hex'), ip]);
  const tx = new CcmpKey(TK);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < N; i++) {
    const plain = encodeFrame(
      buildData({ toDs: false, fromDs: true, addr1: sdata.addr, addr2: AP, addr3: AP, seq: i, tid: 0, payload: msdu }),
    );
    frames.push(mode === 'hw-ccmp' ? ccmpEncryptMpdu(tx, plain, i + 1) : plain);
  }
  let next = 0;
  const rewind = () => {
    ap.lastSeqCtrl.fill(-1);
    key?.rxPn.fill(0);
    next = 0;
  };
  tap.onWrap = rewind;
  const info = {
    channel: radio.channel,
    rssiDbm: -40,
    snrDb: 40,
    rate: { mode: 'he' as const, mcs: 11, nss: 2, width: 80 as const },
  };
  return {
    clock,
    tap,
    device,
    radio,
    frames,
    setFull: (f) => (full = f),
    received: () => (full ? datagrams : sinkCount),
    rewind,
    feedAir: (k) => {
      for (let j = 0; j < k; j++) {
        if (next === N) rewind();
        radio.deliver(frames[next++]!, info);
      }
    },
  };
}

interface Rate {
  /** Frames per CPU second of this process. */
  cpu: number;
  /** Frames per wall-clock second. */
  wall: number;
}

/** Run `n` frames through, BATCH at a time: `feed` hands them over, the clock runs until the path has them. */
async function run(r: Rig, n: number, feed: (k: number) => void, got: () => number): Promise<Rate> {
  const start = got();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let sent = 0; sent < n; sent += BATCH) {
    feed(BATCH);
    const want = start + sent + BATCH;
    await r.clock.runAsync({ until: () => got() >= want, maxTime: r.clock.now() + 10_000 });
    if (got() < want) throw new Error(`mt7921u-rx: ${want - got()} frames lost`);
  }
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { cpu: n / ((c.user + c.system) / 1e6), wall: n / wall };
}

/**
 * Change what bulk IN on 0x84 is: the reads posted so far are taken back (mt76u_stop_rx) and posted again, so that
 * every read after the switch goes the new way; the receive state starts over with the frames.
 */
function switchTo(r: Rig, mode: RxTap['mode']): void {
  r.tap.mode = mode;
  r.device.rx.stop();
  r.tap.emu.cancelIn(EP_PKT_RX);
  r.tap.restart();
  r.rewind();
  r.device.rx.start();
}

interface ModeResult {
  replayFull: Rate[];
  replayDriver: Rate[];
  live: Rate[];
}

async function measureMode(mode: Mode, n: number, trials: number): Promise<ModeResult> {
  const r = await rig(mode);
  const air = (k: number) => r.feedAir(k);
  const res: ModeResult = { replayFull: [], replayDriver: [], live: [] };
  // Record one pass over the frames as the chip delivers them (this is also the warm-up).
  switchTo(r, 'record');
  await run(r, N, air, r.received);
  // The live whole path: the emulated chip at work.
  switchTo(r, 'live');
  for (let t = 0; t < trials; t++) res.live.push(await run(r, n, air, r.received));
  // The host path alone, on the recorded transfers.
  switchTo(r, 'replay');
  const feed = (k: number) => r.tap.release(k);
  await run(r, N, feed, r.received); // warm-up: the driver's reads now come here
  for (let t = 0; t < trials; t++) {
    r.setFull(true);
    res.replayFull.push(await run(r, n, feed, r.received));
    r.setFull(false);
    res.replayDriver.push(await run(r, n, feed, r.received));
  }
  r.device.close();
  return res;
}

export const mt7921uRx: Benchmark = {
  name: 'mt7921u-rx',
  description: 'MT7921U RX frames/s, 1,500-byte IP: bulk IN → NAPI → RXD → mac80211 → IPv4/UDP socket, one core',
  async run({ quick }): Promise<BenchResult> {
    const figures: Figure[] = [];
    const notes: string[] = [];
    const data: Record<string, unknown> = {};
    const n = quick ? 16_384 : 131_072;
    const trials = quick ? 1 : 3;
    for (const mode of ['open', 'hw-ccmp'] as const) {
      const m = await measureMode(mode, n, trials);
      const cpu = (xs: Rate[]) => median(xs.map((x) => x.cpu));
      const wall = (xs: Rate[]) => median(xs.map((x) => x.wall));
      const gbit = (fps: number) => Math.round(((fps * IP_LEN * 8) / 1e9) * 100) / 100;
      const full = cpu(m.replayFull);
      const drv = cpu(m.replayDriver);
      figures.push(
        {
          name: `${mode}: driver → socket`,
          value: Math.round(full),
          unit: 'fps',
          note: `per CPU second, median of ${trials}; ${gbit(full)} Gbit/s of IP; ${round(1e6 / full)} µs/frame`,
        },
        {
          name: `${mode}: driver only`,
          value: Math.round(drv),
          unit: 'fps',
          note: `bulk IN → NAPI → RXD → rx callback; ${round(1e6 / drv)} µs/frame`,
        },
        {
          name: `${mode}: with the emulated chip`,
          value: Math.round(cpu(m.live)),
          unit: 'fps',
          note: 'air → emulator (RXD, CCMP in JS) → the same path',
        },
      );
      notes.push(
        `${mode} wall-clock rates: driver → socket ${Math.round(wall(m.replayFull))}, driver only ${Math.round(wall(m.replayDriver))}, with the emulated chip ${Math.round(wall(m.live))} fps`,
      );
      data[mode] = m;
    }
    notes.push(
      'one core, virtual clock; mac80211 does duplicate and PN checks and data_to_8023; IPv4 and UDP checksums in software',
    );
    return { figures, notes, data };
  },
};

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
