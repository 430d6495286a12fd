/**
 * airstack's TCP and Node-compatible sockets with the Linux kernel as the peer (TAP in a network namespace, the
 * stack in this process on the real clock): 50 parallel short connections each way, and half-close in both
 * directions (the kernel shuts down its sending side and we still send; we do, and the kernel still sends).
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RealClock } from '../../netstack/core/clock.ts';
import type { Server } from '../../netstack/socket/tcp-server.ts';
import type { Stack } from '../../netstack/stack.ts';
import { describeInterop, failureTracker, NetnsWorld } from './harness.ts';
import {
  kernelEchoServer,
  kernelHalfCloseClient,
  kernelHalfCloseServer,
  kernelParallelClients,
  message,
} from './tcp-peers.ts';

const N = 50;
const MSG = 1000;

describeInterop('TCP with the kernel as the peer', { tools: ['python3'] }, () => {
  let world: NetnsWorld;
  let stack: Stack;
  const clock = new RealClock();
  beforeAll(async () => {
    world = await NetnsWorld.create();
    ({ stack } = await world.attachStack(clock));
  });
  afterAll(() => world?.destroy());
  failureTracker(() => world);

  it('50 parallel short connections from the kernel to an airstack echo server', async () => {
    const server = stack.net
      .createServer({ allowHalfOpen: true }, (s) => {
        s.on('error', () => {});
        s.pipe(s);
      })
      .listen(7);
    try {
      const t0 = performance.now();
      const r = await kernelParallelClients(world, world.airstackIp, 7, N, MSG);
      console.log(`interop: ${N} kernel → airstack connections in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
      expect(r).toEqual({ ok: N, bad: 0, errors: [] });
    } finally {
      server.close();
    }
  });

  it('50 parallel short connections from airstack to a kernel echo server', async () => {
    const echo: ChildProcess = await kernelEchoServer(world, world.kernelIp, 7007);
    try {
      const t0 = performance.now();
      const results = await Promise.all(
        Array.from(
          { length: N },
          (_, i) =>
            new Promise<string>((resolve) => {
              const chunks: Buffer[] = [];
              const s = stack.net.connect(7007, world.kernelIp, () => s.end(message(i, MSG)));
              s.on('data', (d: Buffer) => chunks.push(d));
              s.on('error', (e) => resolve(`error ${(e as Error).message}`));
              s.on('end', () => resolve(Buffer.concat(chunks).equals(message(i, MSG)) ? 'ok' : 'mismatch'));
            }),
        ),
      );
      console.log(`interop: ${N} airstack → kernel connections in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
      expect(results.filter((x) => x !== 'ok')).toEqual([]);
    } finally {
      echo.kill('SIGKILL');
    }
  });

  it('half-close: the kernel shuts down its side, airstack still sends 1 MiB, then closes', async () => {
    const answer = message(3, 1 << 20);
    let request = 0;
    const server: Server = stack.net
      .createServer({ allowHalfOpen: true }, (s) => {
        s.on('data', (d: Buffer) => {
          request += d.length;
        });
        // The kernel's FIN: the request is complete; our side is still open for the answer.
        s.on('end', () => s.end(answer));
      })
      .listen(8000);
    try {
      const r = await kernelHalfCloseClient(world, world.airstackIp, 8000, 5000);
      expect(request).toBe(5000);
      expect(r).toEqual({ bytes: answer.length, sha256: createHash('sha256').update(answer).digest('hex') });
    } finally {
      server.close();
    }
  });

  it('half-close: airstack shuts down its side, the kernel still sends 1 MiB, then closes', async () => {
    const { result } = await kernelHalfCloseServer(world, world.kernelIp, 8001, 1 << 20);
    const req = message(4, 20_000);
    const got = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = stack.net.connect({ port: 8001, host: world.kernelIp, allowHalfOpen: true }, () => s.end(req));
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('error', reject);
      s.on('end', () => resolve(Buffer.concat(chunks)));
    });
    expect(got.equals(message(2, 1 << 20))).toBe(true);
    expect(await result).toEqual({ bytes: req.length, sha256: createHash('sha256').update(req).digest('hex') });
  });
});
