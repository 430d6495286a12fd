import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../netstack/core/clock.ts';
import { EmulatedMt7921u } from './device.ts';
import { legacyCommand, MISC, outcome, quiet, TestHost, u32 } from './test-host.ts';

const setup = (requestType: number, request: number, addr: number) => ({
  requestType,
  request,
  value: addr >>> 16,
  index: addr & 0xffff,
});

describe('USB identity (FACTS.md §1)', () => {
  it('is 0e8d:7961 with interface 3 ff/ff/ff and its nine endpoints in descriptor order', () => {
    const emu = new EmulatedMt7921u({ clock: new VirtualClock() });
    const d = emu.descriptor;
    expect([d.vendorId, d.productId, d.bcdUSB, d.deviceClass, d.deviceSubclass, d.deviceProtocol]).toEqual([
      0x0e8d, 0x7961, 0x0320, 0xef, 0x02, 0x01,
    ]);
    expect([d.manufacturer, d.product, d.maxPacketSize0]).toEqual(['MediaTek Inc.', 'Wireless_Device', 512]);
    const wifi = d.interfaces.filter((i) => i.interfaceNumber === 3);
    expect(wifi).toHaveLength(1);
    expect([wifi[0]!.interfaceClass, wifi[0]!.interfaceSubclass, wifi[0]!.interfaceProtocol]).toEqual([
      0xff, 0xff, 0xff,
    ]);
    expect(wifi[0]!.endpoints.map((e) => [e.address, e.type, e.maxPacketSize])).toEqual([
      [0x84, 'bulk', 1024],
      [0x85, 'bulk', 1024],
      [0x08, 'bulk', 1024],
      [0x04, 'bulk', 1024],
      [0x05, 'bulk', 1024],
      [0x06, 'bulk', 1024],
      [0x07, 'bulk', 1024],
      [0x09, 'bulk', 1024],
      [0x86, 'interrupt', 2],
    ]);
    expect(new Set(d.interfaces.map((i) => i.interfaceNumber))).toEqual(new Set([0, 1, 2, 3]));
    expect(d.interfaces.filter((i) => i.interfaceNumber === 1)).toHaveLength(7);
    expect(emu.endpoints).toEqual({ in: [0x84, 0x85], out: [0x08, 0x04, 0x05, 0x06, 0x07, 0x09] });
    expect(emu.info).toMatchObject({ vendorId: 0x0e8d, productId: 0x7961, speed: 'super', ep0MaxPacket: 512 });
  });

  it('at high speed has 512-byte bulk and 64-byte EP0 packets', () => {
    const emu = new EmulatedMt7921u({ clock: new VirtualClock(), speed: 'high' });
    expect(emu.descriptor.maxPacketSize0).toBe(64);
    expect(emu.descriptor.interfaces.at(-1)!.endpoints[0]!.maxPacketSize).toBe(512);
  });

  it('takes any id of the table and refuses others with a message', () => {
    const emu = new EmulatedMt7921u({ clock: new VirtualClock(), vendorId: 0x35bc, productId: 0x0107 });
    expect([emu.info.vendorId, emu.info.productId]).toEqual([0x35bc, 0x0107]);
    expect(() => new EmulatedMt7921u({ clock: new VirtualClock(), vendorId: 0x1234, productId: 1 })).toThrow(
      /1234:0001 is not an MT7921U id; use one of 0e8d:7961/,
    );
  });
});

