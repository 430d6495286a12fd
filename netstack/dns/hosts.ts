/**
 * Static name → address entries, as /etc/hosts: parsed from that file's format (address, then names; '#' starts a
 * comment) or given as a record. Looked up before any query.
 */
import { isIP } from 'node:net';
import { normName } from './codec.ts';

export class HostsTable {
  private readonly v4 = new Map<string, string[]>();
  private readonly v6 = new Map<string, string[]>();

  /** Lines of /etc/hosts text, or { name: address | addresses }. Throws on a line with a bad address. */
  constructor(src: string | Record<string, string | string[]> = {}) {
    if (typeof src === 'string') {
      src.split('\n').forEach((raw, i) => {
        const line = raw.replace(/#.*/, '').trim();
        if (line === '') return;
        const [addr, ...names] = line.split(/\s+/);
        if (isIP(addr!) === 0) throw new Error(`hosts line ${i + 1}: '${addr}' is not an IP address`);
        for (const n of names) this.add(n, addr!);
      });
    } else {
      for (const [n, a] of Object.entries(src)) for (const x of Array.isArray(a) ? a : [a]) this.add(n, x);
    }
  }

  add(name: string, address: string): void {
    const fam = isIP(address);
    if (fam === 0) throw new Error(`hosts entry for ${name}: '${address}' is not an IP address`);
    const m = fam === 4 ? this.v4 : this.v6;
    const k = normName(name);
    const list = m.get(k) ?? [];
    if (!list.includes(address)) list.push(address);
    m.set(k, list);
  }

  /** Addresses of `name` for family 4 or 6, or undefined when the name has no entry of that family. */
  get(name: string, family: 4 | 6): string[] | undefined {
    return (family === 4 ? this.v4 : this.v6).get(normName(name));
  }

  has(name: string): boolean {
    const k = normName(name);
    return this.v4.has(k) || this.v6.has(k);
  }
}
