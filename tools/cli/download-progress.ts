/**
 * The firmware download progress bar (cli-progress): shown on a terminal only — silent with --json or when the
 * stream is not a TTY (a pipe, a file, CI logs). Feed it the driver's download progress events (bytes done of the
 * total: Mt7921uDeviceOptions.onProgress) and stop it when the bring-up ends, successfully or not.
 *
 *   const bar = downloadProgressBar({ json: opts.json });
 *   const { device } = createMt7921uDevice({ ..., onProgress: bar.update });
 *   try { await device.probe(); } finally { bar.stop(); }
 */
import { SingleBar } from 'cli-progress';
import type { DownloadProgress } from '../../drivers/mt7921u/firmware-load.ts';

/** What the bar writes to: process.stdout or process.stderr (or a stand-in with the same fields). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface DownloadProgressOptions {
  /** --json: never draw. */
  json?: boolean;
  /** Where to draw (default process.stderr, so that stdout stays the command's output). */
  stream?: ProgressStream;
  /** Text before the bar (default "firmware"). */
  label?: string;
}

export interface DownloadProgressBar {
  /** True when the bar draws (a TTY and not --json). */
  readonly enabled: boolean;
  /** One progress event; safe to pass as a callback (bound). */
  readonly update: (p: DownloadProgress) => void;
  /** Draw the last state and release the line. Idempotent. */
  stop(): void;
}

const KIB = 1024;

export function downloadProgressBar(opts: DownloadProgressOptions = {}): DownloadProgressBar {
  const stream = opts.stream ?? process.stderr;
  const enabled = !opts.json && stream.isTTY === true;
  if (!enabled) return { enabled, update: () => {}, stop: () => {} };
  const label = opts.label ?? 'firmware';
  const bar = new SingleBar({
    stream: stream as NodeJS.WritableStream,
    format: `${label} {phase} [{bar}] {percentage}% {doneKiB}/{totalKiB} KiB`,
    barsize: 30,
    hideCursor: false,
    clearOnComplete: false,
    stopOnComplete: false,
    noTTYOutput: false,
  });
  let started = false;
  let stopped = false;
  return {
    enabled,
    update: (p) => {
      if (stopped) return;
      const payload = {
        phase: p.phase.padEnd(5),
        doneKiB: Math.round(p.done / KIB),
        totalKiB: Math.round(p.total / KIB),
      };
      if (!started) {
        started = true;
        bar.start(p.total, p.done, payload);
      } else {
        bar.setTotal(p.total);
        bar.update(p.done, payload);
      }
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (started) bar.stop();
    },
  };
}
