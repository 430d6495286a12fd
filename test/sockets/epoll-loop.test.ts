/**
 * The BSD-like socket calls and epoll over two full stacks in virtual time: the flow of an epoll server (the
 * listener becomes readable, accept returns the child, the child is registered), level- vs edge-triggered
 * reporting, one-shot, non-blocking connect and errors as negative errno values.
 */
import { describe, expect, it } from 'vitest';
import { EAGAIN, EBADF, ECONNREFUSED, ECONNRESET, EINPROGRESS, ENOTCONN } from '../../netstack/inet/errno.ts';
import { AF_INET, BsdSockets, SHUT_WR, SOCK_STREAM } from '../../netstack/socket/bsd.ts';
import {
  EPOLLERR,
  EPOLL_CTL_ADD,
  EPOLL_CTL_MOD,
  EPOLLET,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLRDHUP,
} from '../../netstack/socket/epoll.ts';
import { StackNet } from '../tcp/stacknet.ts';

function world() {
  const n = new StackNet({ seed: 9, ab: { delayMs: 1 } });
  const client = new BsdSockets(n.h1);
  const server = new BsdSockets(n.h2);
  const run = (until: () => boolean, ms = 10_000) => n.runUntil(until, ms);
  return { n, client, server, run };
}

describe('BSD sockets and epoll', () => {
  it('serves several clients from one epoll loop', async () => {
    const { n, client, server } = world();
    const lfd = server.socket(AF_INET, SOCK_STREAM);
    expect(server.bind(lfd, '0.0.0.0', 7)).toBe(0);
    expect(server.listen(lfd, 16)).toBe(0);
    const ep = server.epollCreate();
    expect(ep.epollCtl(EPOLL_CTL_ADD, lfd, EPOLLIN)).toBe(0);
    // Three clients, each sends a line and half-closes.
    const cfds = [0, 1, 2].map((i) => {
      const fd = client.socket(AF_INET, SOCK_STREAM);
      expect(client.connect(fd, '10.0.0.2', 7)).toBe(-EINPROGRESS);
      return { fd, msg: `client ${i}\n` };
    });
    const cep = client.epollCreate();
    for (const c of cfds) cep.epollCtl(EPOLL_CTL_ADD, c.fd, EPOLLOUT | EPOLLONESHOT);
    const echoed = new Map<number, string>();
    let served = 0;
    const buf = Buffer.alloc(4096);
    const serverLoop = async () => {
      while (served < 3) {
        const evs = await ep.wait(16, 1000);
        for (const ev of evs) {
          if (ev.fd === lfd) {
            for (let fd = server.accept(lfd); fd >= 0; fd = server.accept(lfd))
              ep.epollCtl(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET);
            expect(server.accept(lfd)).toBe(-EAGAIN);
            continue;
          }
          // Edge-triggered: read until EAGAIN or end of stream.
          for (;;) {
            const k = server.recv(ev.fd, buf);
            if (k > 0) server.send(ev.fd, buf.subarray(0, k));
            else {
              if (k === 0) {
                server.close(ev.fd);
                served++;
              }
              break;
            }
          }
        }
      }
    };
    const clientLoop = async () => {
      let writable = 0;
      while (writable < 3) {
        for (const ev of await cep.wait(16, 1000)) {
          expect(ev.events & EPOLLOUT).toBe(EPOLLOUT);
          const c = cfds.find((x) => x.fd === ev.fd)!;
          expect(client.send(c.fd, Buffer.from(c.msg))).toBe(c.msg.length);
          expect(client.shutdown(c.fd, SHUT_WR)).toBe(0);
          cep.epollCtl(EPOLL_CTL_MOD, c.fd, EPOLLIN | EPOLLRDHUP);
          writable++;
        }
      }
      let ended = 0;
      while (ended < 3) {
        for (const ev of await cep.wait(16, 1000)) {
          const k = client.recv(ev.fd, buf);
          if (k > 0) echoed.set(ev.fd, (echoed.get(ev.fd) ?? '') + buf.toString('utf8', 0, k));
          else if (k === 0) {
            client.close(ev.fd);
            ended++;
          }
        }
      }
    };
    const done = Promise.all([serverLoop(), clientLoop()]);
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    await n.clock.runAsync({ until: () => finished, maxTime: 30_000 });
    await done;
    for (const c of cfds) expect(echoed.get(c.fd)).toBe(c.msg);
  });

  it('reports level-triggered readiness until drained, edge-triggered once per event', () => {
    const { client, server, run } = world();
    const lfd = server.socket(AF_INET, SOCK_STREAM);
    server.bind(lfd, '0.0.0.0', 80);
    server.listen(lfd);
    const cfd = client.socket(AF_INET, SOCK_STREAM);
    client.connect(cfd, '10.0.0.2', 80);
    run(() => server.poll(lfd) !== 0);
    const sfd = server.accept(lfd);
    expect(sfd).toBeGreaterThan(0);
    const lt = server.epollCreate();
    const et = server.epollCreate();
    lt.epollCtl(EPOLL_CTL_ADD, sfd, EPOLLIN);
    et.epollCtl(EPOLL_CTL_ADD, sfd, EPOLLIN | EPOLLET);
    run(() => (client.poll(cfd) & EPOLLOUT) !== 0);
    client.send(cfd, Buffer.from('abcdef'));
    run(() => (server.poll(sfd) & EPOLLIN) !== 0);
    expect(lt.epollWait().map((e) => e.fd)).toEqual([sfd]);
    expect(lt.epollWait().map((e) => e.fd)).toEqual([sfd]); // still readable: reported again
    expect(et.epollWait().map((e) => e.fd)).toEqual([sfd]);
    expect(et.epollWait()).toEqual([]); // no new event
    const b = Buffer.alloc(3);
    expect(server.recv(sfd, b)).toBe(3);
    expect(lt.epollWait().length).toBe(1);
    expect(server.recv(sfd, b)).toBe(3);
    expect(server.recv(sfd, b)).toBe(-EAGAIN);
    expect(lt.epollWait()).toEqual([]);
    client.send(cfd, Buffer.from('x'));
    run(() => (server.poll(sfd) & EPOLLIN) !== 0);
    expect(et.epollWait().length).toBe(1); // a new event
  });

  it('returns negative errno values and reports errors once (SO_ERROR, then recv)', () => {
    const { client, server, run } = world();
    const fd = client.socket(AF_INET, SOCK_STREAM);
    const b = Buffer.alloc(10);
    expect(client.recv(fd, b)).toBe(-ENOTCONN);
    expect(client.connect(fd, '10.0.0.2', 99)).toBe(-EINPROGRESS);
    run(() => (client.poll(fd) & EPOLLERR) !== 0);
    expect(client.getsockopt(fd, 'SO_ERROR')).toBe(ECONNREFUSED);
    expect(client.getsockopt(fd, 'SO_ERROR')).toBe(0);
    const lfd = server.socket(AF_INET, SOCK_STREAM);
    server.bind(lfd, '0.0.0.0', 80);
    server.listen(lfd);
    const c2 = client.socket(AF_INET, SOCK_STREAM);
    client.connect(c2, '10.0.0.2', 80);
    run(() => server.poll(lfd) !== 0);
    const s2 = server.accept(lfd);
    run(() => (client.poll(c2) & EPOLLOUT) !== 0);
    client.send(c2, Buffer.from('unread'));
    run(() => (server.poll(s2) & EPOLLIN) !== 0);
    expect(server.close(s2)).toBe(0); // unread data: the close resets
    run(() => (client.poll(c2) & EPOLLERR) !== 0);
    expect(client.recv(c2, b)).toBe(-ECONNRESET);
    expect(client.recv(c2, b)).toBe(0);
    expect(client.send(c2, b)).toBeLessThan(0);
    expect(server.poll(s2)).toBe(-EBADF);
  });
});
