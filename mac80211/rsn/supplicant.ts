/**
 * The RSN supplicant (802.11-2020 12.7.6 and 12.7.7; wpa_supplicant's rsn_supp/wpa.c): the 4-way handshake,
 * the group key handshake, PTK rekeying and the KRACK defences, as a pure state machine. The caller feeds it EAPOL
 * frames from the AP and disconnect events; it answers through callbacks (send an EAPOL frame, install a key,
 * deauthenticate) and reports events. Time comes from the injected Clock (one timer: the handshake timeout).
 *
 * Ordering contract with the caller: message 4 (and group message 2) is handed to `send` before the keys it
 * confirms are handed to `setKey`, so a synchronous transmit path sends it under the old key (or in the clear on
 * the first handshake), as 802.11 requires.
 *
 * Wrong passphrase. A station cannot see the AP's MIC check fail: with a wrong PSK the AP silently drops message 2,
 * retransmits message 1 (same ANonce, higher replay counter) and finally deauthenticates (hostapd: reason 15 after
 * 4 messages 1; other APs use 2 or 23). The rule, as wpa_supplicant's could_be_psk_mismatch(): during the first
 * 4-way handshake of an association with a PSK-based AKM, once a message 2 was sent and no valid message 3 came
 * back, a disconnection (any reason from the AP; a local one except reason 17) or the handshake timeout is reported
 * as 'wrong-passphrase'. The failure carries the evidence (messages 2 sent, messages 1 retransmitted, reason).
 */
import type { Clock, Timer } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import { rsnCodec, rsnWithDefaults } from '../elements/rsn.ts';
import { type DecodedEapolKey, decodeEapolKey, KeyDescriptorType, KeyInfo, verifyEapolKeyMic } from './eapol-key.ts';
import { type KeyData, parseKeyData } from './kde.ts';
import {
  buildEapolKey,
  bytesEqual,
  defaultRandom,
  type InstallKey,
  type RandomSource,
  Reason,
  rscToPn,
  unwrapKeyData,
} from './keys.ts';
import { derivePtk, type Ptk } from './ptk.ts';
import { type AkmParams, type AkmSuite, Cipher, type CipherSuite, cipherKeyLen, requireAkmParams } from './suites.ts';

const log = logger('rsn');

export interface SupplicantConfig {
  clock: Clock;
  /** PMK: the PSK from passphraseToPsk(), or SAE's PMK. */
  pmk: Uint8Array;
  /** Our MAC address (SPA). */
  ownAddr: Uint8Array;
  /** The AP's address (AA, the BSSID). */
  bssid: Uint8Array;
  akm: AkmSuite;
  pairwise: CipherSuite;
  group: CipherSuite;
  /** Group management cipher when management frame protection is on (an IGTK is then required in message 3). */
  groupMgmt?: CipherSuite;
  /** The RSN element we sent in the (Re)Association Request: goes into message 2. */
  ownRsne: Uint8Array;
  /** The AP's RSN element from its Beacon/Probe Response: message 3 must carry the same. */
  apRsne: Uint8Array;
  /** The AP's RSNXE from its Beacon/Probe Response, if any: message 3 must carry the same. */
  apRsnxe?: Uint8Array;
  /** Our RSNXE from the (Re)Association Request, if any: goes into message 2. */
  ownRsnxe?: Uint8Array;
  /** Give up on a handshake that has not completed this long after start() (default 10 s, wpa_supplicant's). */
  handshakeTimeoutMs?: number;
  random?: RandomSource;
  /** Send an EAPOL PDU to the AP (EtherType 0x888e). */
  send(eapol: Uint8Array): void;
  setKey(key: InstallKey): void;
  /** Ask the MLME to deauthenticate with this reason (the handshake failed on our side). */
  deauthenticate(reason: number): void;
  onEvent?(e: SupplicantEvent): void;
}

export type SupplicantFailureReason =
  /** Message 2 sent, no valid message 3, then a disconnection or timeout: the PSK is probably wrong. */
  | 'wrong-passphrase'
  /** No message 1 within the handshake timeout. */
  | 'timeout'
  /** The RSN element (or RSNXE, or cipher choice) in message 3 differs from the Beacon's: reason 17. */
  | 'ie-mismatch'
  /** The AP disconnected outside the situation above. */
  | 'disconnected';

