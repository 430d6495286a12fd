/**
 * The USB trace format (`--usb-trace FILE`): JSON lines, one object per line, written by recorder.ts and read by
 * replayer.ts.
 *
 * Line 1, the header (`wallTime`: Unix epoch ms at time `t`, to put a recording of real hardware on a calendar):
 *   {"type":"open","version":1,"t":0,"wallTime":1767225600000,
 *    "info":{vendorId,productId,speed,ep0MaxPacket,interfaceNumber,description},
 *    "endpoints":{"in":["0x84","0x85"],"out":["0x08","0x04","0x05","0x06","0x07","0x09"]}}
 *
 * Then one line per transfer, written when it completes (so lines are in completion order):
 *   {"type":"control","seq":3,"dir":"in","t0":1.25,"t":1.5,
 *    "setup":{"bmRequestType":"0xdf","bRequest":"0x63","wValue":"0x7001","wIndex":"0x0200","wLength":4},
 *    "timeoutMs":300,"status":"ok","data":"61790000"}
 *   {"type":"bulk","seq":9,"dir":"out","ep":"0x08","t0":2,"t":2.1,"len":76,"timeoutMs":1000,"status":"ok","data":"4c00…"}
 *   {"type":"bulk","seq":7,"dir":"in","ep":"0x85","t0":1.9,"t":2.4,"len":4096,"status":"ok","data":"…"}
 *   {"type":"reset","seq":12,"t0":5,"t":5.2,"status":"ok"}
 * and host or device events:
 *   {"type":"cancel","t":6,"ep":"0x84"}        cancelIn (ep null: every IN endpoint)
 *   {"type":"removed","t":7,"error":"…"}       the device went away
 *   {"type":"close","t":8}
 *
 * Fields: `seq` numbers transfers in submission order; `t0` is the submission and `t` the completion time in ms on
 * the recorder's clock; numbers that are protocol fields (bmRequestType, bRequest, wValue, wIndex, endpoint) are
 * hex strings as in FACTS.md; `len` is the requested length for IN and the data length for OUT; `data` is hex — the
 * bytes received (IN, when status is ok) or sent (OUT and control OUT); `status` is "ok" or a UsbError code
 * ("timeout", "stall", "nodev", "proto", "cancelled", "io"), with `error` holding the message.
 */
import type { ControlSetup, UsbDeviceInfo, UsbErrorCode } from '../transport.ts';

export const TRACE_VERSION = 1;

export type TraceStatus = 'ok' | UsbErrorCode;

export interface TraceSetup {
  bmRequestType: string;
  bRequest: string;
  wValue: string;
  wIndex: string;
  wLength: number;
}

export interface TraceHeader {
  type: 'open';
  version: number;
  t: number;
  wallTime?: number;
  info: UsbDeviceInfo;
  endpoints: { in: string[]; out: string[] };
}

interface Completed {
  seq: number;
  t0: number;
  t: number;
  status: TraceStatus;
  error?: string;
}

export interface TraceControl extends Completed {
  type: 'control';
  dir: 'in' | 'out';
  setup: TraceSetup;
  timeoutMs?: number;
  data?: string;
}

export interface TraceBulk extends Completed {
  type: 'bulk';
  dir: 'in' | 'out';
  ep: string;
  len: number;
  timeoutMs?: number;
  data?: string;
}

export interface TraceReset extends Completed {
  type: 'reset';
}

export interface TraceEvent {
  type: 'cancel' | 'removed' | 'close';
  t: number;
  ep?: string | null;
  error?: string;
}

export type TraceTransfer = TraceControl | TraceBulk | TraceReset;
export type TraceRecord = TraceHeader | TraceTransfer | TraceEvent;

export function hex(v: number, digits = 2): string {
  return `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;
}

export function toHex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

export function fromHex(s: string | undefined): Uint8Array {
  return s ? new Uint8Array(Buffer.from(s, 'hex')) : new Uint8Array(0);
}

export function traceSetup(setup: ControlSetup, wLength: number): TraceSetup {
  return {
    bmRequestType: hex(setup.requestType),
    bRequest: hex(setup.request),
    wValue: hex(setup.value, 4),
    wIndex: hex(setup.index, 4),
    wLength,
  };
}

/** A bad trace file: says which line and what is wrong. */
export class TraceFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`usb trace line ${line}: ${message}`);
    this.name = 'TraceFormatError';
  }
}

const TYPES = new Set(['open', 'control', 'bulk', 'reset', 'cancel', 'removed', 'close']);
const HEX_FIELD = /^0x[0-9a-f]+$/i;
const HEX_DATA = /^([0-9a-f]{2})*$/i;

/** Parse and check a trace's text. The first record must be the header. TraceFormatError otherwise. */
export function parseTrace(text: string): TraceRecord[] {
  const out: TraceRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new TraceFormatError(i + 1, 'not JSON');
    }
    out.push(checkRecord(rec, i + 1, out.length === 0));
  }
  if (out.length === 0) throw new TraceFormatError(1, 'empty trace: no header line');
  return out;
}

function checkRecord(rec: unknown, line: number, first: boolean): TraceRecord {
  const r = rec as Record<string, unknown>;
  const fail = (m: string): never => {
    throw new TraceFormatError(line, m);
  };
  if (typeof r !== 'object' || r === null || !TYPES.has(r.type as string)) fail('no known "type"');
  if (first !== (r.type === 'open')) fail(first ? 'the first line must be the "open" header' : 'a second header');
  if (r.type === 'open') {
    if (r.version !== TRACE_VERSION) fail(`version ${String(r.version)}, this reader knows ${TRACE_VERSION}`);
    const ep = r.endpoints as { in?: unknown; out?: unknown } | undefined;
    if (!Array.isArray(ep?.in) || !Array.isArray(ep?.out)) fail('header without endpoints');
    if (typeof r.info !== 'object' || r.info === null) fail('header without info');
    return r as unknown as TraceHeader;
  }
  if (typeof r.t !== 'number') fail('no time "t"');
  if (r.type === 'control' || r.type === 'bulk' || r.type === 'reset') {
    if (typeof r.seq !== 'number') fail('no "seq"');
    if (typeof r.status !== 'string') fail('no "status"');
    if (r.data !== undefined && (typeof r.data !== 'string' || !HEX_DATA.test(r.data))) fail('"data" is not hex');
  }
  if (r.type === 'control') {
    const s = r.setup as Record<string, unknown> | undefined;
    for (const k of ['bmRequestType', 'bRequest', 'wValue', 'wIndex']) {
      if (typeof s?.[k] !== 'string' || !HEX_FIELD.test(s[k] as string)) fail(`setup.${k} is not a hex string`);
    }
    if (r.dir !== 'in' && r.dir !== 'out') fail('"dir" is neither in nor out');
  }
  if (r.type === 'bulk') {
    if (typeof r.ep !== 'string' || !HEX_FIELD.test(r.ep)) fail('"ep" is not a hex string');
    if (r.dir !== 'in' && r.dir !== 'out') fail('"dir" is neither in nor out');
  }
  return r as unknown as TraceRecord;
}
