/**
 * Frame Control and the MAC header's shape (IEEE 802.11-2020 9.2.4), with Linux's names (include/linux/ieee80211.h).
 * These are the hot-path helpers: plain functions of the 16-bit Frame Control value and of (buffer, offset), with no
 * allocation.
 */

export const FCTL = {
  VERS: 0x0003,
  FTYPE: 0x000c,
  STYPE: 0x00f0,
  TODS: 0x0100,
  FROMDS: 0x0200,
  MOREFRAGS: 0x0400,
  RETRY: 0x0800,
  PM: 0x1000,
  MOREDATA: 0x2000,
  PROTECTED: 0x4000,
  ORDER: 0x8000,
} as const;

export const FTYPE = { MGMT: 0x0000, CTL: 0x0004, DATA: 0x0008, EXT: 0x000c } as const;

/** Subtypes, as in Linux (already shifted into place: OR with an FTYPE to get a Frame Control). */
export const STYPE = {
  // management
  ASSOC_REQ: 0x0000,
  ASSOC_RESP: 0x0010,
  REASSOC_REQ: 0x0020,
  REASSOC_RESP: 0x0030,
  PROBE_REQ: 0x0040,
  PROBE_RESP: 0x0050,
  TIMING_ADV: 0x0060,
  BEACON: 0x0080,
  ATIM: 0x0090,
  DISASSOC: 0x00a0,
  AUTH: 0x00b0,
  DEAUTH: 0x00c0,
  ACTION: 0x00d0,
  ACTION_NOACK: 0x00e0,
  // control
  TRIGGER: 0x0020,
  TACK: 0x0030,
  BFRP: 0x0040,
  NDPA: 0x0050,
  CTL_EXT: 0x0060,
  CTL_WRAPPER: 0x0070,
  BACK_REQ: 0x0080,
  BACK: 0x0090,
  PSPOLL: 0x00a0,
  RTS: 0x00b0,
  CTS: 0x00c0,
  ACK: 0x00d0,
  CFEND: 0x00e0,
  CFENDACK: 0x00f0,
  // data
  DATA: 0x0000,
  DATA_CFACK: 0x0010,
  DATA_CFPOLL: 0x0020,
  DATA_CFACKPOLL: 0x0030,
  NULLFUNC: 0x0040,
  CFACK: 0x0050,
  CFPOLL: 0x0060,
  CFACKPOLL: 0x0070,
  QOS_DATA: 0x0080,
  QOS_DATA_CFACK: 0x0090,
  QOS_DATA_CFPOLL: 0x00a0,
  QOS_DATA_CFACKPOLL: 0x00b0,
  QOS_NULLFUNC: 0x00c0,
  QOS_CFACK: 0x00d0,
  QOS_CFPOLL: 0x00e0,
  QOS_CFACKPOLL: 0x00f0,
  // extension
  DMG_BEACON: 0x0000,
  S1G_BEACON: 0x0010,
} as const;

export const SCTL_FRAG = 0x000f;
export const SCTL_SEQ = 0xfff0;

export const QOS_CTL_TID_MASK = 0x000f;
export const QOS_CTL_EOSP = 0x0010;
export const QOS_CTL_ACK_POLICY_MASK = 0x0060;
export const QOS_CTL_ACK_POLICY_NOACK = 0x0020;
export const QOS_CTL_A_MSDU_PRESENT = 0x0080;

export const HDR_LEN_3ADDR = 24;
export const ADDR4_LEN = 6;
export const QOS_CTL_LEN = 2;
export const HT_CTL_LEN = 4;

/** 0 management, 1 control, 2 data, 3 extension. */
export function fcType(fc: number): number {
  return (fc >> 2) & 3;
}

export function fcSubtype(fc: number): number {
  return (fc >> 4) & 0xf;
}

/** Type and subtype as one number, type * 16 + subtype (Wireshark's wlan.fc.type_subtype: beacon = 0x08, ACK = 0x1d). */
export function fcTypeSubtype(fc: number): number {
  return (fcType(fc) << 4) | fcSubtype(fc);
}

export const isMgmt = (fc: number): boolean => (fc & FCTL.FTYPE) === FTYPE.MGMT;
export const isCtl = (fc: number): boolean => (fc & FCTL.FTYPE) === FTYPE.CTL;
export const isData = (fc: number): boolean => (fc & FCTL.FTYPE) === FTYPE.DATA;
export const isExt = (fc: number): boolean => (fc & FCTL.FTYPE) === FTYPE.EXT;
/** A QoS data subtype (bit 7 of the subtype field's position set). */
export const isDataQos = (fc: number): boolean => (fc & (FCTL.FTYPE | 0x0080)) === (FTYPE.DATA | 0x0080);
/** Data frames that carry no MSDU (Null, QoS Null, CF-Ack/Poll without data). */
export const isDataNoPayload = (fc: number): boolean => isData(fc) && (fc & 0x0040) !== 0;
export const hasToDs = (fc: number): boolean => (fc & FCTL.TODS) !== 0;
export const hasFromDs = (fc: number): boolean => (fc & FCTL.FROMDS) !== 0;
export const hasA4 = (fc: number): boolean => (fc & (FCTL.TODS | FCTL.FROMDS)) === (FCTL.TODS | FCTL.FROMDS);
export const isProtected = (fc: number): boolean => (fc & FCTL.PROTECTED) !== 0;
export const hasOrder = (fc: number): boolean => (fc & FCTL.ORDER) !== 0;
export const isMgmtStype = (fc: number, stype: number): boolean =>
  (fc & (FCTL.FTYPE | FCTL.STYPE)) === (FTYPE.MGMT | stype);
