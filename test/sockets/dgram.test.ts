/**
 * stack.dgram behaves like node:dgram: bind and 'listening', send callbacks, 'message' with rinfo, implicit bind,
 * connect/disconnect, ICMP errors on connected sockets, broadcast permission, errors and close — two stacks on the
 * in-memory link in virtual time.
 */
import { describe, expect, it } from 'vitest';
import type { RemoteInfo } from '../../netstack/socket/dgram.ts';
import { runUntil, twoHosts } from './world.ts';

type Err = Error & { code?: string; syscall?: string; address?: string; port?: number };

describe('dgram', () => {
  it('bind, send with a callback, message with rinfo, and an echo back', async () => {
    const { clock, h1, h2 } = twoHosts();
    const server = h2.dgram.createSocket('udp4');
    const events: string[] = [];
    server.on('listening', () => events.push('listening'));
    server.on('message', (msg, rinfo) => {
      events.push(`server got ${msg} from ${rinfo.address}`);
      server.send(msg, rinfo.port, rinfo.address);
    });
    server.bind(5353, '10.0.0.2', () => events.push('bind cb'));
    const client = h1.dgram.createSocket({ type: 'udp4' });
    let reply: [string, RemoteInfo] | null = null;
    client.on('message', (m, r) => (reply = [m.toString(), r]));
    let sent: [Error | null, number | undefined] | null = null;
    client.send('ping', 5353, '10.0.0.2', (err, bytes) => (sent = [err, bytes]));
    expect(await runUntil(clock, () => reply !== null)).toBe(true);
    expect(sent).toEqual([null, 4]);
    expect(events).toEqual(['listening', 'bind cb', 'server got ping from 10.0.0.1']);
    expect(reply![0]).toBe('ping');
    expect(reply![1]).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 5353, size: 4 });
    expect(server.address()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 5353 });
  });

  it('sending binds implicitly (and emits listening); offset/length and arrays of buffers', async () => {
    const { clock, h1, h2 } = twoHosts();
    const got: string[] = [];
    h2.dgram.createSocket('udp4', (m) => got.push(m.toString())).bind(9);
    const c = h1.dgram.createSocket('udp4');
    let listening = false;
    c.on('listening', () => (listening = true));
    expect(() => c.address()).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'getsockname' }));
    c.send(Buffer.from('xxhelloxx'), 2, 5, 9, '10.0.0.2');
    c.send([Buffer.from('a'), 'b', new Uint8Array([0x63])], 9, '10.0.0.2');
    expect(await runUntil(clock, () => got.length === 2)).toBe(true);
    expect(got).toEqual(['hello', 'abc']);
    expect(listening).toBe(true);
    expect(c.address().port).toBeGreaterThanOrEqual(32768);
  });

  it('connect: sends without an address, remoteAddress(); disconnect forgets the peer', async () => {
    const { clock, h1, h2 } = twoHosts();
    const got: string[] = [];
    h2.dgram.createSocket('udp4', (m) => got.push(m.toString())).bind(7000);
    const c = h1.dgram.createSocket('udp4');
    let connected = false;
    c.connect(7000, '10.0.0.2', () => (connected = true));
    expect(await runUntil(clock, () => connected)).toBe(true);
    expect(c.remoteAddress()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 7000 });
    c.send('one');
    expect(() => c.send('two', 0, 3, 7000, '10.0.0.2')).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' }),
    );
    expect(() => c.connect(7000, '10.0.0.2')).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' }),
    );
    expect(await runUntil(clock, () => got.length === 1)).toBe(true);
    c.disconnect();
    expect(() => c.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    c.send('three', 7000, '10.0.0.2');
    expect(await runUntil(clock, () => got.length === 2)).toBe(true);
    expect(got).toEqual(['one', 'three']);
  });

  it('a connected socket hears ICMP port unreachable as an ECONNREFUSED error', async () => {
    const { clock, h1 } = twoHosts();
    const c = h1.dgram.createSocket('udp4');
    let err: Err | null = null;
    c.on('error', (e) => (err = e));
    c.connect(4444, '10.0.0.2', () => c.send('anyone?'));
    expect(await runUntil(clock, () => err !== null)).toBe(true);
    expect(err!.code).toBe('ECONNREFUSED');
    expect(err!.syscall).toBe('recvmsg');
  });

  it('broadcast needs setBroadcast(true): EACCES before, delivered after', async () => {
    const { clock, h1, h2 } = twoHosts();
    const got: string[] = [];
    h2.dgram.createSocket('udp4', (m) => got.push(m.toString())).bind(6000);
    const c = h1.dgram.createSocket('udp4');
    let first: Err | null = null;
    c.bind(0, () => {
      c.send('hello all', 6000, '10.0.0.255', (e) => {
        first = e as Err;
        c.setBroadcast(true);
        c.send('hello all', 6000, '10.0.0.255');
      });
    });
    expect(await runUntil(clock, () => got.length === 1)).toBe(true);
    expect(first!.code).toBe('EACCES');
    expect(first!.syscall).toBe('send');
    expect(first!.address).toBe('10.0.0.255');
    expect(got).toEqual(['hello all']);
  });

  it('EADDRINUSE as an error event; close emits close; using a closed socket throws', async () => {
    const { clock, h2 } = twoHosts();
    const a = h2.dgram.createSocket('udp4').bind(53);
    const b = h2.dgram.createSocket('udp4');
    let err: Err | null = null;
    b.on('error', (e) => (err = e));
    b.bind(53);
    expect(await runUntil(clock, () => err !== null)).toBe(true);
    expect(err!.code).toBe('EADDRINUSE');
    expect(err!.message).toBe('bind EADDRINUSE 0.0.0.0:53');
    let closed = false;
    a.close(() => (closed = true));
    expect(await runUntil(clock, () => closed)).toBe(true);
    expect(() => a.send('x', 1, '10.0.0.1')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    expect(() => a.close()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
  });

  it('bad arguments throw as Node does', () => {
    const { h1 } = twoHosts();
    expect(() => h1.dgram.createSocket('udp6')).toThrow(/IPv4-only/);
    expect(() => h1.dgram.createSocket('tcp' as never)).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_BAD_TYPE' }),
    );
    const s = h1.dgram.createSocket('udp4');
    expect(() => s.send('x')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
    expect(() => s.send('x', 0, '10.0.0.2')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
    expect(() => s.setBroadcast(true)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
