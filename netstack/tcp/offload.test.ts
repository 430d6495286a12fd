import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csumVerify } from '../core/checksum.ts';
import { VirtualClock } from '../core/clock.ts';
import { MAX_GRO_SKBS } from '../core/gro.ts';
import { Napi, NetCore, NetDevice, type NetDeviceFeatures, NetdevTx } from '../core/netdevice.ts';
import { ChecksumState, SkBuff } from '../core/skb.ts';
import { Ethernet } from '../ethernet/ethernet.ts';
import { skbChecksumHelp } from '../inet/offload.ts';
import { writeIpv4Header } from '../ipv4/header.ts';
import { Ipv4Offload } from '../ipv4/offload.ts';
import { TcpOffload } from './offload.ts';
import {
  TCP_ACK,
  TCP_CWR,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  type TcpOption,
  encodeTcpSegment,
  tcpChecksum,
  tcpChecksumOk,
} from './wire.ts';

const MAC_A = Buffer.from([2, 0, 0, 0, 0, 0xa]);
const MAC_B = Buffer.from([2, 0, 0, 0, 0, 0xb]);
const IP_A = 0x0a000001;
const IP_B = 0x0a000002;

interface SegSpec {
  sport?: number;
  dport?: number;
  seq: number;
  ack?: number;
  flags?: number;
  window?: number;
  payload?: Uint8Array;
  options?: TcpOption[];
  id?: number;
  df?: boolean;
  ttl?: number;
  tos?: number;
  badCsum?: boolean;
  srcMac?: Buffer;
}

/** An Ethernet frame with an IPv4/TCP segment, checksums right unless badCsum. */
function frame(s: SegSpec): Buffer {
  const tcp = encodeTcpSegment({
    sport: s.sport ?? 1000,
    dport: s.dport ?? 80,
    seq: s.seq,
    ack: s.ack ?? 1,
    flags: s.flags ?? TCP_ACK,
    window: s.window ?? 500,
    options: s.options,
    payload: s.payload,
  });
  const ck = tcpChecksum(tcp, 0, tcp.length, IP_A, IP_B) ^ (s.badCsum ? 0x0101 : 0);
  tcp.writeUInt16BE(ck, 16);
  const f = Buffer.alloc(14 + 20 + tcp.length);
  (s.srcMac ?? MAC_A).copy(f, 6);
  MAC_B.copy(f, 0);
  f.writeUInt16BE(0x0800, 12);
  writeIpv4Header(f, 14, {
    totalLength: 20 + tcp.length,
    id: s.id ?? 0,
    df: s.df ?? true,
    ttl: s.ttl,
    tos: s.tos,
    protocol: 6,
    src: IP_A,
    dst: IP_B,
  });
  tcp.copy(f, 34);
  return f;
}

function bytes(n: number, from: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (from + i) & 0xff;
  return b;
}

class RigDev extends NetDevice {
  readonly sent: SkBuff[] = [];
  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    this.sent.push(skb);
    return NetdevTx.OK;
  }
}

interface Got {
  seq: number;
  flags: number;
  payload: Buffer;
  segs: number;
  gsoSize: number;
  sport: number;
  ipOk: boolean;
}

