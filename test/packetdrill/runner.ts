/**
 * Runs a packetdrill script against airstack's TCP in virtual time, with the runner playing the remote host:
 * `<` lines become injected segments, `>` lines are matched against what the stack sends, system calls map to the
 * TcpStack / TcpSock API. Addresses follow Linux's ksft runner (local 192.168.0.1, remote 192.0.2.1), the listening
 * port is 8080 as in packetdrill.
 *
 * Differences are sorted into three kinds:
 *  - behaviour: flags, sequence or acknowledgment numbers, lengths, SACK blocks, option presence, syscall results:
 *    the run stops and the script fails;
 *  - policy: values the RFCs leave to the implementation (advertised window, MSS and window-scale values, TSval,
 *    send timing within the RTO/delayed-ACK policy, extra pure ACKs, socket buffer sizes): noted, the run goes on;
 *  - unsupported: constructs the runner or the stack does not model (IPv6, UDP, ICMP injection, ECN, Fast Open,
 *    MD5, epoll/poll, recvmsg, TCP_INFO / tcp_info assertions...).
 */
import { VirtualClock } from '../../netstack/core/clock.ts';
import { NetDevice, NetdevTx } from '../../netstack/core/netdevice.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import type { Ipv4TxOptions } from '../../netstack/inet/protocol.ts';
import type { TcpListener } from '../../netstack/tcp/listen.ts';
import { type TcpSock, TcpSocketError } from '../../netstack/tcp/sock.ts';
import { TcpStack } from '../../netstack/tcp/stack.ts';
import { type TcpConfig, TcpState } from '../../netstack/tcp/types.ts';
import {
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  type TcpOption,
  decodeTcpOptions,
  encodeTcpSegment,
  flagsToString,
  tcpChecksum,
} from '../../netstack/tcp/wire.ts';
import {
  type Arg,
  type PacketEvent,
  type Script,
  type ScriptEvent,
  type TcpOptionSpec,
  parseScript,
} from './parser.ts';

export const LOCAL_IP = 0xc0a80001; // 192.168.0.1
export const REMOTE_IP = 0xc0000201; // 192.0.2.1
export const LOCAL_PORT = 8080;
export const REMOTE_PORT = 51234;
/** EAGAIN and EWOULDBLOCK are the same errno on Linux and FreeBSD. */
const EAGAIN = new Set(['EAGAIN', 'EWOULDBLOCK']);

/** The remote ISN behind the script's relative 0 (not 0, to catch absolute/relative mix-ups). */
const REMOTE_ISN = 1_000_000;

export type Verdict = 'pass' | 'pass-policy' | 'fail' | 'unsupported';

export interface RunResult {
  verdict: Verdict;
  /** Why it failed or is unsupported. */
  reason: string;
  /** Policy differences seen (the run continued). */
  policy: string[];
  /** Things skipped: tcp_info assertions, shell commands. */
  skipped: string[];
  line: number;
}

class Dev extends NetDevice {
  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    skb.free();
    return NetdevTx.OK;
  }
}

class Stop extends Error {
  constructor(
    readonly verdict: 'fail' | 'unsupported',
    readonly reason: string,
  ) {
    super(reason);
  }
}

interface Captured {
  t: number;
  bytes: Buffer;
}

interface Fd {
  kind: 'socket' | 'listener' | 'conn';
  nonblock: boolean;
  listener?: TcpListener;
  sk?: TcpSock;
  opts: Record<string, number | string | boolean>;
  backlog?: number;
}

type SysEv = Extract<ScriptEvent, { type: 'syscall' }>;
type PktEv = Extract<ScriptEvent, { type: 'packet' }>;

interface Pending {
  ev: SysEv;
  fd: number;
  end: number;
}

/** Known sysctls (Linux and FreeBSD) mapped to TcpConfig; others are ignored and listed. */
function applySysctl(name: string, value: string, cfg: Partial<TcpConfig>, notes: string[]): void {
  const on = value.trim() !== '0';
  switch (name) {
    case 'net.ipv4.tcp_timestamps':
      cfg.timestamps = on;
      break;
    case 'net.ipv4.tcp_sack':
    case 'net.inet.tcp.sack.enable':
      cfg.sack = on;
      break;
    case 'net.ipv4.tcp_window_scaling':
      cfg.windowScaling = on;
      break;
    case 'net.inet.tcp.rfc1323':
      cfg.timestamps = on;
      cfg.windowScaling = on;
      break;
    case 'net.ipv4.tcp_dsack':
      cfg.dsack = on;
      break;
    case 'net.ipv4.tcp_syncookies':
    case 'net.inet.tcp.syncookies':
      cfg.syncookies = on;
      break;
    case 'net.ipv4.tcp_syn_retries':
      cfg.synRetries = Number(value);
      break;
    case 'net.ipv4.tcp_synack_retries':
      cfg.synAckRetries = Number(value);
      break;
    case 'net.ipv4.tcp_rfc1337':
      cfg.rfc1337 = on;
      break;
    case 'net.ipv4.tcp_fin_timeout':
      cfg.finTimeoutMs = Number(value) * 1000;
      break;
    case 'net.inet.tcp.recvspace':
      cfg.rcvBuf = Number(value);
      break;
    case 'net.inet.tcp.sendspace':
      cfg.sndBuf = Number(value);
      break;
    case 'net.ipv4.tcp_rmem':
      cfg.rcvBuf = Number(value.trim().split(/\s+/)[1] ?? 131072);
      break;
    case 'net.ipv4.tcp_wmem':
      cfg.sndBuf = Number(value.trim().split(/\s+/)[1] ?? 65536);
      break;
    case 'net.ipv4.tcp_congestion_control':
      if (value === 'reno' || value === 'cubic') cfg.congestion = value;
      break;
    case 'net.inet.tcp.insecure_rst':
      if (on) notes.push('FreeBSD insecure_rst=1 asks for RFC 793 RSTs; airstack always applies RFC 5961');
      break;
    default:
      break;
  }
}

