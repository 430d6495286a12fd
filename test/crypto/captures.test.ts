/**
 * The RSN key hierarchy, EAPOL-Key MICs, key data unwrapping and CCMP against real captures from
 * ../shared/testdata/80211 (aircrack-ng's test captures; airdecap-ng's decrypted output as the reference).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CcmpKey, CcmpResult, ccmpDecryptMpdu } from '../../mac80211/rsn/ccmp.ts';
import {
  type DecodedEapolKey,
  decodeEapolKey,
  eapolKeyMessage,
  verifyEapolKeyMic,
} from '../../mac80211/rsn/eapol-key.ts';
import { parseKeyData } from '../../mac80211/rsn/kde.ts';
import { passphraseToPsk } from '../../mac80211/rsn/kdf.ts';
import { aesKeyUnwrap } from '../../mac80211/rsn/keywrap.ts';
import { micAlgorithmForVersion } from '../../mac80211/rsn/mic.ts';
import { derivePtk, type Ptk, pmkid } from '../../mac80211/rsn/ptk.ts';
import { Akm, Cipher, requireAkmParams } from '../../mac80211/rsn/suites.ts';
import { missingShared, sharedPath } from '../support/shared.ts';
import { beaconRsne, type Dot11, eapolOf, parse80211, readPcap80211 } from './capture.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const cap = (name: string) => sharedPath('testdata/80211/aircrack-ng', name);

interface Handshake {
  aa: string;
  spa: string;
  m1?: DecodedEapolKey;
  m2?: DecodedEapolKey;
  m3?: DecodedEapolKey;
  m4?: DecodedEapolKey;
  /** Frame index of message 3 (or 2 when 3 is missing): keys are in use after it. */
  at: number;
  ptk?: Ptk;
}

/** Follow the 4-way handshakes of a capture: a message 1 (or a message 2 after a complete one) starts a new one. */
function handshakes(frames: Uint8Array[]): Handshake[] {
  const out: Handshake[] = [];
  let cur: Handshake | undefined;
  frames.forEach((f, i) => {
    const e = eapolOf(f);
    if (!e) return;
    const k = decodeEapolKey(e.eapol);
    if (!k.ok) return;
    const aa = e.d.fromDs ? e.d.a2 : e.d.a1;
    const spa = e.d.fromDs ? e.d.a1 : e.d.a2;
    const m = eapolKeyMessage(k.value);
    if (m === '4way-1' || !cur || (m === '4way-2' && cur.m2)) {
      cur = { aa, spa, at: i };
      out.push(cur);
    }
    if (m === '4way-1') cur.m1 = k.value;
    if (m === '4way-2') cur.m2 = k.value;
    if (m === '4way-3') {
      cur.m3 = k.value;
      cur.at = i;
    }
    if (m === '4way-4') cur.m4 = k.value;
  });
  return out;
}

function derive(hs: Handshake, pmk: Uint8Array, akm: number = Akm.PSK): Ptk {
  // Message 3 carries the ANonce that message 2 answered (in testm1m2m3.pcap message 1 is from another exchange).
  const anonce = hs.m3?.nonce ?? hs.m1!.nonce;
  return derivePtk({
    pmk,
    aa: Buffer.from(hs.aa, 'hex'),
    spa: Buffer.from(hs.spa, 'hex'),
    anonce,
    snonce: hs.m2!.nonce,
    params: requireAkmParams(akm, Cipher.CCMP),
    pairwise: Cipher.CCMP,
  });
}

function verifyAll(hs: Handshake, ptk: Ptk): { m2: boolean; m3?: boolean; m4?: boolean } {
  const alg = micAlgorithmForVersion(hs.m2!.keyInfo & 7)!;
  return {
    m2: verifyEapolKeyMic(hs.m2!.pdu, alg, ptk.kck),
    m3: hs.m3 && verifyEapolKeyMic(hs.m3.pdu, alg, ptk.kck),
    m4: hs.m4 && verifyEapolKeyMic(hs.m4.pdu, alg, ptk.kck),
  };
}

function m3KeyData(hs: Handshake, ptk: Ptk) {
  const plain = aesKeyUnwrap(ptk.kek, hs.m3!.keyData);
  expect(plain).not.toBeNull();
  const kd = parseKeyData(plain!);
  if (!kd.ok) throw new Error(kd.reason);
  return kd.value;
}

