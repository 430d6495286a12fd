/**
 * `stack.dgram`: node:dgram's API over one stack's UDP. createSocket('udp4' | options, onMessage) returns a
 * Socket (an EventEmitter like dgram.Socket): bind (explicit, or implicit on the first send/connect) with
 * 'listening', send in all of Node's argument forms with callbacks (err, bytes), 'message' (msg, rinfo) with the
 * received buffer itself (zero copy), connect/disconnect/remoteAddress, setBroadcast/setTTL, buffer sizes,
 * address(), close with 'close', errors as Node reports them ('bind EADDRINUSE 0.0.0.0:53', 'send EACCES ...').
 *
 * Sends that meet a full send buffer (-EAGAIN) wait in order and go out when the socket becomes writable, as
 * libuv queues them; their callbacks follow.
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../core/clock.ts';
import { formatIpv4, parseIpv4 } from '../inet/addr.ts';
import { EAGAIN, errnoName } from '../inet/errno.ts';
import type { UdpSocket, UdpSocketError } from '../udp/socket.ts';
import type { Udp } from '../udp/udp.ts';
import { errnoError, hostPortError, nodeError } from './errors.ts';
import { ipFamily, type LookupFunction, lookupIpv4 } from './lookup.ts';

export interface DgramSocketOptions {
  type: 'udp4' | 'udp6';
  reuseAddr?: boolean;
  recvBufferSize?: number;
  sendBufferSize?: number;
  lookup?: LookupFunction;
  signal?: AbortSignal;
}

export interface RemoteInfo {
  address: string;
  family: 'IPv4';
  port: number;
  size: number;
}

/** Any event listener (EventEmitter's own parameter type). */
type AnyListener = Parameters<EventEmitter['on']>[1];

type SendCb = (err: Error | null, bytes: number) => void;
type Msg = string | Uint8Array | DataView | ReadonlyArray<string | Uint8Array | DataView>;

enum BindState {
  UNBOUND = 0,
  BINDING = 1,
  BOUND = 2,
}

interface QueuedSend {
  data: Buffer;
  addr: number;
  address: string;
  port: number;
  cb: SendCb | undefined;
}

export class DgramApi {
  constructor(
    readonly udp: Udp,
    readonly clock: Clock,
    private readonly defaultLookup: () => LookupFunction,
  ) {}

  createSocket(type: 'udp4' | 'udp6' | DgramSocketOptions, onMessage?: (msg: Buffer, rinfo: RemoteInfo) => void) {
    const o: DgramSocketOptions = typeof type === 'string' ? { type } : type;
    if (o === null || typeof o !== 'object' || (o.type !== 'udp4' && o.type !== 'udp6')) {
      throw nodeError(TypeError, 'ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6');
    }
    if (o.type === 'udp6') {
      throw nodeError(
        TypeError,
        'ERR_SOCKET_BAD_TYPE',
        "Bad socket type specified: airstack's stack is IPv4-only, use udp4",
      );
    }
    const s = new DgramSocket(this.udp.socket(), o.lookup ?? this.defaultLookup(), o);
    if (onMessage !== undefined) s.on('message', onMessage);
    return s;
  }
}

/** node:dgram's API over a stack (the same object as `stack.dgram`). */
export function createDgram(stack: { dgram: DgramApi }): DgramApi {
  return stack.dgram;
}

export class DgramSocket extends EventEmitter {
  #bindState = BindState.UNBOUND;
  #connected = false;
  #connecting = false;
  #closed = false;
  /** Calls waiting for the socket to be bound (sends and connects issued before 'listening'). */
  #whenBound: Array<() => void> = [];
  /** Sends waiting for send-buffer room, in order. */
  #sendq: QueuedSend[] = [];

  /** @internal use stack.dgram.createSocket. */
  constructor(
    readonly handle: UdpSocket,
    private readonly lookup: LookupFunction,
    opts: DgramSocketOptions,
  ) {
    super();
    if (opts.reuseAddr) handle.reuseAddr = true;
    if (opts.recvBufferSize !== undefined) handle.rcvbuf = opts.recvBufferSize;
    if (opts.sendBufferSize !== undefined) handle.sndbuf = opts.sendBufferSize;
    handle.onReadable = () => this.#onReadable();
    handle.onWritable = () => this.#drainSendQueue();
    handle.onError = (e) => this.#onIcmpError(e);
    if (opts.signal !== undefined) {
      if (opts.signal.aborted) process.nextTick(() => this.close());
      else opts.signal.addEventListener('abort', () => this.close(), { once: true });
    }
  }

