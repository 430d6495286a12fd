/**
 * BSD-style socket calls over airstack's TCP and UDP, for event-loop code written the C way: small integer file
 * descriptors, every call non-blocking and returning a result or a negative errno (-EAGAIN when it would block,
 * -EINPROGRESS from connect), readiness through epoll (epoll.ts). The socket layer of Linux in miniature:
 *
 *     const bsd = new BsdSockets(stack);
 *     const lfd = bsd.socket(AF_INET, SOCK_STREAM);
 *     bsd.bind(lfd, '0.0.0.0', 80); bsd.listen(lfd, 128);
 *     const ep = bsd.epollCreate();
 *     ep.epollCtl(EPOLL_CTL_ADD, lfd, EPOLLIN);
 *     for (;;) for (const ev of await ep.wait(64)) {
 *       if (ev.fd === lfd) { for (let c; (c = bsd.accept(lfd)) >= 0; ) ep.epollCtl(EPOLL_CTL_ADD, c, EPOLLIN | EPOLLET); }
 *       else { const n = bsd.recv(ev.fd, buf); ... }
 *     }
 *
 * Readiness follows tcp_poll: a listener is readable when a connection waits in its accept queue; a connection
 * is readable with data, after the peer's FIN (with EPOLLRDHUP) or a failure; writable when a third of its send
 * buffer is free (Linux's sk_stream_is_writeable) or after shutdown(SHUT_WR) (writes fail at once); EPOLLHUP when
 * both directions are shut or the connection is closed; EPOLLERR while an error is pending (SO_ERROR).
 *
 * Differences from Linux, by design: bind() of a TCP socket records the address and port and checks them when
 * listen() or connect() uses them (the TCP core has no bound-but-idle state), so EADDRINUSE can come from those.
 */
import { formatIpv4, tryParseIpv4 } from '../inet/addr.ts';
import type { Stack } from '../stack.ts';
import type { TcpListener } from '../tcp/listen.ts';
import { TcpSocketError, type TcpSock } from '../tcp/sock.ts';
import {
  EADDRNOTAVAIL,
  EAFNOSUPPORT,
  EAGAIN,
  EALREADY,
  EBADF,
  EDESTADDRREQ,
  EINPROGRESS,
  EINVAL,
  EISCONN,
  ENOPROTOOPT,
  ENOTCONN,
  EOPNOTSUPP,
  EPIPE,
  EPROTOTYPE,
} from '../inet/errno.ts';
import { TCP_ERRNO, type TcpErrorCode, type TcpSockOwner, TcpState } from '../tcp/types.ts';
import type { UdpRecvInfo, UdpSocket } from '../udp/socket.ts';
import {
  EPOLLERR,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  EPOLLRDNORM,
  EPOLLWRNORM,
  Epoll,
  type Pollable,
} from './epoll.ts';

export const AF_INET = 2;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
/** Accepted for compatibility: every descriptor here is non-blocking. */
export const SOCK_NONBLOCK = 0o4000;
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;
export const MSG_PEEK = 2;
export const MSG_DONTWAIT = 0x40;

/** Address of a peer or of the socket itself. */
export interface SockAddr {
  addr: string;
  port: number;
}

export type SockOpt =
  | 'SO_ERROR'
  | 'SO_RCVBUF'
  | 'SO_SNDBUF'
  | 'SO_KEEPALIVE'
  | 'SO_REUSEADDR'
  | 'SO_BROADCAST'
  | 'SO_LINGER'
  | 'TCP_NODELAY'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'TCP_USER_TIMEOUT'
  | 'TCP_CORK';

/** What each descriptor is. */
abstract class File implements Pollable {
  private waiters: Array<() => void> = [];
  abstract poll(): number;
  abstract close(): void;

  addWaiter(fn: () => void): void {
    this.waiters.push(fn);
  }

  removeWaiter(fn: () => void): void {
    const i = this.waiters.indexOf(fn);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** Wake everyone waiting on this file (sock_def_readable and friends). */
  wake(): void {
    const w = this.waiters;
    for (let i = 0; i < w.length; i++) w[i]!();
  }
}

class TcpFile extends File implements TcpSockOwner {
  sk: TcpSock | null = null;
  listener: TcpListener | null = null;
  bindAddr = 0;
  bindPort = 0;
  /** SO_ERROR: set by a failure, cleared when reported. */
  soError = 0;
  /** SO_LINGER {on, 0}: close() resets. */
  lingerAbort = false;
  opts: {
    noDelay?: boolean;
    keepAlive?: boolean;
    keepIdleMs?: number;
    keepIntvlMs?: number;
    keepCnt?: number;
    rcvBuf?: number;
    sndBuf?: number;
    userTimeoutMs?: number;
  } = {};

