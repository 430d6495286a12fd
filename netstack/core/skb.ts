/**
 * The one packet-buffer type (Linux's struct sk_buff, reduced to what a single-threaded stack needs).
 *
 * Layout of the backing buffer:
 *
 *     0 ........ data ............ tail ........ buf.length
 *     [headroom ][ packet bytes     ][ tailroom  ]
 *
 * Layers add and remove headers in place: `push(n)` grows the packet at the front (into headroom), `pull(n)`
 * strips bytes from the front, `put(n)` grows it at the back (into tailroom), `trim(len)` cuts the back. Nothing is
 * copied; `buf` plus offsets, or the cached `dv` DataView, are the views. `bytes()` returns a zero-copy Buffer
 * view of the current packet (it allocates a small view object: use it off the hot path, or once per packet).
 *
 * Header offsets (`macHeader`, `networkHeader`, `transportHeader`) are absolute offsets into `buf` (-1 = unset), so
 * they stay valid as `data` moves.
 *
 * Ownership rules:
 *  1. An skb has exactly one owner. Calling a function that takes an skb and does not say "borrows" (for example
 *     devQueueXmit, netifReceiveSkb, ipRcv, a driver's xmit) transfers ownership: the caller must not touch the
 *     skb afterwards, not even to read it.
 *  2. The owner ends an skb's life with `free()` (consumed normally) or `drop(reason)` (counted as a drop by the
 *     caller). Both run the destructor (socket write-memory accounting, TX completion) exactly once.
 *  3. Taps and anything else that "borrows" an skb may read it during the call only; to keep bytes, copy them
 *     (`copyBytes()`).
 *  4. A socket that hands received payload to the user hands out views of `buf`; from then on the backing
 *     buffer belongs to the user and is never reused by the stack. Buffers are therefore never pooled after
 *     delivery to user code.
 *  5. `clone()` shares the backing buffer read-only (both clones must treat the packet bytes as immutable);
 *     `copy()` duplicates the bytes.
 */

export enum PacketType {
  HOST = 0,
  BROADCAST = 1,
  MULTICAST = 2,
  OTHERHOST = 3,
  OUTGOING = 4,
  LOOPBACK = 5,
}

export enum ChecksumState {
  /** Nothing is known: verify in software. */
  NONE = 0,
  /** The device verified it (or the link cannot corrupt, like an in-memory veth): skip verification. */
  UNNECESSARY = 1,
  /** TX: the checksum field holds the pseudo-header sum; the device fills in the rest (offload). */
  PARTIAL = 2,
}

/** Default headroom: enough for a USB header, the MT7921 TXD, 802.11 QoS + CCMP headers, LLC/SNAP and IPv4/TCP. */
export const SKB_DEFAULT_HEADROOM = 192;

export class SkBuff {
  /** Backing storage. */
  buf: Buffer;
  /** Offset of the first packet byte. */
  data: number;
  /** Offset one past the last packet byte. */
  tail: number;
  private _dv: DataView | null = null;
  /** The buffer _dv was made for (compared by identity: cheaper than reading .buffer, and right for pooled slabs). */
  private _dvBuf: Buffer | null = null;

  macHeader = -1;
  networkHeader = -1;
  transportHeader = -1;

  /** Device the packet arrived on or leaves by (typed loosely to keep this module dependency-free). */
  dev: unknown = null;
  /** EtherType in host order, as set by eth_type_trans or the sender. */
  protocol = 0;
  pktType: PacketType = PacketType.HOST;
  /** 802.1d priority 0..7 (drives the 802.11 TID / access category). */
  priority = 0;
  ipSummed: ChecksumState = ChecksumState.NONE;
  /** CHECKSUM_PARTIAL: absolute offset where checksumming starts (the transport header), -1 when unset. */
  csumStart = -1;
  /** CHECKSUM_PARTIAL: offset of the checksum field from csumStart (6 for UDP, 16 for TCP). */
  csumOffset = 0;
  /** 802.1Q VLAN tag control information, when a tag was stripped (-1: none). */
  vlanTci = -1;
  /** Clock time at which the packet was received or queued. */
  tstamp = 0;
  /** Run exactly once when the skb is freed or dropped. */
  destructor: ((skb: SkBuff) => void) | null = null;
  /** Per-layer scratch space (Linux's skb->cb): each layer documents what it stores while it owns the skb. */
  cb: unknown = null;

  constructor(buf: Buffer, data = 0, tail = data) {
    this.buf = buf;
    this.data = data;
    this.tail = tail;
  }

  /** A new empty skb with `size` bytes of room for packet data after `headroom` bytes of headroom. */
  static alloc(size: number, headroom = SKB_DEFAULT_HEADROOM, tailroom = 0): SkBuff {
    const buf = Buffer.allocUnsafe(headroom + size + tailroom);
    return new SkBuff(buf, headroom, headroom);
  }

  /** An skb holding a copy of `bytes`, with headroom for headers to be pushed later. */
  static fromBytes(bytes: Uint8Array, headroom = SKB_DEFAULT_HEADROOM, tailroom = 0): SkBuff {
    const skb = SkBuff.alloc(bytes.length, headroom, tailroom);
    skb.buf.set(bytes, headroom);
    skb.tail = headroom + bytes.length;
    return skb;
  }

  /** An skb that takes over `buf` (no copy); the packet is buf[data, tail). */
  static wrap(buf: Buffer, data = 0, tail = buf.length): SkBuff {
    return new SkBuff(buf, data, tail);
  }

