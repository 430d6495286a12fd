/**
 * A small scripted fake of the chip for bring-up and download tests: it records every register access, control
 * request and bulk transfer in order, keeps registers as a map, and answers MCU commands by a policy each test can
 * change. It follows FACTS.md only as far as the tests need (it is not the emulator, which lives in emulator/ and is
 * written independently).
 */
import type { Clock } from '../../../netstack/core/clock.ts';
import type { RegAccess, UsbBus, UsbEndpointInfo } from '../bus.ts';
import { MCU_CE_CMD, MCU_CE_QUERY, MCU_CMD, McuCeCmdId, McuCmdId } from '../mcu/cmd.ts';
import { buildMcuEvent } from '../mcu/event.ts';
import { buildNicCapability, NicCapType, nicPhyCapBytes } from '../mcu/init-cmds.ts';
import { type McuCommandView, parseMcuTransfer } from '../mcu/txd.ts';
import {
  MT_CONN_ON_MISC,
  MT_HW_CHIPID,
  MT_HW_REV,
  MT_UDMA_CONN_INFRA_STATUS,
  MT_WFDMA_HOST_CONFIG,
  MT_WFDMA_HOST_CONFIG_USB_RXEVT_EP4_EN,
} from '../regs.ts';
import { parseUsbFrame } from '../usb-frame.ts';
import { FakePipes } from './fake-pipes.ts';

export type FakeOp =
  | { op: 'reset' }
  | { op: 'rr'; addr: number; val: number }
  | { op: 'wr'; addr: number; val: number }
  | { op: 'uhw-rr'; addr: number; val: number }
  | { op: 'uhw-wr'; addr: number; val: number }
  | { op: 'power-on' }
  | { op: 'cmd'; ep: number; cmd: McuCommandView }
  | { op: 'scatter'; ep: number; len: number }
  | { op: 'data'; ep: number; len: number };

/** What the fake MCU does with a command: reply with these event fields, stay silent, or a custom action. */
export type McuPolicy = (
  c: McuCommandView,
  fake: FakeMt7921u,
) => { eid?: number; byte32?: number; payload?: Uint8Array } | null;

export const REFERENCE_ENDPOINT_LIST: UsbEndpointInfo[] = [
  { address: 0x84, type: 'bulk' },
  { address: 0x85, type: 'bulk' },
  { address: 0x08, type: 'bulk' },
  { address: 0x04, type: 'bulk' },
  { address: 0x05, type: 'bulk' },
  { address: 0x06, type: 'bulk' },
  { address: 0x07, type: 'bulk' },
  { address: 0x09, type: 'bulk' },
  { address: 0x86, type: 'interrupt' },
];

/** The default NIC capability reply: MAC address, PHY nss 2 / hw_path 3, 6G. */
export function defaultNicCapPayload(): Buffer {
  return buildNicCapability([
    { type: NicCapType.MAC_ADDR, data: Uint8Array.from([0x00, 0x0c, 0x43, 0x79, 0x61, 0x01]) },
    { type: NicCapType.PHY, data: nicPhyCapBytes({ nss: 2, hwPath: 3 }) },
    { type: NicCapType.NIC_CAP_6G, data: Uint8Array.from([1, 0, 0, 0]) },
  ]);
}

export class FakeMt7921u implements UsbBus, RegAccess {
  readonly pipes = new FakePipes();
  readonly log: FakeOp[] = [];
  readonly regs = new Map<number, number>();
  /** Per-command override of the default policy (keyed by command word). */
  readonly policy = new Map<number, McuPolicy>();
  /** Reply latency on the clock (ms). */
  latencyMs = 0.1;
  /** Bytes received per scatter since the last init-download command, and their total. */
  scatterBytes = 0;
  semaphoreTaken = false;
  patchApplied = false;
  removed = false;

  constructor(readonly clock: Clock) {
    this.regs.set(MT_HW_CHIPID, 0x00007961);
    this.regs.set(MT_HW_REV, 0x00000010);
    this.regs.set(MT_UDMA_CONN_INFRA_STATUS, 1 << 22);
    this.pipes.onOut = (ep, data) => this.onOut(ep, data);
  }

  // -- UsbBus
  async resetDevice(): Promise<void> {
    this.log.push({ op: 'reset' });
  }
  endpoints(): readonly UsbEndpointInfo[] {
    return REFERENCE_ENDPOINT_LIST;
  }
  bulkOut(ep: number, data: Uint8Array): Promise<void> {
    return this.pipes.bulkOut(ep, data);
  }
  bulkIn(ep: number, length: number): Promise<Uint8Array> {
    return this.pipes.bulkIn(ep, length);
  }
  cancelBulkIn(): void {
    this.pipes.cancelBulkIn();
  }

