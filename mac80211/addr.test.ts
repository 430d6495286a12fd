import { describe, expect, it } from 'vitest';
import {
  isBroadcastAddr,
  isMulticastAddr,
  isZeroAddr,
  macCopy,
  macEqual,
  macEquals,
  macFromString,
  macToString,
} from './addr.ts';

describe('MAC addresses', () => {
  it('macCopy is a private copy even of a Buffer view (Buffer#slice would share the bytes)', () => {
    const frame = Buffer.from([0xaa, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xbb]);
    const a = macCopy(frame.subarray(1, 7));
    const b = macCopy(frame, 1);
    frame.fill(0);
    expect(macToString(a)).toBe('02:00:00:00:00:01');
    expect(macToString(b)).toBe('02:00:00:00:00:01');
    expect(a.length).toBe(6);
  });

  it('formats, parses and compares', () => {
    const a = macFromString(' 02-0A-00-00-00-FF ');
    expect(macToString(a)).toBe('02:0a:00:00:00:ff');
    expect(macToString(Uint8Array.of(9, 9, 2, 0, 0, 0, 0, 1), 2)).toBe('02:00:00:00:00:01');
    expect(() => macFromString('02:00:00:00:00')).toThrow(/not a MAC address/);
    expect(macEquals(a, macFromString('02:0a:00:00:00:ff'))).toBe(true);
    expect(macEqual(Uint8Array.of(0, ...a), 1, a)).toBe(true);
    expect(macEquals(a, macFromString('02:0a:00:00:00:fe'))).toBe(false);
    expect([isMulticastAddr(a), isBroadcastAddr(a), isZeroAddr(a)]).toEqual([false, false, false]);
    expect(isBroadcastAddr(macFromString('ff:ff:ff:ff:ff:ff'))).toBe(true);
    expect(isMulticastAddr(macFromString('01:00:5e:00:00:01'))).toBe(true);
    expect(isZeroAddr(new Uint8Array(6))).toBe(true);
  });
});
