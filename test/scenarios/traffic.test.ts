/**
 * Traffic through the BSS: two stations talking through the AP (intra-BSS relay), and a group rekey while
 * unicast and broadcast traffic flows.
 */
import { describe, expect } from 'vitest';
import { parseIpv4 } from '../../netstack/inet/addr.ts';
import { story } from './story.ts';

const SSID = 'airstack';
const PASS = 'correct horse battery';

describe('scenario: traffic', () => {
  story('two stations talk to each other through the AP', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 36 });
    const a = await w.addStation();
    const b = await w.addStation();
    await w.settle(
      Promise.all([a.connect({ ssid: SSID, passphrase: PASS }), b.connect({ ssid: SSID, passphrase: PASS })]),
    );
    expect(
      ap.ap
        .stations()
        .map((s) => s.aid)
        .sort(),
    ).toEqual([1, 2]);
    const bIp = b.cidr.split('/')[0]!;
    const r = await w.settle(a.stack.ping(bIp, { count: 5, interval: 50 }));
    expect(r.received).toBe(5);
    // A UDP exchange both ways.
    const sb = b.stack.udpSocket();
    sb.bind(0, 7000);
    const got: string[] = [];
    sb.onReadable = () => {
      for (let d = sb.recv(); d !== null; d = sb.recv()) {
        got.push(d.data.toString());
        sb.sendTo(Buffer.from(`echo ${d.data}`), d.addr, d.port);
      }
    };
    const sa = a.stack.udpSocket();
    sa.connect(parseIpv4(bIp), 7000);
    const echoes: string[] = [];
    sa.onReadable = () => {
      for (let d = sa.recv(); d !== null; d = sa.recv()) echoes.push(d.data.toString());
    };
    for (const m of ['one', 'two', 'three']) sa.send(Buffer.from(m));
    await w.runUntil(() => echoes.length === 3, 2_000);
    expect(got).toEqual(['one', 'two', 'three']);
    expect(echoes).toEqual(['echo one', 'echo two', 'echo three']);
    // Relayed by the AP's mac80211, not routed by its host stack.
    expect(ap.local.rxStats.bridged).toBeGreaterThanOrEqual(8);
    expect(ap.stack.snmp().Ip.ForwDatagrams ?? 0).toBe(0);
  });

  story('a group rekey during traffic loses nothing, and broadcasts use the new GTK', async (w) => {
    const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 1, groupRekeyMs: 1_500 });
    const sta = await w.addStation();
    await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }));
    await w.sleep(20); // message 4 reaches the AP
    const keyIdx: number[] = [];
    ap.ap.on('event', (e) => {
      if (e.type === 'group-rekeyed') keyIdx.push(e.keyIdx);
    });
    const r = await w.settle(sta.stack.ping(ap.ip, { count: 40, interval: 100 }));
    expect(r.received).toBe(40);
    // Every 1.5 s for 4 s: the key index alternates 1, 2, 1...; the station took part in each.
    expect(keyIdx.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < keyIdx.length; i++) expect(keyIdx[i]).not.toBe(keyIdx[i - 1]);
    expect(sta.mlme.lines.filter((l) => l.startsWith('WPA: Group rekeying completed with'))).toHaveLength(
      keyIdx.length,
    );
    // A broadcast from the AP host under the current GTK: an ARP request after its cache is flushed.
    ap.stack.arp.tbl.flushDev(ap.dev);
    const back = await w.settle(ap.stack.ping(sta.cidr.split('/')[0]!, { count: 2, interval: 100 }));
    expect(back.received).toBe(2);
    for (const node of [sta, ap]) {
      expect(node.local.rxStats.drop['ccmp-replay']).toBe(0);
      expect(node.local.rxStats.drop['ccmp-mic']).toBe(0);
    }
  });
});

describe('scenario: loss', () => {
  story(
    'with 10 % loss on the medium, DHCP, DNS and an HTTP download still work, byte-exact',
    async (w) => {
      const ap = await w.addAp({ ssid: SSID, passphrase: PASS, channel: 6, services: { fileBytes: 512 * 1024 } });
      const sta = await w.addStation();
      await w.settle(sta.connect({ ssid: SSID, passphrase: PASS }, { address: 'none' }));
      const lease = await w.settle(sta.dhcp());
      expect(lease.routers).toEqual([parseIpv4(ap.ip)]);
      expect(await w.settle(sta.resolver.resolve4('files.airstack.test'))).toEqual([ap.ip]);
      const r = await w.settle(sta.get(ap.services!.url));
      expect(r).toMatchObject({ status: 200, bytes: 512 * 1024, sha256: ap.services!.fileSha256 });
      // The medium did lose frames; retries (PHY and TCP) hid it.
      expect(w.medium.counters.losses).toBeGreaterThan(50);
    },
    { seed: 3, link: { loss: 0.1 } },
  );
});
