/**
 * `stack.net`: node:net's API over one stack's TCP — createServer, connect / createConnection, the Socket and
 * Server classes, isIP helpers — so that code written for node:net (and node:http, node:tls, undici on top of it)
 * runs over airstack by swapping the module:
 *
 *     const server = stack.net.createServer((s) => s.pipe(s)).listen(7);
 *     const sock = stack.net.connect(7, '10.0.0.1', () => sock.end('hello'));
 *     http.request({ host: '10.0.0.1', createConnection: (o) => stack.net.createConnection(o) });
 *
 * Names resolve through `lookup` (dns.lookup's signature; default: IP literals and 'localhost' only).
 */
import type { Clock } from '../core/clock.ts';
import type { TcpStack } from '../tcp/stack.ts';
import { ipFamily, literalLookup, type LookupFunction } from './lookup.ts';
import { Server, type ServerOptions } from './tcp-server.ts';
import { normalizeConnectArgs, Socket, type SocketOptions, type TcpSocketConnectOpts } from './tcp-socket.ts';

export type NetConnectOpts = TcpSocketConnectOpts & SocketOptions;

export class NetApi {
  /** Resolver for host names (connect, listen); replace with a DNS resolver's lookup. */
  lookup: LookupFunction = literalLookup;
  /** `new stack.net.Socket(options)`, as `new net.Socket(options)`. */
  readonly Socket: new (
    options?: SocketOptions,
  ) => Socket;
  /** `new stack.net.Server(options, listener)`, as `new net.Server(...)`. */
  readonly Server: new (
    options?: ServerOptions,
    listener?: (s: Socket) => void,
  ) => Server;

  constructor(
    readonly tcp: TcpStack,
    readonly clock: Clock,
  ) {
    const net = this;
    this.Socket = class extends Socket {
      constructor(options?: SocketOptions) {
        super(net, options);
      }
    };
    this.Server = class extends Server {
      constructor(options?: ServerOptions, listener?: (s: Socket) => void) {
        super(net, options, listener);
      }
    };
  }

  createServer(listener?: (socket: Socket) => void): Server;
  createServer(options: ServerOptions, listener?: (socket: Socket) => void): Server;
  createServer(a?: ServerOptions | ((s: Socket) => void), b?: (s: Socket) => void): Server {
    if (typeof a === 'function') return new Server(this, {}, a);
    return new Server(this, a ?? {}, b);
  }

  connect(options: NetConnectOpts, connectListener?: () => void): Socket;
  connect(port: number | string, host?: string, connectListener?: () => void): Socket;
  connect(port: number | string, connectListener?: () => void): Socket;
  connect(...args: unknown[]): Socket {
    const [opts, cb] = normalizeConnectArgs(args);
    const o = opts as NetConnectOpts;
    const s = new Socket(this, o);
    return cb === undefined ? s.connect(o) : s.connect(o, cb);
  }

  createConnection(options: NetConnectOpts, connectListener?: () => void): Socket;
  createConnection(port: number | string, host?: string, connectListener?: () => void): Socket;
  createConnection(port: number | string, connectListener?: () => void): Socket;
  createConnection(...args: unknown[]): Socket {
    return (this.connect as (...a: unknown[]) => Socket)(...args);
  }

  isIP(s: string): 0 | 4 | 6 {
    return ipFamily(s);
  }

  isIPv4(s: string): boolean {
    return ipFamily(s) === 4;
  }

  isIPv6(s: string): boolean {
    return ipFamily(s) === 6;
  }
}

export { Server, Socket };

/** node:net's API over a bare TcpStack (no Stack around it: the TCP harnesses, embedding). */
export function createNet(tcp: TcpStack, opts: { lookup?: LookupFunction } = {}): NetApi {
  const net = new NetApi(tcp, tcp.env.clock);
  if (opts.lookup !== undefined) net.lookup = opts.lookup;
  return net;
}
