import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { haveTshark, tshark, tsharkCheck } from '../../test/support/tshark.ts';
import { VirtualClock } from '../core/clock.ts';
import { Prng } from '../core/prng.ts';
import { parseIpv4 } from '../inet/addr.ts';
import { createPair } from '../link/pair.ts';
import { Stack } from '../stack.ts';
import { attachPcap } from './capture.ts';
import { FileSink, MemorySink, PcapngWriter } from './pcapng-writer.ts';
import { readCapture } from './reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'airstack-pcapng-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Walk the blocks: every length a multiple of 4, the trailing copy equal to the leading one. */
function blocks(b: Buffer): Array<{ type: number; len: number; off: number }> {
  const out = [];
  let o = 0;
  while (o < b.length) {
    const type = b.readUInt32LE(o);
    const len = b.readUInt32LE(o + 4);
    expect(len % 4).toBe(0);
    expect(len).toBeGreaterThanOrEqual(12);
    expect(b.readUInt32LE(o + len - 4)).toBe(len);
    out.push({ type, len, off: o });
    o += len;
  }
  expect(o).toBe(b.length);
  return out;
}

describe('pcapng writer', () => {
  it('writes SHB, IDBs and EPBs with exact lengths and 32-bit padding', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 8 }),
        fc.string({ maxLength: 9 }),
        (packets, name) => {
          const sink = new MemorySink();
          const w = new PcapngWriter(sink);
          const id = w.addInterface({ linkType: 1, name });
          for (const [i, p] of packets.entries()) {
            w.writePacket(id, 1_767_225_600_000 + i * 1.5, p, 0, p.length, { direction: i % 2 ? 'in' : 'out' });
          }
          const b = sink.bytes();
          const bl = blocks(b);
          expect(bl.map((x) => x.type)).toEqual([0x0a0d0d0a, 1, ...packets.map(() => 6)]);
          expect(b.readUInt32LE(8)).toBe(0x1a2b3c4d);
          for (const [i, p] of packets.entries()) {
            const o = bl[i + 2]!.off;
            expect(b.readUInt32LE(o + 20)).toBe(p.length); // captured
            expect(b.subarray(o + 28, o + 28 + p.length)).toEqual(Buffer.from(p));
            const us = b.readUInt32LE(o + 12) * 4294967296 + b.readUInt32LE(o + 16);
            expect(us).toBe(Math.round((1_767_225_600_000 + i * 1.5) * 1000));
          }
        },
      ),
    );
  });

  it('what it writes, the capture reader reads back: link types, names, timestamps, bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1), fc.uint8Array({ maxLength: 90 }), fc.nat(1_000_000)), { maxLength: 10 }),
        (packets) => {
          const sink = new MemorySink();
          const w = new PcapngWriter(sink);
          w.addInterface({ linkType: 1, name: 'eth0' });
          w.addInterface({ linkType: 127, name: 'mon0' });
          for (const [ifId, p, us] of packets) w.writePacket(ifId, 1_767_225_600_000 + us / 1000, p);
          const c = readCapture(sink.bytes());
          expect(c.error).toBeNull();
          expect(c.format).toBe('pcapng');
          expect(c.interfaces.map((i) => [i.linkType, i.name])).toEqual([
            [1, 'eth0'],
            [127, 'mon0'],
          ]);
          expect(c.records.map((r) => [r.interfaceId, Buffer.from(r.data).toString('hex'), r.timestamp])).toEqual(
            packets.map(([ifId, p, us]) => [
              ifId,
              Buffer.from(p).toString('hex'),
              (1_767_225_600_000_000n + BigInt(us)) * 1000n,
            ]),
          );
        },
      ),
    );
  });

  it('refuses packets for an interface it has not described', () => {
    const w = new PcapngWriter(new MemorySink());
    expect(() => w.writePacket(0, 0, Buffer.alloc(1))).toThrow(/no interface 0/);
  });

  it('a capture of two stacks talking passes tshark with no malformed packets', async (ctx) => {
    if (!haveTshark()) return ctx.skip('tshark is not installed');
    const clock = new VirtualClock();
    const { a, b } = createPair({ clock, rng: new Prng(3), delayMs: 0.5 });
    const h1 = new Stack({ clock, name: 'h1' });
    const h2 = new Stack({ clock, name: 'h2' });
    h1.addDevice(a);
    h2.addDevice(b);
    const file = join(dir, 'two-stacks.pcapng');
    const w = new PcapngWriter(new FileSink(file));
    attachPcap(h1, w);
    h1.addAddress(a, '10.0.0.1/24');
    h2.addAddress(b, '10.0.0.2/24');
    const rx = h2.udpSocket();
    rx.bind(0, 9);
    const tx = h1.udpSocket();
    const p = h1.ping('10.0.0.2', { count: 2, size: 3000, interval: 10 });
    clock.runFor(100);
    tx.sendTo(Buffer.alloc(2000, 7), parseIpv4('10.0.0.2'), 9);
    tx.sendTo(Buffer.from('closed'), parseIpv4('10.0.0.2'), 10);
    clock.runUntilIdle();
    expect((await p).received).toBe(2);
    w.close();
    const r = tsharkCheck(file);
    expect(r.malformed).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.packets).toBe(w.packets);
    const rows = tshark([
      '-n',
      '-r',
      file,
      '-T',
      'fields',
      '-e',
      'frame.protocols',
      '-e',
      'frame.interface_name',
      '-e',
      'ip.flags.mf',
      '-e',
      'ip.frag_offset',
    ])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t').map((f) => f.split(',')[0] ?? ''));
    const protos = rows.map((r) => r[0]!);
    expect(protos.some((x) => x.includes('eth:ethertype:arp'))).toBe(true);
    expect(protos.some((x) => x.includes('ip:icmp'))).toBe(true);
    expect(protos.some((x) => x.includes('ip:udp'))).toBe(true);
    // 3008-byte echo requests and replies in 3 fragments each, the 2008-byte datagram in 2.
    expect(rows.filter((r) => r[2] === '1' || (r[3] !== undefined && r[3] !== '' && r[3] !== '0')).length).toBe(14);
    const names = rows.map((r) => r[1]);
    expect(new Set(names.filter(Boolean))).toEqual(new Set(['h1/eth0']));
  });

  it('describes radiotap and raw 802.11 interfaces that tshark decodes', (ctx) => {
    if (!haveTshark()) return ctx.skip('tshark is not installed');
    const sink = new MemorySink();
    const w = new PcapngWriter(sink);
    const rt = w.addInterface({ linkType: 127, name: 'wlan0mon' });
    const raw = w.addInterface({ linkType: 105, name: 'wlan0' });
    const ack = Buffer.from('d4000000020000000001', 'hex'); // ACK to 02:00:00:00:00:01
    w.writePacket(rt, 1_767_225_600_000, Buffer.concat([Buffer.from('0000080000000000', 'hex'), ack]));
    w.writePacket(raw, 1_767_225_600_001, ack);
    const file = join(dir, 'wifi.pcapng');
    writeFileSync(file, sink.bytes());
    const r = tsharkCheck(file);
    expect(r.ok).toBe(true);
    expect(tshark(['-n', '-r', file, '-T', 'fields', '-e', 'wlan.fc.type_subtype']).trim().split('\n')).toEqual([
      '0x001d',
      '0x001d',
    ]);
  });
});
