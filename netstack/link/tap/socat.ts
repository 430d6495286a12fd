/**
 * The `socat` TAP backend: a socat child opens the TAP (`TUN,tun-type=tap,iff-no-pi,tun-name=NAME`) and bridges it
 * to a connected UDP socket on 127.0.0.1, one Ethernet frame per datagram, both ways. This process talks UDP to it.
 *
 * Costs against the `fd` backend: two extra copies and a context switch per frame through socat, a loopback UDP
 * hop (datagrams can be lost if either socket buffer overflows), and a child process to supervise. It needs no
 * python and no Node internals. socat is started under `setpriv --pdeathsig KILL` when setpriv exists, so it dies
 * with us; without setpriv it exits on its own at the first frame after we are gone (ECONNREFUSED).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import type { Clock } from '../../core/clock.ts';
import { logger } from '../../core/log.ts';
import type { SkBuff } from '../../core/skb.ts';
import { findCommand, type TapBackend, type TapSink, TapWrite } from './backend.ts';
import { TapError } from './errors.ts';

const log = logger('tap');

/** Datagrams handed to the UDP socket and not yet completed before we report BUSY. */
const MAX_INFLIGHT = 256;
/** socat's transfer buffer: larger than any frame (its default of 8 KiB would truncate jumbo frames). */
const SOCAT_BUFFER = 65_536;
const SOCKET_BUFFER = 4 << 20;
const START_TIMEOUT_MS = 5_000;

export interface SocatOptions {
  name: string;
  clock: Clock;
  socat?: string;
}

function bindUdp(port = 0): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** A free loopback UDP port for socat's end (bound and released; a lost race makes socat fail and we retry). */
async function freeUdpPort(): Promise<number> {
  const s = await bindUdp();
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function socatError(name: string, stderr: string): TapError {
  const line =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => / [EF] /.test(l))
      .pop() ?? stderr.trim().split('\n').pop();
  if (/Operation not permitted|Permission denied/.test(stderr))
    return new TapError(`cannot create TAP ${name}: not permitted (run as root, or with CAP_NET_ADMIN)`, 'EPERM');
  if (/Device or resource busy/.test(stderr))
    return new TapError(`TAP ${name} is already in use by another process`, 'EBUSY');
  if (/TUNSETIFF.*Invalid argument/.test(stderr))
    return new TapError(`${name} exists and is not a TAP device: pick another name`, 'EINVAL');
  if (/No such file or directory/.test(stderr) && /net\/tun/.test(stderr))
    return new TapError('/dev/net/tun does not exist: load the tun module (modprobe tun)', 'ENOENT');
  if (/Address already in use/.test(stderr)) return new TapError('socat: loopback port taken', 'EADDRINUSE');
  return new TapError(`socat could not open TAP ${name}: ${line || 'it exited'}`, 'socat');
}

export class SocatBackend implements TapBackend {
  readonly kind = 'socat' as const;
  readonly description: string;
  private sink: TapSink | null = null;
  private inflight = 0;
  private wantWritable = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private exited = false;

  private constructor(
    private readonly sock: dgram.Socket,
    private readonly child: ChildProcess,
    readonly name: string,
    port: number,
  ) {
    this.description = `socat (pid ${child.pid}, udp 127.0.0.1:${port})`;
    child.on('exit', (code, signal) => {
      this.exited = true;
      if (!this.closed) {
        log('socat exited (%s)', signal ?? code);
        this.sink?.readError('socat-exited', true);
      }
    });
    sock.on('message', (msg) => {
      if (this.closed) return;
      this.sink?.frame(msg, 0, msg.length);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      // ECONNREFUSED: socat is gone; other errors are per datagram.
      if (!this.closed) this.sink?.readError(e.code ?? 'EIO', e.code === 'ECONNREFUSED');
    });
  }

  static available(socat = 'socat'): boolean {
    return findCommand(socat) !== null;
  }

  static async open(opts: SocatOptions): Promise<SocatBackend> {
    const socat = opts.socat ?? 'socat';
    if (findCommand(socat) === null) throw new TapError('socat not found: install socat (or python3)', 'no-socat');
    for (let attempt = 0; ; attempt++) {
      try {
        return await SocatBackend.tryOpen(opts, socat);
      } catch (e) {
        if (e instanceof TapError && e.code === 'EADDRINUSE' && attempt < 3) continue;
        throw e;
      }
    }
  }

  private static async tryOpen(opts: SocatOptions, socat: string): Promise<SocatBackend> {
    const sock = await bindUdp();
    const ours = sock.address().port;
    const theirs = await freeUdpPort();
    const socatArgs = [
      '-d',
      '-d',
      '-b',
      String(SOCAT_BUFFER),
      `TUN,tun-type=tap,iff-no-pi,tun-name=${opts.name}`,
      `UDP:127.0.0.1:${ours},bind=127.0.0.1:${theirs}`,
    ];
    const setpriv = findCommand('setpriv');
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', socat, ...socatArgs], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(socat, socatArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let ready = false;
    let exited = false;
    let wake: (() => void) | null = null;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
      // With -d -d socat says this once the TAP is attached and it is forwarding.
      if (!ready && stderr.includes('starting data transfer loop')) {
        ready = true;
        wake?.();
      }
      log('socat: %s', d.trim());
    });
    const onExit = () => {
      exited = true;
      wake?.();
    };
    // 'close' (not 'exit'): by then stderr has been read to the end.
    child.once('close', onExit);
    child.once('error', onExit);
    const timer = opts.clock.setTimeout(() => wake?.(), START_TIMEOUT_MS);
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (ready || exited) resolve();
    });
    timer.cancel();
    if (!ready) {
      child.kill('SIGKILL');
      sock.close();
      if (!exited) {
        throw new TapError(`socat did not open TAP ${opts.name} within ${START_TIMEOUT_MS / 1000} s`, 'timeout');
      }
      throw socatError(opts.name, stderr);
    }
    sock.connect(theirs, '127.0.0.1');
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    return new SocatBackend(sock, child, opts.name, ours);
  }

  start(sink: TapSink, _maxFrame: number): void {
    // Node receives each datagram whole into a 64 KiB buffer, so any frame length is seen as it is.
    this.sink = sink;
    if (this.exited) sink.readError('socat-exited', true);
  }

  write(skb: SkBuff): TapWrite {
    if (this.closed || this.exited) {
      skb.drop();
      return TapWrite.LINK_DOWN;
    }
    if (this.inflight >= MAX_INFLIGHT) {
      this.wantWritable = true;
      return TapWrite.BUSY;
    }
    this.inflight++;
    // The bytes must stay untouched until the send completes: the skb is freed then.
    this.sock.send(skb.buf, skb.data, skb.len, (err) => {
      this.inflight--;
      if (err) {
        log('send failed: %s', err.message);
        skb.drop();
      } else skb.free();
      if (this.wantWritable && this.inflight < MAX_INFLIGHT / 2) {
        this.wantWritable = false;
        this.sink?.writable();
      }
    });
    return TapWrite.OK;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = new Promise<void>((resolve) => {
      const finish = () => this.sock.close(() => resolve());
      if (this.exited) {
        finish();
        return;
      }
      this.child.once('exit', finish);
      // socat closes the TAP on SIGTERM; a non-persistent TAP then disappears.
      this.child.kill('SIGTERM');
    });
    return this.closing;
  }
}
