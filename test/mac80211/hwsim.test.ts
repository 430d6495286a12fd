/**
 * mac80211 on the hwsim virtual radio, with a netstack on each side: an AP interface and a station interface whose
 * peers and keys are set up by hand (the MLME and the handshakes are not part of this test), then ping over the
 * simulated air in virtual time — software CCMP both ways, the radios' NAPI delivering into mac80211, mac80211
 * delivering into the stacks. With lost ACKs the sender retransmits with the Retry bit and mac80211's duplicate
 * detection keeps the copies from reaching IP.
 */
import { describe, expect, it } from 'vitest';
import { chandef } from '../../drivers/hwsim/chan.ts';
import { Medium } from '../../drivers/hwsim/medium.ts';
import { HwsimRadio } from '../../drivers/hwsim/radio.ts';
import { StaState } from '../../mac80211/driver-ops.ts';
import type { Ieee80211SubIf } from '../../mac80211/iface.ts';
import { Ieee80211Local } from '../../mac80211/local.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import type { PingResult } from '../../netstack/icmp/ping.ts';
import { Stack } from '../../netstack/stack.ts';
import { nonZero } from '../../mac80211/stats.ts';
import { AP, GTK, STA, TK } from './world.ts';

const CHAN = chandef('5g', 36);

interface Node {
  stack: Stack;
  radio: HwsimRadio;
  local: Ieee80211Local;
  sdata: Ieee80211SubIf;
}

async function node(clock: VirtualClock, medium: Medium, type: 'ap' | 'station', addr: Uint8Array, ip: string) {
  const stack = new Stack({ clock, name: type, arpNotify: false });
  const radio = new HwsimRadio({ medium, addr, core: stack.core, chandef: CHAN, name: type });
  const local = new Ieee80211Local(radio, clock);
  await local.start();
  await local.setChannel(CHAN);
  const sdata = await local.addInterface(type);
  stack.addDevice(sdata.dev!);
  stack.addAddress(sdata.dev!, ip);
  return { stack, radio, local, sdata } satisfies Node;
}

async function world(seed: number) {
  const clock = new VirtualClock();
  const medium = new Medium({ clock, seed });
  const ap = await node(clock, medium, 'ap', AP, '10.0.0.1/24');
  const sta = await node(clock, medium, 'station', STA, '10.0.0.2/24');
  sta.sdata.bss.bssid = Uint8Array.from(AP);
  sta.sdata.bss.assoc = true;
  await sta.local.bssInfoChanged(sta.sdata, { assoc: true, bssid: true });
  const apPeer = await sta.local.staAdd(sta.sdata, AP, { wmm: true, ht: true, vht: true, rates: [60, 120, 240] });
  const client = await ap.local.staAdd(ap.sdata, STA, {
    wmm: true,
    ht: true,
    vht: true,
    aid: 1,
    rates: [60, 120, 240],
  });
  await sta.local.staMoveState(apPeer, StaState.AUTHORIZED);
  await ap.local.staMoveState(client, StaState.AUTHORIZED);
  for (const [n, peer] of [
    [sta, apPeer],
    [ap, client],
  ] as const) {
    await n.local.setKey(n.sdata, peer, { cipher: 'CCMP', keyIdx: 0, key: TK, pairwise: true });
    await n.local.setKey(n.sdata, null, { cipher: 'CCMP', keyIdx: 1, key: GTK, pairwise: false, txKey: n === ap });
    n.sdata.privacy = true;
  }
  return { clock, medium, ap, sta };
}

function ping(from: Node, clock: VirtualClock, dst: string, count: number): PingResult {
  let result: PingResult | null = null;
  from.stack.pinger(dst, { count, interval: 100, timeout: 1000 }, (r) => {
    result = r;
  });
  clock.runFor(count * 100 + 2000);
  if (result === null) throw new Error('ping did not finish');
  return result;
}

describe('mac80211 on hwsim with a netstack on each side', () => {
  it('ping over CCMP: ARP broadcast and unicast both ways, every frame decrypted in software', async () => {
    const { clock, ap, sta } = await world(1);
    const r = ping(sta, clock, '10.0.0.1', 10);
    expect([r.transmitted, r.received, r.duplicates]).toEqual([10, 10, 0]);
    // The AP relays the station's ARP broadcast to the whole BSS; the station drops its own frame coming back.
    expect(nonZero(sta.local.rxStats.drop)).toEqual({ 'own-multicast': 1 });
    expect(sta.local.counters()).toMatchObject({
      rx: { dropped: 1, drops: { 'own-multicast': 1 } },
      tx: { dropped: 0 },
    });
    expect(ap.local.rxStats.dropped).toBe(0);
    expect(ap.local.rxStats.bridged).toBe(1);
    for (const n of [ap, sta]) expect(n.local.rxStats.swDecrypted).toBe(n.local.rxStats.frames);
    // ARP request from the station (to the AP, unicast on air) and the AP's replies: all encrypted.
    expect(sta.local.txStats.swEncrypted).toBeGreaterThanOrEqual(11);
    expect(ap.local.txStats.swEncrypted).toBeGreaterThanOrEqual(11);
  });

  it('lost ACKs: retransmissions are dropped as duplicates, never delivered twice', async () => {
    const { clock, medium, ap, sta } = await world(7);
    medium.setLink(ap.radio.port, sta.radio.port, { ackLoss: 0.4 });
    const r = ping(sta, clock, '10.0.0.1', 40);
    expect(r.duplicates).toBe(0);
    expect(r.received).toBeGreaterThan(30);
    const dups = ap.local.rxStats.drop.duplicate + sta.local.rxStats.drop.duplicate;
    expect(dups).toBeGreaterThan(0);
    expect(ap.local.rxStats.drop['ccmp-replay'] + sta.local.rxStats.drop['ccmp-replay']).toBe(0);
  });
});
