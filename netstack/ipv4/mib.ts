/**
 * IPv4 counters, named as in Linux's /proc/net/snmp "Ip:" and /proc/net/netstat "IpExt:" lines. Fields marked
 * (airstack) are extra drop reasons Linux keeps elsewhere or not at all.
 *
 * Every received datagram ends in exactly one place: not counted at all when it was for another host's MAC
 * (InOtherHost, before InReceives, as Linux); else InHdrErrors (InCsumErrors is a part of it), InTruncatedPkts,
 * InAddrErrors (InMartianSrc is a part of it), InSrcRoute, ReasmReqds (a fragment: it is absorbed into a
 * reassembled datagram, which counts once more as it is delivered), InUnknownProtos or InDelivers.
 */
import type { FragCounters } from './frag.ts';

export interface IpMib extends FragCounters {
  /** 2: this host does not forward. */
  Forwarding: number;
  DefaultTTL: number;
  InReceives: number;
  InHdrErrors: number;
  InAddrErrors: number;
  ForwDatagrams: number;
  InUnknownProtos: number;
  InDiscards: number;
  InDelivers: number;
  OutRequests: number;
  OutDiscards: number;
  OutNoRoutes: number;
  FragOKs: number;
  FragFails: number;
  FragCreates: number;
  OutTransmits: number;
  // IpExt
  InNoRoutes: number;
  InTruncatedPkts: number;
  InCsumErrors: number;
  InMcastPkts: number;
  InBcastPkts: number;
  OutMcastPkts: number;
  OutBcastPkts: number;
  InOctets: number;
  OutOctets: number;
  /** (airstack) Source address that cannot be a sender (multicast, broadcast, ours, loopback from outside). */
  InMartianSrc: number;
  /** (airstack) Frames for another host's MAC address, ignored before InReceives. */
  InOtherHost: number;
  /** (airstack) Datagrams with a source route option (hosts do not accept them). */
  InSrcRoute: number;
  /** (airstack) Locally sent datagrams whose next hop could not be resolved (ARP failed). */
  OutLinkFailures: number;
}

export const IP_SNMP_KEYS = [
  'Forwarding',
  'DefaultTTL',
  'InReceives',
  'InHdrErrors',
  'InAddrErrors',
  'ForwDatagrams',
  'InUnknownProtos',
  'InDiscards',
  'InDelivers',
  'OutRequests',
  'OutDiscards',
  'OutNoRoutes',
  'ReasmTimeout',
  'ReasmReqds',
  'ReasmOKs',
  'ReasmFails',
  'FragOKs',
  'FragFails',
  'FragCreates',
  'OutTransmits',
] as const;

export const IPEXT_KEYS = [
  'InNoRoutes',
  'InTruncatedPkts',
  'InMcastPkts',
  'OutMcastPkts',
  'InBcastPkts',
  'OutBcastPkts',
  'InOctets',
  'OutOctets',
  'InCsumErrors',
  'ReasmOverlaps',
  'ReasmDuplicates',
  'ReasmTooManyFrags',
  'ReasmMemFull',
  'InMartianSrc',
  'InOtherHost',
  'InSrcRoute',
  'OutLinkFailures',
] as const;

export function newIpMib(): IpMib {
  const m = { Forwarding: 2, DefaultTTL: 64 } as Record<string, number>;
  for (const k of IP_SNMP_KEYS) m[k] ??= 0;
  for (const k of IPEXT_KEYS) m[k] ??= 0;
  return m as unknown as IpMib;
}
