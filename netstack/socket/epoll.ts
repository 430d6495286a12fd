/**
 * epoll(7) over airstack's sockets, with Linux's semantics (fs/eventpoll.c): an interest list of (fd, events,
 * data), a ready list filled by wake-ups from the watched files, and a wait that polls each ready item again and
 * reports what is really ready. Level-triggered items go back on the ready list after being reported (so they
 * are reported again while the condition holds); edge-triggered ones (EPOLLET) only come back with the next
 * wake-up — new data, new room, a new connection, an error; EPOLLONESHOT items are disabled after one report
 * until EPOLL_CTL_MOD re-arms them. EPOLLERR and EPOLLHUP are always reported, asked for or not.
 *
 * epollWait(maxEvents) is the timeout-0 call (never blocks); wait(maxEvents, timeoutMs) is the blocking one as a
 * promise, woken by the stack (for event loops: `for (;;) for (const ev of await ep.wait(64)) ...`).
 */
import type { Clock } from '../core/clock.ts';
import { EBADF, EEXIST, EINVAL, ENOENT } from '../inet/errno.ts';

export const EPOLLIN = 0x001;
export const EPOLLPRI = 0x002;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
export const EPOLLRDNORM = 0x040;
export const EPOLLWRNORM = 0x100;
export const EPOLLRDHUP = 0x2000;
export const EPOLLONESHOT = 0x40000000;
/** Edge-triggered (1 << 31, unsigned). */
export const EPOLLET = 0x80000000;

export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;

const EP_PRIVATE_BITS = EPOLLONESHOT | EPOLLET;
/** Always reported (epoll_ctl(2)). */
const EP_ALWAYS = EPOLLERR | EPOLLHUP;

/** A file epoll can watch: its current readiness, and a wait queue it wakes on every change of state. */
export interface Pollable {
  /** The EPOLL* mask of what is ready now (tcp_poll / udp_poll). */
  poll(): number;
  addWaiter(fn: () => void): void;
  removeWaiter(fn: () => void): void;
}

export interface EpollEvent {
  /** EPOLL* bits that are ready. */
  events: number;
  /** What was registered with the fd (default: the fd). */
  data: unknown;
  fd: number;
}

class EpItem {
  rdNext: EpItem | null = null;
  onRdList = false;
  readonly wake: () => void;

  constructor(
    readonly fd: number,
    readonly file: Pollable,
    public events: number,
    public data: unknown,
    ep: Epoll,
  ) {
    this.wake = () => ep.callback(this);
  }
}

