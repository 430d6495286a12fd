/**
 * A node:net-compatible TCP socket over airstack's TCP (the part of Node's net.Socket that sits on a handle): a
 * real stream.Duplex whose readable side pulls from the connection's receive queue only while the stream wants data
 * (a paused reader stops pulling, the queue fills and the advertised window closes) and whose writable side hands
 * each chunk to the send buffer, completing the write callback only when all of it was taken (so write() returns
 * false and 'drain' follows exactly when the send buffer is full, as with a kernel socket).
 *
 * Received data is pushed as Buffer views of the received segments (zero copy); sent data is copied once, into the
 * segments. Events, properties and end/destroy semantics follow Node's net.Socket: 'connect' + 'ready', 'lookup',
 * 'data', 'end', 'timeout', 'error' then 'close'(hadError); allowHalfOpen; destroy() closes (FIN, or RST with unread
 * data, as close(2)), resetAndDestroy() sends RST; errors carry Node's code/errno/syscall.
 */
import type { AddressInfo } from 'node:net';
import type { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import type { Timer } from '../core/clock.ts';
import { formatIpv4, parseIpv4 } from '../inet/addr.ts';
import { TcpSocketError, type TcpSock, type TcpSockOptions } from '../tcp/sock.ts';
import { type TcpErrorCode, type TcpSockOwner, TcpState } from '../tcp/types.ts';
import { errnoError, hostPortError, nodeError, type SystemError } from './errors.ts';
import { ipFamily, type LookupFunction, lookupIpv4 } from './lookup.ts';
import type { NetApi } from './net.ts';
import type { Server } from './tcp-server.ts';

export interface SocketOptions {
  /** Keep the writable side open after the peer's FIN (default false: end() follows 'end'). */
  allowHalfOpen?: boolean;
  /** Disable Nagle (TCP_NODELAY) from the start. */
  noDelay?: boolean;
  /** SO_KEEPALIVE from the start, with `keepAliveInitialDelay` ms of idle time. */
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** Stream buffer sizes (Node's defaults when absent). */
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  /** Aborts the socket (destroy with an AbortError). */
  signal?: AbortSignal;
}

export interface TcpSocketConnectOpts {
  port: number | string;
  host?: string;
  localAddress?: string;
  localPort?: number;
  family?: number;
  /** Resolver with dns.lookup's signature (default: the NetApi's). */
  lookup?: LookupFunction;
  /** setTimeout(timeout) once the socket exists. */
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** Per-connection TCP settings of the core (buffers, congestion control, user timeout...). */
  tcp?: TcpSockOptions;
}

/** Any event listener (EventEmitter's own parameter type). */
type AnyListener = Parameters<EventEmitter['on']>[1];

type WriteCb = (err?: Error | null) => void;

let nextId = 0;

export class Socket extends Duplex {
  /** The connection's owner: forwards TCP's events (a class, so that a socket costs no closures). */
  static #Owner: new (
    s: Socket,
  ) => TcpSockOwner;
  static {
    Socket.#Owner = class SocketOwner implements TcpSockOwner {
      constructor(private readonly s: Socket) {}
      onConnected(): void {
        this.s.#onConnected();
      }
      onReadable(): void {
        this.s.#onReadable();
      }
      onWritable(): void {
        this.s.#flushWrites();
      }
      onError(code: TcpErrorCode): void {
        this.s.#onError(code);
      }
      onClose(): void {
        this.s.#onClose();
      }
    };
  }

  readonly #net: NetApi;
  #sk: TcpSock | null = null;
  /** connect() was called and the handshake has not completed. */
  connecting = false;
  /** The readable side wants data (between _read and a push that returned false). */
  #reading = false;
  #eofPushed = false;
  // Write in progress: chunks not yet fully taken by the send buffer.
  #wChunks: Buffer[] | null = null;
  #wIdx = 0;
  #wOff = 0;
  #wCb: WriteCb | null = null;
  /** Bytes of the write in progress, and of every write ever handed to _write/_writev. */
  #wLen = 0;
  #bytesDispatched = 0;
  #bytesRead = 0;
  #bytesSent = 0;
  // Idle timeout (setTimeout).
  #timeoutMs = 0;
  #timer: Timer | null = null;
  #lastActive = 0;
  #reset = false;
  #noDelay = false;
  #keepAlive = false;
  #keepAliveDelay = 0;
  #connectPort = 0;
  #connectAddr = '';
  #server: Server | null = null;
  readonly #id = ++nextId;
  /** The Server that accepted this socket (as Node's socket.server). */
  server: Server | null = null;

  readonly #owner: TcpSockOwner = new Socket.#Owner(this);

  /** @internal use NetApi's Socket / connect / createServer. */
  constructor(net: NetApi, options: SocketOptions = {}) {
    super({
      allowHalfOpen: options.allowHalfOpen ?? false,
      // As net.Socket: 'close' is emitted by _destroy with the hadError argument.
      emitClose: false,
      autoDestroy: true,
      decodeStrings: true,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
      signal: options.signal,
    });
    this.#net = net;
    if (options.noDelay) this.#noDelay = true;
    if (options.keepAlive) {
      this.#keepAlive = true;
      this.#keepAliveDelay = options.keepAliveInitialDelay ?? 0;
    }
    this.on('end', onReadableStreamEnd);
  }

  // --- typed events (as @types/node's net.Socket) ---------------------------------------------------------------

  override on(event: 'close', listener: (hadError: boolean) => void): this;
  override on(event: 'connect' | 'ready' | 'end' | 'timeout' | 'drain' | 'finish', listener: () => void): this;
  override on(event: 'data', listener: (data: Buffer) => void): this;
  override on(event: 'error', listener: (err: SystemError) => void): this;
  override on(
    event: 'lookup',
    listener: (err: Error | null, address: string, family: number, host: string) => void,
  ): this;
  override on(event: string | symbol, listener: AnyListener): this;
  override on(event: string | symbol, listener: AnyListener): this {
    return super.on(event, listener);
  }

  override once(event: 'close', listener: (hadError: boolean) => void): this;
  override once(event: 'connect' | 'ready' | 'end' | 'timeout' | 'drain' | 'finish', listener: () => void): this;
  override once(event: 'data', listener: (data: Buffer) => void): this;
  override once(event: 'error', listener: (err: SystemError) => void): this;
  override once(
    event: 'lookup',
    listener: (err: Error | null, address: string, family: number, host: string) => void,
  ): this;
  override once(event: string | symbol, listener: AnyListener): this;
  override once(event: string | symbol, listener: AnyListener): this {
    return super.once(event, listener);
  }

  // --- attaching to a connection -----------------------------------------------------------------------------

  /** @internal An accepted connection: the socket is open at once. */
  attachAccepted(sk: TcpSock, server: Server, pauseOnCreate: boolean): void {
    this.#sk = sk;
    this.#server = server;
    this.server = server;
    if (pauseOnCreate) this.pause();
    this.#applyOptions();
    // Events that happened before the connection had an owner were not delivered: look at its state now.
    if (sk.state === TcpState.CLOSE) {
      process.nextTick(() => this.#onClose());
    }
  }

  /** @internal the owner object to hand to TcpListener.accept(). */
  get tcpOwner(): TcpSockOwner {
    return this.#owner;
  }

  /** The TCP connection underneath (null before connect()). For diagnostics: info(), counters. */
  get tcp(): TcpSock | null {
    return this.#sk;
  }

  // --- connect -------------------------------------------------------------------------------------------------

  connect(options: TcpSocketConnectOpts, connectListener?: () => void): this;
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(...args: unknown[]): this {
    const [opts, cb] = normalizeConnectArgs(args);
    if (this.#sk !== null || this.connecting) {
      throw nodeError(Error, 'ERR_SOCKET_CONNECTING', 'Socket is already connecting or connected');
    }
    if (this.destroyed) throw nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed');
    if (cb !== undefined) this.once('connect', cb);
    const port = validatePort(opts.port);
    const host = opts.host ?? 'localhost';
    if (opts.timeout !== undefined) this.setTimeout(opts.timeout);
    if (opts.noDelay) this.#noDelay = true;
    if (opts.keepAlive) {
      this.#keepAlive = true;
      this.#keepAliveDelay = opts.keepAliveInitialDelay ?? 0;
    }
    this.connecting = true;
    this.#connectPort = port;
    const family = ipFamily(host);
    if (family !== 0) {
      // As Node: an IP literal connects on the next tick, without a 'lookup' event.
      process.nextTick(() => this.#internalConnect(host, port, opts));
      return this;
    }
    const lookup = opts.lookup ?? this.#net.lookup;
    lookupIpv4(lookup, host, (err, address, fam) => {
      if (!this.connecting) return;
      this.emit('lookup', err, address, fam, host);
      if (err) {
        this.destroy(err);
        return;
      }
      this.#internalConnect(address, port, opts);
    });
    return this;
  }

  #internalConnect(address: string, port: number, opts: TcpSocketConnectOpts): void {
    if (!this.connecting || this.destroyed) return;
    this.#connectAddr = address;
    if (ipFamily(address) !== 4) {
      this.destroy(hostPortError('EAFNOSUPPORT', 'connect', address, port));
      return;
    }
    let localAddr: number | undefined;
    if (opts.localAddress !== undefined) {
      if (ipFamily(opts.localAddress) !== 4) {
        this.destroy(nodeError(TypeError, 'ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${opts.localAddress}`));
        return;
      }
      localAddr = parseIpv4(opts.localAddress);
    }
    try {
      this.#sk = this.#net.tcp.connect({
        ...opts.tcp,
        addr: parseIpv4(address),
        port,
        localAddr,
        localPort: opts.localPort,
        owner: this.#owner,
      });
    } catch (e) {
      if (e instanceof TcpSocketError) {
        const local = opts.localAddress ? `${opts.localAddress}:${opts.localPort ?? 0}` : undefined;
        this.destroy(hostPortError(e.code, 'connect', address, port, local));
        return;
      }
      throw e;
    }
    this.#applyOptions();
  }

  #applyOptions(): void {
    const sk = this.#sk!;
    if (this.#noDelay) sk.setNoDelay(true);
    if (this.#keepAlive) this.#setKeepAlive(sk, true, this.#keepAliveDelay);
  }

  #onConnected(): void {
    if (!this.connecting) return;
    this.connecting = false;
    this.#touch();
    // Writes queued while connecting go out now, before anyone hears of the connection (as Node's _pendingData).
    if (this.#wCb !== null) this.#flushWrites();
    this.emit('connect');
    this.emit('ready');
    if (this.#reading) this.#pull();
  }

  // --- reading -------------------------------------------------------------------------------------------------

  override _read(): void {
    this.#reading = true;
    if (this.#sk !== null && !this.connecting) this.#pull();
  }

  #onReadable(): void {
    if (this.#reading) this.#pull();
    else if (this.#sk?.eof && !this.#eofPushed) this.#pushEof();
  }

  /** Move received data from the connection to the stream while the stream wants it. */
  #pull(): void {
    const sk = this.#sk!;
    while (this.#reading && !this.destroyed) {
      const b = sk.recv();
      if (b === null) break;
      this.#bytesRead += b.length;
      if (this.#timeoutMs > 0) this.#touch();
      if (!this.push(b)) this.#reading = false;
    }
    if (sk.eof && !this.#eofPushed && !this.destroyed) this.#pushEof();
  }

  #pushEof(): void {
    this.#eofPushed = true;
    this.push(null);
  }

  // --- writing -------------------------------------------------------------------------------------------------

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: WriteCb): void {
    this.#startWrite([chunk], cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, cb: WriteCb): void {
    const list: Buffer[] = new Array(chunks.length);
    for (let i = 0; i < chunks.length; i++) list[i] = chunks[i]!.chunk;
    this.#startWrite(list, cb);
  }

  #startWrite(list: Buffer[], cb: WriteCb): void {
    this.#wChunks = list;
    this.#wIdx = 0;
    this.#wOff = 0;
    this.#wCb = cb;
    let len = 0;
    for (const c of list) len += c.length;
    this.#wLen = len;
    this.#bytesDispatched += len;
    if (this.connecting) return; // sent on connect
    if (this.#sk === null) {
      this.#finishWrite(nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed'));
      return;
    }
    this.#flushWrites();
  }

  /** Hand as much of the write in progress to the send buffer as it takes; complete it when all is taken. */
  #flushWrites(): void {
    const list = this.#wChunks;
    const sk = this.#sk;
    if (list === null || sk === null || this.connecting) return;
    try {
      while (this.#wIdx < list.length) {
        const c = list[this.#wIdx]!;
        const n = c.length - this.#wOff > 0 ? sk.send(c, this.#wOff, c.length - this.#wOff) : 0;
        this.#bytesSent += n;
        this.#wOff += n;
        if (this.#wOff < c.length) return; // the send buffer is full: onWritable continues
        this.#wIdx++;
        this.#wOff = 0;
      }
    } catch (e) {
      if (!(e instanceof TcpSocketError)) throw e;
      this.#finishWrite(errnoError(e.code, 'write'));
      return;
    }
    if (this.#timeoutMs > 0) this.#touch();
    this.#finishWrite(null);
  }

  #finishWrite(err: Error | null): void {
    const cb = this.#wCb;
    this.#wChunks = null;
    this.#wCb = null;
    this.#wLen = 0;
    cb?.(err);
  }

  override _final(cb: WriteCb): void {
    if (this.connecting) {
      this.once('connect', () => this._final(cb));
      return;
    }
    const sk = this.#sk;
    if (sk === null || sk.state === TcpState.CLOSE) {
      cb();
      return;
    }
    sk.shutdown('write');
    cb();
  }

  // --- closing -------------------------------------------------------------------------------------------------

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.connecting = false;
    this.#reading = false;
    this.#timer?.cancel();
    const sk = this.#sk;
    if (sk !== null) {
      sk.owner = null;
      if (this.#reset) sk.abort();
      else sk.close();
    }
    if (this.#wCb !== null) this.#finishWrite(err ?? nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed'));
    cb(err);
    const server = this.#server;
    this.#server = null;
    process.nextTick(() => {
      this.emit('close', err != null);
      server?.connectionClosed(this);
    });
  }

  /** Close after the pending writes (end, then destroy on 'finish'). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Close with RST (SO_LINGER 0) instead of FIN. */
  resetAndDestroy(): this {
    if (this.#sk === null && !this.connecting) {
      throw nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed');
    }
    this.#reset = true;
    return this.destroy();
  }

  #onError(code: TcpErrorCode): void {
    if (this.destroyed) return;
    if (this.connecting) {
      this.destroy(hostPortError(code, 'connect', this.#connectAddr, this.#connectPort));
      return;
    }
    // Data that arrived before the failure is still handed to the reader (as recv() does before reporting it).
    if (this.#reading) this.#pull();
    this.destroy(errnoError(code, code === 'EPIPE' ? 'write' : 'read'));
  }

  #onClose(): void {
    const sk = this.#sk;
    if (sk === null || this.destroyed) return;
    if (sk.error !== null) {
      this.#onError(sk.error);
      return;
    }
    if (this.#reading) this.#pull();
    // Closed without the peer's FIN or an error (shut down before connecting, the listener went away): nothing
    // more will come either way.
    if (!sk.peerFin) this.destroy();
  }

  // --- options -------------------------------------------------------------------------------------------------

  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay;
    this.#sk?.setNoDelay(noDelay);
    return this;
  }

  /**
   * SO_KEEPALIVE. As Node 20 (libuv 1.46, checked with strace): an initial delay of at least 1 s sets TCP_KEEPIDLE
   * to whole seconds and probes every second, 10 times (TCP_KEEPINTVL 1, TCP_KEEPCNT 10); a smaller delay only
   * turns keepalive on with the stack's defaults.
   */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#keepAlive = enable;
    this.#keepAliveDelay = initialDelay;
    if (this.#sk !== null) this.#setKeepAlive(this.#sk, enable, initialDelay);
    return this;
  }

  #setKeepAlive(sk: TcpSock, enable: boolean, delayMs: number): void {
    const secs = Math.floor(delayMs / 1000);
    if (enable && secs >= 1) sk.setKeepAlive(true, secs * 1000, 1000, 10);
    else sk.setKeepAlive(enable);
  }

  /** Idle timeout: 'timeout' after `ms` without reads or writes (the socket stays open); 0 disables. */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "msecs" is out of range. Received ${String(ms)}`);
    }
    if (callback !== undefined && typeof callback !== 'function') {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "callback" argument must be of type function');
    }
    this.#timeoutMs = Math.floor(ms);
    if (ms === 0) {
      this.#timer?.cancel();
      if (callback) this.removeListener('timeout', callback);
      return this;
    }
    if (callback) this.once('timeout', callback);
    if (this.#timer === null) this.#timer = this.#net.clock.timer(() => this.#onTimer());
    this.#lastActive = this.#net.clock.now();
    this.#timer.mod(this.#timeoutMs);
    return this;
  }

  /** The idle timeout in ms (undefined when none), as Node's socket.timeout. */
  get timeout(): number | undefined {
    return this.#timeoutMs > 0 ? this.#timeoutMs : undefined;
  }

  #touch(): void {
    if (this.#timeoutMs === 0) return;
    this.#lastActive = this.#net.clock.now();
    // The timer is re-armed lazily when it fires; only an expired one needs arming again.
    if (this.#timer !== null && !this.#timer.pending) this.#timer.mod(this.#timeoutMs);
  }

  #onTimer(): void {
    if (this.#timeoutMs === 0 || this.destroyed) return;
    const due = this.#lastActive + this.#timeoutMs;
    if (this.#net.clock.now() < due) {
      this.#timer!.modAt(due);
      return;
    }
    this.emit('timeout');
  }

  /** No-ops that keep the API: our timers and connections never hold Node's event loop by themselves. */
  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // --- addresses and counters ------------------------------------------------------------------------------------

  address(): AddressInfo | Record<string, never> {
    const sk = this.#sk;
    if (sk === null) return {};
    return { address: formatIpv4(sk.saddr), family: 'IPv4', port: sk.sport };
  }

  get remoteAddress(): string | undefined {
    const sk = this.#sk;
    return sk === null || this.connecting ? undefined : formatIpv4(sk.daddr);
  }

  get remotePort(): number | undefined {
    const sk = this.#sk;
    return sk === null || this.connecting ? undefined : sk.dport;
  }

  get remoteFamily(): string | undefined {
    return this.remoteAddress === undefined ? undefined : 'IPv4';
  }

  get localAddress(): string | undefined {
    const sk = this.#sk;
    return sk === null ? undefined : formatIpv4(sk.saddr);
  }

  get localPort(): number | undefined {
    return this.#sk?.sport;
  }

  get localFamily(): string | undefined {
    return this.#sk === null ? undefined : 'IPv4';
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Bytes written so far, including those still buffered in the stream, as Node counts them. */
  get bytesWritten(): number {
    return this.#bytesDispatched + Math.max(0, this.writableLength - this.#wLen);
  }

  /** Bytes the TCP send buffer has taken (sent or queued in the connection). */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** Deprecated in Node, kept for code that still reads it. */
  get bufferSize(): number {
    return this.writableLength;
  }

  /** True before connect() completes (or when never connected). */
  get pending(): boolean {
    return this.#sk === null || this.connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Node's list of addresses tried with autoSelectFamily (one: we do not race families). */
  get autoSelectFamilyAttemptedAddresses(): string[] {
    return this.#connectAddr ? [`${this.#connectAddr}:${this.#connectPort}`] : [];
  }

  override toString(): string {
    return `Socket#${this.#id}${this.#sk ? ` ${this.#sk.toString()}` : ''}`;
  }
}

/** As Node: with allowHalfOpen off, writing after the peer's FIN is an EPIPE. */
function onReadableStreamEnd(this: Socket): void {
  if (!this.allowHalfOpen) {
    this.write = writeAfterFin as Socket['write'];
  }
}

function writeAfterFin(this: Socket, chunk: unknown, encoding?: BufferEncoding | WriteCb, cb?: WriteCb): boolean {
  if (!this.writableEnded) {
    return Duplex.prototype.write.call(this, chunk, encoding as BufferEncoding, cb);
  }
  if (typeof encoding === 'function') cb = encoding;
  const er = errnoError('EPIPE', 'write') as SystemError;
  er.message = 'This socket has been ended by the other party';
  if (typeof cb === 'function') process.nextTick(cb, er);
  this.destroy(er);
  return false;
}

function validatePort(p: unknown): number {
  const n = typeof p === 'string' && p.trim() !== '' ? Number(p) : p;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `Port should be >= 0 and < 65536. Received ${String(p)}.`);
  }
  return n;
}

/** connect(options[, cb]) | connect(port[, host][, cb]). */
export function normalizeConnectArgs(args: unknown[]): [TcpSocketConnectOpts, (() => void) | undefined] {
  const last = args[args.length - 1];
  const cb = typeof last === 'function' ? (last as () => void) : undefined;
  const a0 = args[0];
  if (a0 !== null && typeof a0 === 'object') {
    const o = a0 as TcpSocketConnectOpts & { path?: string };
    if (o.path !== undefined) {
      throw nodeError(Error, 'ERR_INVALID_ARG_VALUE', 'IPC (path) connections are not supported by airstack sockets');
    }
    if (o.port === undefined) {
      throw nodeError(TypeError, 'ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified');
    }
    return [o, cb];
  }
  if (typeof a0 !== 'number' && typeof a0 !== 'string') {
    throw nodeError(TypeError, 'ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified');
  }
  const host = typeof args[1] === 'string' ? args[1] : undefined;
  return [{ port: a0, host }, cb];
}
