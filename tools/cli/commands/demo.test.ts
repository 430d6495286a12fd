import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/support/shared.ts';
import { haveTshark, tsharkCheck } from '../../../test/support/tshark.ts';
import { runDemo } from './demo.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('airstack demo --device link', () => {
  it('on a lossless link every step succeeds', async () => {
    const r = await runDemo({ device: 'link', seed: 1, loss: 0, count: 4, json: true });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.arp.exchange).toEqual([
      expect.stringMatching(/^→ ARP, Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1$/),
      expect.stringMatching(/^← ARP, Reply 10\.0\.0\.2 is-at 02:0b:/),
    ]);
    expect(r.ping).toMatchObject({ transmitted: 4, received: 4, lost: 0 });
    expect(r.udp.every((u) => u.echoed && u.attempts === 1)).toBe(true);
    expect(r.fragmented).toMatchObject({ echoed: true, fragmentsSent: 5, reassembled: 1 });
    expect(r.counters.h2.Ip.ReasmOKs).toBe(1);
  });

  it('is deterministic for a seed', async () => {
    const strip = (x: Awaited<ReturnType<typeof runDemo>>) => ({ ...x, wallTimeMs: 0 });
    const a = await runDemo({ device: 'link', seed: 9, loss: 0.2, count: 5, json: true });
    const b = await runDemo({ device: 'link', seed: 9, loss: 0.2, count: 5, json: true });
    expect(strip(a)).toEqual(strip(b));
  });

  it('on a lossy link reports what was lost, and every counter still adds up', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await runDemo({ device: 'link', seed, loss: 0.3, count: 5, json: true });
      expect(r.failures).toEqual([]);
      expect(r.link.aToB.lost + r.link.bToA.lost).toBeGreaterThan(0);
    }
  });

  it('writes a capture that tshark reads cleanly', async (ctx) => {
    if (!haveTshark()) return ctx.skip('tshark is not installed');
    const file = join(dir, 'demo.pcapng');
    const r = await runDemo({ device: 'link', seed: 1, loss: 0, count: 2, json: true, pcap: file });
    expect(r.ok).toBe(true);
    const t = tsharkCheck(file);
    expect(t.malformed).toEqual([]);
    expect(t.ok).toBe(true);
    expect(t.packets).toBe(r.link.aToB.txFrames + r.link.bToA.txFrames + r.link.aToB.delivered + r.link.bToA.delivered);
  });

  it('runs from the command line: JSON out, exit 0; bad arguments: one line, exit 1', () => {
    const cli = join(repoRoot, 'bin/airstack.js');
    const ok = spawnSync(process.execPath, [cli, 'demo', '--device', 'link', '--json', '--count', '2'], {
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).ok).toBe(true);
    const bad = spawnSync(process.execPath, [cli, 'demo', '--loss', '2'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('airstack: --loss 2: expected a number from 0 to 0.9');
    const dev = spawnSync(process.execPath, [cli, 'demo', '--device', 'wifi'], { encoding: 'utf8' });
    expect(dev.status).toBe(1);
    expect(dev.stderr).toMatch(/unknown device "wifi" \(available: usb, emulated, hwsim, link\)/);
    const opt = spawnSync(process.execPath, [cli, 'demo', '--device', 'link', '--ssid', 'x'], { encoding: 'utf8' });
    expect(opt.status).toBe(1);
    expect(opt.stderr.trim()).toBe('airstack: --ssid is for --device usb, emulated or hwsim, not link');
  });
});
