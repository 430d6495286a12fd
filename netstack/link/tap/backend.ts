/**
 * What a TAP backend does for TapDevice: move whole Ethernet frames between the process and a Linux TAP
 * interface, one frame per read or write. Two exist: `fd` (the process holds the /dev/net/tun descriptor itself,
 * see tunfd.ts) and `socat` (a socat child bridges the TAP to a UDP socket, see socat.ts).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { SkBuff } from '../../core/skb.ts';

export type TapBackendKind = 'fd' | 'socat';

export enum TapWrite {
  /** Accepted; the backend frees the skb (now, or when the write completes). */
  OK = 0,
  /** Not now (the backend's queue is full): the caller keeps the skb and waits for sink.writable(). */
  BUSY = 1,
  /** The TAP is down on the kernel side (EIO), or the backend is gone: the backend dropped the skb. */
  LINK_DOWN = 2,
  /** Any other write error: the backend dropped the skb. */
  ERROR = 3,
}

/** Where a backend delivers what it reads. */
export interface TapSink {
  /** One frame: buf[start, end). The buffer is the receiver's from now on (never reused by the backend). */
  frame(buf: Buffer, start: number, end: number): void;
  /** A failed read (errno name). `fatal`: the link is gone (device deleted, socat exited) and reading stopped. */
  readError(code: string, fatal: boolean): void;
  /** The backend has room again after returning BUSY. */
  writable(): void;
}

export interface TapBackend {
  readonly kind: TapBackendKind;
  /** For people: e.g. "fd (epoll reader)" or "socat (pid 1234, udp 127.0.0.1:40001)". */
  readonly description: string;
  /**
   * Start reading. Frames longer than `maxFrame` bytes are still delivered whole when the backend can tell (the
   * receiver drops and counts them); the backend reads at least maxFrame + 1 bytes so that it can tell.
   */
  start(sink: TapSink, maxFrame: number): void;
  /** Write one frame (skb.data is at the Ethernet header). Takes ownership of skb unless the result is BUSY. */
  write(skb: SkBuff): TapWrite;
  /** Stop reading and release the descriptor / child. Idempotent. */
  close(): Promise<void>;
}

/** Absolute path of an executable on $PATH, or null. */
export function findCommand(name: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}
