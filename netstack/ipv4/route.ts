/**
 * The IPv4 routing table (Linux's FIB, reduced to one table): longest prefix match, then lowest metric. Connected
 * routes are added and removed with addresses by Ipv4; static routes (a default gateway, host routes) by the user.
 * A route may carry its own MTU (`ip route add ... mtu N`). Learned path MTUs (ICMP "fragmentation needed") are kept
 * as exceptions per destination for 10 minutes, as Linux does (net.ipv4.route.mtu_expires = 600 s).
 */
import type { NetDevice } from '../core/netdevice.ts';
import { formatCidr, formatIpv4, prefixMask } from '../inet/addr.ts';
import type { RouteResult } from '../inet/protocol.ts';

export enum RouteType {
  UNICAST = 0,
  /** To one of this host's addresses (delivered through the loopback device). */
  LOCAL = 1,
  BROADCAST = 2,
  MULTICAST = 3,
}

export interface Route {
  dst: number;
  prefixLen: number;
  mask: number;
  dev: NetDevice;
  /** 0 for a connected (on-link) route. */
  gateway: number;
  /** Preferred source address (0: choose from the device). */
  src: number;
  /** 0: the device MTU. */
  mtu: number;
  metric: number;
  /** 'kernel' for connected routes, 'static' for routes added by the user. */
  proto: 'kernel' | 'static';
}

/** A route lookup result: the RouteResult contract plus the kind of destination. */
export interface Ipv4Route extends RouteResult {
  type: RouteType;
  gateway: number;
}

export const MTU_EXPIRES_MS = 600_000;
/** net.ipv4.route.min_pmtu (512 + 20 + 20). */
export const MIN_PMTU = 552;

export class Fib {
  /** Sorted: longest prefix first, then lowest metric, then insertion order. */
  readonly routes: Route[] = [];
  /** Bumped on every change; caches compare it. */
  generation = 0;

  add(r: Omit<Route, 'mask'>): Route {
    const route: Route = { ...r, dst: (r.dst & prefixMask(r.prefixLen)) >>> 0, mask: prefixMask(r.prefixLen) };
    const dup = this.routes.find(
      (x) => x.dst === route.dst && x.prefixLen === route.prefixLen && x.metric === route.metric && x.dev === route.dev,
    );
    if (dup !== undefined) throw new Error(`route ${formatCidr(route.dst, route.prefixLen)} already exists`);
    let i = 0;
    while (
      i < this.routes.length &&
      (this.routes[i]!.prefixLen > route.prefixLen ||
        (this.routes[i]!.prefixLen === route.prefixLen && this.routes[i]!.metric <= route.metric))
    ) {
      i++;
    }
    this.routes.splice(i, 0, route);
    this.generation++;
    return route;
  }

  /** Remove every route matching `pred`; returns how many. */
  remove(pred: (r: Route) => boolean): number {
    let n = 0;
    for (let i = this.routes.length - 1; i >= 0; i--) {
      if (pred(this.routes[i]!)) {
        this.routes.splice(i, 1);
        n++;
      }
    }
    if (n) this.generation++;
    return n;
  }

  /** Longest-prefix match for `dst`, restricted to `oif` when given. */
  lookup(dst: number, oif: NetDevice | null = null): Route | null {
    const rs = this.routes;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if ((dst & r.mask) >>> 0 === r.dst && (oif === null || r.dev === oif) && r.dev.up) return r;
    }
    return null;
  }

  /** `ip route` style listing. */
  format(): string[] {
    return this.routes.map((r) => {
      const dst = r.prefixLen === 0 ? 'default' : formatCidr(r.dst, r.prefixLen);
      const via = r.gateway ? ` via ${formatIpv4(r.gateway)}` : '';
      const src = r.src ? ` src ${formatIpv4(r.src)}` : '';
      const mtu = r.mtu ? ` mtu ${r.mtu}` : '';
      const metric = r.metric ? ` metric ${r.metric}` : '';
      return `${dst}${via} dev ${r.dev.name} proto ${r.proto}${r.gateway ? '' : ' scope link'}${src}${metric}${mtu}`;
    });
  }
}

/** Path MTUs learned from ICMP, per destination, with expiry. */
export class PmtuCache {
  private entries = new Map<number, { mtu: number; expires: number }>();
  generation = 0;

  get(dst: number, now: number): number {
    const e = this.entries.get(dst);
    if (e === undefined) return 0;
    if (e.expires <= now) {
      this.entries.delete(dst);
      this.generation++;
      return 0;
    }
    return e.mtu;
  }

  /** When the entry for `dst` expires (Infinity when there is none). */
  expires(dst: number): number {
    return this.entries.get(dst)?.expires ?? Number.POSITIVE_INFINITY;
  }

  /** Record a smaller path MTU (clamped to MIN_PMTU). Returns the value stored. */
  update(dst: number, mtu: number, now: number): number {
    const v = Math.max(mtu, MIN_PMTU);
    this.entries.set(dst, { mtu: v, expires: now + MTU_EXPIRES_MS });
    this.generation++;
    return v;
  }

  get size(): number {
    return this.entries.size;
  }
}
