/**
 * A node:net-compatible TCP server over airstack's TCP: listen() in Node's argument forms, 'listening',
 * 'connection', 'error' (EADDRINUSE...), 'close' once stopped and every connection has closed, close(cb),
 * address(), maxConnections (excess connections are closed and reported with 'drop'), getConnections(cb), and the
 * options allowHalfOpen, pauseOnConnect, noDelay, keepAlive, keepAliveInitialDelay.
 */
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import { formatIpv4, parseIpv4 } from '../inet/addr.ts';
import type { TcpListener } from '../tcp/listen.ts';
import { TcpSocketError, type TcpSockOptions } from '../tcp/sock.ts';
import { hostPortError, nodeError } from './errors.ts';
import { ipFamily, lookupIpv4 } from './lookup.ts';
import type { NetApi } from './net.ts';
import { Socket } from './tcp-socket.ts';

export interface ServerOptions {
  allowHalfOpen?: boolean;
  /** Accepted sockets start paused (for handing them to another owner). */
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** TCP settings of accepted connections (buffers, congestion control...). */
  tcp?: TcpSockOptions;
}

export interface ListenOptions {
  port?: number | string;
  host?: string;
  backlog?: number;
  exclusive?: boolean;
  signal?: AbortSignal;
  path?: string;
}

/** What 'drop' reports about a connection refused by maxConnections. */
export interface DropInfo {
  localAddress: string;
  localPort: number;
  localFamily: string;
  remoteAddress: string;
  remotePort: number;
  remoteFamily: string;
}

/** Any event listener (EventEmitter's own parameter type). */
type AnyListener = Parameters<EventEmitter['on']>[1];

const UV_MESSAGES: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  EINVAL: 'invalid argument',
};

export class Server extends EventEmitter {
  readonly #net: NetApi;
  readonly #opts: ServerOptions;
  #listener: TcpListener | null = null;
  #connections = new Set<Socket>();
  #closing = false;
  /** Close new connections beyond this many (Node's server.maxConnections). */
  maxConnections = Number.POSITIVE_INFINITY;

  /** @internal use NetApi.createServer. */
  constructor(net: NetApi, options: ServerOptions = {}, connectionListener?: (socket: Socket) => void) {
    super();
    this.#net = net;
    this.#opts = options;
    if (connectionListener !== undefined) this.on('connection', connectionListener);
  }

  override on(event: 'connection', listener: (socket: Socket) => void): this;
  override on(event: 'listening' | 'close', listener: () => void): this;
  override on(event: 'error', listener: (err: Error & { code?: string }) => void): this;
  override on(event: 'drop', listener: (data: DropInfo) => void): this;
  override on(event: string | symbol, listener: AnyListener): this;
  override on(event: string | symbol, listener: AnyListener): this {
    return super.on(event, listener);
  }

  override once(event: 'connection', listener: (socket: Socket) => void): this;
  override once(event: 'listening' | 'close', listener: () => void): this;
  override once(event: 'error', listener: (err: Error & { code?: string }) => void): this;
  override once(event: 'drop', listener: (data: DropInfo) => void): this;
  override once(event: string | symbol, listener: AnyListener): this;
  override once(event: string | symbol, listener: AnyListener): this {
    return super.once(event, listener);
  }

  get listening(): boolean {
    return this.#listener !== null;
  }

  /** The TCP listener (null when not listening): backlog, SYN and accept queue lengths. */
  get tcp(): TcpListener | null {
    return this.#listener;
  }

