/**
 * What the emulated firmware remembers after boot: interfaces (DEV_INFO), BSSes (BSS_INFO), stations and their
 * keys (STA_REC), the operating channel, RX filter and monitor mode. Tests read it through `EmulatedMt7921u.state`.
 */
import type { RadioChannel } from './radio.ts';

/** Cipher ids of KEY_V2 (FACTS.md §6.8). */
export const CIPHER = {
  NONE: 0,
  WEP40: 1,
  WEP104: 2,
  WEP128: 3,
  TKIP: 4,
  AES_CCMP: 5,
  CCMP_256: 6,
  GCMP: 7,
  GCMP_256: 8,
  BIP_CMAC_128: 10,
} as const;

export interface KeyEntry {
  cipher: number;
  keyId: number;
  key: Uint8Array;
  /** Next packet number the hardware uses when it encrypts with this key. */
  txPn: number;
}

export interface StaRecord {
  wcid: number;
  bssIdx: number;
  muarIdx: number;
  connType: number;
  /** 0 disconnect, 1 connect, 2 port secure. */
  connState: number;
  qos: boolean;
  aid: number;
  peer: Uint8Array;
  keys: Map<number, KeyEntry>;
  /** WTBL HDR_TRANS: null when never sent. */
  hdrTrans: { toDs: boolean; fromDs: boolean; noRxTrans: boolean } | null;
  /** Last body of every TLV received, by tag (for tests). */
  tlvs: Map<number, Uint8Array>;
}

export interface VifRecord {
  omacIdx: number;
  bandIdx: number;
  active: boolean;
  linkIdx: number;
  addr: Uint8Array;
}

export interface BssRecord {
  bssIdx: number;
  active: boolean;
  omacIdx: number;
  bandIdx: number;
  connType: number;
  connState: number;
  wmmIdx: number;
  bssid: Uint8Array;
  bmcWcid: number;
  staIdx: number;
  bcnInterval: number;
  dtimPeriod: number;
  qos: boolean;
  /** From the RLM TLV. */
  channel: RadioChannel | null;
  tlvs: Map<number, Uint8Array>;
}

export interface RocState {
  bssIdx: number;
  token: number;
  reqType: number;
  channel: RadioChannel;
  maxIntervalMs: number;
}

export class ChipState {
  readonly vifs = new Map<number, VifRecord>();
  readonly bsses = new Map<number, BssRecord>();
  readonly stas = new Map<number, StaRecord>();
  /** The channel set by SET_RX_PATH / CHANNEL_SWITCH / RLM / sniffer config (the radio's home channel). */
  channel: RadioChannel = { band: '2g', number: 1, width: 20 };
  /** MAC_INIT_CTRL enable per band. */
  macEnabled = [false, false];
  /** SET_RX_FILTER mode 1 FIF flags. */
  rxFilterFif = 0;
  /** MT_WF_RFCR drop bits, edited by SET_RX_FILTER mode 2. */
  rfcrDrop = 0;
  sniffer = false;
  efuseBufferMode = false;
  /** SET_CHAN_DOMAIN: enabled channels (empty until sent). */
  chanDomain: RadioChannel[] = [];
  alpha2 = '';
  /** CHIP_CONFIG strings received, in order. */
  readonly chipConfig: string[] = [];
  /** EDCA parameters by bss, raw (44 bytes). */
  readonly edca = new Map<number, Uint8Array>();
  roc: RocState | null = null;
  fwLog = false;

  /** Station whose peer address is `addr` at `off`, or undefined. */
  staByAddr(addr: Uint8Array, off: number): StaRecord | undefined {
    for (const s of this.stas.values()) {
      let eq = s.connState !== 0;
      for (let i = 0; eq && i < 6; i++) if (s.peer[i] !== addr[off + i]) eq = false;
      if (eq) return s;
    }
    return undefined;
  }

  /** An active interface whose address is at `off`, or undefined. */
  vifByAddr(addr: Uint8Array, off: number): VifRecord | undefined {
    for (const v of this.vifs.values()) {
      if (!v.active) continue;
      let eq = true;
      for (let i = 0; eq && i < 6; i++) if (v.addr[i] !== addr[off + i]) eq = false;
      if (eq) return v;
    }
    return undefined;
  }

  clear(): void {
    this.vifs.clear();
    this.bsses.clear();
    this.stas.clear();
    this.channel = { band: '2g', number: 1, width: 20 };
    this.macEnabled = [false, false];
    this.rxFilterFif = 0;
    this.rfcrDrop = 0;
    this.sniffer = false;
    this.efuseBufferMode = false;
    this.chanDomain = [];
    this.alpha2 = '';
    this.chipConfig.length = 0;
    this.edca.clear();
    this.roc = null;
    this.fwLog = false;
  }
}