  // -- RegAccess
  reg(addr: number): number {
    return this.regs.get(addr >>> 0) ?? 0;
  }
  async rr(addr: number): Promise<number> {
    const val = this.reg(addr);
    this.log.push({ op: 'rr', addr, val });
    return val;
  }
  async wr(addr: number, val: number): Promise<void> {
    this.log.push({ op: 'wr', addr, val: val >>> 0 });
    this.regs.set(addr >>> 0, val >>> 0);
  }
  async rmw(addr: number, mask: number, val: number): Promise<number> {
    const old = await this.rr(addr);
    const nv = ((old & ~mask) | val) >>> 0;
    await this.wr(addr, nv);
    return nv;
  }
  async uhwRr(addr: number): Promise<number> {
    const val = this.reg(addr);
    this.log.push({ op: 'uhw-rr', addr, val });
    return val;
  }
  async uhwWr(addr: number, val: number): Promise<void> {
    this.log.push({ op: 'uhw-wr', addr, val: val >>> 0 });
    this.regs.set(addr >>> 0, val >>> 0);
    // WFSYS reset: MISC back to 0
    if (addr === 0x70002600 && (val & 1) === 0) this.regs.set(MT_CONN_ON_MISC, 0);
  }
  async mcuPowerOn(): Promise<void> {
    this.log.push({ op: 'power-on' });
    this.regs.set(MT_CONN_ON_MISC, (this.reg(MT_CONN_ON_MISC) & ~7) | 1);
  }

  /** The commands seen, in order. */
  commands(): McuCommandView[] {
    return this.log.flatMap((o) => (o.op === 'cmd' ? [o.cmd] : []));
  }

  /** The event endpoint in use: 0x85 until EP4 routing is on. */
  get eventEp(): number {
    return this.reg(MT_WFDMA_HOST_CONFIG) & MT_WFDMA_HOST_CONFIG_USB_RXEVT_EP4_EN ? 0x84 : 0x85;
  }

  /** Queue an event packet on the event endpoint after the reply latency. */
  sendEvent(pkt: Uint8Array, ep = this.eventEp): void {
    this.clock.setTimeout(() => this.pipes.push(ep, pkt), this.latencyMs);
  }

  private onOut(ep: number, data: Buffer): void {
    if (ep === 0x08) {
      const cmd = parseMcuTransfer(data);
      if (cmd === null) throw new Error('fake: malformed command transfer');
      this.log.push({ op: 'cmd', ep, cmd });
      const reply = (this.policy.get(cmd.cmd) ?? defaultPolicy)(cmd, this);
      if (reply !== null) {
        this.sendEvent(
          buildMcuEvent({
            // GUESS: the real eid of each reply is unknown (FACTS §10); 0x01 (generic) or 0xed (EXT) never collide with
            // the unsolicited set
            eid: reply.eid ?? (cmd.cid === 0xed && !cmd.uni ? 0xed : 0x01),
            seq: cmd.seq,
            option: cmd.uni ? 0x02 : 0,
            byte32: reply.byte32,
            payload: reply.payload,
          }),
        );
      }
      return;
    }
    const f = parseUsbFrame(data);
    if (ep === 0x04 && this.reg(0x74000008) & (1 << 3)) {
      this.scatterBytes += f?.bodyLen ?? 0;
      this.log.push({ op: 'scatter', ep, len: f?.bodyLen ?? -1 });
      return;
    }
    this.log.push({ op: 'data', ep, len: f?.bodyLen ?? -1 });
  }
}

/** FACTS §8's MCU behaviour, reduced to what bring-up needs. */
export const defaultPolicy: McuPolicy = (c, fake) => {
  switch (c.cmd) {
    case MCU_CMD(McuCmdId.PATCH_SEM_CONTROL): {
      const op = c.payload.readUInt32LE(0);
      if (op === 1) {
        if (fake.patchApplied) return { eid: 0x04, byte32: 1 };
        fake.semaphoreTaken = true;
        return { eid: 0x04, byte32: 2 };
      }
      fake.semaphoreTaken = false;
      return { eid: 0x04, byte32: 3 };
    }
    case MCU_CMD(McuCmdId.PATCH_FINISH_REQ):
      fake.patchApplied = true;
      return { eid: 0x01, byte32: 0 };
    case MCU_CMD(McuCmdId.NIC_POWER_CTRL):
      fake.regs.set(MT_CONN_ON_MISC, (fake.reg(MT_CONN_ON_MISC) & ~7) | 1);
      return {};
    case MCU_CMD(McuCmdId.PATCH_START_REQ):
    case MCU_CMD(McuCmdId.TARGET_ADDRESS_LEN_REQ):
      fake.scatterBytes = 0;
      return {};
    case MCU_CMD(McuCmdId.FW_START_REQ):
      fake.regs.set(MT_CONN_ON_MISC, 3);
      return {};
    case MCU_CE_CMD(McuCeCmdId.GET_NIC_CAPAB):
      return { payload: defaultNicCapPayload() };
    case MCU_CE_QUERY(McuCeCmdId.REG_READ): {
      const p = Buffer.alloc(8);
      const reg = c.payload.readUInt32LE(0);
      p.writeUInt32LE(reg, 0);
      p.writeUInt32LE(fake.reg(reg), 4);
      return { payload: p };
    }
    default:
      if (c.uni) {
        const p = Buffer.alloc(8);
        p[0] = c.cid & 0xff;
        return { payload: p };
      }
      return {};
  }
};
