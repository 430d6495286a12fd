/**
 * The supplicant and the authenticator against each other in virtual time, over a link that loses, duplicates,
 * delays and reorders frames (seeded), plus the KRACK and wrong-passphrase stories one by one.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { Authenticator, type AuthenticatorConfig, type AuthenticatorEvent } from './authenticator.ts';
import { decodeEapolKey, eapolKeyMessage, KeyInfo } from './eapol-key.ts';
import { passphraseToPsk } from './kdf.ts';
import { buildEapolKey, type InstallKey } from './keys.ts';
import { Akm, Cipher } from './suites.ts';
import { Supplicant, type SupplicantConfig, type SupplicantEvent } from './supplicant.ts';

const h = (s: string) => Buffer.from(s, 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const STA = h('020000000001');
const AP = h('02000000aa00');
const RSNE_PSK = h('30140100000fac040100000fac040100000fac020000');

interface WorldOptions {
  seed?: number;
  loss?: number;
  dup?: number;
  /** Extra random delay (ms) per frame: frames overtake each other. */
  jitter?: number;
  staPassphrase?: string;
  apPassphrase?: string;
  akm?: number;
  /** RSN element the AP puts in Beacons and message 3 (the station saw `beaconRsne`). */
  apRsne?: Uint8Array;
  beaconRsne?: Uint8Array;
  /** RSN element the station sends in message 2 (its association request said `assocRsne`). */
  staRsne?: Uint8Array;
  assocRsne?: Uint8Array;
  groupMgmt?: number;
  groupRekeyMs?: number;
  /** Drop frames for which this returns true (after the random loss). */
  filter?: (dir: 'to-ap' | 'to-sta', msg: string, n: number) => boolean;
  /** Lose the AP's deauthentication frame. */
  loseDeauth?: boolean;
  /** Do not start the authenticator (no message 1 ever). */
  silentAp?: boolean;
}

function world(o: WorldOptions = {}) {
  const clock = new VirtualClock();
  const prng = new Prng(o.seed ?? 1, 'link');
  const akm = o.akm ?? Akm.PSK;
  const rsne = akm === Akm.PSK ? RSNE_PSK : Buffer.from(RSNE_PSK).fill(akm & 0xff, 21, 22);
  const staKeys: InstallKey[] = [];
  const apKeys: InstallKey[] = [];
  const staEvents: SupplicantEvent[] = [];
  const apEvents: AuthenticatorEvent[] = [];
  const log: string[] = [];
  const counts = new Map<string, number>();
  let staDeauth: number | null = null;
  let apDeauth: number | null = null;
  let apDeauthAt = -1;
  let associated = true;

  const describe = (f: Uint8Array) => {
    const d = decodeEapolKey(f);
    return d.ok ? eapolKeyMessage(d.value) : 'bad';
  };
  const link = (dir: 'to-ap' | 'to-sta', frame: Uint8Array) => {
    const msg = describe(frame);
    const n = (counts.get(`${dir}:${msg}`) ?? 0) + 1;
    counts.set(`${dir}:${msg}`, n);
    if (prng.chance(o.loss ?? 0) || o.filter?.(dir, msg, n)) {
      log.push(`${clock.now()} ${dir} ${msg} LOST`);
      return;
    }
    const copies = prng.chance(o.dup ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const copy = Uint8Array.from(frame);
      const delay = 1 + prng.float() * (o.jitter ?? 0);
      clock.setTimeout(() => {
        if (!associated) return;
        log.push(`${clock.now()} ${dir} ${msg}`);
        if (dir === 'to-ap') ap.receive(STA, copy);
        else sta.receive(copy);
      }, delay);
    }
  };

  const staPmk = passphraseToPsk(o.staPassphrase ?? 'correct horse', 'airstack');
  const apPmk = passphraseToPsk(o.apPassphrase ?? 'correct horse', 'airstack');
  const staRandom = new Prng(o.seed ?? 1, 'sta');
  const staCfg: SupplicantConfig = {
    clock,
    pmk: staPmk,
    ownAddr: STA,
    bssid: AP,
    akm,
    pairwise: Cipher.CCMP,
    group: Cipher.CCMP,
    groupMgmt: o.groupMgmt,
    ownRsne: o.staRsne ?? rsne,
    apRsne: o.beaconRsne ?? rsne,
    random: (n) => staRandom.bytes(n),
    send: (f) => link('to-ap', f),
    setKey: (k) => staKeys.push(k),
    deauthenticate: (r) => {
      staDeauth = r;
      associated = false;
      ap.removeStation(STA);
    },
    onEvent: (e) => staEvents.push(e),
  };
  const apRandom = new Prng(o.seed ?? 1, 'ap');
  const apCfg: AuthenticatorConfig = {
    clock,
    bssid: AP,
    pmk: apPmk,
    akm,
    pairwise: Cipher.CCMP,
    group: Cipher.CCMP,
    groupMgmt: o.groupMgmt,
    rsne: o.apRsne ?? rsne,
    random: (n) => apRandom.bytes(n),
    groupRekeyMs: o.groupRekeyMs,
    send: (_addr, f) => link('to-sta', f),
    setKey: (k) => apKeys.push(k),
    deauthenticate: (_addr, r) => {
      apDeauth = r;
      apDeauthAt = clock.now();
      if (o.loseDeauth) return;
      clock.setTimeout(() => {
        if (!associated) return;
        associated = false;
        sta.disconnected(r, false);
      }, 1);
    },
    onEvent: (e) => apEvents.push(e),
  };
  const sta = new Supplicant(staCfg);
  const ap = new Authenticator(apCfg);
  sta.start();
  if (!o.silentAp) ap.addStation(STA, o.assocRsne ?? rsne);
  return {
    clock,
    sta,
    ap,
    staKeys,
    apKeys,
    staEvents,
    apEvents,
    log,
    counts,
    get staDeauth() {
      return staDeauth;
    },
    get apDeauth() {
      return apDeauth;
    },
    get apDeauthAt() {
      return apDeauthAt;
    },
  };
}

