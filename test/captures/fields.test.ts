/**
 * The 802.11-level fields of every frame against tshark's: the golden field tables in ../shared/testdata/80211/golden
 * (tshark 4.0.17), then tshark run live over every 802.11 capture. Type/subtype, DS bits, protected and retry flags,
 * addresses (RA, TA, DA, SA, BSSID), sequence and fragment numbers, QoS TID, the CCMP packet number, the SSID and the
 * LLC EtherType of unprotected data; and, with the RSN layer's EAPOL-Key decoder, the key descriptor fields of the
 * handshake frames (a joint test of the two layers). The IP columns belong to the bridge.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { macToString } from '../../mac80211/addr.ts';
import { decodeCapturedFrame } from '../../mac80211/capture.ts';
import { EID } from '../../mac80211/elements/ids.ts';
import { bssidOffset, daOffset, FCTL, fcSubtype, fcTypeSubtype, saOffset } from '../../mac80211/frame/fc.ts';
import type { Frame } from '../../mac80211/frame/frame.ts';
import { ccmpPn, hasExtIv } from '../../mac80211/frame/security.ts';
import { decodeEapolKey, eapolKeyMessage } from '../../mac80211/rsn/eapol-key.ts';
import { readCapture } from '../../netstack/pcap/reader.ts';
import { missingShared, sharedPath } from '../support/shared.ts';
import { haveTshark } from '../support/tshark.ts';
import { frameElements } from './decode-all.ts';

const COLUMNS = [
  'frame.len',
  'radiotap.length',
  'wlan.fc.type_subtype',
  'wlan.fc.ds',
  'wlan.fc.protected',
  'wlan.fc.retry',
  'wlan.ra',
  'wlan.ta',
  'wlan.da',
  'wlan.sa',
  'wlan.bssid',
  'wlan.seq',
  'wlan.frag',
  'wlan.qos.tid',
  'wlan.ccmp.extiv',
  'wlan.ssid',
  'llc.type',
  'wlan_rsna_eapol.keydes.msgnr',
  'wlan_rsna_eapol.keydes.key_info',
  'eapol.keydes.replay_counter',
  'wlan_rsna_eapol.keydes.nonce',
  'wlan_rsna_eapol.keydes.mic',
  'wlan_rsna_eapol.keydes.data_len',
] as const;

type Row = Partial<Record<(typeof COLUMNS)[number], string>>;

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;

/** Our frame's fields, formatted as tshark prints them (absent = ''). */
function ourRow(f: Frame, bytes: Uint8Array, originalLength: number, radiotapLength: number | null): Row {
  const h = f.header;
  const fc = h.fc;
  const row: Row = {
    'frame.len': String(originalLength),
    'radiotap.length': radiotapLength === null ? '' : String(radiotapLength),
    'wlan.fc.type_subtype': hex(fcTypeSubtype(fc), 4),
    'wlan.fc.ds': hex((fc >> 8) & 3, 2),
    'wlan.fc.protected': fc & FCTL.PROTECTED ? '1' : '0',
    'wlan.fc.retry': fc & FCTL.RETRY ? '1' : '0',
    'wlan.ra': macToString(h.addr1),
    'wlan.ta': h.addr2 ? macToString(h.addr2) : '',
  };
  if (f.type === 'mgmt' || f.type === 'data') {
    row['wlan.da'] = macToString(bytes, daOffset(fc));
    row['wlan.sa'] = macToString(bytes, saOffset(fc));
    const b = bssidOffset(fc);
    row['wlan.bssid'] = b < 0 ? '' : macToString(bytes, b);
    row['wlan.seq'] = String((h.seqCtrl ?? 0) >> 4);
    row['wlan.frag'] = String((h.seqCtrl ?? 0) & 0xf);
  } else if (f.type === 'ctrl' && fcSubtype(fc) === 10) row['wlan.bssid'] = macToString(h.addr1);
  else if (f.type === 'ext' && fcSubtype(fc) === 0)
    row['wlan.bssid'] = macToString(h.addr1); // DMG beacon: addr1 is the BSSID
  else if (f.type === 'ctrl' && (fcSubtype(fc) === 14 || fcSubtype(fc) === 15) && h.addr2)
    row['wlan.bssid'] = macToString(h.addr2);
  if (h.qosCtrl !== null) row['wlan.qos.tid'] = String(h.qosCtrl & 0xf);
  if (f.body.kind === 'protected') {
    const sh = f.body.securityHeader;
    // Wireshark's TKIP test: the second IV octet is (first | 0x20) & 0x7f (the WEP seed); otherwise CCMP.
    const tkip = sh[1] === ((sh[0] | 0x20) & 0x7f);
    if (hasExtIv(sh) && !tkip) row['wlan.ccmp.extiv'] = `0x${ccmpPn(sh).toString(16).toUpperCase().padStart(12, '0')}`;
  }
  const els = frameElements(f);
  const ssid = els?.find(EID.SSID) ?? null;
  if (ssid !== null) row['wlan.ssid'] = ssid.length ? Buffer.from(ssid).toString('hex') : '<MISSING>';
  if (f.type === 'data' && f.body.kind === 'data') {
    const p = f.body.payload;
    // A-MSDUs start with a subframe header, not LLC.
    const amsdu = h.qosCtrl !== null && (h.qosCtrl & 0x80) !== 0;
    if (!amsdu && p.length >= 8 && p[0] === 0xaa && p[1] === 0xaa && p[2] === 0x03) {
      row['llc.type'] = hex((p[6] << 8) | p[7], 4);
      if (row['llc.type'] === '0x888e') Object.assign(row, eapolColumns(p.subarray(8)));
    }
  }
  return row;
}

