import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTxs } from '../mac/txs.ts';
import { chan20 } from './chan.ts';
import {
  CHAN_INFO_LEN,
  chanDomainPayload,
  chanInfoPayload,
  edcaPayload,
  IEEE80211_CHAN_DISABLED,
  MT7921_FIF_BIT_SET,
  rateTxPowerPayloads,
  ratePowerLastChannel,
  rxFilterPayload,
  snifferConfigPayload,
  snifferEnablePayload,
  TXPOWER_CHANNELS,
} from './chan-cmds.ts';
import { MCU_EXT_CMD, McuEventId, McuExtCmdId } from './cmd.ts';
import { buildMcuEvent, parseMcuEvent } from './event.ts';
import { McuEventRouter, parseDebugMsg, parseTxDone } from './events.ts';
import { fwStartPayload, initDownloadCmd, initDownloadPayload, patchSemPayload, PatchSemOp } from './fw-cmds.ts';
import {
  buildNicCapability,
  CHIP_CONFIG_LEN,
  deepSleepPayload,
  efuseBufferModePayload,
  macInitCtrlPayload,
  NicCapType,
  nicPhyCapBytes,
  parseNicCapability,
  protectCtrlPayload,
} from './init-cmds.ts';
import { buildRocGrantPayload, parseRocGrant, RocReqType, rocAbortPayload, rocAcquirePayload } from './roc.ts';
import { buildScanDone, cancelHwScanPayload, HW_SCAN_REQ_LEN, hwScanPayload, parseScanDone, SCAN_OFF } from './scan.ts';
import {
  KEY_V2_BIP_LEN,
  KEY_V2_INSTALL_LEN,
  KEY_V2_REMOVE_LEN,
  McuCipher,
  parseStaRec,
  SetKeyCmd,
  StaInfoState,
  type StaRecInfo,
  StaRecTag,
  staBaPayload,
  staKeyPayload,
  staRecPayload,
  WtblTag,
} from './sta-rec.ts';
import {
  bssBasicQosPayload,
  bssBcnftPayload,
  bssHePayload,
  bssPsPayload,
  bssRlmPayload,
  CONNECTION_INFRA_STA,
  devInfoPayload,
  UniBssInfoTag,
} from './uni-cmds.ts';

const AP = '02:aa:bb:cc:dd:ee';
const ME = '02:11:22:33:44:55';
const vif = { bssIdx: 0, omacIdx: 0, bandIdx: 0, wmmIdx: 0 };

describe('firmware download payloads (FACTS §4.6)', () => {
  it('patch semaphore, init download, start', () => {
    expect(patchSemPayload(PatchSemOp.GET)).toEqual(Buffer.from([1, 0, 0, 0]));
    expect(patchSemPayload(PatchSemOp.RELEASE)).toEqual(Buffer.from([0, 0, 0, 0]));
    expect(initDownloadPayload(0x900000, 92032, 0x80000000).toString('hex')).toBe('000090008067010000000080');
    expect(initDownloadCmd(0x900000)).toBe(0x05);
    expect(initDownloadCmd(0x200000)).toBe(0x05);
    expect(initDownloadCmd(0x915000)).toBe(0x01);
    expect(fwStartPayload(1, 0x915000).toString('hex')).toBe('0100000000509100');
  });
});

