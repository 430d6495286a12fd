/**
 * A UsbTransport that replays a recorded trace (trace.ts) to a driver, so driver tests can run on recordings of a
 * real dongle.
 *
 * - What the driver sends is matched against the recording: control transfers (and resets) in the order they were
 *   submitted, and bulk OUT transfers per endpoint in the order they were submitted — setup fields, lengths and
 *   bytes must be equal. The answer is the recorded one (data for control IN, status for everything).
 * - Bulk IN reads are answered with the recorded IN transfers of their endpoint, in order. A recorded IN is
 *   delivered only once the driver has sent everything that had completed before it in the recording (causality:
 *   an MCU event never arrives before its command) and a read is pending on that endpoint. Recorded reads that
 *   ended 'cancelled' are skipped: in the replay the driver's own cancelIn cancels its reads.
 * - A divergence (a transfer that differs, or one past the end of the recording) fails clearly: the transfer and
 *   everything pending or later reject with ReplayDivergenceError (a UsbError 'nodev', so the driver stops as if
 *   the device were gone), and `divergence` holds the first one. A recorded 'removed' event removes the device at
 *   its point in the recording.
 */
import { readFileSync } from 'node:fs';
import { type ControlSetup, type UsbDeviceInfo, type UsbEndpoints, UsbError, type UsbTransport } from '../transport.ts';
import {
  type TraceBulk,
  type TraceControl,
  type TraceHeader,
  type TraceRecord,
  type TraceReset,
  type TraceTransfer,
  fromHex,
  hex,
  parseTrace,
  toHex,
  traceSetup,
} from './trace.ts';

export class ReplayDivergenceError extends UsbError {
  constructor(message: string) {
    super('nodev', `replay diverged: ${message}`);
    this.name = 'ReplayDivergenceError';
  }
}

interface Timed {
  /** Position in the recording (completion order). */
  pos: number;
}
type HostRecord = (TraceControl | TraceBulk | TraceReset) & Timed;
type InRecord = TraceBulk & Timed;

interface PendingRead {
  resolve(data: Uint8Array): void;
  reject(err: UsbError): void;
}

const describeControl = (dir: string, s: ReturnType<typeof traceSetup>, data?: string) =>
  `control ${dir.toUpperCase()} ${s.bmRequestType} ${s.bRequest} wValue ${s.wValue} wIndex ${s.wIndex} wLength ${s.wLength}${data ? ` data ${abbrev(data)}` : ''}`;

function describeRecord(r: TraceTransfer): string {
  if (r.type === 'reset') return 'USB reset';
  if (r.type === 'control') return describeControl(r.dir, r.setup, r.dir === 'out' ? r.data : undefined);
  return `bulk ${r.dir.toUpperCase()} ${r.ep} ${r.len} bytes${r.dir === 'out' ? ` ${abbrev(r.data ?? '')}` : ''}`;
}

function abbrev(hexData: string): string {
  return hexData.length > 48 ? `${hexData.slice(0, 48)}…` : hexData;
}

export class ReplayTransport implements UsbTransport {
  readonly info: UsbDeviceInfo;
  readonly endpoints: UsbEndpoints;
  /** The first divergence, or null while the driver follows the recording. */
  divergence: ReplayDivergenceError | null = null;
  private gone: UsbError | null = null;
  /** Host-initiated records per stream ('control' for control and reset, else the OUT endpoint), in seq order. */
  private readonly streams = new Map<string, HostRecord[]>();
  private readonly streamPos = new Map<string, number>();
  /** Recorded IN transfers per endpoint, in order. */
  private readonly ins = new Map<number, InRecord[]>();
  private readonly inPos = new Map<number, number>();
  private readonly reads = new Map<number, PendingRead[]>();
  /** Positions of host records not yet matched, ascending: the earliest bounds what may be delivered. */
  private readonly unmatched: number[] = [];
  private unmatchedHead = 0;
  private readonly matched = new Set<number>();
  private readonly removals: number[] = [];
  private readonly listeners = new Set<(err: UsbError) => void>();