  override on(event: 'message', listener: (msg: Buffer, rinfo: RemoteInfo) => void): this;
  override on(event: 'listening' | 'close' | 'connect', listener: () => void): this;
  override on(event: 'error', listener: (err: Error & { code?: string }) => void): this;
  override on(event: string | symbol, listener: AnyListener): this;
  override on(event: string | symbol, listener: AnyListener): this {
    return super.on(event, listener);
  }

  override once(event: 'message', listener: (msg: Buffer, rinfo: RemoteInfo) => void): this;
  override once(event: 'listening' | 'close' | 'connect', listener: () => void): this;
  override once(event: 'error', listener: (err: Error & { code?: string }) => void): this;
  override once(event: string | symbol, listener: AnyListener): this;
  override once(event: string | symbol, listener: AnyListener): this {
    return super.once(event, listener);
  }

  // --- bind ------------------------------------------------------------------------------------------------

  bind(port?: number, address?: string, callback?: () => void): this;
  bind(port: number, callback?: () => void): this;
  bind(callback?: () => void): this;
  bind(options: { port?: number; address?: string; exclusive?: boolean }, callback?: () => void): this;
  bind(...args: unknown[]): this {
    this.#healthCheck();
    if (this.#bindState !== BindState.UNBOUND) {
      throw nodeError(Error, 'ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
    }
    const last = args[args.length - 1];
    const cb = typeof last === 'function' ? (last as () => void) : undefined;
    let port: number | undefined;
    let address: string | undefined;
    if (args[0] !== null && typeof args[0] === 'object') {
      const o = args[0] as { port?: number; address?: string };
      port = o.port;
      address = o.address;
    } else {
      if (typeof args[0] === 'number') port = args[0];
      if (typeof args[1] === 'string') address = args[1];
    }
    port = port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `Port should be >= 0 and < 65536. Received ${port}.`);
    }
    if (cb !== undefined) this.once('listening', cb);
    this.#bindState = BindState.BINDING;
    const host = address === undefined || address === '' ? '0.0.0.0' : address;
    lookupIpv4(this.lookup, host, (err, ip) => {
      if (this.#closed) return;
      if (err) {
        this.#bindState = BindState.UNBOUND;
        this.emit('error', err);
        return;
      }
      const rc = this.handle.bind(parseIpv4(ip), port);
      if (rc < 0) {
        this.#bindState = BindState.UNBOUND;
        this.emit('error', hostPortError(errnoName(rc), 'bind', ip, port));
        return;
      }
      this.#bindState = BindState.BOUND;
      this.emit('listening');
      for (const fn of this.#whenBound.splice(0)) fn();
    });
    return this;
  }

  #ensureBound(then: () => void): void {
    if (this.#bindState === BindState.BOUND) {
      then();
      return;
    }
    if (this.#bindState === BindState.UNBOUND) this.bind({ port: 0 });
    this.#whenBound.push(then);
  }

  // --- connect ---------------------------------------------------------------------------------------------

  connect(port: number, address?: string | (() => void), callback?: () => void): void {
    this.#healthCheck();
    if (typeof address === 'function') {
      callback = address;
      address = undefined;
    }
    if (this.#connected || this.#connecting) {
      throw nodeError(Error, 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    }
    validateSendPort(port);
    this.#connecting = true;
    if (callback !== undefined) this.once('connect', callback);
    const host = address ?? '127.0.0.1';
    this.#ensureBound(() => {
      lookupIpv4(this.lookup, host, (err, ip) => {
        if (this.#closed) return;
        this.#connecting = false;
        if (err) {
          this.emit('error', err);
          return;
        }
        const rc = this.handle.connect(parseIpv4(ip), port);
        if (rc < 0) {
          this.emit('error', hostPortError(errnoName(rc), 'connect', ip, port));
          return;
        }
        this.#connected = true;
        this.emit('connect');
      });
    });
  }

  disconnect(): void {
    this.#healthCheck();
    if (!this.#connected) throw nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    this.handle.disconnect();
    this.#connected = false;
  }

  remoteAddress(): AddressInfo {
    this.#healthCheck();
    if (!this.#connected) throw nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    return { address: formatIpv4(this.handle.remoteAddr), family: 'IPv4', port: this.handle.remotePort };
  }

  // --- send ------------------------------------------------------------------------------------------------

  send(msg: Msg, port?: number, address?: string, callback?: SendCb): void;
  send(msg: Msg, port?: number, callback?: SendCb): void;
  send(msg: Msg, callback?: SendCb): void;
  send(msg: Msg, offset: number, length: number, port?: number, address?: string, callback?: SendCb): void;
  send(msg: Msg, offset: number, length: number, port?: number, callback?: SendCb): void;
  send(msg: Msg, offset: number, length: number, callback?: SendCb): void;
  send(msg: Msg, ...rest: unknown[]): void {
    this.#healthCheck();
    // Node's argument rules (lib/dgram.js Socket.prototype.send), positionally.
    let [offset, length, port, address, callback] = rest as [unknown, unknown, unknown, unknown, unknown];
    let data: Buffer;
    const connected = this.#connected;
    if (!connected) {
      if (address || (port && typeof port !== 'function')) {
        data = sliceBuffer(msg, offset, length);
      } else {
        callback = port;
        port = offset;
        address = length;
        data = messageBuffer(msg);
      }
    } else {
      if (typeof length === 'number') {
        data = sliceBuffer(msg, offset, length);
        if (typeof port === 'function') {
          callback = port;
          port = null;
        }
      } else {
        callback = offset;
        port = null;
        data = messageBuffer(msg);
      }
      if (port || address) throw nodeError(Error, 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    }
    if (typeof address === 'function') {
      callback = address;
      address = undefined;
    }
    const cb = typeof callback === 'function' ? (callback as SendCb) : undefined;
    if (!connected) validateSendPort(port);
    if (address !== undefined && address !== null && typeof address !== 'string') {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "address" argument must be of type string');
    }
    this.#ensureBound(() => {
      if (connected) {
        const h = this.handle;
        this.#queueSend({ data, addr: 0, address: formatIpv4(h.remoteAddr), port: h.remotePort, cb });
        return;
      }
      lookupIpv4(this.lookup, (address as string | undefined) || '127.0.0.1', (err, ip) => {
        if (this.#closed) return;
        if (err) {
          this.#report(err, cb);
          return;
        }
        this.#queueSend({ data, addr: parseIpv4(ip), address: ip, port: port as number, cb });
      });
    });
  }

  #queueSend(q: QueuedSend): void {
    this.#sendq.push(q);
    if (this.#sendq.length === 1) this.#drainSendQueue();
  }

  #drainSendQueue(): void {
    const h = this.handle;
    while (this.#sendq.length > 0 && !this.#closed) {
      const q = this.#sendq[0]!;
      const rc = q.addr === 0 ? h.send(q.data) : h.sendTo(q.data, q.addr, q.port);
      if (rc === -EAGAIN) return; // onWritable resumes
      this.#sendq.shift();
      if (rc < 0) this.#report(hostPortError(errnoName(rc), 'send', q.address, q.port), q.cb);
      else if (q.cb !== undefined) process.nextTick(q.cb, null, rc);
    }
  }

  #report(err: Error, cb: SendCb | undefined): void {
    if (cb !== undefined) process.nextTick(cb, err);
    else process.nextTick(() => this.emit('error', err));
  }

  /** Bytes and datagrams waiting for send-buffer room. */
  getSendQueueSize(): number {
    let n = 0;
    for (const q of this.#sendq) n += q.data.length;
    return n;
  }

  getSendQueueCount(): number {
    return this.#sendq.length;
  }

  // --- receive ---------------------------------------------------------------------------------------------

  #onReadable(): void {
    const h = this.handle;
    for (let d = h.recv(); d !== null; d = h.recv()) {
      const rinfo: RemoteInfo = { address: formatIpv4(d.addr), family: 'IPv4', port: d.port, size: d.data.length };
      this.emit('message', d.data, rinfo);
      if (this.#closed) return;
    }
  }

  #onIcmpError(e: UdpSocketError): void {
    if (this.#closed) return;
    this.handle.getError(); // reported here; the next read must not see it again
    this.emit('error', errnoError(e.code, 'recvmsg'));
  }

  // --- options ---------------------------------------------------------------------------------------------

  address(): AddressInfo {
    this.#healthCheck();
    if (this.#bindState !== BindState.BOUND) throw errnoError('EBADF', 'getsockname');
    return { address: formatIpv4(this.handle.localAddr), family: 'IPv4', port: this.handle.localPort };
  }

  setBroadcast(flag: boolean): void {
    if (this.#bindState !== BindState.BOUND) throw errnoError('EBADF', 'setBroadcast');
    this.handle.broadcast = flag;
  }

  setTTL(ttl: number): number {
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw errnoError('EINVAL', 'setTTL');
    if (this.#bindState !== BindState.BOUND) throw errnoError('EBADF', 'setTTL');
    this.handle.ttl = ttl;
    return ttl;
  }

  setRecvBufferSize(size: number): void {
    this.handle.rcvbuf = checkSize(size);
  }

  setSendBufferSize(size: number): void {
    this.handle.sndbuf = checkSize(size);
  }

  getRecvBufferSize(): number {
    return this.handle.rcvbuf;
  }

  getSendBufferSize(): number {
    return this.handle.sndbuf;
  }

  /** Multicast group membership is not implemented by the stack (no IGMP). */
  addMembership(): never {
    throw errnoError('ENOPROTOOPT', 'addMembership');
  }

  dropMembership(): never {
    throw errnoError('ENOPROTOOPT', 'dropMembership');
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // --- close -----------------------------------------------------------------------------------------------

  close(callback?: () => void): this {
    if (this.#closed) {
      throw nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    }
    if (callback !== undefined) this.once('close', callback);
    this.#closed = true;
    this.handle.close();
    this.#sendq.length = 0;
    this.#whenBound.length = 0;
    process.nextTick(() => this.emit('close'));
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await new Promise<void>((r) => this.close(r));
  }

  #healthCheck(): void {
    if (this.#closed) throw nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
  }
}

function validateSendPort(port: unknown): void {
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `Port should be > 0 and < 65536. Received ${String(port)}.`);
  }
}

function checkSize(n: number): number {
  if (!Number.isInteger(n) || n <= 0) {
    throw nodeError(TypeError, 'ERR_SOCKET_BUFFER_SIZE', 'Buffer size must be a positive integer');
  }
  return n;
}

function toBuffer(m: Uint8Array | DataView | string): Buffer {
  if (typeof m === 'string') return Buffer.from(m);
  if (Buffer.isBuffer(m)) return m;
  return Buffer.from(m.buffer, m.byteOffset, m.byteLength);
}

function sliceBuffer(msg: Msg, offset: unknown, length: unknown): Buffer {
  if (typeof msg === 'string') return Buffer.from(msg);
  if (Array.isArray(msg)) return messageBuffer(msg);
  const buf = toBuffer(msg as Uint8Array | DataView);
  const off = typeof offset === 'number' ? offset : 0;
  const len = typeof length === 'number' ? length : buf.length - off;
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > buf.length) {
    throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', 'Attempt to access memory outside buffer bounds');
  }
  return buf.subarray(off, off + len);
}

function messageBuffer(msg: Msg): Buffer {
  if (typeof msg === 'string' || msg instanceof Uint8Array || msg instanceof DataView) return toBuffer(msg);
  if (Array.isArray(msg)) {
    const parts = (msg as ReadonlyArray<string | Uint8Array | DataView>).map(toBuffer);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
  throw nodeError(
    TypeError,
    'ERR_INVALID_ARG_TYPE',
    'The "buffer" argument must be of type string or an instance of Buffer, TypedArray, or DataView',
  );
}

export { ipFamily };
