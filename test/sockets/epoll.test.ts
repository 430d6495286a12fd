/**
 * BSD calls and epoll over two stacks in virtual time, told as the life of an epoll server: the listener becomes
 * readable, accept returns the child, the child is registered edge-triggered, data echoes, no repeat without new
 * data, RDHUP/HUP when the peer closes, ERR|HUP on a reset; plus connect's EINPROGRESS → EPOLLOUT, one-shot items,
 * EPOLLOUT after a full send buffer, the async wait, and UDP.
 */
import { describe, expect, it } from 'vitest';
import {
  AF_INET,
  BsdSockets,
  SHUT_WR,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  type SockAddr,
} from '../../netstack/socket/bsd.ts';
import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLLERR,
  EPOLLET,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLRDHUP,
  type Epoll,
  formatEvents,
} from '../../netstack/socket/epoll.ts';
import { runUntil, twoHosts } from './world.ts';

const EAGAIN = -11;
const EINPROGRESS = -115;

function setup() {
  const w = twoHosts({ delayMs: 1 });
  const srv = new BsdSockets(w.h2);
  const cli = new BsdSockets(w.h1);
  return { ...w, srv, cli };
}

/** Run virtual time until `ep` has events; return them (as "fd:EVENTS" strings and raw). */
async function events(clock: ReturnType<typeof setup>['clock'], ep: Epoll, ms = 1000) {
  let evs = ep.epollWait(64);
  if (evs.length === 0) {
    await runUntil(
      clock,
      () => {
        evs = ep.epollWait(64);
        return evs.length > 0;
      },
      ms,
    );
  }
  return evs;
}

/** A connected client/server pair of descriptors. */
async function connected(w: ReturnType<typeof setup>) {
  const lfd = w.srv.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  expect(w.srv.bind(lfd, '0.0.0.0', 7)).toBe(0);
  expect(w.srv.listen(lfd, 16)).toBe(0);
  const cfd = w.cli.socket(AF_INET, SOCK_STREAM);
  expect(w.cli.connect(cfd, '10.0.0.2', 7)).toBe(EINPROGRESS);
  let sfd = EAGAIN;
  await runUntil(w.clock, () => (sfd = w.srv.accept(lfd)) >= 0);
  return { lfd, cfd, sfd };
}

