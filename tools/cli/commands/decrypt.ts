/**
 * `airstack decrypt --in CAPTURE --ssid S --passphrase P --out OUT.pcap [--json]`: the airdecap-ng job. Reads a
 * pcap or pcapng of 802.11 frames (raw 105, radiotap 127; Prism/AVS too), follows every WPA2 handshake in it,
 * decrypts the CCMP data frames and writes them as Ethernet frames (link type 1) to a classic pcap file, as
 * airdecap-ng does, with the input's timestamps. Unicast frames only, as airdecap-ng; `--group` adds the
 * group-addressed ones (decrypted with the GTK from message 3 or group-key message 1). Prints the counts; `--json` prints them as one JSON object.
 *
 * Exit codes: 0 done; 1 bad arguments or unreadable/unwritable files (one line on stderr); 2 the capture has
 * handshakes but none verified with this passphrase and SSID (the output is still written).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Airdecap, type DecapCounts } from '../../../mac80211/decap/airdecap.ts';
import { checkPassphrase } from '../../../mac80211/rsn/kdf.ts';
import {
  LINKTYPE_IEEE802_11,
  LINKTYPE_IEEE802_11_AVS,
  LINKTYPE_IEEE802_11_PRISM,
  LINKTYPE_IEEE802_11_RADIOTAP,
  readCapture,
} from '../../../netstack/pcap/reader.ts';
import { UsageError } from '../errors.ts';

const WIRELESS = new Set([
  LINKTYPE_IEEE802_11,
  LINKTYPE_IEEE802_11_RADIOTAP,
  LINKTYPE_IEEE802_11_PRISM,
  LINKTYPE_IEEE802_11_AVS,
]);

const LINKTYPE_ETHERNET = 1;

/**
 * A classic pcap file (microsecond timestamps, little-endian, snap length 65535) of Ethernet frames. The project's
 * capture writer (netstack/pcap) writes pcapng; airdecap-ng's output, which this command replaces, is classic pcap.
 */
export function classicPcap(records: { timestampNs: bigint; data: Uint8Array }[], linkType: number): Buffer {
  const size = 24 + records.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeInt32LE(0, 8);
  out.writeUInt32LE(0, 12);
  out.writeUInt32LE(65535, 16);
  out.writeUInt32LE(linkType, 20);
  let p = 24;
  for (const r of records) {
    const us = r.timestampNs / 1000n;
    out.writeUInt32LE(Number(us / 1_000_000n) >>> 0, p);
    out.writeUInt32LE(Number(us % 1_000_000n), p + 4);
    out.writeUInt32LE(r.data.length, p + 8);
    out.writeUInt32LE(r.data.length, p + 12);
    out.set(r.data, p + 16);
    p += 16 + r.data.length;
  }
  return out;
}

export interface DecryptResult {
  counts: DecapCounts;
  /** A problem with the input that did not stop the run (a truncated capture). */
  warning: string | null;
}

/** The whole job on in-memory bytes (used by the command and by tests). */
export function decryptCapture(
  bytes: Uint8Array,
  ssid: string,
  passphrase: string,
  group = false,
): { frames: { timestampNs: bigint; data: Uint8Array }[]; result: DecryptResult } {
  const cap = readCapture(bytes);
  if (cap.format === null) throw new UsageError(`not a capture file: ${cap.error?.message ?? 'unknown format'}`);
  const linkTypes = [...new Set(cap.interfaces.map((i) => i.linkType))];
  if (!linkTypes.some((t) => WIRELESS.has(t))) {
    throw new UsageError(
      `the capture's link type ${linkTypes.join(', ') || 'is unknown'}: it holds no 802.11 frames (expected 105 raw 802.11 or 127 radiotap)`,
    );
  }
  const decap = new Airdecap({ ssid, passphrase, group });
  const frames: { timestampNs: bigint; data: Uint8Array }[] = [];
  for (const r of cap.records) {
    if (!WIRELESS.has(r.linkType)) continue;
    const fcsLength = cap.interfaces[r.interfaceId]?.fcsLength;
    for (const f of decap.frame(r.linkType, r.data, fcsLength)) {
      frames.push({ timestampNs: r.timestamp, data: Uint8Array.from(f) });
    }
  }
  const warning = cap.error === null ? null : `stopped reading early: ${cap.error.message}`;
  return { frames, result: { counts: decap.counts, warning } };
}