export class PacketdrillRunner {
  readonly clock = new VirtualClock();
  private stack: TcpStack | null = null;
  private readonly cfg: Partial<TcpConfig> = {
    rtoInitMs: 1000,
    rtoMinMs: 200,
    delAckMs: 40,
    synRetries: 6,
    // Scripts were written against stacks without RACK's reordering window quirks; keep ours (policy).
  };
  private readonly dev = new Dev('pd0');
  private readonly out: Captured[] = [];
  private outIdx = 0;
  private readonly fds = new Map<number, Fd>();
  private conn: TcpSock | null = null;
  private localPort = LOCAL_PORT;
  private remotePort = REMOTE_PORT;
  private localIsn: number | null = null;
  private tsOffset: number | null = null;
  private lastTsVal = 0;
  private prevTime = 0;
  private tolMs: number;
  private readonly mtu: number;
  private pending: Pending | null = null;
  readonly policy: string[] = [];
  readonly skipped: string[] = [];

  constructor(private readonly script: Script) {
    const o = script.options;
    this.tolMs = o.has('tolerance_usecs') ? Number(o.get('tolerance_usecs')) / 1000 : 4;
    this.mtu = o.has('mtu') ? Number(o.get('mtu')) : 1500;
    if ((o.get('ip_version') ?? 'ipv4') !== 'ipv4') throw new Stop('unsupported', 'IPv6 scripts (airstack is IPv4)');
    if (o.has('mss')) this.policy.push(`--mss=${o.get('mss')} (packetdrill's own MSS for the remote side) ignored`);
  }

  private tcp(): TcpStack {
    if (this.stack === null) {
      this.stack = new TcpStack(
        {
          clock: this.clock,
          rng: new Prng('packetdrill'),
          output: (skb: SkBuff, opts: Ipv4TxOptions) => {
            if (opts.dst === REMOTE_IP) this.out.push({ t: this.clock.now(), bytes: skb.copyBytes() });
            skb.free();
          },
          route: (dst: number) => (dst === REMOTE_IP ? { src: LOCAL_IP, mtu: this.mtu, dev: this.dev } : null),
          isLocalAddr: (a: number) => a === LOCAL_IP,
        },
        this.cfg,
      );
    }
    return this.stack;
  }

  run(): RunResult {
    let line = 0;
    try {
      for (const ev of this.script.events) {
        line = ev.line;
        this.step(ev);
      }
      if (this.pending !== null) this.completePending(this.pending.end);
      const verdict: Verdict = this.policy.length > 0 ? 'pass-policy' : 'pass';
      return { verdict, reason: '', policy: this.policy, skipped: this.skipped, line: 0 };
    } catch (e) {
      if (e instanceof Stop) {
        return { verdict: e.verdict, reason: e.reason, policy: this.policy, skipped: this.skipped, line };
      }
      return {
        verdict: 'fail',
        reason: `runner error: ${(e as Error).message}`,
        policy: this.policy,
        skipped: this.skipped,
        line,
      };
    }
  }

  // --- time ----------------------------------------------------------------------------------------------------

  private eventTime(ev: ScriptEvent): number {
    const tm = ev.time;
    if (tm.kind === 'any') return this.prevTime;
    const t = tm.kind === 'rel' ? this.prevTime + tm.t * 1000 : tm.t * 1000;
    return t;
  }

  private advanceTo(t: number): void {
    if (t > this.clock.now()) this.clock.runUntil(t);
  }

  /** When a blocking call that starts at `t` must have returned. */
  private endTime(ev: SysEv, t: number): number {
    const e = ev.time.end;
    if (e === null) return Number.POSITIVE_INFINITY;
    return ev.time.kind === 'rel' ? t + e * 1000 : e * 1000;
  }

