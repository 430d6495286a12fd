/**
 * The transmit path (Linux's net/mac80211/tx.c: ieee80211_subif_start_xmit → ieee80211_build_hdr → the TX handlers
 * → drv_tx), for Ethernet frames from the interface's net device and for EAPOL from the RSN handler:
 *
 *  - the peer: the AP for a station (addr1 = BSSID, To DS; addr2 = the frame's SA, addr3 = DA; 4-address with
 *    addr4 = SA when the station is a WDS client); for an AP the client named by DA (From DS: DA, BSSID, SA), or
 *    no peer for group-addressed frames;
 *  - the 802.1X controlled port: until the peer is authorized, only EAPOL from our own address leaves;
 *  - priority: EAPOL 7, otherwise cfg80211_classify8021d (VLAN PCP, DSCP per RFC 8325); QoS data with that TID when
 *    the peer does WMM (else non-QoS, priority 0), the access category from the TID;
 *  - sequence numbers per TID for unicast QoS data, else the interface's counter;
 *  - encapsulation: RFC 1042 (or 802.1H for AARP/IPX) SNAP in place of the Ethernet header, in the skb's headroom
 *    (the net device asks for enough headroom, so nothing is copied in the common case);
 *  - the key: the peer's pairwise key (the AP's group key for group-addressed frames); in hardware when the driver
 *    took the key (mac80211 writes the CCMP header with the PN unless the hardware generates it), else CCMP in
 *    software. EAPOL is sent in the clear only while no key exists.
 */
import type { SkBuff } from '../../netstack/core/skb.ts';
import { isMulticastAddr, macEqual } from '../addr.ts';
import { ETH_ALEN, ETH_HLEN, snapHeaderFor } from '../bridge/llc.ts';
import { Ac, type TxInfo } from '../driver-ops.ts';
import { FCTL } from '../frame/fc.ts';
import { type DataHeaderParams, dataHeaderLength, writeDataHeader } from '../frame/build.ts';
import type { Ieee80211SubIf } from '../iface.ts';
import type { Ieee80211Key } from '../key.ts';
import { writeCcmpHeader } from '../rsn/ccmp.ts';
import type { StaInfo } from '../sta-info.ts';
import type { TxDropReason } from '../stats.ts';
import { classify8021d, tidToAc } from './classify.ts';

/** Largest MSDU 802.11 carries (802.11-2020 Table 9-19). */
export const MAX_MSDU = 2304;

const da = new Uint8Array(ETH_ALEN);
const sa = new Uint8Array(ETH_ALEN);
const hdr: DataHeaderParams = {
  toDs: false,
  fromDs: false,
  addr1: da,
  addr2: sa,
  addr3: da,
  addr4: undefined,
  seq: 0,
  tid: undefined,
};

function txDrop(sdata: Ieee80211SubIf, skb: SkBuff, reason: TxDropReason): void {
  sdata.local.txStats.drop[reason]++;
  skb.drop();
}

/**
 * ieee80211_subif_start_xmit: one Ethernet frame (skb.data at the Ethernet header) out of interface `sdata`.
 * Takes ownership: the frame is handed to the driver or dropped and counted.
 */
