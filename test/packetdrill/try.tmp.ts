import { readFileSync } from 'node:fs';
import { runPacketdrill } from './runner.ts';
for (const f of process.argv.slice(2)) {
  const r = runPacketdrill(readFileSync(f, 'utf8'));
  console.log(
    f.replace('/work/shared/testdata/tcp/packetdrill/', ''),
    r.verdict,
    r.reason,
    r.policy.slice(0, 6).join(' | '),
  );
}
