/**
 * Just enough Ethernet/ARP/IPv4/ICMP to test the TAP link without the stack above it: build an ARP frame,
 * recognise ARP and ICMP echo requests, and turn an echo request into its reply in place. Test code only — the
 * stack's own protocol code lives in netstack/.
 */
import { inetChecksum } from '../../netstack/core/checksum.ts';

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;

export function ipBytes(addr: string): Buffer {
  return Buffer.from(addr.split('.').map(Number));
}

/** An Ethernet + ARP frame (op 1 = request, 2 = reply), 42 bytes. */
export function arpFrame(op: 1 | 2, srcMac: Uint8Array, srcIp: string, dstMac: Uint8Array, targetIp: string): Buffer {
  const f = Buffer.alloc(42);
  f.set(op === 1 ? Buffer.alloc(6, 0xff) : dstMac, 0);
  f.set(srcMac, 6);
  f.writeUInt16BE(ETH_P_ARP, 12);
  f.writeUInt16BE(1, 14); // Ethernet
  f.writeUInt16BE(ETH_P_IP, 16);
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(op, 20);
  f.set(srcMac, 22);
  f.set(ipBytes(srcIp), 28);
  f.set(op === 1 ? Buffer.alloc(6) : dstMac, 32);
  f.set(ipBytes(targetIp), 38);
  return f;
}

export interface ArpInfo {
  op: number;
  senderMac: Buffer;
  senderIp: string;
  targetIp: string;
}

export function parseArp(f: Buffer): ArpInfo | null {
  if (f.length < 42 || f.readUInt16BE(12) !== ETH_P_ARP || f[18] !== 6 || f[19] !== 4) return null;
  return {
    op: f.readUInt16BE(20),
    senderMac: f.subarray(22, 28),
    senderIp: [...f.subarray(28, 32)].join('.'),
    targetIp: [...f.subarray(38, 42)].join('.'),
  };
}

/**
 * If `f` is an unfragmented ICMP echo request to `ip`, rewrite it into the echo reply (addresses swapped,
 * checksums recomputed) and return true.
 */
export function echoRequestToReply(f: Buffer, myMac: Uint8Array, ip: string): boolean {
  if (f.length < 34 || f.readUInt16BE(12) !== ETH_P_IP) return false;
  const ihl = (f[14]! & 0x0f) * 4;
  const totalLen = f.readUInt16BE(16);
  if (f[23] !== 1 || !f.subarray(30, 34).equals(ipBytes(ip))) return false;
  if ((f.readUInt16BE(20) & 0x3fff) !== 0) return false; // fragments: not for this little responder
  const icmp = 14 + ihl;
  if (f.length < icmp + 8 || f[icmp] !== 8) return false;
  f.copy(f, 0, 6, 12);
  f.set(myMac, 6);
  const src = Buffer.from(f.subarray(26, 30));
  f.copy(f, 26, 30, 34);
  f.set(src, 30);
  f[22] = 64;
  f.writeUInt16BE(0, 24);
  f.writeUInt16BE(inetChecksum(f, 14, ihl), 24);
  f[icmp] = 0;
  f.writeUInt16BE(0, icmp + 2);
  f.writeUInt16BE(inetChecksum(f, icmp, totalLen - ihl), icmp + 2);
  return true;
}