  private step(ev: ScriptEvent): void {
    const t = this.eventTime(ev);
    if (this.pending !== null && (t > this.pending.end + this.tolMs || ev.type === 'syscall')) {
      this.completePending(Math.min(Math.max(t, this.clock.now()), this.pending.end));
    }
    switch (ev.type) {
      case 'command':
        this.command(ev.text);
        break;
      case 'code':
        this.skipped.push(`line ${ev.line}: tcp_info/Python assertion`);
        break;
      case 'unsupported':
        throw new Stop('unsupported', `line ${ev.line}: ${ev.text}`);
      case 'packet':
        if (ev.flags.includes('E') || ev.flags.includes('W') || ev.ipInfo !== null) {
          throw new Stop('unsupported', `line ${ev.line}: ECN / IP header fields`);
        }
        if (ev.options?.some((o) => o.kind === 'other')) {
          throw new Stop(
            'unsupported',
            `line ${ev.line}: TCP option ${ev.options.find((o) => o.kind === 'other')!.name}`,
          );
        }
        if (ev.dir === '<') {
          this.advanceTo(t);
          this.inbound(ev);
        } else {
          this.outbound(ev, t);
        }
        break;
      case 'syscall':
        this.advanceTo(t);
        this.syscall(ev, t);
        break;
    }
    if (ev.time.kind !== 'any' || ev.type !== 'packet') this.prevTime = ev.time.kind === 'any' ? this.prevTime : t;
    if (ev.type === 'packet' && ev.dir === '>' && ev.time.kind !== 'any') this.prevTime = t;
    if (ev.type === 'packet' && ev.dir === '>' && ev.time.kind === 'any') this.prevTime = this.lastOutTime;
  }

  private lastOutTime = 0;
  private tlpSeen = 0;