describe('vendor requests (FACTS.md §2)', () => {
  it('reads the chip id and revision', async () => {
    const h = new TestHost();
    expect((await h.rr(0x70010200)) & 0xffff).toBe(0x7961);
    expect((await h.rr(0x70010204)) & 0xff).toBe(0x10);
  });

  it('stores and returns ordinary registers; block copies address each word', async () => {
    const h = new TestHost();
    await h.wr(0x820e4000, 0xdeadbeef);
    expect(await h.rr(0x820e4000)).toBe(0xdeadbeef);
    const block = u32(...Array.from({ length: 128 }, (_, i) => i * 3));
    await h.run(h.emu.controlOut(setup(0x5f, 0x66, 0x7c026000), block));
    expect(await h.rr(0x7c026000 + 4 * 100)).toBe(300);
    const back = await h.run(h.emu.controlIn(setup(0xc0, 0x63, 0x7c026000), 512));
    expect(back).toEqual(block);
  });

  it('stalls wrong request types, lengths and codes', async () => {
    const h = new TestHost();
    expect(await outcome(h, h.emu.controlIn(setup(0xc0, 0x63, 0x70010200), 516))).toBe('stall'); // > EP0 MPS
    expect(await outcome(h, h.emu.controlIn(setup(0xdf, 0x63, 0x70010200), 8))).toBe('stall');
    expect(await outcome(h, h.emu.controlIn(setup(0xc0, 0x63, 0x70010200), 6))).toBe('stall');
    expect(await outcome(h, h.emu.controlIn(setup(0x80, 0x06, 0x0100), 18))).toBe('stall');
    expect(await outcome(h, h.emu.controlIn(setup(0xdf, 0x47, 0x70010200), 4))).toBe('stall');
    expect(await outcome(h, h.emu.controlOut(setup(0x5f, 0x66, 0x820e4000), u32(1).subarray(0, 3)))).toBe('stall');
    expect(await outcome(h, h.emu.controlOut(setup(0x40, 0x66, 0x820e4000), u32(1)))).toBe('stall');
    expect(await outcome(h, h.emu.controlOut({ requestType: 0x5f, request: 0x04, value: 0, index: 0 }, null))).toBe(
      'stall',
    );
    expect(h.emu.counters.controlStalls).toBe(8);
  });

  it('reaches the four UHW registers only through the UHW pair', async () => {
    const h = new TestHost();
    expect((await h.uhwRr(0x74000a20)) & (1 << 22)).not.toBe(0);
    expect(await h.rr(0x74000a20)).toBe(0); // not through READ_EXT
    expect(await outcome(h, h.emu.controlIn(setup(0xde, 0x01, 0x70010200), 4))).toBe('stall');
    await h.uhwWr(0x74011890, 0x3f0);
    expect(await h.uhwRr(0x74011890)).toBe(0x3f0);
  });

  it('POWER_ON sets MISC BIT0 after the power-on delay', async () => {
    const h = new TestHost();
    expect(await h.rr(MISC)).toBe(0);
    await h.powerOn();
    const immediately = h.emu.mcu.misc;
    expect(await h.powerOnAndWait()).toBe(true);
    expect(immediately).toBe(0);
    expect((await h.rr(MISC)) & 7).toBe(1);
  });

  it('keeps DMA bits but reads the busy bits as 0; WTBL_UPDATE busy reads 0; SER register 0', async () => {
    const h = new TestHost();
    await h.wr(0x7c024208, 0x1020020f);
    expect(await h.rr(0x7c024208)).toBe(0x10200205);
    await h.wr(0x820d4230, (1 << 31) | (1 << 12) | 5);
    expect(await h.rr(0x820d4230)).toBe((1 << 12) | 5);
    await h.wr(0x00401a28, 0xc0);
    expect(await h.rr(0x00401a28)).toBe(0);
    await h.wr(0x54000120, 2);
    expect(await h.rr(0x54000120)).toBe(2);
  });

  it('a WFSYS reset stops the firmware: MISC 0, BIT22 set, WFDMA config cleared, UDMA kept', async () => {
    const h = new TestHost({ start: 'warm' });
    expect((await h.rr(MISC)) & 3).toBe(3);
    expect((await h.rr(0x7c027030)) & (1 << 6)).not.toBe(0);
    await h.uhwWr(0x70002600, 1);
    expect((await h.uhwRr(0x74000a20)) & (1 << 22)).toBe(0);
    await h.uhwWr(0x70002600, 0);
    expect(await h.rr(MISC)).toBe(0);
    expect((await h.uhwRr(0x74000a20)) & (1 << 22)).not.toBe(0);
    expect(await h.rr(0x7c027030)).toBe(0);
    expect(await h.rr(0x54000120)).toBe(0);
    expect((await h.rr(0x74000018)) & (1 << 22)).not.toBe(0);
    expect(h.emu.counters.wfsysResets).toBe(1);
  });
});