function list(r: Record<string, number>): string {
  const e = Object.entries(r);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k} ${v}`).join(', ');
}

export function formatCounts(c: DecapCounts): string {
  const rows: [string, string][] = [
    ['packets read', String(c.packets)],
    ['stations', String(c.stations)],
    ['EAPOL frames', String(c.eapolFrames)],
    ['handshakes', `${c.handshakes} (PTKs verified)`],
    ['group keys', String(c.groupKeys)],
    ['data frames', `${c.dataFrames} (plaintext ${c.plaintextData}, protected ${c.protectedData})`],
    ['retransmissions', String(c.duplicates)],
    ['decrypted', String(c.decrypted)],
    ['written', String(c.written)],
    ['failures', list(c.failures)],
    ['handshake failures', list(c.handshakeFailures)],
  ];
  if (Object.keys(c.undecodable).length > 0) rows.push(['undecodable', list(c.undecodable)]);
  return rows.map(([k, v]) => `  ${k.padEnd(20)}${v}`).join('\n');
}

export function register(program: Command): void {
  program
    .command('decrypt')
    .description('decrypt the WPA2 (CCMP) frames of an 802.11 capture into Ethernet frames, like airdecap-ng')
    .requiredOption('--in <capture>', 'pcap or pcapng with 802.11 frames (link type 105 or 127)')
    .requiredOption('--ssid <ssid>', 'the network name (needed for the PSK)')
    .requiredOption('--passphrase <passphrase>', 'the WPA passphrase (8..63 characters) or the PSK as 64 hex digits')
    .requiredOption('--out <file>', 'output: classic pcap with Ethernet frames (link type 1)')
    .option('--group', 'also decrypt group-addressed frames with the GTK (airdecap-ng does not)')
    .option('--json', 'print the counts as one JSON object')
    .action((o: { in: string; ssid: string; passphrase: string; out: string; json?: boolean; group?: boolean }) => {
      const ssidLen = Buffer.byteLength(o.ssid, 'utf8');
      if (ssidLen < 1 || ssidLen > 32) throw new UsageError(`--ssid: an SSID has 1 to 32 bytes (got ${ssidLen})`);
      const bad = checkPassphrase(o.passphrase);
      if (bad !== null) throw new UsageError(`--passphrase: ${bad}`);
      let bytes: Buffer;
      try {
        bytes = readFileSync(o.in);
      } catch (e) {
        throw new UsageError(`cannot read ${o.in}: ${(e as Error).message}`);
      }
      let run: ReturnType<typeof decryptCapture>;
      try {
        run = decryptCapture(bytes, o.ssid, o.passphrase, o.group ?? false);
      } catch (e) {
        if (e instanceof UsageError) throw new UsageError(`${o.in}: ${e.message}`);
        throw e;
      }
      try {
        writeFileSync(o.out, classicPcap(run.frames, LINKTYPE_ETHERNET));
      } catch (e) {
        throw new UsageError(`cannot write ${o.out}: ${(e as Error).message}`);
      }
      const c = run.result.counts;
      if (run.result.warning) process.stderr.write(`airstack: ${o.in}: ${run.result.warning}\n`);
      if (o.json) process.stdout.write(`${JSON.stringify({ in: o.in, out: o.out, ...c })}\n`);
      else process.stdout.write(`${o.in} → ${o.out}\n${formatCounts(c)}\n`);
      const micFailures = c.handshakeFailures['handshake-mic'] ?? 0;
      if (c.handshakes === 0 && micFailures > 0) {
        throw new UsageError(
          `no handshake verified (${micFailures} MIC check${micFailures > 1 ? 's' : ''} failed): the passphrase or the SSID is probably wrong`,
          2,
        );
      }
    });
}