  get len(): number {
    return this.tail - this.data;
  }

  get headroom(): number {
    return this.data;
  }

  get tailroom(): number {
    return this.buf.length - this.tail;
  }

  /** DataView over the whole backing buffer (absolute offsets), created once per buffer. */
  get dv(): DataView {
    let dv = this._dv;
    if (dv === null || this._dvBuf !== this.buf) {
      dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
      this._dv = dv;
      this._dvBuf = this.buf;
    }
    return dv;
  }

  /** Reserve headroom in an empty skb. */
  reserve(n: number): void {
    if (this.tail !== this.data) throw new Error('skb.reserve on a non-empty skb');
    if (this.data + n > this.buf.length) throw new Error('skb.reserve beyond the buffer');
    this.data += n;
    this.tail += n;
  }

  /** Add `n` bytes at the front; returns the new data offset. Throws if headroom is short (a stack bug). */
  push(n: number): number {
    if (n > this.data) throw new Error(`skb.push(${n}) with only ${this.data} bytes of headroom`);
    this.data -= n;
    return this.data;
  }

  /**
   * Remove `n` bytes from the front; returns the old data offset. Parsers must check `len` first (bad input is
   * theirs to drop and count); pulling past the end is a stack bug and throws.
   */
  pull(n: number): number {
    if (n > this.len) throw new Error(`skb.pull(${n}) from a ${this.len}-byte packet`);
    const old = this.data;
    this.data += n;
    return old;
  }

  /** Add `n` bytes at the back; returns the offset of the added area. Throws if tailroom is short. */
  put(n: number): number {
    if (n > this.tailroom) throw new Error(`skb.put(${n}) with only ${this.tailroom} bytes of tailroom`);
    const old = this.tail;
    this.tail += n;
    return old;
  }

  /** Append bytes (copying them in). */
  putBytes(bytes: Uint8Array): number {
    const off = this.put(bytes.length);
    this.buf.set(bytes, off);
    return off;
  }

  /** Cut the packet to `len` bytes (no-op if already shorter). */
  trim(len: number): void {
    if (len < this.len) this.tail = this.data + len;
  }

  /** Make sure there are at least `head` bytes of headroom and `tail` of tailroom, reallocating if needed. */
  ensureRoom(head: number, tail = 0): void {
    if (this.headroom >= head && this.tailroom >= tail) return;
    const h = Math.max(head, this.headroom);
    const t = Math.max(tail, this.tailroom);
    const nbuf = Buffer.allocUnsafe(h + this.len + t);
    this.buf.copy(nbuf, h, this.data, this.tail);
    const shift = h - this.data;
    if (this.macHeader >= 0) this.macHeader += shift;
    if (this.networkHeader >= 0) this.networkHeader += shift;
    if (this.transportHeader >= 0) this.transportHeader += shift;
    if (this.csumStart >= 0) this.csumStart += shift;
    this.buf = nbuf;
    this._dv = null;
    this.tail = h + this.len;
    this.data = h;
  }

  /** Zero-copy view of the packet bytes (allocates a view object). */
  bytes(): Buffer {
    return this.buf.subarray(this.data, this.tail);
  }

  /** A private copy of the packet bytes. */
  copyBytes(): Buffer {
    return Buffer.from(this.buf.subarray(this.data, this.tail));
  }

  resetMacHeader(): void {
    this.macHeader = this.data;
  }

  resetNetworkHeader(): void {
    this.networkHeader = this.data;
  }

  resetTransportHeader(): void {
    this.transportHeader = this.data;
  }

  /** Copy the metadata (not the bytes) of `from` into this skb. */
  copyMeta(from: SkBuff): void {
    const shift = this.data - from.data;
    this.macHeader = from.macHeader >= 0 ? from.macHeader + shift : -1;
    this.networkHeader = from.networkHeader >= 0 ? from.networkHeader + shift : -1;
    this.transportHeader = from.transportHeader >= 0 ? from.transportHeader + shift : -1;
    this.dev = from.dev;
    this.protocol = from.protocol;
    this.pktType = from.pktType;
    this.priority = from.priority;
    this.ipSummed = from.ipSummed;
    this.csumStart = from.csumStart >= 0 ? from.csumStart + shift : -1;
    this.csumOffset = from.csumOffset;
    this.vlanTci = from.vlanTci;
    this.tstamp = from.tstamp;
  }

  /** A second skb over the same bytes (read-only for both); metadata copied, no destructor. */
  clone(): SkBuff {
    const c = new SkBuff(this.buf, this.data, this.tail);
    c.copyMeta(this);
    return c;
  }

  /** A second skb with its own copy of the bytes and the same headroom/tailroom. */
  copy(): SkBuff {
    const nbuf = Buffer.allocUnsafe(this.buf.length);
    this.buf.copy(nbuf, this.data, this.data, this.tail);
    const c = new SkBuff(nbuf, this.data, this.tail);
    c.copyMeta(this);
    return c;
  }

  /** End of life, consumed normally. */
  free(): void {
    const d = this.destructor;
    if (d !== null) {
      this.destructor = null;
      d(this);
    }
  }

  /**
   * skb_orphan: run the destructor now (release the sender's accounting, complete the TX) while the skb lives on,
   * as a link that loops a transmitted buffer into a receive path does.
   */
  orphan(): void {
    this.free();
  }

  /** End of life as a drop; the caller counts it in its own counters. Same as free() apart from intent. */
  drop(): void {
    this.free();
  }
}