/** A device whose NAPI poll feeds frames to napi_gro_receive, and an IPv4 handler that records what goes up. */
function rig(features: Partial<NetDeviceFeatures> = {}) {
  const clock = new VirtualClock();
  const core = new NetCore(clock);
  const dev = new RigDev('eth0', MAC_B);
  dev.features = { rxCsumUnnecessary: false, txCsumOffload: false, ...features };
  core.register(dev);
  dev.open();
  new Ethernet(core);
  const ipo = new Ipv4Offload();
  ipo.add(new TcpOffload());
  core.addOffload(0x0800, ipo);
  const got: Got[] = [];
  core.addProtocol(0x0800, (skb) => {
    const b = skb.buf;
    const d = skb.data;
    const th = d + 20;
    const hl = (b[th + 12]! >> 4) << 2;
    const all = skb.copyBytes();
    got.push({
      seq: b.readUInt32BE(th + 4),
      flags: b[th + 13]!,
      payload: all.subarray(20 + hl),
      segs: skb.pcount,
      gsoSize: skb.gsoSize,
      sport: b.readUInt16BE(th),
      // What ip_rcv checks: the (fixed) total length and header checksum.
      ipOk: ((b[d + 2]! << 8) | b[d + 3]!) === skb.len && csumVerify(b, d, 20),
    });
    skb.free();
  });
  const ring: SkBuff[] = [];
  const napi = new Napi(dev, (n, budget) => {
    let k = 0;
    while (k < budget && ring.length > 0) {
      n.groReceive(ring.shift()!);
      k++;
    }
    return k;
  });
  /** Frames arrive together: one NAPI round (or several, for more than a poll's weight). */
  const feed = (frames: Buffer[]) => {
    for (const f of frames) {
      const skb = SkBuff.fromBytes(f, 64);
      if (features.rxCsumUnnecessary) skb.ipSummed = ChecksumState.UNNECESSARY;
      ring.push(skb);
    }
    napi.schedule();
    clock.runUntilIdle();
  };
  return { clock, core, dev, got, feed, napi, ipo };
}

const MSS = 100;
/** n consecutive full segments from seq, payload byte i of the stream = (seq - 1 + i) & 0xff. */
function run(n: number, seq = 1, extra: Partial<SegSpec> = {}): Buffer[] {
  return Array.from({ length: n }, (_, i) =>
    frame({ seq: seq + i * MSS, payload: bytes(MSS, seq - 1 + i * MSS), id: i, ...extra }),
  );
}