const pairwiseKeys = (ks: InstallKey[]) => ks.filter((k) => k.kind === 'pairwise').map((k) => hex(k.key));
const groupKeys = (ks: InstallKey[]) => ks.filter((k) => k.kind === 'group').map((k) => `${k.keyIdx}:${hex(k.key)}`);

describe('4-way handshake', () => {
  it('connects: four messages, the same PTK on both sides, the AP GTK at the station', () => {
    const w = world();
    w.clock.runFor(5000);
    expect(w.log.map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      'to-sta 4way-1',
      'to-ap 4way-2',
      'to-sta 4way-3',
      'to-ap 4way-4',
    ]);
    expect(w.sta.state).toBe('completed');
    expect(w.staEvents.map((e) => e.type)).toEqual(['ptk-installed', 'gtk-installed', 'connected']);
    expect(w.apEvents).toMatchObject([{ type: 'sta-authorized', rekey: false }]);
    expect(hex((w.apEvents[0] as { addr: Uint8Array }).addr)).toBe(hex(STA));
    expect(pairwiseKeys(w.staKeys)).toEqual(pairwiseKeys(w.apKeys));
    expect(groupKeys(w.staKeys)).toEqual(groupKeys(w.apKeys));
    expect(groupKeys(w.staKeys)[0]!.startsWith('1:')).toBe(true);
    expect(w.staKeys.find((k) => k.kind === 'pairwise')!.addr).toEqual(AP);
    expect(w.apKeys.find((k) => k.kind === 'group')!.tx).toBe(true);
  });

  it.each([
    ['PSK-SHA256 (AKM 6, descriptor version 3)', Akm.PSK_SHA256],
    ['SAE (AKM 8, descriptor version 0)', Akm.SAE],
  ])('connects with %s', (_name, akm) => {
    const w = world({ akm });
    w.clock.runFor(5000);
    expect(w.sta.state).toBe('completed');
    expect(pairwiseKeys(w.staKeys)).toEqual(pairwiseKeys(w.apKeys));
    expect(w.sta.params.descriptorVersion).toBe(akm === Akm.SAE ? 0 : 3);
  });

  it('installs the IGTK with management frame protection', () => {
    const w = world({ groupMgmt: Cipher.AES_CMAC });
    w.clock.runFor(5000);
    const sta = w.staKeys.find((k) => k.kind === 'igtk');
    const ap = w.apKeys.find((k) => k.kind === 'igtk');
    expect(sta?.keyIdx).toBe(4);
    expect(hex(sta!.key)).toBe(hex(ap!.key));
  });

  it('aborts with reason 17 when message 3 carries another RSN element than the Beacon', () => {
    const beacon = Buffer.from(RSNE_PSK);
    beacon[beacon.length - 2] = 0x0c; // the Beacon advertised other RSN capabilities
    const w = world({ beaconRsne: beacon });
    w.clock.runFor(5000);
    expect(w.staDeauth).toBe(17);
    expect(w.staEvents.at(-1)).toMatchObject({ type: 'failed', reason: 'ie-mismatch' });
    expect(w.staKeys).toEqual([]);
    expect(w.ap.station(STA)).toBeUndefined();
  });

  it('the AP deauthenticates with reason 17 when message 2 carries another RSN element than the association', () => {
    const assoc = Buffer.from(RSNE_PSK);
    assoc[assoc.length - 2] = 0x80;
    const w = world({ assocRsne: assoc });
    w.clock.runFor(5000);
    expect(w.apDeauth).toBe(17);
    expect(w.apEvents).toMatchObject([{ type: 'handshake-failed', reason: 'ie-mismatch', m2MicFailures: 0 }]);
    expect(w.staEvents.at(-1)).toMatchObject({ type: 'failed', reason: 'disconnected', reasonCode: 17 });
  });
});

