/**
 * The supplicant's checks on messages 3 and group 1, one story each, with frames built by hand (the authenticator
 * would never send them).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { buildRsn, rsnCodec } from '../elements/rsn.ts';
import { encodeElement } from '../elements/codec.ts';
import { encodeEapolKey, KeyInfo, setEapolKeyMic } from './eapol-key.ts';
import { gtkKde, padKeyData } from './kde.ts';
import { aesKeyWrap } from './keywrap.ts';
import { buildEapolKey, type InstallKey, pnToRsc } from './keys.ts';
import { derivePtk } from './ptk.ts';
import { Akm, Cipher, requireAkmParams } from './suites.ts';
import { Supplicant, type SupplicantEvent } from './supplicant.ts';

const h = (s: string) => Buffer.from(s, 'hex');
const STA = h('020000000001');
const AP = h('02000000aa00');
const PMK = Buffer.alloc(32, 7);
const ANONCE = Buffer.alloc(32, 0xa1);
const SNONCE = Buffer.alloc(32, 0x5e);
const RSNE = h('30140100000fac040100000fac040100000fac020000');
const GTK = Buffer.alloc(16, 0x66);
const params = requireAkmParams(Akm.PSK, Cipher.CCMP);
const ptk = derivePtk({ pmk: PMK, aa: AP, spa: STA, anonce: ANONCE, snonce: SNONCE, params, pairwise: Cipher.CCMP });

function setup() {
  const sent: Uint8Array[] = [];
  const keys: InstallKey[] = [];
  const events: SupplicantEvent[] = [];
  const deauth: number[] = [];
  const sta = new Supplicant({
    clock: new VirtualClock(),
    pmk: PMK,
    ownAddr: STA,
    bssid: AP,
    akm: Akm.PSK,
    pairwise: Cipher.CCMP,
    group: Cipher.CCMP,
    ownRsne: RSNE,
    apRsne: RSNE,
    random: () => SNONCE,
    send: (f) => sent.push(f),
    setKey: (k) => keys.push(k),
    deauthenticate: (r) => deauth.push(r),
    onEvent: (e) => events.push(e),
  });
  sta.start();
  return { sta, sent, keys, events, deauth };
}

const m1 = (rc: bigint, anonce = ANONCE) =>
  buildEapolKey(params, { keyInfo: 2 | KeyInfo.PAIRWISE | KeyInfo.ACK, replayCounter: rc, nonce: anonce }, null, null);

const M3_INFO =
  2 | KeyInfo.PAIRWISE | KeyInfo.INSTALL | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA;

function m3(rc: bigint, o: { keyData?: Uint8Array; keyInfo?: number; anonce?: Uint8Array; kck?: Uint8Array } = {}) {
  return buildEapolKey(
    params,
    {
      keyInfo: o.keyInfo ?? M3_INFO,
      keyLength: 16,
      replayCounter: rc,
      nonce: o.anonce ?? ANONCE,
      rsc: pnToRsc(0x123456),
      keyData: o.keyData ?? Buffer.concat([RSNE, gtkKde({ keyId: 1, tx: false, key: GTK })]),
    },
    o.kck ?? ptk.kck,
    ptk.kek,
  );
}

const rsneWith = (pairwise: number[]) =>
  encodeElement(rsnCodec, buildRsn({ groupCipher: Cipher.CCMP, pairwiseCiphers: pairwise, akms: [Akm.PSK] }));

describe('message 3 checks', () => {
  it('a well-formed message 3 installs PTK and GTK with the Key RSC', () => {
    const s = setup();
    s.sta.receive(m1(1n));
    s.sta.receive(m3(2n));
    expect(s.events.map((e) => e.type)).toEqual(['ptk-installed', 'gtk-installed', 'connected']);
    expect(s.keys.find((k) => k.kind === 'group')).toMatchObject({ keyIdx: 1, rsc: 0x123456 });
    expect(Buffer.from(s.keys.find((k) => k.kind === 'pairwise')!.key).equals(ptk.tk)).toBe(true);
  });

  it.each([
    [
      'another ANonce than message 1 (testm1m2m3.pcap)',
      () => m3(2n, { anonce: Buffer.alloc(32, 0xb2) }),
      'anonce-mismatch',
    ],
    ['a MIC under another KCK', () => m3(2n, { kck: Buffer.alloc(16, 1) }), 'mic'],
    ['no Install bit', () => m3(2n, { keyInfo: M3_INFO & ~KeyInfo.INSTALL }), 'm3-bad-key-info'],
    ['no GTK KDE', () => m3(2n, { keyData: RSNE }), 'm3-no-gtk'],
    [
      'a GTK with key ID 0',
      () => m3(2n, { keyData: Buffer.concat([RSNE, gtkKde({ keyId: 0, tx: false, key: GTK })]) }),
      'gtk-key-id-0',
    ],
    ['descriptor version 3 under AKM 2', () => m3(2n, { keyInfo: (M3_INFO & ~7) | 3 }), 'descriptor-version'],
    ['a replay counter not above message 1 once a MIC verified', () => m3(0n), 'replay'],
  ])('drops a message 3 with %s', (_what, frame, reason) => {
    const s = setup();
    s.sta.receive(m1(1n));
    if (reason === 'replay') s.sta.receive(m3(2n)); // a verified frame sets the counter floor
    s.sta.receive(frame());
    expect(s.sta.counters.dropped[reason]).toBe(1);
    if (reason !== 'replay') expect(s.keys).toEqual([]);
  });

  it('drops a message 3 before any message 1', () => {
    const s = setup();
    s.sta.receive(m3(2n));
    expect(s.sta.counters.dropped['m3-without-m1']).toBe(1);
  });

  it('accepts a second RSN element that confirms our pairwise cipher, aborts on one that names another', () => {
    const ok = setup();
    ok.sta.receive(m1(1n));
    ok.sta.receive(
      m3(2n, { keyData: Buffer.concat([RSNE, rsneWith([Cipher.CCMP]), gtkKde({ keyId: 1, tx: false, key: GTK })]) }),
    );
    expect(ok.events.map((e) => e.type)).toContain('connected');
    const bad = setup();
    bad.sta.receive(m1(1n));
    bad.sta.receive(
      m3(2n, { keyData: Buffer.concat([RSNE, rsneWith([Cipher.GCMP]), gtkKde({ keyId: 1, tx: false, key: GTK })]) }),
    );
    expect(bad.deauth).toEqual([17]);
    expect(bad.events.at(-1)).toMatchObject({ type: 'failed', reason: 'ie-mismatch' });
  });

  it('aborts when message 3 has no RSN element at all', () => {
    const s = setup();
    s.sta.receive(m1(1n));
    s.sta.receive(m3(2n, { keyData: gtkKde({ keyId: 1, tx: false, key: GTK }) }));
    expect(s.deauth).toEqual([17]);
  });

  it('drops a message 3 whose key data fails the key-wrap integrity check', () => {
    const s = setup();
    s.sta.receive(m1(1n));
    // Wrapped key data with one flipped bit, under a valid MIC: only the unwrap can notice.
    const wrapped = aesKeyWrap(ptk.kek, padKeyData(Buffer.concat([RSNE, gtkKde({ keyId: 1, tx: false, key: GTK })])));
    wrapped[wrapped.length - 1]! ^= 1;
    const fixed = encodeEapolKey({
      keyInfo: M3_INFO,
      keyLength: 16,
      replayCounter: 2n,
      nonce: ANONCE,
      keyData: wrapped,
    });
    setEapolKeyMic(fixed, params.mic, ptk.kck);
    s.sta.receive(fixed);
    expect(s.sta.counters.dropped['key-data-unwrap']).toBe(1);
  });
});

describe('group message 1 checks', () => {
  it('is dropped before the 4-way handshake completed', () => {
    const s = setup();
    s.sta.receive(m1(1n));
    s.sta.receive(
      buildEapolKey(
        params,
        {
          keyInfo: 2 | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA,
          replayCounter: 3n,
          keyData: gtkKde({ keyId: 2, tx: false, key: GTK }),
        },
        ptk.kck,
        ptk.kek,
      ),
    );
    expect(s.sta.counters.dropped['group-before-ptk']).toBe(1);
  });
});
