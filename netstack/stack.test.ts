import { describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from './core/clock.ts';
import { RecordingDevice } from './link/recording.ts';
import { Stack } from './stack.ts';
import { decodeFrame } from './testing/host.ts';

function stack() {
  const clock = new VirtualClock();
  const s = new Stack({ clock, name: 'h' });
  const dev = s.addDevice(new RecordingDevice('eth0', Buffer.from('020000000001', 'hex')));
  return { clock, s, dev };
}

describe('Stack configuration', () => {
  it('says what is wrong with a configuration, and how to fix it', () => {
    const { s, dev } = stack();
    expect(() => s.addAddress('eth9', '10.0.0.1/24')).toThrow(/no device named eth9 \(devices: lo, eth0\)/);
    expect(() => s.addAddress(dev, '10.0.0/24')).toThrow(/not an IPv4 address/);
    expect(() => s.addAddress(dev, '10.0.0.255/24')).toThrow(/broadcast address of its subnet/);
    s.addAddress(dev, '10.0.0.1/24');
    expect(() => s.addAddress(dev, '10.0.0.1/16')).toThrow(/already assigned/);
    expect(() => s.addRoute({ dst: 'default', via: '192.168.1.1' })).toThrow(/not on a connected subnet/);
    expect(() => s.addDevice(new RecordingDevice('eth0'))).toThrow(/already exists/);
  });

  it('has a loopback device with 127.0.0.1/8, connected routes, and a replaceable default gateway', () => {
    const { s, dev } = stack();
    s.addAddress(dev, '10.0.0.1/24');
    s.setDefaultGateway('10.0.0.254');
    s.setDefaultGateway('10.0.0.253');
    expect(s.addresses()).toEqual(['lo 127.0.0.1/8', 'eth0 10.0.0.1/24']);
    expect(s.routes()).toEqual([
      '10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1',
      '127.0.0.0/8 dev lo proto kernel scope link src 127.0.0.1',
      'default via 10.0.0.253 dev eth0 proto static',
    ]);
    s.removeAddress(dev, '10.0.0.1/24');
    expect(s.routes()).toEqual(['127.0.0.0/8 dev lo proto kernel scope link src 127.0.0.1']);
  });

  it('announces its addresses again when the MAC changes', () => {
    const { clock, s, dev } = stack();
    s.addAddress(dev, '10.0.0.1/24');
    clock.runUntilIdle();
    dev.take();
    s.setMac(dev, Buffer.from('02000000abcd', 'hex'));
    clock.runUntilIdle();
    const [g] = dev.take().map(decodeFrame);
    expect(Buffer.from(g!.eth.src).toString('hex')).toBe('02000000abcd');
    expect(g!.arp).toMatchObject({ op: 1 });
  });

  it('reports every layer in snmp() and as /proc/net/snmp-style text, with sections from other protocols', () => {
    const { s } = stack();
    s.addSnmpSection('Tcp', () => ({ ActiveOpens: 3 }));
    const snmp = s.snmp();
    for (const k of ['Ip', 'IpExt', 'Icmp', 'IcmpMsg', 'Udp', 'Arp', 'Eth', 'Softnet', 'devices', 'Tcp']) {
      expect(snmp).toHaveProperty(k);
    }
    expect(snmp.Ip).toMatchObject({ Forwarding: 2, DefaultTTL: 64 });
    const text = s.formatSnmp();
    expect(text).toMatch(/^Ip: Forwarding DefaultTTL InReceives/m);
    expect(text).toMatch(/^Tcp: ActiveOpens\nTcp: 3$/m);
    expect(text).toMatch(/^eth0: rx 0 pkts/m);
  });
});

describe('Stack randomness', () => {
  it('is reproducible by name on a virtual clock and unguessable on a real one', () => {
    const v1 = new Stack({ clock: new VirtualClock(), name: 'h' });
    const v2 = new Stack({ clock: new VirtualClock(), name: 'h' });
    expect(v1.rng.nextU32()).toBe(v2.rng.nextU32());
    const r1 = new Stack({ clock: new RealClock(), name: 'h' });
    const r2 = new Stack({ clock: new RealClock(), name: 'h' });
    expect([r1.rng.nextU32(), r1.rng.nextU32()]).not.toEqual([r2.rng.nextU32(), r2.rng.nextU32()]);
  });
});
