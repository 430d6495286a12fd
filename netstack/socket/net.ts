/**
 * Node-compatible TCP sockets over airstack's TCP: `Socket` behaves like net.Socket (a Duplex stream with
 * backpressure, the usual events and methods) and `Server` like net.Server, so that `tls.connect({ socket })`,
 * `http.request({ createConnection })` and undici's `Agent({ connect })` run over them unchanged.
 *
 *     const net = createNet(tcp, { lookup });
 *     const server = net.createServer((s) => s.pipe(s)).listen(7);
 *     const c = net.connect({ host: '10.0.0.2', port: 7 }, () => c.end('hello'));
 *
 * Zero copy on receive: 'data' chunks are views of the received segments (they are the reader's). Sending copies
 * each written chunk once, into segments. Backpressure both ways: a paused reader leaves data in TCP's receive
 * queue (the window closes), a full send buffer holds write callbacks until ACKs free space.
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import type { Timer } from '../core/clock.ts';
import { formatIpv4, tryParseIpv4 } from '../inet/addr.ts';
import type { TcpListener } from '../tcp/listen.ts';
import { type TcpSock, TcpSocketError } from '../tcp/sock.ts';
import type { TcpStack } from '../tcp/stack.ts';
import { TCP_ERRNO, type TcpErrorCode, type TcpListenerOwner, type TcpSockOwner, TcpState } from '../tcp/types.ts';

/** Node's dns.lookup signature (the part net.connect uses). */
export type LookupFunction = (
  hostname: string,
  options: { family?: number; all?: boolean },
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
) => void;

export interface NetOptions {
  /** Name resolution for connect({ host }) (dns.lookup's signature); IPv4 literals and 'localhost' need none. */
  lookup?: LookupFunction;
}

export interface SocketConnectOptions {
  port: number;
  host?: string;
  localAddress?: string;
  localPort?: number;
  lookup?: LookupFunction;
  family?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  timeout?: number;
  allowHalfOpen?: boolean;
  signal?: AbortSignal;
}

export interface ServerOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

export interface ListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
}

/** A Node-style system error ("connect ECONNREFUSED 10.0.0.2:80"). */
export function sysError(code: string, syscall: string, address?: string, port?: number): NodeJS.ErrnoException {
  const where = address !== undefined ? ` ${address}${port !== undefined ? `:${port}` : ''}` : '';
  const e = new Error(`${syscall} ${code}${where}`) as NodeJS.ErrnoException & { address?: string; port?: number };
  e.code = code;
  e.errno = -(TCP_ERRNO[code as TcpErrorCode] ?? 0) || undefined;
  e.syscall = syscall;
  if (address !== undefined) e.address = address;
  if (port !== undefined) e.port = port;
  return e;
}

function resolveHost(
  host: string,
  lookup: LookupFunction | undefined,
  cb: (err: NodeJS.ErrnoException | null, addr: number) => void,
): void {
  const literal = tryParseIpv4(host);
  if (literal !== null) {
    cb(null, literal);
    return;
  }
  if (host === 'localhost') {
    cb(null, 0x7f000001);
    return;
  }
  if (lookup === undefined) {
    cb(sysError('ENOTFOUND', 'getaddrinfo', host), 0);
    return;
  }
  lookup(host, { family: 4 }, (err, address) => {
    if (err) {
      cb(err, 0);
      return;
    }
    const a = tryParseIpv4(address);
    if (a === null) cb(sysError('EAFNOSUPPORT', 'connect', address), 0);
    else cb(null, a);
  });
}

type WriteCb = (err?: Error | null) => void;

export class Socket extends Duplex implements TcpSockOwner {
  private sk: TcpSock | null = null;
  connecting = false;
  bytesRead = 0;
  private written = 0;
  private reading = false;
  private readEnded = false;
  private pendChunk: Buffer | null = null;
  private pendOff = 0;
  private pendCb: WriteCb | null = null;
  private finalCb: WriteCb | null = null;
  private timeoutMs = 0;
  private idleTimer: Timer | null = null;
  private noDelay = false;
  private keepAlive: [boolean, number] | null = null;
  private host = '';
  private connectPort = 0;

