import { readFileSync } from 'node:fs';
import { parseScript } from './parser.ts';
import { PacketdrillRunner } from './runner.ts';
const r = new PacketdrillRunner(parseScript(readFileSync(process.argv[2]!, 'utf8')));
const res = r.run();
console.log(res);
const out = (r as any).out as { t: number; bytes: Buffer }[];
const isn = (r as any).localIsn;
for (const o of out) {
  const b = o.bytes;
  const hl = (b[12] >> 4) * 4;
  console.log(
    o.t.toFixed(1),
    'flags',
    b[13].toString(16),
    'seq',
    (b.readUInt32BE(4) - isn) >>> 0,
    'ack',
    (b.readUInt32BE(8) - 1000000) >>> 0,
    'len',
    b.length - hl,
    'win',
    b.readUInt16BE(14),
    'opts',
    b.subarray(20, hl).toString('hex'),
  );
}
const c = (r as any).conn;
if (c) {
  console.log(c.info());
  const q = c.tx;
  for (let i = q.head; i < q.segs.length; i++) {
    const g = q.segs[i];
    console.log((g.seq - isn) >>> 0, g.len, g.sacked, g.txTime);
  }
  const e = c.stack.ext;
  console.log({
    lp: e.TCPLossProbes,
    lr: e.TCPLostRetransmit,
    rack: c.rackXmitTime,
    rackEnd: (c.rackEndSeq - isn) >>> 0,
    rtt: c.rackRtt,
    minRtt: c.minRtt,
    reo: c.rackReorderingSeen,
  });
}