describe('bulk pipes', () => {
  it('completes many reads in flight in FIFO order as events arrive', async () => {
    const h = new TestHost({ start: 'warm' });
    const reads = [0, 1, 2].map(() => h.emu.bulkIn(0x84, 4096));
    for (const seq of [1, 2, 3]) {
      await h.send(0x08, legacyCommand({ cid: 0xc0, ce: true, setQuery: 0, seq, payload: u32(0x70010200, 0) }));
    }
    const got = await h.run(Promise.all(reads));
    expect(got.map((d) => d[29])).toEqual([1, 2, 3]);
    expect(got.map((d) => new DataView(d.buffer, d.byteOffset).getUint32(40, true))).toEqual([0x7961, 0x7961, 0x7961]);
  });

  it('a packet larger than the read buffer fails that read (protocol error) and is lost', async () => {
    const h = new TestHost({ start: 'warm' });
    const small = h.emu.bulkIn(0x84, 16);
    await h.send(0x08, legacyCommand({ cid: 0xc0, ce: true, setQuery: 0, seq: 1, payload: u32(0x70010200, 0) }));
    expect(await outcome(h, small)).toBe('proto');
    expect(h.emu.counters.inOverflows).toBe(1);
  });

  it('a read with a timeout rejects with timeout and leaves the queue intact', async () => {
    const h = new TestHost({ start: 'warm' });
    expect(await outcome(h, h.emu.bulkIn(0x84, 4096, 50))).toBe('timeout');
    const next = h.emu.bulkIn(0x84, 4096);
    await h.send(0x08, legacyCommand({ cid: 0xc0, ce: true, setQuery: 0, seq: 4, payload: u32(0x70010200, 0) }));
    expect((await h.run(next))[29]).toBe(4);
  });

  it('cancelIn, reset and close fail pending reads with their codes; close notifies listeners', async () => {
    const h = new TestHost({ start: 'warm' });
    const a = quiet(h.emu.bulkIn(0x84, 4096));
    h.emu.cancelIn(0x84);
    expect(await outcome(h, a)).toBe('cancelled');
    const b = quiet(h.emu.bulkIn(0x85, 4096));
    await h.run(h.emu.reset());
    expect(await outcome(h, b)).toBe('cancelled');
    expect((await h.rr(MISC)) & 3).toBe(3); // the firmware survives a port reset
    const removed: string[] = [];
    h.emu.onRemoved((e) => removed.push(e.code));
    const c = quiet(h.emu.bulkIn(0x84, 4096));
    await h.emu.close();
    expect(await outcome(h, c)).toBe('nodev');
    expect(await outcome(h, h.emu.bulkOut(0x08, new Uint8Array(8)))).toBe('nodev');
    expect(removed).toEqual(['nodev']);
    expect(h.emu.removed).toBe(true);
  });

  it('refuses endpoints that are not on the Wi-Fi interface', async () => {
    const h = new TestHost();
    expect(await outcome(h, h.emu.bulkOut(0x02, new Uint8Array(8)))).toBe('io');
    expect(await outcome(h, h.emu.bulkIn(0x81, 64))).toBe('io');
  });

  it('takes nothing from the host before DMA init enables UDMA TX', async () => {
    const h = new TestHost();
    h.startReading();
    await h.powerOnAndWait();
    await h.send(0x08, legacyCommand({ cid: 0x10, seq: 1, payload: u32(1) }));
    expect(await h.event(1, 100)).toBeUndefined();
    expect(h.emu.counters.drops['out-while-udma-tx-disabled']).toBe(1);
  });
});