  private command(text: string): void {
    const re = /sysctl\s+(?:-[wq]\s+)*([\w.]+)\s*=\s*("[^"]*"|[^\s;`&|]+)/g;
    let m: RegExpExecArray | null = re.exec(text);
    let any = false;
    while (m !== null) {
      any = true;
      if (this.stack !== null) this.skipped.push(`sysctl ${m[1]} after the stack started`);
      else applySysctl(m[1]!, m[2]!.replace(/"/g, ''), this.cfg, this.policy);
      m = re.exec(text);
    }
    if (/defaults\.sh/.test(text)) {
      any = true;
      for (const [k, v] of [
        ['net.ipv4.tcp_timestamps', '1'],
        ['net.ipv4.tcp_sack', '1'],
        ['net.ipv4.tcp_dsack', '1'],
        ['net.ipv4.tcp_syncookies', '1'],
      ] as const) {
        applySysctl(k, v, this.cfg, this.policy);
      }
    }
    if (!any) this.skipped.push(`shell: ${text.trim().slice(0, 60)}`);
  }

  // --- packets -------------------------------------------------------------------------------------------------

  private flagsOf(s: string): number {
    let f = 0;
    for (const c of s) {
      if (c === 'S') f |= TCP_SYN;
      else if (c === 'F') f |= TCP_FIN;
      else if (c === 'R') f |= TCP_RST;
      else if (c === 'P') f |= TCP_PSH;
      else if (c === '.') f |= TCP_ACK;
      else if (c === 'U') f |= TCP_URG;
    }
    return f;
  }

  private inbound(ev: PktEv): void {
    if (ev.end - ev.start !== ev.len) throw new Stop('fail', `line ${ev.line}: inconsistent seq range in the script`);
    const flags = this.flagsOf(ev.flags);
    const options: TcpOption[] = [];
    for (const o of ev.options ?? []) {
      switch (o.kind) {
        case 'nop':
        case 'eol':
          options.push({ kind: o.kind });
          break;
        case 'mss':
        case 'wscale':
          options.push({ kind: o.kind, value: o.value! });
          break;
        case 'sackOK':
          options.push({ kind: 'sackOK' });
          break;
        case 'sack':
          options.push({
            kind: 'sack',
            blocks: o.blocks!.map(([a, b]) => [this.localSeq(a), this.localSeq(b)] as [number, number]),
          });
          break;
        case 'ts': {
          const ecr = o.ecr === 0 ? 0 : this.tsOffset !== null ? (o.ecr! + this.tsOffset) >>> 0 : this.lastTsVal;
          options.push({ kind: 'ts', val: o.val! >>> 0, ecr });
          break;
        }
      }
    }
    const bytes = encodeTcpSegment({
      sport: this.remotePort,
      dport: this.localPort,
      seq: (REMOTE_ISN + ev.start) >>> 0,
      ack: ev.ack !== null ? this.localSeq(ev.ack) : 0,
      flags,
      window: ev.win ?? 0,
      urgPtr: ev.urg ?? 0,
      options,
      payload: Buffer.alloc(ev.len),
    });
    const c = tcpChecksum(bytes, 0, bytes.length, REMOTE_IP, LOCAL_IP);
    bytes[16] = c >> 8;
    bytes[17] = c & 0xff;
    this.tcp().rcv(SkBuff.fromBytes(bytes), {
      src: REMOTE_IP,
      dst: LOCAL_IP,
      protocol: 6,
      tos: 0,
      ttl: 64,
      length: bytes.length,
      dev: this.dev,
      broadcast: false,
    });
  }

  private localSeq(rel: number): number {
    return ((this.localIsn ?? 0) + rel) >>> 0;
  }

  /** Wait for the next packet the stack sends, up to `until`. */
  private nextOut(until: number): Captured | null {
    while (this.outIdx >= this.out.length) {
      const next = this.clock.nextEventTime();
      if (next > until) {
        this.advanceTo(until);
        if (this.outIdx >= this.out.length) return null;
        break;
      }
      this.clock.step(until);
    }
    return this.out[this.outIdx++]!;
  }

  private outbound(ev: PktEv, t: number): void {
    const tm = ev.time;
    let lo: number;
    let hi: number;
    if (tm.kind === 'any') {
      lo = Number.NEGATIVE_INFINITY;
      hi = this.clock.now() + 300_000;
    } else {
      lo = t - this.tolMs;
      hi =
        tm.upper !== null
          ? (tm.upperRel ? this.prevTime + tm.upper * 1000 : tm.upper * 1000) + this.tolMs
          : t + this.tolMs;
    }
    let skippedWhy = '';
    for (;;) {
      // Anything sent well after the expected time still tells us what went wrong: look a bit further.
      let got = this.nextOut(Math.max(hi, lo + 5000));
      if (
        got !== null &&
        got.t < lo &&
        this.lastMatched !== null &&
        got.bytes.equals(this.lastMatched) &&
        this.isRetransmission(got)
      ) {
        this.policy.push(`line ${ev.line}: an extra retransmission at ${fmtT(got.t)} (RTO policy)`);
        continue;
      }
      if (got !== null) got = this.coalesce(ev, got);
      if (got === null) {
        if (skippedWhy !== '') throw new Stop('fail', `line ${ev.line}: ${skippedWhy}`);
        throw new Stop('fail', `line ${ev.line}: expected ${describe(ev)} at ${fmtT(t)}, nothing was sent`);
      }
      let diff = this.compare(ev, got);
      if (
        diff !== null &&
        diff !== 'tlp' &&
        got.bytes[13] === TCP_ACK &&
        got.bytes.length === (got.bytes[12]! >> 4) * 4
      ) {
        // A pure ACK that does not match may be one the script's OS delays or never sends: skip it, remember why.
        if (diff !== 'extra-ack') skippedWhy = diff;
        diff = 'extra-ack';
      }
      if (diff === 'extra-ack') {
        this.policy.push(`line ${ev.line}: an extra pure ACK at ${fmtT(got.t)} before the expected packet`);
        continue;
      }
      if (diff === 'tlp') {
        this.policy.push(
          `line ${ev.line}: a tail loss probe (RFC 8985) at ${fmtT(got.t)} the script's OS did not send`,
        );
        continue;
      }
      if (diff !== null) throw new Stop('fail', `line ${ev.line}: ${diff}`);
      if (got.t < lo || got.t > hi) {
        this.policy.push(`line ${ev.line}: sent at ${fmtT(got.t)}, script expects ${fmtT(t)}`);
      }
      this.lastOutTime = got.t;
      this.lastMatched = got.bytes;
      return;
    }
  }

  private lastMatched: Buffer | null = null;

  /** A data or FIN segment (what a timer resends), as opposed to a pure ACK. */
  private isRetransmission(got: Captured): boolean {
    const b = got.bytes;
    const hlen = (b[12]! >> 4) * 4;
    return b.length > hlen || (b[13]! & (TCP_FIN | TCP_SYN)) !== 0;
  }

  /**
   * TSO/GSO: Linux and FreeBSD hand the NIC one large segment that packetdrill sees whole; airstack sends MSS-sized
   * segments. When the script expects more bytes than the first segment holds, merge the contiguous segments sent
   * at the same moment (policy: segmentation offload).
   */
  private coalesce(ev: PktEv, first: Captured): Captured {
    const b0 = first.bytes;
    const hlen0 = (b0[12]! >> 4) * 4;
    const len0 = b0.length - hlen0;
    if (len0 === 0 || ev.len <= len0 || this.localIsn === null) return first;
    if ((b0.readUInt32BE(4) - this.localIsn) >>> 0 !== ev.start >>> 0) return first;
    let total = len0;
    let flags = b0[13]!;
    let next = (b0.readUInt32BE(4) + len0) >>> 0;
    let k = 1;
    while (total < ev.len && this.outIdx < this.out.length) {
      const c = this.out[this.outIdx]!;
      const b = c.bytes;
      const hl = (b[12]! >> 4) * 4;
      if (c.t > first.t + this.tolMs || b.readUInt32BE(4) !== next || b.length === hl) break;
      total += b.length - hl;
      flags |= b[13]!;
      next = (next + b.length - hl) >>> 0;
      this.outIdx++;
      k++;
    }
    if (k === 1) return first;
    this.policy.push(`TSO: ${total} bytes sent as ${k} segments`);
    const merged = Buffer.alloc(hlen0 + total);
    b0.copy(merged, 0, 0, hlen0);
    merged[13] = flags;
    return { t: first.t, bytes: merged };
  }

  /** null when the packet matches; 'extra-ack' for an unexpected pure ACK; else a description of the mismatch. */
  private compare(ev: PacketEvent, got: Captured): string | null {
    const b = got.bytes;
    const flags = b[13]!;
    const seq = b.readUInt32BE(4);
    const ack = b.readUInt32BE(8);
    const hlen = (b[12]! >> 4) * 4;
    const win = b.readUInt16BE(14);
    const len = b.length - hlen;
    const sport = b.readUInt16BE(0);
    const want = this.flagsOf(ev.flags);
    // Every SYN we send starts a (possibly new) connection: its ISN is the script's 0 (as packetdrill does).
    if (flags & TCP_SYN && want & TCP_SYN) {
      this.localIsn = (seq - ev.start) >>> 0;
      this.localPort = sport;
    }
    const relSeq = (seq - (this.localIsn ?? 0)) >>> 0;
    const isTlp =
      len > 0 &&
      this.conn !== null &&
      this.conn.stackMib.TCPLossProbes > this.tlpSeen &&
      (seq + len) >>> 0 === this.conn.sndNxt - (this.conn.finQueued && this.conn.tx.hasUnsent ? 0 : 0);
    const relAck = (ack - REMOTE_ISN) >>> 0;
    const gotText = `${flagsToString(flags)} ${relSeq}:${(relSeq + len) >>> 0}(${len})${flags & TCP_ACK ? ` ack ${relAck}` : ''} win ${win}`;
    const pureAck = flags === TCP_ACK && len === 0;
    const matches = flags === want && relSeq === ev.start >>> 0 && len === ev.len;
    if (isTlp && !matches) {
      this.tlpSeen = this.conn!.stackMib.TCPLossProbes;
      return 'tlp';
    }
    if (flags !== want) {
      if ((flags & ~TCP_PSH) === (want & ~TCP_PSH) && relSeq === ev.start && len === ev.len) {
        this.policy.push(`PSH flag differs (${ev.flags} expected, ${flagsToString(flags)} sent)`);
      } else if (pureAck && !(want === TCP_ACK && ev.len === 0)) {
        return 'extra-ack';
      } else {
        return `expected ${describe(ev)}, sent ${gotText}`;
      }
    }
    if (relSeq !== ev.start >>> 0 || len !== ev.len) {
      if (pureAck && want === TCP_ACK && ev.len === 0 && ev.ack !== null && relAck !== ev.ack) return 'extra-ack';
      return `expected ${describe(ev)}, sent ${gotText}`;
    }
    if (ev.ack !== null && want & TCP_ACK && flags & TCP_ACK && relAck !== ev.ack >>> 0) {
      if (pureAck) return 'extra-ack';
      return `expected ${describe(ev)}, sent ${gotText}`;
    }
    if (ev.win !== null && ev.win !== win) this.policy.push(`window ${win} where the script expects ${ev.win}`);
    const opts = decodeTcpOptions(b, 20, hlen);
    if (opts === null) return 'the stack sent malformed options';
    for (const o of opts) {
      if (o.kind === 'ts') {
        this.lastTsVal = o.val;
        const sv = ev.options?.find((x) => x.kind === 'ts');
        if (sv && this.tsOffset === null) this.tsOffset = (o.val - sv.val!) >>> 0;
      }
    }
    if (ev.options === null) return null;
    return this.compareOptions(ev.options ?? [], opts, `${describe(ev)}`);
  }

  private compareOptions(want: TcpOptionSpec[], got: TcpOption[], what: string): string | null {
    const find = <K extends TcpOption['kind']>(k: K) =>
      got.find((o) => o.kind === k) as Extract<TcpOption, { kind: K }> | undefined;
    const wfind = (k: TcpOptionSpec['kind']) => want.find((o) => o.kind === k);
    for (const k of ['mss', 'wscale', 'sackOK', 'ts', 'sack'] as const) {
      const w = wfind(k);
      const g = find(k);
      if (w === undefined && g === undefined) continue;
      if (w === undefined || g === undefined) {
        if (k === 'ts') {
          this.policy.push(`timestamps ${g ? 'sent' : 'not sent'} where the script ${w ? 'expects them' : 'has none'}`);
          continue;
        }
        return `${what}: option ${k} ${g ? 'sent but not expected' : 'expected but not sent'}`;
      }
      switch (k) {
        case 'mss':
        case 'wscale': {
          const gv = (g as { value: number }).value;
          if (w.value !== gv) this.policy.push(`${k} ${gv} where the script expects ${w.value}`);
          break;
        }
        case 'ts': {
          const gt = g as { val: number; ecr: number };
          if (w.ecr! >>> 0 !== gt.ecr) return `${what}: TS ecr ${gt.ecr} where the script expects ${w.ecr}`;
          break;
        }
        case 'sack': {
          const gb = (g as { blocks: Array<[number, number]> }).blocks.map(
            ([a, b2]) => `${(a - REMOTE_ISN) >>> 0}:${(b2 - REMOTE_ISN) >>> 0}`,
          );
          const wb = w.blocks!.map(([a, b2]) => `${a >>> 0}:${b2 >>> 0}`);
          if (gb[0] !== wb[0]) return `${what}: SACK blocks ${gb.join(' ')} where the script expects ${wb.join(' ')}`;
          const gs = new Set(gb);
          if (gb.length !== wb.length || !wb.every((x) => gs.has(x))) {
            return `${what}: SACK blocks ${gb.join(' ')} where the script expects ${wb.join(' ')}`;
          }
          if (gb.join(' ') !== wb.join(' ')) this.policy.push(`SACK block order ${gb.join(' ')} vs ${wb.join(' ')}`);
          break;
        }
      }
    }
    return null;
  }

  // --- system calls --------------------------------------------------------------------------------------------

  private fd(ev: SysEv): { n: number; fd: Fd } {
    const a = ev.args[0];
    if (a?.a !== 'int') throw new Stop('unsupported', `line ${ev.line}: ${ev.name} without a file descriptor`);
    const fd = this.fds.get(a.v);
    if (fd === undefined) throw new Stop('fail', `line ${ev.line}: ${ev.name} on unknown fd ${a.v}`);
    return { n: a.v, fd };
  }

  private expectRet(ev: SysEv, ret: number, errno: string | null = null): void {
    const same = (a: string | null, b: string | null) => a === b || (EAGAIN.has(a ?? '') && EAGAIN.has(b ?? ''));
    if (ret !== ev.ret || (ev.ret === -1 && !same(errno, ev.errno))) {
      const want = ev.ret === -1 ? `-1 ${ev.errno}` : String(ev.ret);
      const got = ret === -1 ? `-1 ${errno}` : String(ret);
      throw new Stop('fail', `line ${ev.line}: ${ev.name}() returned ${got}, the script expects ${want}`);
    }
  }

  private syscall(ev: SysEv, t: number): void {
    switch (ev.name) {
      case 'socket': {
        const type = ev.args[1];
        if (type?.a !== 'word' || type.v !== 'SOCK_STREAM')
          throw new Stop('unsupported', `line ${ev.line}: non-TCP socket`);
        this.tcp();
        this.fds.set(ev.ret, { kind: 'socket', nonblock: false, opts: {} });
        return;
      }
      case 'fcntl': {
        const { fd } = this.fd(ev);
        const cmd = ev.args[1];
        if (cmd?.a === 'word' && cmd.v === 'F_SETFL') fd.nonblock = argHas(ev.args[2], 'O_NONBLOCK');
        return;
      }
      case 'setsockopt':
        this.setsockopt(ev);
        return;
      case 'getsockopt':
        this.getsockopt(ev);
        return;
      case 'bind':
        this.fd(ev);
        this.expectRet(ev, 0);
        return;
      case 'listen': {
        const { fd } = this.fd(ev);
        const backlog = ev.args[1]?.a === 'int' ? ev.args[1].v : 128;
        fd.listener = this.tcp().listen({ port: LOCAL_PORT, backlog: Math.max(backlog, 1), ...this.sockOpts(fd) });
        fd.kind = 'listener';
        this.expectRet(ev, 0);
        return;
      }
      case 'accept':
      case 'accept4': {
        const { fd } = this.fd(ev);
        if (ev.time.end !== null) {
          this.pending = { ev, fd: this.fd(ev).n, end: this.endTime(ev, t) };
          return;
        }
        this.doAccept(ev, fd);
        return;
      }
      case 'connect': {
        const { fd } = this.fd(ev);
        if (fd.kind === 'conn') {
          // A second connect() on a non-blocking socket: report the outcome.
          const sk = fd.sk!;
          if (sk.state === TcpState.ESTABLISHED)
            this.expectRet(ev, ev.ret === 0 ? 0 : -1, ev.ret === 0 ? null : 'EISCONN');
          else if (sk.error !== null) this.expectRet(ev, -1, sk.error);
          return;
        }
        const sk = this.tcp().connect({ addr: REMOTE_IP, port: LOCAL_PORT, ...this.sockOpts(fd) });
        this.remotePort = LOCAL_PORT;
        fd.kind = 'conn';
        fd.sk = sk;
        this.conn = sk;
        if (ev.time.end !== null || !fd.nonblock) {
          this.pending = { ev, fd: this.fd(ev).n, end: this.endTime(ev, t) };
          return;
        }
        this.expectRet(ev, -1, 'EINPROGRESS');
        return;
      }
      case 'write':
      case 'send':
      case 'sendto': {
        const { fd } = this.fd(ev);
        const n = ev.args[2]?.a === 'int' ? ev.args[2].v : 0;
        if (fd.sk === undefined)
          throw new Stop('fail', `line ${ev.line}: ${ev.name} on a socket that is not connected`);
        if (ev.args[3]?.a === 'word' && ev.args[3].v !== '0' && ev.args[3].v !== 'MSG_DONTWAIT') {
          throw new Stop('unsupported', `line ${ev.line}: ${ev.name} flags ${ev.args[3].v}`);
        }
        let ret: number;
        let err: string | null = null;
        try {
          ret = fd.sk.send(Buffer.alloc(n, 0x61));
          if (ret === 0 && n > 0) {
            ret = -1;
            err = 'EAGAIN';
          }
        } catch (e) {
          ret = -1;
          err = e instanceof TcpSocketError ? e.code : String(e);
        }
        if (ret !== ev.ret && ret > 0 && ev.ret > ret)
          this.policy.push(`line ${ev.line}: send buffer took ${ret} of ${ev.ret}`);
        else this.expectRet(ev, ret, err);
        return;
      }
      case 'read':
      case 'recv':
      case 'recvfrom': {
        const { fd } = this.fd(ev);
        if (ev.time.end !== null) {
          this.pending = { ev, fd: this.fd(ev).n, end: this.endTime(ev, t) };
          return;
        }
        this.doRead(ev, fd);
        return;
      }
      case 'close': {
        const { n, fd } = this.fd(ev);
        if (fd.listener) fd.listener.close();
        if (fd.sk) fd.sk.close();
        this.fds.delete(n);
        this.expectRet(ev, 0);
        return;
      }
      case 'shutdown': {
        const { fd } = this.fd(ev);
        const how = ev.args[1]?.a === 'word' ? ev.args[1].v : '';
        if (fd.sk === undefined) {
          this.expectRet(ev, -1, 'ENOTCONN');
          return;
        }
        fd.sk.shutdown(how === 'SHUT_RD' ? 'read' : how === 'SHUT_WR' ? 'write' : 'both');
        this.expectRet(ev, 0);
        return;
      }
      default:
        throw new Stop('unsupported', `line ${ev.line}: system call ${ev.name}()`);
    }
  }

  private doAccept(ev: SysEv, fd: Fd): void {
    const sk = fd.listener?.accept() ?? null;
    if (sk === null) {
      this.expectRet(ev, -1, 'EAGAIN');
      return;
    }
    this.fds.set(ev.ret, { kind: 'conn', nonblock: false, sk, opts: {} });
    this.conn = sk;
    this.expectRet(ev, ev.ret);
  }

  private doRead(ev: SysEv, fd: Fd): void {
    const sk = fd.sk;
    if (sk === undefined) throw new Stop('fail', `line ${ev.line}: read on a socket that is not connected`);
    const n = ev.args[2]?.a === 'int' ? ev.args[2].v : 0;
    const peek = argHas(ev.args[3], 'MSG_PEEK');
    if (sk.readableLength > 0) {
      const buf = Buffer.alloc(n);
      this.expectRet(ev, sk.recvInto(buf, 0, n, peek));
      return;
    }
    if (sk.error !== null) {
      const e = sk.error;
      if (!peek) sk.error = null;
      this.expectRet(ev, -1, e);
      return;
    }
    if (sk.eof || sk.state === TcpState.CLOSE) {
      this.expectRet(ev, 0);
      return;
    }
    this.expectRet(ev, -1, 'EAGAIN');
  }

  private completePending(end: number): void {
    const p = this.pending!;
    this.pending = null;
    if (end !== Number.POSITIVE_INFINITY) this.advanceTo(end);
    const fd0 = this.fds.get(p.fd);
    if (fd0 !== undefined && p.ev.name === 'connect' && end !== Number.POSITIVE_INFINITY) {
      // Not connected yet at the time of the next call: wait for the handshake up to the promised end.
      while (fd0.sk!.state === TcpState.SYN_SENT && this.clock.nextEventTime() <= p.end) this.clock.step(p.end);
    }
    const fd = this.fds.get(p.fd);
    if (fd === undefined) throw new Stop('fail', `line ${p.ev.line}: blocking ${p.ev.name} lost its fd`);
    switch (p.ev.name) {
      case 'connect': {
        const sk = fd.sk!;
        if (end === Number.POSITIVE_INFINITY) {
          while (sk.state === TcpState.SYN_SENT || sk.state === TcpState.SYN_RECV) {
            if (!this.clock.step()) break;
          }
        }
        if (sk.state === TcpState.ESTABLISHED || sk.state === TcpState.CLOSE_WAIT) this.expectRet(p.ev, 0);
        else this.expectRet(p.ev, -1, sk.error ?? 'EINPROGRESS');
        return;
      }
      case 'accept':
      case 'accept4':
        this.doAccept(p.ev, fd);
        return;
      default:
        this.doRead(p.ev, fd);
    }
  }

  private sockOpts(fd: Fd): Record<string, unknown> {
    const o = fd.opts;
    const out: Record<string, unknown> = {};
    if (o.rcvBuf !== undefined) out.rcvBuf = o.rcvBuf;
    if (o.sndBuf !== undefined) out.sndBuf = o.sndBuf;
    if (o.noDelay !== undefined) out.noDelay = o.noDelay;
    if (o.maxSeg !== undefined) out.maxSeg = o.maxSeg;
    if (o.congestion !== undefined) out.congestion = o.congestion;
    if (o.userTimeoutMs !== undefined) out.userTimeoutMs = o.userTimeoutMs;
    if (o.keepAlive !== undefined) out.keepAlive = o.keepAlive;
    return out;
  }

  private setsockopt(ev: SysEv): void {
    const { fd } = this.fd(ev);
    const name = ev.args[2]?.a === 'word' ? ev.args[2].v : '?';
    const v = ev.args[3];
    const int = v?.a === 'array' && v.v[0]?.a === 'int' ? v.v[0].v : v?.a === 'int' ? v.v : Number.NaN;
    const sk = fd.sk;
    switch (name) {
      case 'SO_REUSEADDR':
      case 'SO_REUSEPORT':
        break;
      case 'SO_RCVBUF':
        fd.opts.rcvBuf = int;
        this.policy.push(`SO_RCVBUF ${int}: buffer accounting differs from the script's OS`);
        break;
      case 'SO_SNDBUF':
        fd.opts.sndBuf = int;
        break;
      case 'TCP_NODELAY':
        fd.opts.noDelay = int !== 0;
        sk?.setNoDelay(int !== 0);
        break;
      case 'TCP_MAXSEG':
        fd.opts.maxSeg = int;
        break;
      case 'TCP_USER_TIMEOUT':
        fd.opts.userTimeoutMs = int;
        sk?.setUserTimeout(int);
        break;
      case 'SO_KEEPALIVE':
        fd.opts.keepAlive = int !== 0;
        sk?.setKeepAlive(int !== 0);
        break;
      case 'TCP_KEEPIDLE':
        sk?.setKeepAlive(sk.keepAlive, int * 1000);
        break;
      case 'TCP_KEEPINTVL':
        sk?.setKeepAlive(sk.keepAlive, undefined, int * 1000);
        break;
      case 'TCP_KEEPCNT':
        sk?.setKeepAlive(sk.keepAlive, undefined, undefined, int);
        break;
      case 'SO_LINGER': {
        const s = v?.a === 'struct' ? v.v : [];
        const onoff = s[0]?.a === 'int' ? s[0].v : 0;
        const secs = s[1]?.a === 'int' ? s[1].v : 1;
        if (sk) sk.lingerAbort = onoff !== 0 && secs === 0;
        break;
      }
      case 'TCP_CONGESTION': {
        const s = v?.a === 'str' ? v.v : '';
        if (s !== 'reno' && s !== 'cubic') throw new Stop('unsupported', `line ${ev.line}: congestion control ${s}`);
        fd.opts.congestion = s;
        sk?.setCongestion(s);
        break;
      }
      default:
        throw new Stop('unsupported', `line ${ev.line}: setsockopt ${name}`);
    }
    this.expectRet(ev, 0);
  }

  private getsockopt(ev: SysEv): void {
    const { fd } = this.fd(ev);
    const name = ev.args[2]?.a === 'word' ? ev.args[2].v : '?';
    switch (name) {
      case 'SO_ERROR': {
        const v = ev.args[3];
        const want = v?.a === 'array' ? v.v[0] : undefined;
        const sk = fd.sk;
        const err = sk?.error ?? null;
        if (sk) sk.error = null;
        const wantErr = want?.a === 'word' ? want.v : want?.a === 'int' && want.v === 0 ? null : '?';
        if (err !== wantErr) {
          throw new Stop('fail', `line ${ev.line}: SO_ERROR is ${err ?? 0}, the script expects ${wantErr ?? 0}`);
        }
        return;
      }
      case 'SO_RCVBUF':
      case 'SO_SNDBUF':
        this.skipped.push(`line ${ev.line}: getsockopt ${name} (buffer sizes are policy)`);
        return;
      default:
        throw new Stop('unsupported', `line ${ev.line}: getsockopt ${name}`);
    }
  }
}

function argHas(a: Arg | undefined, word: string): boolean {
  if (a === undefined) return false;
  if (a.a === 'word') return a.v === word;
  if (a.a === 'or') return a.v.some((x) => argHas(x, word));
  return false;
}

function describe(ev: PacketEvent): string {
  return `${ev.flags} ${ev.start}:${ev.end}(${ev.len})${ev.ack !== null ? ` ack ${ev.ack}` : ''}${ev.win !== null ? ` win ${ev.win}` : ''}`;
}

function fmtT(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/** Parse and run one script. */
export function runPacketdrill(src: string): RunResult {
  let script: Script;
  try {
    script = parseScript(src);
  } catch (e) {
    return { verdict: 'unsupported', reason: `syntax: ${(e as Error).message}`, policy: [], skipped: [], line: 0 };
  }
  try {
    return new PacketdrillRunner(script).run();
  } catch (e) {
    if (e instanceof Stop) return { verdict: e.verdict, reason: e.reason, policy: [], skipped: [], line: 0 };
    throw e;
  }
}
