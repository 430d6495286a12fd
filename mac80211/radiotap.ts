/**
 * Radiotap (https://www.radiotap.org): the per-frame radio metadata in front of 802.11 frames in captures and on
 * monitor interfaces.
 *
 * Layout: version (0), pad, length (LE16, the whole header), then present words (LE32) chained by bit 31, then the
 * fields in bit order, each aligned to its natural alignment relative to the start of the header. Bit 29 in a
 * present word starts a new radiotap namespace at the next word (bit numbering restarts: used for per-antenna
 * data); bit 30 starts a vendor namespace, whose header (OUI, sub-namespace, skip length; aligned to 2) sits in the
 * data at the position of bit 30 and is followed by skip-length octets of vendor data. Bit 28 (TLV) makes the rest
 * of the header a list of type-length-value items, each padded to 4 octets. This follows Linux's radiotap iterator
 * (net/wireless/radiotap.c): a field whose alignment we do not know (radiotap namespace bit 32 and above) stops
 * decoding there, cleanly, and the 802.11 frame is still found from the header length.
 */
import { fail, ok, type ParseResult } from './parse.ts';

export const RADIOTAP = {
  TSFT: 0,
  FLAGS: 1,
  RATE: 2,
  CHANNEL: 3,
  FHSS: 4,
  DBM_ANTSIGNAL: 5,
  DBM_ANTNOISE: 6,
  LOCK_QUALITY: 7,
  TX_ATTENUATION: 8,
  DB_TX_ATTENUATION: 9,
  DBM_TX_POWER: 10,
  ANTENNA: 11,
  DB_ANTSIGNAL: 12,
  DB_ANTNOISE: 13,
  RX_FLAGS: 14,
  TX_FLAGS: 15,
  RTS_RETRIES: 16,
  DATA_RETRIES: 17,
  XCHANNEL: 18,
  MCS: 19,
  AMPDU_STATUS: 20,
  VHT: 21,
  TIMESTAMP: 22,
  HE: 23,
  HE_MU: 24,
  HE_MU_OTHER_USER: 25,
  ZERO_LEN_PSDU: 26,
  LSIG: 27,
  TLV: 28,
  RADIOTAP_NAMESPACE: 29,
  VENDOR_NAMESPACE: 30,
  EXT: 31,
} as const;

/** Flags field (bit 1). */
export const RADIOTAP_F = {
  CFP: 0x01,
  SHORTPRE: 0x02,
  WEP: 0x04,
  FRAG: 0x08,
  FCS: 0x10,
  DATAPAD: 0x20,
  BADFCS: 0x40,
  SHORTGI: 0x80,
} as const;

/** Channel flags (bit 3). */
export const RADIOTAP_CHAN = {
  TURBO: 0x0010,
  CCK: 0x0020,
  OFDM: 0x0040,
  GHZ2: 0x0080,
  GHZ5: 0x0100,
  PASSIVE: 0x0200,
  DYN: 0x0400,
  GFSK: 0x0800,
  GSM: 0x1000,
  STURBO: 0x2000,
  HALF: 0x4000,
  QUARTER: 0x8000,
} as const;

export const RADIOTAP_RX_F_BADPLCP = 0x0002;
export const RADIOTAP_TX_F = { FAIL: 0x01, CTS: 0x02, RTS: 0x04, NOACK: 0x08, NOSEQNO: 0x10, ORDER: 0x20 } as const;