describe('GRO (napi_gro_receive)', () => {
  it('merges in-order segments of one flow into one packet that stands for all of them', () => {
    const r = rig();
    r.feed(run(5));
    expect(r.got).toHaveLength(1);
    expect(r.got[0]).toMatchObject({ seq: 1, segs: 5, gsoSize: MSS, ipOk: true });
    expect(r.got[0]!.payload.equals(bytes(500, 0))).toBe(true);
    expect(r.dev.stats.rxPackets).toBe(5);
    expect(r.dev.stats.rxBytes).toBe(5 * (14 + 20 + 20 + MSS));
    expect(r.napi.gro!.stats).toMatchObject({ received: 5, merged: 4, coalesced: 1 });
  });

  it('a lone segment goes up unchanged (no GSO marks)', () => {
    const r = rig();
    r.feed(run(1));
    expect(r.got).toEqual([expect.objectContaining({ seq: 1, segs: 1, gsoSize: 0 })]);
  });

  it('an out-of-order segment ends the packet: order within the flow is kept', () => {
    const r = rig();
    const f = run(4);
    r.feed([f[0]!, f[1]!, f[3]!, f[2]!]);
    expect(r.got.map((g) => [g.seq, g.segs])).toEqual([
      [1, 2],
      [301, 1],
      [201, 1],
    ]);
  });

  it('keeps flows apart (ports, link source) and sends each up merged', () => {
    const r = rig();
    const a = run(3, 1, { sport: 1 });
    const b = run(3, 1, { sport: 2 });
    const c = run(2, 1, { sport: 1, srcMac: Buffer.from([2, 0, 0, 0, 0, 0xc]) });
    r.feed([a[0]!, b[0]!, c[0]!, a[1]!, b[1]!, c[1]!, a[2]!, b[2]!]);
    expect(r.got.map((g) => [g.sport, g.segs]).sort()).toEqual([
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
  });

  it('PSH and FIN are merged and end the packet; the packet carries them', () => {
    const r = rig();
    const f = run(4);
    f[1] = frame({ seq: 101, payload: bytes(MSS, 100), id: 1, flags: TCP_ACK | TCP_PSH });
    r.feed(f);
    expect(r.got.map((g) => [g.seq, g.segs, g.flags])).toEqual([
      [1, 2, TCP_ACK | TCP_PSH],
      [201, 2, TCP_ACK],
    ]);
    const r2 = rig();
    r2.feed([...run(2), frame({ seq: 201, payload: bytes(MSS, 200), id: 2, flags: TCP_ACK | TCP_FIN })]);
    expect(r2.got.map((g) => [g.segs, g.flags])).toEqual([[3, TCP_ACK | TCP_FIN]]);
  });

  it('never merges SYN, RST, URG, CWR or pure ACKs; a pure ACK sends the held packet up first', () => {
    for (const flags of [TCP_SYN, TCP_RST | TCP_ACK, TCP_URG | TCP_ACK, TCP_CWR | TCP_ACK]) {
      const r = rig();
      r.feed([...run(2), frame({ seq: 201, payload: bytes(MSS, 200), id: 2, flags })]);
      expect(r.got.map((g) => [g.segs, g.flags])).toEqual([
        [2, TCP_ACK],
        [1, flags],
      ]);
    }
    const r = rig();
    r.feed([...run(2), frame({ seq: 201, id: 2 })]);
    expect(r.got.map((g) => [g.seq, g.segs, g.payload.length])).toEqual([
      [1, 2, 200],
      [201, 1, 0],
    ]);
  });

  it('needs the same ACK number, window, options and IPv4 TTL/TOS/DF; a longer segment ends the packet', () => {
    const ts = (val: number): TcpOption[] => [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val, ecr: 7 }];
    const variants: Array<Partial<SegSpec>> = [
      { ack: 2 },
      { window: 501 },
      { options: ts(2) },
      { ttl: 3 },
      { tos: 4 },
      { df: false, id: 1 },
    ];
    for (const v of variants) {
      const r = rig();
      const base = { options: ts(1) };
      r.feed([
        frame({ seq: 1, payload: bytes(MSS, 0), ...base }),
        frame({ seq: 101, payload: bytes(MSS, 100), id: 1, ...base, ...v }),
      ]);
      expect(r.got.map((g) => g.segs)).toEqual([1, 1]);
    }
    const r = rig();
    r.feed([frame({ seq: 1, payload: bytes(50, 0) }), frame({ seq: 51, payload: bytes(MSS, 50), id: 1 })]);
    expect(r.got.map((g) => g.segs)).toEqual([1, 1]);
  });

  it('IP ids must continue (or, with DF, stay fixed)', () => {
    const r = rig();
    r.feed([0, 1, 2].map((i) => frame({ seq: 1 + i * MSS, payload: bytes(MSS, i * MSS), id: 9, df: true })));
    expect(r.got.map((g) => g.segs)).toEqual([3]);
    const r2 = rig();
    r2.feed([0, 1].map((i) => frame({ seq: 1 + i * MSS, payload: bytes(MSS, i * MSS), id: 9, df: false })));
    expect(r2.got.map((g) => g.segs)).toEqual([1, 1]);
    const r3 = rig();
    r3.feed([0, 5].map((id, i) => frame({ seq: 1 + i * MSS, payload: bytes(MSS, i * MSS), id })));
    expect(r3.got.map((g) => g.segs)).toEqual([1, 1]);
  });

  it('a segment with a bad checksum goes up alone (for TCP to count); the others still merge', () => {
    const r = rig();
    const f = run(4);
    f[2] = frame({ seq: 201, payload: bytes(MSS, 200), id: 2, badCsum: true });
    r.feed(f);
    const sorted = [...r.got].sort((x, y) => x.seq - y.seq);
    expect(sorted.map((g) => [g.seq, g.segs])).toEqual([
      [1, 2],
      [201, 1],
      [301, 1],
    ]);
    // Not verified, not marked: the bad one still fails TCP's check.
    const bad = r.got.find((g) => g.seq === 201)!;
    expect(bad.segs).toBe(1);
  });

  it('trusts the device with CHECKSUM_UNNECESSARY (as veth)', () => {
    const r = rig({ rxCsumUnnecessary: true });
    const f = run(3);
    f[1] = frame({ seq: 101, payload: bytes(MSS, 100), id: 1, badCsum: true });
    r.feed(f);
    expect(r.got.map((g) => g.segs)).toEqual([3]);
  });

  it('stops at 64 KiB of IPv4 datagram', () => {
    const r = rig();
    const big = 1400;
    const n = 50;
    r.feed(Array.from({ length: n }, (_, i) => frame({ seq: 1 + i * big, payload: bytes(big, i * big), id: i })));
    const segs = r.got.map((g) => g.segs);
    expect(segs.reduce((a, b) => a + b, 0)).toBe(n);
    expect(segs[0]).toBe(Math.floor((65535 - 40) / big));
    for (const g of r.got) expect(g.payload.length + 40).toBeLessThanOrEqual(65535);
  });

  it(`holds at most ${MAX_GRO_SKBS} flows: a ninth sends the oldest up`, () => {
    const r = rig();
    const flows = Array.from({ length: MAX_GRO_SKBS + 1 }, (_, i) =>
      frame({ seq: 1, payload: bytes(MSS, 0), sport: i + 1 }),
    );
    r.feed(flows);
    expect(r.napi.gro!.stats.evicted).toBe(1);
    expect(r.got[0]!.sport).toBe(1);
    expect(r.got).toHaveLength(MAX_GRO_SKBS + 1);
  });

  it('leaves frames that are not plain TCP/IPv4 alone: IP options, fragments, padding, other protocols', () => {
    const r = rig();
    const withPad = Buffer.concat([frame({ seq: 1, payload: bytes(4, 0) }), Buffer.alloc(8)]);
    const frag = frame({ seq: 1, payload: bytes(MSS, 0) });
    frag.writeUInt16BE(0x2000, 14 + 6); // MF (the header checksum is now wrong too: ip_rcv's business)
    const udp = frame({ seq: 1, payload: bytes(MSS, 0) });
    udp[14 + 9] = 17;
    r.feed([withPad, frag, udp]);
    expect(r.napi.gro!.held).toHaveLength(0);
    expect(r.napi.gro!.stats.merged).toBe(0);
  });

  it('turned off per device (features.gro = false): every frame goes up on its own', () => {
    const r = rig({ gro: false });
    r.feed(run(4));
    expect(r.got.map((g) => g.segs)).toEqual([1, 1, 1, 1]);
  });

  it('property: per flow, the bytes and segment count that go up are exactly what arrived, in order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            flow: fc.integer({ min: 1, max: 3 }),
            len: fc.constantFrom(0, 30, MSS, MSS, MSS),
            skip: fc.boolean(),
            psh: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        (specs) => {
          const next = new Map<number, number>();
          const sent = new Map<number, number[]>();
          const frames = specs.map((s, i) => {
            let seq = next.get(s.flow) ?? 1;
            if (s.skip && s.len > 0) seq += 7; // a hole: out of order from here
            next.set(s.flow, seq + s.len);
            const payload = bytes(s.len, seq + i);
            const list = sent.get(s.flow) ?? [];
            list.push(...payload);
            sent.set(s.flow, list);
            return frame({
              sport: s.flow,
              seq,
              payload,
              id: i,
              flags: TCP_ACK | (s.psh ? TCP_PSH : 0),
            });
          });
          const r = rig();
          r.feed(frames);
          const got = new Map<number, number[]>();
          let segs = 0;
          for (const g of r.got) {
            const list = got.get(g.sport) ?? [];
            list.push(...g.payload);
            got.set(g.sport, list);
            segs += g.segs;
          }
          expect(segs).toBe(specs.length);
          expect(r.got.every((g) => g.ipOk)).toBe(true);
          for (const [flow, b] of sent) expect(got.get(flow) ?? []).toEqual(b);
          expect(r.dev.stats.rxPackets).toBe(specs.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** A GSO super-packet as TCP builds one: headers and the first payload in the head, one fragment per segment. */
function superPacket(n: number, mss: number, last: number, flags: number, opts = true): SkBuff {
  const options: TcpOption[] | undefined = opts
    ? [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 5, ecr: 6 }]
    : undefined;
  const hdr = frame({ seq: 1000, flags, options, id: 40 });
  const head = SkBuff.alloc(hdr.length + mss, 192, 0);
  head.putBytes(hdr);
  head.putBytes(bytes(mss, 0));
  head.macHeader = head.data;
  head.networkHeader = head.data + 14;
  head.transportHeader = head.data + 34;
  for (let i = 1; i < n; i++) {
    const len = i === n - 1 ? last : mss;
    head.appendFrag(SkBuff.fromBytes(bytes(len, i * mss), 192));
  }
  head.protocol = 0x0800;
  head.gsoSize = mss;
  head.gsoSegs = n;
  head.ipSummed = ChecksumState.PARTIAL;
  head.csumStart = head.transportHeader;
  head.csumOffset = 16;
  // The IPv4 total length of a super-packet is its whole length (ip_queue_xmit writes it).
  head.buf.writeUInt16BE(head.len - 14, head.data + 16);
  return head;
}

describe('GSO (skb_gso_segment at dev_queue_xmit)', () => {
  function check(segs: SkBuff[], n: number, mss: number, last: number, flags: number) {
    expect(segs).toHaveLength(n);
    segs.forEach((s, i) => {
      if (s.ipSummed === ChecksumState.PARTIAL) skbChecksumHelp(s);
      const b = s.buf;
      const d = s.data;
      const th = d + 34;
      const hl = (b[th + 12]! >> 4) << 2;
      expect(b.readUInt16BE(d + 16)).toBe(s.len - 14);
      expect(b.readUInt16BE(d + 18)).toBe((40 + i) & 0xffff);
      expect(csumVerify(b, d + 14, 20)).toBe(true);
      expect(b.readUInt32BE(th + 4)).toBe(1000 + i * mss);
      expect(tcpChecksumOk(b, th, s.tail - th, IP_A, IP_B)).toBe(true);
      let f = flags;
      if (i !== n - 1) f &= ~(TCP_PSH | TCP_FIN);
      if (i !== 0) f &= ~TCP_CWR;
      expect(b[th + 13]).toBe(f);
      const payload = b.subarray(th + hl, s.tail);
      expect(payload.equals(bytes(i === n - 1 ? last : mss, i * mss))).toBe(true);
    });
  }

  for (const offload of [false, true]) {
    it(`cuts a super-packet into segments: lengths, ids, sequence numbers, flags, checksums (csum offload ${offload})`, () => {
      const r = rig({ txCsumOffload: offload });
      const flags = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR;
      const skb = superPacket(5, 300, 120, flags);
      const frags = skb.fragList!.map((f) => f.buf);
      r.dev.devQueueXmit(skb);
      // Left to the device when it offloads checksums, computed in software otherwise.
      const want = offload ? ChecksumState.PARTIAL : ChecksumState.NONE;
      expect(r.dev.sent.map((s) => s.ipSummed)).toEqual(Array(5).fill(want));
      check(r.dev.sent, 5, 300, 120, flags);
      // Zero copy: the fragments' own buffers carry the segments, headers pushed into their headroom.
      for (let i = 0; i < frags.length; i++) expect(r.dev.sent[i + 1]!.buf).toBe(frags[i]);
      expect(r.dev.stats.txPackets).toBe(5);
    });
  }

  it('copies when the payload is not laid out one segment per buffer', () => {
    const r = rig();
    const skb = superPacket(3, 200, 200, TCP_ACK);
    skb.linearize();
    r.dev.devQueueXmit(skb);
    check(r.dev.sent, 3, 200, 200, TCP_ACK);
  });

  it('a device with TSO takes the super-packet whole', () => {
    const r = rig({ tso: true });
    r.dev.devQueueXmit(superPacket(4, 100, 100, TCP_ACK));
    expect(r.dev.sent).toHaveLength(1);
    expect(r.dev.stats.txPackets).toBe(4);
  });

  it('property: GSO then GRO gives back the super-packet (payload, segments, flags)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 8, max: 1400 }),
        fc.integer({ min: 1, max: 1400 }),
        fc.boolean(),
        (n, mss, lastRaw, opts) => {
          const last = Math.min(lastRaw, mss);
          fc.pre((n - 1) * mss + last + 80 <= 65535);
          const tx = rig();
          tx.dev.devQueueXmit(superPacket(n, mss, last, TCP_ACK | TCP_PSH, opts));
          const rx = rig();
          rx.feed(tx.dev.sent.map((s) => s.copyBytes()));
          const total = (n - 1) * mss + last;
          const segs = rx.got.reduce((a, g) => a + g.segs, 0);
          expect(segs).toBe(n);
          expect(Buffer.concat(rx.got.map((g) => g.payload)).equals(bytes(total, 0))).toBe(true);
          expect(rx.got[rx.got.length - 1]!.flags & TCP_PSH).toBe(TCP_PSH);
        },
      ),
      { numRuns: 100 },
    );
  });
});