  poll(): number {
    if (this.listener !== null) return this.listener.pending > 0 ? EPOLLIN | EPOLLRDNORM : 0;
    const sk = this.sk;
    let mask = this.soError !== 0 ? EPOLLERR : 0;
    if (sk === null) return mask | EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
    const st = sk.state;
    if (st === TcpState.CLOSE) {
      // tcp_done shuts both directions: everything reads as ready (and fails or reads EOF at once).
      return mask | EPOLLHUP | EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLOUT | EPOLLWRNORM;
    }
    const rdShut = sk.peerFin || sk.rcvShutdown;
    if (rdShut && sk.sndShutdown) mask |= EPOLLHUP;
    if (rdShut) mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
    if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECV) return mask;
    if (sk.readableLength > 0) mask |= EPOLLIN | EPOLLRDNORM;
    // sk_stream_is_writeable: free space at least half of what is queued, i.e. a third of the buffer.
    if (sk.sndShutdown || sk.sendSpace * 3 >= sk.sndbuf) mask |= EPOLLOUT | EPOLLWRNORM;
    return mask;
  }

  // TcpSockOwner: every event is a wake-up.
  onConnected(): void {
    this.wake();
  }
  onReadable(): void {
    this.wake();
  }
  onWritable(): void {
    this.wake();
  }
  onError(code: TcpErrorCode): void {
    this.soError = TCP_ERRNO[code];
    this.wake();
  }
  onClose(): void {
    this.wake();
  }

  close(): void {
    this.listener?.close();
    this.listener = null;
    const sk = this.sk;
    if (sk !== null) {
      sk.owner = null;
      if (this.lingerAbort) sk.abort();
      else sk.close();
    }
  }

  takeError(): number {
    const e = this.soError;
    this.soError = 0;
    return e;
  }
}

class UdpFile extends File {
  errPending = false;

  constructor(readonly u: UdpSocket) {
    super();
    u.onReadable = () => this.wake();
    u.onWritable = () => this.wake();
    u.onError = () => {
      this.errPending = true;
      this.wake();
    };
  }

  poll(): number {
    let mask = this.errPending ? EPOLLERR : 0;
    if (this.u.queued > 0) mask |= EPOLLIN | EPOLLRDNORM;
    if (this.u.wmem < this.u.sndbuf) mask |= EPOLLOUT | EPOLLWRNORM;
    return mask;
  }

  close(): void {
    this.u.close();
  }
}

export class BsdSockets {
  private readonly files: Array<File | null> = [null, null, null];
  private readonly epolls = new Set<Epoll>();
  private readonly scratchInfo: UdpRecvInfo = { addr: 0, port: 0, dst: 0, length: 0, truncated: false };

  constructor(private readonly stack: Stack) {}

  // --- descriptors -------------------------------------------------------------------------------------------

  private install(f: File): number {
    // The lowest free descriptor (0-2 are left to stdio, as in a process).
    for (let fd = 3; fd < this.files.length; fd++) {
      if (this.files[fd] === null) {
        this.files[fd] = f;
        return fd;
      }
    }
    this.files.push(f);
    return this.files.length - 1;
  }

  private file(fd: number): File | null {
    return (Number.isInteger(fd) && fd >= 0 ? this.files[fd] : null) ?? null;
  }

