/**
 * A low-level UDP socket (Linux's struct udp_sock and the udp_sendmsg / udp_recvmsg paths), made to sit under a
 * Node `dgram`-compatible wrapper: calls return 0 / a byte count or a negative errno instead of throwing, reads
 * never block (-EAGAIN when empty), and readiness is signalled epoll-style: `onReadable` is called (deferred, once
 * per transition from empty to non-empty) and the reader drains with recv()/recvInto() until -EAGAIN / null.
 *
 * Receive queue: bounded by `rcvbuf` bytes of buffer (Linux's sk_rmem_alloc vs sk_rcvbuf: a datagram is refused
 * when the queue already holds more than rcvbuf, counted in RcvbufErrors and InErrors). Send: every datagram in
 * flight (queued in the device, waiting for ARP) is charged to `sndbuf`; when it is full sends fail with -EAGAIN and
 * `onWritable` is called when room returns.
 *
 * ICMP errors: hard errors (port or protocol unreachable, parameter problem...) set the pending error of a connected
 * socket (SO_ERROR: `getError()`, the next read, `onError`); with `recvErr` (IP_RECVERR) every error about a
 * datagram it sent is also queued for readError() (MSG_ERRQUEUE), connected or not.
 */
import { csumFinish, csumFold, csumPartialDv, pseudoHeaderSum } from '../core/checksum.ts';
import { Fifo } from '../core/fifo.ts';
import type { NetDevice } from '../core/netdevice.ts';
import { ChecksumState, SKB_DEFAULT_HEADROOM, SkBuff } from '../core/skb.ts';
import { isMulticast } from '../inet/addr.ts';
import { copyBytes, readU16, readU32 } from '../inet/bytes.ts';
import {
  EACCES,
  EAGAIN,
  EBADF,
  ECONNREFUSED,
  EDESTADDRREQ,
  EHOSTDOWN,
  EHOSTUNREACH,
  EINVAL,
  EADDRNOTAVAIL,
  EMSGSIZE,
  ENETUNREACH,
  ENOBUFS,
  ENONET,
  ENOPROTOOPT,
  EOPNOTSUPP,
  EPROTO,
  errnoName,
} from '../inet/errno.ts';
import { IPPROTO_UDP, type IcmpErrorInfo } from '../inet/protocol.ts';
import { RouteType } from '../ipv4/route.ts';
import { UDP_HLEN, UDP_MAX_PAYLOAD, writeUdpHeader } from './header.ts';
import type { Udp } from './udp.ts';

/** Filled by recvInto: where the datagram came from. */
export interface UdpRecvInfo {
  /** Sender address and port. */
  addr: number;
  port: number;
  /** Destination address of the datagram (IP_PKTINFO). */
  dst: number;
  /** Datagram length (may exceed what was copied). */
  length: number;
  truncated: boolean;
}

export interface UdpDatagram {
  /** The payload, a view of the received buffer (it now belongs to the caller). */
  data: Buffer;
  addr: number;
  port: number;
  dst: number;
  dev: NetDevice | null;
}

/** An entry of the error queue (struct sock_extended_err, origin ICMP). */
export interface UdpSocketError {
  errno: number;
  /** Node-style code: 'ECONNREFUSED'... */
  code: string;
  icmpType: number;
  icmpCode: number;
  /** Next-hop MTU for "fragmentation needed". */
  info: number;
  /** Where the offending datagram was going. */
  addr: number;
  port: number;
  /** Who reported the error. */
  reporter: number;
}

/** Error queue bound (GUESS: Linux charges error skbs to rcvbuf instead). */
const ERRQUEUE_MAX = 64;
const EMPTY = Buffer.alloc(0);

/** icmp_err_convert for destination unreachable codes: [errno, fatal]. */
const UNREACH_ERR: Array<[number, boolean]> = [
  [ENETUNREACH, false], // net unreachable
  [EHOSTUNREACH, false], // host unreachable
  [ENOPROTOOPT, true], // protocol unreachable
  [ECONNREFUSED, true], // port unreachable
  [EMSGSIZE, false], // fragmentation needed
  [EOPNOTSUPP, false], // source route failed
  [ENETUNREACH, true], // net unknown
  [EHOSTDOWN, true], // host unknown
  [ENONET, true], // host isolated
  [ENETUNREACH, true], // net prohibited
  [EHOSTUNREACH, true], // host prohibited
  [ENETUNREACH, false], // net unreachable for TOS
  [EHOSTUNREACH, false], // host unreachable for TOS
  [EHOSTUNREACH, true], // administratively filtered
  [EHOSTUNREACH, true], // precedence violation
  [EHOSTUNREACH, true], // precedence cutoff
];

