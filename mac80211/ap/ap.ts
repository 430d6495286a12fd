/**
 * The access point (hostapd's ieee802_11.c, sta_info.c and the WPA authenticator glue, on mac80211's AP
 * interface): beacons from a template with hidden-SSID options and an empty TIM, probe responses (wildcard probes
 * ignored when the SSID is hidden), open-system authentication, (re)association with AIDs and status codes, the
 * WPA2-PSK authenticator (4-way handshake, GTK distribution, periodic group rekey) with its keys installed by
 * mac80211, station inactivity (poll with a Null frame, then disassociate), and deauthentication.
 *
 * Data between stations and to the AP's own host goes through mac80211's AP data path (the interface's net
 * device, which a netstack Stack owns): this class only does management.
 */
import type { Clock, Timer } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import type { SkBuff } from '../../netstack/core/skb.ts';
import { BROADCAST_ADDR, macEquals, macToString } from '../addr.ts';
import { channelToFreq, type RxStatus, StaState, type SupportedBand } from '../driver-ops.ts';
import { EID } from '../elements/ids.ts';
import {
  buildAssocResp,
  buildAuth,
  buildBeacon,
  buildData,
  buildDeauth,
  buildDisassoc,
  buildProbeResp,
  elementsOf,
} from '../frame/build.ts';
import { decodeFrame, encodeFrame, type MgmtFrame } from '../frame/frame.ts';
import { AUTH_ALG } from '../frame/mgmt.ts';
import type { Ieee80211SubIf, MlmeHandler, RsnHandler } from '../iface.ts';
import type { Ieee80211Local } from '../local.ts';
import { mandatoryRates } from '../mlme/caps.ts';
import { ReasonCode, Status } from '../mlme/codes.ts';
import { EventReporter } from '../mlme/reporter.ts';
import { chandef20, hwChannel, sendFrame } from '../mlme/tx.ts';
import { Authenticator, type AuthenticatorEvent } from '../rsn/authenticator.ts';
import type { RandomSource } from '../rsn/keys.ts';
import { CIPHER_SUITE } from '../elements/rsn.ts';
import type { StaInfo } from '../sta-info.ts';
import { checkAssocRequest } from './assoc.ts';
import { type ApConfig, apSettings, type ApSettings } from './config.ts';
import { type ApEvent, formatApEvent } from './events.ts';
import { apCapability, apIes, apRsnElement, assocRespIes } from './ies.ts';

const log = logger('ap');

/** Listen interval above which hostapd refuses a station (its default max_listen_interval). */
const MAX_LISTEN_INTERVAL = 65535;
/** Class-3 deauthentications to one address at most this often. GUESS: hostapd has no such limit. */
const SPURIOUS_DEAUTH_INTERVAL_MS = 1_000;
/** Time after an inactivity poll without its status before the station is dropped. GUESS: hostapd waits for the poll's TX status. */
const POLL_WAIT_MS = 1_000;

export interface AccessPointOptions {
  local: Ieee80211Local;
  /** The AP interface (from local.addInterface('ap')). */
  sdata: Ieee80211SubIf;
  config: ApConfig;
  /** Randomness for ANonces and GTKs (default node's CSPRNG; a seeded Prng's bytes in simulations). */
  random?: RandomSource;
}

export interface ApCounters {
  probeReqs: number;
  probeResps: number;
  probesIgnored: number;
  auths: number;
  authRefused: number;
  assocReqs: number;
  assocRefused: number;
  associations: number;
  connected: number;
  deauthSent: number;
  deauthRx: number;
  disassocRx: number;
  class2Deauths: number;
  class3Deauths: number;
  inactivityPolls: number;
  inactivityDrops: number;
  rxMalformed: number;
  rxIgnored: number;
}

/** One station known to the AP (hostapd's struct sta_info). */
export interface ApStation {
  addr: Uint8Array;
  addrStr: string;
  info: StaInfo;
  state: 'auth' | 'assoc' | 'authorized';
  aid: number;
  listenInterval: number;
  rsne: Uint8Array | null;
  /** The AKM it chose (PSK or PSK-SHA256), 0 for an open BSS. */
  akm: number;
  readonly inactivity: Timer;
  polling: boolean;
}

