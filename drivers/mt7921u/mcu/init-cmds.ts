/**
 * Commands and replies of the firmware start-up and MAC init (FACTS.md §6.1, §6.2, §6.3 REG_READ, §6.9, §6.12;
 * mt7921_mcu_get_nic_capability, mt7921_mcu_set_eeprom, mt76_connac_mcu_set_mac_enable, _set_rts_thresh,
 * _set_deep_sleep, _reg_rr, mt7921_mcu_fw_log_2_host).
 */
import { McuWriter } from './writer.ts';

// ---------------------------------------------------------------------------------------------------------------
// GET_NIC_CAPAB (CE 0x8a): no payload; the reply is {n_element le16, rsv[2]} + TLVs {type le32, len le32, data}

export enum NicCapType {
  TX_RESOURCE = 0x00,
  TX_EFUSE_ADDR = 0x01,
  COEX = 0x02,
  SINGLE_SKU = 0x03,
  CHIP_CSUM = 0x04,
  HW_VER = 0x05,
  SW_VER = 0x06,
  MAC_ADDR = 0x07,
  PHY = 0x08,
  MAC = 0x09,
  FRAME_BUF = 0x0a,
  BEAM_FORM = 0x0b,
  LOCATION = 0x0c,
  MUMIMO = 0x0d,
  BUFFER_MODE_INFO = 0x0e,
  HW_ADIE_VERSION = 0x14,
  ANTSWP = 0x16,
  WFDMA_REALLOC = 0x17,
  NIC_CAP_6G = 0x18,
  CHIP_CAP = 0x20,
  EML_CAP = 0x22,
}

export interface NicPhyCap {
  ht: number;
  vht: number;
  band5g: number;
  maxBw: number;
  nss: number;
  dbdc: number;
  txLdpc: number;
  rxLdpc: number;
  txStbc: number;
  rxStbc: number;
  hwPath: number;
  he: number;
}

export interface NicCapability {
  macAddr: Uint8Array | null;
  phy: NicPhyCap | null;
  /** (1 << nss) − 1 from the PHY TLV (0 when absent). */
  antennaMask: number;
  has2g: boolean;
  has5g: boolean;
  has6g: boolean;
  /** CHIP_CAP u64 (low and high words). */
  chipCap: bigint;
  /** Every TLV as received (type → data), for reports. */
  tlvs: Array<{ type: number; data: Uint8Array }>;
  /** TLVs that did not fit the reply (truncated list) — counted, the rest is used. */
  truncated: boolean;
}

/** MT792x_CHIP_CAP_* bits of CHIP_CAP. */
export const CHIP_CAP_CLC_EVT_EN = 1n << 0n;
export const CHIP_CAP_RSSI_NOTIFY_EVT_EN = 1n << 1n;
export const CHIP_CAP_WF_RF_PIN_CTRL_EVT_EN = 1n << 3n;
export const CHIP_CAP_11D_EN = 1n << 4n;

/**
 * Decode the GET_NIC_CAPAB reply payload (after the 36-byte event header). Returns null when the 4-byte header is
 * missing (-EINVAL in Linux). A TLV that does not fit ends the walk, as in the driver.
 */
export function parseNicCapability(p: Uint8Array): NicCapability | null {
  if (p.length < 4) return null;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const n = dv.getUint16(0, true);
  const cap: NicCapability = {
    macAddr: null,
    phy: null,
    antennaMask: 0,
    has2g: false,
    has5g: false,
    has6g: false,
    chipCap: 0n,
    tlvs: [],
    truncated: false,
  };
  let off = 4;
  for (let i = 0; i < n; i++) {
    if (off + 8 > p.length) {
      cap.truncated = true;
      break;
    }
    const type = dv.getUint32(off, true);
    const len = dv.getUint32(off + 4, true);
    off += 8;
    if (len > p.length - off) {
      cap.truncated = true;
      break;
    }
    const data = p.subarray(off, off + len);
    cap.tlvs.push({ type, data });
    switch (type) {
      case NicCapType.NIC_CAP_6G:
        if (len >= 1) cap.has6g = data[0] !== 0;
        break;
      case NicCapType.MAC_ADDR:
        if (len >= 6) cap.macAddr = Uint8Array.from(data.subarray(0, 6));
        break;
      case NicCapType.PHY:
        if (len >= 12) {
          cap.phy = {
            ht: data[0]!,
            vht: data[1]!,
            band5g: data[2]!,
            maxBw: data[3]!,
            nss: data[4]!,
            dbdc: data[5]!,
            txLdpc: data[6]!,
            rxLdpc: data[7]!,
            txStbc: data[8]!,
            rxStbc: data[9]!,
            hwPath: data[10]!,
            he: data[11]!,
          };
          cap.antennaMask = ((1 << cap.phy.nss) - 1) & 0xff;
          cap.has2g = (cap.phy.hwPath & 1) !== 0;
          cap.has5g = (cap.phy.hwPath & 2) !== 0;
        }
        break;
      case NicCapType.CHIP_CAP:
        if (len >= 8) {
          const d = new DataView(data.buffer, data.byteOffset, 8);
          cap.chipCap = (BigInt(d.getUint32(4, true)) << 32n) | BigInt(d.getUint32(0, true));
        }
        break;
      default:
        break;
    }
    off += len;
  }
  return cap;
}

