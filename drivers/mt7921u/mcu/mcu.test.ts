import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../netstack/core/clock.ts';
import {
  MCU_CE_CMD,
  MCU_CE_QUERY,
  MCU_CMD,
  MCU_EXT_CMD,
  MCU_UNI_CMD,
  McuCeCmdId,
  McuCmdId,
  McuExtCmdId,
  McuUniCmdId,
} from './cmd.ts';
import { buildMcuEvent, parseMcuEvent } from './event.ts';
import { McuSendError, McuTimeoutError, Mt7921Mcu } from './mcu.ts';
import { type McuCommandView, parseMcuTransfer } from './txd.ts';

interface Sent {
  ep: number;
  data: Buffer;
  cmd: McuCommandView | null;
}

function setup(opts: { reply?: (c: McuCommandView, mcu: Mt7921Mcu) => void; failSend?: () => boolean } = {}) {
  const clock = new VirtualClock();
  const sent: Sent[] = [];
  const timeouts: McuTimeoutError[] = [];
  const mcu: Mt7921Mcu = new Mt7921Mcu({
    clock,
    cmdEp: 0x08,
    scatterEp: 0x04,
    onTimeout: (e) => timeouts.push(e),
    bulkOut: async (ep, data) => {
      if (opts.failSend?.()) throw new Error('LIBUSB_ERROR_NO_DEVICE');
      const b = Buffer.from(data);
      const cmd = ep === 0x08 ? parseMcuTransfer(b) : null;
      sent.push({ ep, data: b, cmd });
      if (cmd && opts.reply) opts.reply(cmd, mcu);
    },
  });
  return { clock, sent, mcu, timeouts };
}

function ev(fields: Parameters<typeof buildMcuEvent>[0]) {
  return parseMcuEvent(buildMcuEvent(fields))!;
}

const uniResult = (cid: number, status: number) => {
  const p = Buffer.alloc(8);
  p[0] = cid;
  p.writeUInt32LE(status >>> 0, 4);
  return p;
};

async function settle(clock: VirtualClock, until: () => boolean, maxTime = 10_000) {
  await clock.runAsync({ until, maxTime });
}