describe('init commands (FACTS §6.1, §6.2, §6.9, §6.12)', () => {
  it('fixed payloads', () => {
    expect(efuseBufferModePayload()).toEqual(Buffer.from([0, 1, 0, 0]));
    expect(macInitCtrlPayload(true, 0)).toEqual(Buffer.from([1, 0, 0, 0]));
    expect(protectCtrlPayload(0x92b, 0).toString('hex')).toBe('010000002b09000002000000');
    const cc = deepSleepPayload(false);
    expect(cc.length).toBe(CHIP_CONFIG_LEN);
    expect(cc.subarray(8, 8 + 13).toString('latin1')).toBe('KeepFullPwr 1');
    expect(cc[8 + 13]).toBe(0);
  });

  it('decodes the NIC capability TLVs: MAC, PHY (nss 2, hw_path 3), 6G, CHIP_CAP', () => {
    const chip = Buffer.alloc(8);
    chip.writeUInt32LE(0x1b, 0);
    chip.writeUInt32LE(0x2, 4);
    const p = buildNicCapability([
      { type: NicCapType.MAC_ADDR, data: Buffer.from([2, 0, 0, 0x79, 0x61, 1]) },
      { type: 0x33, data: Buffer.from([9, 9, 9]) },
      { type: NicCapType.PHY, data: nicPhyCapBytes({ nss: 2, hwPath: 3 }) },
      { type: NicCapType.NIC_CAP_6G, data: Buffer.from([1, 0, 0, 0]) },
      { type: NicCapType.CHIP_CAP, data: chip },
    ]);
    const c = parseNicCapability(p)!;
    expect(Buffer.from(c.macAddr!).toString('hex')).toBe('020000796101');
    expect(c.antennaMask).toBe(3);
    expect([c.has2g, c.has5g, c.has6g]).toEqual([true, true, true]);
    expect(c.chipCap).toBe((2n << 32n) | 0x1bn);
    expect(c.tlvs).toHaveLength(5);
    expect(c.truncated).toBe(false);
    const cut = parseNicCapability(p.subarray(0, p.length - 3))!;
    expect(cut.truncated).toBe(true);
    expect(cut.tlvs).toHaveLength(4);
    expect(parseNicCapability(Buffer.alloc(3))).toBeNull();
  });

  it('NIC capability: random input never throws; build → parse round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        parseNicCapability(b);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 20 }) }), {
          maxLength: 6,
        }),
        (tlvs) => {
          const c = parseNicCapability(buildNicCapability(tlvs))!;
          expect(c.tlvs.map((t) => ({ type: t.type, data: Uint8Array.from(t.data) }))).toEqual(tlvs);
        },
      ),
    );
  });
});

