/**
 * TCP counters with the names and meanings of Linux's /proc/net/snmp "Tcp:" line and /proc/net/netstat "TcpExt:"
 * line (include/uapi/linux/snmp.h). Plain numeric fields: incrementing one is a property store on the hot path.
 */

/** /proc/net/snmp Tcp (RFC 4022 tcpStats). */
export class TcpMib {
  /** 1 = other; Linux reports 1 too (RFC 6298 is not in the enumeration). */
  readonly RtoAlgorithm = 1;
  RtoMin = 200;
  RtoMax = 120_000;
  readonly MaxConn = -1;
  ActiveOpens = 0;
  PassiveOpens = 0;
  AttemptFails = 0;
  EstabResets = 0;
  /** Connections in ESTABLISHED or CLOSE-WAIT (a gauge). */
  CurrEstab = 0;
  InSegs = 0;
  OutSegs = 0;
  RetransSegs = 0;
  InErrs = 0;
  OutRsts = 0;
  InCsumErrors = 0;
}

/** /proc/net/netstat TcpExt: the subset this stack implements, same names as Linux. */
export class TcpExtMib {
  SyncookiesSent = 0;
  SyncookiesRecv = 0;
  SyncookiesFailed = 0;
  EmbryonicRsts = 0;
  /** Sockets that finished TIME-WAIT by the timer. */
  TW = 0;
  /** TIME-WAIT sockets reused by a new SYN (RFC 6191). */
  TWRecycled = 0;
  /** TIME-WAIT sockets killed by an RST (only when RFC 1337 protection is off). */
  TWKilled = 0;
  PAWSActive = 0;
  PAWSEstab = 0;
  DelayedACKs = 0;
  DelayedACKLost = 0;
  ListenOverflows = 0;
  ListenDrops = 0;
  TCPHPHits = 0;
  TCPPureAcks = 0;
  TCPHPAcks = 0;
  TCPRenoRecovery = 0;
  TCPSackRecovery = 0;
  TCPSACKReneging = 0;
  TCPSACKReorder = 0;
  TCPTSReorder = 0;
  TCPFullUndo = 0;
  TCPPartialUndo = 0;
  TCPDSACKUndo = 0;
  TCPLossUndo = 0;
  TCPLostRetransmit = 0;
  TCPRenoFailures = 0;
  TCPSackFailures = 0;
  TCPLossFailures = 0;
  TCPFastRetrans = 0;
  TCPSlowStartRetrans = 0;
  TCPTimeouts = 0;
  TCPLossProbes = 0;
  TCPLossProbeRecovery = 0;
  TCPRenoRecoveryFail = 0;
  TCPSackRecoveryFail = 0;
  TCPDSACKOldSent = 0;
  TCPDSACKOfoSent = 0;
  TCPDSACKRecv = 0;
  TCPDSACKOfoRecv = 0;
  TCPAbortOnData = 0;
  TCPAbortOnClose = 0;
  TCPAbortOnMemory = 0;
  TCPAbortOnTimeout = 0;
  TCPAbortOnLinger = 0;
  TCPAbortFailed = 0;
  TCPSACKDiscard = 0;
  TCPDSACKIgnoredOld = 0;
  TCPDSACKIgnoredNoUndo = 0;
  TCPSpuriousRTOs = 0;
  TCPReqQFullDoCookies = 0;
  TCPReqQFullDrop = 0;
  TCPRcvCoalesce = 0;
  TCPOFOQueue = 0;
  TCPOFODrop = 0;
  TCPOFOMerge = 0;
  TCPChallengeACK = 0;
  TCPSYNChallenge = 0;
  TCPFromZeroWindowAdv = 0;
  TCPToZeroWindowAdv = 0;
  TCPWantZeroWindowAdv = 0;
  TCPSynRetrans = 0;
  TCPOrigDataSent = 0;
  TCPHystartTrainDetect = 0;
  TCPHystartTrainCwnd = 0;
  TCPHystartDelayDetect = 0;
  TCPHystartDelayCwnd = 0;
  TCPACKSkippedSynRecv = 0;
  TCPACKSkippedPAWS = 0;
  TCPACKSkippedSeq = 0;
  TCPACKSkippedFinWait2 = 0;
  TCPACKSkippedTimeWait = 0;
  TCPACKSkippedChallenge = 0;
  TCPWinProbe = 0;
  TCPKeepAlive = 0;
  TCPDelivered = 0;
  TCPZeroWindowDrop = 0;
  TCPRcvQDrop = 0;
  /** airstack: segments dropped for a malformed option (Linux ignores the rest of the options instead). */
  TCPOptionErrors = 0;
  /** airstack: RSTs ignored in TIME-WAIT under RFC 1337. */
  TCPTimeWaitRstIgnored = 0;
  /** airstack: ICMP errors that matched a connection and were acted upon. */
  TCPIcmpErrors = 0;
  /** airstack: path-MTU reductions applied from ICMP "fragmentation needed". */
  TCPPmtuReductions = 0;
}

/** A plain-object copy of a counter set (for printing, JSON and test assertions). */
export function mibSnapshot<T extends object>(m: T): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number') out[k] = v;
  return out;
}