  listen(port?: number | string, host?: string, backlog?: number, cb?: () => void): this;
  listen(port: number | string, host: string, cb?: () => void): this;
  listen(port: number | string, backlog: number, cb?: () => void): this;
  listen(port: number | string, cb?: () => void): this;
  listen(options: ListenOptions, cb?: () => void): this;
  listen(cb?: () => void): this;
  listen(...args: unknown[]): this {
    const last = args[args.length - 1];
    const cb = typeof last === 'function' ? (last as () => void) : undefined;
    if (cb !== undefined) args = args.slice(0, -1);
    let o: ListenOptions;
    if (args[0] !== null && typeof args[0] === 'object') {
      o = args[0] as ListenOptions;
    } else {
      o = { port: args[0] as number | string | undefined };
      if (typeof args[1] === 'string') {
        o.host = args[1];
        if (typeof args[2] === 'number') o.backlog = args[2];
      } else if (typeof args[1] === 'number') {
        o.backlog = args[1];
      }
    }
    if (o.path !== undefined) {
      throw nodeError(Error, 'ERR_INVALID_ARG_VALUE', 'IPC (path) servers are not supported by airstack sockets');
    }
    if (this.#listener !== null) {
      throw nodeError(
        Error,
        'ERR_SERVER_ALREADY_LISTEN',
        'Listen method has been called more than once without closing.',
      );
    }
    const port = o.port === undefined || o.port === null ? 0 : Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw nodeError(
        RangeError,
        'ERR_SOCKET_BAD_PORT',
        `options.port should be >= 0 and < 65536. Received ${o.port}.`,
      );
    }
    if (cb !== undefined) this.once('listening', cb);
    this.#closing = false;
    const host = o.host;
    const anyAddr = host === undefined || host === '' || host === '0.0.0.0' || host === '::';
    if (anyAddr || ipFamily(host) === 4) {
      this.#listen(anyAddr ? 0 : parseIpv4(host), port, o.backlog);
    } else {
      lookupIpv4(this.#net.lookup, host, (err, address) => {
        if (err) this.emit('error', err);
        else if (ipFamily(address) !== 4) this.emit('error', hostPortError('EAFNOSUPPORT', 'listen', address, port));
        else this.#listen(parseIpv4(address), port, o.backlog);
      });
    }
    if (o.signal !== undefined) {
      if (o.signal.aborted) this.close();
      else o.signal.addEventListener('abort', () => this.close(), { once: true });
    }
    return this;
  }

  #listen(addr: number, port: number, backlog: number | undefined): void {
    try {
      const l = this.#net.tcp.listen({ ...this.#opts.tcp, addr, port, backlog: backlog ?? 511 });
      l.owner = { onAcceptReady: () => this.#acceptAll() };
      this.#listener = l;
    } catch (e) {
      if (!(e instanceof TcpSocketError)) throw e;
      const err = hostPortError(e.code, 'listen', formatIpv4(addr), port);
      err.message = `listen ${e.code}: ${UV_MESSAGES[e.code] ?? e.message} ${formatIpv4(addr)}:${port}`;
      process.nextTick(() => this.emit('error', err));
      return;
    }
    process.nextTick(() => {
      if (this.#listener !== null) this.emit('listening');
    });
  }

  #acceptAll(): void {
    const l = this.#listener;
    if (l === null) return;
    const o = this.#opts;
    while (l.pending > 0) {
      const s = new Socket(this.#net, {
        allowHalfOpen: o.allowHalfOpen,
        noDelay: o.noDelay,
        keepAlive: o.keepAlive,
        keepAliveInitialDelay: o.keepAliveInitialDelay,
      });
      const sk = l.accept(s.tcpOwner);
      if (sk === null) break;
      if (this.#connections.size >= this.maxConnections) {
        const info: DropInfo = {
          localAddress: formatIpv4(sk.saddr),
          localPort: sk.sport,
          localFamily: 'IPv4',
          remoteAddress: formatIpv4(sk.daddr),
          remotePort: sk.dport,
          remoteFamily: 'IPv4',
        };
        this.emit('drop', info);
        sk.owner = null;
        sk.close();
        continue;
      }
      this.#connections.add(s);
      s.attachAccepted(sk, this, o.pauseOnConnect ?? false);
      this.emit('connection', s);
    }
  }

  /** @internal a socket accepted by this server was destroyed. */
  connectionClosed(s: Socket): void {
    if (this.#connections.delete(s)) this.#emitCloseIfDrained();
  }

  /** Stop accepting; 'close' (and `cb`) once every accepted connection has closed too. */
  close(cb?: (err?: Error) => void): this {
    if (typeof cb === 'function') {
      if (this.#listener === null) {
        this.once('close', () => cb(nodeError(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      } else {
        this.once('close', cb);
      }
    }
    if (this.#listener !== null) {
      this.#listener.close();
      this.#listener = null;
    }
    this.#closing = true;
    this.#emitCloseIfDrained();
    return this;
  }

  #emitCloseIfDrained(): void {
    if (this.#listener !== null || this.#connections.size > 0 || !this.#closing) return;
    this.#closing = false;
    process.nextTick(() => this.emit('close'));
  }

  address(): AddressInfo | null {
    const l = this.#listener;
    if (l === null) return null;
    return { address: formatIpv4(l.saddr), family: 'IPv4', port: l.sport };
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.#connections.size;
    process.nextTick(() => cb(null, n));
    return this;
  }

  /** Node keeps a `connections` count (deprecated); kept for code that still reads it. */
  get connections(): number {
    return this.#connections.size;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#listener === null) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }
}
