/**
 * Every packet of every 802.11 capture in ../shared decodes without throwing, or is rejected with a reason; what
 * decodes re-encodes to the same octets (frame, radiotap header, each element we have a codec for). The counts per
 * capture are recorded below, and cross-checked against tshark live: same type/subtype for every frame we decode,
 * and for every frame we reject, tshark too finds it malformed, cut by the snap length, with a bad FCS, or not
 * 802.11 at all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fcTypeSubtype } from '../../mac80211/frame/fc.ts';
import { missingShared, sharedPath } from '../support/shared.ts';
import { haveTshark } from '../support/tshark.ts';
import { type CaptureSummary, decodeCapture } from './decode-all.ts';

interface Expected {
  frames: number;
  counts: Record<string, number>;
  /** Element bodies decoded by our codecs (none of them may be rejected in these captures). */
  elements: number;
}

const EXPECTED: Record<string, Record<string, Expected>> = {
  '80211/aircrack-ng': {
    '3.pcap': { frames: 3, counts: { 'data/data': 3 }, elements: 0 },
    '80211ad_beacon.pcap': { frames: 1, counts: { 'ext/raw': 1 }, elements: 0 },
    'Chinese-SSID-Name.pcap': { frames: 1, counts: { 'mgmt/beacon': 1 }, elements: 10 },
    'MOM1.cap': { frames: 9, counts: { 'data/data': 8, 'mgmt/beacon': 1 }, elements: 8 },
    'capture_wds-01.cap': {
      frames: 139,
      counts: {
        'ctrl/ack': 75,
        'ctrl/cts': 1,
        'ctrl/rts': 1,
        'data/data': 5,
        'data/protected': 46,
        'mgmt/action': 5,
        'mgmt/assoc-req': 1,
        'mgmt/assoc-resp': 1,
        'mgmt/auth': 2,
        'mgmt/beacon': 1,
        'mgmt/deauth': 1,
      },
      elements: 27,
    },
    'floatingpoint_exception.pcap': { frames: 20, counts: { 'ctrl/ack': 10, 'data/protected': 10 }, elements: 0 },
    'n-02.cap': {
      frames: 218,
      counts: {
        'ctrl/ack': 49,
        'ctrl/ba': 3,
        'ctrl/bar': 1,
        'ctrl/cts': 3,
        'ctrl/raw': 8,
        'data/data': 20,
        'data/protected': 81,
        'mgmt/action': 3,
        'mgmt/action-no-ack': 1,
        'mgmt/assoc-req': 1,
        'mgmt/assoc-resp': 1,
        'mgmt/auth': 4,
        'mgmt/beacon': 1,
        'mgmt/probe-req': 9,
        'mgmt/probe-resp': 9,
        'mgmt/protected': 22,
        'mgmt/reassoc-req': 1,
        'mgmt/reassoc-resp': 1,
      },
      elements: 210,
    },
    'test-pmkid.pcap': { frames: 2, counts: { 'data/data': 1, 'mgmt/beacon': 1 }, elements: 8 },
    'test23.pcap': { frames: 3, counts: { 'data/data': 2, 'mgmt/beacon': 1 }, elements: 12 },
    'testm1m2m3.pcap': { frames: 5, counts: { 'data/data': 3, 'mgmt/beacon': 1, 'mgmt/probe-req': 1 }, elements: 19 },
    'wep.open.system.authentication.cap': {
      frames: 9,
      counts: { 'ctrl/ack': 4, 'mgmt/assoc-req': 1, 'mgmt/assoc-resp': 1, 'mgmt/auth': 2, 'mgmt/beacon': 1 },
      elements: 8,
    },
    'wep.shared.key.authentication.cap': {
      frames: 13,
      counts: {
        'ctrl/ack': 6,
        'mgmt/assoc-req': 1,
        'mgmt/assoc-resp': 1,
        'mgmt/auth': 3,
        'mgmt/beacon': 1,
        'mgmt/protected': 1,
      },
      elements: 12,
    },
    'wpa2-psk-linksys.cap': {
      frames: 499,
      counts: {
        'ctrl/ack': 163,
        'data/data': 176,
        'data/protected': 32,
        'mgmt/assoc-req': 4,
        'mgmt/assoc-resp': 4,
        'mgmt/auth': 8,
        'mgmt/beacon': 85,
        'mgmt/deauth': 3,
        'mgmt/probe-req': 18,
        'mgmt/probe-resp': 6,
      },
      elements: 693,
    },
    'wpa2.eapol.cap': { frames: 5, counts: { 'data/data': 4, 'mgmt/beacon': 1 }, elements: 6 },
    // Prism link type with a 17-octet frame: too short for a management header.
    'wpaclean_crash.pcap': { frames: 1, counts: { 'rejected:truncated-header': 1 }, elements: 0 },
    'wps2.0.pcap': { frames: 1, counts: { 'mgmt/beacon': 1 }, elements: 11 },
    'zn2i.pcap': {
      frames: 12,
      counts: {
        'data/data': 4,
        'data/protected': 2,
        'mgmt/auth': 3,
        'mgmt/beacon': 1,
        'mgmt/reassoc-req': 1,
        'mgmt/reassoc-resp': 1,
      },
      elements: 29,
    },
  },
  '80211/wlanpi-profiler': {
    '0xc6.pcapng': { frames: 1, counts: { 'mgmt/beacon': 1 }, elements: 9 },
    'Apple_MXCU2LLA_PrivateMAC_76-32-e8-00-00-00_5.8GHz-anonymized.pcap': {
      frames: 1,
      counts: { 'mgmt/assoc-req': 1 },
      elements: 12,
    },
    'Apple_MXCU2LLA_RealMAC_04-72-95-00-00-00_5.8GHz-anonymized.pcap': {
      frames: 1,
      counts: { 'mgmt/assoc-req': 1 },
      elements: 12,
    },
    'Apple_iPhonePro12Max_A2342_iOS14.4_1a-b2-70-4e-cf-16_5.8GHz.pcap': {
      frames: 1,
      counts: { 'mgmt/assoc-req': 1 },
      elements: 12,
    },
    'Apple_iPhone_SE_2020_PrivateMAC_76-32-e8-9e-27-da_2.4GHz.pcap': {
      frames: 1,
      counts: { 'mgmt/assoc-req': 1 },
      elements: 11,
    },
    'Hololens2_76-17-61-9b-e8-b2_5.8GHz.pcap': { frames: 1, counts: { 'mgmt/assoc-req': 1 }, elements: 9 },
    'IntelAX210_Windows10_10-3d-1c-00-00-00_5.8GHz-anonymized.pcap': {
      frames: 1,
      counts: { 'mgmt/reassoc-req': 1 },
      elements: 12,
    },
    'IntelAX210_Windows10_10-3d-1c-00-00-00_6.0GHz-anonymized.pcap': {
      frames: 1,
      counts: { 'mgmt/reassoc-req': 1 },
      elements: 11,
    },
    'SM-G977U_Android10_PhoneMAC_d4-53-83-00-00-00_5.8GHz-anonymized.pcap': {
      frames: 1,
      counts: { 'mgmt/assoc-req': 1 },
      elements: 13,
    },
    'SM-G977U_Android10_RandomizedMAC_26-a0-e2-00-00-00_5.8GHz-anonymized.pcap': {
      frames: 1,
      counts: { 'mgmt/assoc-req': 1 },
      elements: 13,
    },
    'SamsungS21Ultra5G_SM-G998U_Android11_6GHz_Rando_Anon.pcap': {
      frames: 1,
      counts: { 'mgmt/assoc-req': 1 },
      elements: 10,
    },
    'ax210_and_iphone12promax.pcap': { frames: 2, counts: { 'mgmt/assoc-req': 2 }, elements: 24 },
    'iPad11_4th_Gen_UK_82-8b-75-2d-f2-c0_5.8GHz.pcap': { frames: 1, counts: { 'mgmt/assoc-req': 1 }, elements: 12 },
    'iPhone11ProMax.pcap_randomized.pcap': { frames: 1, counts: { 'mgmt/assoc-req': 1 }, elements: 12 },
    'wifi7_OnePlus11_Android15.pcapng': { frames: 1, counts: { 'mgmt/assoc-req': 1 }, elements: 16 },
    'wifi7_Pixel8_Android16.pcapng': { frames: 1, counts: { 'mgmt/assoc-req': 1 }, elements: 15 },
    'wifi7_Surface_Laptop_7_ARM64_QCA_FC_7800.pcapng': { frames: 1, counts: { 'mgmt/assoc-req': 1 }, elements: 10 },
    'wifi7_Win11_AMD64_QCA_FC_7800.pcapng': { frames: 1, counts: { 'mgmt/assoc-req': 1 }, elements: 10 },
    'wifi7_Win11_Netgear_A9000_USB.pcapng': { frames: 1, counts: { 'mgmt/assoc-req': 1 }, elements: 11 },
  },
  // airdecap-ng's output: Ethernet frames, read here and handed to the Ethernet layer (not this module's).
  '80211/decrypted': {
    'capture_wds-01-dec.cap': { frames: 46, counts: { ethernet: 46 }, elements: 0 },
    'wpa2-psk-linksys-dec.cap': { frames: 25, counts: { ethernet: 25 }, elements: 0 },
  },
  'net/tcpdump-tests': {
    'ieee802.11_exthdr.pcap': {
      frames: 26,
      counts: {
        'ctrl/ack': 8,
        'data/data': 2,
        'mgmt/assoc-req': 1,
        'mgmt/assoc-resp': 1,
        'mgmt/auth': 2,
        'mgmt/probe-req': 6,
        'mgmt/probe-resp': 6,
      },
      elements: 82,
    },
    'ieee802.11_htc.pcap': { frames: 1, counts: { 'data/data': 1 }, elements: 0 },
    'ieee802.11_meshid.pcap': {
      frames: 3,
      counts: { 'mgmt/beacon': 1, 'mgmt/probe-req': 1, 'mgmt/probe-resp': 1 },
      elements: 23,
    },
    // Crafted to overrun parsers: each frame cut by the snap length inside an element that claims more.
    'ieee802.11_parse_elements_oobr.pcap': { frames: 1, counts: { 'rejected:capture-truncated': 1 }, elements: 0 },
    'ieee802.11_tim_ie_oobr.pcap': { frames: 4, counts: { 'rejected:capture-truncated': 4 }, elements: 0 },
    // Radiotap version 48 ('0'): not a radiotap header at all.
    'ieee802.11_rates_oobr.pcap': { frames: 1, counts: { 'rejected:radiotap-version': 1 }, elements: 0 },
    'radiotap-heapoverflow.pcap': { frames: 1, counts: { 'rejected:radiotap-version': 1 }, elements: 0 },
    // Decrypted by the receiver with the Protected bit and FCS of the encrypted frame kept: the FCS fails.
    'ieee802.11_rx-stbc.pcap': { frames: 3, counts: { 'rejected:bad-fcs': 3 }, elements: 0 },
  },
};

