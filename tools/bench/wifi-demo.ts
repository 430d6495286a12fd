/**
 * wifi-demo: the wall time of the demo scenario in virtual time (`airstack demo --device hwsim`): two APs and a
 * station on the mock PHY, a full scan of 2.4 and 5 GHz, WPA2 association and 4-way handshake, DHCP (with its
 * RFC 5227 probes), DNS, five pings and a 1 MiB HTTP download, all in software crypto — lossless, and with 10 %
 * loss on every link. The first run in a fresh process is reported on its own (what `airstack demo` costs: JIT and
 * module loading included); two more warm-up runs follow, then the figures are medians over seeds.
 */
import { DEMO_PASSPHRASE, runWifiDemo, type WifiDemoResult } from '../../mac80211/world/demo.ts';
import { type Benchmark, type BenchResult, type Figure, median } from './framework.ts';

async function runs(n: number, loss: number): Promise<WifiDemoResult[]> {
  const out: WifiDemoResult[] = [];
  for (let i = 0; i < n; i++) {
    const r = await runWifiDemo({ seed: 1 + i, loss, ssid: 'airstack', passphrase: DEMO_PASSPHRASE, count: 5 });
    out.push(r);
  }
  return out;
}

export const wifiDemo: Benchmark = {
  name: 'wifi-demo',
  description: 'wall time of the hwsim demo scenario (scan, WPA2, DHCP, DNS, ping, 1 MiB HTTP) in virtual time',
  async run({ quick }): Promise<BenchResult> {
    const n = quick ? 2 : 5;
    const [cold] = await runs(1, 0);
    await runs(2, 0.05); // warm-up
    const figures: Figure[] = [
      { name: 'demo wall time, first run in the process', value: Math.round(cold!.wallTimeMs), unit: 'ms' },
    ];
    const data: Record<string, unknown> = {};
    for (const loss of [0, 0.1]) {
      const rs = await runs(n, loss);
      const failed = rs.filter((r) => !r.ok).length;
      const wall = median(rs.map((r) => r.wallTimeMs));
      const virt = median(rs.map((r) => r.virtualTimeMs));
      const tag = loss === 0 ? 'lossless' : `${loss * 100} % loss`;
      figures.push(
        { name: `demo wall time, ${tag}`, value: Math.round(wall), unit: 'ms', note: `median of ${n} seeds` },
        { name: `demo virtual time, ${tag}`, value: Math.round(virt), unit: 'ms' },
        {
          name: `virtual / wall, ${tag}`,
          value: Math.round((virt / wall) * 10) / 10,
          unit: 'x',
          note: failed ? `${failed} runs failed` : undefined,
        },
      );
      data[tag] = rs.map((r) => ({ wallMs: r.wallTimeMs, virtualMs: r.virtualTimeMs, ok: r.ok }));
    }
    return { figures, data };
  },
};