export class AccessPoint extends EventReporter<ApEvent> implements MlmeHandler, RsnHandler {
  readonly local: Ieee80211Local;
  readonly sdata: Ieee80211SubIf;
  readonly clock: Clock;
  readonly settings: ApSettings;
  readonly band: SupportedBand;
  readonly counters: ApCounters = {
    probeReqs: 0,
    probeResps: 0,
    probesIgnored: 0,
    auths: 0,
    authRefused: 0,
    assocReqs: 0,
    assocRefused: 0,
    associations: 0,
    connected: 0,
    deauthSent: 0,
    deauthRx: 0,
    disassocRx: 0,
    class2Deauths: 0,
    class3Deauths: 0,
    inactivityPolls: 0,
    inactivityDrops: 0,
    rxMalformed: 0,
    rxIgnored: 0,
  };
  authenticator: Authenticator | null = null;
  running = false;
  private readonly stas = new Map<string, ApStation>();
  /** When a class-3 deauthentication last went to an address. */
  private readonly spuriousAt = new Map<string, number>();
  private readonly random: RandomSource | undefined;
  private probeRespIes: Uint8Array;

  constructor(o: AccessPointOptions) {
    super(log, formatApEvent);
    if (o.sdata.type !== 'ap') throw new Error(`${o.sdata.name} is not an AP interface`);
    this.local = o.local;
    this.sdata = o.sdata;
    this.clock = o.local.clock;
    this.settings = apSettings(o.config);
    this.random = o.random;
    const band = o.local.caps.bands.find((b) => b.band === this.settings.band);
    if (band === undefined) throw new Error(`the radio has no ${this.settings.band} band`);
    this.band = band;
    this.probeRespIes = apIes(this.settings, band, false);
    o.sdata.mlme = this;
    o.sdata.rsn = this;
  }

  protected get reporterName(): string {
    return this.sdata.name;
  }

  get bssid(): Uint8Array {
    return this.sdata.addr;
  }

  get freq(): number {
    return this.sdata.bss.chandef?.chan.freq ?? 0;
  }

  /** Stations known to the AP (authenticated or further). */
  stations(): ApStation[] {
    return [...this.stas.values()];
  }

  station(addr: Uint8Array): ApStation | null {
    return this.stas.get(macToString(addr)) ?? null;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Bring-up

  /** Tune, configure the BSS, start beaconing and the authenticator (hostapd_setup_bss). */
  async start(): Promise<void> {
    if (this.running) return;
    const s = this.settings;
    const local = this.local;
    const sdata = this.sdata;
    const freq = channelToFreq(s.band, s.channel);
    const chan = hwChannel(local.caps, freq);
    if (chan === null) throw new Error(`channel ${s.channel} (${freq} MHz) is not a channel of this radio`);
    if (!local.started) await local.start();
    const cd = chandef20(chan);
    await local.setChannel(cd);
    const bss = sdata.bss;
    bss.bssid = Uint8Array.from(sdata.addr);
    bss.chandef = cd;
    bss.beaconInt = s.beaconIntervalTu;
    bss.dtimPeriod = s.dtimPeriod;
    bss.basicRates = mandatoryRates(s.band);
    bss.qos = s.wmm;
    bss.shortSlot = true;
    bss.shortPreamble = s.band === '2g';
    bss.beaconTemplate = this.beaconTemplate();
    bss.beaconEnabled = true;
    if (s.pmk !== null) {
      sdata.privacy = true;
      this.authenticator = this.newAuthenticator(s.pmk);
      this.authenticator.start();
    }
    await local.bssInfoChanged(sdata, {
      bssid: true,
      beaconInt: true,
      basicRates: true,
      qos: true,
      erpSlot: true,
      erpPreamble: true,
      beacon: true,
      beaconEnabled: true,
    });
    this.running = true;
    this.report({ type: 'enabled', ssid: s.ssidDisplay, freq });
  }

  /**
   * Stop the BSS. Graceful (the default): every station is deauthenticated (reason 3, to the broadcast address,
   * as hostapd does on shutdown); otherwise the AP just goes silent, as a power cut would leave it.
   */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (opts.graceful ?? true) this.sendDeauth(BROADCAST_ADDR, ReasonCode.DEAUTH_LEAVING, null);
    for (const st of [...this.stas.values()]) await this.removeStation(st, ReasonCode.DEAUTH_LEAVING, true);
    this.authenticator?.stop();
    this.authenticator = null;
    const sdata = this.sdata;
    sdata.bss.beaconEnabled = false;
    await this.local.bssInfoChanged(sdata, { beaconEnabled: true });
    for (const k of sdata.keys) if (k) await this.local.removeKey(sdata, null, k);
    sdata.privacy = false;
    this.report({ type: 'disabled' });
  }

