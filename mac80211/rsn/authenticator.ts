/**
 * The RSN authenticator for the simulated access point (802.11-2020 12.7.6, 12.7.7 and 12.7.10; hostapd's
 * src/ap/wpa_auth.c): per station the 4-way handshake (message 1 with the ANonce, message 2's MIC checked under
 * the PSK, message 3 with the GTK wrapped, message 4 → install) and the group key handshake; for the BSS the GTK,
 * its rekeying (on demand and periodic) and its installation once every station has it. A pure state machine
 * driven by the caller, with retransmissions on the injected Clock as hostapd's: first timeout 100 ms, then
 * 1,000 ms (500 ms for the first group message), at most 4 sends (dot11RSNAConfigPairwiseUpdateCount and
 * GroupUpdateCount), then deauthentication with reason 15 (or 16 for the group handshake).
 */
import type { Clock, Timer } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import { type DecodedEapolKey, decodeEapolKey, KeyDescriptorType, KeyInfo, verifyEapolKeyMic } from './eapol-key.ts';
import { gtkKde, igtkKde, parseKeyData } from './kde.ts';
import {
  buildEapolKey,
  bytesEqual,
  defaultRandom,
  type InstallKey,
  pnToRsc,
  type RandomSource,
  Reason,
} from './keys.ts';
import { derivePtk, type Ptk } from './ptk.ts';
import { type AkmParams, type AkmSuite, Cipher, type CipherSuite, cipherKeyLen, requireAkmParams } from './suites.ts';

const log = logger('rsn-auth');

export interface AuthenticatorConfig {
  clock: Clock;
  /** Our address (AA, the BSSID). */
  bssid: Uint8Array;
  /** The PSK (or per-station PMKs via pmkFor). */
  pmk: Uint8Array;
  /** A station's PMK when it differs from `pmk` (SAE): called at association. */
  pmkFor?: (addr: Uint8Array) => Uint8Array;
  akm: AkmSuite;
  pairwise: CipherSuite;
  group: CipherSuite;
  /** Group management cipher with management frame protection (an IGTK goes into messages 3 and group 1). */
  groupMgmt?: CipherSuite;
  /** Our RSN element as in Beacons: message 3 carries it. */
  rsne: Uint8Array;
  rsnxe?: Uint8Array;
  random?: RandomSource;
  /** Periodic GTK rekey interval (hostapd's wpa_group_rekey); 0 or absent: only on demand. */
  groupRekeyMs?: number;
  /** Periodic PTK rekey interval per station (wpa_ptk_rekey); 0 or absent: only on demand. */
  ptkRekeyMs?: number;
  eapolVersion?: number;
  /** Retransmission timeouts (ms) and send limits; hostapd's values by default. */
  firstTimeoutMs?: number;
  subsequentTimeoutMs?: number;
  firstGroupTimeoutMs?: number;
  pairwiseUpdateCount?: number;
  groupUpdateCount?: number;
  /** Last PN used with the current GTK (the Key RSC of messages 3); 0 when not given. */
  groupTxPn?: () => number;
  /** Send an EAPOL PDU to a station. */
  send(addr: Uint8Array, eapol: Uint8Array): void;
  setKey(key: InstallKey): void;
  deauthenticate(addr: Uint8Array, reason: number): void;
  onEvent?(e: AuthenticatorEvent): void;
}

export type AuthenticatorEvent =
  /** 4-way handshake complete: PTK installed, port authorized. */
  | { type: 'sta-authorized'; addr: Uint8Array; rekey: boolean }
  | { type: 'handshake-failed'; addr: Uint8Array; reason: 'timeout' | 'ie-mismatch'; m2MicFailures: number }
  | { type: 'group-handshake-failed'; addr: Uint8Array }
  /** A new GTK is in use for transmission (every station acknowledged it, or was dropped). */
  | { type: 'group-rekeyed'; keyIdx: number };

type PtkState = 'ptkstart' | 'ptkinitnegotiating' | 'ptkinitdone' | 'disconnected';

interface GroupKey {
  idx: number;
  key: Uint8Array;
  igtkIdx: number;
  igtk: Uint8Array | null;
}

