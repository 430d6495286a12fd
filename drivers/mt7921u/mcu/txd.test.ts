import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseUsbFrame, usbFrameLen, usbPadLen } from '../usb-frame.ts';
import {
  cmdName,
  MCU_CE_CMD,
  MCU_CE_QUERY,
  MCU_CMD,
  MCU_EXT_CMD,
  MCU_EXT_QUERY,
  MCU_UNI_CMD,
  McuCeCmdId,
  McuCmdId,
  McuExtCmdId,
  McuUniCmdId,
} from './cmd.ts';
import { buildMcuTransfer, buildScatterTransfer, parseMcuTransfer } from './txd.ts';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');
}

describe('command word (FACTS §5.2)', () => {
  it('packs id, ext id and flags as mt76 does', () => {
    expect(MCU_CMD(McuCmdId.PATCH_SEM_CONTROL)).toBe(0x10);
    expect(MCU_EXT_CMD(McuExtCmdId.EFUSE_BUFFER_MODE)).toBe(0x21ed);
    expect(MCU_EXT_QUERY(McuExtCmdId.EFUSE_ACCESS)).toBe(0x101ed);
    expect(MCU_CE_CMD(McuCeCmdId.GET_NIC_CAPAB)).toBe(0x4008a);
    expect(MCU_CE_QUERY(McuCeCmdId.REG_READ)).toBe(0x500c0);
    expect(MCU_UNI_CMD(McuUniCmdId.STA_REC_UPDATE)).toBe(0x20003);
    expect(cmdName(MCU_EXT_CMD(McuExtCmdId.CHANNEL_SWITCH))).toBe('EXT:CHANNEL_SWITCH');
    expect(cmdName(MCU_CE_QUERY(McuCeCmdId.REG_READ))).toBe('CE:REG_READ?');
  });
});

describe('USB framing (FACTS §5.1)', () => {
  it('pads to 4 bytes and adds a 4-byte tail', () => {
    expect(usbPadLen(72)).toBe(4);
    expect(usbPadLen(73)).toBe(7);
    expect(usbPadLen(75)).toBe(5);
    expect(usbFrameLen(68)).toBe(76);
    expect(usbFrameLen(4096)).toBe(4104);
    expect(usbFrameLen(1921)).toBe(4 + 1921 + 3 + 4);
  });
});

