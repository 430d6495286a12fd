/**
 * Ethernet II / 802.3 header codec (IEEE 802.3 clause 3, 802.1Q-2018 clause 9 for tags). The receive path does not
 * use the decoder (eth_type_trans works on the bytes in place); it is for tools, tests and captures.
 */
import { copyOf } from '../inet/bytes.ts';

export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
/** Minimum frame length without the FCS (60 bytes): shorter frames are padded by the sender. */
export const ETH_ZLEN = 60;
export const VLAN_HLEN = 4;
/** Smallest value that is an EtherType rather than an 802.3 length. */
export const ETH_P_802_3_MIN = 0x0600;

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_PAE = 0x888e;
/** Pseudo protocols for frames with an 802.3 length field (Linux's values). */
export const ETH_P_802_3 = 0x0001;
export const ETH_P_802_2 = 0x0004;

export const VLAN_VID_MASK = 0x0fff;

export function isVlanEtherType(t: number): boolean {
  return t === ETH_P_8021Q || t === ETH_P_8021AD;
}

export interface VlanTag {
  /** Tag protocol identifier: 0x8100 (C-tag) or 0x88a8 (S-tag). */
  tpid: number;
  /** Tag control information: PCP (3 bits), DEI (1), VID (12). */
  tci: number;
}

export interface EthHeader {
  dst: Uint8Array;
  src: Uint8Array;
  /** Tags in wire order (outermost first). */
  tags: VlanTag[];
  /** EtherType after the tags, or the 802.3 length when < 0x0600. */
  type: number;
  /** Header length including tags. */
  headerLen: number;
}

/** Decode the header at buf[off, off+len); null when truncated. At most `maxTags` tags are read. */
export function decodeEthHeader(buf: Uint8Array, off = 0, len = buf.length - off, maxTags = 2): EthHeader | null {
  if (len < ETH_HLEN) return null;
  const dst = copyOf(buf, off, off + 6);
  const src = copyOf(buf, off + 6, off + 12);
  let p = off + 12;
  let type = (buf[p]! << 8) | buf[p + 1]!;
  const tags: VlanTag[] = [];
  while (isVlanEtherType(type) && tags.length < maxTags) {
    if (p + 2 + VLAN_HLEN > off + len) return null;
    tags.push({ tpid: type, tci: (buf[p + 2]! << 8) | buf[p + 3]! });
    p += VLAN_HLEN;
    type = (buf[p]! << 8) | buf[p + 1]!;
  }
  return { dst, src, tags, type, headerLen: p + 2 - off };
}

/** Bytes of a header (with its tags) followed by nothing: prepend to a payload. */
export function encodeEthHeader(h: Omit<EthHeader, 'headerLen'>): Buffer {
  const out = Buffer.alloc(ETH_HLEN + h.tags.length * VLAN_HLEN);
  out.set(h.dst.subarray(0, 6), 0);
  out.set(h.src.subarray(0, 6), 6);
  let p = 12;
  for (const t of h.tags) {
    out.writeUInt16BE(t.tpid, p);
    out.writeUInt16BE(t.tci & 0xffff, p + 2);
    p += VLAN_HLEN;
  }
  out.writeUInt16BE(h.type & 0xffff, p);
  return out;
}
