/**
 * Every element and capability field airstack decodes, against Wireshark's verbose dissection: the two golden
 * dissections in ../shared/testdata/80211/golden (an HE association request from an Intel AX210 and a Wi-Fi 7 one
 * from a OnePlus 11, written by tshark 4.0.17), then tshark run live over every management frame of the
 * wlanpi-profiler and aircrack-ng captures.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingShared, sharedPath } from '../support/shared.ts';
import { haveTshark } from '../support/tshark.ts';
import { parseTree, splitFrames } from './tshark-tree.ts';
import { compareFrame, mergedVerbose, ourFrames, type Stats } from './verbose-compare.ts';

describe('golden verbose dissections (tshark 4.0.17)', () => {
  const cases = [
    ['IntelAX210_Windows10_10-3d-1c-00-00-00_5.8GHz-anonymized.pcap', 'HE reassociation request'],
    ['wifi7_OnePlus11_Android15.pcapng', 'Wi-Fi 7 association request'],
  ];
  for (const [capture, what] of cases) {
    const golden = sharedPath('testdata/80211/golden', `${capture}.verbose.txt`);
    const file = sharedPath('testdata/80211/wlanpi-profiler', capture);
    it.skipIf(!golden || !file)(
      golden && file ? `${what} (${capture}): every element and capability field matches` : missingShared(capture),
      () => {
        const frames = splitFrames(parseTree(readFileSync(golden as string, 'utf8')));
        const ours = ourFrames(file as string);
        expect(frames.length).toBe(ours.length);
        const stats: Stats = { elements: 0, checkedElements: 0, lines: 0 };
        const problems = frames.flatMap((f, i) => compareFrame(f, ours[i], `frame ${i + 1}`, stats));
        expect(problems).toEqual([]);
        // Both frames carry well over a dozen elements, most of which we decode.
        expect(stats.checkedElements).toBeGreaterThanOrEqual(12);
        expect(stats.lines).toBeGreaterThan(300);
      },
    );
  }
});

const haveMergecap = spawnSync('mergecap', ['-h'], { stdio: 'ignore' }).status === 0;

describe('live tshark over every capture', () => {
  for (const dir of ['wlanpi-profiler', 'aircrack-ng']) {
    const d = sharedPath('testdata/80211', dir);
    it.skipIf(!d || !haveTshark() || !haveMergecap)(
      d ? `${dir}: every management frame's fields and elements match tshark -V` : missingShared(dir),
      () => {
        const files = readdirSync(d as string)
          .filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
          .sort()
          .map((f) => join(d as string, f));
        const frames = mergedVerbose(files);
        const ours = files.flatMap((f) =>
          ourFrames(f).map((fr, i) => ({ fr, where: `${f.split('/').pop()} #${i + 1}` })),
        );
        expect(frames.length).toBe(ours.length);
        const stats: Stats = { elements: 0, checkedElements: 0, lines: 0 };
        const problems = frames.flatMap((f, i) => compareFrame(f, ours[i].fr, ours[i].where, stats));
        expect(problems.slice(0, 40)).toEqual([]);
        expect(stats.checkedElements).toBeGreaterThan(100);
      },
    );
  }
});