export interface RadiotapFields {
  tsft?: bigint;
  flags?: number;
  /** In 500 kb/s. */
  rate?: number;
  channel?: { freq: number; flags: number };
  fhss?: { hopSet: number; hopPattern: number };
  dbmAntSignal?: number;
  dbmAntNoise?: number;
  lockQuality?: number;
  txAttenuation?: number;
  dbTxAttenuation?: number;
  dbmTxPower?: number;
  antenna?: number;
  dbAntSignal?: number;
  dbAntNoise?: number;
  rxFlags?: number;
  txFlags?: number;
  rtsRetries?: number;
  dataRetries?: number;
  xChannel?: { flags: number; freq: number; channel: number; maxPower: number };
  mcs?: { known: number; flags: number; mcs: number };
  ampdu?: { reference: number; flags: number; delimiterCrc: number; reserved: number };
  vht?: {
    known: number;
    flags: number;
    bandwidth: number;
    mcsNss: [number, number, number, number];
    coding: number;
    groupId: number;
    partialAid: number;
  };
  timestamp?: { timestamp: bigint; accuracy: number; unitPosition: number; flags: number };
  he?: { data1: number; data2: number; data3: number; data4: number; data5: number; data6: number };
  heMu?: {
    flags1: number;
    flags2: number;
    ruChannel1: [number, number, number, number];
    ruChannel2: [number, number, number, number];
  };
  heMuOtherUser?: { perUser1: number; perUser2: number; perUserPosition: number; perUserKnown: number };
  zeroLengthPsdu?: number;
  lsig?: { data1: number; data2: number };
  /** Type-length-value items (bit 28): U-SIG (33), EHT (34), S1G (32), vendor (35)... kept raw. */
  tlvs?: { type: number; data: Uint8Array }[];
}

export type RadiotapNamespace =
  | { kind: 'radiotap'; fields: RadiotapFields }
  | {
      kind: 'vendor';
      oui: number;
      subNamespace: number;
      /** The vendor namespace's present words, chain bits (29..31) cleared (none when bit 30 ended the chain). */
      presentWords: number[];
      /** The skip-length octets of vendor data. */
      data: Uint8Array;
    };

export interface Radiotap {
  version: number;
  pad: number;
  /** it_len: octets of the whole header; the 802.11 frame starts there. */
  length: number;
  /** The present words as sent. */
  presentWords: number[];
  namespaces: RadiotapNamespace[];
  /** The first namespace's fields (the usual place for everything). */
  fields: RadiotapFields;
  /** Set when a field of unknown alignment stopped decoding: its bit (in its namespace) and offset. */
  incomplete: { bit: number; offset: number } | null;
  /** Octets after the last field and before it_len (some drivers pad the header; null when incomplete). */
  trailing: Uint8Array | null;
}

type FieldName = Exclude<keyof RadiotapFields, 'tlvs'>;

interface FieldSpec {
  name: FieldName;
  align: number;
  size: number;
  read(dv: DataView, o: number): unknown;
  write(dv: DataView, o: number, v: never): void;
}

const u8 = (name: FieldName): Omit<FieldSpec, 'align' | 'size'> => ({
  name,
  read: (dv, o) => dv.getUint8(o),
  write: (dv, o, v: number) => dv.setUint8(o, v),
});
const s8 = (name: FieldName): Omit<FieldSpec, 'align' | 'size'> => ({
  name,
  read: (dv, o) => dv.getInt8(o),
  write: (dv, o, v: number) => dv.setInt8(o, v),
});
const u16 = (name: FieldName): Omit<FieldSpec, 'align' | 'size'> => ({
  name,
  read: (dv, o) => dv.getUint16(o, true),
  write: (dv, o, v: number) => dv.setUint16(o, v, true),
});

function spec(align: number, size: number, f: Omit<FieldSpec, 'align' | 'size'>): FieldSpec {
  return { align, size, ...f };
}