export interface AuthenticatorCounters {
  rx: number;
  dropped: Record<string, number>;
  m1Sent: number;
  m3Sent: number;
  group1Sent: number;
  /** Messages 2 whose MIC did not verify: the station's passphrase is probably wrong. */
  m2MicFailures: number;
  handshakesCompleted: number;
  handshakesFailed: number;
  groupRekeys: number;
}

/** One associated station's handshake state (hostapd's struct wpa_state_machine). */
export class AuthenticatorSta {
  ptkState: PtkState = 'ptkstart';
  /** Group key handshake in progress for the pending GTK. */
  groupPending = false;
  m2MicFailures = 0;
  readonly addr: Uint8Array;
  readonly rsne: Uint8Array;
  readonly pmk: Uint8Array;
  /** The AKM's parameters for this station (the AKM it chose in its RSN element; the BSS's by default). */
  readonly params: AkmParams;
  /** Next Key Replay Counter is replayCounter + 1 (one counter for all EAPOL-Key frames to this station). */
  replayCounter = 0n;
  /** Replay counters of the 4-way messages sent and not yet answered (hostapd's key_replay[]). */
  outstanding: bigint[] = [];
  /** The same for group message 1. */
  groupOutstanding: bigint[] = [];
  anonce: Uint8Array = new Uint8Array(32);
  candidate: Ptk | null = null;
  ptk: Ptk | null = null;
  /** GTK (key index) sent in the last message 3 / group message 1. */
  gtkIdxSent = 0;
  gtkSent: Uint8Array | null = null;
  sends = 0;
  groupSends = 0;
  everAuthorized = false;
  lastRequest = -1n;
  readonly timer: Timer;
  readonly groupTimer: Timer;
  readonly rekeyTimer: Timer;

  constructor(
    auth: Authenticator,
    addr: Uint8Array,
    rsne: Uint8Array,
    pmk: Uint8Array,
    clock: Clock,
    params: AkmParams = auth.params,
  ) {
    this.addr = Uint8Array.from(addr);
    this.rsne = Uint8Array.from(rsne);
    this.pmk = pmk;
    this.params = params;
    this.timer = clock.timer(() => auth.pairwiseTimeout(this));
    this.groupTimer = clock.timer(() => auth.groupTimeout(this));
    this.rekeyTimer = clock.timer(() => auth.rekeyPtk(this.addr));
  }
}

const key = (addr: Uint8Array) => Buffer.from(addr).toString('hex');

export class Authenticator {
  readonly params: AkmParams;
  readonly counters: AuthenticatorCounters = {
    rx: 0,
    dropped: {},
    m1Sent: 0,
    m3Sent: 0,
    group1Sent: 0,
    m2MicFailures: 0,
    handshakesCompleted: 0,
    handshakesFailed: 0,
    groupRekeys: 0,
  };
  private readonly cfg: AuthenticatorConfig;
  private readonly random: RandomSource;
  private readonly stas = new Map<string, AuthenticatorSta>();
  /** The GTK in use for transmission. */
  private gtk: GroupKey;
  /** The GTK being distributed by a group rekey (null when none is in progress). */
  private pending: GroupKey | null = null;
  private readonly groupRekeyTimer: Timer;
  private started = false;

  constructor(cfg: AuthenticatorConfig) {
    this.cfg = cfg;
    this.params = requireAkmParams(cfg.akm, cfg.pairwise);
    if (cipherKeyLen(cfg.group) === 0) throw new Error('Authenticator: unsupported group cipher');
    this.random = cfg.random ?? defaultRandom;
    // hostapd's first GTK has key index 1 (GN = 1, GM = 2); the IGTK 4 (then 5).
    this.gtk = this.newGroupKey(1, 4);
    this.groupRekeyTimer = cfg.clock.timer(() => this.rekeyGroup());
  }

  private newGroupKey(idx: number, igtkIdx: number): GroupKey {
    const c = this.cfg;
    return {
      idx,
      key: this.random(cipherKeyLen(c.group)),
      igtkIdx,
      igtk: c.groupMgmt !== undefined ? this.random(cipherKeyLen(c.groupMgmt)) : null,
    };
  }

