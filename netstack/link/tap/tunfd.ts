/**
 * The `fd` TAP backend: this process holds the /dev/net/tun descriptor itself, with no compiled code.
 *
 * 1. Node opens /dev/net/tun (O_RDWR | O_NONBLOCK). The open file description is what the kernel binds to a TAP.
 * 2. A short-lived `python3` child inherits that descriptor as fd 3 and issues TUNSETIFF (IFF_TAP | IFF_NO_PI)
 *    on it: the ioctl acts on the shared open file description, so when python exits the kernel TAP stays bound to
 *    our descriptor. A name that does not exist yet creates a non-persistent TAP, which the kernel deletes when the
 *    descriptor is closed (also when this process dies), so nothing is left behind.
 * 3. Frames: one read() returns one whole frame, one write() sends one.
 *
 * Readers (see docs/TAP.md for the measurements behind the choice):
 *  - `epoll` (default): the descriptor is opened as a libuv stream handle (Node's internal pipe_wrap binding,
 *    reached through process.binding) so that libuv's epoll says when frames are waiting: no threadpool thread is
 *    held and latency is one loop turn. libuv reads the first frame; the rest that are waiting are taken with
 *    plain non-blocking read(2) calls (cheaper than a libuv callback each), up to a budget per loop turn so that
 *    the softirq runs before the backlog can overflow.
 *  - `poll` (fallback when that binding is unavailable, or on request): non-blocking readSync() until EAGAIN,
 *    then a 1 ms timer. About as cheap per frame under load, but adds up to ~1 ms of latency and wakes 1,000
 *    times a second when idle.
 * Writes are synchronous write(2) calls on the same descriptor: a TAP write does not block.
 * A blocking read on the libuv threadpool was measured too and rejected: it holds one of the four pool threads
 * forever, cannot be interrupted on close, and managed only a fifth of the frame rate.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants as fsc, openSync, readSync, writeSync } from 'node:fs';
import { constants as osc } from 'node:os';
import { getSystemErrorName } from 'node:util';
import type { Clock, Timer } from '../../core/clock.ts';
import { logger } from '../../core/log.ts';
import type { SkBuff } from '../../core/skb.ts';
import { findCommand, type TapBackend, TapWrite, type TapSink } from './backend.ts';
import { TapError } from './errors.ts';

const log = logger('tap');

export type TunReader = 'epoll' | 'poll';

const TUN_DEVICE = '/dev/net/tun';
/** _IOW('T', 202, int) */
const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
/** Poll reader: frames read per turn before yielding, and the idle re-check interval. */
const POLL_BATCH = 64;
const POLL_IDLE_MS = 1;
/** Epoll reader: extra frames read per wake-up, and frames read before the softirq must get a turn. */
const EPOLL_DRAIN = 63;
const LOOP_BUDGET = 256;
/** Retry interval after a write that the kernel refused for lack of memory (EAGAIN/ENOBUFS). */
const WRITE_RETRY_MS = 1;

// The ioctl runs in python (fd 3 is our /dev/net/tun descriptor). struct ifreq: 16-byte name, 16-bit flags, pad
// to 40 bytes. Prints the name the kernel settled on; on failure prints the errno name and exits 2.
const TUNSETIFF_PY = `
import errno, fcntl, struct, sys
try:
    r = fcntl.ioctl(3, ${TUNSETIFF}, struct.pack('16sH22x', sys.argv[1].encode(), ${IFF_TAP | IFF_NO_PI}))
except OSError as e:
    sys.stderr.write(errno.errorcode.get(e.errno, 'E%d' % e.errno))
    sys.exit(2)
sys.stdout.write(r[:16].split(b'\\0', 1)[0].decode())
`;

