/**
 * packetdrill conformance: the parser survives anything, and the selected scripts run against airstack's TCP
 * with every failure examined (explained in selection.ts as policy or script errors). The full list with reasons is
 * test/packetdrill/RESULTS.md (npx tsx test/packetdrill/results.ts).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { missingShared, sharedPath } from '../support/shared.ts';
import { ParseError, parseScript } from './parser.ts';
import { runSelection } from './results.ts';
import { runPacketdrill } from './runner.ts';

const root = sharedPath('testdata', 'tcp', 'packetdrill');

describe('packetdrill script parser', () => {
  it('parses events, times, packets and system calls', () => {
    const s = parseScript(`--tolerance_usecs=10000
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+.1 < S 0:0(0) win 32792 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+0...0.2 read(4, ..., 1000) = 1000
*  > P. 1:1001(1000) ack 1 win 257
+0 %{ assert tcpi_rto == 3000000 }%
+0 \`sysctl -w net.ipv4.tcp_sack=0\`
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)`);
    expect(s.options.get('tolerance_usecs')).toBe('10000');
    expect(s.events.map((e) => e.type)).toEqual([
      'syscall',
      'packet',
      'packet',
      'syscall',
      'packet',
      'code',
      'command',
      'syscall',
      'syscall',
    ]);
    const syn = s.events[1]!;
    expect(syn).toMatchObject({ type: 'packet', dir: '<', flags: 'S', start: 0, end: 0, len: 0, win: 32792 });
    expect(syn.time).toMatchObject({ kind: 'rel', t: 0.1 });
    expect(s.events[2]).toMatchObject({ flags: 'S.', ack: 1, options: null });
    expect(s.events[3]!.time).toMatchObject({ kind: 'rel', t: 0, end: 0.2 });
    expect(s.events[4]!.time.kind).toBe('any');
    expect(s.events[8]).toMatchObject({ name: 'connect', ret: -1, errno: 'EINPROGRESS' });
  });

  it('takes #ifdef STANDARD branches and skips the FreeBSD ones', () => {
    const s = parseScript(
      '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n#ifdef STANDARD\n+0 close(3) = 0\n#endif\n#ifdef FreeBSD\n+0 bind(3, ..., ...) = 0\n#endif\n',
    );
    expect(s.events.map((e) => (e.type === 'syscall' ? e.name : e.type))).toEqual(['socket', 'close']);
  });

  it('never fails with anything but a ParseError on arbitrary input', () => {
    const tokens = [
      '<',
      '>',
      'S.',
      '.',
      '0:0(0)',
      'ack',
      'win',
      '+0',
      '+.1',
      '*',
      '...',
      'socket(',
      ')',
      '=',
      '3',
      ',',
      '<mss',
      '1460>',
      '[',
      ']',
      '{',
      '}',
      '%{',
      '}%',
      '`',
      '\n',
      'nop',
      'sack',
      '1:2',
      '-1',
      'EAGAIN',
      '#ifdef',
      'X',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 40 }), (parts) => {
        try {
          parseScript(parts.join(' '));
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe.skipIf(root === null)('packetdrill conformance', () => {
  if (root === null) it.skip(missingShared('testdata/tcp/packetdrill'), () => {});

  it('runs the RFC 5961 snippets, SYN-RECEIVED and TIME-WAIT scripts to a pass', () => {
    for (const rel of [
      'freebsd-tcp-testsuite/snippets/listen-ipv4.pkt',
      'freebsd-tcp-testsuite/snippets/syn-rcvd-via-listen-ipv4.pkt',
      'freebsd-tcp-testsuite/state-event-engine/rcv-rst-established/rcv-rst-established-left-edge-secure-ipv4.pkt',
      'freebsd-tcp-testsuite/state-event-engine/rcv-syn-established/rcv-syn-established-left-edge-secure-ipv4.pkt',
      'freebsd-tcp-testsuite/rcv-data-segments/overlapping-100-300.pkt',
      'ligurio/tcp/time_wait/time-wait.pkt',
      'ligurio/tcp/reset/rst-synchronized-established.pkt',
      'linux-selftests/tcp_disorder_fin_in_FIN_WAIT.pkt',
      'google/tcp/ts_recent/invalid_ack.pkt',
    ]) {
      const src = readFileSync(`${root}/${rel}`, 'utf8');
      const r = runPacketdrill(src);
      expect(`${rel}: ${r.verdict} ${r.reason}`).toMatch(/: pass(-policy)? $/);
    }
  });

  it('leaves no unexamined failure in the selection', () => {
    const rows = runSelection(root!);
    expect(rows.length).toBeGreaterThan(600);
    const unexplained = rows.filter((r) => r.verdict === 'fail' && r.note === '').map((r) => `${r.rel}: ${r.reason}`);
    expect(unexplained).toEqual([]);
    const passed = rows.filter((r) => r.verdict === 'pass' || r.verdict === 'pass-policy').length;
    expect(passed / rows.length).toBeGreaterThan(0.8);
  });
});
