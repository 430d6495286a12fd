import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bootedHost,
  download,
  le32,
  legacyCommand,
  MISC,
  outcome,
  quiet,
  syntheticFirmware,
  TestHost,
  u32,
  uniCommand,
  usbFrame,
} from './test-host.ts';

const regRead = (seq: number) => legacyCommand({ cid: 0xc0, ce: true, setQuery: 0, seq, payload: u32(0x70010200, 0) });

describe('fault injection', () => {
  it('a stalled endpoint rejects transfers with stall until the halt is cleared by a port reset', async () => {
    const h = await bootedHost();
    h.emu.faults.stall(0x08);
    expect(await outcome(h, h.emu.bulkOut(0x08, regRead(1)))).toBe('stall');
    expect(await outcome(h, h.emu.bulkOut(0x08, regRead(2)))).toBe('stall');
    expect(await outcome(h, h.emu.bulkOut(0x04, usbFrame(new Uint8Array(80))))).toBe('ok');
    await h.run(h.emu.reset());
    h.startReading();
    await h.send(0x08, regRead(3));
    expect(await h.event(3)).toBeDefined();
  });

  it('stalling an IN endpoint fails the reads pending on it and new ones', async () => {
    const h = await bootedHost();
    const r = quiet(h.emu.bulkIn(0x84, 4096));
    h.emu.faults.stall(0x84);
    expect(await outcome(h, r)).toBe('stall');
    expect(await outcome(h, h.emu.bulkIn(0x84, 4096))).toBe('stall');
  });

  it('a short OUT transfer delivers only a prefix: the chip drops it as bad framing and keeps working', async () => {
    const h = await bootedHost();
    h.emu.faults.shortTransfer(0x08);
    await h.send(0x08, regRead(4));
    expect(await h.event(4, 100)).toBeUndefined();
    expect(h.emu.counters.drops['usb-length'] ?? h.emu.counters.drops['usb-short']).toBe(1);
    await h.send(0x08, regRead(5));
    expect(await h.event(5)).toBeDefined();
  });

  it('a short control read returns fewer bytes than asked', async () => {
    const h = new TestHost();
    h.emu.faults.shortTransfer(0);
    const b = await h.run(h.emu.controlIn({ requestType: 0xdf, request: 0x63, value: 0x7001, index: 0x0200 }, 4));
    expect(b.length).toBeLessThan(4);
    expect(await h.rr(0x70010200)).toBe(0x7961);
  });

  it('a short IN transfer truncates the packet below its DW0 length', async () => {
    const h = await bootedHost();
    h.emu.faults.shortTransfer(0x84);
    await h.send(0x08, regRead(6));
    const ev = await h.take((r) => r.ep === 0x84);
    expect(ev!.data.length).toBeLessThan(ev!.len || 1);
  });

  it('lost replies: the next N, or the next reply to a given command', async () => {
    const h = await bootedHost();
    h.emu.faults.dropReplies(2);
    for (const s of [1, 2, 3]) await h.send(0x08, regRead(s));
    expect(await h.event(1, 50)).toBeUndefined();
    expect(await h.event(2, 50)).toBeUndefined();
    expect(await h.event(3, 50)).toBeDefined();
    h.emu.faults.dropReplyTo({ cid: 0x03, uni: true });
    const sta = Uint8Array.of(0, 1, 0, 0, 1, 0, 0, 0);
    await h.send(0x08, uniCommand(0x03, 4, sta));
    await h.send(0x08, uniCommand(0x03, 5, sta));
    expect(await h.event(4, 50)).toBeUndefined();
    expect(await h.event(5, 50)).toBeDefined();
    expect(h.emu.counters.drops['reply-lost-by-fault']).toBe(3);
  });

  it('unplug during the download: pending and later transfers reject with nodev, listeners hear it', async () => {
    const fw = syntheticFirmware();
    const h = new TestHost({ firmware: fw });
    h.startReading();
    await h.powerOnAndWait();
    await h.dmaInit();
    h.emu.faults.unplugAfterDownloadBytes = 6000;
    const removed: string[] = [];
    h.emu.onRemoved((e) => removed.push(e.code));
    await expect(download(h, fw.patch, fw.ram)).rejects.toMatchObject({ code: 'nodev' });
    expect(h.emu.removed).toBe(true);
    expect(removed).toEqual(['nodev']);
    expect(h.readErrors.length).toBe(8);
    expect(h.readErrors.every((e) => e.code === 'nodev')).toBe(true);
    expect(await outcome(h, h.emu.controlIn({ requestType: 0xdf, request: 0x63, value: 0x7c06, index: 0xf0 }, 4))).toBe(
      'nodev',
    );
    expect(h.emu.download.totalReceived).toBeGreaterThanOrEqual(6000);
  });

  it('a hung MCU answers nothing until a WFSYS reset, then boots again', async () => {
    const fw = syntheticFirmware();
    const h = await bootedHost();
    h.emu.faults.hangMcu();
    await h.send(0x08, regRead(7));
    expect(await h.event(7, 3000)).toBeUndefined();
    expect((await h.rr(MISC)) & 3).toBe(3); // registers still answer
    await h.wfsysReset();
    expect(h.emu.faults.mcuHung).toBe(false);
    await h.powerOnAndWait();
    await h.dmaInit();
    const r = await download(h, fw.patch, fw.ram);
    expect(r.start).toBe(0);
    expect(await h.until(() => h.emu.mcu.running, 1500)).toBe(true);
    await h.send(0x08, regRead(8));
    expect(await h.event(8)).toBeDefined();
  });

  it('random faults are deterministic by seed', async () => {
    const run = async (seed: number) => {
      const h = await bootedHost({ seed });
      h.emu.faults.random = { dropReply: 0.3, short: 0.1 };
      const got: number[] = [];
      for (let s = 1; s <= 15; s++) {
        await h.send(0x08, regRead(s)).catch(() => {});
        const ev = await h.event(s, 20);
        if (ev) got.push(s);
      }
      return { got, injected: h.emu.faults.injected };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(a.injected).toBeGreaterThan(0);
    expect(a.got.length).toBeLessThan(15);
    expect(c).not.toEqual(a);
  });
});

// The command ids a station driver uses (FACTS.md §6), so random payloads reach their handlers.
const CE_IDS = [0x03, 0x05, 0x0a, 0x0f, 0x16, 0x17, 0x1b, 0x1c, 0x1d, 0x5d, 0x8a, 0xa1, 0xc0, 0xc5, 0xca];
const EXT_IDS = [0x01, 0x05, 0x07, 0x08, 0x21, 0x2c, 0x32, 0x3e, 0x46, 0x4e, 0xbd];
const UNI_IDS = [0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x24, 0x27];
const oneOrAny = (ids: number[], max: number) => fc.oneof(fc.constantFrom(...ids), fc.integer({ min: 0, max }));

describe('random bytes never throw out of the emulator and never wedge it', () => {
  it('on every OUT endpoint, in ROM and RAM stage; a valid command still works afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            ep: fc.constantFrom(0x08, 0x04, 0x05, 0x06, 0x07, 0x09),
            data: fc.oneof(
              fc.uint8Array({ maxLength: 200 }),
              // Well-framed random bodies reach the TXD parsers.
              fc.uint8Array({ maxLength: 200 }).map((b) => usbFrame(b)),
              // Valid descriptors with random payloads reach the command handlers.
              fc
                .tuple(oneOrAny(CE_IDS, 255), fc.constantFrom(0, 1, 3), fc.uint8Array({ maxLength: 1300 }))
                .map(([cid, sq, p]) => legacyCommand({ cid, setQuery: sq, seq: 1, payload: p })),
              fc
                .tuple(oneOrAny(UNI_IDS, 0x30), fc.uint8Array({ maxLength: 120 }))
                .map(([cid, p]) => uniCommand(cid, 1, p)),
              fc
                .tuple(oneOrAny(EXT_IDS, 255), fc.uint8Array({ maxLength: 120 }))
                .map(([ext, p]) => legacyCommand({ cid: 0, ext, seq: 1, payload: p })),
            ),
          }),
          { maxLength: 12 },
        ),
        fc.boolean(),
        async (sends, dlEn) => {
          const h = await bootedHost();
          if (dlEn) await h.rmw(0x74000008, 0, 1 << 3);
          for (const s of sends) await h.send(s.ep, s.data);
          await h.advance(200);
          // Whatever happened (even a WFSYS-worthy state), the firmware is either still answering or the host can
          // recover it with a WFSYS reset and a new download.
          await h.send(0x08, regRead(15));
          let ev = await h.event(15, 100);
          if (!ev) {
            const fw = syntheticFirmware();
            await h.wfsysReset();
            await h.powerOnAndWait();
            await h.dmaInit();
            await download(h, fw.patch, fw.ram);
            await h.until(() => h.emu.mcu.running, 1500);
            await h.rmw(0x74000008, 1 << 3, 0);
            await h.send(0x08, regRead(14));
            ev = await h.event(14, 100);
          }
          expect(ev).toBeDefined();
          expect(le32(ev!.data, 40)).toBe(0x7961);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('random control requests stall or answer, never throw', async () => {
    const h = new TestHost();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 600 }),
        async (rt, rq, value, index, len) => {
          const setup = { requestType: rt, request: rq, value, index };
          const r = await outcome(
            h,
            rt & 0x80 ? h.emu.controlIn(setup, len) : h.emu.controlOut(setup, new Uint8Array(len)),
          );
          expect(['ok', 'stall']).toContain(r);
        },
      ),
      { numRuns: 300 },
    );
    expect((await h.rr(0x70010200)) & 0xffff).toBe(0x7961);
  });
});
