/**
 * Test support: a minimal "host" that talks to the emulator with bytes built by hand from FACTS.md (not with the
 * driver's encoders), keeps reads in flight on both IN endpoints, and runs the virtual clock until what a test
 * waits for has arrived. Used by the emulator's own tests only.
 */
import { VirtualClock } from '../../../netstack/core/clock.ts';
import { concatBytes } from '../../../netstack/inet/bytes.ts';
import { UsbError } from '../transport.ts';
import { EmulatedMt7921u, type EmulatorOptions } from './device.ts';
import { le32 } from './wire.ts';

export { le16, le32 } from './wire.ts';

export const MISC = 0x7c0600f0;

/** [USB header: body length][body][pad to 4][4 zero bytes] (FACTS.md §5.1). */
export function usbFrame(body: Uint8Array): Uint8Array {
  const total = ((4 + body.length + 3) & ~3) + 4;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, 4);
  return out;
}

export interface LegacyCmd {
  cid: number;
  seq: number;
  payload?: Uint8Array;
  /** 0 query, 1 set, 3 N/A (base command; the default when ext is absent and ce is false). */
  setQuery?: number;
  ext?: number;
  ce?: boolean;
}

/** A legacy/EXT/CE command: 64-byte TXD (FACTS.md §5.2) + payload, USB-framed. */
export function legacyCommand(c: LegacyCmd): Uint8Array {
  const payload = c.payload ?? new Uint8Array(0);
  const body = new Uint8Array(64 + payload.length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, (body.length | (2 << 23) | (0x20 << 25)) >>> 0, true);
  dv.setUint32(4, 0x80010000, true);
  dv.setUint16(32, body.length - 32, true);
  dv.setUint16(34, 0x8000, true);
  body[36] = c.ext !== undefined ? 0xed : c.cid;
  body[37] = 0xa0;
  body[38] = c.setQuery ?? (c.ext !== undefined || c.ce ? 1 : 3);
  body[39] = c.seq;
  body[41] = c.ext ?? 0;
  body[43] = c.ext !== undefined ? 1 : 0;
  body.set(payload, 64);
  return usbFrame(body);
}

/** A UNI command: 48-byte TXD (FACTS.md §5.3), option 0x07. */
export function uniCommand(cid: number, seq: number, payload: Uint8Array, option = 0x07): Uint8Array {
  const body = new Uint8Array(48 + payload.length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, (body.length | (2 << 23) | (0x20 << 25)) >>> 0, true);
  dv.setUint32(4, 0x80010000, true);
  dv.setUint16(32, body.length - 32, true);
  dv.setUint16(34, cid, true);
  body[37] = 0xa0;
  body[39] = seq;
  body[43] = option;
  body.set(payload, 48);
  return usbFrame(body);
}

export function u32(...words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => {
    dv.setUint32(i * 4, w >>> 0, true);
  });
  return b;
}