export class UdpSocket {
  localAddr = 0;
  localPort = 0;
  remoteAddr = 0;
  remotePort = 0;
  boundDev: NetDevice | null = null;
  /** SO_BROADCAST: allow sending to broadcast addresses. */
  broadcast = false;
  /** SO_REUSEADDR: share the port with other sockets that set it too. */
  reuseAddr = false;
  /** IP_RECVERR: queue ICMP errors for readError(). */
  recvErr = false;
  /** IP_TTL (0: the default, 64; multicasts default to 1). */
  ttl = 0;
  tos = 0;
  /** Set DF on sent datagrams (IP_PMTUDISC_DO); larger than the path MTU → -EMSGSIZE. Default off (DONT). */
  df = false;
  rcvbuf: number;
  sndbuf: number;
  /** Called (deferred) when the receive queue becomes non-empty, or a pending error appears. */
  onReadable: (() => void) | null = null;
  /** Called (deferred) when a send that failed with -EAGAIN may succeed. */
  onWritable: (() => void) | null = null;
  /** Called (deferred) when an error is set (pending error or error queue). */
  onError: ((err: UdpSocketError) => void) | null = null;

  private readonly rq = new Fifo<SkBuff>(64);
  private outBuf: Uint8Array | null = null;
  private outDv: DataView | null = null;
  /** Bytes of buffer charged to the receive queue. */
  rmem = 0;
  /** Bytes of buffer in flight on the send side. */
  wmem = 0;
  private pendingError = 0;
  private readonly errQueue: UdpSocketError[] = [];
  errQueueDrops = 0;
  private closed = false;
  private userBoundAddr = false;
  private userBoundPort = false;
  private readableQueued = false;
  private writableWanted = false;
  private readonly fireReadable = (): void => {
    this.readableQueued = false;
    if (!this.closed && (this.rq.length > 0 || this.pendingError !== 0)) this.onReadable?.();
  };
  private readonly wfree = (skb: SkBuff): void => {
    this.wmem -= skb.buf.length;
    if (this.writableWanted && this.wmem < this.sndbuf) {
      this.writableWanted = false;
      this.udp.clock.defer(() => {
        if (!this.closed) this.onWritable?.();
      });
    }
  };

  constructor(private readonly udp: Udp) {
    this.rcvbuf = udp.rmemDefault;
    this.sndbuf = udp.wmemDefault;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get bound(): boolean {
    return this.localPort !== 0;
  }

  get connected(): boolean {
    return this.remotePort !== 0;
  }

  /** Datagrams waiting in the receive queue. */
  get queued(): number {
    return this.rq.length;
  }

  /** bind(): addr 0 = any, port 0 = ephemeral. 0 or -EINVAL (already bound), -EADDRNOTAVAIL, -EADDRINUSE. */
  bind(addr = 0, port = 0): number {
    if (this.closed) return -EBADF;
    if (this.localPort !== 0) return -EINVAL;
    addr >>>= 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) return -EINVAL;
    const ipv4 = this.udp.ipv4;
    if (addr !== 0 && !ipv4.isLocal(addr) && !ipv4.isBroadcast(addr) && !isMulticast(addr)) return -EADDRNOTAVAIL;
    const p = this.udp.hashSocket(this, port, addr);
    if (p < 0) return p;
    this.localAddr = addr;
    this.localPort = p;
    this.userBoundAddr = addr !== 0;
    this.userBoundPort = port !== 0;
    return 0;
  }

  /** Bind to an ephemeral port if not bound yet (inet_autobind). */
  private autobind(): number {
    if (this.localPort !== 0) return 0;
    const p = this.udp.hashSocket(this, 0, this.localAddr);
    if (p < 0) return p;
    this.localPort = p;
    return 0;
  }

  /** SO_BINDTODEVICE (null to unbind). */
  bindToDevice(dev: NetDevice | null): void {
    this.boundDev = dev;
  }