export const isCtlStype = (fc: number, stype: number): boolean =>
  (fc & (FCTL.FTYPE | FCTL.STYPE)) === (FTYPE.CTL | stype);

/** Control subtypes whose header has a transmitter address (RA, TA) rather than RA alone. */
export function ctlHasTa(fc: number): boolean {
  const st = fcSubtype(fc);
  return st === 2 || st === 3 || st === 4 || st === 5 || (st >= 8 && st <= 11) || st === 14 || st === 15;
}

/** MAC header length for a Frame Control value (Linux's ieee80211_hdrlen). */
export function hdrLen(fc: number): number {
  switch (fc & FCTL.FTYPE) {
    case FTYPE.DATA: {
      let n = HDR_LEN_3ADDR;
      if (hasA4(fc)) n += ADDR4_LEN;
      if (fc & 0x0080) {
        n += QOS_CTL_LEN;
        if (hasOrder(fc)) n += HT_CTL_LEN;
      }
      return n;
    }
    case FTYPE.MGMT:
      return hasOrder(fc) ? HDR_LEN_3ADDR + HT_CTL_LEN : HDR_LEN_3ADDR;
    case FTYPE.CTL:
      return ctlHasTa(fc) ? 16 : 10;
    default:
      return 10;
  }
}

export function fcAt(b: Uint8Array, off: number): number {
  return b[off] | (b[off + 1] << 8);
}

/** Offset of address n (1..4) from the start of the header. */
export function addrOffset(n: 1 | 2 | 3 | 4): number {
  return n === 4 ? 24 : 4 + (n - 1) * 6;
}

/** Offset of the QoS Control field from the start of a QoS data header. */
export function qosOffset(fc: number): number {
  return hasA4(fc) ? 30 : 24;
}

/** Destination address offset (ieee80211_get_DA): addr3 when To DS, else addr1. */
export function daOffset(fc: number): number {
  return hasToDs(fc) ? 16 : 4;
}

/** Source address offset (ieee80211_get_SA): addr4 with both DS bits, addr3 From DS, else addr2. */
export function saOffset(fc: number): number {
  if (hasFromDs(fc)) return hasToDs(fc) ? 24 : 16;
  return 10;
}

/** BSSID offset for management and data frames (-1 for 4-address frames, which have none). */
export function bssidOffset(fc: number): number {
  if (!isData(fc)) return 16;
  switch (fc & (FCTL.TODS | FCTL.FROMDS)) {
    case 0:
      return 16;
    case FCTL.FROMDS:
      return 10;
    case FCTL.TODS:
      return 4;
    default:
      return -1;
  }
}

/** 802.11 subtype names as Wireshark prints them, for logs and tests. */
export function frameTypeName(fc: number): string {
  const t = fcType(fc);
  const st = fcSubtype(fc);
  const names: readonly (readonly string[])[] = [
    [
      'Association Request',
      'Association Response',
      'Reassociation Request',
      'Reassociation Response',
      'Probe Request',
      'Probe Response',
      'Timing Advertisement',
      'Reserved',
      'Beacon',
      'ATIM',
      'Disassociation',
      'Authentication',
      'Deauthentication',
      'Action',
      'Action No Ack',
      'Reserved',
    ],
    [
      'Reserved',
      'Reserved',
      'Trigger',
      'TACK',
      'Beamforming Report Poll',
      'NDP Announcement',
      'Control Frame Extension',
      'Control Wrapper',
      'Block Ack Request',
      'Block Ack',
      'PS-Poll',
      'RTS',
      'CTS',
      'ACK',
      'CF-End',
      'CF-End+CF-Ack',
    ],
    [
      'Data',
      'Data+CF-Ack',
      'Data+CF-Poll',
      'Data+CF-Ack+CF-Poll',
      'Null',
      'CF-Ack',
      'CF-Poll',
      'CF-Ack+CF-Poll',
      'QoS Data',
      'QoS Data+CF-Ack',
      'QoS Data+CF-Poll',
      'QoS Data+CF-Ack+CF-Poll',
      'QoS Null',
      'Reserved',
      'QoS CF-Poll',
      'QoS CF-Ack+CF-Poll',
    ],
    ['DMG Beacon', 'S1G Beacon', ...Array<string>(14).fill('Reserved')],
  ];
  return names[t][st];
}

/**
 * Hot-path header check for a frame at b[off, end): its header length, or -1 when the frame is shorter than its
 * header or not protocol version 0. No allocation; callers count the drop.
 */
export function rxHeaderLength(b: Uint8Array, off: number, end: number): number {
  if (end - off < 10) return -1;
  const fc = fcAt(b, off);
  if (fc & FCTL.VERS) return -1;
  const n = hdrLen(fc);
  return end - off < n ? -1 : n;
}

export function seqCtrlAt(b: Uint8Array, off: number): number {
  return b[off + 22] | (b[off + 23] << 8);
}

/** QoS Control of a QoS data frame at b[off] (the caller checked isDataQos). */
export function qosCtrlAt(b: Uint8Array, off: number, fc: number): number {
  const q = off + qosOffset(fc);
  return b[q] | (b[q + 1] << 8);
}
