/**
 * Where DHCP meets the stack: a UDP socket bound to the DHCP port on one device, plus the two "raw" paths a DHCP
 * client needs before it has an address, in the way Linux's dhclient uses a packet socket next to its UDP socket:
 *
 * - send: a broadcast from any source address, 0.0.0.0 included (RFC 2131 §4.1), built here and handed to IPv4
 *   with a broadcast route on the device — a UDP socket would pick a source address of another interface;
 * - receive: a packet tap on the device (AF_PACKET-like) that takes unicast DHCP datagrams addressed to an
 *   address this host does not have yet (a server that ignores the broadcast flag sends the OFFER to `yiaddr` at
 *   our MAC). IPv4 drops those as "not for us"; the tap checks and delivers them. It is on only while asked
 *   (`unconfiguredRx`), so a configured host pays nothing for it.
 *
 * No change to the Stack was needed: broadcasts to 255.255.255.255 already reach a socket on a device without an
 * address, and IPv4 already accepts 0.0.0.0 as the source of a broadcast (Linux's rules).
 */
import { csumVerify } from '../core/checksum.ts';
import type { NetDevice } from '../core/netdevice.ts';
import { SKB_DEFAULT_HEADROOM, SkBuff } from '../core/skb.ts';
import type { Stack } from '../stack.ts';
import { ETH_P_8021Q, ETH_P_IP } from '../ethernet/header.ts';
import { INADDR_BROADCAST, macEqual } from '../inet/addr.ts';
import { readU16, readU32 } from '../inet/bytes.ts';
import { ENETDOWN, errnoName } from '../inet/errno.ts';
import { IPPROTO_UDP } from '../inet/protocol.ts';
import { RouteType } from '../ipv4/route.ts';
import { UDP_HLEN, udpChecksum, udpChecksumOk, writeUdpHeader } from '../udp/header.ts';
import type { UdpSocket } from '../udp/socket.ts';
import { type DhcpMessage, decodeDhcp, encodeDhcp, type EncodeOptions } from './message.ts';

export interface DhcpRx {
  msg: DhcpMessage;
  /** IP source and UDP source port. */
  addr: number;
  port: number;
  /** IP destination (a broadcast, our address, or — through the tap — an address we do not have yet). */
  dst: number;
}

export interface EndpointCounters {
  rxPackets: number;
  /** Datagrams that were not a decodable DHCP message, by reason. */
  rxMalformed: number;
  /** Taken by the tap (unicast to an address not configured yet). */
  rxUnconfigured: number;
  /** Frames the tap looked at and refused (bad IP or UDP checksum, fragments). */
  rxTapErrors: number;
  txPackets: number;
  txErrors: number;
}

export class DhcpEndpoint {
  readonly sock: UdpSocket;
  readonly counters: EndpointCounters = {
    rxPackets: 0,
    rxMalformed: 0,
    rxUnconfigured: 0,
    rxTapErrors: 0,
    txPackets: 0,
    txErrors: 0,
  };
  /** Last send error as a name ('ENETUNREACH'...), for logs. */
  lastError = '';
  private untap: (() => void) | null = null;
  private closed = false;

  /**
   * Bind `port` on `dev`. Throws (a person-readable error) when the port is taken on that device, e.g. two DHCP
   * clients on one interface.
   */
  constructor(
    readonly stack: Stack,
    readonly dev: NetDevice,
    readonly port: number,
    private readonly onMessage: (rx: DhcpRx) => void,
  ) {
    const s = stack.udpSocket();
    s.bindToDevice(dev);
    s.broadcast = true;
    const rc = s.bind(0, port);
    if (rc < 0) throw new Error(`DHCP: cannot bind UDP port ${port} on ${dev.name} (${errnoName(rc)})`);
    s.onReadable = () => {
      for (let d = s.recv(); d !== null; d = s.recv()) this.deliver(d.data, 0, d.data.length, d.addr, d.port, d.dst);
    };
    this.sock = s;
  }

  /** Take unicast DHCP datagrams for addresses this host does not have (while the client has no address). */
  set unconfiguredRx(on: boolean) {
    if (on === (this.untap !== null) || this.closed) return;
    if (!on) {
      this.untap!();
      this.untap = null;
      return;
    }
    this.untap = this.stack.core.addTap({ dev: this.dev, dir: 'rx', fn: (skb) => this.tapRx(skb) });
  }

  get unconfiguredRx(): boolean {
    return this.untap !== null;
  }

