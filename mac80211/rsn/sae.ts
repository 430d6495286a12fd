/**
 * SAE (WPA3-Personal, 802.11-2020 12.4) computations for ECC group 19 (NIST P-256): the password element by
 * hunting-and-pecking (12.4.4.2.2) and by hash-to-element (12.4.4.2.3, simplified SWU of RFC 9380), the commit
 * (scalar and element), the shared secret k, KCK / PMK / PMKID and the confirm value. The SAE authentication
 * frames and their state machine (anti-clogging tokens, retransmissions) are not here.
 *
 * The arithmetic is plain BigInt and NOT constant-time: right for simulations and tests, not for a production
 * station facing an attacker who can time it.
 */
import { createHmac } from 'node:crypto';
import { kdfSha256 } from './kdf.ts';
import { compareBytes } from './ptk.ts';

/** NIST P-256 (secp256r1). */
export const P256 = {
  group: 19,
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  r: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  /** RFC 9380 simplified SWU constant Z for P-256. */
  z: -10n,
  len: 32,
} as const;

const { p: P, a: A, b: B, r: R } = P256;

export interface Point {
  x: bigint;
  y: bigint;
}

const mod = (v: bigint, m: bigint = P): bigint => {
  const r = v % m;
  return r < 0n ? r + m : r;
};

function modPow(base: bigint, exp: bigint, m: bigint = P): bigint {
  let result = 1n;
  base = mod(base, m);
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % m;
    base = (base * base) % m;
    exp >>= 1n;
  }
  return result;
}

const inv = (v: bigint, m: bigint = P): bigint => modPow(v, m - 2n, m);

export function bytesToBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}

export function bigIntToBytes(v: bigint, len = P256.len): Buffer {
  return Buffer.from(v.toString(16).padStart(len * 2, '0'), 'hex');
}

/** y² = x³ + ax + b */
function curveRhs(x: bigint): bigint {
  return mod(x * x * x + A * x + B);
}

function isSquare(v: bigint): boolean {
  return v === 0n || modPow(v, (P - 1n) / 2n) === 1n;
}

/** Square root mod p (p ≡ 3 mod 4). */
function sqrt(v: bigint): bigint {
  return modPow(v, (P + 1n) / 4n);
}

export function isOnCurve(pt: Point): boolean {
  return pt.x >= 0n && pt.x < P && pt.y >= 0n && pt.y < P && mod(pt.y * pt.y) === curveRhs(pt.x);
}

// Jacobian coordinates (X, Y, Z) ~ (X/Z², Y/Z³); Z = 0 is the point at infinity.
type Jac = [bigint, bigint, bigint];

function jDouble([x, y, z]: Jac): Jac {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const yy = mod(y * y);
  const s = mod(4n * x * yy);
  const zz = mod(z * z);
  const m = mod(3n * (x - zz) * (x + zz)); // a = -3
  const x3 = mod(m * m - 2n * s);
  const y3 = mod(m * (s - x3) - 8n * yy * yy);
  const z3 = mod(2n * y * z);
  return [x3, y3, z3];
}

function jAdd(p1: Jac, p2: Jac): Jac {
  if (p1[2] === 0n) return p2;
  if (p2[2] === 0n) return p1;
  const [x1, y1, z1] = p1;
  const [x2, y2, z2] = p2;
  const z1z1 = mod(z1 * z1);
  const z2z2 = mod(z2 * z2);
  const u1 = mod(x1 * z2z2);
  const u2 = mod(x2 * z1z1);
  const s1 = mod(y1 * z2 * z2z2);
  const s2 = mod(y2 * z1 * z1z1);
  if (u1 === u2) return s1 === s2 ? jDouble(p1) : [0n, 1n, 0n];
  const h = mod(u2 - u1);
  const rr = mod(s2 - s1);
  const hh = mod(h * h);
  const hhh = mod(h * hh);
  const v = mod(u1 * hh);
  const x3 = mod(rr * rr - hhh - 2n * v);
  const y3 = mod(rr * (v - x3) - s1 * hhh);
  const z3 = mod(z1 * z2 * h);
  return [x3, y3, z3];
}

function toJac(pt: Point | null): Jac {
  return pt === null ? [0n, 1n, 0n] : [pt.x, pt.y, 1n];
}

