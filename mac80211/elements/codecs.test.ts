import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildExtCapabilities,
  buildTim,
  countryCode,
  countryCodec,
  decodeEhtCapabilities,
  decodeHePpeThresholds,
  EXT_CAP,
  ehtCapabilitiesCodec,
  ELEMENT_CODECS,
  encodeElement,
  extCapabilitiesCodec,
  extCapBit,
  extCapField,
  heCapabilitiesCodec,
  heOperationCodec,
  hePpeThresholdsLength,
  rateToString,
  splitRates,
  ssidCodec,
  ssidFromString,
  ssidToDisplay,
  supportedRatesCodec,
  timAids,
  timCodec,
  timHasAid,
  VENDOR_CODECS,
  wmmParameterCodec,
  wpsCodec,
  wpsVersion2,
} from './index.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

describe('every element codec', () => {
  for (const codec of ELEMENT_CODECS) {
    it(`${codec.name}: random and truncated bodies never throw; an accepted body re-encodes to itself`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (body) => {
          const r = codec.decode(body);
          if (r.ok) expect(codec.encode(r.value)).toEqual(body);
          else expect(r.reason).toMatch(/^[a-z-]+$/);
        }),
        { numRuns: 300 },
      );
    });
  }
  for (const codec of VENDOR_CODECS) {
    it(`${codec.name} (vendor ${codec.oui.toString(16)}:${codec.type}): same properties`, () => {
      const head = [
        codec.oui >>> 16,
        (codec.oui >>> 8) & 0xff,
        codec.oui & 0xff,
        codec.type,
        ...(codec.subtype === undefined ? [] : [codec.subtype]),
      ];
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 60 }), fc.nat(head.length), (tail, keep) => {
          const body = Uint8Array.from([...head.slice(0, keep), ...tail]);
          const r = codec.decode(body);
          if (r.ok) expect(codec.encode(r.value)).toEqual(body);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('SSID', () => {
  it('keeps the octets and displays non-UTF-8 SSIDs unambiguously', () => {
    const gb2312 = hex('b2e2cad4');
    const r = ssidCodec.decode(gb2312);
    expect(r.ok && r.value.ssid).toEqual(gb2312);
    expect(ssidToDisplay(gb2312)).toBe('\\xb2\\xe2\\xca\\xd4');
    expect(ssidToDisplay(ssidFromString('Wi-Co'))).toBe('Wi-Co');
    expect(ssidToDisplay(ssidFromString('café ☕'))).toBe('café ☕');
    expect(ssidToDisplay(Uint8Array.of(0x61, 0, 0x5c, 0x0a))).toBe('a\\x00\\\\\\x0a');
    expect(ssidCodec.decode(new Uint8Array(33)).ok).toBe(false);
    expect(() => ssidFromString('x'.repeat(33))).toThrow(/32/);
    expect(Array.from(encodeElement(ssidCodec, { ssid: new Uint8Array(0) }))).toEqual([0, 0]);
  });

  it('display is injective', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0) expect(ssidToDisplay(a)).not.toBe(ssidToDisplay(b));
      }),
    );
  });
});

describe('rates', () => {
  it('decodes basic rates and BSS membership selectors, and splits long lists', () => {
    const r = supportedRatesCodec.decode(hex('8c129824b048606c'));
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.rates.map(rateToString)).toEqual(['6(B)', '9', '12(B)', '18', '24(B)', '36', '48', '54']);
    expect(rateToString({ value: 127, basic: true })).toBe('HT PHY');
    expect(rateToString({ value: 11, basic: false })).toBe('5.5');
    const all = Array.from({ length: 12 }, (_, i) => ({ value: 2 * (i + 1), basic: i < 2 }));
    const { supported, extended } = splitRates(all);
    expect(supported.rates).toHaveLength(8);
    expect(extended?.rates).toHaveLength(4);
    expect(supportedRatesCodec.decode(new Uint8Array(0)).ok).toBe(false);
  });
});

