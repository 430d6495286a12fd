/**
 * RSN: WPA2/WPA3-Personal key management and software CCMP for mac80211 and the simulated AP.
 *
 *  - kdf, ptk: passphrase → PSK, PRF-SHA1, KDF-SHA256, PTK (KCK/KEK/TK), PMKID
 *  - eapol, eapol-key, kde, mic: EAPOL and EAPOL-Key codecs, Key Data / KDEs, the EAPOL-Key MIC
 *  - cmac, keywrap: AES-CMAC (RFC 4493) and AES key wrap (RFC 3394) on node:crypto
 *  - supplicant, authenticator: the 4-way and group key handshakes as state machines (Clock-driven)
 *  - ccmp, aes-ccm: software CCMP with per-TID replay detection and a batch decrypt for NAPI polls
 *  - sae: SAE (group 19) computations
 */
export * from './authenticator.ts';
export * from './ccmp.ts';
export * from './cmac.ts';
export * from './eapol.ts';
export * from './eapol-key.ts';
export * from './kde.ts';
export * from './kdf.ts';
export * from './keys.ts';
export * from './keywrap.ts';
export * from './mic.ts';
export * from './ptk.ts';
export * from './sae.ts';
export * from './suites.ts';
export * from './supplicant.ts';