function fromJac([x, y, z]: Jac): Point | null {
  if (z === 0n) return null;
  const zi = inv(z);
  const zi2 = mod(zi * zi);
  return { x: mod(x * zi2), y: mod(y * zi2 * zi) };
}

/** Point addition (null is the point at infinity). */
export function pointAdd(p1: Point | null, p2: Point | null): Point | null {
  return fromJac(jAdd(toJac(p1), toJac(p2)));
}

/** Scalar multiplication k·P. */
export function scalarMult(k: bigint, pt: Point | null): Point | null {
  k = mod(k, R);
  let acc: Jac = [0n, 1n, 0n];
  const base = toJac(pt);
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    acc = jDouble(acc);
    if ((k >> i) & 1n) acc = jAdd(acc, base);
  }
  return fromJac(acc);
}

export function pointNegate(pt: Point): Point {
  return { x: pt.x, y: mod(-pt.y) };
}

export function encodePoint(pt: Point): Buffer {
  return Buffer.concat([bigIntToBytes(pt.x), bigIntToBytes(pt.y)]);
}

/** A peer's element from its commit (x || y), or null when not a valid point of the group. */
export function decodePoint(b: Uint8Array): Point | null {
  if (b.length !== 2 * P256.len) return null;
  const pt = { x: bytesToBigInt(b.subarray(0, 32)), y: bytesToBigInt(b.subarray(32)) };
  return isOnCurve(pt) ? pt : null;
}

function maxMin(a1: Uint8Array, a2: Uint8Array): Buffer {
  return compareBytes(a1, a2) > 0 ? Buffer.concat([a1, a2]) : Buffer.concat([a2, a1]);
}

const hmac256 = (key: Uint8Array, ...parts: Uint8Array[]): Buffer => {
  const h = createHmac('sha256', key);
  for (const part of parts) h.update(part);
  return h.digest();
};

/**
 * PWE by hunting-and-pecking (12.4.4.2.2): pwd-seed = HMAC-SHA256(MAX(a1,a2)||MIN(a1,a2), password||counter),
 * pwd-value = KDF-256(pwd-seed, "SAE Hunting and Pecking", p); the first x that is on the curve wins, y chosen by
 * the parity of pwd-seed. All `k` rounds run whatever the round that found it (as the standard asks).
 */
export function saePweHuntingPecking(
  password: Uint8Array | string,
  addr1: Uint8Array,
  addr2: Uint8Array,
  k = 40,
): Point | null {
  const pwd = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const key = maxMin(addr1, addr2);
  const prime = bigIntToBytes(P);
  let found: Point | null = null;
  for (let counter = 1; counter <= k || found === null; counter++) {
    if (counter > 255) return null;
    const seed = hmac256(key, pwd, Uint8Array.of(counter));
    const value = bytesToBigInt(kdfSha256(seed, 'SAE Hunting and Pecking', prime, 256));
    if (value >= P) continue;
    const rhs = curveRhs(value);
    if (!isSquare(rhs) || found !== null) continue;
    let y = sqrt(rhs);
    if ((y & 1n) !== BigInt(seed[31]! & 1)) y = mod(-y);
    found = { x: value, y };
  }
  return found;
}

function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return hmac256(salt, ikm);
}

function hkdfExpand(prk: Uint8Array, info: string, len: number): Buffer {
  const out: Buffer[] = [];
  let t: Buffer = Buffer.alloc(0);
  for (let i = 1; out.length * 32 < len; i++) {
    t = hmac256(prk, t, Buffer.from(info, 'latin1'), Uint8Array.of(i));
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, len);
}

/** Simplified SWU map to P-256 (RFC 9380 6.6.2), as 802.11 uses it. */
export function sswu(u: bigint): Point {
  const z = mod(P256.z);
  const u2 = mod(u * u);
  const zu2 = mod(z * u2);
  const denom = mod(zu2 * zu2 + zu2);
  const tv1 = denom === 0n ? 0n : inv(denom);
  let x1 = mod(mod(-B * inv(A)) * (1n + tv1));
  if (tv1 === 0n) x1 = mod(B * inv(mod(z * A)));
  const gx1 = curveRhs(x1);
  const x2 = mod(zu2 * x1);
  const gx2 = curveRhs(x2);
  const [x, v] = isSquare(gx1) ? [x1, gx1] : [x2, gx2];
  let y = sqrt(v);
  if ((u & 1n) !== (y & 1n)) y = mod(-y);
  return { x, y };
}