/** Alignment and size of every radiotap-namespace field we know, indexed by bit. */
const FIELDS: readonly FieldSpec[] = [
  spec(8, 8, {
    name: 'tsft',
    read: (dv, o) => dv.getBigUint64(o, true),
    write: (dv, o, v: bigint) => dv.setBigUint64(o, v, true),
  }),
  spec(1, 1, u8('flags')),
  spec(1, 1, u8('rate')),
  spec(2, 4, {
    name: 'channel',
    read: (dv, o) => ({ freq: dv.getUint16(o, true), flags: dv.getUint16(o + 2, true) }),
    write: (dv, o, v: { freq: number; flags: number }) => {
      dv.setUint16(o, v.freq, true);
      dv.setUint16(o + 2, v.flags, true);
    },
  }),
  spec(2, 2, {
    name: 'fhss',
    read: (dv, o) => ({ hopSet: dv.getUint8(o), hopPattern: dv.getUint8(o + 1) }),
    write: (dv, o, v: { hopSet: number; hopPattern: number }) => {
      dv.setUint8(o, v.hopSet);
      dv.setUint8(o + 1, v.hopPattern);
    },
  }),
  spec(1, 1, s8('dbmAntSignal')),
  spec(1, 1, s8('dbmAntNoise')),
  spec(2, 2, u16('lockQuality')),
  spec(2, 2, u16('txAttenuation')),
  spec(2, 2, u16('dbTxAttenuation')),
  spec(1, 1, s8('dbmTxPower')),
  spec(1, 1, u8('antenna')),
  spec(1, 1, u8('dbAntSignal')),
  spec(1, 1, u8('dbAntNoise')),
  spec(2, 2, u16('rxFlags')),
  spec(2, 2, u16('txFlags')),
  spec(1, 1, u8('rtsRetries')),
  spec(1, 1, u8('dataRetries')),
  spec(4, 8, {
    name: 'xChannel',
    read: (dv, o) => ({
      flags: dv.getUint32(o, true),
      freq: dv.getUint16(o + 4, true),
      channel: dv.getUint8(o + 6),
      maxPower: dv.getUint8(o + 7),
    }),
    write: (dv, o, v: { flags: number; freq: number; channel: number; maxPower: number }) => {
      dv.setUint32(o, v.flags, true);
      dv.setUint16(o + 4, v.freq, true);
      dv.setUint8(o + 6, v.channel);
      dv.setUint8(o + 7, v.maxPower);
    },
  }),
  spec(1, 3, {
    name: 'mcs',
    read: (dv, o) => ({ known: dv.getUint8(o), flags: dv.getUint8(o + 1), mcs: dv.getUint8(o + 2) }),
    write: (dv, o, v: { known: number; flags: number; mcs: number }) => {
      dv.setUint8(o, v.known);
      dv.setUint8(o + 1, v.flags);
      dv.setUint8(o + 2, v.mcs);
    },
  }),
  spec(4, 8, {
    name: 'ampdu',
    read: (dv, o) => ({
      reference: dv.getUint32(o, true),
      flags: dv.getUint16(o + 4, true),
      delimiterCrc: dv.getUint8(o + 6),
      reserved: dv.getUint8(o + 7),
    }),
    write: (dv, o, v: { reference: number; flags: number; delimiterCrc: number; reserved: number }) => {
      dv.setUint32(o, v.reference, true);
      dv.setUint16(o + 4, v.flags, true);
      dv.setUint8(o + 6, v.delimiterCrc);
      dv.setUint8(o + 7, v.reserved);
    },
  }),
  spec(2, 12, {
    name: 'vht',
    read: (dv, o) => ({
      known: dv.getUint16(o, true),
      flags: dv.getUint8(o + 2),
      bandwidth: dv.getUint8(o + 3),
      mcsNss: [dv.getUint8(o + 4), dv.getUint8(o + 5), dv.getUint8(o + 6), dv.getUint8(o + 7)],
      coding: dv.getUint8(o + 8),
      groupId: dv.getUint8(o + 9),
      partialAid: dv.getUint16(o + 10, true),
    }),
    write: (dv, o, v: NonNullable<RadiotapFields['vht']>) => {
      dv.setUint16(o, v.known, true);
      dv.setUint8(o + 2, v.flags);
      dv.setUint8(o + 3, v.bandwidth);
      for (let i = 0; i < 4; i++) dv.setUint8(o + 4 + i, v.mcsNss[i]);
      dv.setUint8(o + 8, v.coding);
      dv.setUint8(o + 9, v.groupId);
      dv.setUint16(o + 10, v.partialAid, true);
    },
  }),
  spec(8, 12, {
    name: 'timestamp',
    read: (dv, o) => ({
      timestamp: dv.getBigUint64(o, true),
      accuracy: dv.getUint16(o + 8, true),
      unitPosition: dv.getUint8(o + 10),
      flags: dv.getUint8(o + 11),
    }),
    write: (dv, o, v: NonNullable<RadiotapFields['timestamp']>) => {
      dv.setBigUint64(o, v.timestamp, true);
      dv.setUint16(o + 8, v.accuracy, true);
      dv.setUint8(o + 10, v.unitPosition);
      dv.setUint8(o + 11, v.flags);
    },
  }),
  spec(2, 12, {
    name: 'he',
    read: (dv, o) => ({
      data1: dv.getUint16(o, true),
      data2: dv.getUint16(o + 2, true),
      data3: dv.getUint16(o + 4, true),
      data4: dv.getUint16(o + 6, true),
      data5: dv.getUint16(o + 8, true),
      data6: dv.getUint16(o + 10, true),
    }),
    write: (dv, o, v: NonNullable<RadiotapFields['he']>) => {
      const d = [v.data1, v.data2, v.data3, v.data4, v.data5, v.data6];
      for (let i = 0; i < 6; i++) dv.setUint16(o + 2 * i, d[i], true);
    },
  }),
  spec(2, 12, {
    name: 'heMu',
    read: (dv, o) => ({
      flags1: dv.getUint16(o, true),
      flags2: dv.getUint16(o + 2, true),
      ruChannel1: [dv.getUint8(o + 4), dv.getUint8(o + 5), dv.getUint8(o + 6), dv.getUint8(o + 7)],
      ruChannel2: [dv.getUint8(o + 8), dv.getUint8(o + 9), dv.getUint8(o + 10), dv.getUint8(o + 11)],
    }),
    write: (dv, o, v: NonNullable<RadiotapFields['heMu']>) => {
      dv.setUint16(o, v.flags1, true);
      dv.setUint16(o + 2, v.flags2, true);
      for (let i = 0; i < 4; i++) {
        dv.setUint8(o + 4 + i, v.ruChannel1[i]);
        dv.setUint8(o + 8 + i, v.ruChannel2[i]);
      }
    },
  }),
  spec(2, 6, {
    name: 'heMuOtherUser',
    read: (dv, o) => ({
      perUser1: dv.getUint16(o, true),
      perUser2: dv.getUint16(o + 2, true),
      perUserPosition: dv.getUint8(o + 4),
      perUserKnown: dv.getUint8(o + 5),
    }),
    write: (dv, o, v: NonNullable<RadiotapFields['heMuOtherUser']>) => {
      dv.setUint16(o, v.perUser1, true);
      dv.setUint16(o + 2, v.perUser2, true);
      dv.setUint8(o + 4, v.perUserPosition);
      dv.setUint8(o + 5, v.perUserKnown);
    },
  }),
  spec(1, 1, u8('zeroLengthPsdu')),
  spec(2, 4, {
    name: 'lsig',
    read: (dv, o) => ({ data1: dv.getUint16(o, true), data2: dv.getUint16(o + 2, true) }),
    write: (dv, o, v: { data1: number; data2: number }) => {
      dv.setUint16(o, v.data1, true);
      dv.setUint16(o + 2, v.data2, true);
    },
  }),
];

