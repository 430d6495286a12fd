/**
 * Following WPA2 key handshakes passively in a capture (the bookkeeping of airdecap-ng and Wireshark's EAPOL
 * decryption): per pair of addresses, the latest ANonce (messages 1 and 3) and SNonce (message 2); as soon as both
 * are known, the PTK is derived with rsn's key hierarchy and checked against the MIC of a message that carries one
 * (2 or 3). A verified PTK becomes the pair's current key (the previous one is kept for frames still in flight
 * across a rekey). The GTK comes from message 3's Key Data and from group-key message 1, unwrapped with the pair's
 * KEK, and is kept per authenticator and Key ID.
 *
 * Supported: RSN key descriptors with version 2 (PSK, HMAC-SHA1, PRF-SHA1) and 3 (PSK-SHA256, AES-CMAC,
 * KDF-SHA256), pairwise CCMP or CCMP-256. WPA1, TKIP and AKM-defined versions (SAE, FT) are counted and skipped.
 */
import { rsnCodec, rsnWithDefaults } from '../elements/rsn.ts';
import { CcmpKey } from '../rsn/ccmp.ts';
import {
  type DecodedEapolKey,
  decodeEapolKey,
  eapolKeyMessage,
  KeyDescriptorType,
  KeyInfo,
  verifyEapolKeyMic,
} from '../rsn/eapol-key.ts';
import { parseKeyData } from '../rsn/kde.ts';
import { bytesEqual, unwrapKeyData } from '../rsn/keys.ts';
import { derivePtk, type Ptk } from '../rsn/ptk.ts';
import { Akm, type AkmParams, Cipher, requireAkmParams } from '../rsn/suites.ts';

export interface PairState {
  aa: Uint8Array;
  spa: Uint8Array;
  anonce: Uint8Array | null;
  snonce: Uint8Array | null;
  /** The latest message 2 (for its MIC). */
  m2: Uint8Array | null;
  params: AkmParams | null;
  pairwise: number;
  /** Group cipher from the AP's RSN element in message 3, when seen. */
  group: number | null;
  ptk: Ptk | null;
  key: CcmpKey | null;
  previous: CcmpKey | null;
  /** ANonce+SNonce combinations already derived (so a retransmission is not counted twice). */
  readonly tried: Set<string>;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pairId = (a: Uint8Array, b: Uint8Array) => {
  const x = hex(a);
  const y = hex(b);
  return x < y ? `${x}-${y}` : `${y}-${x}`;
};

export class HandshakeTracker {
  readonly pairs = new Map<string, PairState>();
  private readonly groups = new Map<string, { key: CcmpKey; bytes: Uint8Array }>();
  /** Distinct PTKs derived and verified. */
  handshakes = 0;
  /** Distinct GTKs learned. */
  groupKeys = 0;
  eapolFrames = 0;
  /** Why handshake messages could not be used. */
  readonly failures = new Map<string, number>();

  constructor(private readonly pmk: Uint8Array) {}

  private fail(reason: string): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  private pair(aa: Uint8Array, spa: Uint8Array): PairState {
    const id = pairId(aa, spa);
    let st = this.pairs.get(id);
    if (st === undefined) {
      st = {
        aa: Uint8Array.from(aa),
        spa: Uint8Array.from(spa),
        anonce: null,
        snonce: null,
        m2: null,
        params: null,
        pairwise: Cipher.CCMP,
        group: null,
        ptk: null,
        key: null,
        previous: null,
        tried: new Set(),
      };
      this.pairs.set(id, st);
    }
    return st;
  }

  /** The pairwise keys (current, then previous) between two addresses. */
  pairwiseKeys(a: Uint8Array, b: Uint8Array): CcmpKey[] {
    const st = this.pairs.get(pairId(a, b));
    const out: CcmpKey[] = [];
    if (st?.key) out.push(st.key);
    if (st?.previous) out.push(st.previous);
    return out;
  }

  groupKey(transmitter: Uint8Array, keyId: number): CcmpKey | null {
    return this.groups.get(`${hex(transmitter)}/${keyId}`)?.key ?? null;
  }

  get stations(): number {
    return this.pairs.size;
  }