  /** Install the first GTK (and IGTK) for transmission and arm the periodic rekey. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.installGroup(this.gtk);
    if (this.cfg.groupRekeyMs) this.groupRekeyTimer.mod(this.cfg.groupRekeyMs);
  }

  /** Stop every timer (the AP goes down). */
  stop(): void {
    this.groupRekeyTimer.cancel();
    for (const s of this.stas.values()) this.cancelSta(s);
    this.started = false;
  }

  /** The GTK in use (tests, diagnostics). */
  get currentGtk(): { keyIdx: number; key: Uint8Array } {
    return { keyIdx: this.gtk.idx, key: this.gtk.key };
  }

  station(addr: Uint8Array): AuthenticatorSta | undefined {
    return this.stas.get(key(addr));
  }

  /**
   * A station associated with `rsne` in its (Re)Association Request: start its 4-way handshake (message 1 now).
   * A station that was already known starts over. `akm`: the AKM the station chose, when the BSS offers several
   * (PSK and PSK-SHA256, as hostapd's wpa_key_mgmt list); default the configured one.
   */
  addStation(addr: Uint8Array, rsne: Uint8Array, akm?: AkmSuite): AuthenticatorSta {
    this.start();
    const old = this.stas.get(key(addr));
    if (old) this.removeStation(addr);
    const pmk = this.cfg.pmkFor?.(addr) ?? this.cfg.pmk;
    const params = akm === undefined ? this.params : requireAkmParams(akm, this.cfg.pairwise);
    const sta = new AuthenticatorSta(this, addr, rsne, pmk, this.cfg.clock, params);
    this.stas.set(key(addr), sta);
    this.startPtk(sta);
    return sta;
  }

  /** A station left (deauthenticated, disassociated): forget it, and stop waiting for it in a group rekey. */
  removeStation(addr: Uint8Array): void {
    const sta = this.stas.get(key(addr));
    if (!sta) return;
    this.cancelSta(sta);
    sta.ptkState = 'disconnected';
    this.stas.delete(key(addr));
    this.maybeFinishGroupRekey();
  }

  private cancelSta(sta: AuthenticatorSta): void {
    sta.timer.cancel();
    sta.groupTimer.cancel();
    sta.rekeyTimer.cancel();
  }

  /** Start a PTK rekey with a station: a new 4-way handshake on the established association. */
  rekeyPtk(addr: Uint8Array): void {
    const sta = this.stas.get(key(addr));
    if (sta?.ptkState !== 'ptkinitdone') return;
    this.startPtk(sta);
  }

  private startPtk(sta: AuthenticatorSta): void {
    sta.anonce = this.random(32);
    sta.candidate = null;
    sta.ptkState = 'ptkstart';
    sta.sends = 0;
    sta.outstanding = [];
    this.sendM1(sta);
  }

  private nextCounter(sta: AuthenticatorSta): bigint {
    sta.replayCounter++;
    return sta.replayCounter;
  }

  private remember(list: bigint[], rc: bigint): void {
    list.push(rc);
    if (list.length > 8) list.shift();
  }

  private sendM1(sta: AuthenticatorSta): void {
    const rc = this.nextCounter(sta);
    this.remember(sta.outstanding, rc);
    const m1 = buildEapolKey(
      sta.params,
      {
        eapolVersion: this.cfg.eapolVersion ?? 2,
        keyInfo: sta.params.descriptorVersion | KeyInfo.PAIRWISE | KeyInfo.ACK,
        keyLength: cipherKeyLen(this.cfg.pairwise),
        replayCounter: rc,
        nonce: sta.anonce,
      },
      null,
      null,
    );
    this.armPairwise(sta);
    this.counters.m1Sent++;
    this.cfg.send(sta.addr, m1);
  }

  private armPairwise(sta: AuthenticatorSta): void {
    sta.sends++;
    const c = this.cfg;
    sta.timer.mod(sta.sends === 1 ? (c.firstTimeoutMs ?? 100) : (c.subsequentTimeoutMs ?? 1000));
  }