export function ieee80211SubifStartXmit(sdata: Ieee80211SubIf, skb: SkBuff): void {
  const local = sdata.local;
  if (skb.len < ETH_HLEN) {
    txDrop(sdata, skb, 'short');
    return;
  }
  if (!local.started || !sdata.running || sdata.type === 'monitor') {
    txDrop(sdata, skb, 'down');
    return;
  }
  const buf = skb.buf;
  const d = skb.data;
  const ethertype = (buf[d + 12]! << 8) | buf[d + 13]!;
  const eapol = ethertype === sdata.controlPortProtocol;
  const groupDa = isMulticastAddr(buf, d);

  // The peer and the addressing.
  let sta: StaInfo | null;
  if (sdata.type === 'station') {
    sta = sdata.apSta;
    if (sta === null) {
      txDrop(sdata, skb, 'not-associated');
      return;
    }
  } else {
    sta = groupDa ? null : sdata.staGet(buf, d);
    if (!groupDa && sta === null) {
      txDrop(sdata, skb, 'no-sta');
      return;
    }
  }
  // addr1 is a group address only for an AP's group-addressed frames.
  const multicast = sta === null;
  const ownEapol = eapol && macEqual(buf, d + ETH_ALEN, sdata.addr);
  if (!multicast && !sta!.authorized && !ownEapol) {
    txDrop(sdata, skb, 'unauthorized');
    return;
  }

  // The key.
  let key: Ieee80211Key | null = null;
  if (sta !== null) key = sta.txKey;
  else if (sdata.defaultMulticastKey >= 0) key = sdata.keys[sdata.defaultMulticastKey] ?? null;
  if (key === null && multicast && sdata.privacy && !eapol) {
    txDrop(sdata, skb, 'unauthorized');
    return;
  }
  const hw = key?.uploaded;
  if (key !== null && !hw && key.sw === null) {
    txDrop(sdata, skb, 'no-key');
    return;
  }
  if (key !== null && key.txPn >= 2 ** 48 - 1) {
    txDrop(sdata, skb, 'key-pn-exhausted');
    return;
  }
  const ivLen = key === null || (hw && key.conf.hwGeneratesIv) ? 0 : key.ivLen;
  const micLen = key === null || hw ? 0 : key.micLen;

  // Priority and QoS.
  const qos = sta?.wme;
  let tid = 0;
  if (qos) tid = eapol ? 7 : classify8021d(skb);
  skb.priority = tid;

  // Header fields.
  for (let i = 0; i < ETH_ALEN; i++) {
    da[i] = buf[d + i]!;
    sa[i] = buf[d + ETH_ALEN + i]!;
  }
  const a4 = sta !== null && (sdata.type === 'station' ? sdata.use4addr : sta.use4addr);
  hdr.tid = qos ? tid : undefined;
  hdr.addr4 = undefined;
  if (sdata.type === 'station') {
    hdr.toDs = true;
    hdr.fromDs = a4;
    hdr.addr1 = sta!.addr;
    if (a4) {
      hdr.addr2 = sdata.addr;
      hdr.addr3 = da;
      hdr.addr4 = sa;
    } else {
      hdr.addr2 = sa;
      hdr.addr3 = da;
    }
  } else {
    hdr.toDs = a4;
    hdr.fromDs = true;
    hdr.addr1 = a4 ? sta!.addr : da;
    hdr.addr2 = sdata.addr;
    hdr.addr3 = a4 ? da : sa;
    if (a4) hdr.addr4 = sa;
  }
  hdr.seq = qos && !multicast ? sta!.txSeq[tid]! : sdata.nextSeq();
  const hl = dataHeaderLength(hdr);

  // Room: the 802.11 header, security header and LLC/SNAP replace the Ethernet header.
  const snap = snapHeaderFor(ethertype);
  const removed = snap === null ? ETH_HLEN : 2 * ETH_ALEN - snap.length;
  const msduLen = skb.len - removed;
  if (msduLen > MAX_MSDU) {
    txDrop(sdata, skb, 'too-long');
    return;
  }
  const push = hl + ivLen - removed;
  const extra = local.caps.extraTxHeadroom;
  if (skb.headroom < push + extra || skb.tailroom < micLen) skb.ensureRoom(push + extra, micLen);
  if (qos && !multicast) sta!.txSeq[tid] = (hdr.seq + 1) & 0xfff;
  const b = skb.buf;
  if (snap !== null) b.set(snap, skb.data + ETH_ALEN * 2 - snap.length);
  if (push >= 0) skb.push(push);
  else skb.pull(-push);
  writeDataHeader(b, skb.data, hdr);

  const stats = local.txStats;
  if (key !== null) {
    if (!hw) {
      skb.put(micLen);
      key.sw!.encrypt(b, skb.data, skb.len);
      stats.swEncrypted++;
    } else {
      b[skb.data + 1]! |= FCTL.PROTECTED >> 8;
      if (ivLen) writeCcmpHeader(b, skb.data + hl, key.nextTxPn(), key.keyIdx);
      stats.hwEncrypted++;
    }
  } else if (eapol) stats.eapolPlain++;
  skb.macHeader = skb.data;

  const info: TxInfo = {
    vif: sdata.vif,
    sta: sta === null ? null : sta.sta,
    ac: qos ? tidToAc(tid) : Ac.BE,
    tid,
    hwKey: hw ? key!.conf : null,
    reqTxStatus: eapol,
    noAck: multicast,
    useMinRate: eapol || multicast,
    offChannel: false,
  };
  stats.frames++;
  stats.bytes += skb.len;
  if (eapol) stats.eapol++;
  if (multicast) stats.multicast++;
  if (sta !== null) {
    sta.tx.packets++;
    sta.tx.bytes += skb.len;
  }
  local.driverTx(skb, info);
}
