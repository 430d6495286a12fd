/**
 * A UsbTransport that passes everything to another one and writes each control and bulk transfer as a JSON line
 * (the format of `--usb-trace FILE`, documented in trace.ts): direction, endpoint, request fields, data as hex,
 * status, and submission/completion times from the injected clock.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock } from '../../../netstack/core/clock.ts';
import { type ControlSetup, UsbError, type UsbTransport } from '../transport.ts';
import { TRACE_VERSION, type TraceRecord, type TraceStatus, hex, toHex, traceSetup } from './trace.ts';

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
      info: { ...inner.info },
      endpoints: { in: inner.endpoints.in.map((e) => hex(e)), out: inner.endpoints.out.map((e) => hex(e)) },
    });
    inner.onRemoved((err) => this.emit({ type: 'removed', t: this.clock.now(), error: err.message }));
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

  async controlIn(setup: ControlSetup, length: number, timeoutMs?: number): Promise<Uint8Array> {
    const seq = ++this.seq;
    const t0 = this.clock.now();
    const base = { type: 'control', seq, dir: 'in', t0, setup: traceSetup(setup, length), timeoutMs } as const;
    try {
      const data = await this.inner.controlIn(setup, length, timeoutMs);
      this.emit({ ...base, t: this.clock.now(), status: 'ok', data: toHex(data) });
      return data;
    } catch (err) {
      throw this.failed(err, base);
    }
  }

  async controlOut(setup: ControlSetup, data: Uint8Array | null, timeoutMs?: number): Promise<void> {
    const seq = ++this.seq;
    const t0 = this.clock.now();
    const hexData = data ? toHex(data) : '';
    const base = {
      type: 'control',
      seq,
      dir: 'out',
      t0,
      setup: traceSetup(setup, data?.length ?? 0),
      timeoutMs,
      data: hexData,
    } as const;
    try {
      await this.inner.controlOut(setup, data, timeoutMs);
      this.emit({ ...base, t: this.clock.now(), status: 'ok' });
    } catch (err) {
      throw this.failed(err, base);
    }
  }

  async bulkOut(ep: number, data: Uint8Array, timeoutMs?: number): Promise<void> {
    const seq = ++this.seq;
    const base = {
      type: 'bulk',
      seq,
      dir: 'out',
      ep: hex(ep),
      t0: this.clock.now(),
      len: data.length,
      timeoutMs,
      data: toHex(data),
    } as const;
    try {
      await this.inner.bulkOut(ep, data, timeoutMs);
      this.emit({ ...base, t: this.clock.now(), status: 'ok' });
    } catch (err) {
      throw this.failed(err, base);
    }
  }

  async bulkIn(ep: number, length: number, timeoutMs?: number): Promise<Uint8Array> {
    const seq = ++this.seq;
    const base = { type: 'bulk', seq, dir: 'in', ep: hex(ep), t0: this.clock.now(), len: length, timeoutMs } as const;
    try {
      const data = await this.inner.bulkIn(ep, length, timeoutMs);
      this.emit({ ...base, t: this.clock.now(), status: 'ok', data: toHex(data) });
      return data;
    } catch (err) {
      throw this.failed(err, base);
    }
  }

  cancelIn(ep?: number): void {
    this.emit({ type: 'cancel', t: this.clock.now(), ep: ep === undefined ? null : hex(ep) });
    this.inner.cancelIn(ep);
  }

  async reset(): Promise<void> {
    const base = { type: 'reset', seq: ++this.seq, t0: this.clock.now() } as const;
    try {
      await this.inner.reset();
      this.emit({ ...base, t: this.clock.now(), status: 'ok' });
    } catch (err) {
      throw this.failed(err, base);
    }
  }

  async close(): Promise<void> {
    await this.inner.close();
    this.emit({ type: 'close', t: this.clock.now() });
    this.sink.close?.();
  }

  onRemoved(listener: (err: UsbError) => void): () => void {
    return this.inner.onRemoved(listener);
  }

  private failed(err: unknown, base: Omit<Extract<TraceRecord, { seq: number }>, 't' | 'status'>): unknown {
    const status: TraceStatus = err instanceof UsbError ? err.code : 'io';
    this.emit({ ...base, t: this.clock.now(), status, error: (err as Error)?.message ?? String(err) } as TraceRecord);
    return err;
  }

  private emit(rec: TraceRecord): void {
    this.lines++;
    this.sink.write(JSON.stringify(rec));
  }
}