/** The password token PT of hash-to-element (12.4.4.2.3), independent of the addresses. */
export function saeDerivePt(
  ssid: Uint8Array | string,
  password: Uint8Array | string,
  identifier?: Uint8Array | string,
) {
  const enc = (v: Uint8Array | string) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
  const ikm = identifier === undefined ? enc(password) : Buffer.concat([enc(password), enc(identifier)]);
  const seed = hkdfExtract(enc(ssid), ikm);
  const len = P256.len + Math.ceil(P256.len / 2);
  const u1 = mod(bytesToBigInt(hkdfExpand(seed, 'SAE Hash to Element u1 P1', len)));
  const u2 = mod(bytesToBigInt(hkdfExpand(seed, 'SAE Hash to Element u2 P2', len)));
  return pointAdd(sswu(u1), sswu(u2))!;
}

/** PWE from PT for a pair of addresses: val = HMAC(0³², MAX||MIN) mod (r − 1) + 1; PWE = val·PT. */
export function saePweFromPt(pt: Point, addr1: Uint8Array, addr2: Uint8Array): Point {
  const val = mod(bytesToBigInt(hmac256(new Uint8Array(32), maxMin(addr1, addr2))), R - 1n) + 1n;
  return scalarMult(val, pt)!;
}

export interface SaeCommit {
  rand: bigint;
  mask: bigint;
  scalar: bigint;
  element: Point;
}

/** Our commit: scalar = (rand + mask) mod r, element = −(mask·PWE). `rand` and `mask` in [2, r−1]. */
export function saeCommit(pwe: Point, rand: bigint, mask: bigint): SaeCommit {
  const scalar = mod(rand + mask, R);
  const element = pointNegate(scalarMult(mask, pwe)!);
  return { rand, mask, scalar, element };
}

/** The body of an SAE commit for group 19: group (LE16) | scalar | element x | element y. */
export function encodeSaeCommit(c: { scalar: bigint; element: Point }): Buffer {
  return Buffer.concat([Buffer.of(P256.group, 0), bigIntToBytes(c.scalar), encodePoint(c.element)]);
}

export interface SaeKeys {
  /** x coordinate of K = rand·(peer-scalar·PWE + PEER-ELEMENT). */
  k: Buffer;
  keyseed: Buffer;
  kck: Buffer;
  pmk: Buffer;
  pmkid: Buffer;
}

/**
 * The shared secret and keys after both commits (12.4.5.4), or null when the peer's commit is invalid (scalar
 * out of range, element not on the curve, or a reflection of ours).
 */
export function saeDeriveKeys(pwe: Point, own: SaeCommit, peerScalar: bigint, peerElement: Point): SaeKeys | null {
  if (peerScalar <= 1n || peerScalar >= R || !isOnCurve(peerElement)) return null;
  if (peerScalar === own.scalar && peerElement.x === own.element.x && peerElement.y === own.element.y) return null;
  const kPoint = scalarMult(own.rand, pointAdd(scalarMult(peerScalar, pwe), peerElement));
  if (kPoint === null) return null;
  const k = bigIntToBytes(kPoint.x);
  const keyseed = hmac256(new Uint8Array(32), k);
  const ctx = bigIntToBytes(mod(own.scalar + peerScalar, R));
  const kckPmk = kdfSha256(keyseed, 'SAE KCK and PMK', ctx, 512);
  return {
    k,
    keyseed,
    kck: kckPmk.subarray(0, 32),
    pmk: kckPmk.subarray(32, 64),
    pmkid: ctx.subarray(0, 16),
  };
}

/** confirm = HMAC-SHA256(KCK, send-confirm (LE16) || scalar || element || peer-scalar || peer-element). */
export function saeConfirm(
  kck: Uint8Array,
  sendConfirm: number,
  own: { scalar: bigint; element: Point },
  peer: { scalar: bigint; element: Point },
): Buffer {
  return hmac256(
    kck,
    Uint8Array.of(sendConfirm & 0xff, sendConfirm >> 8),
    bigIntToBytes(own.scalar),
    encodePoint(own.element),
    bigIntToBytes(peer.scalar),
    encodePoint(peer.element),
  );
}
