/**
 * Installed keys (Linux's net/mac80211/key.c): a key's driver-visible configuration (KeyConf), where it is used
 * (a station's pairwise slot or an interface's group slot), whether the hardware took it, its transmit PN and
 * receive PNs per TID, and a "color" that changes with every installed key so that the defragmentation can tell
 * fragments under different keys apart (the FragAttacks mixed-key defence).
 *
 * Every CCMP key also gets a software CcmpKey, even when the hardware takes it: frames the hardware did not decrypt
 * are decrypted in software, and the receive PNs live in one place whichever did the work.
 */
import type { Cipher as CipherName, KeyConf } from './driver-ops.ts';
import { CcmpKey } from './rsn/ccmp.ts';
import { Cipher, type CipherSuite } from './rsn/suites.ts';

/** Key slots of an interface (NUM_DEFAULT_KEYS + NUM_DEFAULT_MGMT_KEYS + NUM_DEFAULT_BEACON_KEYS). */
export const NUM_DEFAULT_KEYS = 4;
export const NUM_KEY_SLOTS = 8;
/** Receive PN slots: 16 TIDs and one for management frames (as CcmpKey's). */
export const NUM_RX_PN = 17;
export const RX_PN_MGMT = 16;

/** RSN suite selector → the cipher name the driver interface uses (null for those it has no name for). */
export function cipherName(suite: CipherSuite): CipherName | null {
  switch (suite) {
    case Cipher.CCMP:
      return 'CCMP';
    case Cipher.CCMP_256:
      return 'CCMP-256';
    case Cipher.GCMP:
      return 'GCMP';
    case Cipher.GCMP_256:
      return 'GCMP-256';
    case Cipher.TKIP:
      return 'TKIP';
    case Cipher.WEP40:
      return 'WEP40';
    case Cipher.WEP104:
      return 'WEP104';
    case Cipher.AES_CMAC:
      return 'BIP-CMAC-128';
    default:
      return null;
  }
}

/** MIC length a cipher appends (CCMP 8, CCMP-256/GCMP 16). */
export function cipherMicLen(c: CipherName): number {
  switch (c) {
    case 'CCMP':
      return 8;
    case 'CCMP-256':
    case 'GCMP':
    case 'GCMP-256':
      return 16;
    case 'TKIP':
      return 12; // Michael MIC + ICV
    case 'WEP40':
    case 'WEP104':
      return 4;
    default:
      return 0;
  }
}

/** Security header length (IV / CCMP header). */
export function cipherIvLen(c: CipherName): number {
  switch (c) {
    case 'WEP40':
    case 'WEP104':
      return 4;
    case 'BIP-CMAC-128':
      return 0;
    default:
      return 8;
  }
}

export function isCcmpFamily(c: CipherName): boolean {
  return c === 'CCMP' || c === 'CCMP-256' || c === 'GCMP' || c === 'GCMP-256';
}

let nextColor = 1;

export class Ieee80211Key {
  readonly conf: KeyConf;
  /** Software cipher (CCMP and CCMP-256); null for ciphers only the hardware can do. */
  readonly sw: CcmpKey | null;
  /** Changes with every key ever installed (FragAttacks: fragments must share a key). */
  readonly color = nextColor++;
  /** The driver accepted the key (KEY_FLAG_UPLOADED_TO_HARDWARE). */
  uploaded = false;
  /** Removed from its slot: frames must not use it any more. */
  removed = false;
  private readonly ownRxPn: Float64Array | null;
  private ownTxPn = 0;

  constructor(
    conf: KeyConf,
    opts: { rxPn?: number; sppAmsdu?: boolean } = {},
    /** The peer of a pairwise key; null for group keys. */
    readonly staAddr: Uint8Array | null = null,
  ) {
    this.conf = conf;
    const c = conf.cipher;
    if (c === 'CCMP' || c === 'CCMP-256') {
      this.sw = new CcmpKey(conf.key, {
        keyIdx: conf.keyIdx,
        cipher: c === 'CCMP' ? Cipher.CCMP : Cipher.CCMP_256,
        rxPn: opts.rxPn ?? 0,
        sppAmsdu: opts.sppAmsdu ?? false,
      });
      this.sw.txPn = conf.txPn;
      this.ownRxPn = null;
    } else {
      this.sw = null;
      this.ownRxPn = new Float64Array(NUM_RX_PN).fill(opts.rxPn ?? 0);
      this.ownTxPn = conf.txPn;
    }
  }

  get cipher(): CipherName {
    return this.conf.cipher;
  }

  get keyIdx(): number {
    return this.conf.keyIdx;
  }

  get pairwise(): boolean {
    return this.conf.pairwise;
  }

  /** Last accepted receive PN per TID (index 16: management), shared by hardware and software decryption. */
  get rxPn(): Float64Array {
    return this.sw !== null ? this.sw.rxPn : this.ownRxPn!;
  }

  /** The next transmit PN, or -1 when the 48-bit space is used up (the key must be replaced). */
  nextTxPn(): number {
    if (this.sw !== null) {
      if (this.sw.txPn >= 2 ** 48 - 1) return -1;
      return ++this.sw.txPn;
    }
    if (this.ownTxPn >= 2 ** 48 - 1) return -1;
    return ++this.ownTxPn;
  }

  get txPn(): number {
    return this.sw !== null ? this.sw.txPn : this.ownTxPn;
  }

  get micLen(): number {
    return cipherMicLen(this.conf.cipher);
  }

  get ivLen(): number {
    return cipherIvLen(this.conf.cipher);
  }
}