  private beaconTemplate(): Uint8Array {
    const s = this.settings;
    return encodeFrame(
      buildBeacon({
        bssid: this.sdata.addr,
        timestamp: 0n,
        beaconInterval: s.beaconIntervalTu,
        capability: apCapability(s),
        elements: elementsOf(apIes(s, this.band, true)),
      }),
    );
  }

  private newAuthenticator(pmk: Uint8Array): Authenticator {
    const s = this.settings;
    return new Authenticator({
      clock: this.clock,
      bssid: this.sdata.addr,
      pmk,
      akm: s.akms[0]!,
      pairwise: CIPHER_SUITE.CCMP,
      group: CIPHER_SUITE.CCMP,
      rsne: apRsnElement(s)!,
      random: this.random,
      groupRekeyMs: s.groupRekeyMs,
      ptkRekeyMs: s.ptkRekeyMs,
      groupTxPn: () => this.groupTxPn(),
      send: (addr, pdu) => {
        if (this.running) this.local.txControlPort(this.sdata, addr, pdu);
      },
      setKey: (k) => {
        this.local
          .installRsnKey(this.sdata, k)
          .catch((e: Error) => log('%s: key install: %s', this.sdata.name, e.message));
      },
      deauthenticate: (addr, reason) => this.deauthenticate(addr, reason),
      onEvent: (e) => this.onAuthenticatorEvent(e),
    });
  }

  /** The PN of the group key in use, for the Key RSC of message 3. */
  private groupTxPn(): number {
    const i = this.sdata.defaultMulticastKey;
    return i >= 0 ? (this.sdata.keys[i]?.txPn ?? 0) : 0;
  }

