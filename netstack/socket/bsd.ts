/**
 * The low-level socket API: BSD-like calls on file descriptors (socket, bind, listen, accept, connect, send,
 * recv, shutdown, close, setsockopt/getsockopt) returning 0 / a count or a negative errno as the kernel does
 * internally, and an epoll-style readiness API (epoll.ts) fed by the TCP core's events.
 *
 *     const api = new SocketApi(tcp);
 *     const lfd = api.socket();
 *     api.bind(lfd, '0.0.0.0', 80); api.listen(lfd, 128);
 *     const ep = api.epollCreate();
 *     ep.ctl(EPOLL_CTL_ADD, lfd, EPOLLIN);
 *     for (const ev of await ep.wait(64, -1)) { if (ev.fd === lfd) ep.ctl(EPOLL_CTL_ADD, api.accept(lfd), EPOLLIN | EPOLLET); ... }
 */
import {
  EADDRINUSE,
  EADDRNOTAVAIL,
  EAGAIN,
  EBADF,
  EINVAL,
  EISCONN,
  ENETUNREACH,
  ENOPROTOOPT,
  ENOTCONN,
} from '../inet/errno.ts';
import { toIpv4 } from '../inet/addr.ts';
import type { TcpListener } from '../tcp/listen.ts';
import { type TcpSock, TcpSocketError } from '../tcp/sock.ts';
import type { TcpStack } from '../tcp/stack.ts';
import { TCP_ERRNO, type TcpErrorCode, type TcpListenerOwner, type TcpSockOwner, TcpState } from '../tcp/types.ts';
import { Epoll, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from './epoll.ts';

export const EINPROGRESS = 115;
export const EPIPE = 32;
export const ECONNRESET = 104;
export const ECONNABORTED = 103;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export const MSG_PEEK = 2;

export type SockOpt =
  | 'TCP_NODELAY'
  | 'TCP_CORK'
  | 'SO_KEEPALIVE'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'TCP_USER_TIMEOUT'
  | 'TCP_MAXSEG'
  | 'SO_RCVBUF'
  | 'SO_SNDBUF'
  | 'SO_LINGER'
  | 'SO_ERROR';

function errno(code: TcpErrorCode | string): number {
  return TCP_ERRNO[code as TcpErrorCode] ?? EINVAL;
}

/** One descriptor: an unconnected socket, a listener or a connection. Receives the core's events. */
export class FileDesc implements TcpSockOwner, TcpListenerOwner {
  localAddr = 0;
  localPort = 0;
  listener: TcpListener | null = null;
  sk: TcpSock | null = null;
  /** Options set before the connection exists. */
  readonly opts: Record<string, number> = {};
  /** Epoll instances watching this descriptor. */
  readonly watchers = new Set<Epoll>();
  closed = false;

  constructor(readonly fd: number) {}

  /** Current readiness (what poll() would return). */
  events(): number {
    if (this.closed) return EPOLLHUP;
    if (this.listener !== null) return this.listener.pending > 0 ? EPOLLIN : 0;
    const sk = this.sk;
    if (sk === null) return EPOLLOUT | EPOLLHUP;
    let ev = 0;
    if (sk.error !== null) ev |= EPOLLERR;
    const st = sk.state;
    if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECV) return ev;
    if (sk.readableLength > 0 || sk.eof || sk.error !== null || st === TcpState.CLOSE) ev |= EPOLLIN;
    if (sk.peerFin) ev |= EPOLLRDHUP;
    if ((st === TcpState.ESTABLISHED || st === TcpState.CLOSE_WAIT) && !sk.sndShutdown && sk.sendSpace > 0) {
      ev |= EPOLLOUT;
    }
    if (st === TcpState.CLOSE || (sk.sndShutdown && sk.peerFin)) ev |= EPOLLHUP;
    return ev;
  }

  private notify(ev: number): void {
    for (const ep of this.watchers) ep.wakeup(this, ev);
  }

  onConnected(): void {
    this.notify(EPOLLOUT);
  }

  onReadable(): void {
    this.notify(EPOLLIN);
  }

  onWritable(): void {
    this.notify(EPOLLOUT);
  }

  onError(): void {
    this.notify(EPOLLERR | EPOLLIN | EPOLLOUT);
  }

  onClose(): void {
    this.notify(EPOLLHUP | EPOLLIN);
  }

  onAcceptReady(): void {
    this.notify(EPOLLIN);
  }
}

