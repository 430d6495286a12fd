import { describe, expect, it } from 'vitest';
import { emulatorWorld, settle } from '../../test/mt7921u/world.ts';
import { downloadProgressBar, type ProgressStream } from './download-progress.ts';

/** A stand-in terminal (or pipe) that keeps what was written, without the cursor-control sequences. */
function stream(isTTY: boolean): ProgressStream & { text(): string; writes: number } {
  const chunks: string[] = [];
  return {
    isTTY,
    columns: 100,
    writes: 0,
    write(chunk: string) {
      this.writes++;
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join('').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''),
  };
}

describe('download progress bar', () => {
  it('on a terminal: follows the driver through a real bring-up on the emulator and ends at 100 %', async () => {
    const tty = stream(true);
    const bar = downloadProgressBar({ stream: tty });
    expect(bar.enabled).toBe(true);
    const w = emulatorWorld({ device: { onProgress: bar.update } });
    try {
      await settle(w.clock, w.device.probe());
    } finally {
      bar.stop();
    }
    const total = w.device.download!.patchBytes + w.device.download!.ramBytes;
    const kib = Math.round(total / 1024);
    expect(tty.text()).toMatch(new RegExp(`firmware ram   \\[=+\\] 100% ${kib}/${kib} KiB`));
    const after = tty.writes;
    bar.stop();
    bar.update({ phase: 'ram', done: 1, total: 2 });
    expect(tty.writes).toBe(after); // stopped for good
  });

  it('silent with --json, when the stream is not a TTY, and when nothing was downloaded', () => {
    for (const [opts, s] of [
      [{ json: true }, stream(true)],
      [{}, stream(false)],
    ] as const) {
      const bar = downloadProgressBar({ ...opts, stream: s });
      expect(bar.enabled).toBe(false);
      bar.update({ phase: 'patch', done: 10, total: 100 });
      bar.stop();
      expect(s.writes).toBe(0);
    }
    const idle = stream(true);
    downloadProgressBar({ stream: idle }).stop();
    expect(idle.writes).toBe(0);
  });
});
