import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RateInfo } from '../../mac80211/driver-ops.ts';
import { decodeRadiotap } from '../../mac80211/radiotap.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { MemorySink, PcapngWriter } from '../../netstack/pcap/pcapng-writer.ts';
import { haveTshark, tshark, tsharkCheck } from '../../test/support/tshark.ts';
import { chandef } from './chan.ts';
import { Medium } from './medium.ts';
import { type CaptureWriter, RadiotapMonitor } from './monitor.ts';
import { BROADCAST, CCK1, dataFrame, HT7, mac, OFDM6 } from './testing.ts';

const HE: RateInfo = { mode: 'he', rate: 9, nss: 2, bw: 80, sgi: true };
const VHT: RateInfo = { mode: 'vht', rate: 7, nss: 1, bw: 40, sgi: false };

/** Traffic of every kind on two channels: broadcast, acked unicast, unacked unicast (retries), all rate modes. */
function scenario(writer: CaptureWriter, opts: { freq?: number } = {}) {
  const clock = new VirtualClock();
  const medium = new Medium({ clock, seed: 9 });
  const mon = new RadiotapMonitor(medium, writer, { freq: opts.freq ?? null });
  const a = medium.attach(mac(1), { chandef: chandef('5g', 36, 80) });
  const b = medium.attach(mac(2), { chandef: chandef('5g', 36, 80) });
  const c = medium.attach(mac(3), { chandef: chandef('2g', 6) });
  const d = medium.attach(mac(4), { chandef: chandef('2g', 6) });
  for (const p of [a, b, c, d]) p.onReceive = (f) => p.wouldAck(f);
  const beacon = dataFrame(BROADCAST, mac(1), 60);
  beacon[0] = 0x80;
  beacon.fill(0, 24);
  beacon[32] = 100; // beacon interval
  a.transmit(beacon, { rate: OFDM6, tsfOffset: 24 });
  a.transmit(dataFrame(mac(2), mac(1), 300, 1), { rate: HE });
  a.transmit(dataFrame(mac(2), mac(1), 300, 2), { rate: VHT });
  b.transmit(dataFrame(mac(1), mac(2), 300, 3), { rate: HT7 });
  a.transmit(dataFrame(mac(9), mac(1), 100, 4), { rate: OFDM6, retryLimit: 2 }); // nobody: 3 tries, no ACK
  c.transmit(dataFrame(mac(4), mac(3), 100, 5), { rate: CCK1 });
  c.transmit(dataFrame(mac(4), mac(3), 100, 6), { rate: { ...CCK1, rate: 110 }, shortPreamble: true });
  clock.runUntilIdle();
  return { mon, medium };
}

class ListWriter implements CaptureWriter {
  readonly packets: { ifId: number; t: number; bytes: Uint8Array }[] = [];
  addInterface(): number {
    return 0;
  }
  writePacket(ifId: number, t: number, buf: Uint8Array, off = 0, len = buf.length - off): void {
    this.packets.push({ ifId, t, bytes: buf.slice(off, off + len) });
  }
}

describe('RadiotapMonitor', () => {
  it('records every try and every ACK on air, with radiotap metadata', () => {
    const w = new ListWriter();
    const { mon } = scenario(w);
    // 1 beacon + 3 acked unicast at 5 GHz + 3 tries unacked + 2 acked at 2.4 GHz = 9 frames; 5 ACKs
    expect(mon.frames).toBe(9);
    expect(mon.acks).toBe(5);
    expect(w.packets).toHaveLength(14);
    const times = w.packets.map((p) => p.t);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    const rt = decodeRadiotap(w.packets[0]!.bytes);
    if (!rt.ok) throw new Error(JSON.stringify(rt));
    expect(rt.value.fields).toMatchObject({ channel: { freq: 5180 }, dbmAntSignal: -55, dbmAntNoise: -95, rate: 12 });
  });

  it('a monitor on one channel sees only that channel', () => {
    const w = new ListWriter();
    const { mon } = scenario(w, { freq: 2437 });
    expect(mon.frames).toBe(2);
    expect(mon.acks).toBe(2);
  });

  it.skipIf(!haveTshark())('writes pcapng (radiotap, link type 127) that tshark reads with no malformed frame', () => {
    const sink = new MemorySink();
    const writer = new PcapngWriter(sink);
    scenario(writer);
    writer.close();
    const file = join(mkdtempSync(join(tmpdir(), 'hwsim-')), 'air.pcapng');
    writeFileSync(file, sink.bytes());
    const rep = tsharkCheck(file);
    expect(rep.malformed).toEqual([]);
    expect(rep.ok).toBe(true);
    expect(rep.packets).toBe(14);
    const rows = tshark([
      '-n',
      '-o',
      'wlan.check_checksum:TRUE',
      '-r',
      file,
      '-T',
      'fields',
      '-E',
      'separator=,',
      '-e',
      'wlan.fc.type_subtype',
      '-e',
      'radiotap.channel.freq',
      '-e',
      'wlan.fcs.status',
      '-e',
      'wlan.fc.retry',
      '-e',
      'wlan_radio.phy',
    ])
      .trim()
      .split('\n');
    const frames = rows.filter((r) => !r.startsWith('0x001d')); // ACKs
    // Channels run in parallel, so their frames interleave: count per channel.
    const freqs = frames.map((r) => r.split(',')[1]);
    expect([freqs.filter((f) => f === '5180').length, freqs.filter((f) => f === '2437').length]).toEqual([7, 2]);
    // FCS good everywhere (tshark checks it: 1 = good), Retry bit on the two retries of the unanswered frame.
    expect(rows.map((r) => r.split(',')[2])).toEqual(rows.map(() => '1'));
    expect(frames.filter((r) => r.split(',')[3] === '1')).toHaveLength(2);
    // PHY as tshark derives it from radiotap: 802.11b (4), OFDM (5), HT (7), VHT (8), HE (11)
    expect(new Set(frames.map((r) => r.split(',')[4]))).toEqual(new Set(['4', '5', '7', '8', '11']));
  });
});