describe('channel commands (FACTS §6.3, §6.4, §6.9)', () => {
  it('SET_RX_PATH / CHANNEL_SWITCH: 76 bytes, rx_streams mask vs count, reasons', () => {
    const ch = { band: '5g' as const, channel: 36, width: '80' as const, center1: 42 };
    const rx = chanInfoPayload(MCU_EXT_CMD(McuExtCmdId.SET_RX_PATH), ch, { antennaMask: 3, offchannel: true });
    expect(rx.length).toBe(CHAN_INFO_LEN);
    expect([...rx.subarray(0, 11)]).toEqual([36, 42, 2, 2, 3, 0, 0, 0, 0, 0, 1]);
    const sw = chanInfoPayload(MCU_EXT_CMD(McuExtCmdId.CHANNEL_SWITCH), ch, { antennaMask: 3, offchannel: true });
    expect([sw[3], sw[4], sw[5]]).toEqual([2, 2, 9]);
    const six = chanInfoPayload(MCU_EXT_CMD(McuExtCmdId.CHANNEL_SWITCH), chan20('6g', 5), {
      antennaMask: 1,
      dfs: true,
    });
    expect([six[2], six[5], six[10]]).toEqual([0, 5, 2]);
  });

  it('SET_CHAN_DOMAIN: header counts and 8-byte entries, 2.4 then 5 then 6 GHz, disabled skipped', () => {
    const p = chanDomainPayload('US', [
      { band: '5g', channel: 36, flags: 0 },
      { band: '2g', channel: 1, flags: 0 },
      { band: '2g', channel: 14, flags: IEEE80211_CHAN_DISABLED },
      { band: '6g', channel: 1, flags: 8 },
    ]);
    expect(p.length).toBe(12 + 3 * 8);
    expect(p.subarray(0, 2).toString()).toBe('US');
    expect([p[4], p[5], p[6], p[8], p[9], p[10]]).toEqual([0, 3, 3, 1, 1, 1]);
    expect([p.readUInt16LE(12), p.readUInt16LE(20), p.readUInt16LE(28), p.readUInt32LE(32)]).toEqual([1, 36, 1, 8]);
  });

  it('SET_RATE_TX_POWER: batches of 8, 44-byte header + 162 bytes per channel, last_msg on the last channel', () => {
    const last = ratePowerLastChannel(true, false);
    expect(last).toBe(177);
    const b2 = rateTxPowerPayloads('2g', 'US', { lastCh: last });
    expect(b2.map((b) => b.length)).toEqual([44 + 8 * 162, 44 + 6 * 162]);
    expect([b2[0]![4], b2[0]![5], b2[0]![6]]).toEqual([8, 1, 0]);
    const b5 = rateTxPowerPayloads('5g', 'US', { lastCh: last });
    expect(b5).toHaveLength(Math.ceil(TXPOWER_CHANNELS['5g'].length / 8));
    expect(b5.at(-1)![6]).toBe(1);
    expect(b5[0]![44]).toBe(36);
    // CCK limits only on 2.4 GHz: 127 elsewhere
    expect(b5[0]!.readInt8(45)).toBe(127);
    expect(b2[0]!.readInt8(45)).toBe(127);
    const limited = rateTxPowerPayloads('2g', 'US', { lastCh: last, powerLevel: 20 });
    expect(limited[0]!.readInt8(45)).toBe(40);
  });

  it('SET_RX_FILTER (68), SET_EDCA_PARMS (44), sniffer', () => {
    const f = rxFilterPayload(0, MT7921_FIF_BIT_SET, 1 << 11);
    expect(f.length).toBe(68);
    expect([f[4], f.readUInt32LE(8), f.readUInt32LE(12), f[16]]).toEqual([2, 0, 0x800, 1]);
    expect(rxFilterPayload(0x80000004, 0, 0)[4]).toBe(1);
    const e = edcaPayload(1, true, 0, [
      { aifs: 2, cwMin: 3, cwMax: 7, txop: 47 },
      { aifs: 2, cwMin: 7, cwMax: 15, txop: 94 },
      { aifs: 3, cwMin: 0, cwMax: 0, txop: 0 },
      { aifs: 7, cwMin: 15, cwMax: 1023, txop: 0 },
    ]);
    expect(e.length).toBe(44);
    // VO → slot 1, VI → slot 0, BE → slot 2 (zero cw → 5/10), BK → slot 3
    expect([e.readUInt16LE(10), e.readUInt16LE(14), e.readUInt16LE(16)]).toEqual([3, 47, 2]);
    expect([e.readUInt16LE(0), e.readUInt16LE(4)]).toEqual([7, 94]);
    expect([e.readUInt16LE(20), e.readUInt16LE(22), e.readUInt16LE(26)]).toEqual([5, 10, 3]);
    expect([e[40], e[41], e[42]]).toEqual([1, 1, 0]);
    expect(snifferEnablePayload(0, true).toString('hex')).toBe('000000000000080001000000');
    const sc = snifferConfigPayload(0, { band: '5g', channel: 36, width: '80', center1: 42 });
    expect(sc.length).toBe(20);
    expect([sc.readUInt16LE(4), sc.readUInt16LE(6), sc[10], sc[11], sc[12], sc[13], sc[14], sc[16]]).toEqual([
      1, 16, 2, 1, 36, 1, 42, 1,
    ]);
  });
});