describe('TIM', () => {
  it('encodes the shortest partial virtual bitmap (802.11-2020 9.4.2.5)', () => {
    expect(timCodec.encode(buildTim({ dtimCount: 0, dtimPeriod: 3, groupTraffic: true, aids: [] }))).toEqual(
      hex('00030100'),
    );
    expect(timCodec.encode(buildTim({ dtimCount: 1, dtimPeriod: 3, groupTraffic: false, aids: [1] }))).toEqual(
      hex('01030002'),
    );
    // AIDs 20 and 100: octets 2 and 12; N1 = 2 (even), bitmap octets 2..12.
    const t = buildTim({ dtimCount: 2, dtimPeriod: 3, groupTraffic: false, aids: [100, 20] });
    expect(t.bitmapControl).toBe(2);
    expect(t.partialVirtualBitmap.length).toBe(11);
    expect(timAids(t)).toEqual([20, 100]);
    // Octet 3 (AID 24..31) first: N1 rounds down to 2.
    expect(buildTim({ dtimCount: 0, dtimPeriod: 1, groupTraffic: false, aids: [25] }).bitmapControl).toBe(2);
    expect(() => buildTim({ dtimCount: 0, dtimPeriod: 1, groupTraffic: false, aids: [2008] })).toThrow(RangeError);
  });

  it('round-trips AID sets and answers per AID', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 2007 }), { maxLength: 20 }), fc.boolean(), (aids, group) => {
        const t = buildTim({ dtimCount: 0, dtimPeriod: 2, groupTraffic: group, aids });
        const r = timCodec.decode(timCodec.encode(t));
        if (!r.ok) throw new Error(r.detail);
        expect(timAids(r.value)).toEqual([...aids].sort((a, b) => a - b));
        for (const a of aids) expect(timHasAid(r.value, a)).toBe(true);
        expect(timHasAid(r.value, 0)).toBe(false);
        expect(r.value.bitmapControl & 1).toBe(group ? 1 : 0);
        expect((r.value.bitmapControl & 0xfe) % 2).toBe(0);
        // Minimal: N1 is the even index at or just below the first non-zero octet, which ends the bitmap's zeros.
        if (aids.length) expect(r.value.partialVirtualBitmap[0] | r.value.partialVirtualBitmap[1]).not.toBe(0);
        if (aids.length) expect(r.value.partialVirtualBitmap.at(-1)).not.toBe(0);
      }),
    );
  });

  it('rejects short and overlong bitmaps', () => {
    expect(timCodec.decode(hex('000100')).ok).toBe(false);
    const long = new Uint8Array(3 + 251);
    long[2] = 2;
    expect(timCodec.decode(long)).toMatchObject({ ok: false, reason: 'bad-length' });
  });
});

describe('country', () => {
  it('decodes subband triplets, operating triplets and the pad octet', () => {
    const body = hex('555320 010b1e 240414 c9 0c 00 00');
    const r = countryCodec.decode(body);
    if (!r.ok) throw new Error(r.detail);
    expect(countryCode(r.value)).toBe('US');
    expect(r.value.entries).toEqual([
      { kind: 'subband', firstChannel: 1, numChannels: 11, maxTxPower: 30 },
      { kind: 'subband', firstChannel: 36, numChannels: 4, maxTxPower: 20 },
      { kind: 'operating', extensionId: 201, operatingClass: 12, coverageClass: 0 },
    ]);
    expect(r.value.pad).toBe(0);
    expect(countryCodec.encode(r.value)).toEqual(body);
    expect(countryCodec.decode(hex('55532001')).ok).toBe(true);
    expect(countryCodec.decode(hex('5553200102')).ok).toBe(false);
  });
});

describe('extended capabilities', () => {
  it('reads bits and multi-bit fields, past the end as zero', () => {
    const c = buildExtCapabilities([
      EXT_CAP.EXT_CHANNEL_SWITCHING,
      EXT_CAP.INTERWORKING,
      EXT_CAP.OPERATING_MODE_NOTIFICATION,
      EXT_CAP.TWT_REQUESTER,
    ]);
    expect(Buffer.from(c.bits).toString('hex')).toBe('04000080000000400020');
    expect(extCapBit(c, EXT_CAP.TWT_REQUESTER)).toBe(true);
    expect(extCapBit(c, EXT_CAP.BSS_TRANSITION)).toBe(false);
    expect(extCapBit(c, EXT_CAP.BEACON_PROTECTION)).toBe(false);
    expect(extCapField({ bits: hex('0000000000000080 01') }, EXT_CAP.MAX_MSDUS_IN_AMSDU, 2)).toBe(3);
    expect(extCapabilitiesCodec.decode(new Uint8Array(0)).ok).toBe(false);
  });
});