const align = (off: number, a: number) => (off + a - 1) & ~(a - 1);

/** it_len of the radiotap header at buf[off] (no other checks): where the 802.11 frame starts. */
export function radiotapLength(buf: Uint8Array, off = 0): number {
  return buf[off + 2] | (buf[off + 3] << 8);
}

/**
 * Decode the radiotap header at the start of `buf` (the rest of `buf` is the 802.11 frame). Fails with a reason
 * (`radiotap-short`, `radiotap-version`, `radiotap-length`, `radiotap-present-overrun`, `radiotap-field-overrun`,
 * `radiotap-vendor-overrun`, `radiotap-tlv-overrun`) when the header contradicts itself or the packet.
 */
export function decodeRadiotap(buf: Uint8Array): ParseResult<Radiotap> {
  if (buf.length < 8) return fail('radiotap-short', 0, `${buf.length} octets: a radiotap header has at least 8`);
  const version = buf[0];
  if (version !== 0) return fail('radiotap-version', 0, `radiotap version ${version} (only 0 is defined)`);
  const length = radiotapLength(buf);
  if (length < 8) return fail('radiotap-length', 2, `radiotap length ${length} is below the 8-octet minimum`);
  if (length > buf.length)
    return fail('radiotap-length', 2, `radiotap length ${length} exceeds the ${buf.length}-octet packet`);
  const dv = new DataView(buf.buffer, buf.byteOffset, length);
  const presentWords: number[] = [];
  let p = 4;
  for (;;) {
    if (p + 4 > length) return fail('radiotap-present-overrun', p, 'present words run past the radiotap length');
    const w = dv.getUint32(p, true);
    presentWords.push(w);
    p += 4;
    if (!(w & 0x80000000)) break;
  }
  let arg = p;
  const first: RadiotapNamespace = { kind: 'radiotap', fields: {} };
  const namespaces: RadiotapNamespace[] = [first];
  let ns: RadiotapNamespace = first;
  let base = 0;
  let reset = false;
  let next: 'radiotap' | 'vendor' = 'radiotap';
  let pendingVendor: Extract<RadiotapNamespace, { kind: 'vendor' }> | null = null;
  let incomplete: Radiotap['incomplete'] = null;
  let tlvDone = false;
  words: for (let wi = 0; wi < presentWords.length; wi++) {
    const w = presentWords[wi];
    if (wi > 0 && reset) {
      if (next === 'vendor' && pendingVendor) ns = pendingVendor;
      else {
        ns = { kind: 'radiotap', fields: {} };
        namespaces.push(ns);
      }
      base = 0;
      reset = false;
    } else if (wi > 0) base += 32;
    if (ns.kind === 'vendor') ns.presentWords.push(w & 0x1fffffff);
    for (let b = 0; b < 31; b++) {
      if (!(w & (1 << b))) continue;
      if (b === RADIOTAP.RADIOTAP_NAMESPACE) {
        reset = true;
        next = 'radiotap';
        continue;
      }
      if (b === RADIOTAP.VENDOR_NAMESPACE) {
        arg = align(arg, 2);
        if (arg + 6 > length)
          return fail('radiotap-vendor-overrun', arg, 'vendor namespace header runs past the radiotap length');
        const skip = dv.getUint16(arg + 4, true);
        if (arg + 6 + skip > length)
          return fail(
            'radiotap-vendor-overrun',
            arg,
            `vendor namespace data (${skip} octets) runs past the radiotap length`,
          );
        pendingVendor = {
          kind: 'vendor',
          oui: (buf[arg] << 16) | (buf[arg + 1] << 8) | buf[arg + 2],
          subNamespace: buf[arg + 3],
          presentWords: [],
          data: buf.subarray(arg + 6, arg + 6 + skip),
        };
        namespaces.push(pendingVendor);
        arg += 6 + skip;
        reset = true;
        next = 'vendor';
        continue;
      }
      if (ns.kind === 'vendor' || tlvDone) continue; // vendor data was skipped as a whole
      const idx = base + b;
      if (idx === RADIOTAP.TLV) {
        const r = decodeTlvs(buf, align(arg, 4), length);
        if (!r.ok) return r;
        ns.fields.tlvs = r.value;
        arg = length;
        tlvDone = true;
        continue;
      }
      const f = idx < FIELDS.length ? FIELDS[idx] : undefined;
      if (f === undefined) {
        incomplete = { bit: idx, offset: arg };
        break words;
      }
      arg = align(arg, f.align);
      if (arg + f.size > length)
        return fail(
          'radiotap-field-overrun',
          arg,
          `field ${f.name} (bit ${idx}) runs past the radiotap length ${length}`,
        );
      (ns.fields as Record<string, unknown>)[f.name] = f.read(dv, arg);
      arg += f.size;
    }
    if (!(w & 0x80000000)) break;
  }
  const trailing = incomplete ? null : buf.subarray(Math.min(arg, length), length);
  return ok({ version, pad: buf[1], length, presentWords, namespaces, fields: first.fields, incomplete, trailing });
}

