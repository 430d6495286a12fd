/**
 * Shared vocabulary of the TCP core: states (Linux numbering), congestion-avoidance states, the environment the
 * core needs (clock, randomness, IP output, routing) and the stack-wide configuration with Linux-like defaults.
 */
import type { Clock } from '../core/clock.ts';
import type { NetDevice } from '../core/netdevice.ts';
import type { Prng } from '../core/prng.ts';
import type { SkBuff } from '../core/skb.ts';
import type { Ipv4TxOptions } from '../inet/protocol.ts';
import {
  EADDRINUSE,
  EADDRNOTAVAIL,
  ECONNABORTED,
  ECONNREFUSED,
  ECONNRESET,
  EHOSTDOWN,
  EHOSTUNREACH,
  EINVAL,
  EMSGSIZE,
  ENETUNREACH,
  ENONET,
  ENOPROTOOPT,
  EOPNOTSUPP,
  EPIPE,
  EPROTO,
  ETIMEDOUT,
} from '../inet/errno.ts';

/** Connection states, numbered as Linux's TCP_ESTABLISHED..TCP_CLOSING. */
export enum TcpState {
  ESTABLISHED = 1,
  SYN_SENT = 2,
  SYN_RECV = 3,
  FIN_WAIT1 = 4,
  FIN_WAIT2 = 5,
  TIME_WAIT = 6,
  CLOSE = 7,
  CLOSE_WAIT = 8,
  LAST_ACK = 9,
  LISTEN = 10,
  CLOSING = 11,
}

/** RFC 9293 names of the states. */
export const TCP_STATE_NAMES: Record<TcpState, string> = {
  [TcpState.ESTABLISHED]: 'ESTABLISHED',
  [TcpState.SYN_SENT]: 'SYN-SENT',
  [TcpState.SYN_RECV]: 'SYN-RECEIVED',
  [TcpState.FIN_WAIT1]: 'FIN-WAIT-1',
  [TcpState.FIN_WAIT2]: 'FIN-WAIT-2',
  [TcpState.TIME_WAIT]: 'TIME-WAIT',
  [TcpState.CLOSE]: 'CLOSED',
  [TcpState.CLOSE_WAIT]: 'CLOSE-WAIT',
  [TcpState.LAST_ACK]: 'LAST-ACK',
  [TcpState.LISTEN]: 'LISTEN',
  [TcpState.CLOSING]: 'CLOSING',
};

/** Loss-recovery state of the sender (Linux's tcp_ca_state). */
export enum CaState {
  OPEN = 0,
  /** Duplicate ACKs or SACKs seen, no loss inferred yet. */
  DISORDER = 1,
  /** Fast recovery after fast retransmit (RFC 6675 / RFC 6582). */
  RECOVERY = 3,
  /** After a retransmission timeout. */
  LOSS = 4,
}

/** Errors reported to the owner of a connection (Node's error codes). */
export type TcpErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'EPIPE'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'ECONNABORTED'
  | 'EPROTO'
  | 'EMSGSIZE'
  | 'ENOPROTOOPT'
  | 'EOPNOTSUPP'
  | 'EHOSTDOWN'
  | 'ENONET'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EINVAL';

/** An error code with its Linux errno, as Node reports them. */
export const TCP_ERRNO: Record<TcpErrorCode, number> = {
  ECONNREFUSED,
  ECONNRESET,
  ETIMEDOUT,
  EPIPE,
  EHOSTUNREACH,
  ENETUNREACH,
  ECONNABORTED,
  EPROTO,
  EMSGSIZE,
  ENOPROTOOPT,
  EOPNOTSUPP,
  EHOSTDOWN,
  ENONET,
  EADDRINUSE,
  EADDRNOTAVAIL,
  EINVAL,
};

/** What the core needs to know about the path to a destination. */
export interface TcpRoute {
  /** Source address to use. */
  src: number;
  /** Path MTU (IPv4 datagram size). */
  mtu: number;
  /** Output device: its features decide checksum offload. */
  dev?: NetDevice;
}

/** The world around the TCP core: everything it may touch, injected (DESIGN.md principle 1). */
export interface TcpEnv {
  clock: Clock;
  rng: Prng;
  /** ip_queue_xmit: takes ownership of skb (skb.data at the TCP header). `opts` is only read during the call. */
  output(skb: SkBuff, opts: Ipv4TxOptions): void;
  /** Route lookup; null when the destination is unreachable (ENETUNREACH). */
  route(dst: number, src?: number): TcpRoute | null;
  /** Whether `addr` is one of this host's addresses (bind checks); absent = any address is accepted. */
  isLocalAddr?(addr: number): boolean;
  /**
   * `output` cuts GSO super-packets into segments before any device that cannot take them (skb_gso_segment in
   * dev_queue_xmit): connections whose route device allows GSO then send runs of segments as one packet.
   */
  gso?: boolean;
}

export type CongestionName = 'cubic' | 'reno';