describe('an epoll server', () => {
  it('listener readable → accept → child registered (ET) → echo → no repeat → RDHUP → HUP', async () => {
    const w = setup();
    const { clock, srv, cli } = w;
    const lfd = srv.socket(AF_INET, SOCK_STREAM);
    expect(srv.bind(lfd, '10.0.0.2', 7)).toBe(0);
    expect(srv.listen(lfd, 16)).toBe(0);
    const ep = srv.epollCreate();
    expect(ep.epollCtl(EPOLL_CTL_ADD, lfd, EPOLLIN)).toBe(0);
    expect(ep.epollWait()).toEqual([]);

    // The client connects: EINPROGRESS, then EPOLLOUT once established, with SO_ERROR 0.
    const cfd = cli.socket(AF_INET, SOCK_STREAM);
    const cep = cli.epollCreate();
    expect(cli.connect(cfd, '10.0.0.2', 7)).toBe(EINPROGRESS);
    expect(cli.connect(cfd, '10.0.0.2', 7)).toBe(-114); // EALREADY
    cep.epollCtl(EPOLL_CTL_ADD, cfd, EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET);
    expect(cep.epollWait()).toEqual([]);
    const c1 = await events(clock, cep);
    expect(c1.map((e) => formatEvents(e.events))).toEqual(['EPOLLOUT']);
    expect(cli.getsockopt(cfd, 'SO_ERROR')).toBe(0);

    // The listener becomes readable; accept returns the child, then EAGAIN.
    const l1 = await events(clock, ep);
    expect(l1).toEqual([{ fd: lfd, events: EPOLLIN, data: lfd }]);
    const peer: SockAddr = { addr: '', port: 0 };
    const sfd = srv.accept(lfd, peer);
    expect(sfd).toBeGreaterThan(lfd);
    expect(peer).toEqual({ addr: '10.0.0.1', port: (cli.getsockname(cfd) as SockAddr).port });
    expect(srv.accept(lfd)).toBe(EAGAIN);
    expect(ep.epollWait()).toEqual([]); // level-triggered: nothing pending any more
    expect(ep.epollCtl(EPOLL_CTL_ADD, sfd, EPOLLIN | EPOLLRDHUP | EPOLLET, 'child')).toBe(0);

    // Only what was asked for is reported (plus ERR and HUP), as epoll masks the file's poll bits.
    // Data arrives: one edge; we read part of it only, and no new edge comes without new data.
    expect(cli.send(cfd, Buffer.from('hello, epoll'))).toBe(12);
    const s1 = await events(clock, ep);
    expect(s1).toEqual([{ fd: sfd, events: EPOLLIN, data: 'child' }]);
    const buf = Buffer.alloc(64);
    expect(srv.recv(sfd, buf, 0, 5)).toBe(5);
    await runUntil(clock, () => false, 200);
    expect(ep.epollWait()).toEqual([]);
    // Level-triggered, the rest is reported at once (and again).
    expect(ep.epollCtl(EPOLL_CTL_MOD, sfd, EPOLLIN | EPOLLRDHUP, 'child')).toBe(0);
    expect(ep.epollWait().map((e) => e.fd)).toEqual([sfd]);
    expect(ep.epollWait().map((e) => e.fd)).toEqual([sfd]);
    const n = srv.recv(sfd, buf, 5);
    expect(buf.subarray(0, 5 + n).toString()).toBe('hello, epoll');
    expect(ep.epollWait()).toEqual([]);
    expect(srv.recv(sfd, buf)).toBe(EAGAIN);
    ep.epollCtl(EPOLL_CTL_MOD, sfd, EPOLLIN | EPOLLRDHUP | EPOLLET, 'child');

    // Echo back; the client sees its edge.
    expect(srv.send(sfd, buf, 0, 5 + n)).toBe(12);
    const c2 = await events(clock, cep);
    expect(c2.map((e) => formatEvents(e.events))).toEqual(['EPOLLIN|EPOLLOUT']);
    expect(cli.recv(cfd, buf)).toBe(12);

    // The client shuts down its sending side: EPOLLIN|EPOLLRDHUP, and recv() reads end of stream.
    expect(cli.shutdown(cfd, SHUT_WR)).toBe(0);
    const s2 = await events(clock, ep);
    expect(formatEvents(s2[0]!.events)).toBe('EPOLLIN|EPOLLRDHUP');
    expect(srv.recv(sfd, buf)).toBe(0);
    // The server still sends (half-close), then closes: the client sees RDHUP and HUP (both ways shut).
    expect(srv.send(sfd, Buffer.from('bye'))).toBe(3);
    expect(srv.close(sfd)).toBe(0);
    let last = '';
    await runUntil(clock, () => {
      for (const e of cep.epollWait()) last = formatEvents(e.events);
      return last.includes('EPOLLHUP');
    });
    expect(last).toContain('EPOLLRDHUP');
    expect(cli.recv(cfd, buf)).toBe(3);
    expect(cli.recv(cfd, buf)).toBe(0);
    expect(ep.size).toBe(1); // close() removed the child from the interest list
  });

  it('a reset peer: EPOLLERR|EPOLLHUP, recv reports ECONNRESET once, then end of stream', async () => {
    const w = setup();
    const { cfd, sfd } = await connected(w);
    const ep = w.srv.epollCreate();
    ep.epollCtl(EPOLL_CTL_ADD, sfd, EPOLLIN | EPOLLET);
    expect(w.cli.setsockopt(cfd, 'SO_LINGER', 1)).toBe(0);
    expect(w.cli.close(cfd)).toBe(0); // SO_LINGER 0: RST
    const evs = await events(w.clock, ep);
    expect(evs[0]!.events & (EPOLLERR | EPOLLHUP)).toBe(EPOLLERR | EPOLLHUP);
    const buf = Buffer.alloc(16);
    expect(w.srv.recv(sfd, buf)).toBe(-104);
    expect(w.srv.recv(sfd, buf)).toBe(0);
    expect(w.srv.send(sfd, buf)).toBe(-32); // EPIPE
  });

  it('a listener stays readable while connections wait (level-triggered)', async () => {
    const w = setup();
    const lfd = w.srv.socket(AF_INET, SOCK_STREAM);
    w.srv.bind(lfd, '0.0.0.0', 80);
    w.srv.listen(lfd);
    const ep = w.srv.epollCreate();
    ep.epollCtl(EPOLL_CTL_ADD, lfd, EPOLLIN);
    for (let i = 0; i < 3; i++) w.cli.connect(w.cli.socket(AF_INET, SOCK_STREAM), '10.0.0.2', 80);
    await runUntil(w.clock, () => w.srv.poll(lfd) !== 0 && (w.h2.tcp.connections().length ?? 0) >= 3);
    await runUntil(w.clock, () => false, 100);
    const fds: number[] = [];
    for (;;) {
      const evs = ep.epollWait();
      if (evs.length === 0) break;
      fds.push(w.srv.accept(lfd));
    }
    expect(fds).toHaveLength(3);
    expect(fds.every((fd) => fd > lfd)).toBe(true);
  });

  it('EPOLLONESHOT: one report, then silence until EPOLL_CTL_MOD re-arms it', async () => {
    const w = setup();
    const { cfd, sfd } = await connected(w);
    const ep = w.srv.epollCreate();
    ep.epollCtl(EPOLL_CTL_ADD, sfd, EPOLLIN | EPOLLONESHOT);
    w.cli.send(cfd, Buffer.from('a'));
    expect(await events(w.clock, ep)).toHaveLength(1);
    w.cli.send(cfd, Buffer.from('b'));
    await runUntil(w.clock, () => false, 100);
    expect(ep.epollWait()).toEqual([]);
    ep.epollCtl(EPOLL_CTL_MOD, sfd, EPOLLIN | EPOLLONESHOT);
    expect(ep.epollWait().map((e) => e.fd)).toEqual([sfd]);
    expect(ep.epollWait()).toEqual([]);
  });

  it('EPOLLOUT edge after a full send buffer, when the reader makes room', async () => {
    const w = setup();
    const { cfd, sfd } = await connected(w);
    const ep = w.cli.epollCreate();
    ep.epollCtl(EPOLL_CTL_ADD, cfd, EPOLLOUT | EPOLLET);
    expect(ep.epollWait().map((e) => e.fd)).toEqual([cfd]);
    const chunk = Buffer.alloc(32 * 1024, 1);
    let total = 0;
    // Fill until EAGAIN; the server does not read, so windows and buffers fill up.
    for (let i = 0; i < 1000; i++) {
      const n = w.cli.send(cfd, chunk);
      if (n === EAGAIN) {
        await runUntil(w.clock, () => false, 50);
        if (w.cli.send(cfd, chunk) === EAGAIN) break;
        continue;
      }
      total += n;
    }
    expect(w.cli.send(cfd, chunk)).toBe(EAGAIN);
    expect(ep.epollWait()).toEqual([]);
    // The server reads everything it has: room frees on the client, and EPOLLOUT comes.
    const buf = Buffer.alloc(1 << 20);
    let read = 0;
    const out = await (async () => {
      for (let i = 0; i < 100; i++) {
        for (let n = w.srv.recv(sfd, buf); n > 0; n = w.srv.recv(sfd, buf)) read += n;
        const evs = await events(w.clock, ep, 50);
        if (evs.length > 0) return evs;
      }
      return [];
    })();
    expect(out.map((e) => formatEvents(e.events))).toEqual(['EPOLLOUT']);
    expect(read).toBeGreaterThan(0);
    expect(total).toBeGreaterThan(0);
  });

  it('a refused connect: EPOLLOUT|EPOLLERR|EPOLLHUP and SO_ERROR ECONNREFUSED', async () => {
    const w = setup();
    const fd = w.cli.socket(AF_INET, SOCK_STREAM);
    const ep = w.cli.epollCreate();
    ep.epollCtl(EPOLL_CTL_ADD, fd, EPOLLOUT);
    expect(w.cli.connect(fd, '10.0.0.2', 9999)).toBe(EINPROGRESS);
    const evs = await events(w.clock, ep);
    expect(evs[0]!.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)).toBe(EPOLLOUT | EPOLLERR | EPOLLHUP);
    expect(w.cli.getsockopt(fd, 'SO_ERROR')).toBe(111);
    expect(w.cli.getsockopt(fd, 'SO_ERROR')).toBe(0);
  });

  it('wait() resolves when the stack wakes it, or with nothing after its timeout', async () => {
    const w = setup();
    const { cfd, sfd } = await connected(w);
    const ep = w.srv.epollCreate();
    ep.epollCtl(EPOLL_CTL_ADD, sfd, EPOLLIN | EPOLLET);
    let got: unknown[] | null = null;
    void ep.wait(8, 5000).then((e) => (got = e));
    await runUntil(w.clock, () => false, 100);
    expect(got).toBeNull();
    w.cli.send(cfd, Buffer.from('wake up'));
    expect(await runUntil(w.clock, () => got !== null)).toBe(true);
    expect(got).toHaveLength(1);
    let empty: unknown[] | null = null;
    const t0 = w.clock.now();
    void ep.wait(8, 250).then((e) => (empty = e));
    expect(await runUntil(w.clock, () => empty !== null)).toBe(true);
    expect(empty).toEqual([]);
    expect(w.clock.now() - t0).toBe(250);
  });

  it('epollCtl errors: EEXIST, ENOENT, EBADF', () => {
    const w = setup();
    const fd = w.srv.socket(AF_INET, SOCK_STREAM);
    const ep = w.srv.epollCreate();
    expect(ep.epollCtl(EPOLL_CTL_ADD, fd, EPOLLIN)).toBe(0);
    expect(ep.epollCtl(EPOLL_CTL_ADD, fd, EPOLLIN)).toBe(-17);
    expect(ep.epollCtl(EPOLL_CTL_DEL, fd)).toBe(0);
    expect(ep.epollCtl(EPOLL_CTL_DEL, fd)).toBe(-2);
    expect(ep.epollCtl(EPOLL_CTL_MOD, fd, EPOLLIN)).toBe(-2);
    expect(ep.epollCtl(EPOLL_CTL_ADD, 99, EPOLLIN)).toBe(-9);
    expect(w.srv.close(99)).toBe(-9);
    expect(w.srv.socket(10, SOCK_STREAM)).toBe(-97);
  });
});

describe('UDP descriptors', () => {
  it('EPOLLIN on a datagram; recvfrom copies it and says who sent it', async () => {
    const w = setup();
    const s = w.srv.socket(AF_INET, SOCK_DGRAM);
    expect(w.srv.bind(s, '0.0.0.0', 5000)).toBe(0);
    const ep = w.srv.epollCreate();
    ep.epollCtl(EPOLL_CTL_ADD, s, EPOLLIN | EPOLLET);
    const c = w.cli.socket(AF_INET, SOCK_DGRAM);
    expect(w.cli.sendto(c, Buffer.from('datagram'), '10.0.0.2', 5000)).toBe(8);
    expect((await events(w.clock, ep)).map((e) => e.fd)).toEqual([s]);
    const buf = Buffer.alloc(100);
    const from: SockAddr = { addr: '', port: 0 };
    expect(w.srv.recvfrom(s, buf, from)).toBe(8);
    expect(buf.subarray(0, 8).toString()).toBe('datagram');
    expect(from).toEqual({ addr: '10.0.0.1', port: (w.cli.getsockname(c) as SockAddr).port });
    expect(w.srv.recvfrom(s, buf)).toBe(EAGAIN);
  });
});