  /** @internal Retransmission timer of a station's 4-way handshake. */
  pairwiseTimeout(sta: AuthenticatorSta): void {
    if (sta.ptkState !== 'ptkstart' && sta.ptkState !== 'ptkinitnegotiating') return;
    if (sta.sends >= (this.cfg.pairwiseUpdateCount ?? 4)) {
      log('4-way handshake with %s timed out (%d MIC failures)', key(sta.addr), sta.m2MicFailures);
      this.failSta(sta, Reason.FOURWAY_HANDSHAKE_TIMEOUT, 'timeout');
      return;
    }
    if (sta.ptkState === 'ptkstart') this.sendM1(sta);
    else this.sendM3(sta);
  }

  private failSta(sta: AuthenticatorSta, reason: number, why: 'timeout' | 'ie-mismatch'): void {
    this.counters.handshakesFailed++;
    const addr = sta.addr;
    const m2MicFailures = sta.m2MicFailures;
    this.removeStation(addr);
    this.cfg.deauthenticate(addr, reason);
    this.cfg.onEvent?.({ type: 'handshake-failed', addr, reason: why, m2MicFailures });
  }

  private drop(reason: string): false {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    log('drop EAPOL-Key: %s', reason);
    return false;
  }

  /** An EAPOL PDU from station `addr`; false when it was dropped (counted by reason, never thrown). */
  receive(addr: Uint8Array, eapol: Uint8Array): boolean {
    this.counters.rx++;
    const sta = this.stas.get(key(addr));
    if (!sta) return this.drop('unknown-sta');
    const d = decodeEapolKey(eapol, sta.params.micLen);
    if (!d.ok) return this.drop(d.reason);
    const k = d.value;
    const ki = k.keyInfo;
    if (k.descriptorType !== KeyDescriptorType.RSN) return this.drop('not-rsn-descriptor');
    if ((ki & KeyInfo.VERSION_MASK) !== sta.params.descriptorVersion) return this.drop('descriptor-version');
    if (!(ki & KeyInfo.MIC) || ki & KeyInfo.ACK) return this.drop('bad-key-info');
    if (ki & KeyInfo.REQUEST) return this.onRequest(sta, k);
    // Only answers to a message still outstanding (a duplicate or a stale answer is a replay).
    const pairwise = (ki & KeyInfo.PAIRWISE) !== 0;
    if (!(pairwise ? sta.outstanding : sta.groupOutstanding).includes(k.replayCounter)) {
      return this.drop('replay-counter');
    }
    if (!pairwise) return this.onGroupM2(sta, k);
    return k.keyData.length === 0 ? this.onM4(sta, k) : this.onM2(sta, k);
  }

  private onM2(sta: AuthenticatorSta, k: DecodedEapolKey): boolean {
    if (sta.ptkState !== 'ptkstart') return this.drop('m2-unexpected');
    const ptk = derivePtk({
      pmk: sta.pmk,
      aa: this.cfg.bssid,
      spa: sta.addr,
      anonce: sta.anonce,
      snonce: k.nonce,
      params: sta.params,
      pairwise: this.cfg.pairwise,
    });
    if (!verifyEapolKeyMic(k.pdu, sta.params.mic, ptk.kck, sta.params.micLen)) {
      // Silently dropped, as hostapd: the retransmission timer resends message 1 and finally gives up.
      sta.m2MicFailures++;
      this.counters.m2MicFailures++;
      return this.drop('m2-mic');
    }
    const kd = parseKeyData(k.keyData);
    if (!kd.ok || kd.value.rsne.length === 0 || !bytesEqual(kd.value.rsne[0], sta.rsne)) {
      log('RSN element in message 2 from %s differs from its association request', key(sta.addr));
      this.failSta(sta, Reason.IE_IN_4WAY_DIFFERS, 'ie-mismatch');
      return false;
    }
    sta.candidate = ptk;
    sta.outstanding = [];
    sta.ptkState = 'ptkinitnegotiating';
    sta.sends = 0;
    this.sendM3(sta);
    return true;
  }

  /** The GTK a station should get now: the one being distributed if a rekey is in progress. */
  private newestGroup(): GroupKey {
    return this.pending ?? this.gtk;
  }