/** Stack-wide settings (Linux sysctl equivalents in comments). Every field has a default. */
export interface TcpConfig {
  /** TIME-WAIT duration (2·MSL), ms. Linux: TCP_TIMEWAIT_LEN 60 s. */
  timeWaitMs: number;
  /** FIN-WAIT-2 timeout of orphaned sockets, ms (tcp_fin_timeout). */
  finTimeoutMs: number;
  /** RFC 1337: ignore RSTs in TIME-WAIT (tcp_rfc1337). */
  rfc1337: boolean;
  /** SYN retransmissions before connect() fails (tcp_syn_retries). */
  synRetries: number;
  /** SYN-ACK retransmissions of a passive open (tcp_synack_retries). */
  synAckRetries: number;
  /** RTO retransmissions before an established connection is dropped (tcp_retries2). */
  retries2: number;
  rtoMinMs: number;
  rtoMaxMs: number;
  rtoInitMs: number;
  /** Delayed-ACK timeout, ms (at most 40 here; RFC 9293 allows up to 500 ms). */
  delAckMs: number;
  /** Initial receive buffer (payload bytes) and the auto-tuning ceiling (tcp_rmem[1], tcp_rmem[2]). */
  rcvBuf: number;
  rcvBufMax: number;
  /** Initial send buffer and the auto-sizing ceiling (tcp_wmem[1], tcp_wmem[2]). */
  sndBuf: number;
  sndBufMax: number;
  /** Default congestion control (tcp_congestion_control). */
  congestion: CongestionName;
  /** HyStart++ (RFC 9406) in CUBIC's slow start. */
  hystart: boolean;
  /** Offer/accept SACK (tcp_sack), timestamps (tcp_timestamps) and window scaling (tcp_window_scaling). */
  sack: boolean;
  timestamps: boolean;
  windowScaling: boolean;
  /** Send D-SACK blocks for duplicate segments (tcp_dsack). */
  dsack: boolean;
  /** Loss detection for SACK connections: RACK (RFC 8985, as Linux with tcp_recovery=1); off: RFC 6675 DupThresh. */
  rack: boolean;
  /** Tail loss probes (tcp_early_retrans ≥ 3). */
  tlp: boolean;
  /** SYN cookies when the SYN queue is full (tcp_syncookies = 1). */
  syncookies: boolean;
  /** Upper bound of any listener's SYN queue (tcp_max_syn_backlog). */
  maxSynBacklog: number;
  /** Upper bound of a listen() backlog (somaxconn). */
  somaxconn: number;
  /** Challenge ACKs per second, whole stack (tcp_challenge_ack_limit). */
  challengeAckLimit: number;
  /** Minimum spacing of out-of-window duplicate ACKs per connection, ms (tcp_invalid_ratelimit). */
  invalidRateLimitMs: number;
  /** Initial congestion window, segments (RFC 6928). */
  initCwnd: number;
  /** Keepalive defaults (tcp_keepalive_time/intvl/probes). */
  keepIdleMs: number;
  keepIntvlMs: number;
  keepCnt: number;
  /** Ephemeral ports (ip_local_port_range). */
  portLow: number;
  portHigh: number;
  /** Segments acknowledged immediately at the start of a connection (quick-ACK mode). */
  quickAcks: number;
}

export const DEFAULT_TCP_CONFIG: Readonly<TcpConfig> = Object.freeze({
  timeWaitMs: 60_000,
  finTimeoutMs: 60_000,
  rfc1337: true,
  synRetries: 6,
  synAckRetries: 5,
  retries2: 15,
  rtoMinMs: 200,
  rtoMaxMs: 120_000,
  rtoInitMs: 1000,
  delAckMs: 40,
  rcvBuf: 128 * 1024,
  rcvBufMax: 4 * 1024 * 1024,
  sndBuf: 64 * 1024,
  sndBufMax: 4 * 1024 * 1024,
  congestion: 'cubic',
  hystart: true,
  sack: true,
  timestamps: true,
  windowScaling: true,
  dsack: true,
  rack: true,
  tlp: true,
  syncookies: true,
  maxSynBacklog: 1024,
  somaxconn: 4096,
  challengeAckLimit: 1000,
  invalidRateLimitMs: 500,
  initCwnd: 10,
  keepIdleMs: 7_200_000,
  keepIntvlMs: 75_000,
  keepCnt: 9,
  portLow: 32768,
  portHigh: 60999,
  quickAcks: 16,
});

/**
 * The owner of a connection (a socket wrapper) is told about events through these methods. They are called after
 * the core has finished processing the segment or timer that caused them, so the owner may call back into the
 * connection (send, recv, close) from inside them.
 */
export interface TcpSockOwner {
  /** The handshake completed (active open) or the connection was accepted. */
  onConnected?(): void;
  /** Received data or the end of the stream (FIN) can be read. */
  onReadable?(): void;
  /** Send-buffer space became available after a short send. */
  onWritable?(): void;
  /** The connection failed; `code` is also in `sock.error`. The connection is closed. */
  onError?(code: TcpErrorCode): void;
  /** The connection is finished (closed or in TIME-WAIT); no further events. */
  onClose?(): void;
}

/** Owner of a listening socket. */
export interface TcpListenerOwner {
  /** A connection is waiting in the accept queue. */
  onAcceptReady?(): void;
}
