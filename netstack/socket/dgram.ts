/**
 * Node-compatible UDP sockets (dgram.Socket) over the stack's UdpSocket: bind, send (to an address, or connected),
 * 'message' with rinfo (the payload is a view of the received buffer: zero copy), 'listening', 'close', 'error',
 * connect/disconnect, broadcast, TTL and buffer sizes.
 *
 *     const dgram = createDgram(stack);
 *     const s = dgram.createSocket('udp4', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
 *     s.bind(53);
 */
import { EventEmitter } from 'node:events';
import { formatIpv4, tryParseIpv4 } from '../inet/addr.ts';
import { EAGAIN, errnoName } from '../inet/errno.ts';
import type { Stack } from '../stack.ts';
import type { UdpSocket } from '../udp/socket.ts';
import { type LookupFunction, sysError } from './net.ts';

export interface RemoteInfo {
  address: string;
  family: 'IPv4';
  port: number;
  size: number;
}

export interface DgramSocketOptions {
  type: 'udp4';
  reuseAddr?: boolean;
  recvBufferSize?: number;
  sendBufferSize?: number;
  lookup?: LookupFunction;
}

type SendCb = (err: Error | null, bytes: number) => void;
type Msg = string | Uint8Array | ReadonlyArray<string | Uint8Array>;

function toBuffer(msg: Msg, offset?: number, length?: number): Buffer {
  if (typeof msg === 'string') return Buffer.from(msg);
  if (msg instanceof Uint8Array) {
    const b = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
    return offset !== undefined ? b.subarray(offset, offset + (length ?? b.length - offset)) : b;
  }
  return Buffer.concat(msg.map((m) => (typeof m === 'string' ? Buffer.from(m) : m)));
}

export class DgramSocket extends EventEmitter {
  private readonly sk: UdpSocket;
  private bound = false;
  private closed = false;

  constructor(
    private readonly stack: Stack,
    private readonly opts: DgramSocketOptions,
  ) {
    super();
    this.sk = stack.udpSocket();
    if (opts.reuseAddr) this.sk.reuseAddr = true;
    if (opts.recvBufferSize) this.sk.rcvbuf = opts.recvBufferSize;
    if (opts.sendBufferSize) this.sk.sndbuf = opts.sendBufferSize;
    this.sk.onReadable = () => this.drain();
    this.sk.onError = (e) => {
      if (this.sk.connected) this.emit('error', sysError(e.code, 'recvmsg', formatIpv4(e.addr), e.port));
    };
  }

  private drain(): void {
    for (let d = this.sk.recv(); d !== null; d = this.sk.recv()) {
      this.emit('message', d.data, { address: formatIpv4(d.addr), family: 'IPv4', port: d.port, size: d.data.length });
    }
    const err = this.sk.getError();
    if (err !== 0 && this.sk.connected) this.emit('error', sysError(errnoName(err), 'recvmsg'));
  }

  /** bind([port][, address][, cb]) or bind(options[, cb]). */
  bind(...args: unknown[]): this {
    let port = 0;
    let address: string | undefined;
    let cb: (() => void) | undefined;
    const rest = [...args];
    if (typeof rest.at(-1) === 'function') cb = rest.pop() as () => void;
    if (typeof rest[0] === 'object' && rest[0] !== null) {
      const o = rest[0] as { port?: number; address?: string };
      port = o.port ?? 0;
      address = o.address;
    } else {
      if (rest[0] !== undefined) port = Number(rest[0]);
      if (typeof rest[1] === 'string') address = rest[1];
    }
    if (this.bound) throw Object.assign(new Error('Socket is already bound'), { code: 'ERR_SOCKET_ALREADY_BOUND' });
    const addr = address === undefined || address === '0.0.0.0' ? 0 : tryParseIpv4(address);
    if (cb) this.once('listening', cb);
    const rc = addr === null ? -22 : this.sk.bind(addr, port);
    if (rc < 0) {
      process.nextTick(() => this.emit('error', sysError(errnoName(rc), 'bind', address ?? '0.0.0.0', port)));
      return this;
    }
    this.bound = true;
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  /** send(msg[, offset, length][, port][, address][, cb]) — port/address omitted when connected. */
  send(msg: Msg, port: number, address?: string, cb?: SendCb): void;
  send(msg: Msg, port: number, cb?: SendCb): void;
  send(msg: Msg, offset: number, length: number, port: number, address?: string, cb?: SendCb): void;
  send(msg: Msg, cb?: SendCb): void;
  send(msg: Msg, ...args: unknown[]): void;
  send(msg: Msg, ...args: unknown[]): void {
    let offset: number | undefined;
    let length: number | undefined;
    const rest = [...args];
    let cb: SendCb | undefined;
    if (typeof rest.at(-1) === 'function') cb = rest.pop() as SendCb;
    if (rest.length >= 3 && typeof rest[0] === 'number' && typeof rest[1] === 'number' && typeof rest[2] === 'number') {
      offset = rest.shift() as number;
      length = rest.shift() as number;
    } else if (rest.length === 2 && typeof rest[0] === 'number' && typeof rest[1] === 'number' && this.sk.connected) {
      offset = rest.shift() as number;
      length = rest.shift() as number;
    }
    const port = rest[0] as number | undefined;
    const address = (rest[1] as string | undefined) ?? (port !== undefined ? 'localhost' : undefined);
    const data = toBuffer(msg, offset, length);
    const done = (err: Error | null, n: number) => {
      if (cb) process.nextTick(() => cb(err, n));
      else if (err) process.nextTick(() => this.emit('error', err));
    };
    if (this.closed) {
      done(Object.assign(new Error('Not running'), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }), 0);
      return;
    }
    if (port === undefined) {
      const rc = this.sk.send(data);
      done(rc < 0 ? sysError(errnoName(rc), 'send') : null, rc < 0 ? 0 : data.length);
      return;
    }
    this.resolve(address!, (err, addr) => {
      if (err) {
        done(err, 0);
        return;
      }
      const rc = this.sk.sendTo(data, addr, port);
      if (!this.bound && this.sk.bound) {
        this.bound = true;
      }
      if (rc === -EAGAIN) done(sysError('EAGAIN', 'send', address, port), 0);
      else done(rc < 0 ? sysError(errnoName(rc), 'send', address, port) : null, rc < 0 ? 0 : data.length);
    });
  }