describe('UNI device and BSS records (FACTS §6.5, §6.6)', () => {
  it('DEV_INFO: 16 bytes', () => {
    const p = devInfoPayload({ ...vif, omacIdx: 1 }, ME, true);
    expect(p.toString('hex')).toBe('01000000' + '00000c00' + '0100' + '021122334455');
  });

  it('BSS_INFO BASIC (32) + QBSS (8) with station connection type', () => {
    const p = bssBasicQosPayload(
      { ...vif, bssIdx: 2 },
      {
        active: true,
        connType: CONNECTION_INFRA_STA,
        connState: 0,
        bssid: AP,
        wcid: 17,
        beaconInterval: 100,
        dtimPeriod: 1,
        band: '2g',
      },
      true,
    );
    expect(p.length).toBe(4 + 32 + 8);
    expect(p[0]).toBe(2);
    expect([p.readUInt16LE(4), p.readUInt16LE(6)]).toEqual([UniBssInfoTag.BASIC, 32]);
    expect(p[8]).toBe(1);
    expect(p.readUInt32LE(12)).toBe(0x10001);
    expect(p.subarray(18, 24).toString('hex')).toBe('02aabbccddee');
    expect([p.readUInt16LE(24), p.readUInt16LE(26), p[28], p[29], p.readUInt16LE(30), p.readUInt16LE(32)]).toEqual([
      17, 100, 1, 0x4e, 17, 0x53,
    ]);
    expect([p.readUInt16LE(36), p.readUInt16LE(38), p[40]]).toEqual([UniBssInfoTag.QBSS, 8, 1]);
  });

  it('RLM, HE_BASIC + BSS_COLOR, PS, BCNFT', () => {
    const r = bssRlmPayload(0, { chan: { band: '5g', channel: 36, width: '80', center1: 42 }, antennaMask: 3 });
    expect(r.length).toBe(20);
    expect([...r.subarray(4, 18)]).toEqual([2, 0, 16, 0, 36, 42, 0, 2, 2, 3, 1, 4, 1, 1]);
    const r20 = bssRlmPayload(0, { chan: chan20('6g', 37), antennaMask: 3 });
    expect([r20[11], r20[15], r20[16], r20[17]]).toEqual([0, 0, 0, 3]);
    const he = bssHePayload(0, { maxNssMcs: [0xfffa, 0xffff, 0xffff], bssColor: { enable: true, color: 5 } });
    expect(he.length).toBe(28);
    expect([he.readUInt16LE(4), he.readUInt16LE(6), he.readUInt16LE(8), he[10], he.readUInt16LE(12)]).toEqual([
      5, 16, 1023, 4, 0xfffa,
    ]);
    expect([he.readUInt16LE(20), he.readUInt16LE(22), he[24], he[25]]).toEqual([4, 8, 1, 5]);
    expect(bssPsPayload(0, 2).toString('hex')).toBe('00000000' + '15000800' + '02000000');
    expect(bssBcnftPayload(0, 100, 3).toString('hex')).toBe('00000000' + '16000800' + '6400' + '0300');
  });
});