  constructor(trace: string | readonly TraceRecord[]) {
    const records = typeof trace === 'string' ? parseTrace(trace) : trace;
    const header = records[0] as TraceHeader;
    this.info = { ...header.info };
    this.endpoints = { in: header.endpoints.in.map(Number), out: header.endpoints.out.map(Number) };
    records.forEach((r, pos) => {
      if (r.type === 'removed') this.removals.push(pos);
      if (r.type !== 'control' && r.type !== 'bulk' && r.type !== 'reset') return;
      if (r.type === 'bulk' && r.dir === 'in') {
        if (r.status === 'cancelled') return;
        const ep = Number(r.ep);
        if (!this.ins.has(ep)) this.ins.set(ep, []);
        this.ins.get(ep)!.push({ ...r, pos });
        return;
      }
      const key = r.type === 'bulk' ? r.ep.toLowerCase() : 'control';
      if (!this.streams.has(key)) this.streams.set(key, []);
      this.streams.get(key)!.push({ ...r, pos });
      this.unmatched.push(pos);
    });
    for (const list of this.streams.values()) list.sort((a, b) => a.seq - b.seq);
  }

  static fromFile(path: string): ReplayTransport {
    return new ReplayTransport(readFileSync(path, 'utf8'));
  }

  get removed(): boolean {
    return this.gone !== null;
  }

  /**
   * True when every recorded host transfer was matched and every recorded IN transfer delivered — except those the
   * recording shows failing with 'nodev' after the device went away, which the driver cannot send once it knows.
   */
  get complete(): boolean {
    return this.leftover() === null;
  }

  /** Throws the divergence, or an Error saying what of the recording was not replayed. */
  assertComplete(): void {
    if (this.divergence) throw this.divergence;
    const left = this.leftover();
    if (left) throw new Error(`replay incomplete: ${left}`);
  }

  private leftover(): string | null {
    const unsent: HostRecord[] = [];
    for (const [k, list] of this.streams) {
      for (const r of list.slice(this.streamPos.get(k) ?? 0)) if (r.status !== 'nodev') unsent.push(r);
    }
    if (unsent.length) {
      const next = unsent.sort((a, b) => a.seq - b.seq)[0]!;
      return `${unsent.length} recorded transfers never sent, next: #${next.seq} ${describeRecord(next)}`;
    }
    for (const [ep, list] of this.ins) {
      const left = list.slice(this.inPos.get(ep) ?? 0).filter((r) => r.status !== 'nodev').length;
      if (left > 0) return `${left} recorded IN transfers on ${hex(ep)} never read`;
    }
    return null;
  }

  controlIn(setup: ControlSetup, length: number): Promise<Uint8Array> {
    return this.host('control', `control IN`, (r) => {
      if (r.type !== 'control' || r.dir !== 'in') return null;
      const want = traceSetup(setup, length);
      return same(r.setup, want) ? null : describeControl('in', want);
    }).then((r) => fromHex((r as TraceControl).data));
  }

  controlOut(setup: ControlSetup, data: Uint8Array | null): Promise<void> {
    return this.host('control', 'control OUT', (r) => {
      const want = traceSetup(setup, data?.length ?? 0);
      const sent = data ? toHex(data) : '';
      if (r.type === 'control' && r.dir === 'out' && same(r.setup, want) && (r.data ?? '') === sent) return null;
      return describeControl('out', want, sent);
    }).then(() => {});
  }

  bulkOut(ep: number, data: Uint8Array): Promise<void> {
    const key = hex(ep);
    return this.host(key, `bulk OUT ${key}`, (r) => {
      const sent = toHex(data);
      if (r.type === 'bulk' && r.len === data.length && (r.data ?? '') === sent) return null;
      return `bulk OUT ${key} ${data.length} bytes ${abbrev(sent)}`;
    }).then(() => {});
  }

