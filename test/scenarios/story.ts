/**
 * One scenario, one story (hostap's hwsim tests): a fresh World in virtual time with a pcapng of the air (radiotap)
 * and of every station's Ethernet view. When the story ends, Wireshark's dissector reads the capture: a malformed
 * frame fails the test. When anything fails, the message names the capture, which is kept; a clean run removes it.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { World, type WorldOptions } from '../../mac80211/world/world.ts';
import { FileSink, PcapngWriter } from '../../netstack/pcap/pcapng-writer.ts';
import { haveTshark, tsharkCheck } from '../support/tshark.ts';

const dir = join(tmpdir(), 'airstack-scenarios');

export function story(
  name: string,
  fn: (w: World) => Promise<void>,
  /** `tshark: false` only where the air deliberately carries malformed frames (a rogue transmitter). */
  opts: WorldOptions & { timeoutMs?: number; tshark?: boolean } = {},
): void {
  it(
    name,
    async () => {
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-seed${opts.seed ?? 1}.pcapng`);
      const writer = new PcapngWriter(new FileSink(path));
      const w = new World(opts);
      w.capture(writer);
      try {
        await fn(w);
        w.close();
      } catch (e) {
        w.close();
        writer.close();
        const err = e as Error;
        err.message = `${err.message}\n  capture: ${path}`;
        console.error(`scenario "${name}" failed; capture: ${path}`);
        throw err;
      }
      writer.close();
      if (haveTshark() && opts.tshark !== false) {
        const r = tsharkCheck(path);
        if (!r.ok) {
          console.error(`scenario "${name}": tshark objects to ${path}`);
          throw new Error(
            `tshark found ${r.malformed.length} malformed frames in ${path}:\n${r.malformed.slice(0, 10).join('\n')}\n${r.stderr}`,
          );
        }
      }
      rmSync(path, { force: true });
    },
    opts.timeoutMs ?? 30_000,
  );
}