  private groupKeyData(g: GroupKey): Buffer {
    const parts = [gtkKde({ keyId: g.idx, tx: false, key: g.key })];
    if (g.igtk) parts.push(igtkKde({ keyId: g.igtkIdx, pn: new Uint8Array(6), key: g.igtk }));
    return Buffer.concat(parts);
  }

  private sendM3(sta: AuthenticatorSta): void {
    const c = this.cfg;
    const ptk = sta.candidate!;
    const g = this.newestGroup();
    const rc = this.nextCounter(sta);
    this.remember(sta.outstanding, rc);
    const ies = c.rsnxe ? [c.rsne, c.rsnxe] : [c.rsne];
    const rsc = g === this.gtk ? (c.groupTxPn?.() ?? 0) : 0;
    const m3 = buildEapolKey(
      sta.params,
      {
        eapolVersion: c.eapolVersion ?? 2,
        keyInfo:
          sta.params.descriptorVersion |
          KeyInfo.PAIRWISE |
          KeyInfo.INSTALL |
          KeyInfo.ACK |
          KeyInfo.MIC |
          KeyInfo.SECURE |
          KeyInfo.ENCRYPTED_KEY_DATA,
        keyLength: cipherKeyLen(c.pairwise),
        replayCounter: rc,
        nonce: sta.anonce,
        rsc: pnToRsc(rsc),
        keyData: Buffer.concat([...ies, this.groupKeyData(g)]),
      },
      ptk.kck,
      ptk.kek,
    );
    sta.gtkIdxSent = g.idx;
    sta.gtkSent = g.key;
    this.armPairwise(sta);
    this.counters.m3Sent++;
    c.send(sta.addr, m3);
  }

  private onM4(sta: AuthenticatorSta, k: DecodedEapolKey): boolean {
    if (sta.ptkState !== 'ptkinitnegotiating' || sta.candidate === null) return this.drop('m4-unexpected');
    if (!verifyEapolKeyMic(k.pdu, sta.params.mic, sta.candidate.kck, sta.params.micLen)) return this.drop('m4-mic');
    sta.timer.cancel();
    sta.outstanding = [];
    sta.ptk = sta.candidate;
    sta.candidate = null;
    sta.ptkState = 'ptkinitdone';
    const rekey = sta.everAuthorized;
    sta.everAuthorized = true;
    this.counters.handshakesCompleted++;
    this.cfg.setKey({
      kind: 'pairwise',
      cipher: this.cfg.pairwise,
      keyIdx: 0,
      key: sta.ptk.tk,
      rsc: 0,
      addr: sta.addr,
    });
    this.cfg.onEvent?.({ type: 'sta-authorized', addr: sta.addr, rekey });
    if (this.cfg.ptkRekeyMs) sta.rekeyTimer.mod(this.cfg.ptkRekeyMs);
    // A group rekey started after this station's message 3 went out: it still needs the new GTK.
    if (this.pending && !bytesEqual(sta.gtkSent ?? undefined, this.pending.key)) this.startGroup(sta);
    else this.maybeFinishGroupRekey();
    return true;
  }

  /** EAPOL-Key requests from a station (802.11-2020 12.7.8): a PTK or GTK rekey, under a valid MIC. */
  private onRequest(sta: AuthenticatorSta, k: DecodedEapolKey): boolean {
    const ptk = sta.ptk;
    if (ptk === null || sta.ptkState !== 'ptkinitdone') return this.drop('request-before-ptk');
    if (k.replayCounter <= sta.lastRequest) return this.drop('request-replay');
    if (!verifyEapolKeyMic(k.pdu, sta.params.mic, ptk.kck, sta.params.micLen)) return this.drop('request-mic');
    sta.lastRequest = k.replayCounter;
    if (k.keyInfo & KeyInfo.ERROR) return this.drop('michael-report'); // TKIP countermeasures: not applicable
    if (k.keyInfo & KeyInfo.PAIRWISE) this.rekeyPtk(sta.addr);
    else this.rekeyGroup();
    return true;
  }

  // --- group key handshake -------------------------------------------------------------------------------------