describe('STA records and keys (FACTS §6.7, §6.8)', () => {
  const base: StaRecInfo = {
    bssIdx: 0,
    omacIdx: 0,
    vifType: 'station',
    vifAid: 1,
    bssid: AP,
    basicRates: 0xf,
    band: '2g',
    wcid: 1,
    enable: true,
    state: StaInfoState.ASSOC,
    rcpi: 2 * -50 + 220,
    sta: {
      addr: AP,
      aid: 0,
      wme: true,
      ht: {
        cap: 0x01ef,
        ampduFactor: 3,
        ampduDensity: 5,
        rxMask: Uint8Array.from([0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]),
      },
      maxAmsduLen: 3839,
      suppRates: 0xfff,
      bandwidth: 1,
      rxNss: 2,
    },
  };

  it('peer AP of a station: header, TLV count, BASIC/HT/HW_AMSDU/PHY/RA/STATE/WTBL', () => {
    const p = staRecPayload(base);
    const v = parseStaRec(p)!;
    expect([v.bssIdx, v.wcid, v.isTlvAppend, v.muarIdx]).toEqual([0, 1, 1, 0]);
    expect(v.tlvs.map((t) => t.tag)).toEqual([
      StaRecTag.BASIC,
      StaRecTag.HT,
      StaRecTag.HW_AMSDU,
      StaRecTag.PHY,
      StaRecTag.RA,
      StaRecTag.STATE,
      StaRecTag.WTBL,
    ]);
    expect(v.tlvNum).toBe(7);
    expect(v.tlvs.map((t) => t.len)).toEqual([20, 8, 8, 12, 16, 12, 4 + 8 + 20 + 12 + 8 + 12 + 8]);
    const basic = v.tlvs[0]!.data;
    expect(basic.readUInt32LE(4)).toBe(0x10002);
    expect([basic[8], basic[9], basic.readUInt16LE(10), basic.readUInt16LE(18)]).toEqual([2, 1, 1, 1]);
    expect(basic.subarray(12, 18).toString('hex')).toBe('02aabbccddee');
    const phy = v.tlvs[3]!.data;
    expect([phy.readUInt16LE(4), phy[6], phy[7], phy[9]]).toEqual([0xf, 0x13, 3 | (5 << 2), 120]);
    const ra = v.tlvs[4]!.data;
    expect(ra.readUInt16LE(4)).toBe((0xff << 6) | 0xf);
    expect([ra[6], ra[7]]).toEqual([0xff, 0xff]);
    expect(v.tlvs[5]!.data[8]).toBe(StaInfoState.ASSOC);
    expect(v.wtbl!.op).toBe(1);
    expect(v.wtbl!.tlvNum).toBe(5);
    expect(v.wtbl!.tlvs.map((t) => t.tag)).toEqual([
      WtblTag.GENERIC,
      WtblTag.RX,
      WtblTag.HDR_TRANS,
      WtblTag.HT,
      WtblTag.SMPS,
    ]);
    const gen = v.wtbl!.tlvs[0]!.data;
    expect(gen.subarray(4, 10).toString('hex')).toBe('02aabbccddee');
    expect([gen[10], gen[13], gen.readUInt16LE(16)]).toEqual([0, 1, 1]);
    expect([...v.wtbl!.tlvs[1]!.data.subarray(4, 8)]).toEqual([0, 1, 1, 1]);
    expect([...v.wtbl!.tlvs[2]!.data.subarray(4, 7)]).toEqual([1, 0, 1]);
    expect([...v.wtbl!.tlvs[3]!.data.subarray(4, 8)]).toEqual([1, 1, 3, 5]);
  });

  it('VHT and HE peers add VHT, HE, HE_V2 and WTBL VHT', () => {
    const p = staRecPayload({
      ...base,
      band: '5g',
      sta: {
        ...base.sta!,
        vht: { cap: 0x0f8259b2 | 0x10, rxMcsMap: 0xfffa, txMcsMap: 0xfffa },
        he: { macCap: Uint8Array.from([1, 0, 8, 2, 0x44, 0]), phyCap: new Uint8Array(11).fill(0), rxMcs80: 0xfffa },
        bandwidth: 2,
      },
    });
    const v = parseStaRec(p)!;
    expect(v.tlvs.map((t) => t.tag)).toEqual([
      StaRecTag.BASIC,
      StaRecTag.HT,
      StaRecTag.VHT,
      StaRecTag.HW_AMSDU,
      StaRecTag.HE,
      StaRecTag.HE_V2,
      StaRecTag.PHY,
      StaRecTag.RA,
      StaRecTag.STATE,
      StaRecTag.WTBL,
    ]);
    const he = v.tlvs[4]!.data;
    expect(he.length).toBe(28);
    // HTC, BSR, OM, BQR, AMSDU in AMPDU
    expect(he.readUInt32LE(4)).toBe(0b11111);
    expect(he.readUInt16LE(20)).toBe(0xfffa);
    expect(v.tlvs[8]!.data[9]).toBe(2 | (1 << 4));
    expect(v.wtbl!.tlvs.map((t) => t.tag)).toContain(WtblTag.VHT);
    // VHT max A-MPDU exponent 7 raises the WTBL HT af
    const htW = v.wtbl!.tlvs.find((t) => t.tag === WtblTag.HT)!.data;
    expect(htW[6]).toBe(7);
  });

  it("the vif's own entry: no BASIC (firmware offload), muar 0xe, WTBL with BSSID", () => {
    const v = parseStaRec(staRecPayload({ ...base, sta: null, wcid: 17, state: StaInfoState.NONE }))!;
    expect(v.muarIdx).toBe(0xe);
    expect(v.tlvs.map((t) => t.tag)).toEqual([StaRecTag.WTBL]);
    expect(v.wtbl!.tlvs.map((t) => t.tag)).toEqual([WtblTag.GENERIC, WtblTag.RX, WtblTag.HDR_TRANS]);
    expect(v.wtbl!.tlvs[0]!.data[10]).toBe(0xe);
  });

  it('disable: BASIC with DISCONNECT and an empty WTBL', () => {
    const v = parseStaRec(staRecPayload({ ...base, enable: false }))!;
    expect(v.tlvs.map((t) => t.tag)).toEqual([StaRecTag.BASIC, StaRecTag.WTBL]);
    expect(v.tlvs[0]!.data[8]).toBe(0);
    expect(v.tlvs[0]!.data.readUInt16LE(18)).toBe(1);
    expect(v.wtbl!.tlvNum).toBe(0);
  });

  it('KEY_V2: install 44 bytes, remove 8, BIP 80 with the stored CCMP key first', () => {
    const t = { bssIdx: 0, wcid: 1, muarIdx: 0 };
    const key = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const inst = staKeyPayload(t, SetKeyCmd.SET_KEY, { cipher: McuCipher.AES_CCMP, keyIdx: 0, key })!;
    const v = parseStaRec(inst)!;
    expect(v.tlvNum).toBe(1);
    expect([v.tlvs[0]!.tag, v.tlvs[0]!.len]).toEqual([StaRecTag.KEY_V2, KEY_V2_INSTALL_LEN]);
    const d = v.tlvs[0]!.data;
    expect([d[4], d[5], d[8], d[9], d[10], d[11]]).toEqual([0, 1, McuCipher.AES_CCMP, 36, 0, 16]);
    expect(d.subarray(12, 28)).toEqual(Buffer.from(key));
    expect(inst.length).toBe(8 + 44);
    const rm = parseStaRec(staKeyPayload(t, SetKeyCmd.DISABLE_KEY, null)!)!;
    expect([rm.tlvs[0]!.len, rm.tlvs[0]!.data[4], rm.tlvs[0]!.data[5]]).toEqual([KEY_V2_REMOVE_LEN, 1, 0]);
    const igtk = Uint8Array.from({ length: 16 }, () => 0x77);
    const bip = parseStaRec(
      staKeyPayload(
        t,
        SetKeyCmd.SET_KEY,
        { cipher: McuCipher.BIP_CMAC_128, keyIdx: 4, key: igtk },
        { cipher: McuCipher.AES_CCMP, keyIdx: 1, key },
      )!,
    )!;
    const b = bip.tlvs[0]!.data;
    expect([bip.tlvs[0]!.len, b[5], b[8], b[10], b[11], b[44], b[47]]).toEqual([KEY_V2_BIP_LEN, 2, 5, 1, 16, 10, 16]);
    expect(b.subarray(48, 64)).toEqual(Buffer.from(igtk));
    const tkipKey = Uint8Array.from({ length: 32 }, (_, i) => i);
    const tk = parseStaRec(staKeyPayload(t, SetKeyCmd.SET_KEY, { cipher: McuCipher.TKIP, keyIdx: 0, key: tkipKey })!)!;
    const tkd = tk.tlvs[0]!.data;
    expect([...tkd.subarray(12 + 16, 12 + 24)]).toEqual([24, 25, 26, 27, 28, 29, 30, 31]);
    expect([...tkd.subarray(12 + 24, 12 + 32)]).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
    expect(staKeyPayload(t, SetKeyCmd.SET_KEY, { cipher: McuCipher.NONE, keyIdx: 0, key })).toBeNull();
  });

  it('BA TLV', () => {
    const v = parseStaRec(
      staBaPayload(
        { bssIdx: 0, wcid: 1, muarIdx: 0 },
        { tid: 5, tx: false, enable: true, amsdu: true, ssn: 100, bufSize: 64 },
      ),
    )!;
    expect([...v.tlvs[0]!.data]).toEqual([6, 0, 12, 0, 5, 2, 1, 1 << 5, 100, 0, 64, 0]);
  });

  it('STA_REC decode never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        parseStaRec(Buffer.from(b));
      }),
    );
  });
});

