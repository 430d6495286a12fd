import { runSelection } from './results.ts';
const rows = runSelection('/work/shared/testdata/tcp/packetdrill');
const m = new Map<string, number>();
for (const r of rows)
  for (const p of r.policy) {
    const x = /sent at ([\d.]+)s, script expects ([\d.]+)s/.exec(p);
    if (x) {
      const d = +x[1]! - +x[2]!;
      if (Math.abs(d) > 0.5) console.log(r.rel, p);
    }
    const k = p.replace(/\d+/g, 'N');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
console.log([...m].sort((a, b) => b[1] - a[1]).slice(0, 25));
