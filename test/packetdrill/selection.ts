/**
 * Which packetdrill scripts the conformance run covers (IPv4 only), and notes explaining known differences
 * (checked against the RFCs: a difference is "policy" when the RFCs leave the choice to the implementation).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Folders under ../shared/testdata/tcp/packetdrill, scanned recursively for *.pkt. */
export const SELECTION: Array<{ dir: string; topic: string }> = [
  { dir: 'freebsd-tcp-testsuite/snippets', topic: 'handshake and states (snippets)' },
  { dir: 'freebsd-tcp-testsuite/state-event-engine', topic: 'RST/SYN/FIN/ACK in every state (RFC 793/5961/1337)' },
  { dir: 'freebsd-tcp-testsuite/rcv-data-segments', topic: 'overlapping segments' },
  { dir: 'freebsd-tcp-testsuite/snd-syn', topic: 'SYN options and SYN retransmission' },
  { dir: 'freebsd-tcp-testsuite/rcv-icmp', topic: 'ICMP' },
  { dir: 'linux-selftests', topic: 'Linux selftests' },
  { dir: 'ligurio/tcp/reset', topic: 'RST in each state' },
  { dir: 'ligurio/tcp/close', topic: 'close' },
  { dir: 'ligurio/tcp/shutdown', topic: 'shutdown' },
  { dir: 'ligurio/tcp/time_wait', topic: 'TIME-WAIT' },
  { dir: 'ligurio/tcp/rto', topic: 'retransmission timeout' },
  { dir: 'ligurio/tcp/init_rto', topic: 'initial RTO' },
  { dir: 'ligurio/tcp/listen', topic: 'listen' },
  { dir: 'ligurio/tcp/connect', topic: 'connect' },
  { dir: 'google/tcp/close', topic: 'close (Linux)' },
  { dir: 'google/tcp/sack', topic: 'SACK (Linux)' },
  { dir: 'google/tcp/ts_recent', topic: 'timestamps (Linux)' },
  { dir: 'google/tcp/mss', topic: 'MSS (Linux)' },
  { dir: 'google/tcp/fast_retransmit', topic: 'fast retransmit (Linux)' },
  { dir: 'google/tcp/fast_recovery', topic: 'fast recovery / PRR (Linux)' },
  { dir: 'google/tcp/limited_transmit', topic: 'limited transmit (Linux)' },
  { dir: 'google/tcp/nagle', topic: 'Nagle (Linux)' },
  { dir: 'google/tcp/shutdown', topic: 'shutdown (Linux)' },
  { dir: 'google/tcp/user_timeout', topic: 'user timeout (Linux)' },
  { dir: 'google/tcp/blocking', topic: 'blocking calls (Linux)' },
];

export function listScripts(root: string): Array<{ path: string; rel: string; topic: string }> {
  const out: Array<{ path: string; rel: string; topic: string }> = [];
  const walk = (dir: string, rel: string, topic: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      const r = `${rel}/${e}`;
      if (statSync(p).isDirectory()) walk(p, r, topic);
      else if (e.endsWith('.pkt') && !/ipv6/.test(e)) out.push({ path: p, rel: r, topic });
    }
  };
  for (const s of SELECTION) walk(join(root, s.dir), s.dir, s.topic);
  return out;
}

/** Explanations for differences that were examined; matched against the script's relative path. */
export const NOTES: Array<{ match: RegExp; note: string }> = [
  {
    match: /insecure/,
    note: 'asks FreeBSD for RFC 793 RST handling (net.inet.tcp.insecure_rst=1); airstack always applies RFC 5961 (policy)',
  },
  {
    match: /tcp_rcv_big_endseq|tcp_rcv_zero_wnd_fin/,
    note: 'Linux accepts data beyond the advertised window while its receive queue is empty; airstack trims to the window (RFC 9293 §3.10.7.4) — policy',
  },
  {
    match: /right-edge/,
    note: "the edge is the script OS's advertised window (FreeBSD rounds the buffer up to whole MSS: 65700); airstack advertises 65535, so the segment is outside — policy",
  },
  {
    match: /rcv-syn-ack-listen/,
    note: 'RFC 9293 §3.10.7.2 answers an ACK-bearing segment in LISTEN with <SEQ=SEG.ACK><CTL=RST>; FreeBSD drops it — airstack follows the RFC',
  },
  {
    match: /drop-options|dropping-enabled|syn-fin.*dropping-disabled/,
    note: 'FreeBSD-specific knobs (drop SYN options after retransmissions, net.inet.tcp.drop_synfin); airstack drops SYN+FIN in LISTEN like Linux — policy',
  },
  {
    match: /rst_sync_close_wait/,
    note: 'the script expects write() to succeed after an RST with the exact sequence number closed the connection — script error',
  },
  {
    match: /close-unread-data-rst/,
    note: 'the script reads from a descriptor it closed — script error',
  },
  {
    match: /ligurio\/tcp\/shutdown\/shutdown-(rd|recv-after-shut-rd)\.pkt/,
    note: 'SHUT_RD semantics are OS policy (POSIX leaves them open): these scripts expect FreeBSD, which discards data arriving after SHUT_RD; Linux keeps queueing it (google/tcp/shutdown) and airstack follows Linux',
  },
  {
    match: /shutdown-double-shut-wr/,
    note: 'expects a blocking recv() to return 0 although the peer never sent a FIN — OS-specific, not an RFC behaviour',
  },
  {
    match: /user-timeout-probe/,
    note: 'needs a local qdisc that drops every packet (`tc ... pfifo limit 0`) to stall the sender; the runner has no qdisc — unsupported',
  },
  {
    match: /rcv-syn-time-wait-using-shutdown-outside-right/,
    note: 'a SYN above RCV.NXT in TIME-WAIT without timestamps reopens the connection (RFC 6191 falling back to RFC 1122 §4.2.2.13, as Linux); FreeBSD answers with an ACK — policy',
  },
  {
    match: /prr-ss-ack-below-snd_una-cubic/,
    note: 'after RACK marks 9001:10001 lost, airstack retransmits it before sending new data (RFC 6675 NextSeg rule 1); Linux sends new data first — policy',
  },
  {
    match: /rst-sync-est-(fin-wait-1|fin-wait-2|time-wait)/,
    note: 'the script writes to a descriptor it closed earlier (EBADF on any OS) — script error',
  },
];
