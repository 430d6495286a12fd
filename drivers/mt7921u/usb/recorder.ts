/**
 * A UsbTransport that passes everything to another one and writes each control and bulk transfer as a JSON line
 * (the format of `--usb-trace FILE`, documented in trace.ts): direction, endpoint, request fields, data as hex,
 * status, and submission/completion times from the injected clock. `traceToFile` is the `--usb-trace FILE` wiring.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock } from '../../../netstack/core/clock.ts';
import { type ControlSetup, UsbError, type UsbTransport } from '../transport.ts';
import {
  TRACE_VERSION,
  type TraceRecord,
  type TraceStatus,
  type TraceTransfer,
  hex,
  toHex,
  traceSetup,
} from './trace.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface TraceSink {
  write(line: string): void;
  close?(): void;
}

/** A sink that appends lines to a file, synchronously (a trace must survive the process dying). */
export function openTraceFile(path: string): TraceSink {
  const fd = openSync(path, 'w');
  let open = true;
  return {
    write(line) {
      if (open) writeSync(fd, `${line}\n`);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

export class UsbRecorder implements UsbTransport {
  private seq = 0;
  private closing = false;
  /** Lines written (header included). */
  lines = 0;

  constructor(
    private readonly inner: UsbTransport,
    private readonly clock: Clock,
    private readonly sink: TraceSink,
  ) {
    this.emit({
      type: 'open',
      version: TRACE_VERSION,
      t: clock.now(),
      wallTime: clock.wallTime(),
      info: { ...inner.info },
      endpoints: { in: inner.endpoints.in.map((e) => hex(e)), out: inner.endpoints.out.map((e) => hex(e)) },
    });
    // A removal the host causes by closing is not the device going away: only 'close' is written for it.
    inner.onRemoved((err) => {
      if (!this.closing) this.emit({ type: 'removed', t: this.clock.now(), error: err.message });
    });
  }

  get info() {
    return this.inner.info;
  }
  get endpoints() {
    return this.inner.endpoints;
  }
  get removed() {
    return this.inner.removed;
  }

  controlIn(setup: ControlSetup, length: number, timeoutMs?: number): Promise<Uint8Array> {
    const base = { type: 'control', dir: 'in', setup: traceSetup(setup, length), timeoutMs } as const;
    return this.track(base, () => this.inner.controlIn(setup, length, timeoutMs), toHex);
  }

  controlOut(setup: ControlSetup, data: Uint8Array | null, timeoutMs?: number): Promise<void> {
    const setupRec = traceSetup(setup, data?.length ?? 0);
    const base = { type: 'control', dir: 'out', setup: setupRec, timeoutMs, data: data ? toHex(data) : '' } as const;
    return this.track(base, () => this.inner.controlOut(setup, data, timeoutMs));
  }

  bulkOut(ep: number, data: Uint8Array, timeoutMs?: number): Promise<void> {
    const base = { type: 'bulk', dir: 'out', ep: hex(ep), len: data.length, timeoutMs, data: toHex(data) } as const;
    return this.track(base, () => this.inner.bulkOut(ep, data, timeoutMs));
  }

  bulkIn(ep: number, length: number, timeoutMs?: number): Promise<Uint8Array> {
    const base = { type: 'bulk', dir: 'in', ep: hex(ep), len: length, timeoutMs } as const;
    return this.track(base, () => this.inner.bulkIn(ep, length, timeoutMs), toHex);
  }

  cancelIn(ep?: number): void {
    this.emit({ type: 'cancel', t: this.clock.now(), ep: ep === undefined ? null : hex(ep) });
    this.inner.cancelIn(ep);
  }

  reset(): Promise<void> {
    return this.track({ type: 'reset' } as const, () => this.inner.reset());
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.inner.close();
    this.emit({ type: 'close', t: this.clock.now() });
    this.sink.close?.();
  }

  onRemoved(listener: (err: UsbError) => void): () => void {
    return this.inner.onRemoved(listener);
  }

  /** Number the transfer at submission, run it, and write its line when it completes (with IN data if any). */
  private async track<T>(
    base: DistributiveOmit<TraceTransfer, 'seq' | 't0' | 't' | 'status'>,
    op: () => Promise<T>,
    dataOf?: (v: T) => string,
  ): Promise<T> {
    const head = { ...base, seq: ++this.seq, t0: this.clock.now() };
    try {
      const v = await op();
      this.emit({ ...head, t: this.clock.now(), status: 'ok', ...(dataOf ? { data: dataOf(v) } : {}) } as TraceRecord);
      return v;
    } catch (err) {
      const status: TraceStatus = err instanceof UsbError ? err.code : 'io';
      const error = (err as Error)?.message ?? String(err);
      this.emit({ ...head, t: this.clock.now(), status, error } as TraceRecord);
      throw err;
    }
  }

  private emit(rec: TraceRecord): void {
    this.lines++;
    this.sink.write(JSON.stringify(rec));
  }
}

/** The trace file cannot be written: says which file and why, for a person. */
export class TraceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFileError';
  }
}

/**
 * `--usb-trace FILE`: `transport` wrapped so that every control and bulk transfer is also written to FILE, one JSON
 * line each (trace.ts), synchronously, so the file is complete up to the last transfer even if the process dies.
 * Closing the returned transport closes the file. TraceFileError when FILE cannot be created.
 */
export function traceToFile(transport: UsbTransport, clock: Clock, path: string): UsbRecorder {
  let sink: TraceSink;
  try {
    sink = openTraceFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // fs errors already start with their code ("ENOENT: no such file or directory, open ...").
    const why = err.code !== undefined && !err.message.includes(err.code) ? `${err.code} ${err.message}` : err.message;
    throw new TraceFileError(`cannot write the USB trace to ${path}: ${why}`);
  }
  return new UsbRecorder(transport, clock, sink);
}