describe('hardware scan (FACTS §6.11)', () => {
  it('the 1186-byte request at the table offsets', () => {
    const p = hwScanPayload({
      seqNum: 5,
      bandIdx: 0,
      bssIdx: 0,
      ssids: [new Uint8Array(0), Buffer.from('airstack')],
      channels: [
        { band: '2g', channel: 1 },
        { band: '5g', channel: 36 },
        { band: '6g', channel: 37 },
      ],
      ies: Buffer.from([1, 2, 3]),
      bssid: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    });
    expect(p.length).toBe(HW_SCAN_REQ_LEN);
    expect([p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]]).toEqual([5, 0, 1, 4, 1, 2, 0x20, 1]);
    expect(p.readUInt32LE(8)).toBe(8);
    expect(p.subarray(12, 20).toString()).toBe('airstack');
    expect([p.readUInt16LE(152), p.readUInt16LE(154), p.readUInt16LE(156)]).toEqual([0, 0, 0]);
    expect([p[158], p[159], ...p.subarray(160, 166)]).toEqual([4, 3, 1, 1, 2, 36, 3, 37]);
    expect(p.readUInt16LE(224)).toBe(3);
    expect([...p.subarray(226, 229)]).toEqual([1, 2, 3]);
    expect([p[826], p[827], p.readUInt16LE(828)]).toEqual([0, 0, 0]);
    expect(p.subarray(1110, 1116).toString('hex')).toBe('ffffffffffff');
    expect(p[SCAN_OFF.ssidTypeExt]).toBe(1);
  });

  it('passive scans, channels 33..64 in ext_channels, >64 channels = all', () => {
    const chans = Array.from({ length: 40 }, (_, i) => ({ band: '2g' as const, channel: (i % 14) + 1 }));
    const p = hwScanPayload({ seqNum: 0x85, bandIdx: 1, bssIdx: 3, ssids: [], channels: chans });
    expect([p[0], p[2], p[3], p[5], p[159], p[826]]).toEqual([0x85, 0, 1, 0, 32, 8]);
    expect([p[830], p[831]]).toEqual([1, (32 % 14) + 1]);
    const all = hwScanPayload({
      seqNum: 1,
      bandIdx: 0,
      bssIdx: 0,
      ssids: [],
      channels: new Array(65).fill({ band: '2g', channel: 1 }),
    });
    expect([all[158], all[159]]).toEqual([0, 0]);
    expect(cancelHwScanPayload(5)).toEqual(Buffer.from([5, 0, 0, 0]));
  });

  it('SCAN_DONE decode: fixed offsets; build → parse round-trip; random never throws', () => {
    const b = buildScanDone({
      seqNum: 5,
      alpha2: 'US',
      beacon2gNum: 7,
      channels: [
        { channel: 1, idleTime: 100, beaconProbeNum: 3, mdrdyCount: 4, scanTime: 80 },
        { channel: 36, idleTime: 50, beaconProbeNum: 0, mdrdyCount: 0, scanTime: 110 },
      ],
    });
    expect(b.length).toBe(476);
    expect([b[4], b[20], b[21], b.readUInt16LE(84), b[212], b[276], b.readUInt32LE(340), b.readUInt16LE(350)]).toEqual([
      2, 1, 36, 100, 3, 4, 7, 110,
    ]);
    const d = parseScanDone(b)!;
    expect(d.seqNum).toBe(5);
    expect(d.alpha2).toBe('US');
    expect(d.channels).toHaveLength(2);
    expect(parseScanDone(b.subarray(0, 475))).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 470, maxLength: 500 }), (x) => {
        const s = parseScanDone(x);
        if (s) expect(buildScanDone(s).subarray(0, 20)[0]).toBe(x[0]);
      }),
    );
  });
});