export type SupplicantEvent =
  | { type: 'ptk-installed'; rekey: boolean }
  | { type: 'gtk-installed'; keyIdx: number; rekey: boolean }
  | { type: 'igtk-installed'; keyIdx: number }
  /** The 4-way handshake completed: the port is authorized (CTRL-EVENT-CONNECTED). */
  | { type: 'connected' }
  | {
      type: 'failed';
      reason: SupplicantFailureReason;
      /** 802.11 reason code of the disconnection, when there was one. */
      reasonCode?: number;
      locallyGenerated?: boolean;
      m2Sent: number;
      m1Retransmissions: number;
    };

export type SupplicantState = 'idle' | 'associated' | '4way' | 'completed' | 'failed';

export interface SupplicantCounters {
  rx: number;
  dropped: Record<string, number>;
  m1: number;
  /** Messages 1 received for a handshake whose message 2 we already sent (the AP did not take our message 2). */
  m1Retransmissions: number;
  m2Sent: number;
  m3: number;
  /** Valid messages 3 after the PTK of that handshake was installed: answered, keys not reinstalled. */
  m3Retransmissions: number;
  m4Sent: number;
  group1: number;
  group2Sent: number;
  micFailures: number;
  replays: number;
  ptkInstalls: number;
  ptkReinstallsAvoided: number;
  gtkInstalls: number;
  gtkReinstallsAvoided: number;
}

interface Tptk {
  anonce: Uint8Array;
  snonce: Uint8Array;
  ptk: Ptk;
}

export class Supplicant {
  state: SupplicantState = 'idle';
  readonly counters: SupplicantCounters = {
    rx: 0,
    dropped: {},
    m1: 0,
    m1Retransmissions: 0,
    m2Sent: 0,
    m3: 0,
    m3Retransmissions: 0,
    m4Sent: 0,
    group1: 0,
    group2Sent: 0,
    micFailures: 0,
    replays: 0,
    ptkInstalls: 0,
    ptkReinstallsAvoided: 0,
    gtkInstalls: 0,
    gtkReinstallsAvoided: 0,
  };
  readonly params: AkmParams;
  private readonly cfg: SupplicantConfig;
  private readonly random: RandomSource;
  private readonly timer: Timer;
  /** Highest replay counter of a frame whose MIC verified (802.11 12.7.2: later frames must be larger). */
  private rxReplay = -1n;
  private snonce: Uint8Array | null = null;
  private tptk: Tptk | null = null;
  /** The PTK in use (installed). */
  private ptk: Ptk | null = null;
  private installedTk: Uint8Array | null = null;
  private readonly installedGtk = new Map<number, Uint8Array>();
  private readonly installedIgtk = new Map<number, Uint8Array>();
  /** Set once the first 4-way handshake completed (later ones are rekeys). */
  private everCompleted = false;
  /** Per handshake attempt: messages 2 sent and messages 1 seen after the first of them. */
  private attemptM2 = 0;
  private attemptM1Retx = 0;

  constructor(cfg: SupplicantConfig) {
    this.cfg = cfg;
    this.params = requireAkmParams(cfg.akm, cfg.pairwise);
    this.random = cfg.random ?? defaultRandom;
    this.timer = cfg.clock.timer(() => this.onTimeout());
  }

  /** Association done: wait for message 1. Arms the handshake timeout. */
  start(): void {
    this.state = 'associated';
    this.timer.mod(this.cfg.handshakeTimeoutMs ?? 10_000);
  }

  /** Stop timers (association ended or the object is dropped). */
  stop(): void {
    this.timer.cancel();
  }

  /** The PTK in use (tests and diagnostics). */
  get currentPtk(): Ptk | null {
    return this.ptk;
  }

  /**
   * The association ended (deauthentication or disassociation, from the AP or local). Returns how the failure is
   * classified (also reported as an event when the handshake had not completed), or null after a completed one.
   */
  disconnected(reasonCode: number, locallyGenerated = false): SupplicantFailureReason | null {
    this.timer.cancel();
    if (this.state === 'failed') return null;
    const wasCompleted = this.everCompleted;
    let reason: SupplicantFailureReason | null = null;
    if (!wasCompleted) {
      reason = this.couldBePskMismatch(reasonCode) ? 'wrong-passphrase' : 'disconnected';
      this.fail(reason, reasonCode, locallyGenerated);
    } else {
      this.state = 'idle';
    }
    return reason;
  }