describe('wrong passphrase', () => {
  it('the AP drops every message 2, resends message 1 four times, deauthenticates with 15; the station says why', () => {
    const w = world({ staPassphrase: 'wrong horse!' });
    w.clock.runFor(20_000);
    expect(w.log.filter((l) => l.includes('to-sta 4way-1')).length).toBe(4);
    expect(w.ap.counters.m2MicFailures).toBe(4);
    expect(w.apDeauth).toBe(15);
    expect(w.apEvents).toMatchObject([{ type: 'handshake-failed', reason: 'timeout', m2MicFailures: 4 }]);
    expect(w.staEvents).toEqual([
      {
        type: 'failed',
        reason: 'wrong-passphrase',
        reasonCode: 15,
        locallyGenerated: false,
        m2Sent: 4,
        m1Retransmissions: 3,
      },
    ]);
    expect(w.staKeys).toEqual([]);
    // hostapd's schedule: messages 1 at 0, 100, 1100 and 2100 ms; gives up 1 s after the last.
    expect(w.log.filter((l) => l.includes('to-sta 4way-1')).map((l) => Math.floor(Number(l.split(' ')[0])))).toEqual([
      1, 101, 1101, 2101,
    ]);
    expect(w.apDeauthAt).toBe(3100);
  });

  it('is reported from the station timeout too when the deauthentication is lost', () => {
    const w = world({ staPassphrase: 'wrong horse!', loseDeauth: true });
    w.clock.runFor(20_000);
    expect(w.staDeauth).toBe(15);
    expect(w.staEvents).toMatchObject([{ type: 'failed', reason: 'wrong-passphrase', locallyGenerated: true }]);
  });

  it('no message 1 at all is a timeout, not a wrong passphrase', () => {
    const w = world({ silentAp: true });
    w.clock.runFor(20_000);
    expect(w.staEvents).toMatchObject([{ type: 'failed', reason: 'timeout', m2Sent: 0 }]);
  });

  it('a disconnection after a completed handshake is not a wrong passphrase', () => {
    const w = world();
    w.clock.runFor(1000);
    expect(w.sta.disconnected(15)).toBeNull();
    expect(w.staEvents.map((e) => e.type)).not.toContain('failed');
  });
});