/** A TLV {tag le16, len le16 (including the 4-byte header), body} as the UNI commands use (FACTS.md §6.5–§6.10). */
export function tlv(tag: number, body: ArrayLike<number>): Uint8Array {
  const b = new Uint8Array(4 + body.length);
  b[0] = tag & 0xff;
  b[1] = tag >> 8;
  b[2] = b.length & 0xff;
  b[3] = b.length >> 8;
  b.set(body, 4);
  return b;
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

/**
 * A SCAN_REQ payload (FACTS.md §6.11), written by hand so the emulator is tested without the driver's encoder:
 * active, wildcard SSID, sequence 3, channels 1 and 6 (2.4 GHz) and 36 (5 GHz).
 */
export function scanRequestPayload(): Uint8Array {
  const req = new Uint8Array(1186);
  req[0] = 3; // seq_num
  req[2] = 1; // active
  req[3] = 1; // wildcard
  req[5] = 2;
  req[6] = 1 << 5;
  req[7] = 1;
  req[158] = 4;
  req[159] = 3;
  req.set([1, 1, 1, 6, 2, 36], 160);
  return req;
}

/** Mark a promise as handled now (it may reject before the test looks at it). */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** Runs `p` to completion on the host's clock; 'ok' or the UsbError code it failed with. */
export async function outcome(h: TestHost, p: Promise<unknown>): Promise<string> {
  try {
    await h.run(p);
    return 'ok';
  } catch (e) {
    return e instanceof UsbError ? e.code : String(e);
  }
}

export interface Received {
  ep: number;
  data: Uint8Array;
  /** RXD DW0 [15:0] */
  len: number;
  /** RXD DW0 [31:27] */
  type: number;
}

/** Drives an emulator from a test. */
export class TestHost {
  readonly clock: VirtualClock;
  readonly emu: EmulatedMt7921u;
  readonly received: Received[] = [];
  readonly readErrors: UsbError[] = [];
  private stopped = false;

  constructor(opts: Partial<EmulatorOptions> = {}, clock = new VirtualClock()) {
    this.clock = clock;
    this.emu = new EmulatedMt7921u({ clock, ...opts });
  }

  /** Keep `n` reads in flight on both IN endpoints. */
  startReading(n = 4, size = 4096 * 4): void {
    for (const ep of [0x85, 0x84]) for (let i = 0; i < n; i++) this.read(ep, size);
  }

  private read(ep: number, size: number): void {
    this.emu.bulkIn(ep, size).then(
      (data) => {
        const dw0 = data.length >= 4 ? le32(data, 0) : 0;
        this.received.push({ ep, data, len: dw0 & 0xffff, type: dw0 >>> 27 });
        if (!this.stopped) this.read(ep, size);
      },
      (e: UsbError) => {
        this.readErrors.push(e);
      },
    );
  }

  stopReading(): void {
    this.stopped = true;
  }

  /** Run the clock until `p` settles (or `maxMs` of virtual time pass). */
  async run<T>(p: Promise<T>, maxMs = 10_000): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    await this.clock.runAsync({ until: () => done, maxTime: this.clock.now() + maxMs });
    return p;
  }

  /** Run the clock until `pred` holds; returns whether it did within `maxMs`. */
  async until(pred: () => boolean, maxMs = 10_000): Promise<boolean> {
    return this.clock.runAsync({ until: pred, maxTime: this.clock.now() + maxMs });
  }

  /** Run the clock for `ms`. */
  async advance(ms: number): Promise<void> {
    await this.clock.runAsync({ maxTime: this.clock.now() + ms });
  }

  rr(addr: number): Promise<number> {
    return this.run(
      this.emu.controlIn({ requestType: 0xdf, request: 0x63, value: addr >>> 16, index: addr & 0xffff }, 4),
    ).then((b) => le32(b, 0));
  }

  wr(addr: number, val: number): Promise<void> {
    return this.run(
      this.emu.controlOut({ requestType: 0x5f, request: 0x66, value: addr >>> 16, index: addr & 0xffff }, u32(val)),
    );
  }

  async rmw(addr: number, clear: number, set: number): Promise<void> {
    const v = await this.rr(addr);
    await this.wr(addr, ((v & ~clear) | set) >>> 0);
  }

  uhwRr(addr: number): Promise<number> {
    return this.run(
      this.emu.controlIn({ requestType: 0xde, request: 0x01, value: addr >>> 16, index: addr & 0xffff }, 4),
    ).then((b) => le32(b, 0));
  }

  uhwWr(addr: number, val: number): Promise<void> {
    return this.run(
      this.emu.controlOut({ requestType: 0x5e, request: 0x02, value: addr >>> 16, index: addr & 0xffff }, u32(val)),
    );
  }

  powerOn(): Promise<void> {
    return this.run(this.emu.controlOut({ requestType: 0x5f, request: 0x04, value: 0, index: 1 }, null));
  }

  send(ep: number, bytes: Uint8Array): Promise<void> {
    return this.run(this.emu.bulkOut(ep, bytes));
  }

  /** The first received MCU event (type 7) with this seq and not yet taken. */
  async event(seq: number, maxMs = 3000): Promise<Received | undefined> {
    const find = () => this.received.findIndex((r) => r.type === 7 && r.data[29] === seq);
    await this.until(() => find() >= 0, maxMs);
    const i = find();
    return i >= 0 ? this.received.splice(i, 1)[0] : undefined;
  }

  /** The first received packet matching `pred` (removed from the list). */
  async take(pred: (r: Received) => boolean, maxMs = 3000): Promise<Received | undefined> {
    await this.until(() => this.received.some(pred), maxMs);
    const i = this.received.findIndex(pred);
    return i >= 0 ? this.received.splice(i, 1)[0] : undefined;
  }

  /** Linux's DMA init (FACTS.md §3.3), the parts the emulator looks at, plus EP4 event routing. */
  async dmaInit(routeEventsToEp4 = true): Promise<void> {
    await this.rmw(0x7c024208, 1 << 27, (1 << 28) | (1 << 21) | (1 << 9) | 1 | (1 << 2));
    await this.rmw(0x54000120, 0, 1 << 1);
    await this.rmw(0x74000018, (1 << 19) | 0xffff, (1 << 22) | (1 << 23) | (1 << 18) | (1 << 20));
    if (routeEventsToEp4) {
      await this.rmw(0x7c024208, 1 << 2, 0);
      await this.rmw(0x7c027030, 0, 1 << 6);
      await this.rmw(0x7c024208, 0, 1 << 2);
    }
  }

  /** WFSYS reset (FACTS.md §3.4). */
  async wfsysReset(): Promise<void> {
    const v = await this.uhwRr(0x70002600);
    await this.uhwWr(0x70002600, v | 1);
    await this.advance(0.02);
    await this.uhwWr(0x70002600, (await this.uhwRr(0x70002600)) & ~1);
    await this.uhwWr(0x74000a24, 0);
  }

  /** Power on and poll MISC BIT0 as the driver does (500 ms). */
  async powerOnAndWait(): Promise<boolean> {
    await this.powerOn();
    for (let t = 0; t < 500; t += 1) {
      if ((await this.rr(MISC)) & 1) return true;
      await this.advance(1);
    }
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Firmware images built by hand from FACTS.md §4.2 / §4.3 (small, deterministic)

export interface SynthRegion {
  addr: number;
  data: Uint8Array;
  /** RAM feature_set (FACTS §4.3); patch: sec_key_idx (§4.2). */
  feature?: number;
}

/** A ROM patch file: 96-byte BE header, 64-byte section descriptors, payloads. */
export function buildPatch(sections: SynthRegion[]): Uint8Array {
  const hdr = 96 + sections.length * 64;
  const total = hdr + sections.reduce((n, s) => n + s.data.length, 0);
  const f = new Uint8Array(total);
  const dv = new DataView(f.buffer);
  f.set(new TextEncoder().encode('20260101000000a\n'), 0);
  f.set(new TextEncoder().encode('ALPS'), 16);
  dv.setUint32(44, sections.length);
  let off = hdr;
  sections.forEach((s, i) => {
    const d = 96 + i * 64;
    dv.setUint32(d, 0x00040002);
    dv.setUint32(d + 4, off);
    dv.setUint32(d + 8, s.data.length);
    dv.setUint32(d + 12, s.addr);
    dv.setUint32(d + 16, s.data.length);
    dv.setUint32(d + 20, s.feature ?? 0);
    f.set(s.data, off);
    off += s.data.length;
  });
  return f;
}

/** A RAM code file: payloads from offset 0, 40-byte region descriptors, 36-byte trailer. */
export function buildRam(regions: SynthRegion[]): Uint8Array {
  const payload = regions.reduce((n, r) => n + r.data.length, 0);
  const f = new Uint8Array(payload + regions.length * 40 + 36);
  const dv = new DataView(f.buffer);
  let off = 0;
  regions.forEach((r, i) => {
    f.set(r.data, off);
    off += r.data.length;
    const d = payload + i * 40;
    dv.setUint32(d + 16, r.addr, true);
    dv.setUint32(d + 20, r.data.length, true);
    f[d + 24] = r.feature ?? 0;
  });
  const t = f.length - 36;
  f[t] = 0x0d;
  f[t + 1] = 0x01;
  f[t + 2] = regions.length;
  f[t + 3] = 0x02;
  f.set(new TextEncoder().encode('____010000'), t + 7);
  return f;
}

/** Bytes 0..n-1 of a deterministic pattern. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export interface DownloadStep {
  kind: 'patch' | 'ram';
  addr: number;
  data: Uint8Array;
  mode: number;
  override?: boolean;
}

/** The regions of a patch file and their download modes, by the FACTS.md §4.2 rules. */
export function patchSteps(file: Uint8Array): DownloadStep[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const n = dv.getUint32(44);
  const out: DownloadStep[] = [];
  for (let i = 0; i < n; i++) {
    const d = 96 + i * 64;
    const offs = dv.getUint32(d + 4);
    const info = dv.getUint32(d + 20);
    let mode = 0x80000000;
    if (info !== 0xffffffff) {
      const enc = info >>> 24;
      if (enc === 1) mode |= 1 | ((info & 3) << 1) | (1 << 3);
      else if (enc === 2) mode |= 1 | (1 << 6) | (1 << 3);
    }
    out.push({
      kind: 'patch',
      addr: dv.getUint32(d + 12),
      data: file.subarray(offs, offs + dv.getUint32(d + 16)),
      mode: mode >>> 0,
    });
  }
  return out;
}

/** The downloadable regions of a RAM file and their modes, by the FACTS.md §4.3 rules. */
export function ramSteps(file: Uint8Array): DownloadStep[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const t = file.length - 36;
  const n = file[t + 2]!;
  const out: DownloadStep[] = [];
  let off = 0;
  for (let i = 0; i < n; i++) {
    const d = t - (n - i) * 40;
    const addr = dv.getUint32(d + 16, true);
    const len = dv.getUint32(d + 20, true);
    const feature = file[d + 24]!;
    if (!(feature & 0x40)) {
      let mode = 0x80000000 | (((feature >> 1) & 3) << 1);
      if (feature & 1) mode |= 1 | (1 << 3);
      if (feature & 0x10) mode |= 1 << 6;
      out.push({
        kind: 'ram',
        addr,
        data: file.subarray(off, off + len),
        mode: mode >>> 0,
        override: (feature & 0x20) !== 0,
      });
    }
    off += len;
  }
  return out;
}

/** Runs the FACTS.md §4.6 download; returns the status bytes seen, to check. */
export async function download(
  h: TestHost,
  patch: Uint8Array,
  ram: Uint8Array,
  seq: { n: number } = { n: 0 },
): Promise<{ sem: number; finish: number; release: number; start: number }> {
  const next = () => {
    seq.n = (seq.n % 15) + 1;
    return seq.n;
  };
  const cmd = async (cid: number, payload: Uint8Array, wait = true) => {
    const s = next();
    await h.send(0x08, legacyCommand({ cid, seq: s, payload }));
    if (!wait) return -1;
    const ev = await h.event(s);
    return ev ? ev.data[32]! : -1;
  };
  const scatter = async (data: Uint8Array) => {
    for (let o = 0; o < data.length; o += 4096) {
      next(); // FW_SCATTER consumes a sequence number (§5.4)
      await h.send(0x04, usbFrame(data.subarray(o, Math.min(o + 4096, data.length))));
    }
  };
  await h.rmw(0x74000008, 0, 1 << 3); // FW_DL_EN
  await cmd(0x04, u32(1), false); // NIC_POWER_CTRL
  const sem = await cmd(0x10, u32(1));
  let finish = -1;
  let release = -1;
  if (sem === 2) {
    for (const s of patchSteps(patch)) {
      await cmd(s.addr === 0x900000 || s.addr === 0x200000 ? 0x05 : 0x01, u32(s.addr, s.data.length, s.mode));
      await scatter(s.data);
    }
    finish = await cmd(0x07, u32(0));
    release = await cmd(0x10, u32(0));
  }
  let override = 0;
  for (const s of ramSteps(ram)) {
    await cmd(0x01, u32(s.addr, s.data.length, s.mode));
    await scatter(s.data);
    if (s.override) override = s.addr;
  }
  const start = await cmd(0x02, u32(override ? 1 : 0, override));
  return { sem, finish, release, start };
}

/** Synthetic images: a 5000-byte patch at 0x900000 and two RAM regions (one override) plus a NON_DL one. */
export function syntheticFirmware(): { patch: Uint8Array; ram: Uint8Array } {
  return {
    patch: buildPatch([{ addr: 0x900000, data: pattern(5000, 1) }]),
    ram: buildRam([
      { addr: 0x915000, data: pattern(9000, 2), feature: 0x37 },
      { addr: 0x404400, data: pattern(300, 3), feature: 0x17 },
      { addr: 0, data: pattern(100, 4), feature: 0x40 },
    ]),
  };
}

/** A host whose emulator has booted the synthetic firmware and has events routed to EP 0x84. */
export async function bootedHost(opts: Partial<EmulatorOptions> = {}, clock?: VirtualClock): Promise<TestHost> {
  const fw = syntheticFirmware();
  const h = new TestHost({ firmware: fw, ...opts }, clock);
  h.startReading();
  await h.powerOnAndWait();
  await h.dmaInit();
  await download(h, fw.patch, fw.ram);
  await h.until(() => h.emu.mcu.running, 1500);
  await h.rmw(0x74000008, 1 << 3, 0); // clear FW_DL_EN
  return h;
}