  /**
   * One EAPOL PDU seen from `ta` to `ra` (transmitter and receiver addresses of the 802.11 frame).
   */
  eapol(ta: Uint8Array, ra: Uint8Array, pdu: Uint8Array): void {
    this.eapolFrames++;
    const d = decodeEapolKey(pdu);
    if (!d.ok) {
      if (d.reason !== 'eapol-not-key') this.fail(`eapol-${d.reason.replace(/^eapol-/, '')}`);
      return;
    }
    const k = d.value;
    if (k.descriptorType !== KeyDescriptorType.RSN) {
      this.fail('wpa1-unsupported');
      return;
    }
    const version = k.keyInfo & KeyInfo.VERSION_MASK;
    let params: AkmParams;
    if (version === 2) params = requireAkmParams(Akm.PSK, Cipher.CCMP);
    else if (version === 3) params = requireAkmParams(Akm.PSK_SHA256, Cipher.CCMP);
    else {
      this.fail(version === 1 ? 'tkip-unsupported' : 'akm-unsupported');
      return;
    }
    const msg = eapolKeyMessage(k);
    switch (msg) {
      case '4way-1': {
        const st = this.pair(ta, ra);
        st.params = params;
        st.anonce = Uint8Array.from(k.nonce);
        return;
      }
      case '4way-2': {
        const st = this.pair(ra, ta);
        st.params = params;
        st.snonce = Uint8Array.from(k.nonce);
        st.m2 = Uint8Array.from(k.pdu);
        st.pairwise = rsneFromKeyData(k.keyData)?.pairwiseCiphers[0] ?? st.pairwise;
        this.derive(st, st.m2);
        return;
      }
      case '4way-3': {
        const st = this.pair(ta, ra);
        st.params = params;
        st.anonce = Uint8Array.from(k.nonce);
        this.derive(st, k.pdu);
        if (st.ptk !== null && verifyEapolKeyMic(k.pdu, params.mic, st.ptk.kck, params.micLen)) this.takeGtk(st, k);
        return;
      }
      case 'group-1': {
        const st = this.pairs.get(pairId(ta, ra));
        if (st?.ptk == null || st.params === null) {
          this.fail('group-without-ptk');
          return;
        }
        if (!verifyEapolKeyMic(k.pdu, st.params.mic, st.ptk.kck, st.params.micLen)) {
          this.fail('group-mic');
          return;
        }
        this.takeGtk(st, k);
        return;
      }
      default:
        return;
    }
  }

  /** Derive the PTK from the pair's nonces and install it when `pdu`'s MIC verifies under its KCK. */
  private derive(st: PairState, pdu: Uint8Array): void {
    if (st.anonce === null || st.snonce === null || st.params === null) return;
    const combo = `${hex(st.anonce)}/${hex(st.snonce)}`;
    if (st.tried.has(combo)) return;
    if (st.pairwise !== Cipher.CCMP && st.pairwise !== Cipher.CCMP_256) {
      st.tried.add(combo);
      this.fail('pairwise-cipher-unsupported');
      return;
    }
    const ptk = derivePtk({
      pmk: this.pmk,
      aa: st.aa,
      spa: st.spa,
      anonce: st.anonce,
      snonce: st.snonce,
      params: st.params,
      pairwise: st.pairwise,
    });
    if (!verifyEapolKeyMic(pdu, st.params.mic, ptk.kck, st.params.micLen)) {
      // Message 3 after a message 2 of the same nonces is checked once more; the verdict stands.
      st.tried.add(combo);
      this.fail('handshake-mic');
      return;
    }
    st.tried.add(combo);
    if (st.ptk !== null && bytesEqual(st.ptk.tk, ptk.tk)) return;
    st.ptk = ptk;
    st.previous = st.key;
    st.key = new CcmpKey(ptk.tk, {
      cipher: st.pairwise,
      replayCheck: false,
    });
    this.handshakes++;
  }

  private takeGtk(st: PairState, k: DecodedEapolKey): void {
    if (!(k.keyInfo & KeyInfo.ENCRYPTED_KEY_DATA) || st.ptk === null) return;
    const plain = unwrapKeyData(st.ptk.kek, k.keyData);
    if (plain === null) {
      this.fail('gtk-unwrap');
      return;
    }
    const kd = parseKeyData(plain);
    if (!kd.ok || kd.value.gtk === undefined) {
      this.fail('gtk-missing');
      return;
    }
    const gtk = kd.value.gtk;
    const rsne = kd.value.rsne[0];
    if (rsne !== undefined) st.group = rsneOf(rsne)?.groupCipher ?? st.group;
    // Without the AP's RSN element: a 16-octet GTK is CCMP's; GUESS: a 32-octet one CCMP-256's.
    const cipher = st.group ?? (gtk.key.length === 32 ? Cipher.CCMP_256 : Cipher.CCMP);
    const want = cipher === Cipher.CCMP ? 16 : cipher === Cipher.CCMP_256 ? 32 : 0;
    if (gtk.key.length !== want) {
      this.fail('group-cipher-unsupported');
      return;
    }
    const id = `${hex(st.aa)}/${gtk.keyId}`;
    if (bytesEqual(this.groups.get(id)?.bytes, gtk.key)) return;
    const key = new CcmpKey(gtk.key, { keyIdx: gtk.keyId, cipher, replayCheck: false });
    this.groups.set(id, { key, bytes: Uint8Array.from(gtk.key) });
    this.groupKeys++;
  }
}

/** An RSN element (with its header) decoded, with the defaults for absent fields. */
function rsneOf(rsne: Uint8Array): ReturnType<typeof rsnWithDefaults> | null {
  const r = rsnCodec.decode(rsne.subarray(2));
  return r.ok ? rsnWithDefaults(r.value) : null;
}

/** The RSN element in Key Data (message 2: the supplicant's choice of pairwise cipher). */
function rsneFromKeyData(keyData: Uint8Array): ReturnType<typeof rsnWithDefaults> | null {
  const kd = parseKeyData(keyData);
  if (!kd.ok || kd.value.rsne[0] === undefined) return null;
  return rsneOf(kd.value.rsne[0]);
}
