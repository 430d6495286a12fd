/**
 * Benchmark (a program, not a test): how fast the emulated chip moves 1,500-byte frames, in wall time, on a virtual
 * clock — RX from the air to bulk-IN completions (plain and hardware CCMP), TX from bulk OUT to the air, and the
 * firmware download of the real images when ../shared/firmware has them.
 *
 *   npx tsx drivers/mt7921u/emulator/bench.ts
 */
import { readFileSync } from 'node:fs';
import { VirtualClock } from '../../../netstack/core/clock.ts';
import { sharedPath } from '../../../test/support/shared.ts';
import { positiveArg } from '../../../tools/bench/framework.ts';
import { writeCcmpHeader, ccmpEncrypt } from './ccmp.ts';
import { TestAir } from './radio.ts';
import { bootedHost, download, legacyCommand, TestHost, tlv, uniCommand, usbFrame } from './test-host.ts';

const AP = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);
const ME = Uint8Array.of(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
const KEY = new Uint8Array(16).fill(0x33);

async function associated() {
  const clock = new VirtualClock();
  const air = new TestAir(clock);
  const chip = air.radio('chip');
  chip.keepSent = false;
  const h = await bootedHost({ radio: chip, macAddress: ME }, clock);
  const send = async (cid: number, seq: number, p: Uint8Array) => {
    await h.send(0x08, uniCommand(cid, seq, p));
    await h.event(seq, 100);
  };
  await send(0x01, 1, Uint8Array.of(0, 0, 0, 0, ...tlv(0, [1, 0, ...ME])));
  const basic = new Uint8Array(28);
  basic[0] = 1;
  basic.set(AP, 10);
  basic[16] = 16;
  await send(0x02, 2, Uint8Array.of(0, 0, 0, 0, ...tlv(0, basic)));
  const sta = new Uint8Array(16);
  sta[4] = 2;
  sta[5] = 1;
  sta.set(AP, 8);
  const key = new Uint8Array(40);
  key.set([0, 1, 0, 0, 5, 36, 0, 16], 0);
  key.set(KEY, 8);
  await send(0x03, 3, Uint8Array.of(0, 1, 2, 0, 1, 0, 0, 0, ...tlv(0, sta), ...tlv(17, key)));
  await h.send(0x08, legacyCommand({ cid: 0, ext: 0x46, seq: 4, payload: Uint8Array.of(1, 0, 0, 0) }));
  await h.event(4, 100);
  h.stopReading();
  return { h, chip, clock };
}

function dataFrame(len: number, protectedPn: number | null): Uint8Array {
  const body = new Uint8Array(len - 26).fill(0x5a);
  const f = new Uint8Array(26 + body.length);
  f.set([0x88, 0x02], 0);
  f.set(ME, 4);
  f.set(AP, 10);
  f.set(AP, 16);
  f.set(body, 26);
  if (protectedPn === null) return f;
  const out = new Uint8Array(f.length + 16);
  out.set(f.subarray(0, 26));
  out[1] = out[1]! | 0x40;
  writeCcmpHeader(out, 26, protectedPn, 0);
  out.set(ccmpEncrypt(KEY, out, 26, protectedPn, body), 34);
  return out;
}

async function rx(n: number, ccmp: boolean): Promise<number> {
  const { h, chip, clock } = await associated();
  const frames = Array.from({ length: 64 }, (_, i) => dataFrame(1500, ccmp ? i + 1 : null));
  const info = {
    channel: chip.channel,
    rssiDbm: -40,
    snrDb: 40,
    rate: { mode: 'he' as const, mcs: 11, nss: 2, width: 80 as const },
  };
  let got = 0;
  const read = (): void => {
    h.emu.bulkIn(0x84, 4096).then(() => {
      got++;
      read();
    });
  };
  for (let i = 0; i < 128; i++) read();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 64) {
    for (let j = 0; j < 64; j++) chip.deliver(frames[j]!, info);
    await clock.runAsync({ until: () => got >= i + 64 });
  }
  const fps = n / ((performance.now() - t0) / 1000);
  const c = h.emu.counters;
  if (got < n || (ccmp && c.rxDecrypted < n))
    throw new Error(`RX bench: ${got} of ${n} frames arrived (${c.rxDecrypted} decrypted)`);
  return fps;
}

async function tx(n: number): Promise<number> {
  const { h, clock } = await associated();
  const frame = dataFrame(1500, null);
  frame[1] = 0x01;
  const body = new Uint8Array(64 + frame.length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, (body.length | (1 << 23) | (1 << 25)) >>> 0, true);
  dv.setUint32(4, (1 | (13 << 11) | (2 << 16) | (1 << 31)) >>> 0, true);
  dv.setUint32(8, (2 << 4) | 8, true);
  body.set(frame, 64);
  const xfer = usbFrame(body);
  let done = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 256) {
    for (let j = 0; j < 256; j++) h.emu.bulkOut(0x04, xfer).then(() => done++);
    await clock.runAsync({ until: () => done >= i + 256 });
  }
  const fps = n / ((performance.now() - t0) / 1000);
  if (h.emu.counters.txFrames < n) throw new Error(`TX bench: ${h.emu.counters.txFrames} of ${n} frames sent`);
  return fps;
}

async function fwDownload(): Promise<string> {
  const pp = sharedPath('firmware', 'WIFI_MT7961_patch_mcu_1_2_hdr.bin');
  const rp = sharedPath('firmware', 'WIFI_RAM_CODE_MT7961_1.bin');
  if (!pp || !rp) return 'skipped (../shared/firmware absent)';
  const patch = new Uint8Array(readFileSync(pp));
  const ram = new Uint8Array(readFileSync(rp));
  const h = new TestHost({ firmware: { patch, ram } });
  h.startReading();
  await h.powerOnAndWait();
  await h.dmaInit();
  const t0 = performance.now();
  const v0 = h.clock.now();
  await download(h, patch, ram);
  await h.until(() => h.emu.mcu.running, 1500);
  const wall = performance.now() - t0;
  const mib = (patch.length + ram.length) / 2 ** 20;
  return `${wall.toFixed(0)} ms wall (${(wall / mib).toFixed(0)} ms/MiB), ${(h.clock.now() - v0).toFixed(1)} ms virtual`;
}

const N = Math.round(positiveArg(process.env.N, 50_000, 'N (frames)'));
const line = (name: string, fps: number) =>
  console.log(
    `${name.padEnd(28)} ${Math.round(fps).toLocaleString().padStart(10)} frames/s  ${((fps * 1500 * 8) / 1e9).toFixed(2)} Gbit/s`,
  );
line('RX 1500 B, plain', await rx(N, false));
line('RX 1500 B, hardware CCMP', await rx(N, true));
line('TX 1500 B, plain', await tx(N));
console.log(`${'firmware download (real)'.padEnd(28)} ${await fwDownload()}`);