describe('KRACK defences and retransmissions', () => {
  it('a retransmitted message 3 (message 4 lost) is answered but the PTK is not reinstalled', () => {
    const w = world({ filter: (dir, msg, n) => dir === 'to-ap' && msg === '4way-4' && n === 1 });
    w.clock.runFor(5000);
    expect(w.log.filter((l) => l.endsWith('to-sta 4way-3')).length).toBe(2);
    expect(w.sta.counters.m4Sent).toBe(2);
    expect(w.sta.counters.ptkInstalls).toBe(1);
    expect(w.sta.counters.ptkReinstallsAvoided).toBe(1);
    expect(w.sta.counters.gtkReinstallsAvoided).toBe(1);
    expect(pairwiseKeys(w.staKeys).length).toBe(1);
    expect(w.apEvents).toMatchObject([{ type: 'sta-authorized' }]);
  });

  it('a replayed message 3 (same replay counter) is dropped', () => {
    let m3: Uint8Array | null = null;
    const w = world();
    const recv = w.sta.receive.bind(w.sta);
    w.sta.receive = (f: Uint8Array) => {
      const d = decodeEapolKey(f);
      if (d.ok && eapolKeyMessage(d.value) === '4way-3') m3 = Uint8Array.from(f);
      return recv(f);
    };
    w.clock.runFor(1000);
    expect(m3).not.toBeNull();
    w.sta.receive(m3!);
    expect(w.sta.counters.dropped.replay).toBe(1);
    expect(w.sta.counters.m4Sent).toBe(1);
  });

  it('a retransmitted group message 1 is answered without reinstalling the GTK', () => {
    const w = world({ filter: (dir, msg, n) => dir === 'to-ap' && msg === 'group-2' && n === 1 });
    w.clock.runFor(1000);
    w.ap.rekeyGroup();
    w.clock.runFor(5000);
    expect(w.sta.counters.group2Sent).toBe(2);
    expect(w.sta.counters.gtkInstalls).toBe(2);
    expect(w.sta.counters.gtkReinstallsAvoided).toBe(1);
    expect(w.apEvents.at(-1)).toEqual({ type: 'group-rekeyed', keyIdx: 2 });
  });

  it('a retransmitted message 1 gets the same SNonce, and a MIC-failing message 3 is dropped', () => {
    const w = world({ filter: (dir, msg, n) => dir === 'to-ap' && msg === '4way-2' && n === 1 });
    w.clock.runFor(5000);
    const m2s = w.sta.counters.m2Sent;
    expect(m2s).toBe(2);
    expect(w.sta.counters.m1Retransmissions).toBe(1);
    expect(w.sta.state).toBe('completed');
  });
});

describe('rekeying', () => {
  it('PTK rekey: a new 4-way handshake on the association installs a new PTK once on each side', () => {
    const w = world();
    w.clock.runFor(1000);
    const first = w.sta.currentPtk!.tk;
    w.ap.rekeyPtk(STA);
    w.clock.runFor(5000);
    expect(pairwiseKeys(w.staKeys).length).toBe(2);
    expect(pairwiseKeys(w.staKeys)).toEqual(pairwiseKeys(w.apKeys));
    expect(hex(w.sta.currentPtk!.tk)).not.toBe(hex(first));
    expect(w.staEvents.filter((e) => e.type === 'ptk-installed')).toEqual([
      { type: 'ptk-installed', rekey: false },
      { type: 'ptk-installed', rekey: true },
    ]);
    expect(w.apEvents.at(-1)).toMatchObject({ type: 'sta-authorized', rekey: true });
    expect(w.staEvents.filter((e) => e.type === 'connected').length).toBe(1);
  });

  it('periodic group rekey alternates key indexes 1 and 2 and the station follows', () => {
    const w = world({ groupRekeyMs: 60_000 });
    w.clock.runFor(200_000);
    expect(w.ap.counters.groupRekeys).toBe(3);
    expect(groupKeys(w.staKeys)).toEqual(groupKeys(w.apKeys));
    expect(groupKeys(w.apKeys).map((g) => g[0])).toEqual(['1', '2', '1', '2']);
  });

  it('a group rekey during a 4-way handshake still gets the new GTK to the station', () => {
    // Rekey right after message 3 left (at 2 ms): the station's message 3 carried the old GTK.
    const w = world();
    w.clock.runFor(2.5);
    expect(w.ap.station(STA)?.ptkState).toBe('ptkinitnegotiating');
    w.ap.rekeyGroup();
    w.clock.runFor(5000);
    expect(w.apEvents.map((e) => e.type)).toEqual(['sta-authorized', 'group-rekeyed']);
    expect(groupKeys(w.staKeys).at(-1)).toBe(groupKeys(w.apKeys).at(-1));
    expect(groupKeys(w.staKeys).map((g) => g[0])).toEqual(['1', '2']);
  });
});

