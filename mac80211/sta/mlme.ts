/**
 * The station MLME (Linux's net/mac80211/mlme.c with the parts of wpa_supplicant's SME and event loop a client
 * needs): scan for the configured network, pick the best BSS, open-system authentication and association with
 * retries and timeouts, the peer's state through the driver (NONE → AUTH → ASSOC → AUTHORIZED), the BSS
 * configuration (bss_info_changed), the 4-way handshake through the RSN supplicant with keys installed by
 * mac80211 (in hardware when the driver takes them), the controlled port opened when it completes; disconnection
 * (ours, with reason 3), deauthentication/disassociation by the AP with its reason code, beacon loss and the
 * driver's connection loss, and reconnection with back-off. A wrong passphrase is recognised by the supplicant's
 * rule and reported as wpa_supplicant does (CTRL-EVENT-SSID-TEMP-DISABLED reason=WRONG_KEY).
 *
 * Everything it reports is a typed event ('event') and a wpa_supplicant text line ('line', and `lines`).
 */
import { logger } from '../../netstack/core/log.ts';
import type { SkBuff } from '../../netstack/core/skb.ts';
import type { Clock, Timer } from '../../netstack/core/clock.ts';
import { macEqual, macEquals, macToString } from '../addr.ts';
import { type Ac, type BssChanged, type RxStatus, StaState, type TxQueueParams, type TxStatus } from '../driver-ops.ts';
import { EID, EID_EXT, MS_OUI_TYPE_WMM, OUI_MICROSOFT } from '../elements/ids.ts';
import type { Elements } from '../elements/elements.ts';
import { AUTH_ALG, CAPAB } from '../frame/mgmt.ts';
import { buildAssocReq, buildAuth, buildData, buildDeauth, elementsOf } from '../frame/build.ts';
import { decodeFrame, type MgmtFrame } from '../frame/frame.ts';
import type { Ieee80211SubIf, MlmeHandler, RsnHandler } from '../iface.ts';
import type { Ieee80211Local } from '../local.ts';
import { parseWmmParams } from '../mlme/caps.ts';
import { ReasonCode, Status } from '../mlme/codes.ts';
import { EventReporter } from '../mlme/reporter.ts';
import { chandef20, hwChannel, sendFrame } from '../mlme/tx.ts';
import type { RandomSource } from '../rsn/keys.ts';
import { Supplicant, type SupplicantEvent } from '../rsn/supplicant.ts';
import type { StaInfo } from '../sta-info.ts';
import { type BssEntry, BssTable } from './bss.ts';
import { ConnectionMonitor } from './conn-monitor.ts';
import { formatEvent, type StaEvent, type TempDisableReason, tempDisableSeconds, type WpaState } from './events.ts';
import {
  assocRequestIes,
  candidates,
  chooseRsn,
  makeNetwork,
  type Network,
  type NetworkConfig,
  type RsnChoice,
} from './network.ts';
import { bssFromSkb, type ScanOptions, Scanner } from './scan.ts';
import { akmName, cipherSuiteName, keyMgmtName } from './security.ts';
import {
  type Attempt,
  ConnectError,
  type LinkInfo,
  type PendingConnect,
  type StationCounters,
  WrongPassphraseError,
  zeroStationCounters,
} from './types.ts';

export { ConnectError, type LinkInfo, type StationCounters, WrongPassphraseError } from './types.ts';

const log = logger('mlme');

/** Linux's IEEE80211_AUTH_TIMEOUT_LONG / _SHORT and IEEE80211_AUTH_MAX_TRIES (the same values for association). */
export const AUTH_TIMEOUT_LONG_MS = 500;
export const AUTH_TIMEOUT_SHORT_MS = 100;
export const AUTH_MAX_TRIES = 3;
/** Listen interval we announce (beacon intervals). */
const LISTEN_INTERVAL = 5;
/** Scan results older than this are not joined without a new scan (wpa_supplicant's scan_res_valid_for_connect). */
const SCAN_RESULTS_VALID_MS = 5_000;
/** Duration asked of mgd_prepare_tx (mt76's default for an unspecified duration: one second). */
const PREPARE_TX_MS = 1_000;

export interface StationOptions {
  local: Ieee80211Local;
  /** The station interface (from local.addInterface('station')). */
  sdata: Ieee80211SubIf;
  /** Randomness for the handshake's SNonce (default node's CSPRNG; a seeded Prng's bytes in simulations). */
  random?: RandomSource;
  /** Reconnect after a disconnection we did not ask for (default true). */
  autoReconnect?: boolean;
}

