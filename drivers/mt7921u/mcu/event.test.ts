import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MCU_CE_CMD, MCU_CMD, MCU_UNI_CMD, McuCeCmdId, McuCmdId, McuUniCmdId } from './cmd.ts';
import { buildMcuEvent, classifyMcuEvent, McuEventClass, parseMcuEvent, parseMcuResponse } from './event.ts';

describe('MCU event header (FACTS §5.5)', () => {
  it('decodes the example reply of §5.6', () => {
    const b = Buffer.alloc(40);
    b.writeUInt32LE(0x38000028, 0);
    b[28] = 0x04;
    b[29] = 1;
    b[32] = 0x02;
    const ev = parseMcuEvent(b)!;
    expect(ev.eid).toBe(4);
    expect(ev.seq).toBe(1);
    const r = parseMcuResponse(MCU_CMD(McuCmdId.PATCH_SEM_CONTROL), 1, ev);
    expect(r).not.toBeTypeOf('string');
    expect((r as { ret: number }).ret).toBe(2);
    expect(classifyMcuEvent(ev)).toBe(McuEventClass.RESPONSE);
  });

  it('parses the UNI reply example: 44 bytes, eid 1, option 2, {cid, status}', () => {
    const b = Buffer.alloc(44);
    b.writeUInt32LE(0x3800002c, 0);
    b[28] = 1;
    b[29] = 5;
    b[30] = 2;
    b[36] = 0x03;
    const ev = parseMcuEvent(b)!;
    expect(classifyMcuEvent(ev)).toBe(McuEventClass.RESPONSE);
    const r = parseMcuResponse(MCU_UNI_CMD(McuUniCmdId.STA_REC_UPDATE), 5, ev) as { ret: number };
    expect(r.ret).toBe(0);
    expect(parseMcuResponse(MCU_UNI_CMD(McuUniCmdId.DEV_INFO_UPDATE), 5, ev)).toBe('cid');
    expect(parseMcuResponse(MCU_UNI_CMD(McuUniCmdId.STA_REC_UPDATE), 6, ev)).toBe('seq');
  });

  it('trims to the DW0 length and rejects inconsistent lengths', () => {
    const e = buildMcuEvent({ eid: 1, seq: 3, payload: Buffer.from([1, 2, 3, 4]) });
    const padded = Buffer.concat([e, Buffer.alloc(7, 0xee)]);
    expect(parseMcuEvent(padded)!.buf.length).toBe(40);
    expect(parseMcuEvent(e.subarray(0, 39))).toBeNull();
    const small = Buffer.from(e);
    small.writeUInt32LE(0x38000000 | 20, 0);
    expect(parseMcuEvent(small)).toBeNull();
  });

  it('type 7 with PKT_FLAG 1 is a frame, not an event', () => {
    const e = buildMcuEvent({ eid: 1, seq: 3, pktFlag: 1 });
    expect(parseMcuEvent(e)).toBeNull();
  });

  it('classifies per the dispatch rules', () => {
    const c = (f: Parameters<typeof buildMcuEvent>[0]) => classifyMcuEvent(parseMcuEvent(buildMcuEvent(f))!);
    expect(c({ eid: 0x27, seq: 0, option: 4 })).toBe(McuEventClass.UNI_UNSOLICITED);
    expect(c({ eid: 0x06, seq: 0 })).toBe(McuEventClass.RESPONSE);
    for (const eid of [0x13, 0x23, 0x96, 0x0d, 0x0f, 0x27, 0xf0, 0x07]) {
      expect(c({ eid, seq: 5 })).toBe(McuEventClass.UNSOLICITED);
    }
    expect(c({ eid: 0xed, seq: 5, extEid: 0x87 })).toBe(McuEventClass.UNSOLICITED);
    expect(c({ eid: 0x01, seq: 0 })).toBe(McuEventClass.UNSOLICITED);
    expect(c({ eid: 0x01, seq: 9 })).toBe(McuEventClass.RESPONSE);
  });

  it('random and truncated packets never throw', () => {
    const cmds = [
      MCU_CMD(McuCmdId.PATCH_SEM_CONTROL),
      MCU_UNI_CMD(McuUniCmdId.BSS_INFO_UPDATE),
      MCU_CE_CMD(McuCeCmdId.GET_NIC_CAPAB),
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (bytes, asEvent) => {
        const b = Buffer.from(bytes);
        if (asEvent && b.length >= 4) b.writeUInt32LE(((7 << 27) | Math.min(b.length, 0xffff)) >>> 0, 0);
        const ev = parseMcuEvent(b);
        if (ev) {
          classifyMcuEvent(ev);
          for (const cmd of cmds) parseMcuResponse(cmd, ev.seq, ev);
        }
      }),
    );
  });

  it('build → parse round-trips the header fields', () => {
    fc.assert(
      fc.property(
        fc.record({
          eid: fc.integer({ min: 0, max: 255 }),
          seq: fc.integer({ min: 0, max: 255 }),
          option: fc.integer({ min: 0, max: 255 }),
          extEid: fc.integer({ min: 0, max: 255 }),
          s2dIndex: fc.integer({ min: 0, max: 255 }),
          pktFlag: fc.constantFrom(0, 2, 3, 15),
          payload: fc.uint8Array({ maxLength: 64 }),
        }),
        (f) => {
          const ev = parseMcuEvent(buildMcuEvent(f))!;
          expect({ ...ev, buf: undefined, len: undefined, pktTypeId: undefined }).toEqual({
            ...f,
            payload: undefined,
            buf: undefined,
            len: undefined,
            pktTypeId: undefined,
          });
          expect(ev.buf.subarray(36)).toEqual(Buffer.from(f.payload));
        },
      ),
    );
  });
});