  /** Start a GTK rekey now (also the periodic timer's action). Ignored while one is in progress. */
  rekeyGroup(): void {
    if (this.pending) return;
    const nextIdx = this.gtk.idx === 1 ? 2 : 1;
    const nextIgtkIdx = this.gtk.igtkIdx === 4 ? 5 : 4;
    this.pending = this.newGroupKey(nextIdx, nextIgtkIdx);
    log('group rekey to key index %d', nextIdx);
    for (const sta of this.stas.values()) {
      if (sta.ptkState === 'ptkinitdone') this.startGroup(sta);
    }
    this.maybeFinishGroupRekey();
  }

  private startGroup(sta: AuthenticatorSta): void {
    sta.groupPending = true;
    sta.groupSends = 0;
    sta.groupOutstanding = [];
    this.sendGroupM1(sta);
  }

  private sendGroupM1(sta: AuthenticatorSta): void {
    const c = this.cfg;
    const g = this.pending!;
    const ptk = sta.ptk!;
    const rc = this.nextCounter(sta);
    this.remember(sta.groupOutstanding, rc);
    const m1 = buildEapolKey(
      sta.params,
      {
        eapolVersion: c.eapolVersion ?? 2,
        keyInfo: sta.params.descriptorVersion | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA,
        replayCounter: rc,
        rsc: pnToRsc(0),
        keyData: this.groupKeyData(g),
      },
      ptk.kck,
      ptk.kek,
    );
    sta.gtkIdxSent = g.idx;
    sta.gtkSent = g.key;
    sta.groupSends++;
    sta.groupTimer.mod(sta.groupSends === 1 ? (c.firstGroupTimeoutMs ?? 500) : (c.subsequentTimeoutMs ?? 1000));
    this.counters.group1Sent++;
    c.send(sta.addr, m1);
  }

  /** @internal Retransmission timer of a station's group key handshake. */
  groupTimeout(sta: AuthenticatorSta): void {
    if (!sta.groupPending || !this.pending) return;
    if (sta.groupSends >= (this.cfg.groupUpdateCount ?? 4)) {
      const addr = sta.addr;
      this.removeStation(addr);
      this.cfg.deauthenticate(addr, Reason.GROUP_KEY_UPDATE_TIMEOUT);
      this.cfg.onEvent?.({ type: 'group-handshake-failed', addr });
      return;
    }
    this.sendGroupM1(sta);
  }

  private onGroupM2(sta: AuthenticatorSta, k: DecodedEapolKey): boolean {
    const ptk = sta.ptk;
    if (!sta.groupPending || ptk === null) return this.drop('group2-unexpected');
    if (!verifyEapolKeyMic(k.pdu, sta.params.mic, ptk.kck, sta.params.micLen)) return this.drop('group2-mic');
    sta.groupTimer.cancel();
    sta.groupPending = false;
    sta.groupOutstanding = [];
    this.maybeFinishGroupRekey();
    return true;
  }

  private maybeFinishGroupRekey(): void {
    const g = this.pending;
    if (!g) return;
    for (const s of this.stas.values()) {
      if (s.groupPending) return;
      // A station between messages 1 and 4 waits for its handshake to end (it gets the new GTK either way).
      if (s.ptkState === 'ptkinitnegotiating' && s.gtkSent !== g.key) return;
    }
    this.pending = null;
    this.gtk = g;
    this.counters.groupRekeys++;
    this.installGroup(g);
    this.cfg.onEvent?.({ type: 'group-rekeyed', keyIdx: g.idx });
    if (this.cfg.groupRekeyMs) this.groupRekeyTimer.mod(this.cfg.groupRekeyMs);
  }

  private installGroup(g: GroupKey): void {
    const c = this.cfg;
    c.setKey({ kind: 'group', cipher: c.group, keyIdx: g.idx, key: g.key, rsc: 0, tx: true });
    if (g.igtk) {
      c.setKey({
        kind: 'igtk',
        cipher: c.groupMgmt ?? Cipher.AES_CMAC,
        keyIdx: g.igtkIdx,
        key: g.igtk,
        rsc: 0,
        tx: true,
      });
    }
  }
}
