/**
 * `airstack decrypt` against external truth: airdecap-ng's own output for the aircrack-ng captures (frame for
 * frame), tshark's dissection of the decrypted capture (fields per source frame), and tshark reading our output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Airdecap } from '../../mac80211/decap/airdecap.ts';
import { hdrLen } from '../../mac80211/frame/fc.ts';
import { writeFcs } from '../../mac80211/fcs.ts';
import { encodeRadiotap, RADIOTAP_F } from '../../mac80211/radiotap.ts';
import { MemorySink, PcapngWriter } from '../../netstack/pcap/pcapng-writer.ts';
import { readCapture } from '../../netstack/pcap/reader.ts';
import { classicPcap } from '../../tools/cli/commands/decrypt.ts';
import { missingShared, repoRoot, sharedPath } from '../support/shared.ts';
import { haveTshark, tsharkCheck } from '../support/tshark.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-decrypt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function airstack(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/airstack.js', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const frames = (file: string) => readCapture(readFileSync(file)).records.map((r) => hex(r.data));

const cases = [
  { file: 'wpa2-psk-linksys.cap', ssid: 'linksys', pass: 'dictionary', ref: 'wpa2-psk-linksys-dec.cap', n: 25 },
  { file: 'capture_wds-01.cap', ssid: 'test1', pass: '12345678', ref: 'capture_wds-01-dec.cap', n: 46 },
];

describe('airstack decrypt equals airdecap-ng', () => {
  for (const c of cases) {
    const input = sharedPath('testdata/80211/aircrack-ng', c.file);
    const ref = sharedPath('testdata/80211/decrypted', c.ref);
    it.skipIf(input === null || ref === null)(`${c.file}: ${c.n} Ethernet frames, as airdecap-ng wrote them`, () => {
      const out = join(dir, `${c.file}.pcap`);
      const r = airstack('decrypt', '--in', input!, '--ssid', c.ssid, '--passphrase', c.pass, '--out', out, '--json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const counts = JSON.parse(r.stdout);
      expect(counts.written).toBe(c.n);
      expect(counts.handshakes).toBeGreaterThanOrEqual(1);
      const got = readCapture(readFileSync(out));
      expect(got.interfaces[0]!.linkType).toBe(1);
      expect(got.records.map((x) => hex(x.data))).toEqual(frames(ref!));
      // Timestamps are the input's.
      const want = readCapture(readFileSync(ref!)).records.map((x) => x.timestamp);
      expect(got.records.map((x) => x.timestamp)).toEqual(want);
      if (haveTshark()) {
        const t = tsharkCheck(out);
        expect(t.malformed).toEqual([]);
        expect(t.packets).toBe(c.n);
      }
    });
  }
  if (sharedPath('testdata/80211/aircrack-ng') === null) it.skip(missingShared('testdata/80211/aircrack-ng'), () => {});
});

describe('the same capture as pcapng with radiotap headers, FCS and data padding', () => {
  const input = sharedPath('testdata/80211/aircrack-ng', 'wpa2-psk-linksys.cap');
  const ref = sharedPath('testdata/80211/decrypted', 'wpa2-psk-linksys-dec.cap');
  it.skipIf(input === null || ref === null)('decrypts to the same 25 Ethernet frames', () => {
    const sink = new MemorySink();
    const w = new PcapngWriter(sink);
    const id = w.addInterface({ linkType: 127 });
    for (const r of readCapture(readFileSync(input!)).records) {
      const f = r.data;
      const hl = f.length >= 2 ? hdrLen(f[0]! | (f[1]! << 8)) : 0;
      // Data frames with a 26-octet header get 2 octets of padding (radiotap DATAPAD): the body starts at 28.
      const pad = f.length > hl && (hl & 3) !== 0 && (f[0]! & 0x0c) === 0x08 ? 4 - (hl & 3) : 0;
      // The FCS covers the frame as sent; the padding is the capturing driver's.
      const withFcs = Buffer.concat([f, Buffer.alloc(4)]);
      writeFcs(withFcs, 0, withFcs.length);
      const mpdu = Buffer.concat([withFcs.subarray(0, hl), Buffer.alloc(pad), withFcs.subarray(hl)]);
      const rt = encodeRadiotap({ fields: { flags: RADIOTAP_F.FCS | (pad ? RADIOTAP_F.DATAPAD : 0), rate: 108 } });
      w.writePacket(id, Number(r.timestamp / 1_000_000n), Buffer.concat([rt, mpdu]));
    }
    const file = join(dir, 'linksys-radiotap.pcapng');
    writeFileSync(file, sink.bytes());
    const out = join(dir, 'linksys-radiotap-dec.pcap');
    const r = airstack('decrypt', '--in', file, '--ssid', 'linksys', '--passphrase', 'dictionary', '--out', out);
    expect(r.code).toBe(0);
    expect(readCapture(readFileSync(out)).records.map((x) => hex(x.data))).toEqual(frames(ref!));
  });
});

describe('decrypted frames against tshark’s dissection of the same capture', () => {
  const input = sharedPath('testdata/80211/aircrack-ng', 'wpa2-psk-linksys.cap');
  const golden = sharedPath('testdata/80211/golden', 'wpa2-psk-linksys.decrypted.fields.csv');
  it.skipIf(input === null || golden === null)(
    'EtherType, IP addresses, protocol and ICMP type per source frame',
    () => {
      const lines = readFileSync(golden!, 'utf8').trim().split('\n');
      const head = lines[0]!.split(',');
      const col = (name: string) => head.indexOf(name);
      const rows = new Map<number, string[]>();
      for (const l of lines.slice(1)) {
        const f = l.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((x) => x.replace(/,$/, '').replace(/^"|"$/g, ''));
        rows.set(Number(f[0]), f);
      }
      // Group frames too: tshark decrypts them with the GTK.
      const decap = new Airdecap({ ssid: 'linksys', passphrase: 'dictionary', group: true });
      const cap = readCapture(readFileSync(input!));
      let checked = 0;
      cap.records.forEach((r, i) => {
        for (const e of decap.frame(r.linkType, r.data)) {
          const g = rows.get(i + 1)!;
          const type = (e[12]! << 8) | e[13]!;
          expect(`0x${type.toString(16).padStart(4, '0')}`).toBe(g[col('llc.type')]);
          if (type === 0x0800) {
            const ip = e.subarray(14);
            expect([...ip.subarray(12, 16)].join('.')).toBe(g[col('ip.src')]);
            expect([...ip.subarray(16, 20)].join('.')).toBe(g[col('ip.dst')]);
            expect(String(ip[9])).toBe(g[col('ip.proto')]);
            if (ip[9] === 1) expect(String(ip[(ip[0]! & 15) * 4])).toBe(g[col('icmp.type')]);
          }
          checked++;
        }
      });
      expect(checked).toBe(26);
      expect(decap.counts.failures).toEqual({ 'no-key': 2 });
    },
  );
});

describe('airstack decrypt: people’s mistakes', () => {
  const input = sharedPath('testdata/80211/aircrack-ng', 'wpa2-psk-linksys.cap');
  it.skipIf(input === null)('a wrong passphrase: output written, exit 2 and a message saying so', () => {
    const out = join(dir, 'wrong.pcap');
    const r = airstack('decrypt', '--in', input!, '--ssid', 'linksys', '--passphrase', 'dictionarY', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/passphrase or the SSID is probably wrong/);
    expect(r.stdout).toMatch(/handshake-mic/);
    expect(readCapture(readFileSync(out)).records).toHaveLength(0);
  });

  it('bad arguments and unreadable files: one line, exit 1', () => {
    const eth = join(dir, 'eth.pcap');
    writeFileSync(eth, classicPcap([{ timestampNs: 0n, data: Buffer.alloc(60) }], 1));
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'not a capture at all');
    const some = input ?? junk;
    const runs = [
      ['--in', join(dir, 'missing.cap'), '--ssid', 'x', '--passphrase', '12345678', '--out', join(dir, 'o1')],
      ['--in', some, '--ssid', 'x', '--passphrase', 'short', '--out', join(dir, 'o2')],
      ['--in', some, '--ssid', 'x'.repeat(33), '--passphrase', '12345678', '--out', join(dir, 'o3')],
      ['--in', junk, '--ssid', 'x', '--passphrase', '12345678', '--out', join(dir, 'o4')],
      ['--in', eth, '--ssid', 'x', '--passphrase', '12345678', '--out', join(dir, 'o5')],
      ['--in', some, '--ssid', 'x', '--passphrase', '12345678', '--out', join(dir, 'no/such/dir/o6')],
    ];
    const messages = [/cannot read/, /8 to 63 characters/, /1 to 32 bytes/, /not a/, /link type 1/, /cannot write/];
    runs.forEach((args, i) => {
      const r = airstack('decrypt', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(messages[i]!);
    });
  });
});

describe('the decap engine never throws on a bad record', () => {
  it('random records of every 802.11 link type', () => {
    const decap = new Airdecap({ pmk: Buffer.alloc(32, 7), group: true });
    fc.assert(
      fc.property(
        fc.constantFrom(105, 127, 119, 163),
        fc.uint8Array({ maxLength: 400 }),
        fc.option(fc.constant(4), { nil: undefined }),
        (lt, data, fcs) => {
          decap.frame(lt, data, fcs);
        },
      ),
      { numRuns: 3000 },
    );
    expect(decap.counts.packets).toBe(3000);
  });
});
