/**
 * External truth for every capture airstack writes: Wireshark's dissector. `tsharkCheck` reads a pcap/pcapng with
 * tshark and reports read errors and every packet tshark marks malformed.
 */
import { spawnSync } from 'node:child_process';

export function haveTshark(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface TsharkReport {
  ok: boolean;
  packets: number;
  malformed: string[];
  stderr: string;
}

/** Read `file` with tshark; ok when it reads cleanly and no packet is malformed. */
export function tsharkCheck(file: string, extraArgs: string[] = []): TsharkReport {
  const all = spawnSync('tshark', ['-n', '-r', file, ...extraArgs], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const packets = all.stdout ? all.stdout.split('\n').filter((l) => l.trim() !== '').length : 0;
  const bad = spawnSync(
    'tshark',
    ['-n', '-r', file, '-Y', '_ws.malformed || _ws.expert.severity == "error"', ...extraArgs],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    },
  );
  const malformed = bad.stdout ? bad.stdout.split('\n').filter((l) => l.trim() !== '') : [];
  const stderr = `${all.stderr ?? ''}${bad.stderr ?? ''}`.trim();
  return { ok: all.status === 0 && bad.status === 0 && malformed.length === 0, packets, malformed, stderr };
}

/** Run tshark with arbitrary arguments and return stdout (throws on failure). */
export function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