  private tcpFile(fd: number): TcpFile | number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (!(f instanceof TcpFile)) return -EOPNOTSUPP;
    return f;
  }

  /** socket(AF_INET, SOCK_STREAM | SOCK_DGRAM [| SOCK_NONBLOCK], 0): a descriptor or -errno. */
  socket(domain: number, type: number, protocol = 0): number {
    if (domain !== AF_INET) return -EAFNOSUPPORT;
    const t = type & ~SOCK_NONBLOCK;
    if (t === SOCK_STREAM && (protocol === 0 || protocol === 6)) return this.install(new TcpFile());
    if (t === SOCK_DGRAM && (protocol === 0 || protocol === 17))
      return this.install(new UdpFile(this.stack.udpSocket()));
    return t === SOCK_STREAM || t === SOCK_DGRAM ? -EPROTOTYPE : -EINVAL;
  }

  /** A new epoll instance watching descriptors of this table. */
  epollCreate(): Epoll {
    const ep = new Epoll(this.stack.clock, (fd) => this.file(fd));
    this.epolls.add(ep);
    return ep;
  }

  close(fd: number): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    for (const ep of this.epolls) ep.forget(fd);
    this.files[fd] = null;
    f.close();
    return 0;
  }

  // --- addresses ---------------------------------------------------------------------------------------------

  bind(fd: number, addr: string, port: number): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    const a = parseAddr(addr);
    if (a === null || !validPort(port, true)) return -EINVAL;
    if (f instanceof UdpFile) return f.u.bind(a, port);
    const t = f as TcpFile;
    if (t.sk !== null || t.listener !== null || t.bindPort !== 0) return -EINVAL;
    if (a !== 0 && !this.stack.ipv4.isLocal(a)) return -EADDRNOTAVAIL;
    t.bindAddr = a;
    t.bindPort = port;
    return 0;
  }

  listen(fd: number, backlog = 128): number {
    const t = this.tcpFile(fd);
    if (typeof t === 'number') return t;
    if (t.sk !== null) return -EINVAL;
    if (t.listener !== null) return 0;
    try {
      const l = this.stack.tcp.listen({ ...t.opts, addr: t.bindAddr, port: t.bindPort, backlog });
      l.owner = { onAcceptReady: () => t.wake() };
      t.listener = l;
      t.bindPort = l.sport;
      return 0;
    } catch (e) {
      return -errnoOf(e);
    }
  }

  /** accept4: a descriptor for the next waiting connection, -EAGAIN when none; `peer` is filled in. */
  accept(fd: number, peer?: SockAddr): number {
    const t = this.tcpFile(fd);
    if (typeof t === 'number') return t;
    if (t.listener === null) return -EINVAL;
    const child = new TcpFile();
    const sk = t.listener.accept(child);
    if (sk === null) return -EAGAIN;
    child.sk = sk;
    if (sk.state === TcpState.CLOSE && sk.error !== null) child.soError = TCP_ERRNO[sk.error];
    if (peer !== undefined) {
      peer.addr = formatIpv4(sk.daddr);
      peer.port = sk.dport;
    }
    return this.install(child);
  }

  /** connect: TCP starts the handshake and returns -EINPROGRESS (EPOLLOUT when done, SO_ERROR says how). */
  connect(fd: number, addr: string, port: number): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    const a = parseAddr(addr);
    if (a === null || !validPort(port, false)) return -EINVAL;
    if (f instanceof UdpFile) return f.u.connect(a, port);
    const t = f as TcpFile;
    if (t.listener !== null) return -EINVAL;
    if (t.sk !== null) {
      const st = t.sk.state;
      if (st === TcpState.SYN_SENT) return -EALREADY;
      if (st === TcpState.CLOSE) {
        const e = t.takeError();
        return e !== 0 ? -e : -EISCONN;
      }
      return -EISCONN;
    }
    try {
      t.sk = this.stack.tcp.connect({
        ...t.opts,
        addr: a,
        port,
        localAddr: t.bindAddr !== 0 ? t.bindAddr : undefined,
        localPort: t.bindPort !== 0 ? t.bindPort : undefined,
        owner: t,
      });
      if (t.lingerAbort) t.sk.lingerAbort = true;
    } catch (e) {
      return -errnoOf(e);
    }
    return -EINPROGRESS;
  }

  getsockname(fd: number): SockAddr | number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (f instanceof UdpFile) return { addr: formatIpv4(f.u.localAddr), port: f.u.localPort };
    const t = f as TcpFile;
    if (t.sk !== null) return { addr: formatIpv4(t.sk.saddr), port: t.sk.sport };
    if (t.listener !== null) return { addr: formatIpv4(t.listener.saddr), port: t.listener.sport };
    return { addr: formatIpv4(t.bindAddr), port: t.bindPort };
  }

  getpeername(fd: number): SockAddr | number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (f instanceof UdpFile) {
      return f.u.connected ? { addr: formatIpv4(f.u.remoteAddr), port: f.u.remotePort } : -ENOTCONN;
    }
    const sk = (f as TcpFile).sk;
    if (sk === null || sk.state === TcpState.SYN_SENT || sk.state === TcpState.CLOSE) return -ENOTCONN;
    return { addr: formatIpv4(sk.daddr), port: sk.dport };
  }

  // --- data --------------------------------------------------------------------------------------------------

  /** send: bytes taken (copied into the send buffer), or -EAGAIN (full), -EPIPE, -ENOTCONN, a pending error. */
  send(fd: number, buf: Uint8Array, off = 0, len = buf.length - off, _flags = 0): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (f instanceof UdpFile) return f.u.send(buf, off, len);
    const t = f as TcpFile;
    const sk = t.sk;
    if (sk === null) return -ENOTCONN;
    if (t.soError !== 0) return -t.takeError();
    const st = sk.state;
    if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECV) return -EAGAIN;
    if (sk.sndShutdown || st === TcpState.CLOSE) return -EPIPE;
    try {
      const n = sk.send(buf, off, len);
      return n === 0 && len > 0 ? -EAGAIN : n;
    } catch (e) {
      return -errnoOf(e);
    }
  }

  /** sendto on a UDP socket. */
  sendto(fd: number, buf: Uint8Array, addr: string, port: number, off = 0, len = buf.length - off): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (!(f instanceof UdpFile)) return f instanceof TcpFile && f.sk !== null ? -EISCONN : -EOPNOTSUPP;
    const a = parseAddr(addr);
    if (a === null) return -EINVAL;
    if (!validPort(port, false)) return -EDESTADDRREQ;
    return f.u.sendTo(buf, a, port, off, len);
  }

  /**
   * recv into buf: the byte count, 0 at end of stream, -EAGAIN when nothing is there yet, or a pending error
   * (-ECONNRESET...). MSG_PEEK leaves the bytes queued.
   */
  recv(fd: number, buf: Uint8Array, off = 0, len = buf.length - off, flags = 0): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (f instanceof UdpFile) return this.recvfrom(fd, buf, undefined, off, len);
    const t = f as TcpFile;
    const sk = t.sk;
    if (sk === null) return -ENOTCONN;
    if (sk.readableLength > 0 && len > 0) return sk.recvInto(buf, off, len, (flags & MSG_PEEK) !== 0);
    if (t.soError !== 0) return -t.takeError();
    const st = sk.state;
    if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECV) return -EAGAIN;
    if (sk.peerFin || sk.rcvShutdown || st === TcpState.CLOSE || len === 0) return 0;
    return -EAGAIN;
  }

  /** Zero-copy recv: a view of the next received bytes (at most `max`), or a number as recv() returns. */
  recvBuffer(fd: number, max = Number.POSITIVE_INFINITY): Buffer | number {
    const t = this.tcpFile(fd);
    if (typeof t === 'number') return t;
    const sk = t.sk;
    if (sk === null) return -ENOTCONN;
    const b = sk.recv(max);
    if (b !== null) return b;
    return this.recv(fd, EMPTY);
  }

  /** recvfrom on a UDP socket: the datagram length copied (truncated to len), -EAGAIN when none. */
  recvfrom(fd: number, buf: Uint8Array, from?: SockAddr, off = 0, len = buf.length - off): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (!(f instanceof UdpFile)) return this.recv(fd, buf, off, len);
    const info = this.scratchInfo;
    const n = f.u.recvInto(off === 0 && len === buf.length ? buf : buf.subarray(off, off + len), info);
    if (n < 0) {
      f.errPending = false;
      return n;
    }
    if (from !== undefined) {
      from.addr = formatIpv4(info.addr);
      from.port = info.port;
    }
    return n;
  }

  shutdown(fd: number, how: number): number {
    const t = this.tcpFile(fd);
    if (typeof t === 'number') return t;
    const sk = t.sk;
    if (sk === null || sk.state === TcpState.CLOSE || sk.state === TcpState.SYN_SENT) return -ENOTCONN;
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return -EINVAL;
    sk.shutdown(how === SHUT_RD ? 'read' : how === SHUT_WR ? 'write' : 'both');
    t.wake();
    return 0;
  }

  // --- options -----------------------------------------------------------------------------------------------

  /** getsockopt: the value, or -errno. SO_ERROR returns (and clears) the pending error as a positive errno. */
  getsockopt(fd: number, name: SockOpt): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (f instanceof UdpFile) {
      switch (name) {
        case 'SO_ERROR':
          f.errPending = false;
          return -f.u.getError();
        case 'SO_RCVBUF':
          return f.u.rcvbuf;
        case 'SO_SNDBUF':
          return f.u.sndbuf;
        case 'SO_BROADCAST':
          return f.u.broadcast ? 1 : 0;
        case 'SO_REUSEADDR':
          return f.u.reuseAddr ? 1 : 0;
        default:
          return -ENOPROTOOPT;
      }
    }
    const t = f as TcpFile;
    const sk = t.sk;
    switch (name) {
      case 'SO_ERROR':
        return t.takeError();
      case 'SO_RCVBUF':
        return sk?.rcvbuf ?? t.opts.rcvBuf ?? this.stack.tcp.config.rcvBuf;
      case 'SO_SNDBUF':
        return sk?.sndbuf ?? t.opts.sndBuf ?? this.stack.tcp.config.sndBuf;
      case 'TCP_NODELAY':
        return (sk?.noDelay ?? t.opts.noDelay) ? 1 : 0;
      case 'SO_KEEPALIVE':
        return (sk?.keepAlive ?? t.opts.keepAlive) ? 1 : 0;
      case 'SO_LINGER':
        return t.lingerAbort ? 1 : 0;
      default:
        return -ENOPROTOOPT;
    }
  }

  /** setsockopt: 0 or -errno. Times in ms (TCP_KEEPIDLE/INTVL take seconds in Linux; ms here). */
  setsockopt(fd: number, name: SockOpt, value: number | boolean): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    if (!Number.isFinite(v) || v < 0) return -EINVAL;
    if (f instanceof UdpFile) {
      switch (name) {
        case 'SO_RCVBUF':
          f.u.rcvbuf = v;
          return 0;
        case 'SO_SNDBUF':
          f.u.sndbuf = v;
          return 0;
        case 'SO_BROADCAST':
          f.u.broadcast = v !== 0;
          return 0;
        case 'SO_REUSEADDR':
          f.u.reuseAddr = v !== 0;
          return 0;
        default:
          return -ENOPROTOOPT;
      }
    }
    const t = f as TcpFile;
    const sk = t.sk;
    try {
      switch (name) {
        case 'TCP_NODELAY':
          t.opts.noDelay = v !== 0;
          sk?.setNoDelay(v !== 0);
          return 0;
        case 'TCP_CORK':
          sk?.setCork(v !== 0);
          return sk === null ? -ENOTCONN : 0;
        case 'SO_KEEPALIVE':
          t.opts.keepAlive = v !== 0;
          sk?.setKeepAlive(v !== 0);
          return 0;
        case 'TCP_KEEPIDLE':
          t.opts.keepIdleMs = v;
          if (sk) sk.applyOptions({ keepIdleMs: v });
          return 0;
        case 'TCP_KEEPINTVL':
          t.opts.keepIntvlMs = v;
          if (sk) sk.applyOptions({ keepIntvlMs: v });
          return 0;
        case 'TCP_KEEPCNT':
          t.opts.keepCnt = v;
          if (sk) sk.applyOptions({ keepCnt: v });
          return 0;
        case 'TCP_USER_TIMEOUT':
          t.opts.userTimeoutMs = v;
          sk?.setUserTimeout(v);
          return 0;
        case 'SO_RCVBUF':
          t.opts.rcvBuf = v;
          if (sk) sk.applyOptions({ rcvBuf: v });
          return 0;
        case 'SO_SNDBUF':
          t.opts.sndBuf = v;
          if (sk) sk.applyOptions({ sndBuf: v });
          return 0;
        case 'SO_LINGER':
          t.lingerAbort = v !== 0;
          if (sk) sk.lingerAbort = v !== 0;
          return 0;
        default:
          return -ENOPROTOOPT;
      }
    } catch {
      return -EINVAL;
    }
  }

  /** The readiness mask of a descriptor right now (poll(2) of one fd), or -EBADF. */
  poll(fd: number): number {
    const f = this.file(fd);
    return f === null ? -EBADF : f.poll();
  }

  /** Descriptors in use. */
  get openCount(): number {
    let n = 0;
    for (const f of this.files) if (f !== null) n++;
    return n;
  }
}

const EMPTY = Buffer.alloc(0);

function parseAddr(s: string): number | null {
  if (s === '' || s === '0.0.0.0') return 0;
  return tryParseIpv4(s);
}

function validPort(p: number, zeroOk: boolean): boolean {
  return Number.isInteger(p) && p >= (zeroOk ? 0 : 1) && p <= 65535;
}

function errnoOf(e: unknown): number {
  if (e instanceof TcpSocketError) return TCP_ERRNO[e.code];
  if (e instanceof RangeError) return EINVAL;
  throw e;
}