describe.each([
  ['wpa2.eapol.cap', 'Harkonen', '12345678', 1, false],
  ['wpa2-psk-linksys.cap', 'linksys', 'dictionary', 3, false],
  ['capture_wds-01.cap', 'test1', '12345678', 1, false],
  ['zn2i.pcap', 'dlink', '12345678', 1, false],
  ['testm1m2m3.pcap', 'WLAN-2', '12345678', 1, true],
  ['test23.pcap', 'WLAN-2', '12345678', 1, false],
])('%s (WPA2-PSK, HMAC-SHA1 MIC)', (file, ssid, passphrase, count, staleM1) => {
  const path = cap(file);
  it.skipIf(!path)(`every handshake's MICs verify under the PTK from "${passphrase}"`, () => {
    const { frames } = readPcap80211(path!);
    const all = handshakes(frames);
    expect(all.length).toBe(count);
    const pmk = passphraseToPsk(passphrase, ssid);
    const beacon = frames.map(beaconRsne).find((x) => x !== null);
    for (const hs of all) {
      const ptk = derive(hs, pmk);
      const v = verifyAll(hs, ptk);
      expect(v.m2).toBe(true);
      if (hs.m3) {
        expect(v.m3).toBe(true);
        // ANonce of message 3 = message 1's, except where message 1 is from another exchange (a supplicant
        // that saw that message 1 would drop this message 3).
        if (hs.m1) expect(hex(hs.m3.nonce) === hex(hs.m1.nonce)).toBe(!staleM1);
        const kd = m3KeyData(hs, ptk);
        expect(kd.gtk).toBeDefined();
        expect(kd.gtk!.key.length).toBe(16);
        expect(kd.rsne.length).toBe(1);
        if (beacon) expect(hex(kd.rsne[0]!)).toBe(hex(beacon));
      }
      if (hs.m4) expect(v.m4).toBe(true);
      // A wrong passphrase verifies nothing.
      expect(verifyAll(hs, derive(hs, passphraseToPsk('wrong-passphrase', ssid))).m2).toBe(false);
    }
  });
  if (!path) it.skip(missingShared(`80211/aircrack-ng/${file}`), () => {});
});

describe('wpa2.eapol.cap in detail', () => {
  const path = cap('wpa2.eapol.cap');
  it.skipIf(!path)('gives the vectors.md §3a keys and MIC, and a GTK KDE with key ID 1', () => {
    const hs = handshakes(readPcap80211(path!).frames)[0]!;
    const ptk = derive(hs, passphraseToPsk('12345678', 'Harkonen'));
    expect(hex(ptk.kck)).toBe('ea0e404633c802450302868ccaa749de');
    expect(hex(hs.m2!.mic)).toBe('d5355382b8a9b806dcaf99cdaf564eb6');
    expect(hex(hs.m3!.mic)).toBe('1e228672d2dee930714f688c5746028d'); // tshark golden
    const kd = m3KeyData(hs, ptk);
    expect(kd.gtk!.keyId).toBe(1);
    expect(hs.m3!.replayCounter).toBe(2n);
  });
});

describe('n-02.cap (AKM 6 PSK-SHA256, KDF-SHA256 PTK, AES-128-CMAC MIC, PMF)', () => {
  const path = cap('n-02.cap');
  it.skipIf(!path)('verifies messages 2, 3 and 4 and unwraps a GTK and an IGTK', () => {
    const all = handshakes(readPcap80211(path!).frames);
    expect(all.length).toBe(1);
    const hs = all[0]!;
    expect(hs.m2!.keyInfo & 7).toBe(3);
    const ptk = derive(hs, passphraseToPsk('bo$$password', 'Neheb'), Akm.PSK_SHA256);
    expect(hex(Buffer.concat([ptk.kck, ptk.kek]))).toBe(
      '2c76dc592c3b671bac230f6c9e38a062a0ddc98f4ab4d6129022fc7f45fe9264',
    );
    expect(verifyAll(hs, ptk)).toEqual({ m2: true, m3: true, m4: true });
    const kd = m3KeyData(hs, ptk);
    expect(kd.gtk).toBeDefined();
    expect(kd.igtk).toBeDefined();
    expect([4, 5]).toContain(kd.igtk!.keyId);
    // The SHA-1 PRF gives other keys: the MICs do not verify.
    expect(verifyAll(hs, derive(hs, passphraseToPsk('bo$$password', 'Neheb'), Akm.PSK)).m2).toBe(false);
  });
});

describe('test-pmkid.pcap', () => {
  const path = cap('test-pmkid.pcap');
  it.skipIf(!path)("message 1's PMKID KDE equals PMKID(PMK, AA, SPA)", () => {
    const hs = handshakes(readPcap80211(path!).frames)[0]!;
    const kd = parseKeyData(hs.m1!.keyData);
    if (!kd.ok) throw new Error(kd.reason);
    const pmk = passphraseToPsk('SP-91862D361', 'WLAN-771698');
    expect(hex(kd.value.pmkid!)).toBe('c2ea9449c142e84a0479041702526532');
    expect(hex(pmkid(pmk, Buffer.from(hs.aa, 'hex'), Buffer.from(hs.spa, 'hex')))).toBe(hex(kd.value.pmkid!));
  });
});