describe('MCU descriptor (FACTS §5.2, §5.3)', () => {
  it('reproduces the worked example of §5.6 byte for byte: PATCH_SEM_CONTROL GET, seq 1', () => {
    const payload = Buffer.from([1, 0, 0, 0]);
    const xfer = buildMcuTransfer(MCU_CMD(McuCmdId.PATCH_SEM_CONTROL), 1, payload);
    const expected = hex(
      `44 00 00 00 | 44 00 00 41 | 00 00 01 80 | ${'00 '.repeat(24)} | 24 00 | 00 80 | 10 | a0 | 03 | 01 |
       00 00 00 00 | ${'00 '.repeat(20)} | 01 00 00 00 | 00 00 00 00`,
    );
    expect(expected.length).toBe(76);
    expect(xfer).toEqual(expected);
  });

  it('EXT commands: cid 0xed, ext_cid, set_query SET/QUERY, ext_cid_ack 1', () => {
    const x = buildMcuTransfer(MCU_EXT_CMD(McuExtCmdId.EFUSE_BUFFER_MODE), 7, Buffer.alloc(4));
    const b = x.subarray(4);
    expect(b.readUInt32LE(0)).toBe(0x41000000 | 68);
    expect(b[36]).toBe(0xed);
    expect(b[38]).toBe(1);
    expect(b[39]).toBe(7);
    expect(b[41]).toBe(0x21);
    expect(b[43]).toBe(1);
    const q = buildMcuTransfer(MCU_EXT_QUERY(McuExtCmdId.EFUSE_ACCESS), 2, null).subarray(4);
    expect(q[38]).toBe(0);
  });

  it('CE commands: cid = CE id, set_query, no ext ack', () => {
    const b = buildMcuTransfer(MCU_CE_QUERY(McuCeCmdId.REG_READ), 3, Buffer.alloc(8)).subarray(4);
    expect(b[36]).toBe(0xc0);
    expect(b[38]).toBe(0);
    expect(b[41]).toBe(0);
    expect(b[43]).toBe(0);
    const s = buildMcuTransfer(MCU_CE_CMD(McuCeCmdId.SET_RX_FILTER), 3, Buffer.alloc(8)).subarray(4);
    expect(s[38]).toBe(1);
  });

  it('UNI commands: 48-byte descriptor, le16 cid at 34, option 0x07 at 43', () => {
    const payload = Buffer.alloc(16, 0xaa);
    const x = buildMcuTransfer(MCU_UNI_CMD(McuUniCmdId.DEV_INFO_UPDATE), 9, payload);
    expect(x.length).toBe(usbFrameLen(48 + 16));
    expect(x.readUInt32LE(0)).toBe(64);
    const b = x.subarray(4);
    expect(b.readUInt32LE(0)).toBe(0x41000000 | 64);
    expect(b.readUInt32LE(4)).toBe(0x80010000);
    expect(b.readUInt16LE(32)).toBe(64 - 32);
    expect(b.readUInt16LE(34)).toBe(1);
    expect(b[37]).toBe(0xa0);
    expect(b[38]).toBe(0);
    expect(b[39]).toBe(9);
    expect(b.readUInt16LE(40)).toBe(0);
    expect(b[42]).toBe(0);
    expect(b[43]).toBe(7);
    expect(b.subarray(48, 64)).toEqual(payload);
  });

  it('FW_SCATTER is raw bytes behind the USB header', () => {
    const data = Buffer.from([1, 2, 3, 4, 5]);
    const x = buildScatterTransfer(data);
    expect(x.readUInt32LE(0)).toBe(5);
    expect(x.subarray(4, 9)).toEqual(data);
    expect(x.length).toBe(4 + 5 + 3 + 4);
    expect(x.subarray(9).every((v) => v === 0)).toBe(true);
  });

  const anyCmd = fc.oneof(
    fc.constantFrom(0x01, 0x02, 0x04, 0x05, 0x07, 0x10).map((id) => MCU_CMD(id)),
    fc
      .integer({ min: 1, max: 255 })
      .chain((ext) => fc.boolean().map((q) => (q ? MCU_EXT_QUERY(ext) : MCU_EXT_CMD(ext)))),
    // CE id 0xed would look like an EXT command on the wire; no CE command uses it.
    fc
      .integer({ min: 0, max: 255 })
      .filter((id) => id !== 0xed)
      .chain((id) => fc.boolean().map((q) => (q ? MCU_CE_QUERY(id) : MCU_CE_CMD(id)))),
    fc.integer({ min: 0, max: 255 }).map((id) => MCU_UNI_CMD(id)),
  );

  it('encode → decode round-trips command word, seq and payload', () => {
    fc.assert(
      fc.property(anyCmd, fc.integer({ min: 1, max: 15 }), fc.uint8Array({ maxLength: 1300 }), (cmd, seq, payload) => {
        const v = parseMcuTransfer(buildMcuTransfer(cmd, seq, payload));
        expect(v).not.toBeNull();
        expect(v!.cmd).toBe(cmd);
        expect(v!.seq).toBe(seq);
        expect(Buffer.from(v!.payload)).toEqual(Buffer.from(payload));
        const frame = parseUsbFrame(buildMcuTransfer(cmd, seq, payload))!;
        expect(frame.bodyLen).toBe(v!.txBytes);
      }),
    );
  });

  it('decoding random or truncated transfers never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        parseMcuTransfer(bytes);
      }),
    );
    const good = buildMcuTransfer(MCU_EXT_CMD(McuExtCmdId.MAC_INIT_CTRL), 4, Buffer.alloc(4));
    for (let n = 0; n < good.length; n++) {
      const v = parseMcuTransfer(good.subarray(0, n));
      if (n < 4 + 68) expect(v).toBeNull();
    }
  });
});