const ZERO_ADDR = new Uint8Array(6);

export class StationMlme extends EventReporter<StaEvent> implements MlmeHandler, RsnHandler {
  readonly local: Ieee80211Local;
  readonly sdata: Ieee80211SubIf;
  readonly clock: Clock;
  readonly bss = new BssTable();
  readonly scanner: Scanner;
  readonly monitor: ConnectionMonitor;
  readonly counters: StationCounters = zeroStationCounters();
  wpaState: WpaState = 'DISCONNECTED';
  autoReconnect: boolean;
  private network: Network | null = null;
  private cur: Attempt | null = null;
  private epoch = 0;
  private readonly random: RandomSource | undefined;
  private readonly mlmeTimer: Timer;
  private readonly retryTimer: Timer;
  /** Consecutive failed attempts (back-off), and consecutive authentication failures (temporary disabling). */
  private failures = 0;
  private authFailures = 0;
  private pending: PendingConnect | null = null;
  /** Core work (peer removal, keys, BSS changes) of the last disconnection; a new join waits for it. */
  private cleanup: Promise<void> = Promise.resolve();
  private lastFailure = '';
  /** The network is temporarily disabled (CTRL-EVENT-SSID-TEMP-DISABLED) until the retry timer fires. */
  private disabled = false;

  constructor(o: StationOptions) {
    super(log, formatEvent);
    if (o.sdata.type !== 'station') throw new Error(`${o.sdata.name} is not a station interface`);
    this.local = o.local;
    this.sdata = o.sdata;
    this.clock = o.local.clock;
    this.random = o.random;
    this.autoReconnect = o.autoReconnect ?? true;
    this.scanner = new Scanner(this.local, this.sdata, this.clock, this.bss);
    this.monitor = new ConnectionMonitor(this.clock, {
      probe: () => this.probeAp(),
      beaconLoss: () => this.onBeaconLoss(),
      connectionLost: () => this.onConnectionLost(),
    });
    this.mlmeTimer = this.clock.timer(() => this.onMlmeTimeout());
    this.retryTimer = this.clock.timer(() => this.startAttempt());
    o.sdata.mlme = this;
    o.sdata.rsn = this;
    if (o.sdata.dev !== null) o.sdata.dev.carrier = false;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reporting

  protected get reporterName(): string {
    return this.sdata.name;
  }

  private setState(s: WpaState): void {
    if (s === this.wpaState) return;
    const from = this.wpaState;
    this.wpaState = s;
    this.report({ type: 'state', from, to: s });
  }

  /** The link as wpa_cli status shows it, while associated (null otherwise). */
  link(): LinkInfo | null {
    const a = this.cur;
    if (a === null || (a.phase !== 'handshake' && a.phase !== 'connected')) return null;
    const b = a.bss;
    return {
      bssid: b.bssidStr,
      ssid: b.ssidDisplay,
      freq: b.freq,
      channel: b.channel,
      signal: a.sta?.rx.lastSignal || b.signal,
      aid: a.aid,
      keyMgmt: keyMgmtName(b.security.proto, a.rsn?.akm ?? null),
      akm: a.rsn ? akmName(a.rsn.akm) : 'NONE',
      pairwiseCipher: a.rsn ? cipherSuiteName(a.rsn.pairwise) : 'NONE',
      groupCipher: a.rsn ? cipherSuiteName(a.rsn.group) : 'NONE',
      wmm: a.wmm,
      ht: a.ht,
      vht: a.vht,
      he: a.he,
    };
  }

  /** `wpa_cli status` as key=value pairs. */
  status(): Record<string, string | number> {
    const l = this.link();
    const out: Record<string, string | number> = { wpa_state: this.wpaState, address: macToString(this.sdata.addr) };
    if (l !== null) {
      Object.assign(out, {
        bssid: l.bssid,
        freq: l.freq,
        ssid: l.ssid,
        id: 0,
        mode: 'station',
        pairwise_cipher: l.pairwiseCipher,
        group_cipher: l.groupCipher,
        key_mgmt: l.keyMgmt,
        aid: l.aid,
      });
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Commands

  /** Scan (wpa_cli scan + scan_results): resolves with what this scan heard, strongest first. */
  async scan(o: ScanOptions = {}): Promise<BssEntry[]> {
    const idle = this.cur === null;
    if (idle) this.setState('SCANNING');
    this.report({ type: 'scan-started' });
    try {
      const r = await this.scanner.scan(o);
      this.report({ type: 'scan-results', count: r.length });
      return r;
    } catch (e) {
      this.report({ type: 'scan-failed', error: (e as Error).message });
      throw e;
    } finally {
      if (idle && this.cur === null && this.wpaState === 'SCANNING') this.setState('DISCONNECTED');
    }
  }

  /**
   * Join a network and keep it joined (reconnecting after losses while autoReconnect is set). Resolves at the
   * first CTRL-EVENT-CONNECTED; rejects with WrongPassphraseError when the AP refuses our PSK, or ConnectError
   * after `timeoutMs` (default: no limit) or when disconnect() is called first.
   */
  connect(cfg: NetworkConfig, opts: { timeoutMs?: number } = {}): Promise<LinkInfo> {
    const net = makeNetwork(cfg);
    this.counters.connects++;
    this.failPending(new ConnectError('a new connect() replaced this one', 'aborted'));
    if (this.cur !== null) this.disconnectNow(ReasonCode.DEAUTH_LEAVING, true, true, true);
    this.network = net;
    this.failures = 0;
    this.authFailures = 0;
    this.disabled = false;
    this.lastFailure = '';
    const p = new Promise<LinkInfo>((resolve, reject) => {
      const pending: PendingConnect = { resolve, reject, timer: null };
      if (opts.timeoutMs !== undefined) {
        pending.timer = this.clock.setTimeout(() => {
          const why = this.lastFailure ? `: ${this.lastFailure}` : '';
          this.failPending(
            new ConnectError(`no connection to "${net.ssidDisplay}" within ${opts.timeoutMs} ms${why}`, 'timeout'),
          );
        }, opts.timeoutMs);
      }
      this.pending = pending;
    });
    this.retryTimer.mod(0);
    return p;
  }

  /** Leave the network (deauthentication with reason 3) and stop reconnecting. */
  async disconnect(): Promise<void> {
    this.network = null;
    this.retryTimer.cancel();
    this.failPending(new ConnectError('disconnect() was called', 'aborted'));
    if (this.scanner.isRunning) this.scanner.abort();
    if (this.cur !== null) this.disconnectNow(ReasonCode.DEAUTH_LEAVING, true, true, true);
    else this.setState('DISCONNECTED');
    await this.cleanup;
  }

  /** Wait for the core work of the last disconnection (peer, keys) to be done. */
  settled(): Promise<void> {
    return this.cleanup;
  }

  private failPending(e: Error): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    p.timer?.cancel();
    p.reject(e);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Attempt: scan → select → authenticate → associate → 4-way handshake

  private async startAttempt(): Promise<void> {
    const net = this.network;
    if (net === null || this.cur !== null) return;
    if (this.disabled) {
      this.disabled = false;
      this.report({ type: 'ssid-reenabled', ssid: net.ssidDisplay });
    }
    const epoch = ++this.epoch;
    const fresh = candidates(net, this.bss.list(this.clock.now(), SCAN_RESULTS_VALID_MS));
    // Fresh results serve the first try after connect() or after a disconnection; later tries scan again.
    let found = this.failures <= 1 ? fresh : [];
    if (found.length === 0) {
      if (this.scanner.isRunning) {
        this.retryTimer.mod(100);
        return;
      }
      try {
        // Wildcard and directed: a hidden SSID answers only the latter (wpa_supplicant's scan_ssid=1).
        const channels = net.scanFreqs
          ? this.scanner.allChannels().filter((c) => net.scanFreqs!.includes(c.freq))
          : undefined;
        await this.scan({ ssids: [new Uint8Array(0), net.ssid], channels });
      } catch (e) {
        this.lastFailure = `scan failed: ${(e as Error).message}`;
        if (epoch === this.epoch) this.scheduleRetry();
        return;
      }
      if (epoch !== this.epoch || this.network !== net || this.cur !== null) return;
      found = candidates(net, this.bss.list(this.clock.now(), SCAN_RESULTS_VALID_MS));
    }
    const bss = found[0];
    if (bss === undefined) {
      this.counters.notFound++;
      this.lastFailure = `no BSS for "${net.ssidDisplay}" was found`;
      this.report({ type: 'network-not-found', ssid: net.ssidDisplay });
      this.setState('DISCONNECTED');
      this.scheduleRetry();
      return;
    }
    await this.join(bss, epoch);
  }

  private async join(bss: BssEntry, epoch: number): Promise<void> {
    const net = this.network!;
    const rsn = chooseRsn(net, bss);
    const chan = hwChannel(this.local.caps, bss.freq);
    if (chan === null) {
      this.lastFailure = `${bss.freq} MHz is not a channel of this hardware`;
      this.scheduleRetry();
      return;
    }
    const a: Attempt = {
      epoch,
      bss,
      rsn: typeof rsn === 'string' ? null : rsn,
      chandef: chandef20(chan),
      phase: 'auth',
      tries: 0,
      sta: null,
      aid: 0,
      wmm: false,
      ht: false,
      vht: false,
      he: false,
      supplicant: null,
    };
    this.cur = a;
    this.setState('AUTHENTICATING');
    this.report({ type: 'trying', bssid: bss.bssidStr, ssid: bss.ssidDisplay, freq: bss.freq });
    await this.cleanup;
    const local = this.local;
    const sdata = this.sdata;
    try {
      if (local.chandef?.chan.freq !== bss.freq || local.chandef.width !== 20) await local.setChannel(a.chandef);
      sdata.bss.bssid = Uint8Array.from(bss.bssid);
      sdata.bss.chandef = a.chandef;
      sdata.bss.beaconInt = bss.beaconInterval;
      await local.bssInfoChanged(sdata, { bssid: true });
      if (this.cur !== a) return;
      a.sta = await local.staAdd(sdata, bss.bssid, { rates: bss.rates.map((r) => r * 5) });
      if (this.cur !== a) return;
      if (local.caps.needsPrepareTx && local.ops.mgdPrepareTx) {
        await local.ops.mgdPrepareTx(sdata.vif, a.chandef, PREPARE_TX_MS);
      }
    } catch (e) {
      if (this.cur !== a) return;
      this.lastFailure = `joining ${bss.bssidStr} failed: ${(e as Error).message}`;
      this.failAttempt('CONN_FAILED', null);
      return;
    }
    if (this.cur !== a) return;
    this.sendAuth();
  }

  private sendAuth(): void {
    const a = this.cur!;
    a.tries++;
    this.counters.authTx++;
    const f = buildAuth({
      da: a.bss.bssid,
      sa: this.sdata.addr,
      bssid: a.bss.bssid,
      algorithm: AUTH_ALG.OPEN,
      transaction: 1,
      status: Status.SUCCESS,
    });
    this.mlmeTimer.mod(AUTH_TIMEOUT_LONG_MS);
    sendFrame(this.local, this.sdata, f, { sta: a.sta, onStatus: (_s, _i, st) => this.connTxStatus(a, 'auth', st) });
  }

  /** ieee80211_mgd_conn_tx_status: an acknowledged request gets a short wait for its answer, a lost one is resent. */
  private connTxStatus(a: Attempt, phase: 'auth' | 'assoc', st: TxStatus): void {
    if (this.cur !== a || a.phase !== phase) return;
    this.mlmeTimer.mod(st.acked ? AUTH_TIMEOUT_SHORT_MS : 0);
  }

  private onMlmeTimeout(): void {
    const a = this.cur;
    if (a === null) return;
    if (a.phase === 'auth') {
      if (a.tries < AUTH_MAX_TRIES) {
        this.sendAuth();
        return;
      }
      this.counters.authTimeouts++;
      this.lastFailure = `authentication with ${a.bss.bssidStr} timed out`;
      this.report({ type: 'auth-timeout', bssid: a.bss.bssidStr });
      this.failAttempt('CONN_FAILED', null);
    } else if (a.phase === 'assoc') {
      if (a.tries < AUTH_MAX_TRIES) {
        this.sendAssoc();
        return;
      }
      this.counters.assocTimeouts++;
      this.lastFailure = `association with ${a.bss.bssidStr} timed out`;
      this.report({ type: 'assoc-timeout', bssid: a.bss.bssidStr });
      this.failAttempt('CONN_FAILED', ReasonCode.DEAUTH_LEAVING);
    }
  }

  private async onAuth(a: Attempt, f: MgmtFrame): Promise<void> {
    const b = f.body;
    if (b.kind !== 'auth' || a.phase !== 'auth') return;
    if (b.algorithm !== AUTH_ALG.OPEN || b.transaction !== 2) {
      this.counters.rxIgnored++;
      return;
    }
    this.mlmeTimer.cancel();
    if (b.status !== Status.SUCCESS) {
      this.counters.authRejects++;
      this.lastFailure = `${a.bss.bssidStr} rejected authentication (status ${b.status})`;
      this.report({
        type: 'auth-reject',
        bssid: a.bss.bssidStr,
        authType: b.algorithm,
        transaction: b.transaction,
        status: b.status,
      });
      this.failAttempt('CONN_FAILED', null);
      return;
    }
    a.phase = 'assoc';
    a.tries = 0;
    this.setState('ASSOCIATING');
    try {
      await this.local.staMoveState(a.sta!, StaState.AUTH);
    } catch (e) {
      if (this.cur !== a) return;
      this.lastFailure = `the driver refused the AUTH state: ${(e as Error).message}`;
      this.failAttempt('CONN_FAILED', ReasonCode.DEAUTH_LEAVING);
      return;
    }
    if (this.cur !== a || a.phase !== 'assoc') return;
    this.sendAssoc();
  }

  private sendAssoc(): void {
    const a = this.cur!;
    a.tries++;
    this.counters.assocTx++;
    const band = this.local.caps.bands.find((b) => b.band === a.bss.band)!;
    let capability = CAPAB.ESS;
    if (a.bss.band === '2g') capability |= CAPAB.SHORT_SLOT_TIME;
    const f = buildAssocReq({
      da: a.bss.bssid,
      sa: this.sdata.addr,
      bssid: a.bss.bssid,
      capability,
      listenInterval: LISTEN_INTERVAL,
      elements: elementsOf(assocRequestIes(this.network!, a.bss, band, a.rsn)),
    });
    this.mlmeTimer.mod(AUTH_TIMEOUT_LONG_MS);
    sendFrame(this.local, this.sdata, f, { sta: a.sta, onStatus: (_s, _i, st) => this.connTxStatus(a, 'assoc', st) });
  }

  private onAssocResp(a: Attempt, f: MgmtFrame): void {
    const b = f.body;
    if ((b.kind !== 'assoc-resp' && b.kind !== 'reassoc-resp') || a.phase !== 'assoc') return;
    this.mlmeTimer.cancel();
    if (b.status !== Status.SUCCESS) {
      this.counters.assocRejects++;
      this.lastFailure = `${a.bss.bssidStr} rejected association (status ${b.status})`;
      this.report({ type: 'assoc-reject', bssid: a.bss.bssidStr, status: b.status });
      this.failAttempt('CONN_FAILED', null);
      return;
    }
    const aid = b.aid & 0x3fff;
    const e = b.elements;
    const band = this.local.caps.bands.find((x) => x.band === a.bss.band)!;
    a.aid = aid;
    a.ht = band.ht && a.bss.ht && e.find(EID.HT_CAPABILITY) !== null;
    a.vht = band.vht && a.bss.band !== '2g' && a.bss.vht && e.find(EID.VHT_CAPABILITY) !== null;
    a.he = band.he && a.bss.he && e.findExt(EID_EXT.HE_CAPABILITY) !== null;
    a.wmm = a.bss.wmm && e.findVendor(OUI_MICROSOFT, MS_OUI_TYPE_WMM) !== null;
    const theirRates = ratesInElements(e);
    const rates = band.bitrates.filter((r) => theirRates.includes(Math.round(r / 5)));
    const sta = a.sta!;
    Object.assign(sta.sta, { aid, ht: a.ht, vht: a.vht, he: a.he, wmm: a.wmm, rates });
    a.phase = 'handshake';
    this.counters.associations++;
    // The supplicant first: the AP sends message 1 right after its response.
    if (a.rsn !== null) {
      this.sdata.privacy = true;
      a.supplicant = this.newSupplicant(a, a.rsn);
      a.supplicant.start();
      this.setState('4WAY_HANDSHAKE');
    } else this.setState('ASSOCIATED');
    this.report({ type: 'associated', bssid: a.bss.bssidStr, aid });
    this.monitor.start(a.bss.beaconInterval);
    // Read now: the frame's buffer is not ours after this call.
    void this.completeAssoc(a, a.wmm ? parseWmmParams(e) : null);
  }

  /** The rest of ieee80211_assoc_success: peer state, BSS configuration, EDCA; an open network is connected now. */
  private async completeAssoc(a: Attempt, edca: Map<Ac, TxQueueParams> | null): Promise<void> {
    const local = this.local;
    const sdata = this.sdata;
    const bss = sdata.bss;
    try {
      await local.staMoveState(a.sta!, StaState.ASSOC);
      if (this.cur !== a) return;
      bss.assoc = true;
      bss.aid = a.aid;
      bss.beaconInt = a.bss.beaconInterval;
      bss.dtimPeriod = a.bss.dtimPeriod || 1;
      bss.basicRates = a.bss.basicRates.map((r) => r * 5);
      bss.qos = a.wmm;
      bss.shortSlot = a.bss.band !== '2g' || (a.bss.capability & CAPAB.SHORT_SLOT_TIME) !== 0;
      bss.shortPreamble = (a.bss.capability & CAPAB.SHORT_PREAMBLE) !== 0;
      const changed: BssChanged = {
        assoc: true,
        bssid: true,
        beaconInt: true,
        basicRates: true,
        qos: true,
        erpSlot: true,
        erpPreamble: true,
      };
      await local.bssInfoChanged(sdata, changed);
      if (edca !== null) for (const [ac, p] of edca) await local.confTx(sdata, ac, p);
      if (local.caps.needsPrepareTx && local.ops.mgdCompleteTx) await local.ops.mgdCompleteTx(sdata.vif);
      if (this.cur !== a) return;
      if (a.rsn === null) await this.authorized(a);
    } catch (e) {
      if (this.cur !== a) return;
      this.lastFailure = `configuring the association failed: ${(e as Error).message}`;
      this.failAttempt('CONN_FAILED', ReasonCode.DEAUTH_LEAVING);
    }
  }

  private newSupplicant(a: Attempt, rsn: RsnChoice): Supplicant {
    const net = this.network!;
    return new Supplicant({
      clock: this.clock,
      pmk: net.pmk!,
      ownAddr: this.sdata.addr,
      bssid: a.bss.bssid,
      akm: rsn.akm,
      pairwise: rsn.pairwise,
      group: rsn.group,
      ownRsne: rsn.ownRsne,
      apRsne: a.bss.security.rsne!,
      random: this.random,
      send: (pdu) => {
        if (this.cur === a) this.local.txControlPort(this.sdata, a.bss.bssid, pdu);
      },
      setKey: (k) => {
        if (this.cur !== a) return;
        this.local.installRsnKey(this.sdata, k).catch((e: Error) => {
          log('%s: key install failed: %s', this.sdata.name, e.message);
          if (this.cur === a) {
            this.lastFailure = `key installation failed: ${e.message}`;
            this.failAttempt('CONN_FAILED', ReasonCode.UNSPECIFIED);
          }
        });
      },
      deauthenticate: (reason) => {
        if (this.cur === a) this.disconnectNow(reason, true, true, false, true);
      },
      onEvent: (e) => this.onSupplicantEvent(a, e),
    });
  }

  private onSupplicantEvent(a: Attempt, e: SupplicantEvent): void {
    const bssid = a.bss.bssidStr;
    switch (e.type) {
      case 'connected':
        if (this.cur === a) void this.authorized(a);
        break;
      case 'gtk-installed':
        if (e.rekey && a.phase === 'connected') {
          this.report({ type: 'group-rekey', bssid, gtk: cipherSuiteName(a.rsn!.group), keyIdx: e.keyIdx });
        }
        break;
      case 'failed':
        if (e.reason === 'wrong-passphrase') {
          this.counters.wrongKey++;
          this.lastFailure = `4-way handshake with ${bssid} failed: the passphrase is probably wrong`;
          this.report({ type: 'psk-mismatch', bssid });
          this.tempDisable('WRONG_KEY');
          this.failPending(new WrongPassphraseError(bssid, a.bss.ssidDisplay));
        } else this.lastFailure = `4-way handshake with ${bssid} failed (${e.reason})`;
        break;
      default:
        break;
    }
  }

  /** The controlled port opens: AUTHORIZED in the driver, then CTRL-EVENT-CONNECTED. */
  private async authorized(a: Attempt): Promise<void> {
    try {
      await this.local.staMoveState(a.sta!, StaState.AUTHORIZED);
    } catch (e) {
      if (this.cur !== a) return;
      this.lastFailure = `the driver refused the AUTHORIZED state: ${(e as Error).message}`;
      this.failAttempt('CONN_FAILED', ReasonCode.UNSPECIFIED);
      return;
    }
    if (this.cur !== a) return;
    a.phase = 'connected';
    this.failures = 0;
    this.authFailures = 0;
    this.lastFailure = '';
    this.counters.connected++;
    if (this.sdata.dev !== null) this.sdata.dev.carrier = true;
    this.setState('COMPLETED');
    if (a.rsn !== null) {
      this.report({
        type: 'key-negotiation-completed',
        bssid: a.bss.bssidStr,
        ptk: cipherSuiteName(a.rsn.pairwise),
        gtk: cipherSuiteName(a.rsn.group),
      });
    }
    this.report({ type: 'connected', bssid: a.bss.bssidStr, ssid: a.bss.ssidDisplay, freq: a.bss.freq });
    const p = this.pending;
    const l = this.link();
    if (p !== null && l !== null) {
      this.pending = null;
      p.timer?.cancel();
      p.resolve(l);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Failures, disconnection, reconnection

  /** An attempt failed before it was connected: tear down (deauthenticate if `reason`), count, retry later. */
  private failAttempt(why: TempDisableReason, reason: number | null): void {
    const a = this.cur;
    if (a === null) return;
    // Failing before association completed is reported by its own event (timeout, rejection), not as a disconnection.
    const silent = a.phase === 'auth' || a.phase === 'assoc';
    this.disconnectNow(reason ?? ReasonCode.DEAUTH_LEAVING, true, reason !== null, false, false, silent);
    this.tempDisable(why);
  }

  private tempDisable(reason: TempDisableReason): void {
    if (this.network === null) return;
    this.authFailures++;
    const durationS = tempDisableSeconds(this.authFailures);
    this.disabled = true;
    this.report({
      type: 'ssid-temp-disabled',
      ssid: this.network.ssidDisplay,
      authFailures: this.authFailures,
      durationS,
      reason,
    });
    this.scheduleRetry(durationS * 1000);
  }

  private scheduleRetry(delayMs?: number): void {
    if (this.network === null || !this.autoReconnect) {
      if (this.network !== null && this.pending === null) this.network = null;
      return;
    }
    const n = this.failures++;
    // First retry soon (wpa_supplicant asks for a scan 100 ms after a disconnection), then 1, 2, 4, 5, 5... s.
    const d = delayMs ?? (n === 0 ? 100 : Math.min(5_000, 1_000 * 2 ** (n - 1)));
    if (!this.retryTimer.pending || this.retryTimer.expires < this.clock.now() + d) this.retryTimer.mod(d);
  }

  /**
   * End the association or attempt now: stop timers and the supplicant, send a deauthentication (when `sendDeauth`),
   * report CTRL-EVENT-DISCONNECTED (once past authentication), then undo the core state in order (keys, peer, BSS).
   */
  private disconnectNow(
    reason: number,
    locallyGenerated: boolean,
    sendDeauth: boolean,
    user = false,
    fromSupplicant = false,
    silent = false,
  ): void {
    const a = this.cur;
    if (a === null) return;
    this.cur = null;
    this.epoch++;
    this.mlmeTimer.cancel();
    this.monitor.stop();
    if (a.supplicant !== null) {
      if (!fromSupplicant) a.supplicant.disconnected(reason, locallyGenerated);
      a.supplicant.stop();
    }
    if (sendDeauth && a.sta !== null) {
      const f = buildDeauth({ da: a.bss.bssid, sa: this.sdata.addr, bssid: a.bss.bssid, reason });
      sendFrame(this.local, this.sdata, f, { sta: a.sta });
    }
    if (this.sdata.dev !== null) this.sdata.dev.carrier = false;
    this.counters.disconnects++;
    if (!silent && a.sta !== null) {
      this.report({ type: 'disconnected', bssid: a.bss.bssidStr, reason, locallyGenerated });
    }
    this.setState('DISCONNECTED');
    this.cleanup = this.cleanup.then(() => this.undoCore(a)).catch((e: Error) => log('cleanup: %s', e.message));
    if (!user && !fromSupplicant && a.phase !== 'auth' && a.phase !== 'assoc') {
      this.counters.reconnects++;
      this.scheduleRetry();
    }
  }

  private async undoCore(a: Attempt): Promise<void> {
    const local = this.local;
    const sdata = this.sdata;
    if (a.sta !== null && sdata.staGet(a.sta.addr) === a.sta) await local.staRemove(a.sta);
    for (let i = 0; i < sdata.keys.length; i++) {
      const k = sdata.keys[i];
      if (k) await local.removeKey(sdata, null, k);
    }
    sdata.privacy = false;
    if (this.cur !== null) return; // a new attempt already owns the BSS configuration
    const wasAssoc = sdata.bss.assoc;
    sdata.bss.assoc = false;
    sdata.bss.aid = 0;
    sdata.bss.qos = false;
    sdata.bss.bssid = Uint8Array.from(ZERO_ADDR);
    await local.bssInfoChanged(sdata, { assoc: wasAssoc, bssid: true });
  }

  private onBeaconLoss(): void {
    const a = this.cur;
    if (a === null) return;
    this.counters.beaconLosses++;
    this.report({ type: 'beacon-loss', bssid: a.bss.bssidStr });
  }

  /** ieee80211_sta_connection_lost: deauthenticate (the AP may still hear it) with reason 4, then reconnect. */
  private onConnectionLost(): void {
    if (this.cur === null) return;
    this.counters.connectionLosses++;
    // The BSS is gone: only a new scan may bring it back (cfg80211_unlink_bss).
    this.bss.remove(this.cur.bss.bssid);
    this.disconnectNow(ReasonCode.DISASSOC_DUE_TO_INACTIVITY, true, true);
  }

  /** A Null frame to the AP whose acknowledgement tells whether it is still there. */
  private probeAp(): void {
    const a = this.cur;
    if (a === null) return;
    const f = buildData({
      toDs: true,
      fromDs: false,
      addr1: a.bss.bssid,
      addr2: this.sdata.addr,
      addr3: a.bss.bssid,
      seq: 0,
      nullData: true,
      payload: new Uint8Array(0),
    });
    sendFrame(this.local, this.sdata, f, {
      sta: a.sta,
      onStatus: (_s, _i, st) => {
        if (this.cur === a) this.monitor.probeResult(st.acked);
      },
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // MlmeHandler and RsnHandler (called by mac80211)

  rxMgmt(skb: SkBuff, status: RxStatus, _sta: StaInfo | null): void {
    this.counters.rxMgmt++;
    try {
      this.rxMgmtFrame(skb, status);
    } finally {
      skb.free();
    }
  }

  private rxMgmtFrame(skb: SkBuff, status: RxStatus): void {
    const d = decodeFrame(skb.buf.subarray(skb.data, skb.tail));
    if (!d.ok || d.value.type !== 'mgmt') {
      this.counters.rxMalformed++;
      return;
    }
    const f = d.value;
    const kind = f.body.kind;
    const a = this.cur;
    const fromBss =
      a !== null && f.header.addr2 !== null && macEqual(f.header.addr2, 0, a.bss.bssid) && f.header.addr3 !== null;
    if (kind === 'beacon' || kind === 'probe-resp') {
      bssFromSkb(this.bss, skb, status, this.clock.now());
      if (fromBss && kind === 'beacon' && (a.phase === 'handshake' || a.phase === 'connected')) {
        this.monitor.beaconReceived();
      }
      return;
    }
    if (a === null || !fromBss || !macEquals(f.header.addr3!, a.bss.bssid)) {
      this.counters.rxIgnored++;
      return;
    }
    switch (f.body.kind) {
      case 'auth':
        void this.onAuth(a, f);
        break;
      case 'assoc-resp':
      case 'reassoc-resp':
        this.onAssocResp(a, f);
        break;
      case 'deauth':
      case 'disassoc': {
        const deauth = f.body.kind === 'deauth';
        if (deauth) this.counters.deauthFromAp++;
        else this.counters.disassocFromAp++;
        this.lastFailure = `${a.bss.bssidStr} ${deauth ? 'deauthenticated' : 'disassociated'} us (reason ${f.body.reason})`;
        const before = a.phase;
        this.disconnectNow(f.body.reason, false, false);
        if (before === 'auth' || before === 'assoc') this.tempDisable('CONN_FAILED');
        break;
      }
      default:
        this.counters.rxIgnored++;
    }
  }

  beaconLoss(): void {
    this.monitor.driverBeaconLoss();
  }

  connectionLoss(): void {
    this.monitor.driverConnectionLoss();
  }

  restarted(): void {
    log('%s: hardware restarted; mac80211 reprogrammed the association', this.sdata.name);
  }

  rxEapol(src: Uint8Array, eapol: Uint8Array, _sta: StaInfo | null, _encrypted: boolean): void {
    const a = this.cur;
    if (a === null || a.supplicant === null || !macEquals(src, a.bss.bssid)) {
      this.counters.rxIgnored++;
      return;
    }
    a.supplicant.receive(eapol);
  }

  /** The supplicant of the current association (tests, diagnostics). */
  get supplicant(): Supplicant | null {
    return this.cur?.supplicant ?? null;
  }
}

function ratesInElements(e: Elements): number[] {
  const out: number[] = [];
  for (const id of [EID.SUPP_RATES, EID.EXT_SUPP_RATES]) {
    const b = e.find(id);
    if (b !== null) for (const o of b) out.push(o & 0x7f);
  }
  return out;
}
