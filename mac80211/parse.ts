/**
 * The result of every parser in mac80211: a value, or a reason it was rejected and where. Bad input from the air
 * never throws: a parser returns `fail(...)`, its caller drops the frame and counts the reason.
 */

export type ParseResult<T> = { ok: true; value: T } | ParseFailure;

export interface ParseFailure {
  ok: false;
  /** Short, stable, countable (kebab-case): `truncated-header`, `element-overrun`, `radiotap-length`... */
  reason: string;
  /** Byte offset of the problem, relative to the start of what the parser was given. */
  offset: number;
  /** For people: what exactly was wrong. */
  detail: string;
}

export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function fail(reason: string, offset: number, detail: string): ParseFailure {
  return { ok: false, reason, offset, detail };
}

/** Shift a failure's offset by `base` (when a sub-parser worked on a slice). */
export function rebase(f: ParseFailure, base: number): ParseFailure {
  return { ok: false, reason: f.reason, offset: f.offset + base, detail: f.detail };
}

/** Per-reason drop counters, in the style of /proc/net/snmp. */
export class ReasonCounters {
  readonly counts = new Map<string, number>();
  add(reason: string, n = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
  }
  get(reason: string): number {
    return this.counts.get(reason) ?? 0;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