/** Open /dev/net/tun and bind it to TAP `name` (creating a non-persistent TAP if none exists). */
export function openTunFd(name: string, python = 'python3'): { fd: number; name: string } {
  let fd: number;
  try {
    fd = openSync(TUN_DEVICE, fsc.O_RDWR | fsc.O_NONBLOCK);
  } catch (e) {
    throw tunOpenError(e as NodeJS.ErrnoException);
  }
  try {
    const r = spawnSync(python, ['-c', TUNSETIFF_PY, name], {
      stdio: ['ignore', 'pipe', 'pipe', fd],
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      throw new TapError(
        code === 'ENOENT'
          ? `${python} not found: install python3 (or socat) for the TAP link`
          : `cannot run ${python}: ${r.error.message}`,
        'no-python',
      );
    }
    if (r.status !== 0) throw tunSetIffError(name, r.stderr.trim() || `exit ${r.status}`);
    return { fd, name: r.stdout || name };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function tunOpenError(e: NodeJS.ErrnoException): TapError {
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return new TapError(`cannot open ${TUN_DEVICE}: permission denied (run as root, or with CAP_NET_ADMIN)`, 'EPERM');
    case 'ENOENT':
      return new TapError(
        `${TUN_DEVICE} does not exist: load the tun module (modprobe tun), or in a container pass --device ${TUN_DEVICE}`,
        'ENOENT',
      );
    case 'ENODEV':
    case 'ENXIO':
      return new TapError(`${TUN_DEVICE}: the kernel has no tun driver (modprobe tun)`, e.code);
    default:
      return new TapError(`cannot open ${TUN_DEVICE}: ${e.message}`, e.code ?? 'EIO');
  }
}

function tunSetIffError(name: string, errname: string): TapError {
  switch (errname) {
    case 'EPERM':
    case 'EACCES':
      return new TapError(`cannot create TAP ${name}: not permitted (run as root, or with CAP_NET_ADMIN)`, 'EPERM');
    case 'EBUSY':
      return new TapError(`TAP ${name} is already in use by another process`, 'EBUSY');
    case 'EINVAL':
      return new TapError(`${name} exists and is not a TAP device: pick another name`, 'EINVAL');
    default:
      return new TapError(`cannot set up TAP ${name}: TUNSETIFF failed with ${errname}`, errname);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Node's libuv stream handle for a descriptor (internal binding, stable since Node 12; feature-detected).

interface PipeHandle {
  open(fd: number): number;
  readStart(): number;
  readStop(): number;
  close(cb?: () => void): void;
  onread: (ab?: ArrayBuffer) => void;
}

interface PipeBinding {
  Pipe: new (type: number) => PipeHandle;
  socketType: number;
  /** streamBaseState[kReadBytesOrError] holds nread (or a negative errno) during onread. */
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
}

let pipeBinding: PipeBinding | null | undefined;

/** The pipe_wrap binding when this Node exposes it, else null (then the poll reader is used). */
export function loadPipeBinding(): PipeBinding | null {
  if (pipeBinding !== undefined) return pipeBinding;
  pipeBinding = null;
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
    const pw = binding('pipe_wrap') as { Pipe?: unknown; constants?: { SOCKET?: number } };
    const sw = binding('stream_wrap') as {
      streamBaseState?: Int32Array;
      kReadBytesOrError?: number;
      kArrayBufferOffset?: number;
    };
    if (
      typeof pw.Pipe === 'function' &&
      typeof pw.constants?.SOCKET === 'number' &&
      sw.streamBaseState instanceof Int32Array &&
      typeof sw.kReadBytesOrError === 'number' &&
      typeof sw.kArrayBufferOffset === 'number'
    ) {
      pipeBinding = {
        Pipe: pw.Pipe as PipeBinding['Pipe'],
        socketType: pw.constants.SOCKET,
        state: sw.streamBaseState,
        kReadBytesOrError: sw.kReadBytesOrError,
        kArrayBufferOffset: sw.kArrayBufferOffset,
      };
    }
  } catch (e) {
    log('pipe_wrap binding unavailable: %s', (e as Error).message);
  }
  return pipeBinding;
}

// ---------------------------------------------------------------------------------------------------------------

export interface TunFdOptions {
  name: string;
  clock: Clock;
  /** Default: epoll when the binding exists, else poll. */
  reader?: TunReader | 'auto';
  python?: string;
}

export class TunFdBackend implements TapBackend {
  readonly kind = 'fd' as const;
  readonly description: string;
  private sink: TapSink | null = null;
  private pipe: PipeHandle | null = null;
  private pollTimer: Timer | null = null;
  private writeRetry: Timer | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readSize = 0;
  /** A read buffer that got EAGAIN, kept for the next read. */
  private spare: Buffer | null = null;
  /** A read failed for good (the TAP was deleted): reading has stopped. */
  private dead = false;

  private constructor(
    private readonly fd: number,
    readonly name: string,
    readonly reader: TunReader,
    private readonly clock: Clock,
  ) {
    this.description = `fd (${reader} reader)`;
  }

  static available(python = 'python3'): boolean {
    return findCommand(python) !== null;
  }

  static open(opts: TunFdOptions): TunFdBackend {
    let reader = opts.reader ?? 'auto';
    if (reader === 'auto') reader = loadPipeBinding() ? 'epoll' : 'poll';
    if (reader === 'epoll' && !loadPipeBinding()) {
      throw new TapError('the epoll TAP reader needs Node’s pipe_wrap binding, which this Node lacks', 'no-epoll');
    }
    const { fd, name } = openTunFd(opts.name, opts.python);
    return new TunFdBackend(fd, name, reader, opts.clock);
  }

  start(sink: TapSink, maxFrame: number): void {
    if (this.sink !== null || this.closed) return;
    this.sink = sink;
    this.readSize = maxFrame + 1; // one byte more than allowed, so that an oversize frame shows as such
    if (this.reader === 'epoll') this.startEpoll(sink);
    else this.startPoll();
  }

  /**
   * Read up to `max` frames with non-blocking read(2) calls: how many were delivered, and whether the descriptor
   * ran dry (EAGAIN) or failed. A failed read is reported to the sink and ends the batch; a fatal one (the TAP is
   * gone) sets `dead`, after which nothing reads again.
   */
  private drain(max: number): { n: number; empty: boolean } {
    const sink = this.sink!;
    let n = 0;
    while (n < max) {
      const buf = this.spare ?? Buffer.allocUnsafe(this.readSize);
      this.spare = null;
      let len: number;
      try {
        len = readSync(this.fd, buf, 0, this.readSize, null);
      } catch (e) {
        this.spare = buf;
        const code = errorCode(e as NodeJS.ErrnoException);
        if (code === 'EAGAIN' || code === 'EINTR') return { n, empty: true };
        // EBADFD: the TAP was deleted under us.
        const fatal = code === 'EBADFD' || code === 'EBADF' || code === 'EFAULT' || code === 'ENODEV';
        if (fatal) this.dead = true;
        sink.readError(code, fatal);
        return { n, empty: true };
      }
      sink.frame(buf, 0, len);
      n++;
    }
    return { n, empty: false };
  }

  private startEpoll(sink: TapSink): void {
    const b = loadPipeBinding()!;
    const h = new b.Pipe(b.socketType);
    const rc = h.open(this.fd);
    if (rc !== 0) throw new TapError(`cannot watch the TAP descriptor: ${errnoName(rc)}`, 'EIO');
    // Frames read since the softirq last had a turn: beyond LOOP_BUDGET we stop reading until it has run, so that
    // the backlog never overflows (the kernel's TAP queue holds — and counts — the excess, like a full RX ring).
    let sinceYield = 0;
    let paused = false;
    const yielded = () => {
      sinceYield = 0;
      if (paused && !this.closed && !this.dead) {
        paused = false;
        h.readStart();
      }
    };
    h.onread = (ab?: ArrayBuffer) => {
      const nread = b.state[b.kReadBytesOrError]!;
      if (nread < 0 || ab === undefined) {
        if (nread === 0) return;
        const code = nread < 0 ? errnoName(nread) : 'EIO';
        if (code === 'EAGAIN' || code === 'EINTR') return;
        h.readStop();
        if (!this.dead) {
          this.dead = true;
          sink.readError(code, true);
        }
        return;
      }
      // libuv read into a 64 KiB buffer and gives us exactly the frame, so any length is seen whole.
      const off = b.state[b.kArrayBufferOffset]!;
      sink.frame(Buffer.from(ab, off, nread), 0, nread);
      // More are often waiting: take them with plain read(2) calls, cheaper than one libuv callback each.
      const { n } = this.drain(EPOLL_DRAIN);
      if (this.dead) {
        h.readStop();
        return;
      }
      if (sinceYield === 0) this.clock.defer(yielded);
      sinceYield += 1 + n;
      if (sinceYield >= LOOP_BUDGET && !paused) {
        paused = true;
        h.readStop();
      }
    };
    const r = h.readStart();
    if (r !== 0) throw new TapError(`cannot read the TAP descriptor: ${errnoName(r)}`, 'EIO');
    this.pipe = h;
  }

  private startPoll(): void {
    const turn = () => {
      if (this.closed) return;
      const { empty } = this.drain(POLL_BATCH);
      if (this.dead) return;
      if (empty) this.pollTimer!.mod(POLL_IDLE_MS);
      else this.clock.defer(turn);
    };
    this.pollTimer = this.clock.timer(turn);
    turn();
  }

  write(skb: SkBuff): TapWrite {
    if (this.closed) {
      skb.drop();
      return TapWrite.LINK_DOWN;
    }
    try {
      writeSync(this.fd, skb.buf, skb.data, skb.len);
      skb.free();
      return TapWrite.OK;
    } catch (e) {
      const code = errorCode(e as NodeJS.ErrnoException);
      if (code === 'EAGAIN' || code === 'ENOBUFS' || code === 'ENOMEM') {
        this.writeRetry ??= this.clock.timer(() => this.sink?.writable());
        if (!this.writeRetry.pending) this.writeRetry.mod(WRITE_RETRY_MS);
        return TapWrite.BUSY;
      }
      log('write of %d bytes failed: %s', skb.len, code);
      skb.drop();
      // EIO: the kernel side is down.
      return code === 'EIO' ? TapWrite.LINK_DOWN : TapWrite.ERROR;
    }
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.pollTimer?.cancel();
    this.writeRetry?.cancel();
    const pipe = this.pipe;
    this.pipe = null;
    if (pipe !== null) {
      pipe.readStop();
      pipe.onread = noop; // must stay a function: the binding asserts on anything else
      // uv_close closes the descriptor: the kernel releases (and, if we created it, deletes) the TAP.
      this.closing = new Promise((resolve) => pipe.close(() => resolve()));
    } else {
      closeSync(this.fd);
      this.closing = Promise.resolve();
    }
    return this.closing;
  }
}

function noop(): void {}

/** Linux errnos a TAP read can return that libuv and os.constants do not name. */
const LINUX_ERRNO: Record<number, string> = { 77: 'EBADFD' };

/** Name of a negative errno as libuv reports it; libuv's own table lacks some (EBADFD when a TAP is deleted). */
function errnoName(n: number): string {
  const name = getSystemErrorName(n);
  if (!name.startsWith('Unknown')) return name;
  for (const [k, v] of Object.entries(osc.errno)) if (v === -n) return k;
  return LINUX_ERRNO[-n] ?? `E${-n}`;
}

/** The errno name of a failed fs call (Node has no name for errnos libuv does not map, such as EBADFD). */
function errorCode(e: NodeJS.ErrnoException): string {
  if (e.code !== undefined && /^E[A-Z0-9]+$/.test(e.code)) return e.code;
  return typeof e.errno === 'number' ? errnoName(e.errno < 0 ? e.errno : -e.errno) : 'EIO';
}