/** Build a GET_NIC_CAPAB reply payload (for tests and fakes). */
export function buildNicCapability(tlvs: ReadonlyArray<{ type: number; data: Uint8Array }>): Buffer {
  const w = new McuWriter();
  const h = w.put(4);
  w.u16(h, tlvs.length);
  for (const t of tlvs) {
    const o = w.put(8 + t.data.length);
    w.u32(o, t.type)
      .u32(o + 4, t.data.length)
      .bytes(o + 8, t.data);
  }
  return w.finish();
}

/** The PHY TLV data (12 bytes). */
export function nicPhyCapBytes(p: Partial<NicPhyCap>): Uint8Array {
  return Uint8Array.from([
    p.ht ?? 1,
    p.vht ?? 1,
    p.band5g ?? 1,
    p.maxBw ?? 2,
    p.nss ?? 2,
    p.dbdc ?? 0,
    p.txLdpc ?? 1,
    p.rxLdpc ?? 1,
    p.txStbc ?? 1,
    p.rxStbc ?? 1,
    p.hwPath ?? 3,
    p.he ?? 1,
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Small fixed payloads

/** EFUSE_BUFFER_MODE (EXT 0x21): {buffer_mode 0 = EFUSE, format 1 = WHOLE, len le16 0}. */
export function efuseBufferModePayload(bufferMode = 0, format = 1): Buffer {
  return Buffer.from([bufferMode, format, 0, 0]);
}

/** MAC_INIT_CTRL (EXT 0x46): {enable, band, rsv[2]}. */
export function macInitCtrlPayload(enable: boolean, band: number): Buffer {
  return Buffer.from([enable ? 1 : 0, band, 0, 0]);
}

/** PROTECT_CTRL (EXT 0x3e): {prot_idx 1, band, rsv[2], len_thresh le32, pkt_thresh le32 = 2}. */
export function protectCtrlPayload(lenThresh: number, band: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 1;
  b[1] = band;
  b.writeUInt32LE(lenThresh >>> 0, 4);
  b.writeUInt32LE(2, 8);
  return b;
}

/** The RTS threshold mac init programs (0x92b). */
export const MT7921_RTS_THRESH = 0x92b;

/** FWLOG_2_HOST (CE 0xc5): {ctrl_val, pad[3]}. */
export function fwLog2HostPayload(ctrl: number): Buffer {
  return Buffer.from([ctrl, 0, 0, 0]);
}

export const CHIP_CONFIG_LEN = 328;

/** CHIP_CONFIG (CE 0xca): {id le16, type, resp_type, data_size le16, resv le16, data[320] ASCII}. */
export function chipConfigPayload(text: string, opts: { id?: number; type?: number; respType?: number } = {}): Buffer {
  const b = Buffer.alloc(CHIP_CONFIG_LEN);
  b.writeUInt16LE(opts.id ?? 0, 0);
  b[2] = opts.type ?? 0;
  b[3] = opts.respType ?? 0;
  // data_size stays 0 as the driver leaves it; the text is NUL-terminated within data[320]
  b.write(text.slice(0, 319), 8, 'latin1');
  return b;
}

/** "KeepFullPwr 1": deep sleep off (always on USB). */
export function deepSleepPayload(enable: boolean): Buffer {
  return chipConfigPayload(`KeepFullPwr ${enable ? 0 : 1}`);
}

/** CE REG_READ query {reg le32, val le32 = 0}. */
export function regReadPayload(reg: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(reg >>> 0, 0);
  return b;
}

/** THERMAL_CTRL (EXT 0x2c): {ctrl_id, action, band_idx, rsv[5]}; ctrl 0 = temperature query. */
export function thermalCtrlPayload(band: number, ctrlId = 0, action = 0): Buffer {
  return Buffer.from([ctrlId, action, band, 0, 0, 0, 0, 0]);
}

/** WF_RF_PIN_CTRL (EXT 0xbd): {action, value}; waited only when action ≠ 0. */
export function wfRfPinCtrlPayload(action: number): Buffer {
  return Buffer.from([action, 0]);
}
