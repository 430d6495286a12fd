import { describe, expect, it } from 'vitest';
import type { RadioRate, RadioRxInfo } from '../mt7921u/emulator/radio.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { chandef } from './chan.ts';
import { EmulatorRadioAdapter, rateFromRadio, rateToRadio } from './emulator-radio.ts';
import { Medium } from './medium.ts';
import { dataFrame, mac, seqOf } from './testing.ts';

function world() {
  const clock = new VirtualClock();
  const medium = new Medium({ clock, seed: 2 });
  const chip = new EmulatorRadioAdapter(medium.attach(mac(1)));
  const peer = medium.attach(mac(2), { chandef: chandef('5g', 44, 80) });
  const heard: { frame: Uint8Array; rate: unknown }[] = [];
  peer.onReceive = (frame, info) => {
    heard.push({ frame: Uint8Array.from(frame), rate: { ...info.rate } });
    return peer.wouldAck(frame);
  };
  return { clock, medium, chip, peer, heard };
}

describe('EmulatorRadioAdapter', () => {
  it('translates rates both ways', () => {
    const rates: RadioRate[] = [
      { mode: 'cck', mbps: 5.5, shortPreamble: true },
      { mode: 'ofdm', mbps: 54 },
      { mode: 'ht', mcs: 15, nss: 2, width: 40, sgi: true },
      { mode: 'vht', mcs: 9, nss: 2, width: 80, sgi: false },
      { mode: 'he', mcs: 11, nss: 2, width: 160, sgi: true },
    ];
    for (const r of rates) expect(rateToRadio(rateFromRadio(r), r.mode === 'cck')).toEqual(r);
    expect(rateFromRadio({ mode: 'cck', mbps: 5.5 })).toMatchObject({ mode: 'cck', rate: 55 });
  });

  it('tunes, transmits with the retry options and reports (acked, retries)', () => {
    const { clock, chip, heard } = world();
    chip.tune({ band: '5g', number: 44, width: 80 });
    const done: [boolean, number][] = [];
    const he: RadioRate = { mode: 'he', mcs: 11, nss: 2, width: 80, sgi: true };
    chip.transmit(dataFrame(mac(2), mac(1), 100, 1), he, { noAck: false, retryLimit: 3 }, (a, r) => done.push([a, r]));
    chip.transmit(dataFrame(mac(7), mac(1), 100, 2), he, { noAck: false, retryLimit: 2 }, (a, r) => done.push([a, r]));
    chip.transmit(dataFrame(mac(7), mac(1), 100, 3), he, { noAck: true, retryLimit: 2 }, (a, r) => done.push([a, r]));
    clock.runUntilIdle();
    expect(done).toEqual([
      [true, 0],
      [false, 2],
      [false, 0],
    ]);
    expect(heard.map((h) => seqOf(h.frame))).toEqual([1, 2, 2, 2, 3]);
    expect(heard[0]!.rate).toEqual({ mode: 'he', rate: 11, nss: 2, bw: 80, sgi: true });
  });

  it("delivers frames with channel, RSSI, SNR and rate; the receiver's answer is the ACK", () => {
    const { clock, medium, chip, peer } = world();
    chip.tune({ band: '5g', number: 44 });
    medium.setLink(peer, chip.port, { snr: 31 });
    const got: RadioRxInfo[] = [];
    chip.setReceiver((f, info) => {
      got.push(info);
      return f[4] === 0x02 && f[9] === 0x01;
    });
    const acked: boolean[] = [];
    peer.onTxComplete = (_c, _f, r) => acked.push(r.acked);
    peer.transmit(dataFrame(mac(1), mac(2)), { rate: { mode: 'vht', rate: 9, nss: 2, bw: 80, sgi: true } });
    peer.transmit(dataFrame(mac(3), mac(2)), {
      rate: { mode: 'ofdm', rate: 240, nss: 1, bw: 20, sgi: false },
      retryLimit: 0,
    });
    clock.runUntilIdle();
    expect(got[0]).toEqual({
      channel: { band: '5g', number: 44, width: 20 },
      rssiDbm: -64,
      snrDb: 31,
      rate: { mode: 'vht', mcs: 9, nss: 2, width: 80, sgi: true },
    });
    expect(got[1]!.rate).toEqual({ mode: 'ofdm', mbps: 24 });
    expect(acked).toEqual([true, false]);
    chip.setReceiver(null);
    peer.transmit(dataFrame(mac(1), mac(2)), {
      rate: { mode: 'ofdm', rate: 60, nss: 1, bw: 20, sgi: false },
      retryLimit: 1,
    });
    clock.runUntilIdle();
    expect(acked.at(-1)).toBe(false); // nobody home: no ACK
  });

  it('corrupted frames reach the emulator flagged fcsError and are never acknowledged', () => {
    const { clock, medium, chip, peer } = world();
    chip.tune({ band: '5g', number: 44 });
    medium.faults.add({ kind: 'corrupt', count: 1 });
    const got: RadioRxInfo[] = [];
    chip.setReceiver((_f, info) => {
      got.push(info);
      return true;
    });
    const results: [boolean, number][] = [];
    peer.onTxComplete = (_c, _f, r) => results.push([r.acked, r.retries]);
    peer.transmit(dataFrame(mac(1), mac(2)), { rate: { mode: 'ofdm', rate: 60, nss: 1, bw: 20, sgi: false } });
    clock.runUntilIdle();
    expect(got.map((i) => i.fcsError === true)).toEqual([true, false]);
    expect(results).toEqual([[true, 1]]);
  });
});
