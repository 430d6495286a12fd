/**
 * Test worlds for mac80211: an AP interface and a station interface, each on its own Ieee80211Local with a fake
 * driver and its own NetCore, optionally joined by a synchronous "air". Delivered Ethernet frames, EAPOL PDUs and
 * management frames are recorded per side.
 */
import { VirtualClock } from '../../netstack/core/clock.ts';
import { NetCore } from '../../netstack/core/netdevice.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { macFromString } from '../../mac80211/addr.ts';
import { type Cipher, StaState } from '../../mac80211/driver-ops.ts';
import type { Ieee80211SubIf } from '../../mac80211/iface.ts';
import { Ieee80211Local } from '../../mac80211/local.ts';
import type { Ieee80211NetDev } from '../../mac80211/netdev.ts';
import type { StaInfo } from '../../mac80211/sta-info.ts';
import { FakeDriver } from './fake-driver.ts';

export const AP = macFromString('02:00:00:00:0a:00');
export const STA = macFromString('02:00:00:00:0b:00');
export const OTHER = macFromString('02:00:00:00:0c:00');
export const TK = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
export const GTK = Buffer.from('f0e0d0c0b0a090807060504030201000', 'hex');

export interface Side {
  clock: VirtualClock;
  drv: FakeDriver;
  local: Ieee80211Local;
  core: NetCore;
  sdata: Ieee80211SubIf;
  dev: Ieee80211NetDev;
  /** Ethernet frames delivered to the stack (copies). */
  delivered: Buffer[];
  eapol: { src: Buffer; pdu: Buffer; encrypted: boolean }[];
  mgmt: Buffer[];
}

export async function makeSide(
  type: 'station' | 'ap',
  addr: Uint8Array,
  clock: VirtualClock,
  opts: { hwCiphers?: Cipher[]; extraTxHeadroom?: number } = {},
): Promise<Side> {
  const drv = new FakeDriver(addr, opts);
  const local = new Ieee80211Local(drv, clock);
  await local.start();
  const core = new NetCore(clock);
  // A minimal eth_type_trans: the tests look at frames through the tap below.
  core.linkRx = (skb) => {
    skb.protocol = (skb.buf[skb.data + 12]! << 8) | skb.buf[skb.data + 13]!;
    skb.pull(14);
    return true;
  };
  const sdata = await local.addInterface(type, { core });
  const dev = sdata.dev!;
  dev.open();
  const side: Side = { clock, drv, local, core, sdata, dev, delivered: [], eapol: [], mgmt: [] };
  core.addTap({ dev, dir: 'rx', fn: (skb) => side.delivered.push(skb.copyBytes()) });
  core.addProtocol(0x0800, (skb) => skb.free());
  core.addProtocol(0x0806, (skb) => skb.free());
  core.addProtocol(0x86dd, (skb) => skb.free());
  sdata.rsn = {
    rxEapol: (src, pdu, _sta, encrypted) =>
      side.eapol.push({ src: Buffer.from(src), pdu: Buffer.from(pdu), encrypted }),
  };
  sdata.mlme = {
    rxMgmt: (skb) => {
      side.mgmt.push(skb.copyBytes());
      skb.free();
    },
  };
  return side;
}

export interface Pair {
  clock: VirtualClock;
  ap: Side;
  sta: Side;
  /** The AP's entry for the station. */
  apPeer: StaInfo;
  /** The station's entry for the AP. */
  staPeer: StaInfo;
}

export interface PairOptions {
  wmm?: boolean;
  /** Move both peers to AUTHORIZED (default true). */
  authorize?: boolean;
  /** Install the pairwise key TK and group key GTK (index 1) on both sides. */
  keys?: boolean;
  hwCiphers?: Cipher[];
  extraTxHeadroom?: number;
  /** Join the two fake drivers by a synchronous air. */
  air?: boolean;
  use4addr?: boolean;
}

export async function makePair(o: PairOptions = {}): Promise<Pair> {
  const clock = new VirtualClock();
  const ap = await makeSide('ap', AP, clock, o);
  const sta = await makeSide('station', STA, clock, o);
  sta.sdata.bss.bssid = Uint8Array.from(AP);
  sta.sdata.use4addr = o.use4addr ?? false;
  const wmm = o.wmm ?? true;
  const staPeer = await sta.local.staAdd(sta.sdata, AP, { wmm });
  const apPeer = await ap.local.staAdd(ap.sdata, STA, { wmm, aid: 1 });
  apPeer.use4addr = o.use4addr ?? false;
  const target = o.authorize === false ? StaState.ASSOC : StaState.AUTHORIZED;
  await sta.local.staMoveState(staPeer, target);
  await ap.local.staMoveState(apPeer, target);
  if (o.keys) {
    await sta.local.setKey(sta.sdata, staPeer, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true });
    await ap.local.setKey(ap.sdata, apPeer, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true });
    await sta.local.setKey(sta.sdata, null, { cipher: 'CCMP', keyIdx: 1, key: GTK, pairwise: false });
    await ap.local.setKey(ap.sdata, null, { cipher: 'CCMP', keyIdx: 1, key: GTK, pairwise: false, txKey: true });
    ap.sdata.privacy = true;
    sta.sdata.privacy = true;
  }
  if (o.air) {
    ap.drv.peer = sta.drv;
    sta.drv.peer = ap.drv;
  }
  return { clock, ap, sta, apPeer, staPeer };
}

/** An Ethernet frame. */
export function eth(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(14 + payload.length);
  b.set(dst, 0);
  b.set(src, 6);
  b.writeUInt16BE(type, 12);
  b.set(payload, 14);
  return b;
}

/** A minimal IPv4 header (DS field `tos`) and `n` bytes of payload (not checksummed: mac80211 does not look). */
export function ipv4(tos: number, n = 32, fill = 0x5a): Buffer {
  const b = Buffer.alloc(20 + n, fill);
  b[0] = 0x45;
  b[1] = tos;
  b.writeUInt16BE(20 + n, 2);
  b[8] = 64;
  b[9] = 17;
  return b;
}

/** An skb holding `frame` with the headroom the net device asks for (as the stack would allocate it). */
export function txSkb(dev: Ieee80211NetDev, frame: Uint8Array): SkBuff {
  return SkBuff.fromBytes(frame, dev.neededHeadroom, dev.neededTailroom);
}