export class Epoll {
  private readonly items = new Map<number, EpItem>();
  // Ready list (FIFO, singly linked).
  private rdHead: EpItem | null = null;
  private rdTail: EpItem | null = null;
  private waiters: Array<() => void> = [];
  private kickQueued = false;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    /** Resolves an fd to its file (the socket table). */
    private readonly lookup: (fd: number) => Pollable | null,
  ) {}

  /** epoll_ctl: 0 or a negative errno (-EBADF, -EEXIST on a second ADD, -ENOENT for MOD/DEL of an unknown fd). */
  epollCtl(op: number, fd: number, events = 0, data: unknown = fd): number {
    if (this.closed) return -EBADF;
    const file = this.lookup(fd);
    if (file === null) return -EBADF;
    const item = this.items.get(fd);
    switch (op) {
      case EPOLL_CTL_ADD: {
        if (item !== undefined) return -EEXIST;
        const it = new EpItem(fd, file, (events | EP_ALWAYS) >>> 0, data, this);
        this.items.set(fd, it);
        file.addWaiter(it.wake);
        if (file.poll() & it.events) this.ready(it);
        return 0;
      }
      case EPOLL_CTL_MOD: {
        if (item === undefined) return -ENOENT;
        item.events = (events | EP_ALWAYS) >>> 0;
        item.data = data;
        if (file.poll() & item.events) this.ready(item);
        return 0;
      }
      case EPOLL_CTL_DEL: {
        if (item === undefined) return -ENOENT;
        this.remove(item);
        return 0;
      }
      default:
        return -EINVAL;
    }
  }

  /** The file behind fd is going away (close): drop it from the interest list. */
  forget(fd: number): void {
    const item = this.items.get(fd);
    if (item !== undefined) this.remove(item);
  }

  private remove(item: EpItem): void {
    item.file.removeWaiter(item.wake);
    this.items.delete(item.fd);
    if (item.onRdList) {
      // Unlink from the ready list.
      let prev: EpItem | null = null;
      for (let it = this.rdHead; it !== null; prev = it, it = it.rdNext) {
        if (it !== item) continue;
        if (prev === null) this.rdHead = it.rdNext;
        else prev.rdNext = it.rdNext;
        if (this.rdTail === it) this.rdTail = prev;
        break;
      }
      item.rdNext = null;
      item.onRdList = false;
    }
  }

  /** ep_poll_callback: the file's state changed. */
  callback(item: EpItem): void {
    // A disarmed one-shot item waits for EPOLL_CTL_MOD.
    if ((item.events & ~EP_PRIVATE_BITS) === 0) return;
    this.ready(item);
  }

  private ready(item: EpItem): void {
    if (!item.onRdList) {
      item.onRdList = true;
      item.rdNext = null;
      if (this.rdTail === null) this.rdHead = item;
      else this.rdTail.rdNext = item;
      this.rdTail = item;
    }
    if (this.waiters.length > 0 && !this.kickQueued) {
      this.kickQueued = true;
      // Waiters run after the stack has finished the work that woke us (the softirq returns first).
      this.clock.defer(() => {
        this.kickQueued = false;
        const w = this.waiters;
        this.waiters = [];
        for (const fn of w) fn();
      });
    }
  }

  /** epoll_wait with timeout 0: up to maxEvents ready events, at once (possibly none). */
  epollWait(maxEvents = 64): EpollEvent[] {
    if (!Number.isInteger(maxEvents) || maxEvents <= 0) throw new RangeError('maxEvents must be a positive integer');
    const out: EpollEvent[] = [];
    // ep_send_events: take the whole list; items not reported (or level-triggered ones) are put back.
    let it = this.rdHead;
    this.rdHead = this.rdTail = null;
    const requeue: EpItem[] = [];
    while (it !== null) {
      const next = it.rdNext;
      it.rdNext = null;
      it.onRdList = false;
      if (out.length >= maxEvents) {
        requeue.push(it);
      } else {
        const revents = (it.file.poll() & it.events) >>> 0;
        if (revents !== 0) {
          out.push({ events: revents, data: it.data, fd: it.fd });
          if (it.events & EPOLLONESHOT) it.events &= EP_PRIVATE_BITS;
          else if ((it.events & EPOLLET) === 0) requeue.push(it);
        }
      }
      it = next;
    }
    for (const r of requeue) this.ready(r);
    return out;
  }

  /**
   * epoll_wait that blocks: resolves with ready events as soon as there are any, or with [] after `timeoutMs`
   * (-1: no timeout) on the stack's clock.
   */
  wait(maxEvents = 64, timeoutMs = -1): Promise<EpollEvent[]> {
    const now = this.epollWait(maxEvents);
    if (now.length > 0 || timeoutMs === 0 || this.closed) return Promise.resolve(now);
    return new Promise((resolve) => {
      let timer: ReturnType<Clock['timer']> | null = null;
      const attempt = () => {
        const evs = this.epollWait(maxEvents);
        if (evs.length > 0 || this.closed) {
          timer?.cancel();
          resolve(evs);
        } else {
          this.waiters.push(attempt);
        }
      };
      this.waiters.push(attempt);
      if (timeoutMs > 0) {
        timer = this.clock.setTimeout(() => {
          const i = this.waiters.indexOf(attempt);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve([]);
        }, timeoutMs);
      }
    });
  }

  /** Number of fds in the interest list. */
  get size(): number {
    return this.items.size;
  }

  close(): void {
    if (this.closed) return;
    for (const item of [...this.items.values()]) this.remove(item);
    this.closed = true;
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }
}

/** 'EPOLLIN|EPOLLOUT' for a mask (diagnostics and test messages). */
export function formatEvents(mask: number): string {
  const names: Array<[number, string]> = [
    [EPOLLIN, 'EPOLLIN'],
    [EPOLLPRI, 'EPOLLPRI'],
    [EPOLLOUT, 'EPOLLOUT'],
    [EPOLLERR, 'EPOLLERR'],
    [EPOLLHUP, 'EPOLLHUP'],
    [EPOLLRDNORM, 'EPOLLRDNORM'],
    [EPOLLWRNORM, 'EPOLLWRNORM'],
    [EPOLLRDHUP, 'EPOLLRDHUP'],
    [EPOLLONESHOT, 'EPOLLONESHOT'],
    [EPOLLET, 'EPOLLET'],
  ];
  const out = names.filter(([bit]) => (mask & bit) !== 0).map(([, n]) => n);
  return out.length > 0 ? out.join('|') : '0';
}