const MESSAGE_NUMBER: Record<string, string> = {
  '4way-1': '1',
  '4way-2': '2',
  '4way-3': '3',
  '4way-4': '4',
  'group-1': '1',
  'group-2': '2',
};

/** The EAPOL-Key columns, from the RSN layer's decoder (MIC length 16: every capture here uses AKM 2 or 6). */
function eapolColumns(pdu: Uint8Array): Row {
  const k = decodeEapolKey(pdu);
  if (!k.ok) return {};
  const h = (b: Uint8Array) => Buffer.from(b).toString('hex');
  return {
    'wlan_rsna_eapol.keydes.msgnr': MESSAGE_NUMBER[eapolKeyMessage(k.value)] ?? '',
    'wlan_rsna_eapol.keydes.key_info': hex(k.value.keyInfo, 4),
    'eapol.keydes.replay_counter': String(k.value.replayCounter),
    'wlan_rsna_eapol.keydes.nonce': h(k.value.nonce),
    'wlan_rsna_eapol.keydes.mic': h(k.value.mic),
    'wlan_rsna_eapol.keydes.data_len': String(k.value.keyData.length),
  };
}

function ourRows(file: string): (Row | null)[] {
  const cap = readCapture(readFileSync(file));
  return cap.records.map((r) => {
    const d = decodeCapturedFrame(r.linkType, r.data, {
      fcsLength: cap.interfaces[r.interfaceId]?.fcsLength,
      originalLength: r.originalLength,
    });
    return d.ok ? ourRow(d.value.frame, d.value.frameBytes, r.originalLength, d.value.radiotap?.length ?? null) : null;
  });
}

/** tshark's -T fields CSV (header line, every value double-quoted) as rows keyed by column. */
function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l !== '');
  const split = (l: string) => {
    const out: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < l.length; i++) {
      const c = l[i];
      if (q) {
        if (c === '"' && l[i + 1] === ',') q = false;
        else if (c === '"' && i === l.length - 1) q = false;
        else cur += c;
      } else if (c === '"') q = true;
      else if (c === ',') {
        out.push(cur);
        cur = '';
      } else cur += c;
    }
    out.push(cur);
    return out;
  };
  const header = split(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(split(l).map((v, i) => [header[i], v])));
}

/** Compare rows column by column; `skip(ours, col)` leaves out cells we cannot know (decryption-dependent). */
function compareRows(theirs: Record<string, string>[], ours: (Row | null)[], where: (i: number) => string): string[] {
  const out: string[] = [];
  if (theirs.length !== ours.length) out.push(`${theirs.length} frames in tshark's table, ${ours.length} decoded`);
  theirs.forEach((t, i) => {
    const o = ours[i];
    if (!o) return; // frames we reject are compared in captures.test.ts
    for (const col of COLUMNS) {
      if (!(col in t)) continue;
      // After decryption tshark shows the plaintext's LLC and EAPOL; ours is the ciphertext's frame.
      if ((col === 'llc.type' || col.includes('eapol')) && o['wlan.fc.protected'] === '1') continue;
      const want = t[col].split(',')[0];
      const got = o[col] ?? '';
      if (want !== got) out.push(`${where(i)} ${col}: tshark "${want}", ours "${got}"`);
    }
  });
  return out;
}

describe('golden field tables (tshark 4.0.17)', () => {
  for (const [table, capture] of [
    ['wpa2.eapol.fields.csv', 'wpa2.eapol.cap'],
    ['wpa2-psk-linksys.decrypted.fields.csv', 'wpa2-psk-linksys.cap'],
  ]) {
    const golden = sharedPath('testdata/80211/golden', table);
    const file = sharedPath('testdata/80211/aircrack-ng', capture);
    it.skipIf(!golden || !file)(
      golden && file ? `${table}: every 802.11 field of every frame` : missingShared(table),
      () => {
        const theirs = parseCsv(readFileSync(golden as string, 'utf8'));
        const ours = ourRows(file as string);
        expect(compareRows(theirs, ours, (i) => `frame ${i + 1}`)).toEqual([]);
        expect(ours.every((r) => r !== null)).toBe(true);
      },
    );
  }
});

const haveMergecap = spawnSync('mergecap', ['-h'], { stdio: 'ignore' }).status === 0;

describe('live tshark fields over every 802.11 capture', () => {
  for (const [dir, filter] of [
    ['80211/aircrack-ng', /./],
    ['80211/wlanpi-profiler', /./],
    ['net/tcpdump-tests', /^(ieee802\.11|radiotap)/],
  ] as const) {
    const d = sharedPath('testdata', dir);
    it.skipIf(!d || !haveTshark() || !haveMergecap)(d ? `${dir}` : missingShared(dir), () => {
      const files = readdirSync(d as string)
        .filter((f) => /\.(pcap|pcapng|cap)$/.test(f) && filter.test(f))
        .sort()
        .map((f) => join(d as string, f));
      const tmp = mkdtempSync(join(tmpdir(), 'airstack-fields-'));
      try {
        const merged = join(tmp, 'all.pcapng');
        expect(spawnSync('mergecap', ['-a', '-w', merged, ...files]).status).toBe(0);
        const args = ['-n', '-r', merged, '-T', 'fields', '-E', 'header=y', '-E', 'quote=d', '-E', 'separator=,'];
        for (const c of COLUMNS) args.push('-e', c);
        const t = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
        expect(t.status).toBe(0);
        const theirs = parseCsv(t.stdout);
        const ours = files.flatMap((f) => ourRows(f).map((r, i) => ({ r, where: `${f.split('/').pop()} #${i + 1}` })));
        const problems = compareRows(
          theirs,
          ours.map((o) => o.r),
          (i) => ours[i].where,
        );
        expect(problems.slice(0, 30)).toEqual([]);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});