describe('HE', () => {
  it('sizes the MCS maps from the channel width set and the PPE thresholds from their header', () => {
    // Intel AX210 (wlanpi-profiler): 160 MHz maps present, PPE thresholds present (NSS 2, RU mask 0b0011).
    expect(hePpeThresholdsLength(0x19)).toBe(Math.ceil((7 + 6 * 2 * 2) / 8));
    const ppe = decodeHePpeThresholds(hex('7b1cc7711cc7711c'));
    expect(ppe.nss).toBe(4);
    expect(ppe.ruIndexBitmask).toBe(0xf);
    expect(ppe.thresholds).toHaveLength(16);
    const minimal = hex('000000000000 0000000000000000000000 fffa fffa');
    const r = heCapabilitiesCodec.decode(minimal);
    expect(r.ok && r.value.mcs160).toBeNull();
    const with160 = Uint8Array.from([...minimal]);
    with160[6] = 0x08; // channel width set B2 (160 MHz in 5 GHz)
    expect(heCapabilitiesCodec.decode(with160)).toMatchObject({ ok: false, reason: 'bad-length' });
    expect(heCapabilitiesCodec.decode(Uint8Array.from([...with160, 0xfa, 0xff, 0xfa, 0xff])).ok).toBe(true);
  });

  it('decodes HE Operation with its optional VHT and 6 GHz parts', () => {
    // params: VHT info present (B14), 6 GHz info present (B17); BSS color 5; basic MCS fffc.
    const body = hex('00400205 fcff 012a00 25020707 01'.replace(/ /g, ''));
    const fixed = hex(`004002 05 fcff 012a00 250207 0701`);
    for (const b of [body, fixed]) {
      const r = heOperationCodec.decode(b);
      if (!r.ok) continue;
      expect(heOperationCodec.encode(r.value)).toEqual(b);
    }
    const r = heOperationCodec.decode(fixed);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.bssColor).toBe(5);
    expect(r.value.vhtOperationInformation).toEqual({ channelWidth: 1, ccfs0: 42, ccfs1: 0 });
    expect(r.value.sixGhzOperationInformation).toMatchObject({
      primaryChannel: 0x25,
      channelWidth: 2,
      channelCenterFrequencySegment0: 7,
    });
  });
});

describe('EHT', () => {
  it('decodes the OnePlus 11 EHT Capabilities (wlanpi-profiler) with and without the HE context', () => {
    const body = hex('0700e06f09001036880e03222222222222');
    for (const r of [
      ehtCapabilitiesCodec.decode(body),
      decodeEhtCapabilities(body, { heChannelWidthSet: 0x06, fromAp: false }),
    ]) {
      if (!r.ok) throw new Error(r.detail);
      expect(r.value.mac.epcsPriorityAccessSupport).toBe(1);
      expect(r.value.mac.ehtOmControlSupport).toBe(1);
      expect(r.value.mac.triggeredTxopSharingMode1Support).toBe(1);
      expect(r.value.phy.support320MHzIn6GHz).toBe(0);
      expect(r.value.phy.suBeamformee).toBe(1);
      expect(r.value.phy.ppeThresholdsPresent).toBe(0);
      expect(Buffer.from(r.value.mcsNss.le80MHz ?? []).toString('hex')).toBe('222222');
      expect(Buffer.from(r.value.mcsNss.bw160MHz ?? []).toString('hex')).toBe('222222');
      expect(r.value.mcsNss.bw320MHz).toBeNull();
      expect(r.value.extra.length).toBe(0);
    }
    // A 20 MHz-only station sends four octets.
    const only20 = decodeEhtCapabilities(hex('0000 000000000000000000 11111111'), {
      heChannelWidthSet: 0,
      fromAp: false,
    });
    expect(only20.ok && only20.value.mcsNss.only20MHz?.length).toBe(4);
  });
});

describe('vendor elements', () => {
  it('WMM Parameter element: four AC records', () => {
    const body = hex('0050f2 02 01 01 80 00 03a40000 27a40000 42435e00 62322f00');
    const r = wmmParameterCodec.decode(body);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.ac.map((a) => [a.aciAifsn & 0xf, a.ecw & 0xf, a.ecw >> 4, a.txopLimit])).toEqual([
      [3, 4, 10, 0],
      [7, 4, 10, 0],
      [2, 3, 4, 94],
      [2, 2, 3, 47],
    ]);
    expect(wmmParameterCodec.encode(r.value)).toEqual(body);
  });

  it('WPS: attributes and the WPS 2.0 version from the WFA vendor extension', () => {
    const body = hex('0050f204 104a000110 1044000102 1049000600372a000120');
    const r = wpsCodec.decode(body);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.attributes.map((a) => a.type)).toEqual([0x104a, 0x1044, 0x1049]);
    expect(wpsVersion2(r.value)).toBe(0x20);
    expect(wpsCodec.decode(hex('0050f204 104a0005 10'))).toMatchObject({ ok: false, reason: 'element-overrun' });
  });
});