/**
 * Where we knowingly differ from Wireshark 4.0, and why. Wireshark calls an Association Response without elements
 * malformed; this one refuses the station (status 10) and carries none, which is all the MLME needs to read.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'wpa2-psk-linksys.cap #309': 'association refusal without elements',
};

const haveMergecap = spawnSync('mergecap', ['-h'], { stdio: 'ignore' }).status === 0;

/** tshark's view of each frame of several captures (merged in order): lengths, type/subtype, malformed, FCS. */
function tsharkFrames(
  files: string[],
): { len: number; capLen: number; typeSubtype: string; malformed: boolean; badFcs: boolean }[] {
  const dir = mkdtempSync(join(tmpdir(), 'airstack-captures-'));
  try {
    const merged = join(dir, 'all.pcapng');
    const m = spawnSync('mergecap', ['-a', '-w', merged, ...files], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`mergecap: ${m.stderr}`);
    const run = (extra: string[], fields: string[]) => {
      const args = ['-n', '-r', merged, ...extra, '-T', 'fields', '-E', 'separator=\t'];
      for (const f of fields) args.push('-e', f);
      const t = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (t.status !== 0) throw new Error(`tshark: ${t.stderr}`);
      return t.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\t'));
    };
    // wlan.check_checksum validates FCSs (status 0 bad, 1 good, 2 unverified).
    const rows = run(
      ['-o', 'wlan.check_checksum:TRUE'],
      ['frame.len', 'frame.cap_len', 'wlan.fc.type_subtype', '_ws.malformed', 'wlan.fcs.status'],
    );
    return rows.map(([len, capLen, ts, mal, fcs]) => ({
      len: Number(len),
      capLen: Number(capLen),
      typeSubtype: ts,
      malformed: mal !== '',
      badFcs: fcs === '0',
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [dir, files] of Object.entries(EXPECTED)) {
  const base = sharedPath('testdata', dir);
  describe(`captures in ${dir}`, () => {
    const summaries = new Map<string, CaptureSummary>();
    for (const [file, want] of Object.entries(files)) {
      const path = base ? join(base, file) : null;
      it.skipIf(!path || !existsSync(path))(path ? `${file}: ${want.frames} frames` : missingShared(dir), () => {
        const s = decodeCapture(path as string);
        summaries.set(file, s);
        expect({ frames: s.frames, counts: s.counts, elements: s.elementsDecoded }).toEqual(want);
        expect(s.elementFailures).toEqual({});
        expect(s.roundTripFailures).toEqual([]);
      });
    }

    // airdecap-ng's Ethernet output has no 802.11 to compare.
    if (dir === '80211/decrypted') return;
    it.skipIf(!base || !haveTshark() || !haveMergecap)(
      base ? 'agrees with tshark frame by frame' : missingShared(dir),
      () => {
        const names = Object.keys(files).filter((f) => existsSync(join(base as string, f)));
        // The expected table must list every 802.11 capture of the folder.
        const onDisk = readdirSync(base as string).filter(
          (f) => /\.(pcap|pcapng|cap)$/.test(f) && (dir !== 'net/tcpdump-tests' || /^(ieee802\.11|radiotap)/.test(f)),
        );
        expect(names.sort()).toEqual(onDisk.sort());
        const theirs = tsharkFrames(names.map((f) => join(base as string, f)));
        const ours = names.flatMap((f) =>
          (summaries.get(f) ?? decodeCapture(join(base as string, f))).packets.map((p, i) => ({
            ...p,
            where: `${f} #${i + 1}`,
          })),
        );
        expect(theirs.length).toBe(ours.length);
        const disagreements: string[] = [];
        ours.forEach((o, i) => {
          const t = theirs[i];
          if (o.frame) {
            const mine = `0x${fcTypeSubtype(o.frame.header.fc).toString(16).padStart(4, '0')}`;
            // Wireshark numbers extension frames (DMG beacon) in its own way; everything else must agree.
            if (o.frame.type !== 'ext' && t.typeSubtype !== mine)
              disagreements.push(`${o.where}: type/subtype ${mine}, tshark ${t.typeSubtype}`);
            if ((t.malformed || t.badFcs) && !KNOWN_DIFFERENCES[o.where])
              disagreements.push(`${o.where}: we decode it, tshark finds it malformed or with a bad FCS`);
          } else {
            const ok =
              (o.reason === 'capture-truncated' && t.capLen < t.len) ||
              (o.reason === 'bad-fcs' && t.badFcs) ||
              (o.reason?.startsWith('radiotap-') && t.typeSubtype === '') ||
              (['truncated-header', 'truncated-body', 'element-overrun'].includes(o.reason ?? '') && t.malformed);
            if (!ok) disagreements.push(`${o.where}: we reject it (${o.reason}), tshark: ${JSON.stringify(t)}`);
          }
        });
        expect(disagreements).toEqual([]);
      },
    );
  });
}
