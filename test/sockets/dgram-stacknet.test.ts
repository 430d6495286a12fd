/** Node-compatible UDP sockets over two full stacks in virtual time. */
import { describe, expect, it } from 'vitest';
import { createDgram } from '../../netstack/socket/dgram.ts';
import { StackNet } from '../tcp/stacknet.ts';

function world() {
  const n = new StackNet({ seed: 2, ab: { delayMs: 1 } });
  const run = (until: () => boolean) => n.clock.runAsync({ until, maxTime: n.clock.now() + 10_000 });
  return { n, d1: createDgram(n.h1), d2: createDgram(n.h2), run };
}

describe('dgram.Socket over airstack UDP', () => {
  it('echoes datagrams with rinfo, to an address and connected', async () => {
    const { d1, d2, run } = world();
    const server = d2.createSocket('udp4', (msg, rinfo) =>
      server.send(Buffer.concat([Buffer.from('echo '), msg]), rinfo.port, rinfo.address),
    );
    let listening = false;
    server.bind(5353, () => {
      listening = true;
    });
    await run(() => listening);
    expect(server.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 5353 });
    const client = d1.createSocket('udp4');
    const got: Array<[string, string, number]> = [];
    client.on('message', (m, r) => got.push([m.toString(), r.address, r.port]));
    let sent = -1;
    client.send('one', 5353, '10.0.0.2', (err, n) => {
      expect(err).toBeNull();
      sent = n;
    });
    await run(() => got.length === 1);
    expect(sent).toBe(3);
    expect(got[0]).toEqual(['echo one', '10.0.0.2', 5353]);
    let connected = false;
    client.connect(5353, '10.0.0.2', () => {
      connected = true;
    });
    await run(() => connected);
    expect(client.remoteAddress()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 5353 });
    client.send(['two', Buffer.from('!')]);
    await run(() => got.length === 2);
    expect(got[1]![0]).toBe('echo two!');
    let closed = false;
    client.close(() => {
      closed = true;
    });
    await run(() => closed);
  });

  it('reports ECONNREFUSED on a connected socket when the port is closed (ICMP)', async () => {
    const { d1, run } = world();
    const s = d1.createSocket('udp4');
    let err: NodeJS.ErrnoException | null = null;
    s.on('error', (e) => {
      err = e;
    });
    s.connect(9, '10.0.0.2', () => s.send('anyone?'));
    await run(() => err !== null);
    expect(err!.code).toBe('ECONNREFUSED');
  });

  it('rejects other socket types with a clear error', () => {
    const { d1 } = world();
    expect(() => d1.createSocket('udp6' as 'udp4')).toThrow(/Bad socket type/);
  });
});