describe('MCU messaging (FACTS §5.4)', () => {
  it('sequence numbers cycle 1..15, skip 0, and FW_SCATTER consumes one', async () => {
    const { sent, mcu } = setup();
    const seqs: number[] = [];
    for (let i = 0; i < 17; i++) await mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.FWLOG_2_HOST), Buffer.alloc(4));
    for (const s of sent) seqs.push(s.cmd!.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1, 2]);
    await mcu.sendScatter(Buffer.alloc(16));
    await mcu.sendNoWait(MCU_CMD(McuCmdId.NIC_POWER_CTRL), Buffer.alloc(4));
    expect(sent.at(-2)!.ep).toBe(0x04);
    expect(sent.at(-1)!.cmd!.seq).toBe(4);
    expect(mcu.stats.scatterChunks).toBe(1);
    expect(mcu.stats.scatterBytes).toBe(16);
  });

  it('matches the reply by seq, discarding and counting others, and returns the PATCH_SEM status at offset 32', async () => {
    const { clock, mcu } = setup({
      reply: (c, m) => {
        // a stale reply, then the real one (status byte 2 at offset 32)
        m.rxEvent(ev({ eid: 4, seq: (c.seq + 3) & 0xf || 1 }));
        m.rxEvent(ev({ eid: 4, seq: c.seq, byte32: 2 }));
      },
    });
    let ret = -1;
    void mcu.sendAndGet(MCU_CMD(McuCmdId.PATCH_SEM_CONTROL), Buffer.from([1, 0, 0, 0])).then((r) => (ret = r.ret));
    await settle(clock, () => ret >= 0);
    expect(ret).toBe(2);
    expect(mcu.stats.discardedSeq).toBe(1);
    expect(mcu.stats.responses).toBe(1);
  });

  it('ignores a UNI result whose cid is not the command id and keeps waiting', async () => {
    let pending: { seq: number } | null = null;
    const { clock, mcu } = setup({ reply: (c) => (pending = { seq: c.seq }) });
    let status: number | null = null;
    void mcu.sendAndGet(MCU_UNI_CMD(McuUniCmdId.BSS_INFO_UPDATE), Buffer.alloc(36)).then((r) => (status = r.ret));
    await settle(clock, () => pending !== null);
    const seq = pending!.seq;
    mcu.rxEvent(ev({ eid: 1, seq, option: 2, payload: uniResult(0x03, 0) }));
    await clock.runAsync({ maxTime: 100 });
    expect(status).toBeNull();
    expect(mcu.stats.discardedCid).toBe(1);
    mcu.rxEvent(ev({ eid: 1, seq, option: 2, payload: uniResult(0x02, 0xc0000001) }));
    await settle(clock, () => status !== null);
    expect(status).toBe(0xc0000001);
  });

  it('REG_READ returns the value; short replies are dropped and counted', async () => {
    const { clock, mcu } = setup({
      reply: (c, m) => {
        m.rxEvent(ev({ eid: 2, seq: c.seq, payload: Buffer.alloc(4) }));
        const p = Buffer.alloc(8);
        p.writeUInt32LE(0x820c8000, 0);
        p.writeUInt32LE(0xdeadbeef, 4);
        m.rxEvent(ev({ eid: 2, seq: c.seq, payload: p }));
      },
    });
    let v = 0;
    void mcu.sendAndGet(MCU_CE_QUERY(McuCeCmdId.REG_READ), Buffer.alloc(8)).then((r) => (v = r.ret));
    await settle(clock, () => v !== 0);
    expect(v).toBe(0xdeadbeef);
    expect(mcu.stats.discardedShort).toBe(1);
  });

  it('serializes: the next command is sent only after the previous reply', async () => {
    let last: McuCommandView | null = null;
    const { clock, sent, mcu } = setup({ reply: (c) => (last = c) });
    const results: number[] = [];
    void mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.MAC_INIT_CTRL), Buffer.alloc(4)).then(() => results.push(1));
    void mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.PROTECT_CTRL), Buffer.alloc(12)).then(() => results.push(2));
    await clock.runAsync({ maxTime: 100 });
    expect(sent.length).toBe(1);
    mcu.rxEvent(ev({ eid: 0xed, seq: last!.seq }));
    await settle(clock, () => sent.length === 2);
    expect(results).toEqual([1]);
    expect(sent[1]!.cmd!.extCid).toBe(McuExtCmdId.PROTECT_CTRL);
    mcu.rxEvent(ev({ eid: 0xed, seq: last!.seq }));
    await settle(clock, () => results.length === 2);
    expect(results).toEqual([1, 2]);
  });

  it('times out after 3 s of clock time, calls the reset path, and counts the late reply', async () => {
    let seq = 0;
    const { clock, mcu, timeouts } = setup({ reply: (c) => (seq = c.seq) });
    let err: unknown = null;
    const t0 = clock.now();
    void mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.EFUSE_BUFFER_MODE), Buffer.alloc(4)).catch((e) => (err = e));
    await settle(clock, () => err !== null);
    expect(err).toBeInstanceOf(McuTimeoutError);
    expect(clock.now() - t0).toBe(3000);
    expect(timeouts).toHaveLength(1);
    expect(mcu.stats.timeouts).toBe(1);
    mcu.rxEvent(ev({ eid: 0xed, seq }));
    expect(mcu.stats.unexpected).toBe(1);
    // the lock was released: another command goes out
    await mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.FWLOG_2_HOST), Buffer.alloc(4));
  });

  it('a reply that arrives while bulkOut is still in flight is matched', async () => {
    const { clock, mcu } = setup({ reply: (c, m) => m.rxEvent(ev({ eid: 1, seq: c.seq, payload: Buffer.from([9]) })) });
    let got: Buffer | null = null;
    void mcu.sendAndGet(MCU_CMD(McuCmdId.TARGET_ADDRESS_LEN_REQ), Buffer.alloc(12)).then((r) => (got = r.payload));
    await settle(clock, () => got !== null);
    expect(got![0]).toBe(9);
  });

  it('a failed transfer rejects with McuSendError and releases the lock', async () => {
    let fail = true;
    const { mcu, sent } = setup({ failSend: () => fail });
    await expect(mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.MAC_INIT_CTRL), Buffer.alloc(4))).rejects.toBeInstanceOf(
      McuSendError,
    );
    fail = false;
    await mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.FWLOG_2_HOST), Buffer.alloc(4));
    expect(sent).toHaveLength(1);
    expect(mcu.stats.sendErrors).toBe(1);
  });

  it('abortPending wakes the waiter (MCU reset)', async () => {
    const { clock, mcu } = setup();
    let err: Error | null = null;
    void mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.MAC_INIT_CTRL), Buffer.alloc(4)).catch((e) => (err = e));
    await clock.runAsync({ maxTime: 10 });
    expect(mcu.busy).toBe(true);
    mcu.abortPending('reset');
    await settle(clock, () => err !== null);
    expect(err!.name).toBe('McuAbortedError');
  });
});