  private resolve(host: string, cb: (err: Error | null, addr: number) => void): void {
    const a = host === 'localhost' ? 0x7f000001 : tryParseIpv4(host);
    if (a !== null) {
      cb(null, a);
      return;
    }
    const lookup = this.opts.lookup;
    if (lookup === undefined) {
      cb(sysError('ENOTFOUND', 'getaddrinfo', host), 0);
      return;
    }
    lookup(host, { family: 4 }, (err, address) => {
      const x = err ? null : tryParseIpv4(address);
      if (x === null) cb(err ?? sysError('EAFNOSUPPORT', 'send', address), 0);
      else cb(null, x);
    });
  }

  connect(port: number, address?: string | (() => void), cb?: () => void): void {
    if (typeof address === 'function') {
      cb = address;
      address = undefined;
    }
    const host = address ?? 'localhost';
    this.resolve(host, (err, addr) => {
      if (err) {
        process.nextTick(() => this.emit('error', err));
        return;
      }
      const rc = this.sk.connect(addr, port);
      if (rc < 0) {
        process.nextTick(() => this.emit('error', sysError(errnoName(rc), 'connect', host, port)));
        return;
      }
      this.bound = true;
      process.nextTick(() => {
        this.emit('connect');
        cb?.();
      });
    });
  }

  disconnect(): void {
    this.sk.disconnect();
  }

  close(cb?: () => void): this {
    if (this.closed) return this;
    this.closed = true;
    this.sk.close();
    if (cb) this.once('close', cb);
    process.nextTick(() => this.emit('close'));
    return this;
  }

  address(): { address: string; family: 'IPv4'; port: number } {
    if (!this.bound && !this.sk.bound) throw Object.assign(new Error('getsockname EBADF'), { code: 'EBADF' });
    return { address: formatIpv4(this.sk.localAddr), family: 'IPv4', port: this.sk.localPort };
  }

  remoteAddress(): { address: string; family: 'IPv4'; port: number } {
    if (!this.sk.connected) throw Object.assign(new Error('Not connected'), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
    return { address: formatIpv4(this.sk.remoteAddr), family: 'IPv4', port: this.sk.remotePort };
  }

  setBroadcast(flag: boolean): void {
    this.sk.broadcast = flag;
  }

  setTTL(ttl: number): number {
    this.sk.ttl = ttl;
    return ttl;
  }

  setRecvBufferSize(n: number): void {
    this.sk.rcvbuf = n;
  }

  setSendBufferSize(n: number): void {
    this.sk.sndbuf = n;
  }

  getRecvBufferSize(): number {
    return this.sk.rcvbuf;
  }

  getSendBufferSize(): number {
    return this.sk.sndbuf;
  }

  /** The stack's socket underneath. */
  get udp(): UdpSocket {
    return this.sk;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  get stackName(): string {
    return this.stack.name;
  }
}

export class DgramApi {
  constructor(
    private readonly stack: Stack,
    private readonly lookup?: LookupFunction,
  ) {}

  /** dgram.createSocket('udp4' | options[, onMessage]). */
  createSocket(type: 'udp4' | DgramSocketOptions, onMessage?: (msg: Buffer, rinfo: RemoteInfo) => void): DgramSocket {
    const opts: DgramSocketOptions = typeof type === 'string' ? { type } : { ...type };
    if (opts.type !== 'udp4') {
      throw Object.assign(
        new TypeError(`Bad socket type specified. Valid types are: udp4 (got ${String(opts.type)})`),
        {
          code: 'ERR_SOCKET_BAD_TYPE',
        },
      );
    }
    opts.lookup ??= this.lookup;
    const s = new DgramSocket(this.stack, opts);
    if (onMessage) s.on('message', onMessage);
    return s;
  }
}

/** A Node-style `dgram` API for a stack. */
export function createDgram(stack: Stack, opts: { lookup?: LookupFunction } = {}): DgramApi {
  return new DgramApi(stack, opts.lookup);
}
