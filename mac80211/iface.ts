/**
 * Virtual interfaces (Linux's struct ieee80211_sub_if_data, net/mac80211/iface.c): the driver's Vif, the BSS
 * configuration, the peers, the group keys, the net device, and the handlers the upper layers register:
 *
 *  - `mlme`: management frames for the interface and link events (the station MLME or the AP; neither lives here);
 *  - `rsn`: EAPOL frames from peers (the supplicant or the authenticator), never sent up to IP;
 *  - `scan` handlers are per scan request (see Ieee80211Local.hwScan).
 *
 * A monitor interface has no net device: its frames go to the local's monitor taps.
 */
import type { SkBuff } from '../netstack/core/skb.ts';
import { macToString } from './addr.ts';
import type { Dot3Context } from './bridge/data-to-8023.ts';
import { ETH_P_PAE } from './bridge/llc.ts';
import type { BssConf, IfType, RxStatus, TxInfo, TxStatus, Vif } from './driver-ops.ts';
import type { Ieee80211Key } from './key.ts';
import { NUM_KEY_SLOTS } from './key.ts';
import type { Ieee80211Local } from './local.ts';
import type { Ieee80211NetDev } from './netdev.ts';
import { macKey, type StaInfo } from './sta-info.ts';

/** What the MLME of an interface (station or AP) registers to hear from mac80211. */
export interface MlmeHandler {
  /**
   * A management frame for this interface (takes ownership: free or drop it). skb.data is at the 802.11 header;
   * FCS and (for protected frames) the CCMP header and MIC are gone. `sta` is the sender when it is a known peer.
   */
  rxMgmt(skb: SkBuff, status: RxStatus, sta: StaInfo | null): void;
  /** ieee80211_beacon_loss from the driver. */
  beaconLoss?(): void;
  /** ieee80211_connection_loss from the driver. */
  connectionLoss?(): void;
  /**
   * AP: a data frame from `addr`, which is not associated (a class 3 frame). hostapd answers with a
   * deauthentication, reason 7 (cfg80211_rx_spurious_frame). The frame itself is dropped.
   */
  spuriousData?(addr: Uint8Array): void;
  /** A frame sent with a status callback was acknowledged or not (borrowed skb). */
  txStatus?(skb: SkBuff, info: TxInfo, status: TxStatus): void;
  /** The hardware was restarted and mac80211 reprogrammed interfaces, stations and keys. */
  restarted?(): void;
}

/** The EAPOL consumer of an interface (supplicant or authenticator). */
export interface RsnHandler {
  /**
   * One EAPOL PDU (a private copy, from the EAPOL header on) from `src`. `encrypted`: it arrived protected;
   * `sta`: the peer, when known.
   */
  rxEapol(src: Uint8Array, eapol: Uint8Array, sta: StaInfo | null, encrypted: boolean): void;
}

function emptyBss(): BssConf {
  return {
    bssid: new Uint8Array(6),
    assoc: false,
    aid: 0,
    beaconInt: 100,
    dtimPeriod: 1,
    chandef: null,
    basicRates: [],
    qos: false,
    shortSlot: false,
    shortPreamble: false,
    ps: false,
  };
}

export class Ieee80211SubIf {
  readonly vif: Vif;
  readonly bss: BssConf = emptyBss();
  /** Set by Ieee80211Local.addInterface (null for monitor interfaces). */
  dev: Ieee80211NetDev | null = null;
  mlme: MlmeHandler | null = null;
  rsn: RsnHandler | null = null;
  /** Peers of this interface by address. */
  readonly stas = new Map<number, StaInfo>();
  /** Group keys (0..3), IGTKs (4, 5) and BIGTKs (6, 7). */
  readonly keys: (Ieee80211Key | null)[] = new Array(NUM_KEY_SLOTS).fill(null);
  /** AP: the group key used to transmit multicast (-1: none). */
  defaultMulticastKey = -1;
  /** Station: 4-address frames to/from the AP (WDS client). */
  use4addr = false;
  /** The BSS is protected (RSN): group-addressed data never leaves in the clear (drop_unencrypted). */
  privacy = false;
  /** AP: relay frames between associated clients (intra-BSS bridging). */
  bridgePackets = true;
  /** The 802.1X control port protocol (EAPOL). */
  controlPortProtocol = ETH_P_PAE;
  /** Sequence counter for management, non-QoS and group-addressed data frames (sdata->sequence_number). */
  private seq = 0;
  /** The driver knows the interface (addInterface done). */
  running = false;

  private readonly dot3Ctx: [Dot3Context, Dot3Context];

  constructor(
    readonly local: Ieee80211Local,
    readonly type: IfType,
    addr: Uint8Array,
    readonly name: string,
  ) {
    this.vif = { type, addr: Uint8Array.from(addr) };
    this.dot3Ctx = [
      { iftype: type, addr: this.vif.addr, use4addr: false },
      { iftype: type, addr: this.vif.addr, use4addr: true },
    ];
  }

  /** How this interface converts data frames from `sta` to 802.3 (4-address per interface or per peer). */
  dot3(sta: StaInfo | null): Dot3Context {
    const a4 = this.type === 'station' ? this.use4addr : (sta?.use4addr ?? false);
    return this.dot3Ctx[a4 ? 1 : 0];
  }

  get addr(): Uint8Array {
    return this.vif.addr;
  }

  /** Next sequence number for frames that do not use a per-TID counter. */
  nextSeq(): number {
    const s = this.seq;
    this.seq = (s + 1) & 0xfff;
    return s;
  }

  staGet(addr: Uint8Array, off = 0): StaInfo | null {
    return this.stas.get(macKey(addr, off)) ?? null;
  }

  /** Station mode: the AP's entry (the peer whose address is the BSSID), once the MLME created it. */
  get apSta(): StaInfo | null {
    return this.stas.get(macKey(this.bss.bssid)) ?? null;
  }

  /** The first installed group key (any index), as Linux's key lookup for unprotected frames. */
  anyGroupKey(): Ieee80211Key | null {
    for (let i = 0; i < 4; i++) {
      const k = this.keys[i];
      if (k) return k;
    }
    return null;
  }

  toString(): string {
    return `${this.name} (${this.type} ${macToString(this.addr)})`;
  }
}
