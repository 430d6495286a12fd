/**
 * Interop with the Linux kernel: a world is a uniquely named network namespace holding the kernel's side of a TAP;
 * airstack sits on the other side of the TAP (in this process, or as an `airstack host` child). The kernel in the
 * namespace is the reference peer: its ping, its UDP sockets, later its curl, python3 -m http.server, dnsmasq and
 * dhclient, all run with `world.exec()` / `world.spawn()`.
 *
 *     describeInterop('kernel ping', { tools: ['ping'] }, () => {
 *       let world: NetnsWorld;
 *       beforeAll(async () => { world = await NetnsWorld.create(); ... await world.attachTap(clock) ... });
 *       afterAll(() => world?.destroy());
 *       it('...', async () => { const r = await world.exec(['ping', '-c', '1', world.airstackIp]); ... });
 *     });
 *
 * Names carry the pid and a random part, so parallel runs never collide. Cleanup: destroy() kills every child the
 * world spawned and deletes the namespace (which also deletes the TAP); a process 'exit' hook deletes namespaces
 * a crashed test left, and on load the harness removes namespaces of earlier runs whose process is gone.
 *
 * Skips: without root, /dev/net/tun, `ip` (or a tool a suite asks for) the suite is skipped with the reason — and
 * fails instead when AIRSTACK_REQUIRE_TAP=1 (CI), so that a CI image missing a tool cannot pass silently.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import type { Clock } from '../../netstack/core/clock.ts';
import { TapDevice, type TapOptions } from '../../netstack/link/tap.ts';
import { attachPcap } from '../../netstack/pcap/capture.ts';
import { FileSink, PcapngWriter } from '../../netstack/pcap/pcapng-writer.ts';
import { Stack } from '../../netstack/stack.ts';
import { findCommand } from '../../netstack/link/tap/backend.ts';
import { addNetns, delNetns, ip, linkState, setLinkUp } from '../../netstack/link/tap/iproute.ts';

export const REQUIRE_TAP = process.env.AIRSTACK_REQUIRE_TAP === '1';

const NETNS_PREFIX = 'airstack-';

/** Why interop tests cannot run on this machine (null: they can). `tools`: extra commands the suite runs. */
export function interopBlocker(tools: readonly string[] = []): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (TAP devices and network namespaces need root)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun (modprobe tun, or pass --device /dev/net/tun)';
  if (!findCommand('ip')) return "no 'ip' command (install iproute2)";
  if (!findCommand('python3') && !findCommand('socat')) return 'no TAP backend (install python3 or socat)';
  for (const t of tools) if (!findCommand(t)) return `no '${t}' command (install it; see .ci/run)`;
  return null;
}

/**
 * describe() for a suite that needs the kernel: runs it, or skips it with the reason, or — when
 * AIRSTACK_REQUIRE_TAP=1 — turns the missing prerequisite into a failing test.
 */
export function describeInterop(title: string, opts: { tools?: readonly string[] }, body: () => void): void {
  const blocker = interopBlocker(opts.tools);
  if (blocker === null) {
    describe(title, body);
  } else if (REQUIRE_TAP) {
    describe(title, () => {
      it('has what the interop tests need', () => {
        throw new Error(`AIRSTACK_REQUIRE_TAP=1 but ${blocker}`);
      });
    });
  } else {
    const why = `skipped: ${blocker}; AIRSTACK_REQUIRE_TAP=1 makes this a failure`;
    console.warn(`interop: '${title}' ${why}`);
    describe.skip(`${title} (${why})`, body);
  }
}

/** Call inside a describe(): when one of its tests fails, `world().keepCapture` is set. */
export function failureTracker(world: () => NetnsWorld | undefined): void {
  afterEach((ctx) => {
    const w = world();
    if (w && ctx.task.result?.state === 'fail') w.keepCapture = true;
  });
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface WorldOptions {
  /** The kernel's address on the TAP (default 10.207.0.1). */
  kernelIp?: string;
  /** The address airstack uses (default 10.207.0.2). */
  airstackIp?: string;
  prefix?: number;
}

let seq = 0;
const live = new Set<string>();
let exitHook = false;

function uniqueNames(): { ns: string; tap: string } {
  seq++;
  const rnd = randomBytes(3).toString('hex');
  return {
    ns: `${NETNS_PREFIX}${process.pid}-${seq}-${rnd}`,
    // 15 bytes at most: 'at' + pid (base 36, ≤ 5) + seq (base 36) + 2 random hex digits.
    tap: `at${process.pid.toString(36)}${seq.toString(36)}${rnd.slice(0, 2)}`.slice(0, 15),
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A namespace this old cannot belong to a running test (worlds live seconds). */
const STALE_AFTER_MS = 15 * 60_000;

/**
 * Delete namespaces of earlier runs whose process is gone (a killed test run cannot clean up after itself). Only
 * old ones: a process in another pid namespace that shares /run/netns would look dead to us.
 */
export function reapStaleNamespaces(): void {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return;
  for (const line of r.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^airstack-(\d+)-/.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    let age = 0;
    try {
      age = Date.now() - statSync(`/run/netns/${name}`).mtimeMs;
    } catch {
      continue;
    }
    if (age > STALE_AFTER_MS) delNetns(name);
  }
}

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const ns of live) spawnSync('ip', ['netns', 'del', ns]);
  });
}

export class NetnsWorld {
  readonly kernelIp: string;
  readonly airstackIp: string;
  readonly prefix: number;
  private children = new Set<ChildProcess>();
  private devices: TapDevice[] = [];
  private captures: Array<{ writer: PcapngWriter; detach: () => void }> = [];
  private destroyed = false;
  /** Set by failureTracker(): keep the capture for a person to look at. */
  keepCapture = false;
  /** Where this world's capture goes (see capture()). */
  readonly capturePath: string;

