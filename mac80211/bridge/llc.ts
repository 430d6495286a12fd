/**
 * LLC/SNAP encapsulation of Ethernet frames in 802.11 (IEEE 802.1H and RFC 1042), as Linux's rfc1042_header and
 * bridge_tunnel_header: an MSDU carrying an EtherType starts with AA AA 03 and an OUI. RFC 1042 uses OUI 00-00-00;
 * 802.1H's bridge tunnel (OUI 00-00-F8) is used for the two EtherTypes that RFC 1042 would make ambiguous with
 * 802.2 SNAP on Ethernet (AppleTalk ARP 0x80f3 and Novell IPX 0x8137).
 */

import {
  ETH_ALEN,
  ETH_HLEN,
  ETH_P_802_3_MIN,
  ETH_P_8021Q,
  ETH_P_IP,
  ETH_P_IPV6,
  ETH_P_PAE,
} from '../../netstack/ethernet/header.ts';

// Ethernet's constants are netstack's (if_ether.h), re-exported under the names mac80211 code uses.
export { ETH_ALEN, ETH_HLEN, ETH_P_802_3_MIN, ETH_P_8021Q, ETH_P_IP, ETH_P_IPV6, ETH_P_PAE };

export const LLC_SNAP_LEN = 6;
/** LLC/SNAP header plus EtherType. */
export const LLC_SNAP_PROTO_LEN = 8;
export const ETH_P_AARP = 0x80f3;
export const ETH_P_IPX = 0x8137;
export const ETH_P_80221 = 0x8917;

export const RFC1042_HEADER: Readonly<Uint8Array> = Uint8Array.of(0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00);
export const BRIDGE_TUNNEL_HEADER: Readonly<Uint8Array> = Uint8Array.of(0xaa, 0xaa, 0x03, 0x00, 0x00, 0xf8);
/** 802.1X PAE group address (EAPOL may be sent to it instead of the peer's address). */
export const PAE_GROUP_ADDR: Readonly<Uint8Array> = Uint8Array.of(0x01, 0x80, 0xc2, 0x00, 0x00, 0x03);

function startsWith(buf: Uint8Array, off: number, h: Readonly<Uint8Array>): boolean {
  for (let i = 0; i < h.length; i++) if (buf[off + i] !== h[i]) return false;
  return true;
}

/** buf[off..off+6) is AA AA 03 00 00 00. */
export function isRfc1042(buf: Uint8Array, off: number): boolean {
  return startsWith(buf, off, RFC1042_HEADER);
}

/** buf[off..off+6) is AA AA 03 00 00 F8. */
export function isBridgeTunnel(buf: Uint8Array, off: number): boolean {
  return startsWith(buf, off, BRIDGE_TUNNEL_HEADER);
}

/**
 * The EtherType an MSDU at buf[off, off+len) carries behind an LLC/SNAP header that the bridge strips (RFC 1042
 * except for AARP and IPX, or 802.1H bridge tunnel), or -1 when the MSDU must stay as it is behind an 802.3 length
 * field (ieee80211_get_8023_tunnel_proto).
 */
export function snapEthertype(buf: Uint8Array, off: number, len: number): number {
  if (len < LLC_SNAP_PROTO_LEN) return -1;
  const proto = (buf[off + 6]! << 8) | buf[off + 7]!;
  if (isRfc1042(buf, off)) return proto === ETH_P_AARP || proto === ETH_P_IPX ? -1 : proto;
  if (isBridgeTunnel(buf, off)) return proto;
  return -1;
}

/** The LLC/SNAP header the transmit side puts in front of an EtherType (null: none, an 802.3 length frame). */
export function snapHeaderFor(ethertype: number): Readonly<Uint8Array> | null {
  if (ethertype === ETH_P_AARP || ethertype === ETH_P_IPX) return BRIDGE_TUNNEL_HEADER;
  if (ethertype >= ETH_P_802_3_MIN) return RFC1042_HEADER;
  return null;
}