  /** Start a group rekey now (also runs every groupRekeyMs). */
  rekeyGroup(): void {
    this.authenticator?.rekeyGroup();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Stations

  private async addStation(addr: Uint8Array): Promise<ApStation> {
    const info = await this.local.staAdd(this.sdata, addr);
    const st: ApStation = {
      addr: Uint8Array.from(addr),
      addrStr: macToString(addr),
      info,
      state: 'auth',
      aid: 0,
      listenInterval: 0,
      rsne: null,
      akm: 0,
      inactivity: this.clock.timer(() => this.checkInactivity(st)),
      polling: false,
    };
    this.stas.set(st.addrStr, st);
    await this.local.staMoveState(info, StaState.AUTH);
    return st;
  }

  private async removeStation(st: ApStation, reason: number, byAp: boolean): Promise<void> {
    if (this.stas.get(st.addrStr) !== st) return;
    this.stas.delete(st.addrStr);
    st.inactivity.cancel();
    this.authenticator?.removeStation(st.addr);
    const wasAssoc = st.state !== 'auth';
    if (wasAssoc) this.report({ type: 'sta-disconnected', addr: st.addrStr, reason, byAp });
    await this.local.staRemove(st.info);
  }

  /** Deauthenticate a station (hostapd_drv_sta_deauth + ap_free_sta). */
  deauthenticate(addr: Uint8Array, reason: number): void {
    const st = this.station(addr);
    this.sendDeauth(addr, reason, st?.info ?? null);
    if (st !== null) void this.removeStation(st, reason, true);
  }

  private sendDeauth(addr: Uint8Array, reason: number, sta: StaInfo | null): void {
    this.counters.deauthSent++;
    sendFrame(this.local, this.sdata, buildDeauth({ da: addr, sa: this.bssid, bssid: this.bssid, reason }), { sta });
  }

  private allocAid(): number {
    const used = new Set<number>();
    for (const s of this.stas.values()) if (s.aid > 0) used.add(s.aid);
    for (let aid = 1; aid <= this.settings.maxStations; aid++) if (!used.has(aid)) return aid;
    return 0;
  }

  /** ap_handle_timer: a silent station is polled with a Null frame; no ACK and it is disassociated. */
  private checkInactivity(st: ApStation): void {
    if (this.stas.get(st.addrStr) !== st || st.state === 'auth') return;
    const max = this.settings.maxInactivityMs;
    const idle = this.clock.now() - st.info.rx.lastRx;
    if (st.polling) {
      // The poll got no acknowledgement in time.
      this.dropInactive(st);
      return;
    }
    if (idle < max) {
      st.inactivity.mod(max - idle);
      return;
    }
    st.polling = true;
    this.counters.inactivityPolls++;
    st.inactivity.mod(POLL_WAIT_MS);
    const f = buildData({
      toDs: false,
      fromDs: true,
      addr1: st.addr,
      addr2: this.bssid,
      addr3: this.bssid,
      seq: 0,
      nullData: true,
      payload: new Uint8Array(0),
    });
    sendFrame(this.local, this.sdata, f, {
      sta: st.info,
      onStatus: (_s, _i, status) => {
        if (this.stas.get(st.addrStr) !== st || !st.polling) return;
        if (status.acked) {
          st.polling = false;
          st.inactivity.mod(max);
        } else this.dropInactive(st);
      },
    });
  }

  private dropInactive(st: ApStation): void {
    this.counters.inactivityDrops++;
    st.polling = false;
    sendFrame(
      this.local,
      this.sdata,
      buildDisassoc({ da: st.addr, sa: this.bssid, bssid: this.bssid, reason: ReasonCode.DISASSOC_DUE_TO_INACTIVITY }),
      { sta: st.info },
    );
    void this.removeStation(st, ReasonCode.DISASSOC_DUE_TO_INACTIVITY, true);
  }

  private onAuthenticatorEvent(e: AuthenticatorEvent): void {
    switch (e.type) {
      case 'sta-authorized': {
        const st = this.station(e.addr);
        if (st === null) return;
        this.report({ type: 'handshake-completed', addr: st.addrStr, rekey: e.rekey });
        if (!e.rekey) void this.authorize(st);
        break;
      }
      case 'handshake-failed':
        if (e.m2MicFailures > 0) this.report({ type: 'psk-mismatch', addr: macToString(e.addr) });
        break;
      case 'group-rekeyed':
        this.report({ type: 'group-rekeyed', keyIdx: e.keyIdx });
        break;
      default:
        break;
    }
  }

  private async authorize(st: ApStation): Promise<void> {
    await this.local.staMoveState(st.info, StaState.AUTHORIZED);
    if (this.stas.get(st.addrStr) !== st) return;
    st.state = 'authorized';
    this.counters.connected++;
    st.inactivity.mod(this.settings.maxInactivityMs);
    this.report({ type: 'sta-connected', addr: st.addrStr, aid: st.aid });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Management frames

  rxMgmt(skb: SkBuff, status: RxStatus, _sta: StaInfo | null): void {
    try {
      if (this.running) this.rxMgmtFrame(skb, status);
    } finally {
      skb.free();
    }
  }

  private rxMgmtFrame(skb: SkBuff, _status: RxStatus): void {
    const d = decodeFrame(skb.buf.subarray(skb.data, skb.tail));
    if (!d.ok || d.value.type !== 'mgmt' || d.value.header.addr2 === null) {
      this.counters.rxMalformed++;
      return;
    }
    const f = d.value;
    const sa = f.header.addr2!;
    // Frames "from" a group address or from ourselves are nobody's (hostapd: invalid STA MAC address).
    if ((sa[0]! & 1) !== 0 || macEquals(sa, this.bssid)) {
      this.counters.rxIgnored++;
      return;
    }
    switch (f.body.kind) {
      case 'probe-req':
        this.onProbeReq(f);
        break;
      case 'auth':
        void this.onAuth(f);
        break;
      case 'assoc-req':
      case 'reassoc-req':
        void this.onAssocReq(f);
        break;
      case 'deauth':
      case 'disassoc':
        this.onLeave(f);
        break;
      default:
        this.counters.rxIgnored++;
    }
  }

  private onProbeReq(f: MgmtFrame): void {
    const b = f.body;
    if (b.kind !== 'probe-req') return;
    this.counters.probeReqs++;
    const s = this.settings;
    const ssid = b.elements.find(EID.SSID);
    const ds = b.elements.find(EID.DS_PARAMS);
    const wildcard = ssid !== null && ssid.length === 0;
    const ours = ssid !== null && ssid.length === s.ssid.length && ssid.every((x, i) => x === s.ssid[i]);
    // hostapd: no SSID, another SSID, a wildcard while hidden, or a DS Parameter Set for another channel: silence.
    if (
      ssid === null ||
      (!ours && !(wildcard && s.hidden === 'no')) ||
      (ds !== null && ds.length === 1 && ds[0] !== s.channel && s.band === '2g')
    ) {
      this.counters.probesIgnored++;
      return;
    }
    this.counters.probeResps++;
    const resp = buildProbeResp({
      da: f.header.addr2!,
      bssid: this.bssid,
      timestamp: 0n,
      beaconInterval: s.beaconIntervalTu,
      capability: apCapability(s),
      elements: elementsOf(this.probeRespIes),
    });
    sendFrame(this.local, this.sdata, resp);
  }

  private async onAuth(f: MgmtFrame): Promise<void> {
    const b = f.body;
    if (b.kind !== 'auth') return;
    // Copied: the frame's buffer is not ours once we await.
    const sa = Uint8Array.from(f.header.addr2!);
    this.counters.auths++;
    const respond = (status: number, sta: StaInfo | null) =>
      sendFrame(
        this.local,
        this.sdata,
        buildAuth({ da: sa, sa: this.bssid, bssid: this.bssid, algorithm: b.algorithm, transaction: 2, status }),
        { sta },
      );
    if (b.algorithm !== AUTH_ALG.OPEN) {
      this.counters.authRefused++;
      respond(Status.NOT_SUPPORTED_AUTH_ALG, null);
      return;
    }
    if (b.transaction !== 1) {
      this.counters.authRefused++;
      respond(Status.UNKNOWN_AUTH_TRANSACTION, null);
      return;
    }
    // A station authenticating again starts from nothing (its keys and association are gone).
    const old = this.station(sa);
    if (old !== null) await this.removeStation(old, ReasonCode.PREV_AUTH_NOT_VALID, false);
    if (this.stas.size >= this.settings.maxStations) {
      this.counters.authRefused++;
      respond(Status.AP_UNABLE_TO_HANDLE_NEW_STA, null);
      return;
    }
    const st = await this.addStation(sa);
    this.report({ type: 'authenticated', addr: st.addrStr });
    respond(Status.SUCCESS, st.info);
  }

  private async onAssocReq(f: MgmtFrame): Promise<void> {
    const b = f.body;
    if (b.kind !== 'assoc-req' && b.kind !== 'reassoc-req') return;
    const sa = Uint8Array.from(f.header.addr2!);
    const reassoc = b.kind === 'reassoc-req';
    this.counters.assocReqs++;
    const st = this.station(sa);
    if (st === null) {
      // Class 2 frame from a station that is not authenticated (hostapd: deauthenticate, reason 6).
      this.counters.class2Deauths++;
      this.sendDeauth(sa, ReasonCode.CLASS2_FRAME_FROM_NONAUTH_STA, null);
      return;
    }
    const out = checkAssocRequest(this.settings, this.band, b.elements);
    let status = out.status;
    let why = out.why;
    if (status === Status.SUCCESS && b.listenInterval > MAX_LISTEN_INTERVAL) {
      status = Status.UNSPECIFIED_FAILURE;
      why = 'listen interval too large';
    }
    const aid = status === Status.SUCCESS ? st.aid || this.allocAid() : 0;
    if (status === Status.SUCCESS && aid === 0) {
      status = Status.AP_UNABLE_TO_HANDLE_NEW_STA;
      why = 'no AID left';
    }
    const respond = (onStatus?: (acked: boolean) => void) =>
      sendFrame(
        this.local,
        this.sdata,
        buildAssocResp({
          da: sa,
          sa: this.bssid,
          bssid: this.bssid,
          capability: apCapability(this.settings),
          status,
          aid,
          reassoc,
          elements: elementsOf(assocRespIes(this.settings, this.band, out)),
        }),
        { sta: st.info, onStatus: onStatus ? (_s, _i, x) => onStatus(x.acked) : undefined },
      );
    if (status !== Status.SUCCESS) {
      this.counters.assocRefused++;
      this.report({ type: 'assoc-refused', addr: st.addrStr, status, why });
      respond();
      return;
    }
    // A station associating again while associated: its handshake and keys start over.
    if (st.state !== 'auth') {
      this.authenticator?.removeStation(st.addr);
      for (const k of st.info.ptk) if (k) await this.local.removeKey(this.sdata, st.info, k);
      await this.local.staMoveState(st.info, StaState.AUTH);
      st.state = 'auth';
    }
    st.aid = aid;
    st.listenInterval = b.listenInterval;
    st.rsne = out.rsne;
    st.akm = out.akm;
    Object.assign(st.info.sta, { aid, ht: out.ht, vht: out.vht, he: out.he, wmm: out.wmm, rates: out.rates });
    await this.local.staMoveState(st.info, StaState.ASSOC);
    if (this.stas.get(st.addrStr) !== st) return;
    st.state = 'assoc';
    this.counters.associations++;
    this.report({ type: 'associated', addr: st.addrStr, aid });
    // hostapd starts the 4-way handshake once the response is acknowledged (handle_assoc_cb).
    respond((acked) => {
      if (!acked || this.stas.get(st.addrStr) !== st || st.state !== 'assoc') return;
      if (this.authenticator !== null && st.rsne !== null) this.authenticator.addStation(st.addr, st.rsne, st.akm);
      else void this.authorize(st);
    });
  }

  private onLeave(f: MgmtFrame): void {
    const b = f.body;
    if (b.kind !== 'deauth' && b.kind !== 'disassoc') return;
    if (!macEquals(f.header.addr1, this.bssid)) {
      this.counters.rxIgnored++;
      return;
    }
    const st = this.station(f.header.addr2!);
    if (st === null) {
      this.counters.rxIgnored++;
      return;
    }
    if (b.kind === 'deauth') this.counters.deauthRx++;
    else this.counters.disassocRx++;
    void this.removeStation(st, b.reason, false);
  }

  /** Data from a station that is not associated: tell it (reason 7), at most once a second per station. */
  spuriousData(addr: Uint8Array): void {
    if (!this.running) return;
    const k = macToString(addr);
    const now = this.clock.now();
    const last = this.spuriousAt.get(k);
    if (last !== undefined && now - last < SPURIOUS_DEAUTH_INTERVAL_MS) return;
    if (this.spuriousAt.size >= 256) this.spuriousAt.clear();
    this.spuriousAt.set(k, now);
    this.counters.class3Deauths++;
    this.sendDeauth(Uint8Array.from(addr), ReasonCode.CLASS3_FRAME_FROM_NONASSOC_STA, null);
  }

  rxEapol(src: Uint8Array, eapol: Uint8Array, _sta: StaInfo | null, _encrypted: boolean): void {
    if (this.authenticator === null) {
      this.counters.rxIgnored++;
      return;
    }
    this.authenticator.receive(src, eapol);
  }

  restarted(): void {
    log('%s: hardware restarted; beacon and stations reprogrammed by mac80211', this.sdata.name);
  }
}
