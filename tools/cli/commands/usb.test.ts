import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrace } from '../../../drivers/mt7921u/usb/trace.ts';
import { repoRoot } from '../../../test/support/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-usbcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI with no firmware on disk (so the emulator gets synthetic images) and stdout not a terminal. */
function airstack(...args: string[]) {
  const env = { ...process.env, AIRSTACK_FIRMWARE_DIR: join(dir, 'no-firmware') };
  const r = spawnSync(process.execPath, ['bin/airstack.js', ...args], { cwd: repoRoot, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('airstack usb', () => {
  it('up --device emulated --json --usb-trace FILE: the report of issue 5 and a trace of the whole bring-up', () => {
    const trace = join(dir, 'up.jsonl');
    const r = airstack('usb', 'up', '--device', 'emulated', '--json', '--usb-trace', trace);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      device: 'emulated',
      driver: { chip: '7961', rev: '0x10', usb: { vid: '0e8d', pid: '7961' } },
      firmware: { source: 'synthetic', patch: { bytes: 9160 }, ram: { version: '____010000', regions: 5 } },
      initAttempts: 1,
      antennaMask: 3,
      usbTrace: trace,
    });
    expect(j.firmware.downloadMs).toBeGreaterThan(0);
    const recs = parseTrace(readFileSync(trace, 'utf8'));
    expect(recs[0]!.type).toBe('open');
    expect(recs.at(-1)!.type).toBe('close');
    const scatter = recs.filter((x) => x.type === 'bulk' && x.dir === 'out' && x.ep === '0x04');
    expect(scatter.length).toBeGreaterThan(0);
  });

  it('errors a person can fix are one line and exit 1: a bad device, an unwritable trace', () => {
    const bad = airstack('usb', 'up', '--device', 'pci');
    expect([bad.code, bad.stderr.trim()]).toEqual([1, 'airstack: unknown device "pci" (available: usb, emulated)']);
    const trace = airstack('usb', 'up', '--device', 'emulated', '--usb-trace', join(dir, 'missing/dir/t.jsonl'));
    expect(trace.code).toBe(1);
    expect(trace.stderr).toMatch(
      /^airstack: cannot write the USB trace to .*missing\/dir\/t\.jsonl: ENOENT.*\(check the --usb-trace path\)\n$/,
    );
  });

  it('list --json says whether USB can be read and lists no dongle here', () => {
    const r = airstack('usb', 'list', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(typeof j.available).toBe('boolean');
    expect(Array.isArray(j.dongles)).toBe(true);
  });
});
