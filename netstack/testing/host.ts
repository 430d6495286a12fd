/**
 * Test fixtures: a Stack on a RecordingDevice (10.0.0.1/24) facing a scripted peer (10.0.0.2), and builders for
 * the frames the peer sends. Frames are built with the codecs, so tests read as packets, not byte arrays.
 */
import { VirtualClock } from '../core/clock.ts';
import { Prng } from '../core/prng.ts';
import type { ChecksumState } from '../core/skb.ts';
import { formatIpv4, parseIpv4, parseMac } from '../inet/addr.ts';
import { decodeArp, type ArpPacket } from '../neigh/arp-header.ts';
import { decodeEthHeader, encodeEthHeader, ETH_P_ARP, ETH_P_IP, type EthHeader } from '../ethernet/header.ts';
import { buildIpv4Packet, decodeIpv4Header, type Ipv4Header, type Ipv4HeaderFields } from '../ipv4/header.ts';
import { decodeIcmp, type IcmpMessage } from '../icmp/header.ts';
import { decodeUdp, type UdpHeader } from '../udp/header.ts';
import { RecordingDevice } from '../link/recording.ts';
import { Stack, type StackOptions } from '../stack.ts';

export const HOST_MAC = parseMac('02:00:00:00:00:01');
export const PEER_MAC = parseMac('02:00:00:00:00:02');
export const BCAST_MAC = parseMac('ff:ff:ff:ff:ff:ff');
export const HOST_IP = parseIpv4('10.0.0.1');
export const PEER_IP = parseIpv4('10.0.0.2');

export interface TestHost {
  clock: VirtualClock;
  stack: Stack;
  dev: RecordingDevice;
  /** Receive a frame (as if from the wire) and run everything due now (not later timers). */
  rx(frame: Uint8Array, ipSummed?: ChecksumState): void;
  /** Frames sent since the last call, decoded. */
  sent(): Decoded[];
}

/**
 * A host with its address on `dev`. `resolved` (default true) installs a permanent ARP entry for the peer so the
 * host can answer without resolving.
 */
export function testHost(opts: { resolved?: boolean; stack?: Partial<StackOptions> } = {}): TestHost {
  const clock = new VirtualClock();
  const stack = new Stack({ clock, name: 'host', rng: new Prng('host'), ...opts.stack });
  const dev = stack.addDevice(new RecordingDevice('eth0', HOST_MAC));
  stack.addAddress(dev, '10.0.0.1/24');
  if (opts.resolved ?? true) stack.arp.tbl.addPermanent(dev, PEER_IP, PEER_MAC);
  clock.runUntilIdle();
  dev.take(); // the gratuitous ARP
  return {
    clock,
    stack,
    dev,
    rx(frame, ipSummed) {
      dev.inject(frame, ipSummed);
      clock.runUntil(clock.now());
    },
    sent: () => dev.take().map(decodeFrame),
  };
}

export function ethFrame(type: number, payload: Uint8Array, dst = HOST_MAC, src = PEER_MAC): Buffer {
  return Buffer.concat([encodeEthHeader({ dst, src, tags: [], type }), payload]);
}

/** An IPv4 datagram from the peer to the host, in an Ethernet frame. */
export function ipFrame(
  h: Partial<Omit<Ipv4HeaderFields, 'totalLength'>> & { protocol: number; totalLength?: number },
  payload: Uint8Array,
  dstMac = HOST_MAC,
): Buffer {
  const pkt = buildIpv4Packet({ src: PEER_IP, dst: HOST_IP, ...h }, payload);
  return ethFrame(ETH_P_IP, pkt, dstMac);
}

export interface Decoded {
  raw: Buffer;
  eth: EthHeader;
  arp?: ArpPacket;
  ip?: Ipv4Header;
  /** IP payload (from the header length to the total length). */
  ipPayload?: Buffer;
  icmp?: IcmpMessage;
  udp?: UdpHeader;
}

export function decodeFrame(raw: Buffer): Decoded {
  const eth = decodeEthHeader(raw)!;
  const out: Decoded = { raw, eth };
  const body = raw.subarray(eth.headerLen);
  if (eth.type === ETH_P_ARP) out.arp = decodeArp(body) ?? undefined;
  if (eth.type === ETH_P_IP) {
    const ip = decodeIpv4Header(body);
    if (ip) {
      out.ip = ip;
      out.ipPayload = body.subarray(ip.headerLen, ip.totalLength);
      if (ip.fragOffset === 0 && ip.protocol === 1) out.icmp = decodeIcmp(out.ipPayload) ?? undefined;
      if (ip.fragOffset === 0 && ip.protocol === 17) out.udp = decodeUdp(out.ipPayload) ?? undefined;
    }
  }
  return out;
}

export function ip(s: string): number {
  return parseIpv4(s);
}

export { formatIpv4 };
