/**
 * The supplicant and authenticator state machines fed with the real handshakes of ../shared captures: each side
 * accepts the real peer's messages (MICs, replay counters, key data, RSN elements) and installs the right keys.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { Authenticator } from '../../mac80211/rsn/authenticator.ts';
import { decodeEapolKey, eapolKeyMessage, verifyEapolKeyMic } from '../../mac80211/rsn/eapol-key.ts';
import { parseKeyData } from '../../mac80211/rsn/kde.ts';
import { passphraseToPsk } from '../../mac80211/rsn/kdf.ts';
import type { InstallKey } from '../../mac80211/rsn/keys.ts';
import { Akm, Cipher } from '../../mac80211/rsn/suites.ts';
import { Supplicant, type SupplicantEvent } from '../../mac80211/rsn/supplicant.ts';
import { missingShared, sharedPath } from '../support/shared.ts';
import { beaconRsne, eapolOf, readPcap80211 } from './capture.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Case {
  file: string;
  ssid: string;
  passphrase: string;
  akm: number;
  groupMgmt?: number;
  tk: string | null;
}

const cases: Case[] = [
  {
    file: 'wpa2.eapol.cap',
    ssid: 'Harkonen',
    passphrase: '12345678',
    akm: Akm.PSK,
    tk: '9b31e9ff220e132ae4f6ed9ef1acc885',
  },
  {
    file: 'n-02.cap',
    ssid: 'Neheb',
    passphrase: 'bo$$password',
    akm: Akm.PSK_SHA256,
    groupMgmt: Cipher.AES_CMAC,
    tk: 'd72088051b391718cafa478a9b438c3d',
  },
  { file: 'zn2i.pcap', ssid: 'dlink', passphrase: '12345678', akm: Akm.PSK, tk: 'f920b3400ddb07ee9e60676dc89b8afc' },
];

function load(c: Case) {
  const { frames } = readPcap80211(sharedPath('testdata/80211/aircrack-ng', c.file)!);
  const msgs = new Map<string, { eapol: Uint8Array; aa: Uint8Array; spa: Uint8Array }>();
  for (const f of frames) {
    const e = eapolOf(f);
    if (!e) continue;
    const d = decodeEapolKey(e.eapol);
    if (!d.ok) continue;
    const m = eapolKeyMessage(d.value);
    const aa = Buffer.from(e.d.fromDs ? e.d.a2 : e.d.a1, 'hex');
    const spa = Buffer.from(e.d.fromDs ? e.d.a1 : e.d.a2, 'hex');
    if (!msgs.has(m)) msgs.set(m, { eapol: d.value.pdu, aa, spa });
  }
  const beacon = frames.map(beaconRsne).find((x) => x !== null) ?? null;
  const field = (m: string) => {
    const d = decodeEapolKey(msgs.get(m)!.eapol);
    if (!d.ok) throw new Error(d.reason);
    return d.value;
  };
  return { msgs, beacon, field };
}

describe.each(cases)('$file', (c) => {
  const present = sharedPath('testdata/80211/aircrack-ng', c.file) !== null;
  if (!present) it.skip(missingShared(`80211/aircrack-ng/${c.file}`), () => {});

  it.skipIf(!present)('our supplicant answers the real AP: message 2 and 4 verify, PTK and GTK installed', () => {
    const { msgs, beacon, field } = load(c);
    const m1 = msgs.get('4way-1')!;
    const keys: InstallKey[] = [];
    const events: SupplicantEvent[] = [];
    const sent: Uint8Array[] = [];
    const ownRsne = parseKeyData(field('4way-2').keyData);
    if (!ownRsne.ok) throw new Error(ownRsne.reason);
    const sta = new Supplicant({
      clock: new VirtualClock(),
      pmk: passphraseToPsk(c.passphrase, c.ssid),
      ownAddr: m1.spa,
      bssid: m1.aa,
      akm: c.akm,
      pairwise: Cipher.CCMP,
      group: Cipher.CCMP,
      groupMgmt: c.groupMgmt,
      ownRsne: ownRsne.value.rsne[0]!,
      apRsne: beacon!,
      // The station's SNonce from the capture, so that the PTK is the real one.
      random: () => field('4way-2').nonce,
      send: (f) => sent.push(f),
      setKey: (k) => keys.push(k),
      deauthenticate: () => {
        throw new Error('deauthenticated');
      },
      onEvent: (e) => events.push(e),
    });
    sta.start();
    sta.receive(m1.eapol);
    expect(sent.length).toBe(1);
    const ourM2 = decodeEapolKey(sent[0]!);
    if (!ourM2.ok) throw new Error(ourM2.reason);
    // Same SNonce and RSN element as the real message 2.
    expect(hex(ourM2.value.nonce)).toBe(hex(field('4way-2').nonce));
    expect(hex(ourM2.value.keyData)).toBe(hex(field('4way-2').keyData));
    sta.receive(msgs.get('4way-3')!.eapol);
    expect(sta.counters.dropped).toEqual({});
    expect(events.map((e) => e.type)).toContain('connected');
    const ptk = sta.currentPtk!;
    if (c.tk) expect(hex(ptk.tk)).toBe(c.tk);
    // The real station's messages 2 and 4 verify under the PTK our supplicant derived.
    expect(verifyEapolKeyMic(msgs.get('4way-2')!.eapol, sta.params.mic, ptk.kck)).toBe(true);
    expect(verifyEapolKeyMic(msgs.get('4way-4')!.eapol, sta.params.mic, ptk.kck)).toBe(true);
    // Our message 4 carries the real message 3's replay counter.
    const ourM4 = decodeEapolKey(sent[1]!);
    expect(ourM4.ok && ourM4.value.replayCounter).toBe(field('4way-3').replayCounter);
    expect(keys.map((k) => k.kind).sort()).toEqual(c.groupMgmt ? ['group', 'igtk', 'pairwise'] : ['group', 'pairwise']);
    expect(keys.find((k) => k.kind === 'pairwise')!.key.length).toBe(16);
  });

  it.skipIf(!present)("our authenticator accepts the real station's messages 2 and 4 and installs the PTK", () => {
    const { msgs, field } = load(c);
    const m1 = msgs.get('4way-1')!;
    const keys: InstallKey[] = [];
    const sent: Uint8Array[] = [];
    const rsne = parseKeyData(field('4way-2').keyData);
    if (!rsne.ok) throw new Error(rsne.reason);
    const clock = new VirtualClock();
    const ap = new Authenticator({
      clock,
      bssid: m1.aa,
      pmk: passphraseToPsk(c.passphrase, c.ssid),
      akm: c.akm,
      pairwise: Cipher.CCMP,
      group: Cipher.CCMP,
      groupMgmt: c.groupMgmt,
      rsne: rsne.value.rsne[0]!,
      // 32-byte draws are ANonces: the real AP's, so that the PTK is the real one. GTKs are arbitrary.
      random: (n) => (n === 32 ? field('4way-1').nonce : new Uint8Array(n).fill(0x55)),
      send: (_a, f) => sent.push(f),
      setKey: (k) => keys.push(k),
      deauthenticate: () => {
        throw new Error('deauthenticated');
      },
    });
    ap.addStation(m1.spa, rsne.value.rsne[0]!);
    // Let our retransmissions of message 1 run until one carries the real message 1's replay counter.
    const realM1Rc = field('4way-1').replayCounter;
    for (let i = 1n; i < realM1Rc; i++) clock.runFor(i === 1n ? 100 : 1000);
    const ourM1 = decodeEapolKey(sent.at(-1)!);
    expect(ourM1.ok && ourM1.value.replayCounter).toBe(realM1Rc);
    expect(ourM1.ok && hex(ourM1.value.nonce)).toBe(hex(field('4way-1').nonce));
    sent.length = 0;
    ap.receive(m1.spa, msgs.get('4way-2')!.eapol);
    expect(ap.counters.dropped).toEqual({});
    expect(sent.length).toBe(1); // our message 3
    const ourM3 = decodeEapolKey(sent[0]!);
    expect(ourM3.ok && ourM3.value.replayCounter).toBe(field('4way-3').replayCounter);
    ap.receive(m1.spa, msgs.get('4way-4')!.eapol);
    expect(ap.counters.dropped).toEqual({});
    const ptk = keys.find((k) => k.kind === 'pairwise');
    if (c.tk) expect(hex(ptk!.key)).toBe(c.tk);
    expect(ap.counters.handshakesCompleted).toBe(1);
  });
});