  constructor(
    private readonly net: NetApi,
    opts: { allowHalfOpen?: boolean; sk?: TcpSock } = {},
  ) {
    super({ allowHalfOpen: opts.allowHalfOpen ?? false, decodeStrings: true, emitClose: true, autoDestroy: true });
    if (opts.sk) this.attach(opts.sk);
  }

  private attach(sk: TcpSock): void {
    this.sk = sk;
    sk.owner = this;
    if (this.noDelay) sk.setNoDelay(true);
    if (this.keepAlive) this.setKeepAlive(...this.keepAlive);
  }

  // --- connecting ---------------------------------------------------------------------------------------------

  /** socket.connect(port[, host][, cb]) or socket.connect(options[, cb]). */
  connect(options: SocketConnectOptions, connectListener?: () => void): this;
  connect(port: number, host?: string, connectListener?: () => void): this;
  connect(port: number, connectListener?: () => void): this;
  connect(...args: unknown[]): this;
  connect(...args: unknown[]): this {
    let opts: SocketConnectOptions;
    let cb: (() => void) | undefined;
    if (typeof args[0] === 'object' && args[0] !== null) {
      opts = args[0] as SocketConnectOptions;
      cb = args[1] as (() => void) | undefined;
    } else {
      opts = { port: Number(args[0]), host: typeof args[1] === 'string' ? args[1] : undefined };
      cb = (typeof args[1] === 'function' ? args[1] : args[2]) as (() => void) | undefined;
    }
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new RangeError(`Port should be > 0 and < 65536. Received ${String(opts.port)}.`);
    }
    if (cb) this.once('connect', cb);
    if (opts.noDelay) this.noDelay = true;
    if (opts.keepAlive) this.keepAlive = [true, opts.keepAliveInitialDelay ?? 0];
    if (opts.timeout) this.setTimeout(opts.timeout);
    this.connecting = true;
    this.host = opts.host ?? 'localhost';
    this.connectPort = port;
    const lookup = opts.lookup ?? this.net.lookup;
    resolveHost(this.host, lookup, (err, addr) => {
      if (this.destroyed) return;
      if (err) {
        this.connecting = false;
        this.destroy(err);
        return;
      }
      this.emit('lookup', null, formatIpv4(addr), 4, this.host);
      try {
        const sk = this.net.tcp.connect({
          addr,
          port,
          localAddr: opts.localAddress !== undefined ? (tryParseIpv4(opts.localAddress) ?? undefined) : undefined,
          localPort: opts.localPort,
          owner: this,
        });
        this.attach(sk);
      } catch (e) {
        this.connecting = false;
        const code = e instanceof TcpSocketError ? e.code : 'EINVAL';
        this.destroy(sysError(code, 'connect', formatIpv4(addr), port));
      }
    });
    return this;
  }

  onConnected(): void {
    this.connecting = false;
    this.touch();
    this.emit('connect');
    this.emit('ready');
    this.continueWrite();
    if (this.finalCb !== null && this.pendChunk === null) this.doFinal();
    if (this.reading) this.pull();
  }

  // --- reading ------------------------------------------------------------------------------------------------

  override _read(): void {
    this.reading = true;
    if (this.sk !== null && !this.connecting) this.pull();
  }

  onReadable(): void {
    if (this.reading) this.pull();
  }

  private pull(): void {
    const sk = this.sk;
    if (sk === null) return;
    while (this.reading) {
      const b = sk.recv();
      if (b === null) break;
      this.bytesRead += b.length;
      this.touch();
      if (!this.push(b)) this.reading = false;
    }
    if (sk.eof && sk.readableLength === 0 && !this.readEnded) {
      this.readEnded = true;
      this.push(null);
    }
  }

  // --- writing ------------------------------------------------------------------------------------------------

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: WriteCb): void {
    this.pendChunk = chunk;
    this.pendOff = 0;
    this.pendCb = cb;
    if (!this.connecting && this.sk !== null) this.continueWrite();
  }

  onWritable(): void {
    this.continueWrite();
  }

  private continueWrite(): void {
    const sk = this.sk;
    const chunk = this.pendChunk;
    if (sk === null || chunk === null || this.connecting) return;
    try {
      while (this.pendOff < chunk.length) {
        const n = sk.send(chunk, this.pendOff, chunk.length - this.pendOff);
        if (n === 0) return;
        this.pendOff += n;
        this.written += n;
      }
    } catch (e) {
      const cb = this.pendCb!;
      this.pendChunk = null;
      this.pendCb = null;
      const code = e instanceof TcpSocketError ? e.code : 'EPIPE';
      cb(sysError(code, 'write'));
      return;
    }
    this.touch();
    const cb = this.pendCb!;
    this.pendChunk = null;
    this.pendCb = null;
    cb();
    if (this.finalCb !== null) this.doFinal();
  }

  override _final(cb: WriteCb): void {
    this.finalCb = cb;
    if (!this.connecting && this.sk !== null && this.pendChunk === null) this.doFinal();
  }

  private doFinal(): void {
    const cb = this.finalCb!;
    this.finalCb = null;
    try {
      this.sk?.shutdown('write');
    } catch {
      /* already closed: nothing to send */
    }
    cb();
  }

  // --- ending -------------------------------------------------------------------------------------------------

  onError(code: TcpErrorCode): void {
    const was = this.connecting;
    this.connecting = false;
    const addr = was && this.sk !== null ? formatIpv4(this.sk.remoteAddress) : this.remoteAddress;
    this.destroy(sysError(code, was ? 'connect' : 'read', addr, was ? this.connectPort : this.remotePort));
  }

  onClose(): void {
    // TCP finished (both FINs, or a reset): let the stream end cleanly if it has not already.
    if (!this.readEnded && this.sk !== null && this.sk.readableLength === 0) {
      this.readEnded = true;
      this.push(null);
    }
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.idleTimer?.cancel();
    const sk = this.sk;
    if (sk !== null && sk.state !== TcpState.CLOSE) sk.close();
    if (sk !== null) sk.owner = null;
    this.net.untrack(this);
    cb(err);
  }

  /** Send an RST and destroy (socket.resetAndDestroy()). */
  resetAndDestroy(): this {
    if (this.sk !== null && this.sk.state !== TcpState.CLOSE) this.sk.abort();
    this.destroy();
    return this;
  }

  // --- options and information --------------------------------------------------------------------------------

  setNoDelay(noDelay = true): this {
    this.noDelay = noDelay;
    this.sk?.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    this.keepAlive = [enable, initialDelay];
    if (this.sk !== null) {
      if (initialDelay > 0) this.sk.setKeepAlive(enable, initialDelay);
      else this.sk.setKeepAlive(enable);
    }
    return this;
  }

  /** Idle timeout: 'timeout' after `ms` without activity (the socket stays open, as in Node). */
  setTimeout(ms: number, cb?: () => void): this {
    this.timeoutMs = ms;
    if (cb) {
      if (ms === 0) this.removeListener('timeout', cb);
      else this.once('timeout', cb);
    }
    if (ms === 0) {
      this.idleTimer?.cancel();
    } else {
      if (this.idleTimer === null) this.idleTimer = this.net.tcp.env.clock.timer(() => this.emit('timeout'));
      this.idleTimer.mod(ms);
    }
    return this;
  }

  get timeout(): number | undefined {
    return this.timeoutMs || undefined;
  }

  private touch(): void {
    if (this.timeoutMs > 0) this.idleTimer?.mod(this.timeoutMs);
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    if (this.sk === null) return {};
    return { address: formatIpv4(this.sk.localAddress), family: 'IPv4', port: this.sk.localPort };
  }

  get remoteAddress(): string | undefined {
    return this.sk !== null && this.sk.remotePort !== 0 ? formatIpv4(this.sk.remoteAddress) : undefined;
  }

  get remotePort(): number | undefined {
    return this.sk?.remotePort || undefined;
  }

  get remoteFamily(): string | undefined {
    return this.sk !== null ? 'IPv4' : undefined;
  }

  get localAddress(): string | undefined {
    return this.sk !== null ? formatIpv4(this.sk.localAddress) : undefined;
  }

  get localPort(): number | undefined {
    return this.sk?.localPort || undefined;
  }

  get localFamily(): string | undefined {
    return this.sk !== null ? 'IPv4' : undefined;
  }

  get bytesWritten(): number {
    return this.written;
  }

  get pending(): boolean {
    return this.sk === null || this.connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.sk === null || this.destroyed) return 'closed';
    const r = this.readable && !this.readEnded;
    const w = this.writable && !this.writableEnded;
    if (r && w) return 'open';
    if (r) return 'readOnly';
    if (w) return 'writeOnly';
    return 'closed';
  }

  /** The TCP connection underneath (for counters and tcp_info). */
  get tcp(): TcpSock | null {
    return this.sk;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

export class Server extends EventEmitter implements TcpListenerOwner {
  private listener: TcpListener | null = null;
  private readonly sockets = new Set<Socket>();
  maxConnections?: number;
  private closing = false;
  private closeCbs: Array<(err?: Error) => void> = [];

  constructor(
    private readonly net: NetApi,
    private readonly opts: ServerOptions = {},
    onConnection?: (socket: Socket) => void,
  ) {
    super();
    if (onConnection) this.on('connection', onConnection);
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /** listen(port[, host][, backlog][, cb]) or listen(options[, cb]). */
  listen(...args: unknown[]): this {
    let o: ListenOptions = {};
    let cb: (() => void) | undefined;
    const rest = [...args];
    if (typeof rest.at(-1) === 'function') cb = rest.pop() as () => void;
    if (typeof rest[0] === 'object' && rest[0] !== null) o = rest[0] as ListenOptions;
    else {
      o.port = rest[0] === undefined ? 0 : Number(rest[0]);
      if (typeof rest[1] === 'string') o.host = rest[1];
      if (typeof rest[1] === 'number') o.backlog = rest[1];
      if (typeof rest[2] === 'number') o.backlog = rest[2];
    }
    if (this.listener !== null)
      throw Object.assign(new Error('Listen method has been called more than once'), {
        code: 'ERR_SERVER_ALREADY_LISTEN',
      });
    if (cb) this.once('listening', cb);
    const addr = o.host === undefined || o.host === '0.0.0.0' || o.host === '::' ? 0 : tryParseIpv4(o.host);
    if (addr === null) {
      process.nextTick(() => this.emit('error', sysError('EADDRNOTAVAIL', 'listen', o.host, o.port)));
      return this;
    }
    try {
      this.listener = this.net.tcp.listen({
        port: o.port ?? 0,
        addr,
        backlog: o.backlog ?? 511,
        noDelay: this.opts.noDelay,
      });
    } catch (e) {
      const code = e instanceof TcpSocketError ? e.code : 'EINVAL';
      process.nextTick(() => this.emit('error', sysError(code, 'listen', o.host ?? '0.0.0.0', o.port)));
      return this;
    }
    this.listener.owner = this;
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  onAcceptReady(): void {
    const l = this.listener;
    if (l === null) return;
    for (let sk = l.accept(); sk !== null; sk = l.accept()) {
      if (this.maxConnections !== undefined && this.sockets.size >= this.maxConnections) {
        sk.abort();
        this.emit('drop', {
          localAddress: formatIpv4(sk.localAddress),
          localPort: sk.localPort,
          remoteAddress: formatIpv4(sk.remoteAddress),
          remotePort: sk.remotePort,
          remoteFamily: 'IPv4',
        });
        continue;
      }
      const s = new Socket(this.net, { allowHalfOpen: this.opts.allowHalfOpen, sk });
      if (this.opts.noDelay) s.setNoDelay(true);
      if (this.opts.keepAlive) s.setKeepAlive(true, this.opts.keepAliveInitialDelay ?? 0);
      this.sockets.add(s);
      this.net.track(s);
      s.once('close', () => {
        this.sockets.delete(s);
        this.maybeClosed();
      });
      if (this.opts.pauseOnConnect) s.pause();
      this.emit('connection', s);
      // Data may have arrived with the handshake: deliver it now that a reader exists.
      s.onReadable();
    }
  }

  address(): { address: string; family: string; port: number } | null {
    const l = this.listener;
    return l === null ? null : { address: formatIpv4(l.saddr), family: 'IPv4', port: l.sport };
  }

  /** Stop accepting; 'close' once every connection has ended (as net.Server). */
  close(cb?: (err?: Error) => void): this {
    if (this.listener === null) {
      if (cb)
        process.nextTick(() =>
          cb(Object.assign(new Error('Server is not running.'), { code: 'ERR_SERVER_NOT_RUNNING' })),
        );
      return this;
    }
    if (cb) this.closeCbs.push(cb);
    this.listener.close();
    this.listener = null;
    this.closing = true;
    this.maybeClosed();
    return this;
  }

  private maybeClosed(): void {
    if (!this.closing || this.sockets.size > 0) return;
    this.closing = false;
    const cbs = this.closeCbs;
    this.closeCbs = [];
    process.nextTick(() => {
      for (const cb of cbs) cb();
      this.emit('close');
    });
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.sockets.size;
    process.nextTick(() => cb(null, n));
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return new Promise((resolve) => this.close(() => resolve()));
  }
}

/** The `net` module of one stack. */
export class NetApi {
  private readonly live = new Set<Socket>();
  lookup: LookupFunction | undefined;

  constructor(
    readonly tcp: TcpStack,
    opts: NetOptions = {},
  ) {
    this.lookup = opts.lookup;
  }

  /** net.createServer([options][, connectionListener]). */
  createServer(a?: ServerOptions | ((s: Socket) => void), b?: (s: Socket) => void): Server {
    if (typeof a === 'function') return new Server(this, {}, a);
    return new Server(this, a ?? {}, b);
  }

  /** net.connect(options[, cb]) / net.connect(port[, host][, cb]). */
  connect(options: SocketConnectOptions, connectListener?: () => void): Socket;
  connect(port: number, host?: string, connectListener?: () => void): Socket;
  connect(port: number, connectListener?: () => void): Socket;
  connect(...args: unknown[]): Socket {
    const o = typeof args[0] === 'object' && args[0] !== null ? (args[0] as SocketConnectOptions) : null;
    const s = new Socket(this, { allowHalfOpen: o?.allowHalfOpen });
    this.track(s);
    return s.connect(...(args as [SocketConnectOptions, () => void]));
  }

  createConnection(options: SocketConnectOptions, connectListener?: () => void): Socket;
  createConnection(port: number, host?: string, connectListener?: () => void): Socket;
  createConnection(...args: unknown[]): Socket {
    return this.connect(...(args as [SocketConnectOptions, () => void]));
  }

  isIP(s: string): number {
    return tryParseIpv4(s) !== null ? 4 : 0;
  }

  isIPv4(s: string): boolean {
    return tryParseIpv4(s) !== null;
  }

  isIPv6(_s: string): boolean {
    return false;
  }

  /** Sockets not yet destroyed (for tests and diagnostics). */
  get sockets(): ReadonlySet<Socket> {
    return this.live;
  }

  track(s: Socket): void {
    this.live.add(s);
  }

  untrack(s: Socket): void {
    this.live.delete(s);
  }
}

/** A Node-style `net` API for a TCP instance. */
export function createNet(tcp: TcpStack, opts: NetOptions = {}): NetApi {
  return new NetApi(tcp, opts);
}