  /**
   * wpa_supplicant's could_be_psk_mismatch(), with the evidence that a message 2 actually went out. Reason 17
   * never counts (wpa_supplicant excludes only the local one; an AP that says 17 verified our MIC first).
   */
  private couldBePskMismatch(reasonCode: number): boolean {
    if (!this.params.psk || this.everCompleted || this.attemptM2 === 0) return false;
    return reasonCode !== Reason.IE_IN_4WAY_DIFFERS;
  }

  private onTimeout(): void {
    if (this.state === 'completed' || this.state === 'failed') return;
    const reason: SupplicantFailureReason = this.attemptM2 > 0 && this.params.psk ? 'wrong-passphrase' : 'timeout';
    log('handshake timeout (%s): %d message 2 sent', reason, this.attemptM2);
    // GUESS: reason 15 for our own timeout (wpa_supplicant deauthenticates with 3 after its authentication timeout).
    this.cfg.deauthenticate(Reason.FOURWAY_HANDSHAKE_TIMEOUT);
    this.fail(reason, Reason.FOURWAY_HANDSHAKE_TIMEOUT, true);
  }

  private fail(reason: SupplicantFailureReason, reasonCode?: number, locallyGenerated?: boolean): void {
    this.timer.cancel();
    this.state = 'failed';
    this.cfg.onEvent?.({
      type: 'failed',
      reason,
      reasonCode,
      locallyGenerated,
      m2Sent: this.attemptM2,
      m1Retransmissions: this.attemptM1Retx,
    });
  }

  private drop(reason: string): false {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    log('drop EAPOL-Key: %s', reason);
    return false;
  }

  /** An EAPOL PDU from the AP; false when it was dropped (counted by reason, never thrown). */
  receive(eapol: Uint8Array): boolean {
    this.counters.rx++;
    if (this.state === 'idle' || this.state === 'failed') return this.drop('not-associated');
    const d = decodeEapolKey(eapol, this.params.micLen);
    if (!d.ok) return this.drop(d.reason);
    const k = d.value;
    if (k.descriptorType !== KeyDescriptorType.RSN) return this.drop('not-rsn-descriptor');
    const ki = k.keyInfo;
    if ((ki & KeyInfo.VERSION_MASK) !== this.params.descriptorVersion) return this.drop('descriptor-version');
    if (ki & (KeyInfo.REQUEST | KeyInfo.ERROR | KeyInfo.SMK_MESSAGE)) return this.drop('unexpected-bits');
    if (!(ki & KeyInfo.ACK)) return this.drop('no-ack');
    if (this.rxReplay >= 0n && k.replayCounter <= this.rxReplay) {
      this.counters.replays++;
      return this.drop('replay');
    }
    if (!(ki & KeyInfo.PAIRWISE)) return this.onGroupMessage1(k);
    if (ki & KeyInfo.MIC) return this.onMessage3(k);
    this.onMessage1(k);
    return true;
  }

