/**
 * Builders for the frames the station MLME and the AP send: probe request/response, beacon, authentication,
 * (re)association request/response, deauthentication, disassociation, Block Ack setup, control responses, and data
 * frames (with `writeDataHeader` for the hot path: the header is written into an skb's headroom in place).
 *
 * Builders return `Frame` values; `encodeFrame` (or `frameToSkb`) turns them into octets. Sequence numbers are
 * the caller's (mac80211 keeps the counters).
 */
import { type MacAddr, BROADCAST_ADDR } from '../addr.ts';
import { concatBytes, Elements } from '../elements/elements.ts';
import { SkBuff, SKB_DEFAULT_HEADROOM } from '../../netstack/core/skb.ts';
import { writeFcs, FCS_LEN } from '../fcs.ts';
import type { ActionBody } from './action.ts';
import type { CtrlBody } from './ctrl.ts';
import { FCTL, FTYPE, hdrLen, STYPE } from './fc.ts';
import { encodeFrameBody, type CtrlFrame, type DataFrame, type Frame, type MgmtFrame } from './frame.ts';
import { type Header, seqCtrlOf, writeHeader } from './header.ts';
import type { MgmtBody } from './mgmt.ts';

/** Elements from already-encoded elements (see `encodeElement`), in the order given. */
export function elementsOf(...parts: Uint8Array[]): Elements {
  return Elements.of(concatBytes(parts));
}

interface MgmtAddrs {
  /** Receiver / destination (addr1). */
  da: MacAddr;
  /** Transmitter / source (addr2). */
  sa: MacAddr;
  /** BSSID (addr3). */
  bssid: MacAddr;
  seq?: number;
  duration?: number;
  /** Extra Frame Control flags (retry, power management, protected...). */
  flags?: number;
}

function mgmt(stype: number, a: MgmtAddrs, body: MgmtBody): MgmtFrame {
  return {
    type: 'mgmt',
    fcs: null,
    header: {
      fc: FTYPE.MGMT | stype | (a.flags ?? 0),
      duration: a.duration ?? 0,
      addr1: a.da,
      addr2: a.sa,
      addr3: a.bssid,
      seqCtrl: seqCtrlOf(a.seq ?? 0),
      addr4: null,
      qosCtrl: null,
      htCtrl: null,
    },
    body,
  };
}

export function buildProbeReq(p: {
  sa: MacAddr;
  da?: MacAddr;
  bssid?: MacAddr;
  seq?: number;
  elements: Elements;
}): MgmtFrame {
  return mgmt(
    STYPE.PROBE_REQ,
    { da: p.da ?? BROADCAST_ADDR, sa: p.sa, bssid: p.bssid ?? BROADCAST_ADDR, seq: p.seq },
    { kind: 'probe-req', elements: p.elements },
  );
}

interface BeaconParams {
  bssid: MacAddr;
  /** TSF in µs at the first octet of the timestamp on air (the radio overwrites it when it can). */
  timestamp: bigint;
  /** In TUs (1024 µs). */
  beaconInterval: number;
  capability: number;
  elements: Elements;
  seq?: number;
}

export function buildBeacon(p: BeaconParams): MgmtFrame {
  return mgmt(
    STYPE.BEACON,
    { da: BROADCAST_ADDR, sa: p.bssid, bssid: p.bssid, seq: p.seq },
    {
      kind: 'beacon',
      timestamp: p.timestamp,
      beaconInterval: p.beaconInterval,
      capability: p.capability,
      elements: p.elements,
    },
  );
}

export function buildProbeResp(p: BeaconParams & { da: MacAddr }): MgmtFrame {
  return mgmt(
    STYPE.PROBE_RESP,
    { da: p.da, sa: p.bssid, bssid: p.bssid, seq: p.seq },
    {
      kind: 'probe-resp',
      timestamp: p.timestamp,
      beaconInterval: p.beaconInterval,
      capability: p.capability,
      elements: p.elements,
    },
  );
}

export function buildAuth(
  a: MgmtAddrs & { algorithm: number; transaction: number; status: number; elements?: Elements; rest?: Uint8Array },
): MgmtFrame {
  const rest = a.rest ?? a.elements?.bytes ?? new Uint8Array(0);
  return mgmt(STYPE.AUTH, a, {
    kind: 'auth',
    algorithm: a.algorithm,
    transaction: a.transaction,
    status: a.status,
    elements: a.elements ?? null,
    rest,
  });
}

export function buildAssocReq(
  a: MgmtAddrs & { capability: number; listenInterval: number; elements: Elements },
): MgmtFrame {
  return mgmt(STYPE.ASSOC_REQ, a, {
    kind: 'assoc-req',
    capability: a.capability,
    listenInterval: a.listenInterval,
    elements: a.elements,
  });
}

