/**
 * The little of IEEE 802.11 the emulated chip needs to read frames on the air (IEEE 802.11-2020 §9.2–9.3): frame
 * control fields, header length, addresses. The emulator's own copy, independent of mac80211/ (it models hardware).
 */

export const FC_TYPE_MGMT = 0;
export const FC_TYPE_CTRL = 1;
export const FC_TYPE_DATA = 2;

export const FC_TODS = 0x0100;
export const FC_FROMDS = 0x0200;
export const FC_MOREFRAG = 0x0400;
export const FC_RETRY = 0x0800;
export const FC_PWRMGT = 0x1000;
export const FC_MOREDATA = 0x2000;
export const FC_PROTECTED = 0x4000;
export const FC_ORDER = 0x8000;

export const STYPE_PROBE_REQ = 4;
export const STYPE_PROBE_RESP = 5;
export const STYPE_BEACON = 8;

export function frameControl(f: Uint8Array): number {
  return f[0]! | (f[1]! << 8);
}

export function fcType(fc: number): number {
  return (fc >> 2) & 3;
}

export function fcSubtype(fc: number): number {
  return (fc >> 4) & 0xf;
}

export function isQosData(fc: number): boolean {
  return fcType(fc) === FC_TYPE_DATA && (fcSubtype(fc) & 0x8) !== 0;
}

/** MAC header length of a data or management frame (0 for a control frame or a frame too short to tell). */
export function headerLength(f: Uint8Array): number {
  if (f.length < 2) return 0;
  const fc = frameControl(f);
  const type = fcType(fc);
  if (type === FC_TYPE_MGMT) return fc & FC_ORDER ? 28 : 24;
  if (type !== FC_TYPE_DATA) return 0;
  let len = 24;
  if ((fc & (FC_TODS | FC_FROMDS)) === (FC_TODS | FC_FROMDS)) len += 6;
  if (isQosData(fc)) {
    len += 2;
    if (fc & FC_ORDER) len += 4;
  }
  return len;
}

export function isGroupAddr(f: Uint8Array, offset: number): boolean {
  return (f[offset]! & 1) !== 0;
}

/** Address n (1..4) of a data/management frame. */
export function addrOffset(n: 1 | 2 | 3 | 4): number {
  return n === 4 ? 24 : 4 + (n - 1) * 6;
}

export function sameAddr(a: Uint8Array, aOff: number, b: Uint8Array, bOff = 0): boolean {
  for (let i = 0; i < 6; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** TID of a QoS data frame (0 otherwise). */
export function qosTid(f: Uint8Array): number {
  const fc = frameControl(f);
  if (!isQosData(fc)) return 0;
  const off = (fc & (FC_TODS | FC_FROMDS)) === (FC_TODS | FC_FROMDS) ? 30 : 24;
  return f.length > off ? f[off]! & 0xf : 0;
}
