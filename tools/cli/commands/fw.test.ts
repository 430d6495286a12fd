import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPatch, buildRamCode } from '../../../firmware/synthetic.ts';
import { missingShared, repoRoot, sharedPath } from '../../../test/support/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-fwcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function airstack(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/airstack.js', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('airstack fw info', () => {
  it('prints a synthetic RAM code image as JSON with every region and the CNM flag', () => {
    const file = join(dir, 'ram.bin');
    writeFileSync(file, buildRamCode({ cnm: false }));
    const r = airstack('fw', 'info', '--json', file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect([j.kind, j.chipId, j.eco, j.formatVer, j.version, j.cnm, j.overrideAddr]).toEqual([
      'ram',
      0x0d,
      1,
      2,
      '____010000',
      false,
      0x915000,
    ]);
    expect(j.regions.map((g: { addr: number; len: number; mode: number }) => [g.addr, g.len, g.mode])).toEqual([
      [0x00915000, 5000, 0x8000004f],
      [0x02015c00, 4200, 0x8000004f],
      [0x00404400, 700, 0x8000004f],
      [0xe0270000, 1500, 0x8000004f],
      [0, 900, 0x80000000],
    ]);
  });

  it('prints a synthetic ROM patch as text', () => {
    const file = join(dir, 'patch.bin');
    writeFileSync(file, buildPatch({ sections: [{ addr: 0x900000, len: 5000, secKeyIdx: 0x01000002 }] }));
    const r = airstack('fw', 'info', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${file}: ROM patch, 5160 bytes`);
    expect(r.stdout).toMatch(/build date\s+20260101000000a\n/);
    expect(r.stdout).toMatch(/platform\s+ALPS/);
    expect(r.stdout).toMatch(
      /0\s+0x00040002\s+0x00900000\s+5000\s+0x000000a0\s+5000\s+aes\s+0x8000000d\s+2\s+PATCH_START_REQ/,
    );
  });

  it('a malformed file: one line on stderr naming file, field and problem; exit 1', () => {
    const file = join(dir, 'bad.bin');
    const img = buildPatch();
    new DataView(img.buffer).setUint32(96, 0x00040001); // section type not INFO
    writeFileSync(file, img);
    const r = airstack('fw', 'info', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${file}: section[0].type: bad section type: 0x00040001 is not an INFO section`);
  });

  it('a missing file and a bad option are one-line errors too', () => {
    const r = airstack('fw', 'info', join(dir, 'missing.bin'));
    expect([r.code, r.stderr.trimEnd().split('\n').length]).toEqual([1, 1]);
    expect(r.stderr).toContain('missing.bin: file: unreadable: cannot read it: no such file');
    const k = airstack('fw', 'info', '--kind', 'rom', join(dir, 'missing.bin'));
    expect(k.code).toBe(1);
    expect(k.stderr).toContain('--kind rom');
  });

  const ram = sharedPath('firmware', 'WIFI_RAM_CODE_MT7961_1.bin');
  it.skipIf(!ram)('the real RAM code (FACTS §4.5)', () => {
    const r = airstack('fw', 'info', ram!);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/chip id\s+0x0d \(MT7961\)/);
    expect(r.stdout).toMatch(/version\s+____010000/);
    expect(r.stdout).toMatch(/CNM\s+yes/);
    expect(r.stdout).toMatch(/override address 0x00915000/);
    expect(r.stdout).toMatch(/0\s+0x00915000\s+363536\s+0x00000000\s+0x37\s+0\s+0x8000004f\s+89/);
  });
  if (!ram) it.skip(missingShared('firmware/WIFI_RAM_CODE_MT7961_1.bin'), () => {});
});
