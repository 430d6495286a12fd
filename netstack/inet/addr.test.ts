import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatIpv4,
  formatMac,
  maskToPrefix,
  parseCidr,
  parseIpv4,
  parseMac,
  tryParseMac,
  prefixMask,
  tryParseIpv4,
} from './addr.ts';

describe('IPv4 address helpers', () => {
  it('parse and format round-trip every address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => {
        expect(parseIpv4(formatIpv4(a))).toBe(a);
      }),
    );
  });

  it('reads dotted quads as host-order numbers', () => {
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIpv4(0xc0a80101)).toBe('192.168.1.1');
  });

  it('rejects what is not an address, with a message that says so', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', 'a.b.c.d', '1.2.3.-4', '1..2.3', ' 1.2.3.4']) {
      expect(tryParseIpv4(bad)).toBeNull();
      expect(() => parseIpv4(bad)).toThrow(/not an IPv4 address/);
    }
    fc.assert(fc.property(fc.string(), (s) => void tryParseIpv4(s)));
  });

  it('parses CIDR notation and checks the prefix', () => {
    expect(parseCidr('10.0.0.1/24')).toEqual({ addr: 0x0a000001, prefixLen: 24 });
    expect(parseCidr('10.0.0.1')).toEqual({ addr: 0x0a000001, prefixLen: 32 });
    expect(() => parseCidr('10.0.0.1/33')).toThrow(/prefix length/);
    expect(() => parseCidr('10.0.0/8')).toThrow(/not an IPv4 address/);
  });

  it('converts between masks and prefix lengths', () => {
    for (let l = 0; l <= 32; l++) expect(maskToPrefix(prefixMask(l))).toBe(l);
    expect(prefixMask(24)).toBe(0xffffff00);
    expect(maskToPrefix(0xff00ff00)).toBe(-1);
  });
});

describe('MAC address helpers', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (m) => {
        expect([...parseMac(formatMac(m))]).toEqual([...m]);
      }),
    );
    expect(() => parseMac('02:00:00:00:00')).toThrow(/not a MAC address/);
  });

  it('tryParseMac takes ":" or "-" and returns null for anything else', () => {
    expect([...tryParseMac('02-0a-b:00:00:ff')!]).toEqual([2, 10, 11, 0, 0, 255]);
    for (const bad of ['', '02:00:00:00:00', '02:00:00:00:00:00:00', '02:00:00:00:00:xy', '02:00:00:00:00:100']) {
      expect(tryParseMac(bad)).toBeNull();
    }
    fc.assert(fc.property(fc.string(), (s) => void tryParseMac(s)));
  });
});
