/**
 * epoll over SocketApi descriptors: an interest list, a ready list fed by the TCP core's events (as
 * ep_poll_callback), level-triggered (ready entries stay listed while the condition holds), edge-triggered
 * (EPOLLET: listed again only on a new event) and one-shot (EPOLLONESHOT: disabled after one report until
 * EPOLL_CTL_MOD). wait() costs the number of ready descriptors, not the number watched.
 */
import type { Clock, Timer } from '../core/clock.ts';
import type { FileDesc, SocketApi } from './bsd.ts';

export const EPOLLIN = 0x001;
export const EPOLLPRI = 0x002;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
export const EPOLLRDHUP = 0x2000;
export const EPOLLONESHOT = 0x40000000;
export const EPOLLET = 0x80000000;

export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;

const EBADF = 9;
const EEXIST = 17;
const ENOENT = 2;

/** Always reported, whether asked for or not (as Linux). */
const ALWAYS = EPOLLERR | EPOLLHUP;

export interface EpollEvent {
  fd: number;
  events: number;
  data: unknown;
}

interface Reg {
  d: FileDesc;
  events: number;
  data: unknown;
  listed: boolean;
  disabled: boolean;
}

interface Waiter {
  max: number;
  resolve: (ev: EpollEvent[]) => void;
  timer: Timer | null;
}

export class Epoll {
  private readonly regs = new Map<FileDesc, Reg>();
  private ready: Reg[] = [];
  private readonly waiters: Waiter[] = [];
  private wakeQueued = false;

  constructor(
    private readonly api: SocketApi,
    private readonly clock: Clock,
  ) {}

  /** epoll_ctl: 0 or a negative errno. `data` defaults to the fd. */
  ctl(op: number, fd: number, events = 0, data: unknown = fd): number {
    const d = this.api.desc(fd);
    if (d === undefined) return -EBADF;
    const reg = this.regs.get(d);
    switch (op) {
      case EPOLL_CTL_ADD: {
        if (reg !== undefined) return -EEXIST;
        const r: Reg = { d, events, data, listed: false, disabled: false };
        this.regs.set(d, r);
        d.watchers.add(this);
        if (d.events() & (events | ALWAYS)) this.list(r);
        return 0;
      }
      case EPOLL_CTL_MOD:
        if (reg === undefined) return -ENOENT;
        reg.events = events;
        reg.data = data;
        reg.disabled = false;
        if (d.events() & (events | ALWAYS)) this.list(reg);
        return 0;
      case EPOLL_CTL_DEL:
        if (reg === undefined) return -ENOENT;
        this.forget(d);
        return 0;
      default:
        return -22;
    }
  }

  /** The descriptor was closed or removed. */
  forget(d: FileDesc): void {
    const r = this.regs.get(d);
    if (r === undefined) return;
    this.regs.delete(d);
    d.watchers.delete(this);
    r.disabled = true;
  }

  /** Called by a descriptor when an event happens (ep_poll_callback). */
  wakeup(d: FileDesc, ev: number): void {
    const r = this.regs.get(d);
    if (r === undefined || r.disabled || (ev & (r.events | ALWAYS)) === 0) return;
    this.list(r);
  }

  private list(r: Reg): void {
    if (!r.listed) {
      r.listed = true;
      this.ready.push(r);
    }
    if (this.waiters.length > 0 && !this.wakeQueued) {
      this.wakeQueued = true;
      this.clock.defer(() => this.wakeWaiters());
    }
  }

  private wakeWaiters(): void {
    this.wakeQueued = false;
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      const evs = this.collect(w.max);
      if (evs.length === 0) return;
      this.waiters.shift();
      w.timer?.cancel();
      w.resolve(evs);
    }
  }

  /** Take up to `max` events from the ready list (level-triggered entries stay listed). */
  private collect(max: number): EpollEvent[] {
    const out: EpollEvent[] = [];
    const keep: Reg[] = [];
    for (const r of this.ready) {
      r.listed = false;
      if (r.disabled || !this.regs.has(r.d)) continue;
      const mask = r.d.events() & (r.events | ALWAYS);
      if (mask === 0) continue;
      if (out.length >= max) {
        keep.push(r);
        r.listed = true;
        continue;
      }
      out.push({ fd: r.d.fd, events: mask, data: r.data });
      if (r.events & EPOLLONESHOT) r.disabled = true;
      else if ((r.events & EPOLLET) === 0) {
        keep.push(r);
        r.listed = true;
      }
    }
    this.ready = keep;
    return out;
  }

  /** epoll_wait with timeout 0: the events ready now. */
  poll(max = 64): EpollEvent[] {
    return this.collect(max);
  }

  /**
   * epoll_wait: resolves with up to `max` events as soon as any is ready, or with [] after `timeoutMs` on the
   * stack's clock (-1: no timeout).
   */
  wait(max = 64, timeoutMs = -1): Promise<EpollEvent[]> {
    const now = this.collect(max);
    if (now.length > 0 || timeoutMs === 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const w: Waiter = { max, resolve, timer: null };
      if (timeoutMs > 0) {
        w.timer = this.clock.setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve([]);
        }, timeoutMs);
      }
      this.waiters.push(w);
    });
  }

  /** Number of descriptors watched. */
  get size(): number {
    return this.regs.size;
  }
}
