import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { missingShared, sharedPath } from '../../test/support/shared.ts';
import { haveTshark, tshark } from '../../test/support/tshark.ts';
import { captureFrames } from '../testing/capture.ts';
import { decodeFrame } from '../testing/host.ts';
import { FLAG_RD, decodeDns, encodeDns, normName } from './codec.ts';

describe('DNS codec wrapper', () => {
  it('round-trips a query and an answer', () => {
    const q = encodeDns({ type: 'query', id: 7, flags: FLAG_RD, questions: [{ name: 'a.b', type: 'A', class: 'IN' }] });
    expect(decodeDns(q)).toMatchObject({ id: 7, type: 'query', questions: [{ name: 'a.b', type: 'A' }] });
    const r = encodeDns({
      type: 'response',
      id: 7,
      questions: [{ name: 'a.b', type: 'A', class: 'IN' }],
      answers: [{ name: 'a.b', type: 'A', ttl: 5, data: '1.2.3.4' }],
    });
    expect(decodeDns(r)!.answers![0]).toMatchObject({ data: '1.2.3.4', ttl: 5 });
    expect(normName('WWW.Example.')).toBe('www.example');
  });

  it('returns null instead of throwing for random and truncated input (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const p = decodeDns(b);
        expect(p === null || typeof p === 'object').toBe(true);
      }),
      { numRuns: 2000 },
    );
    const whole = encodeDns({
      type: 'response',
      id: 1,
      questions: [{ name: 'x.example', type: 'A', class: 'IN' }],
      answers: [{ name: 'x.example', type: 'CNAME', ttl: 1, data: 'y.example' }],
    });
    for (let n = 0; n < whole.length; n++) expect(decodeDns(whole.subarray(0, n))).toBeNull();
  });
});

const dir = sharedPath('testdata', 'net', 'tcpdump-tests');
const files = dir ? readdirSync(dir).filter((f) => /^(dns_udp.*|edns-opts)\.pcap$/.test(f)) : [];

describe.skipIf(files.length === 0)(`DNS captures ${files.length === 0 ? missingShared('tcpdump-tests') : ''}`, () => {
  it.each(files)('decodes every DNS message of %s like tshark', (f) => {
    const file = join(dir!, f);
    const got: Array<[number, number, string, number]> = [];
    let cut = 0;
    captureFrames(file).frames.forEach((raw, i) => {
      const fr = decodeFrame(raw);
      if (!fr.udp || !fr.ipPayload || (fr.udp.srcPort !== 53 && fr.udp.dstPort !== 53)) return;
      const p = decodeDns(fr.ipPayload.subarray(8, fr.udp.length));
      if (fr.ipPayload.length < fr.udp.length) {
        // Cut at the capture's snap length: incomplete, so dropped (null), never half-read.
        expect(p).toBeNull();
        cut++;
        return;
      }
      expect(p).not.toBeNull();
      got.push([i + 1, p!.id!, p!.questions![0]?.name ?? '', p!.answers!.length]);
    });
    expect(got.length + cut).toBeGreaterThan(0);
    if (!haveTshark()) return;
    const fields = ['frame.number', 'dns.id', 'dns.qry.name', 'dns.count.answers'];
    const rows = tshark([
      '-n',
      '-r',
      file,
      '-Y',
      'dns',
      '-T',
      'fields',
      '-E',
      'separator=|',
      ...fields.flatMap((x) => ['-e', x]),
    ])
      .trim()
      .split('\n')
      .map((l) => l.split('|'))
      .map(([n, id, name, a]) => [Number(n), Number(id), name, Number(a)])
      .filter((r) => got.some((g) => g[0] === r[0]));
    expect(got).toEqual(rows);
  });
});