export function buildReassocReq(
  a: MgmtAddrs & { capability: number; listenInterval: number; currentAp: MacAddr; elements: Elements },
): MgmtFrame {
  return mgmt(STYPE.REASSOC_REQ, a, {
    kind: 'reassoc-req',
    capability: a.capability,
    listenInterval: a.listenInterval,
    currentAp: a.currentAp,
    elements: a.elements,
  });
}

/** Association response; `aid` is the bare AID (1..2007): B14 and B15 are set as 802.11 requires. */
export function buildAssocResp(
  a: MgmtAddrs & { capability: number; status: number; aid: number; elements: Elements; reassoc?: boolean },
): MgmtFrame {
  const kind = a.reassoc ? 'reassoc-resp' : 'assoc-resp';
  return mgmt(a.reassoc ? STYPE.REASSOC_RESP : STYPE.ASSOC_RESP, a, {
    kind,
    capability: a.capability,
    status: a.status,
    aid: a.status === 0 ? (a.aid & 0x3fff) | 0xc000 : 0,
    elements: a.elements,
  });
}

export function buildDeauth(a: MgmtAddrs & { reason: number }): MgmtFrame {
  return mgmt(STYPE.DEAUTH, a, { kind: 'deauth', reason: a.reason, elements: Elements.empty() });
}

export function buildDisassoc(a: MgmtAddrs & { reason: number }): MgmtFrame {
  return mgmt(STYPE.DISASSOC, a, { kind: 'disassoc', reason: a.reason, elements: Elements.empty() });
}

export function buildAction(a: MgmtAddrs & { action: ActionBody }): MgmtFrame {
  return mgmt(STYPE.ACTION, a, { kind: 'action', action: a.action });
}

export function buildAddbaReq(
  a: MgmtAddrs & { dialogToken: number; params: number; timeout: number; startSeq: number },
): MgmtFrame {
  return buildAction({
    ...a,
    action: {
      kind: 'addba-req',
      dialogToken: a.dialogToken,
      params: a.params,
      timeout: a.timeout,
      startSeqCtrl: seqCtrlOf(a.startSeq),
      elements: Elements.empty(),
    },
  });
}

export function buildAddbaResp(
  a: MgmtAddrs & { dialogToken: number; status: number; params: number; timeout: number },
): MgmtFrame {
  return buildAction({
    ...a,
    action: {
      kind: 'addba-resp',
      dialogToken: a.dialogToken,
      status: a.status,
      params: a.params,
      timeout: a.timeout,
      elements: Elements.empty(),
    },
  });
}

export function buildDelba(a: MgmtAddrs & { params: number; reason: number }): MgmtFrame {
  return buildAction({
    ...a,
    action: { kind: 'delba', params: a.params, reason: a.reason, elements: Elements.empty() },
  });
}

// ---- control ----

function ctrl(stype: number, ra: MacAddr, ta: MacAddr | null, duration: number, body: CtrlBody): CtrlFrame {
  return {
    type: 'ctrl',
    fcs: null,
    header: {
      fc: FTYPE.CTL | stype,
      duration,
      addr1: ra,
      addr2: ta,
      addr3: null,
      seqCtrl: null,
      addr4: null,
      qosCtrl: null,
      htCtrl: null,
    },
    body,
  };
}

export const buildAck = (ra: MacAddr, duration = 0): CtrlFrame => ctrl(STYPE.ACK, ra, null, duration, { kind: 'ack' });
export const buildCts = (ra: MacAddr, duration: number): CtrlFrame =>
  ctrl(STYPE.CTS, ra, null, duration, { kind: 'cts' });
export const buildRts = (ra: MacAddr, ta: MacAddr, duration: number): CtrlFrame =>
  ctrl(STYPE.RTS, ra, ta, duration, { kind: 'rts' });

/** PS-Poll: the Duration/ID field carries the AID with B14 and B15 set. */
export function buildPsPoll(bssid: MacAddr, ta: MacAddr, aid: number): CtrlFrame {
  return ctrl(STYPE.PSPOLL, bssid, ta, (aid & 0x3fff) | 0xc000, { kind: 'ps-poll' });
}

/** Compressed Block Ack Request (BAR type 2) for a TID. */
export function buildBar(ra: MacAddr, ta: MacAddr, tid: number, startSeq: number): CtrlFrame {
  return ctrl(STYPE.BACK_REQ, ra, ta, 0, {
    kind: 'bar',
    control: (2 << 1) | (tid << 12),
    startSeqCtrl: seqCtrlOf(startSeq),
    rest: new Uint8Array(0),
  });
}

/** Compressed Block Ack (type 2, 8-octet bitmap) for a TID, immediate policy. */
export function buildBa(ra: MacAddr, ta: MacAddr, tid: number, startSeq: number, bitmap: Uint8Array): CtrlFrame {
  if (bitmap.length !== 8) throw new Error('compressed Block Ack bitmap is 8 octets');
  return ctrl(STYPE.BACK, ra, ta, 0, {
    kind: 'ba',
    control: (2 << 1) | (tid << 12),
    startSeqCtrl: seqCtrlOf(startSeq),
    bitmap,
    rest: new Uint8Array(0),
  });
}