/** DA, SA of a data frame by its DS bits (802.11-2020 Table 9-30). */
function daSa(d: Dot11): [string, string] {
  if (d.toDs && d.fromDs) return [d.a3, d.a4!];
  if (d.toDs) return [d.a3, d.a2];
  if (d.fromDs) return [d.a1, d.a3];
  return [d.a1, d.a2];
}

interface DirKeys {
  aa: string;
  /** Receive state per transmitter: each direction has its own PN sequence. */
  fromAp: CcmpKey;
  toAp: CcmpKey;
}

/** Decrypt a capture's CCMP data frames as a passive observer; returns "DA SA payload-after-SNAP" per frame. */
function decryptCapture(frames: Uint8Array[], pmk: Uint8Array, replayCheck: boolean) {
  const all = handshakes(frames);
  const out: { line: string; group: boolean }[] = [];
  let pairwise: DirKeys[] = [];
  const group = new Map<number, CcmpKey>();
  const counts = { ok: 0, replay: 0, mic: 0, noKey: 0 };
  let nextHs = 0;
  const mk = (tk: Uint8Array, keyIdx = 0) => new CcmpKey(tk, { keyIdx, replayCheck });
  frames.forEach((f, i) => {
    // Keys become usable once the handshake's message 3 has gone by; the previous PTK stays for frames in flight.
    while (nextHs < all.length && all[nextHs]!.at <= i) {
      const hs = all[nextHs++]!;
      if (!hs.m3) continue;
      const ptk = derive(hs, pmk);
      pairwise = [{ aa: hs.aa, fromAp: mk(ptk.tk), toAp: mk(ptk.tk) }, ...pairwise].slice(0, 2);
      const gtk = m3KeyData(hs, ptk).gtk!;
      group.set(gtk.keyId, mk(gtk.key, gtk.keyId));
    }
    const d = parse80211(f);
    if (d?.type !== 2 || !d.protected) return;
    const keyId = f[d.hdrLen + 3]! >> 6;
    const multicast = (Number.parseInt(d.a1.slice(0, 2), 16) & 1) === 1;
    const keys = multicast
      ? [group.get(keyId)].filter((k) => k !== undefined)
      : pairwise.map((k) => (d.a2 === k.aa ? k.fromAp : k.toAp));
    if (keys.length === 0) counts.noKey++;
    let verdict: number = CcmpResult.MIC;
    for (const key of keys) {
      const r = ccmpDecryptMpdu(key, f);
      if (r.result === CcmpResult.OK) {
        const body = r.plain!.subarray(d.hdrLen);
        expect(hex(body.subarray(0, 6))).toBe('aaaa03000000');
        const [da, sa] = daSa(d);
        out.push({ line: da + sa + hex(body.subarray(6)), group: multicast });
        counts.ok++;
        return;
      }
      if (r.result === CcmpResult.REPLAY) verdict = r.result;
    }
    if (keys.length) counts[verdict === CcmpResult.REPLAY ? 'replay' : 'mic']++;
  });
  return { out, counts };
}

describe.each([
  ['wpa2-psk-linksys.cap', 'wpa2-psk-linksys-dec.cap', 'linksys', 'dictionary', 25, 4, 1],
  ['capture_wds-01.cap', 'capture_wds-01-dec.cap', 'test1', '12345678', 46, 0, 0],
])('%s: CCMP data frames against airdecap-ng', (file, decFile, ssid, passphrase, expected, replays, groupFrames) => {
  const path = cap(file);
  const decPath = sharedPath('testdata/80211/decrypted', decFile);
  it.skipIf(!path || !decPath)(`decrypts the same ${expected} frames to the same bytes`, () => {
    const { frames } = readPcap80211(path!);
    const pmk = passphraseToPsk(passphrase, ssid);
    const { out, counts } = decryptCapture(frames, pmk, true);
    // Every protected data frame after the first handshake decrypts; retransmitted copies (same PN) are replays.
    expect(counts.mic).toBe(0);
    expect(counts.replay).toBe(replays);
    // airdecap-ng drops retransmissions too, and does not decrypt group-addressed frames (GTK): the rest is byte
    // for byte what it wrote.
    expect(out.filter((o) => o.group).length).toBe(groupFrames);
    const mine = out.filter((o) => !o.group).map((o) => o.line);
    expect(mine.length).toBe(expected);
    expect(mine).toEqual(readPcapRecords(decPath!));
    // Without the replay check (a passive decoder keeping retransmissions) the copies decrypt too.
    expect(decryptCapture(frames, pmk, false).out.length).toBe(out.length + replays);
  });
});

function readPcapRecords(path: string): string[] {
  const b = readFileSync(path);
  const out: string[] = [];
  for (let pos = 24; pos + 16 <= b.length; ) {
    const incl = b.readUInt32LE(pos + 8);
    out.push(hex(b.subarray(pos + 16, pos + 16 + incl)));
    pos += 16 + incl;
  }
  return out;
}