  /** ip4_datagram_connect: fix the peer; picks the local address from the route. 0 or a negative errno. */
  connect(addr: number, port: number): number {
    if (this.closed) return -EBADF;
    addr >>>= 0;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) return -EINVAL;
    const rt = this.udp.ipv4.routeOutput(addr, this.localAddr, this.boundDev);
    if (rt === null) {
      this.udp.ipv4.mib.OutNoRoutes++;
      return -ENETUNREACH;
    }
    if (rt.type === RouteType.BROADCAST && !this.broadcast) return -EACCES;
    if (this.localAddr === 0 && rt.type === RouteType.UNICAST) this.localAddr = rt.src;
    const err = this.autobind();
    if (err < 0) return err;
    this.remoteAddr = addr;
    this.remotePort = port;
    return 0;
  }

  /** connect(AF_UNSPEC): forget the peer, and the local address/port unless bind() set them. */
  disconnect(): void {
    this.remoteAddr = 0;
    this.remotePort = 0;
    if (!this.userBoundAddr) this.localAddr = 0;
    if (!this.userBoundPort && this.localPort !== 0) {
      this.udp.unhashSocket(this, this.localPort);
      this.localPort = 0;
    }
  }

  /** send() on a connected socket. */
  send(data: Uint8Array, off = 0, len = data.length - off): number {
    if (this.remotePort === 0) return -EDESTADDRREQ;
    return this.sendTo(data, this.remoteAddr, this.remotePort, off, len);
  }

  /**
   * udp_sendmsg: one datagram of data[off, off+len) to addr:port. Returns len, or a negative errno: -EMSGSIZE
   * (over 65507 bytes, or DF and over the path MTU), -ENETUNREACH, -EACCES (broadcast without SO_BROADCAST), -EAGAIN
   * (send buffer full), -EINVAL (port 0).
   */
  sendTo(data: Uint8Array, addr: number, port: number, off = 0, len = data.length - off): number {
    if (this.closed) return -EBADF;
    if (len > UDP_MAX_PAYLOAD || len < 0) return -EMSGSIZE;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) return -EINVAL;
    addr >>>= 0;
    const udp = this.udp;
    const ipv4 = udp.ipv4;
    const err = this.autobind();
    if (err < 0) return err;
    const bcastBound = this.localAddr !== 0 && !ipv4.isLocal(this.localAddr);
    const rt = ipv4.routeOutput(addr, bcastBound ? 0 : this.localAddr, this.boundDev);
    if (rt === null) {
      ipv4.mib.OutNoRoutes++;
      return -ENETUNREACH;
    }
    if (rt.type === RouteType.BROADCAST && !this.broadcast) return -EACCES;
    const ulen = UDP_HLEN + len;
    // Room behind the datagram for what the device appends (a software CCMP MIC), so it is never copied for it.
    const skb = SkBuff.alloc(ulen, SKB_DEFAULT_HEADROOM, rt.dev.neededTailroom);
    const truesize = skb.buf.length;
    if (this.wmem + truesize > this.sndbuf && this.wmem > 0) {
      this.writableWanted = true;
      return -EAGAIN;
    }
    const p = skb.put(ulen);
    const b = skb.buf;
    // The whole of `data` (the usual call) needs no subarray view: no allocation per datagram.
    if (off === 0 && len === data.length) b.set(data, p + UDP_HLEN);
    else if (len > 0) b.set(data.subarray(off, off + len), p + UDP_HLEN);
    const src = rt.src;
    writeUdpHeader(b, p, this.localPort, port, ulen);
    const pseudo = pseudoHeaderSum(src, addr, IPPROTO_UDP, ulen);
    if (rt.dev.features.txCsumOffload) {
      // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum; the device (or IPv4) completes it.
      const f = csumFold(pseudo);
      b[p + 6] = f >> 8;
      b[p + 7] = f & 0xff;
      skb.ipSummed = ChecksumState.PARTIAL;
      skb.csumStart = p;
      skb.csumOffset = 6;
    } else {
      const c = csumFinish(pseudo + csumPartialDv(skb.dv, p, ulen)) || 0xffff;
      b[p + 6] = c >> 8;
      b[p + 7] = c & 0xff;
    }
    skb.transportHeader = p;
    skb.destructor = this.wfree;
    this.wmem += truesize;
    ipv4.mib.OutRequests++;
    const rc = ipv4.outputRoute(skb, rt, {
      src,
      dst: addr,
      protocol: IPPROTO_UDP,
      ttl: this.ttl,
      tos: this.tos,
      df: this.df,
    });
    if (rc < 0) {
      if (rc === -ENOBUFS) {
        udp.mib.SndbufErrors++;
        // Linux reports a local drop only with IP_RECVERR; otherwise the datagram is "sent" and counted.
        if (!this.recvErr) return len;
      }
      return rc;
    }
    udp.mib.OutDatagrams++;
    return len;
  }

  /** Called by Udp for each datagram for this socket (skb.data at the UDP header). Consumes skb. */
  queueRcv(skb: SkBuff): void {
    const mib = this.udp.mib;
    if (this.rmem > this.rcvbuf || this.closed) {
      mib.RcvbufErrors++;
      mib.InErrors++;
      skb.drop();
      return;
    }
    this.rmem += skb.buf.length;
    const wasEmpty = this.rq.length === 0;
    this.rq.push(skb);
    mib.InDatagrams++;
    if (wasEmpty) this.notifyReadable();
  }

  private notifyReadable(): void {
    if (this.readableQueued || this.onReadable === null) return;
    this.readableQueued = true;
    this.udp.clock.defer(this.fireReadable);
  }

  private dequeue(): SkBuff | null {
    const skb = this.rq.shift();
    if (skb === undefined) return null;
    this.rmem -= skb.buf.length;
    return skb;
  }

  /**
   * recvmsg into `out` (copied; the buffer goes back to its owner): returns the bytes copied, or -EAGAIN when the
   * queue is empty (or the pending error, once). `info`, when given, is filled in. No allocation.
   */
  recvInto(out: Uint8Array, info: UdpRecvInfo | null = null): number {
    const skb = this.dequeue();
    if (skb === null) return this.takeError() || -EAGAIN;
    const b = skb.buf;
    const th = skb.transportHeader;
    const start = th + UDP_HLEN;
    const len = skb.tail - start;
    const n = Math.min(len, out.length);
    if (out !== this.outBuf) {
      // Readers reuse their buffer: keep a DataView over it so the copy allocates nothing.
      this.outBuf = out;
      this.outDv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    }
    copyBytes(b, skb.dv, start, out, this.outDv!, 0, n);
    if (info !== null) {
      const nh = skb.networkHeader;
      info.addr = readU32(b, nh + 12);
      info.port = readU16(b, th);
      info.dst = readU32(b, nh + 16);
      info.length = len;
      info.truncated = n < len;
    }
    skb.free();
    return n;
  }

  /** recvmsg handing out the received buffer itself (zero copy): null when empty. */
  recv(): UdpDatagram | null {
    const skb = this.dequeue();
    if (skb === null) return null;
    const b = skb.buf;
    const th = skb.transportHeader;
    const nh = skb.networkHeader;
    const d: UdpDatagram = {
      data: b.subarray(th + UDP_HLEN, skb.tail),
      addr: readU32(b, nh + 12),
      port: readU16(b, th),
      dst: readU32(b, nh + 16),
      dev: (skb.dev as NetDevice | null) ?? null,
    };
    // The bytes are the caller's now (skb ownership rule 4): detach them so no pool can reuse the buffer.
    skb.buf = EMPTY;
    skb.data = skb.tail = 0;
    skb.free();
    return d;
  }

  /** SO_ERROR: the pending error (negative errno) once, or 0. */
  getError(): number {
    return this.takeError();
  }

  private takeError(): number {
    const e = this.pendingError;
    this.pendingError = 0;
    return e === 0 ? 0 : -e;
  }

  /** MSG_ERRQUEUE: the oldest queued error, or null. */
  readError(): UdpSocketError | null {
    return this.errQueue.shift() ?? null;
  }

  /** Called by Udp with an ICMP error about a datagram this socket sent to info.dst:dport. */
  icmpError(info: IcmpErrorInfo, dport: number): void {
    let errno = 0;
    let fatal = false;
    switch (info.type) {
      case 3: {
        const e = UNREACH_ERR[info.code];
        if (e === undefined) return;
        [errno, fatal] = e;
        if (info.code === 4) {
          if (!this.df) return; // PMTU already updated by IPv4; only DF senders care
          fatal = true;
        }
        break;
      }
      case 11:
        errno = EHOSTUNREACH;
        break;
      case 12:
        errno = EPROTO;
        fatal = true;
        break;
      default:
        return; // source quench and others: ignored, as Linux
    }
    const err: UdpSocketError = {
      errno,
      code: errnoName(errno),
      icmpType: info.type,
      icmpCode: info.code,
      info: info.mtu,
      addr: info.dst,
      port: dport,
      reporter: info.reporter,
    };
    if (this.recvErr) {
      if (this.errQueue.length >= ERRQUEUE_MAX) this.errQueueDrops++;
      else this.errQueue.push(err);
    } else if (!fatal || !this.connected) {
      return;
    }
    this.pendingError = errno;
    const cb = this.onError;
    if (cb !== null) this.udp.clock.defer(() => cb(err));
    this.notifyReadable();
  }

  /** close(): unhash, drop what is queued. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.localPort !== 0) this.udp.unhashSocket(this, this.localPort);
    for (let s = this.dequeue(); s !== null; s = this.dequeue()) s.free();
    this.errQueue.length = 0;
  }
}
