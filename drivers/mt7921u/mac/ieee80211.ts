/**
 * The few 802.11 header facts the descriptors need (frame control fields, header length). The full frame codecs
 * live in mac80211/; this file only reads what the TXD/RXD rules of FACTS.md §7 depend on.
 */

export const IEEE80211_FCTL_FTYPE = 0x000c;
export const IEEE80211_FCTL_STYPE = 0x00f0;
export const IEEE80211_FCTL_TODS = 0x0100;
export const IEEE80211_FCTL_FROMDS = 0x0200;
export const IEEE80211_FCTL_MOREFRAGS = 0x0400;
export const IEEE80211_FCTL_PROTECTED = 0x4000;
export const IEEE80211_FCTL_ORDER = 0x8000;

export const IEEE80211_FTYPE_MGMT = 0x0000;
export const IEEE80211_FTYPE_CTL = 0x0004;
export const IEEE80211_FTYPE_DATA = 0x0008;
export const IEEE80211_FTYPE_EXT = 0x000c;

export const IEEE80211_STYPE_ACTION = 0x00d0;
export const IEEE80211_STYPE_BEACON = 0x0080;
export const IEEE80211_STYPE_BACK_REQ = 0x0080;
export const IEEE80211_STYPE_QOS_DATA = 0x0080;
export const IEEE80211_STYPE_QOS_NULLFUNC = 0x00c0;
export const IEEE80211_STYPE_DEAUTH = 0x00c0;
export const IEEE80211_STYPE_DISASSOC = 0x00a0;

export const fcType = (fc: number): number => fc & IEEE80211_FCTL_FTYPE;
export const isMgmt = (fc: number): boolean => fcType(fc) === IEEE80211_FTYPE_MGMT;
export const isCtl = (fc: number): boolean => fcType(fc) === IEEE80211_FTYPE_CTL;
export const isData = (fc: number): boolean => fcType(fc) === IEEE80211_FTYPE_DATA;
export const isDataQos = (fc: number): boolean =>
  (fc & (IEEE80211_FCTL_FTYPE | 0x0080)) === (IEEE80211_FTYPE_DATA | IEEE80211_STYPE_QOS_DATA);
export const isQosNullfunc = (fc: number): boolean =>
  (fc & (IEEE80211_FCTL_FTYPE | IEEE80211_FCTL_STYPE)) === (IEEE80211_FTYPE_DATA | IEEE80211_STYPE_QOS_NULLFUNC);
export const isAction = (fc: number): boolean =>
  (fc & (IEEE80211_FCTL_FTYPE | IEEE80211_FCTL_STYPE)) === (IEEE80211_FTYPE_MGMT | IEEE80211_STYPE_ACTION);
export const isBeacon = (fc: number): boolean =>
  (fc & (IEEE80211_FCTL_FTYPE | IEEE80211_FCTL_STYPE)) === (IEEE80211_FTYPE_MGMT | IEEE80211_STYPE_BEACON);
export const isBackReq = (fc: number): boolean =>
  (fc & (IEEE80211_FCTL_FTYPE | IEEE80211_FCTL_STYPE)) === (IEEE80211_FTYPE_CTL | IEEE80211_STYPE_BACK_REQ);
export const hasMoreFrags = (fc: number): boolean => (fc & IEEE80211_FCTL_MOREFRAGS) !== 0;

/**
 * ieee80211_hdrlen: 24 for management, 24/30 for data (+2 QoS, +4 HT control when ORDER is set on QoS data),
 * control frames by subtype. Returns 0 for lengths it cannot know (extension frames).
 */
export function ieee80211HdrLen(fc: number): number {
  if (isData(fc)) {
    let len =
      (fc & (IEEE80211_FCTL_TODS | IEEE80211_FCTL_FROMDS)) === (IEEE80211_FCTL_TODS | IEEE80211_FCTL_FROMDS) ? 30 : 24;
    if (isDataQos(fc)) {
      len += 2;
      if (fc & IEEE80211_FCTL_ORDER) len += 4;
    }
    return len;
  }
  if (isMgmt(fc)) return fc & IEEE80211_FCTL_ORDER ? 28 : 24;
  if (isCtl(fc)) {
    const st = fc & IEEE80211_FCTL_STYPE;
    // CTS (0xc0) and ACK (0xd0): 10 bytes; everything else (RTS, PS-Poll, BAR, BA, CF-End, ...): 16
    if (st === 0x00c0 || st === 0x00d0) return 10;
    return 16;
  }
  return 0;
}

/** Multicast/broadcast destination (group bit of addr1). */
export const isMulticastAddr = (b: Uint8Array, off: number): boolean => (b[off]! & 1) !== 0;