/** File descriptors over one TcpStack. */
export class SocketApi {
  private readonly fds = new Map<number, FileDesc>();
  private nextFd = 3;

  constructor(readonly tcp: TcpStack) {}

  /** The descriptor object (for epoll and diagnostics). */
  desc(fd: number): FileDesc | undefined {
    return this.fds.get(fd);
  }

  private alloc(): FileDesc {
    while (this.fds.has(this.nextFd)) this.nextFd++;
    const d = new FileDesc(this.nextFd++);
    this.fds.set(d.fd, d);
    return d;
  }

  /** socket(AF_INET, SOCK_STREAM, IPPROTO_TCP). */
  socket(): number {
    return this.alloc().fd;
  }

  bind(fd: number, addr: string | number, port: number): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    if (d.sk !== null || d.listener !== null || d.localPort !== 0) return -EINVAL;
    if (!Number.isInteger(port) || port < 0 || port > 65535) return -EINVAL;
    let a: number;
    try {
      a = toIpv4(addr);
    } catch {
      return -EINVAL;
    }
    if (a !== 0 && this.tcp.env.isLocalAddr && !this.tcp.env.isLocalAddr(a)) return -EADDRNOTAVAIL;
    if (port !== 0 && this.tcp.lookupListener(a, port) !== null) return -EADDRINUSE;
    d.localAddr = a;
    d.localPort = port;
    return 0;
  }

  listen(fd: number, backlog = 128): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    if (d.sk !== null) return -EINVAL;
    if (d.listener !== null) return 0;
    try {
      d.listener = this.tcp.listen({ port: d.localPort, addr: d.localAddr, backlog, ...this.sockOptions(d) });
    } catch (e) {
      return -(e instanceof TcpSocketError ? errno(e.code) : EINVAL);
    }
    d.localPort = d.listener.sport;
    d.listener.owner = d;
    return 0;
  }

  /** accept4 without flags: a new descriptor, or -EAGAIN when the accept queue is empty. */
  accept(fd: number): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    if (d.listener === null) return -EINVAL;
    const n = this.alloc();
    const sk = d.listener.accept(n);
    if (sk === null) {
      this.fds.delete(n.fd);
      return -EAGAIN;
    }
    n.sk = sk;
    n.localAddr = sk.localAddress;
    n.localPort = sk.localPort;
    return n.fd;
  }

  /** Non-blocking connect: -EINPROGRESS, then EPOLLOUT (or EPOLLERR with SO_ERROR) when it completes. */
  connect(fd: number, addr: string | number, port: number): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    if (d.listener !== null) return -EINVAL;
    if (d.sk !== null) return d.sk.state === TcpState.SYN_SENT ? -114 /* EALREADY */ : -EISCONN;
    let a: number;
    try {
      a = toIpv4(addr);
    } catch {
      return -EINVAL;
    }
    try {
      d.sk = this.tcp.connect({
        addr: a,
        port,
        localAddr: d.localAddr || undefined,
        localPort: d.localPort || undefined,
        owner: d,
        ...this.sockOptions(d),
      });
    } catch (e) {
      return -(e instanceof TcpSocketError ? errno(e.code) : ENETUNREACH);
    }
    d.localAddr = d.sk.localAddress;
    d.localPort = d.sk.localPort;
    return -EINPROGRESS;
  }

  send(fd: number, data: Uint8Array, off = 0, len = data.length - off): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    const sk = d.sk;
    if (sk === null) return -ENOTCONN;
    if (sk.state === TcpState.SYN_SENT || sk.state === TcpState.SYN_RECV) return -EAGAIN;
    try {
      const n = sk.send(data, off, len);
      return n === 0 && len > 0 ? -EAGAIN : n;
    } catch (e) {
      if (e instanceof TcpSocketError) {
        if (sk.error === e.code) sk.error = null;
        return -errno(e.code);
      }
      throw e;
    }
  }

  /** recv: a count, 0 at end of stream, -EAGAIN when nothing is waiting, or the connection's error. */
  recv(fd: number, buf: Uint8Array, off = 0, len = buf.length - off, flags = 0): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    const sk = d.sk;
    if (sk === null) return -ENOTCONN;
    if (sk.readableLength > 0) return sk.recvInto(buf, off, len, (flags & MSG_PEEK) !== 0);
    if (sk.error !== null) {
      const e = sk.error;
      if ((flags & MSG_PEEK) === 0) sk.error = null;
      return -errno(e);
    }
    if (sk.eof || sk.state === TcpState.CLOSE) return 0;
    return -EAGAIN;
  }

  /** Zero-copy receive: the next chunk as a view (the caller's from now on), null when none; see recv for EOF. */
  recvView(fd: number, max?: number): Buffer | null {
    return this.fds.get(fd)?.sk?.recv(max) ?? null;
  }

  shutdown(fd: number, how: number): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    if (d.sk === null) return -ENOTCONN;
    d.sk.shutdown(how === SHUT_RD ? 'read' : how === SHUT_WR ? 'write' : 'both');
    return 0;
  }

  close(fd: number): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    this.fds.delete(fd);
    d.closed = true;
    for (const ep of [...d.watchers]) ep.forget(d);
    if (d.listener !== null) d.listener.close();
    if (d.sk !== null) {
      d.sk.owner = null;
      d.sk.close();
    }
    return 0;
  }

  setsockopt(fd: number, opt: SockOpt, value: number): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    const sk = d.sk;
    d.opts[opt] = value;
    try {
      switch (opt) {
        case 'TCP_NODELAY':
          sk?.setNoDelay(value !== 0);
          break;
        case 'TCP_CORK':
          sk?.setCork(value !== 0);
          break;
        case 'SO_KEEPALIVE':
          sk?.setKeepAlive(value !== 0);
          break;
        case 'TCP_KEEPIDLE':
          sk?.setKeepAlive(sk.keepAlive, value * 1000);
          break;
        case 'TCP_KEEPINTVL':
          sk?.setKeepAlive(sk.keepAlive, undefined, value * 1000);
          break;
        case 'TCP_KEEPCNT':
          sk?.setKeepAlive(sk.keepAlive, undefined, undefined, value);
          break;
        case 'TCP_USER_TIMEOUT':
          sk?.setUserTimeout(value);
          break;
        case 'SO_LINGER':
          if (sk) sk.lingerAbort = value === 0;
          break;
        case 'SO_RCVBUF':
        case 'SO_SNDBUF':
        case 'TCP_MAXSEG':
          sk?.applyOptions(
            opt === 'SO_RCVBUF' ? { rcvBuf: value } : opt === 'SO_SNDBUF' ? { sndBuf: value } : { maxSeg: value },
          );
          break;
        default:
          return -ENOPROTOOPT;
      }
    } catch {
      return -EINVAL;
    }
    return 0;
  }

  /** getsockopt: SO_ERROR returns and clears the pending error (as errno), others return the value set. */
  getsockopt(fd: number, opt: SockOpt): number {
    const d = this.fds.get(fd);
    if (d === undefined) return -EBADF;
    if (opt === 'SO_ERROR') {
      const e = d.sk?.error ?? null;
      if (d.sk) d.sk.error = null;
      return e === null ? 0 : errno(e);
    }
    return d.opts[opt] ?? 0;
  }

  /** poll(2) for one descriptor: the current event mask. */
  poll(fd: number): number {
    return this.fds.get(fd)?.events() ?? EPOLLHUP;
  }

  epollCreate(): Epoll {
    return new Epoll(this, this.tcp.env.clock);
  }

  private sockOptions(d: FileDesc): Record<string, unknown> {
    const o = d.opts;
    const out: Record<string, unknown> = {};
    if (o.TCP_NODELAY !== undefined) out.noDelay = o.TCP_NODELAY !== 0;
    if (o.SO_KEEPALIVE !== undefined) out.keepAlive = o.SO_KEEPALIVE !== 0;
    if (o.TCP_USER_TIMEOUT !== undefined) out.userTimeoutMs = o.TCP_USER_TIMEOUT;
    if (o.SO_RCVBUF !== undefined) out.rcvBuf = o.SO_RCVBUF;
    if (o.SO_SNDBUF !== undefined) out.sndBuf = o.SO_SNDBUF;
    if (o.TCP_MAXSEG !== undefined) out.maxSeg = o.TCP_MAXSEG;
    return out;
  }
}
