/**
 * Benchmark of the mock PHY (a program that prints figures, not a test): frames per second of wall time through
 * the medium alone and through two virtual radios (driver queues, RX ring, NAPI), in virtual time.
 *
 *   npx tsx drivers/hwsim/bench.ts [frames]
 */
import { Ac, type TxInfo, type Vif } from '../../mac80211/driver-ops.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { positiveArg } from '../../tools/bench/framework.ts';
import { chandef } from './chan.ts';
import { Medium, type Timing } from './medium.ts';
import { HwsimRadio } from './radio.ts';
import { dataFrame, mac, RecordingMac } from './testing.ts';
import type { TxParams } from './types.ts';

const N = Math.round(positiveArg(process.argv[2], 300_000, 'frames'));
const HE: TxParams = { rate: { mode: 'he', rate: 11, nss: 2, bw: 80, sgi: true } };

function mediumOnly(timing: Timing, receivers: number, loss: number): void {
  const clock = new VirtualClock();
  const medium = new Medium({ clock, seed: 1, timing, link: { loss } });
  const cd = chandef('5g', 36, 80);
  const tx = medium.attach(mac(1), { chandef: cd });
  let rx = 0;
  for (let i = 0; i < receivers; i++) {
    const p = medium.attach(mac(2 + i), { chandef: cd });
    p.onReceive = (f) => {
      rx++;
      return p.wouldAck(f);
    };
  }
  const frame = dataFrame(mac(2), mac(1), 1500);
  let sent = 0;
  let acked = 0;
  tx.onTxComplete = (_c, f, r) => {
    if (r.acked) acked++;
    if (sent < N) {
      sent++;
      f[1] = 0; // clear the Retry bit for the next frame
      tx.transmit(f, HE);
    }
  };
  const t0 = performance.now();
  for (let i = 0; i < 64 && sent < N; i++, sent++) tx.transmit(Uint8Array.from(frame), HE);
  clock.runUntilIdle();
  const ms = performance.now() - t0;
  const goodput = (acked * 1500 * 8) / (clock.now() / 1000) / 1e6;
  console.log(
    `medium ${timing.padEnd(4)} ${receivers} rx, loss ${loss}: ${N} frames in ${ms.toFixed(0)} ms wall = ${((N / ms) * 1000).toFixed(0)} frames/s; ${rx} deliveries; ${acked} acked; virtual ${clock.now().toFixed(1)} ms${timing === 'phy' ? ` (${goodput.toFixed(0)} Mb/s of 1500-byte MPDUs at HE MCS11 2ss 80 MHz)` : ''}`,
  );
}

async function radios(timing: Timing): Promise<void> {
  const clock = new VirtualClock();
  const medium = new Medium({ clock, seed: 1, timing });
  const cd = chandef('5g', 36, 80);
  const a = new HwsimRadio({ medium, addr: mac(1), chandef: cd });
  const b = new HwsimRadio({ medium, addr: mac(2), chandef: cd });
  const sinkA = new RecordingMac(clock, false);
  const sinkB = new RecordingMac(clock, false);
  a.attach(sinkA);
  b.attach(sinkB);
  await a.start();
  await b.start();
  const va: Vif = { type: 'station', addr: mac(1) };
  const vb: Vif = { type: 'ap', addr: mac(2) };
  await a.addInterface(va);
  await b.addInterface(vb);
  const sta = { addr: mac(2), aid: 1, ht: true, vht: true, he: true, rates: [60], wmm: true };
  const info: TxInfo = {
    vif: va,
    sta,
    ac: Ac.BE,
    tid: 0,
    hwKey: null,
    reqTxStatus: false,
    noAck: false,
    useMinRate: false,
    offChannel: false,
  };
  const frame = dataFrame(mac(2), mac(1), 1500);
  let sent = 0;
  const refill = () => {
    while (sent < N && a.txQueued < 128) {
      sent++;
      a.tx(SkBuff.fromBytes(frame, 64), info);
    }
    if (sent < N) clock.setTimeout(refill, timing === 'none' ? 0 : 1);
  };
  const t0 = performance.now();
  refill();
  clock.runUntilIdle();
  const ms = performance.now() - t0;
  console.log(
    `radios ${timing.padEnd(4)}: ${N} frames tx → NAPI → rx in ${ms.toFixed(0)} ms wall = ${((N / ms) * 1000).toFixed(0)} frames/s; received ${sinkB.rxCount}; softnet processed ${b.napiDev.softnet.processed}`,
  );
}

mediumOnly('none', 1, 0);
mediumOnly('phy', 1, 0);
mediumOnly('phy', 1, 0.1);
mediumOnly('phy', 8, 0);
await radios('none');
await radios('phy');