function decodeTlvs(buf: Uint8Array, p: number, end: number): ParseResult<{ type: number; data: Uint8Array }[]> {
  const out: { type: number; data: Uint8Array }[] = [];
  while (p < end) {
    if (p + 4 > end) return fail('radiotap-tlv-overrun', p, 'TLV header runs past the radiotap length');
    const type = buf[p] | (buf[p + 1] << 8);
    const len = buf[p + 2] | (buf[p + 3] << 8);
    if (p + 4 + len > end)
      return fail('radiotap-tlv-overrun', p, `TLV ${type} of ${len} octets runs past the radiotap length`);
    out.push({ type, data: buf.subarray(p + 4, p + 4 + len) });
    p = align(p + 4 + len, 4);
  }
  return ok(out);
}

/** Present bits of a radiotap namespace's fields. */
function fieldBits(f: RadiotapFields): number {
  let w = 0;
  FIELDS.forEach((s, i) => {
    if (f[s.name] !== undefined) w |= 1 << i;
  });
  if (f.tlvs !== undefined) w |= 1 << RADIOTAP.TLV;
  return w >>> 0;
}

/**
 * Encode a radiotap header (zero padding; one present word per radiotap namespace, the vendor namespaces' own
 * words). `namespaces` defaults to one radiotap namespace with `fields`; `trailing` octets go after the last field.
 */
