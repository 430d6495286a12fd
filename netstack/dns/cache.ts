/**
 * The resolver's cache: one entry per (name, type) as asked. A positive entry holds the addresses at the end of the
 * CNAME chain and lives for the smallest TTL of the chain (every record used); a negative entry (RFC 2308) records
 * NXDOMAIN or NODATA and lives for min(SOA TTL, SOA minimum) of the authority section — responses without an SOA
 * are not cached negatively (RFC 2308 §5). TTLs are capped (1 day positive, 3 hours negative, RFC 2308 §5).
 * Bounded: the oldest entry goes when full.
 */
import type { Clock } from '../core/clock.ts';

export type CacheEntry = { kind: 'answer'; addresses: string[]; canonical: string } | { kind: 'nxdomain' | 'nodata' };
export type CacheResult = CacheEntry & { expires: number };

export const MAX_TTL_S = 86_400;
export const MAX_NEGATIVE_TTL_S = 10_800;

export interface CacheStats {
  hits: number;
  misses: number;
  negativeHits: number;
  inserts: number;
  expired: number;
  evicted: number;
}

export class DnsCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, negativeHits: 0, inserts: 0, expired: 0, evicted: 0 };
  private readonly map = new Map<string, CacheResult>();

  constructor(
    private readonly clock: Clock,
    readonly maxEntries = 1000,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(name: string, type: string): CacheResult | undefined {
    const k = `${type} ${name}`;
    const e = this.map.get(k);
    if (e === undefined) {
      this.stats.misses++;
      return undefined;
    }
    if (this.clock.now() >= e.expires) {
      this.map.delete(k);
      this.stats.expired++;
      this.stats.misses++;
      return undefined;
    }
    if (e.kind === 'answer') this.stats.hits++;
    else this.stats.negativeHits++;
    return e;
  }

  /** Store a result for `ttl` seconds (0: not stored). */
  put(name: string, type: string, r: CacheEntry, ttlSeconds: number): void {
    const cap = r.kind === 'answer' ? MAX_TTL_S : MAX_NEGATIVE_TTL_S;
    const ttl = Math.min(ttlSeconds, cap);
    if (!(ttl > 0)) return;
    const k = `${type} ${name}`;
    this.map.delete(k);
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) {
        this.map.delete(oldest);
        this.stats.evicted++;
      }
    }
    this.map.set(k, { ...r, expires: this.clock.now() + ttl * 1000 });
    this.stats.inserts++;
  }

  clear(): void {
    this.map.clear();
  }
}