  private onMessage1(k: DecodedEapolKey): void {
    this.counters.m1++;
    const c = this.cfg;
    if (this.tptk && bytesEqual(this.tptk.anonce, k.nonce) && this.attemptM2 > 0 && this.state === '4way') {
      // The AP retransmits message 1: it did not accept our message 2 (lost, or a MIC it could not verify).
      this.counters.m1Retransmissions++;
      this.attemptM1Retx++;
    } else if (this.state === '4way' && this.attemptM2 > 0) {
      // A new ANonce while we wait for message 3: the AP restarted the handshake (counts the same way).
      this.attemptM1Retx++;
    }
    if (this.state === 'completed') {
      // PTK rekey: a new handshake on the established association.
      this.attemptM2 = 0;
      this.attemptM1Retx = 0;
    }
    // One SNonce per handshake attempt: renewed after a handshake completes (wpa_supplicant's renew_snonce).
    this.snonce ??= this.random(32);
    const ptk = derivePtk({
      pmk: c.pmk,
      aa: c.bssid,
      spa: c.ownAddr,
      anonce: k.nonce,
      snonce: this.snonce,
      params: this.params,
      pairwise: c.pairwise,
    });
    this.tptk = { anonce: Uint8Array.from(k.nonce), snonce: this.snonce, ptk };
    const keyData = c.ownRsnxe ? Buffer.concat([c.ownRsne, c.ownRsnxe]) : c.ownRsne;
    const m2 = buildEapolKey(
      this.params,
      {
        eapolVersion: k.eapolVersion,
        keyInfo: this.params.descriptorVersion | KeyInfo.PAIRWISE | KeyInfo.MIC,
        replayCounter: k.replayCounter,
        nonce: this.snonce,
        keyData,
      },
      ptk.kck,
      null,
    );
    if (this.state !== 'completed') this.state = '4way';
    this.counters.m2Sent++;
    this.attemptM2++;
    c.send(m2);
  }

  private onMessage3(k: DecodedEapolKey): boolean {
    this.counters.m3++;
    const c = this.cfg;
    const t = this.tptk;
    if (t === null) return this.drop('m3-without-m1');
    if (!bytesEqual(t.anonce, k.nonce)) return this.drop('anonce-mismatch');
    const ki = k.keyInfo;
    if (!(ki & KeyInfo.INSTALL) || !(ki & KeyInfo.SECURE) || !(ki & KeyInfo.ENCRYPTED_KEY_DATA)) {
      return this.drop('m3-bad-key-info');
    }
    if (!verifyEapolKeyMic(k.pdu, this.params.mic, t.ptk.kck, this.params.micLen)) {
      this.counters.micFailures++;
      return this.drop('mic');
    }
    this.rxReplay = k.replayCounter;
    const plain = unwrapKeyData(t.ptk.kek, k.keyData);
    if (plain === null) return this.drop('key-data-unwrap');
    const p = parseKeyData(plain);
    if (!p.ok) return this.drop(p.reason);
    const kd = p.value;
    if (!this.checkIes(kd)) {
      log('RSN element in message 3 differs from the Beacon/Probe Response');
      c.deauthenticate(Reason.IE_IN_4WAY_DIFFERS);
      this.fail('ie-mismatch', Reason.IE_IN_4WAY_DIFFERS, true);
      return false;
    }
    const groupLen = cipherKeyLen(c.group);
    if (c.group !== Cipher.NO_GROUP_ADDRESSED && (!kd.gtk || kd.gtk.key.length !== groupLen)) {
      return this.drop('m3-no-gtk');
    }
    if (kd.gtk && kd.gtk.keyId === 0) return this.drop('gtk-key-id-0');
    if (c.groupMgmt !== undefined && (!kd.igtk || kd.igtk.key.length !== cipherKeyLen(c.groupMgmt))) {
      return this.drop('m3-no-igtk');
    }

    // Message 4 first (under the old key, or in the clear on the first handshake), then install.
    const m4 = buildEapolKey(
      this.params,
      {
        eapolVersion: k.eapolVersion,
        keyInfo: this.params.descriptorVersion | KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE,
        replayCounter: k.replayCounter,
      },
      t.ptk.kck,
      null,
    );
    this.counters.m4Sent++;
    c.send(m4);

    const rekey = this.everCompleted;
    if (this.installedTk !== null && bytesEqual(this.installedTk, t.ptk.tk)) {
      // KRACK defence: a retransmitted message 3 of the handshake whose PTK is in use is acknowledged (message 4
      // above) but the key is not installed again (that would reset its PN and replay counters).
      this.counters.m3Retransmissions++;
      this.counters.ptkReinstallsAvoided++;
    } else {
      this.ptk = t.ptk;
      this.installedTk = Uint8Array.from(t.ptk.tk);
      this.counters.ptkInstalls++;
      c.setKey({ kind: 'pairwise', cipher: c.pairwise, keyIdx: 0, key: t.ptk.tk, rsc: 0, addr: c.bssid });
      c.onEvent?.({ type: 'ptk-installed', rekey });
      // The next handshake on this association uses a fresh SNonce.
      this.snonce = null;
    }
    if (kd.gtk) this.installGtk(kd.gtk.keyId, kd.gtk.key, rscToPn(k.rsc), rekey);
    if (kd.igtk) this.installIgtk(kd.igtk.keyId, kd.igtk.key, rscToPn(kd.igtk.pn));

    this.timer.cancel();
    this.state = 'completed';
    if (!this.everCompleted) {
      this.everCompleted = true;
      c.onEvent?.({ type: 'connected' });
    }
    return true;
  }