// ---- data ----

export interface DataHeaderParams {
  toDs: boolean;
  fromDs: boolean;
  addr1: MacAddr;
  addr2: MacAddr;
  addr3: MacAddr;
  addr4?: MacAddr;
  seq: number;
  frag?: number;
  /** QoS data (or QoS Null) with this TID; undefined for non-QoS. */
  tid?: number;
  /** QoS ack policy (0 normal, 1 no ack...), and A-MSDU present. */
  ackPolicy?: number;
  amsdu?: boolean;
  /** Null / QoS Null (no payload). */
  nullData?: boolean;
  protected?: boolean;
  moreFragments?: boolean;
  powerMgmt?: boolean;
  moreData?: boolean;
  duration?: number;
}

export function dataFc(p: DataHeaderParams): number {
  const qos = p.tid !== undefined;
  let stype: number = qos ? STYPE.QOS_DATA : STYPE.DATA;
  if (p.nullData) stype = qos ? STYPE.QOS_NULLFUNC : STYPE.NULLFUNC;
  let fc = FTYPE.DATA | stype;
  if (p.toDs) fc |= FCTL.TODS;
  if (p.fromDs) fc |= FCTL.FROMDS;
  if (p.protected) fc |= FCTL.PROTECTED;
  if (p.moreFragments) fc |= FCTL.MOREFRAGS;
  if (p.powerMgmt) fc |= FCTL.PM;
  if (p.moreData) fc |= FCTL.MOREDATA;
  return fc;
}

function dataHeader(p: DataHeaderParams): Header {
  const fc = dataFc(p);
  if (p.toDs && p.fromDs && !p.addr4) throw new Error('a 4-address data frame needs addr4');
  return {
    fc,
    duration: p.duration ?? 0,
    addr1: p.addr1,
    addr2: p.addr2,
    addr3: p.addr3,
    seqCtrl: seqCtrlOf(p.seq, p.frag ?? 0),
    addr4: p.toDs && p.fromDs ? (p.addr4 ?? null) : null,
    qosCtrl: p.tid === undefined ? null : (p.tid & 0xf) | ((p.ackPolicy ?? 0) << 5) | (p.amsdu ? 0x80 : 0),
    htCtrl: null,
  };
}

/** Length of the data header these parameters produce. */
export function dataHeaderLength(p: DataHeaderParams): number {
  return hdrLen(dataFc(p));
}

/** Write a data header at buf[off] (into an skb's headroom); returns its length. Allocates nothing. */
export function writeDataHeader(buf: Uint8Array, off: number, p: DataHeaderParams): number {
  const fc = dataFc(p);
  const a4 = p.toDs && p.fromDs;
  if (a4 && !p.addr4) throw new Error('a 4-address data frame needs addr4');
  const dur = p.duration ?? 0;
  const sc = ((p.seq & 0xfff) << 4) | ((p.frag ?? 0) & 0xf);
  buf[off] = fc & 0xff;
  buf[off + 1] = fc >> 8;
  buf[off + 2] = dur & 0xff;
  buf[off + 3] = dur >> 8;
  buf.set(p.addr1, off + 4);
  buf.set(p.addr2, off + 10);
  buf.set(p.addr3, off + 16);
  buf[off + 22] = sc & 0xff;
  buf[off + 23] = sc >> 8;
  let q = off + 24;
  if (a4 && p.addr4) {
    buf.set(p.addr4, q);
    q += 6;
  }
  if (p.tid !== undefined) {
    buf[q] = (p.tid & 0xf) | ((p.ackPolicy ?? 0) << 5) | (p.amsdu ? 0x80 : 0);
    buf[q + 1] = 0;
    q += 2;
  }
  return q - off;
}

export function buildData(p: DataHeaderParams & { payload: Uint8Array }): DataFrame {
  return { type: 'data', fcs: null, header: dataHeader(p), body: { kind: 'data', payload: p.payload } };
}

/**
 * An skb holding the encoded frame, with `headroom` octets free in front (for a TX descriptor or radiotap) and,
 * with `fcs`, the FCS appended.
 */
export function frameToSkb(f: Frame, opts: { headroom?: number; fcs?: boolean } = {}): SkBuff {
  const body = encodeFrameBody(f);
  const hl = hdrLen(f.header.fc);
  const len = hl + body.length + (opts.fcs ? FCS_LEN : 0);
  const skb = SkBuff.alloc(len, opts.headroom ?? SKB_DEFAULT_HEADROOM);
  const off = skb.put(len);
  writeHeader(f.header, skb.buf, off);
  skb.buf.set(body, off + hl);
  if (opts.fcs) writeFcs(skb.buf, off, off + len);
  skb.macHeader = off;
  return skb;
}