describe('lossy links (seeded)', () => {
  it('with loss, duplication and reordering: keys agree, none installed twice, and most runs connect', () => {
    let connected = 0;
    const seeds = 100;
    for (let seed = 1; seed <= seeds; seed++) {
      const w = world({ seed, loss: 0.15, dup: 0.2, jitter: 30, groupRekeyMs: 2000 });
      w.clock.runFor(9000);
      const staTk = pairwiseKeys(w.staKeys);
      // KRACK invariant: never the same key installed twice.
      expect(new Set(staTk).size).toBe(staTk.length);
      const staGtk = groupKeys(w.staKeys);
      expect(new Set(staGtk).size).toBe(staGtk.length);
      const ok = w.staEvents.some((e) => e.type === 'connected');
      const authorized = w.apEvents.some((e) => e.type === 'sta-authorized');
      if (ok && authorized) {
        connected++;
        // Every PTK the AP installed was installed by the station, in the same order.
        const apTk = pairwiseKeys(w.apKeys);
        expect(staTk.slice(0, apTk.length)).toEqual(apTk);
        // The AP's current transmit GTK is one the station has (or is being given while it retries).
        const cur = `${w.ap.currentGtk.keyIdx}:${hex(w.ap.currentGtk.key)}`;
        if (w.ap.station(STA)?.groupPending === false) expect(staGtk).toContain(cur);
      } else if (!ok) {
        // The station never completed: it reports a failure once the AP gave up.
        const failed = w.staEvents.find((e) => e.type === 'failed');
        if (w.apDeauth !== null) expect(failed).toBeDefined();
      }
    }
    expect(connected).toBeGreaterThanOrEqual(seeds * 0.9);
  });
});

describe('hostile input', () => {
  it('random frames and mutated handshake frames never throw and never install a key', () => {
    const w = world({ silentAp: true });
    const ap = world().ap;
    const good = world();
    const frames: Uint8Array[] = [];
    const recv = good.sta.receive.bind(good.sta);
    good.sta.receive = (f: Uint8Array) => {
      frames.push(Uint8Array.from(f));
      return recv(f);
    };
    good.clock.runFor(1000);
    const prng = new Prng(7, 'fuzz');
    for (let i = 0; i < 3000; i++) {
      let f: Uint8Array;
      if (i % 3 === 0) f = prng.bytes(prng.int(200));
      else {
        f = Uint8Array.from(frames[prng.int(frames.length)]!);
        for (let j = prng.range(1, 4); j > 0; j--) f[prng.int(f.length)] = prng.nextU32() & 0xff;
        if (prng.chance(0.2)) f = f.subarray(0, prng.int(f.length));
      }
      expect(() => w.sta.receive(f)).not.toThrow();
      expect(() => ap.receive(STA, f)).not.toThrow();
    }
    expect(w.staKeys).toEqual([]);
    expect(w.sta.state).not.toBe('completed');
    // Every frame was either dropped with a reason or was a (well-formed, unauthenticated) message 1 answered.
    const dropped = Object.values(w.sta.counters.dropped).reduce((a, b) => a + b, 0);
    expect(dropped + w.sta.counters.m1).toBe(3000);
    expect(w.sta.counters.m1).toBeGreaterThan(0);
    expect(ap.counters.handshakesCompleted).toBe(0);
  });
});

describe('EAPOL-Key requests from the station', () => {
  it('a MIC-protected pairwise request starts a PTK rekey; a group request a GTK rekey; replays and bad MICs are dropped', () => {
    const w = world();
    w.clock.runFor(1000);
    const kck = w.sta.currentPtk!.kck;
    const req = (rc: bigint, pairwise: boolean, key: Uint8Array = kck) =>
      buildEapolKey(
        w.sta.params,
        {
          keyInfo: 2 | KeyInfo.REQUEST | KeyInfo.MIC | KeyInfo.SECURE | (pairwise ? KeyInfo.PAIRWISE : 0),
          replayCounter: rc,
        },
        key,
        null,
      );
    expect(w.ap.receive(STA, req(1n, true, new Uint8Array(16)))).toBe(false);
    expect(w.ap.counters.dropped['request-mic']).toBe(1);
    expect(w.ap.receive(STA, req(1n, true))).toBe(true);
    w.clock.runFor(1000);
    expect(pairwiseKeys(w.staKeys).length).toBe(2);
    expect(w.ap.receive(STA, req(1n, false))).toBe(false);
    expect(w.ap.counters.dropped['request-replay']).toBe(1);
    // The new PTK's KCK now protects requests.
    expect(
      w.ap.receive(
        STA,
        buildEapolKey(
          w.sta.params,
          { keyInfo: 2 | KeyInfo.REQUEST | KeyInfo.MIC | KeyInfo.SECURE, replayCounter: 2n },
          w.sta.currentPtk!.kck,
          null,
        ),
      ),
    ).toBe(true);
    w.clock.runFor(1000);
    expect(w.apEvents.at(-1)).toEqual({ type: 'group-rekeyed', keyIdx: 2 });
  });
});