  private deliver(b: Uint8Array, off: number, len: number, addr: number, port: number, dst: number): void {
    this.counters.rxPackets++;
    const msg = decodeDhcp(b, off, len);
    if (typeof msg === 'string') {
      this.counters.rxMalformed++;
      return;
    }
    this.onMessage({ msg, addr, port, dst });
  }

  /** The tap borrows skb (data at the Ethernet header): check Ethernet, IPv4 and UDP, copy, deliver later. */
  private tapRx(skb: SkBuff): void {
    const b = skb.buf;
    let p = skb.data;
    const end = skb.tail;
    if (end - p < 14 + 20 + 8 || !macEqual(b, p, this.dev.addr)) return;
    let type = readU16(b, p + 12);
    p += 14;
    if (type === ETH_P_8021Q) {
      type = readU16(b, p + 2);
      p += 4;
    }
    if (type !== ETH_P_IP || end - p < 28 || b[p]! >> 4 !== 4 || b[p + 9] !== IPPROTO_UDP) return;
    const hl = (b[p]! & 0x0f) * 4;
    const dst = readU32(b, p + 16);
    // Broadcasts and our own addresses reach the socket; only the ones IPv4 would drop are ours to take.
    if (dst === INADDR_BROADCAST || this.stack.ipv4.isLocal(dst) || this.stack.ipv4.isBroadcast(dst)) return;
    if (hl < 20 || end - p < hl + 8 || readU16(b, p + hl + 2) !== this.port) return;
    const tot = readU16(b, p + 2);
    const ulen = readU16(b, p + hl + 4);
    if (
      tot > end - p ||
      tot < hl + 8 ||
      (readU16(b, p + 6) & 0x3fff) !== 0 ||
      !csumVerify(b, p, hl) ||
      ulen < 8 ||
      ulen > tot - hl
    ) {
      this.counters.rxTapErrors++;
      return;
    }
    const src = readU32(b, p + 12);
    const u = p + hl;
    if (!udpChecksumOk(b, u, ulen, src, dst)) {
      this.counters.rxTapErrors++;
      return;
    }
    this.counters.rxUnconfigured++;
    const payload = Uint8Array.from(b.subarray(u + 8, u + ulen));
    const sport = readU16(b, u);
    // Not from inside the receive path: the client may reconfigure the stack in response.
    this.stack.clock.defer(() => {
      if (!this.closed) this.deliver(payload, 0, payload.length, src, sport, dst);
    });
  }

  /**
   * Send to `dst`:`dstPort`. A broadcast goes out on this device from `src` (0.0.0.0 allowed); a unicast goes
   * through the socket and the routing table. Returns 0 or a negative errno.
   */
  send(msg: DhcpMessage, dst: number, dstPort: number, src: number, enc?: EncodeOptions): number {
    const payload = encodeDhcp(msg, enc);
    const rc =
      dst === INADDR_BROADCAST ? this.sendBroadcast(payload, src, dstPort) : this.sendUnicast(payload, dst, dstPort);
    if (rc < 0) {
      this.counters.txErrors++;
      this.lastError = errnoName(rc);
    } else {
      this.counters.txPackets++;
    }
    return rc;
  }

  private sendUnicast(payload: Uint8Array, dst: number, dstPort: number): number {
    return Math.min(0, this.sock.sendTo(payload, dst, dstPort));
  }

  private sendBroadcast(payload: Uint8Array, src: number, dstPort: number): number {
    const dev = this.dev;
    if (!dev.up) return -ENETDOWN;
    const ulen = UDP_HLEN + payload.length;
    const skb = SkBuff.alloc(ulen, SKB_DEFAULT_HEADROOM, dev.neededTailroom);
    const p = skb.put(ulen);
    const b = skb.buf;
    writeUdpHeader(b, p, this.port, dstPort, ulen);
    b.set(payload, p + UDP_HLEN);
    const c = udpChecksum(b, p, ulen, src, INADDR_BROADCAST);
    b[p + 6] = c >> 8;
    b[p + 7] = c & 0xff;
    skb.transportHeader = p;
    const ipv4 = this.stack.ipv4;
    ipv4.mib.OutRequests++;
    this.stack.udp.mib.OutDatagrams++;
    const rt = { dev, src, nextHop: INADDR_BROADCAST, mtu: dev.mtu, type: RouteType.BROADCAST, gateway: 0 };
    // TOS low delay, as dhclient sets it.
    return ipv4.outputRoute(skb, rt, { src, dst: INADDR_BROADCAST, protocol: IPPROTO_UDP, tos: 0x10 });
  }

  close(): void {
    if (this.closed) return;
    this.unconfiguredRx = false;
    this.closed = true;
    this.sock.close();
  }
}