  /** Message 3 must carry the Beacon's RSN element (and RSNXE), and a second RSNE may only confirm our cipher. */
  private checkIes(kd: KeyData): boolean {
    const c = this.cfg;
    if (kd.rsne.length === 0 || !bytesEqual(kd.rsne[0], c.apRsne)) return false;
    if (kd.rsne.length > 1) {
      const second = kd.rsne[1]!;
      const r = rsnCodec.decode(second.subarray(2));
      const suites = r.ok ? rsnWithDefaults(r.value).pairwiseCiphers : [];
      if (suites.length !== 1 || suites[0] !== c.pairwise) return false;
    }
    if (c.apRsnxe !== undefined && !bytesEqual(kd.rsnxe, c.apRsnxe)) return false;
    return true;
  }

  private installGtk(keyIdx: number, key: Uint8Array, rsc: number, rekey: boolean): void {
    const c = this.cfg;
    if (bytesEqual(this.installedGtk.get(keyIdx), key)) {
      // KRACK defence for group keys: the same GTK is never installed twice (its replay counter would reset).
      this.counters.gtkReinstallsAvoided++;
      return;
    }
    this.installedGtk.set(keyIdx, Uint8Array.from(key));
    this.counters.gtkInstalls++;
    c.setKey({ kind: 'group', cipher: c.group, keyIdx, key, rsc });
    c.onEvent?.({ type: 'gtk-installed', keyIdx, rekey });
  }

  private installIgtk(keyIdx: number, key: Uint8Array, ipn: number): void {
    const c = this.cfg;
    if (bytesEqual(this.installedIgtk.get(keyIdx), key)) return;
    this.installedIgtk.set(keyIdx, Uint8Array.from(key));
    c.setKey({ kind: 'igtk', cipher: c.groupMgmt ?? Cipher.AES_CMAC, keyIdx, key, rsc: ipn });
    c.onEvent?.({ type: 'igtk-installed', keyIdx });
  }

  private onGroupMessage1(k: DecodedEapolKey): boolean {
    this.counters.group1++;
    const c = this.cfg;
    const ptk = this.ptk;
    if (ptk === null || this.state !== 'completed') return this.drop('group-before-ptk');
    const ki = k.keyInfo;
    if (!(ki & KeyInfo.MIC) || !(ki & KeyInfo.SECURE) || !(ki & KeyInfo.ENCRYPTED_KEY_DATA)) {
      return this.drop('group-bad-key-info');
    }
    if (!verifyEapolKeyMic(k.pdu, this.params.mic, ptk.kck, this.params.micLen)) {
      this.counters.micFailures++;
      return this.drop('mic');
    }
    this.rxReplay = k.replayCounter;
    const plain = unwrapKeyData(ptk.kek, k.keyData);
    if (plain === null) return this.drop('key-data-unwrap');
    const p = parseKeyData(plain);
    if (!p.ok) return this.drop(p.reason);
    const gtk = p.value.gtk;
    if (!gtk || gtk.key.length !== cipherKeyLen(c.group) || gtk.keyId === 0) return this.drop('group-no-gtk');
    this.installGtk(gtk.keyId, gtk.key, rscToPn(k.rsc), true);
    const igtk = p.value.igtk;
    if (igtk && c.groupMgmt !== undefined) this.installIgtk(igtk.keyId, igtk.key, rscToPn(igtk.pn));
    const m2 = buildEapolKey(
      this.params,
      {
        eapolVersion: k.eapolVersion,
        keyInfo: this.params.descriptorVersion | KeyInfo.MIC | KeyInfo.SECURE,
        replayCounter: k.replayCounter,
      },
      ptk.kck,
      null,
    );
    this.counters.group2Sent++;
    c.send(m2);
    return true;
  }
}
