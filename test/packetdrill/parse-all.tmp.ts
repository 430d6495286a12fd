import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { parseScript } from './parser.ts';
const files = execSync('find /work/shared/testdata/tcp/packetdrill -name "*.pkt"').toString().trim().split('\n');
let ok = 0;
const errs = new Map<string, number>();
const samples: string[] = [];
for (const f of files) {
  try {
    parseScript(readFileSync(f, 'utf8'));
    ok++;
  } catch (e) {
    const m = String(e).replace(/line \d+/, 'line N');
    errs.set(m, (errs.get(m) ?? 0) + 1);
    if (samples.length < 15) samples.push(f + ': ' + e);
  }
}
console.log(ok, '/', files.length);
console.log([...errs].sort((a, b) => b[1] - a[1]).slice(0, 20));
console.log(samples.join('\n'));
