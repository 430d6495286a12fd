import { createHash, randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { twoHosts } from '../sim/world.ts';

it('echo', async () => {
  const { clock, h1, h2 } = twoHosts();
  const server = h2.net.createServer((s) => s.pipe(s)).listen(7);
  const data = randomBytes(1 << 20);
  const got: Buffer[] = [];
  let ended = false;
  const c = h1.net.connect(7, '10.0.0.2', () => {
    c.end(data);
  });
  c.on('data', (d) => got.push(d));
  c.on('end', () => {
    ended = true;
  });
  const ok = await clock.runAsync({ until: () => ended });
  expect(ok).toBe(true);
  const all = Buffer.concat(got);
  expect(all.length).toBe(data.length);
  expect(createHash('sha256').update(all).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  server.close();
});