  bulkIn(ep: number, _length: number): Promise<Uint8Array> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise<Uint8Array>((resolve, reject) => {
      if (!this.reads.has(ep)) this.reads.set(ep, []);
      this.reads.get(ep)!.push({ resolve, reject });
      this.pump();
    });
  }

  cancelIn(ep?: number): void {
    for (const [e, list] of this.reads) {
      if (ep !== undefined && e !== ep) continue;
      for (const r of list.splice(0)) r.reject(new UsbError('cancelled', 'read cancelled'));
    }
  }

  reset(): Promise<void> {
    return this.host('control', 'USB reset', (r) => (r.type === 'reset' ? null : 'USB reset')).then(() => {
      this.cancelIn();
    });
  }

  async close(): Promise<void> {
    this.remove(new UsbError('nodev', 'device closed'));
  }

  onRemoved(listener: (err: UsbError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Match a host transfer against the next recorded one of its stream; `mismatch` returns null when equal, else a
   * description of what the driver sent. Resolves or rejects as recorded.
   */
  private host(stream: string, what: string, mismatch: (r: HostRecord) => string | null): Promise<TraceTransfer> {
    if (this.gone) return Promise.reject(this.gone);
    const list = this.streams.get(stream) ?? [];
    const i = this.streamPos.get(stream) ?? 0;
    const rec = list[i];
    if (!rec) {
      return Promise.reject(this.diverge(`the driver sent a ${what} after the recording's last one on this pipe`));
    }
    const sent = mismatch(rec);
    if (sent !== null) {
      return Promise.reject(
        this.diverge(`transfer #${rec.seq}: the driver sent ${sent}; the recording has ${describeRecord(rec)}`),
      );
    }
    this.streamPos.set(stream, i + 1);
    this.matched.add(rec.pos);
    while (this.unmatchedHead < this.unmatched.length && this.matched.has(this.unmatched[this.unmatchedHead]!)) {
      this.unmatchedHead++;
    }
    const result =
      rec.status === 'ok'
        ? Promise.resolve<TraceTransfer>(rec)
        : Promise.reject(new UsbError(rec.status, rec.error ?? `recorded ${rec.status}`));
    if (rec.status === 'nodev') this.remove(new UsbError('nodev', rec.error ?? 'device gone (recorded)'));
    // Deliver what this transfer made possible, after the caller has seen its own answer.
    queueMicrotask(() => this.pump());
    return result;
  }

  /** Everything recorded before the first host transfer not yet matched may now happen. */
  private get horizon(): number {
    return this.unmatched[this.unmatchedHead] ?? Number.POSITIVE_INFINITY;
  }

  private pump(): void {
    if (this.gone) return;
    const horizon = this.horizon;
    const removal = this.removals[0] ?? Number.POSITIVE_INFINITY;
    // IN transfers recorded before the removal first, then the removal itself.
    const limit = Math.min(horizon, removal);
    for (const [ep, list] of this.ins) {
      const reads = this.reads.get(ep);
      let i = this.inPos.get(ep) ?? 0;
      while (reads?.length && i < list.length && list[i]!.pos < limit) {
        const rec = list[i++]!;
        const read = reads.shift()!;
        if (rec.status === 'ok') read.resolve(fromHex(rec.data));
        else read.reject(new UsbError(rec.status, rec.error ?? `recorded ${rec.status}`));
      }
      this.inPos.set(ep, i);
    }
    if (removal < horizon) this.remove(new UsbError('nodev', 'device removed (recorded)'));
  }

  private diverge(message: string): ReplayDivergenceError {
    const err = new ReplayDivergenceError(message);
    this.divergence ??= err;
    this.remove(err);
    return err;
  }

  private remove(err: UsbError): void {
    if (this.gone) return;
    this.gone = err;
    for (const list of this.reads.values()) for (const r of list.splice(0)) r.reject(err);
    for (const l of this.listeners) l(err);
  }
}

function same(a: ReturnType<typeof traceSetup>, b: ReturnType<typeof traceSetup>): boolean {
  return (
    Number(a.bmRequestType) === Number(b.bmRequestType) &&
    Number(a.bRequest) === Number(b.bRequest) &&
    Number(a.wValue) === Number(b.wValue) &&
    Number(a.wIndex) === Number(b.wIndex) &&
    a.wLength === b.wLength
  );
}