  private constructor(
    /** The network namespace holding the kernel's side. */
    readonly ns: string,
    /** The TAP's name (unique per world). */
    readonly tapName: string,
    opts: WorldOptions,
  ) {
    this.kernelIp = opts.kernelIp ?? '10.207.0.1';
    this.airstackIp = opts.airstackIp ?? '10.207.0.2';
    this.prefix = opts.prefix ?? 24;
    this.capturePath = join(tmpdir(), `${ns}.pcapng`);
  }

  /** A new, empty namespace (loopback up). */
  static async create(opts: WorldOptions = {}): Promise<NetnsWorld> {
    if (seq === 0) reapStaleNamespaces();
    installExitHook();
    const { ns, tap } = uniqueNames();
    addNetns(ns);
    live.add(ns);
    const world = new NetnsWorld(ns, tap, opts);
    try {
      setLinkUp('lo', true, ns);
    } catch (e) {
      await world.destroy();
      throw e;
    }
    return world;
  }

  /**
   * Open the world's TAP in this process (created, then moved into the namespace) and give the kernel's side its
   * address. Returns the device, not yet registered with a stack.
   */
  async attachTap(clock: Clock, opts: Partial<TapOptions> = {}): Promise<TapDevice> {
    const dev = await TapDevice.create({ ...opts, name: this.tapName, clock, netns: this.ns });
    this.devices.push(dev);
    this.configureKernelSide();
    return dev;
  }

  /**
   * airstack on the world's TAP: a Stack named 'airstack' with the device added and, unless `address: false`
   * (a DHCP client test), `airstackIp/prefix` assigned.
   */
  async attachStack(
    clock: Clock,
    opts: Partial<TapOptions> & { address?: boolean } = {},
  ): Promise<{ stack: Stack; dev: TapDevice }> {
    const { address, ...tapOpts } = opts;
    const dev = await this.attachTap(clock, tapOpts);
    const stack = new Stack({ clock, name: 'airstack' });
    stack.addDevice(dev);
    if (address !== false) stack.addAddress(dev, `${this.airstackIp}/${this.prefix}`);
    return { stack, dev };
  }

  /**
   * Capture everything on `dev` to `capturePath` (pcapng) until flushCapture() or destroy(). destroy() deletes the
   * file unless `keepCapture` is set (failureTracker() sets it when a test failed, so the capture is left behind).
   */
  capture(stack: Stack, dev: TapDevice): string {
    const writer = new PcapngWriter(new FileSink(this.capturePath), { userAppl: 'airstack interop test' });
    this.captures.push({ writer, detach: attachPcap(stack, writer, { devices: [dev] }) });
    return this.capturePath;
  }

  /** Stop capturing and close the file (so that tshark can read all of it); returns its path. */
  flushCapture(): string {
    for (const c of this.captures) {
      c.detach();
      c.writer.close();
    }
    this.captures = [];
    return this.capturePath;
  }

  /** Give the kernel's side of the TAP its address and bring it up (once the TAP is in the namespace). */
  configureKernelSide(): void {
    ip(['addr', 'replace', `${this.kernelIp}/${this.prefix}`, 'dev', this.tapName], this.ns);
    setLinkUp(this.tapName, true, this.ns);
  }

  /** Wait until the TAP shows up in the namespace (when an `airstack host` child creates it). */
  async waitForTap(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (linkState(this.tapName, this.ns) === null) {
      if (Date.now() > deadline) throw new Error(`TAP ${this.tapName} did not appear in ${this.ns}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** argv prefixed to run a command inside the namespace. */
  inNs(argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.ns, ...argv];
  }

  /** Start a command inside the namespace; it is killed by destroy() if still running. */
  spawn(argv: readonly string[], opts: { stdio?: 'pipe' | 'ignore' } = {}): ChildProcess {
    const [cmd, ...args] = this.inNs(argv);
    const child = spawn(cmd!, args, { stdio: opts.stdio ?? 'pipe' });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Run a command inside the namespace to completion (killed after `timeoutMs`). */
  exec(argv: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    return runChild(this.spawn(argv), opts);
  }

  /** Start a process outside the namespace (e.g. `airstack host`); it is killed by destroy() too. */
  spawnHost(cmd: string, args: readonly string[]): ChildProcess {
    const child = spawn(cmd, args, { stdio: 'pipe' });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Kill what the world started, close its TAPs and delete the namespace. Never throws. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const exits = [...this.children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    );
    await Promise.all(exits);
    for (const dev of this.devices) await dev.destroy().catch(() => {});
    delNetns(this.ns);
    live.delete(this.ns);
    this.flushCapture();
    if (this.keepCapture && existsSync(this.capturePath)) {
      console.warn(`interop: a test failed; the capture of the run is kept at ${this.capturePath}`);
    } else {
      rmSync(this.capturePath, { force: true });
    }
  }
}

/** Collect a child's output until it exits (SIGKILL after timeoutMs). */
export function runChild(child: ChildProcess, opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Resolve when `child` prints a line matching `re` on stdout (rejects if it exits first or after timeoutMs). */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let errBuf = '';
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
    };
    const onData = (d: Buffer | string) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        cleanup();
        resolve(line);
      }
    };
    const onErr = (d: Buffer | string) => {
      errBuf += d.toString();
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`exited (${code}) before printing ${re}: ${errBuf.trim() || buf.trim()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`no line matching ${re} within ${timeoutMs} ms; stdout: ${buf.trim()}; stderr: ${errBuf.trim()}`),
      );
    }, timeoutMs);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}