describe('ROC (FACTS §6.10)', () => {
  it('acquire 28 bytes and abort 16 bytes', () => {
    const a = rocAcquirePayload({
      bssIdx: 0,
      token: 3,
      chan: chan20('5g', 36),
      reqType: RocReqType.JOIN,
      durationMs: 1000,
    });
    expect(a.toString('hex')).toBe(
      '00000000' + '00001800' + '00032400' + '02002400' + '00240000' + 'e8030000' + 'ff000000',
    );
    const x = rocAbortPayload(0, 3);
    expect(x.toString('hex')).toBe('00000000' + '01000c00' + '0003ff00' + '00000000');
  });

  it('grant event at offset 40 of the packet; round-trip', () => {
    const pkt = buildMcuEvent({
      eid: 0x27,
      seq: 0,
      option: 6,
      payload: buildRocGrantPayload({ tokenId: 3, reqType: 1, primaryChannel: 36, maxInterval: 1000 }),
    });
    const g = parseRocGrant(pkt)!;
    expect([g.tag, g.tokenId, g.reqType, g.primaryChannel, g.maxInterval]).toEqual([0, 3, 1, 36, 1000]);
    expect(parseRocGrant(pkt.subarray(0, 59))).toBeNull();
  });
});

describe('unsolicited events (FACTS §6.12)', () => {
  it('routes scan done, beacon loss, TX done, fw log, ROC grant; counts malformed and unknown', () => {
    const got: string[] = [];
    const r = new McuEventRouter({
      scanDone: (e) => got.push(`scan ${e.seqNum}`),
      beaconLoss: (e) => got.push(`loss ${e.bssIdx}/${e.reason}`),
      txDone: (e) => got.push(`txdone pid ${e.pid} acked ${e.txs.acked}`),
      fwLog: (e) => got.push(`log ${e.text}`),
      rocGrant: (g) => got.push(`roc ${g.tokenId}`),
      rssiNotify: (v) => got.push(`rssi ${v[0]}`),
    });
    const ev = (f: Parameters<typeof buildMcuEvent>[0]) => parseMcuEvent(buildMcuEvent(f))!;
    r.unsolicited(ev({ eid: McuEventId.SCAN_DONE, seq: 0, payload: buildScanDone({ seqNum: 9 }) }));
    r.unsolicited(ev({ eid: McuEventId.BSS_BEACON_LOSS, seq: 0, payload: Buffer.from([0, 1, 0, 0]) }));
    const td = Buffer.alloc(88);
    td[0] = 5;
    encodeTxs({ pid: 5, wcid: 1 }, td, 28);
    r.unsolicited(ev({ eid: McuEventId.TX_DONE, seq: 0, payload: td }));
    const log = Buffer.alloc(10 + 6);
    log[2] = 3;
    log.writeUInt16LE(6, 8);
    log.write('hi\0you', 10, 'latin1');
    r.unsolicited(ev({ eid: McuEventId.DBG_MSG, seq: 0, payload: log }));
    const rssi = Buffer.alloc(16);
    rssi.writeInt32LE(-61, 0);
    r.unsolicited(ev({ eid: McuEventId.RSSI_NOTIFY, seq: 0, payload: rssi }));
    r.uniUnsolicited(ev({ eid: 0x27, seq: 0, option: 4, payload: buildRocGrantPayload({ tokenId: 2 }) }));
    r.unsolicited(ev({ eid: McuEventId.SCAN_DONE, seq: 0, payload: Buffer.alloc(10) }));
    r.unsolicited(ev({ eid: 0x55, seq: 0 }));
    expect(got).toEqual(['scan 9', 'loss 0/1', 'txdone pid 5 acked true', 'log hi you', 'rssi -61', 'roc 2']);
    expect(r.stats.malformed).toBe(1);
    expect(r.stats.unhandled).toBe(1);
  });

  it('event payload decoders never throw on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        parseTxDone(b);
        parseDebugMsg(b);
        parseRocGrant(b);
      }),
    );
  });
});