export function encodeRadiotap(r: {
  fields?: RadiotapFields;
  namespaces?: RadiotapNamespace[];
  pad?: number;
  trailing?: Uint8Array | null;
}): Uint8Array {
  const nss: RadiotapNamespace[] = r.namespaces ?? [{ kind: 'radiotap', fields: r.fields ?? {} }];
  if (nss.length === 0 || nss[0].kind !== 'radiotap')
    throw new Error('radiotap: the first namespace must be the radiotap one');
  const own = nss.map((ns) =>
    ns.kind === 'radiotap' ? [fieldBits(ns.fields)] : ns.presentWords.map((w) => w & 0x1fffffff),
  );
  const words: number[] = [];
  nss.forEach((ns, i) => {
    const ws = own[i];
    const nx = nss[i + 1];
    if (ns.kind === 'radiotap' && ns.fields.tlvs !== undefined && nx)
      throw new Error('radiotap: TLVs must be in the last namespace');
    if (nx) {
      if (ws.length === 0) throw new Error('radiotap: a vendor namespace without present words must be the last');
      ws[ws.length - 1] |= nx.kind === 'radiotap' ? 1 << 29 : 1 << 30;
      if (own[i + 1].length > 0) ws[ws.length - 1] |= 0x80000000;
    }
    for (let k = 0; k < ws.length - 1; k++) ws[k] |= 0x80000000;
    for (const w of ws) words.push(w >>> 0);
  });
  // Two passes: measure, then write.
  const write = (out: DataView | null): number => {
    let p = 4 + 4 * words.length;
    nss.forEach((ns, i) => {
      if (ns.kind === 'radiotap') {
        FIELDS.forEach((s) => {
          const v = ns.fields[s.name];
          if (v === undefined) return;
          p = align(p, s.align);
          if (out) s.write(out, p, v as never);
          p += s.size;
        });
        if (ns.fields.tlvs) {
          p = align(p, 4);
          for (const t of ns.fields.tlvs) {
            if (out) {
              out.setUint16(p, t.type, true);
              out.setUint16(p + 2, t.data.length, true);
              new Uint8Array(out.buffer, out.byteOffset + p + 4, t.data.length).set(t.data);
            }
            p = align(p + 4 + t.data.length, 4);
          }
        }
      }
      const nx = nss[i + 1];
      if (nx && nx.kind === 'vendor') {
        p = align(p, 2);
        if (out) {
          out.setUint8(p, nx.oui >>> 16);
          out.setUint8(p + 1, (nx.oui >>> 8) & 0xff);
          out.setUint8(p + 2, nx.oui & 0xff);
          out.setUint8(p + 3, nx.subNamespace);
          out.setUint16(p + 4, nx.data.length, true);
          new Uint8Array(out.buffer, out.byteOffset + p + 6, nx.data.length).set(nx.data);
        }
        p += 6 + nx.data.length;
      }
    });
    if (r.trailing) {
      if (out) new Uint8Array(out.buffer, out.byteOffset + p, r.trailing.length).set(r.trailing);
      p += r.trailing.length;
    }
    return p;
  };
  const len = write(null);
  if (len > 0xffff) throw new Error(`radiotap header of ${len} octets exceeds 65535`);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  out[1] = r.pad ?? 0;
  dv.setUint16(2, len, true);
  for (let i = 0; i < words.length; i++) dv.setUint32(4 + 4 * i, words[i], true);
  write(dv);
  return out;
}
