/**
 * A growable ring-buffer queue. Unlike an array used with push/shift (or truncated with `length = 0` when drained),
 * it keeps its storage when it empties, so a queue that fills and drains once per packet allocates nothing.
 */
export class Fifo<T> {
  private buf: Array<T | undefined>;
  private head = 0;
  private count = 0;
  private mask: number;

  constructor(capacity = 16) {
    let cap = 4;
    while (cap < capacity) cap <<= 1;
    this.buf = new Array<T | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  get length(): number {
    return this.count;
  }

  push(x: T): void {
    if (this.count > this.mask) this.grow();
    this.buf[(this.head + this.count) & this.mask] = x;
    this.count++;
  }

  /** The oldest element, or undefined when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.buf[this.head];
  }

  /** Remove and return the oldest element, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const x = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return x;
  }

  /** Element i (0 = oldest), or undefined. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.count ? this.buf[(this.head + i) & this.mask] : undefined;
  }

  /** Remove every element, calling `fn` on each (oldest first). */
  drain(fn: (x: T) => void): void {
    while (this.count > 0) fn(this.shift() as T);
  }

  private grow(): void {
    const old = this.buf;
    const cap = old.length * 2;
    const buf = new Array<T | undefined>(cap).fill(undefined);
    for (let i = 0; i < this.count; i++) buf[i] = old[(this.head + i) & this.mask];
    this.buf = buf;
    this.head = 0;
    this.mask = cap - 1;
  }
}
