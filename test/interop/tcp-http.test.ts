/**
 * HTTP over airstack's TCP with the Linux kernel as the peer, through a TAP in a network namespace: the kernel's
 * curl downloads 32 MiB from `airstack host --http` (plus ranges and a refused traversal), and `airstack get`
 * downloads 32 MiB from the kernel's `python3 -m http.server` (and 4 MiB from python's ssl over https, TLS through
 * node:tls over our TCP), and with --dhcp from dnsmasq, a URL with a name resolved through DNS on our stack. SHA-256
 * equal both ways.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot } from '../support/shared.ts';
import { describeInterop, failureTracker, NetnsWorld, runChild, waitForLine } from './harness.ts';
import { kernelHttpServer, kernelHttpsServer } from './tcp-peers.ts';

const AIRSTACK = join(repoRoot, 'bin/airstack.js');
const FIXTURES = join(repoRoot, 'test/sockets/fixtures');
const SIZE = 32 << 20;

describeInterop('HTTP over airstack TCP with the kernel as the peer', { tools: ['curl', 'python3', 'dnsmasq'] }, () => {
  let dir: string;
  let sha: string;
  let sha4: string;
  let world: NetnsWorld | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'airstack-http-'));
    const data = randomBytes(SIZE);
    sha = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(dir, 'big.bin'), data);
    sha4 = createHash('sha256')
      .update(data.subarray(0, 4 << 20))
      .digest('hex');
    writeFileSync(join(dir, 'four.bin'), data.subarray(0, 4 << 20));
    writeFileSync(join(dir, 'small.txt'), 'hello from airstack\n');
  });
  afterAll(async () => {
    await world?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  failureTracker(() => world);

  it('kernel curl downloads 32 MiB from airstack host --http: same sha256; ranges; no way out of the root', async () => {
    await world?.destroy();
    world = await NetnsWorld.create();
    const w = world;
    const child = w.spawnHost(process.execPath, [
      AIRSTACK,
      ...['host', '--tap', w.tapName, '--netns', w.ns, '--ip', `${w.airstackIp}/${w.prefix}`],
      ...['--http', '8080', '--http-root', dir],
    ]);
    const done = runChild(child, { timeoutMs: 120_000 });
    await waitForLine(child, /ready/);
    w.configureKernelSide();
    const base = `http://${w.airstackIp}:8080`;
    const out = join(dir, 'curl.bin');
    const t0 = performance.now();
    const r = await w.exec(['curl', '-sS', '-o', out, '-w', '%{http_code} %{size_download}', `${base}/big.bin`], {
      timeoutMs: 120_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    expect(r.stdout, r.stderr).toBe(`200 ${SIZE}`);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(sha);
    console.log(`interop: curl got 32 MiB from airstack host --http in ${seconds.toFixed(2)} s`);
    // A range, a suffix range, an unsatisfiable one, HEAD, and a traversal attempt.
    const head = (args: string[]) =>
      w.exec(['curl', '-sS', '-D', '-', '-o', '/dev/null', ...args]).then((x) => x.stdout.replace(/\r/g, ''));
    expect(await head(['-r', '100-199', `${base}/big.bin`])).toMatch(
      /^HTTP\/1\.1 206[\s\S]*content-range: bytes 100-199\/33554432/m,
    );
    expect(await head(['-r', '-10', `${base}/big.bin`])).toMatch(/content-range: bytes 33554422-33554431\/33554432/);
    expect(await head(['-r', `${SIZE}-`, `${base}/big.bin`])).toMatch(
      /^HTTP\/1\.1 416[\s\S]*content-range: bytes \*\/33554432/m,
    );
    const h = await head(['-I', `${base}/small.txt`]);
    expect(h).toMatch(/^content-length: 20$/m);
    expect(h).toMatch(/^content-type: text\/plain; charset=utf-8$/m);
    const trav = await w.exec([
      'curl',
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--path-as-is',
      `${base}/..%2f..%2fetc/passwd`,
    ]);
    expect(trav.stdout).toBe('403');
    const range = await w.exec(['curl', '-sS', '-r', '0-4', `${base}/small.txt`]);
    expect(range.stdout).toBe('hello');
    child.kill('SIGINT');
    const end = await done;
    expect(end.code, end.stderr).toBe(0);
    expect(end.stdout).toMatch(/^http: connections \d+ requests \d+ ok \d+ partial 3/m);
  });

  it('airstack get downloads 32 MiB from the kernel’s python3 -m http.server (and 4 MiB over https): same sha256', async () => {
    await world?.destroy();
    world = await NetnsWorld.create();
    const w = world;
    // A persistent TAP inside the namespace: `airstack get`, run in the namespace, attaches to it.
    await w.exec(['ip', 'tuntap', 'add', 'dev', w.tapName, 'mode', 'tap']);
    w.configureKernelSide();
    await kernelHttpServer(w, w.kernelIp, 8000, dir);
    const out = join(dir, 'got.bin');
    const t0 = performance.now();
    const r = await runChild(
      spawn(
        'ip',
        [
          ...['netns', 'exec', w.ns, process.execPath, AIRSTACK, 'get', `http://${w.kernelIp}:8000/big.bin`],
          ...['--tap', w.tapName, '--ip', `${w.airstackIp}/${w.prefix}`, '--out', out],
        ],
        { stdio: 'pipe' },
      ),
      { timeoutMs: 120_000 },
    );
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/HTTP\/1\.[01] 200 OK/);
    expect(r.stdout).toContain(`${SIZE} bytes in`);
    expect(/sha256 ([0-9a-f]{64})/.exec(r.stdout)?.[1]).toBe(sha);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(sha);
    console.log(`interop: airstack get fetched 32 MiB from python3 -m http.server in ${seconds.toFixed(2)} s`);
    // https: TLS 1.3 through node:tls over our TCP, to python's ssl; the certificate checked against its CA.
    await kernelHttpsServer(w, w.kernelIp, 8443, dir, join(FIXTURES, 'server.crt'), join(FIXTURES, 'server.key'));
    const t1 = performance.now();
    const tls = await runChild(
      spawn('ip', [
        ...['netns', 'exec', w.ns, process.execPath, AIRSTACK, 'get', `https://${w.kernelIp}:8443/four.bin`],
        ...['--tap', w.tapName, '--ip', `${w.airstackIp}/${w.prefix}`, '--ca', join(FIXTURES, 'server.crt')],
      ]),
      { timeoutMs: 120_000 },
    );
    expect(tls.code, tls.stderr + tls.stdout).toBe(0);
    expect(/sha256 ([0-9a-f]{64})/.exec(tls.stdout)?.[1]).toBe(sha4);
    console.log(`interop: airstack get fetched 4 MiB over https in ${((performance.now() - t1) / 1000).toFixed(2)} s`);
    // Without the CA the certificate is refused, in one line.
    const untrusted = await runChild(
      spawn('ip', [
        ...['netns', 'exec', w.ns, process.execPath, AIRSTACK, 'get', `https://${w.kernelIp}:8443/small.txt`],
        ...['--tap', w.tapName, '--ip', `${w.airstackIp}/${w.prefix}`],
      ]),
      { timeoutMs: 60_000 },
    );
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr.trim()).toMatch(
      /^airstack: GET https:\/\/[\d.]+:8443\/small\.txt: self[- ]signed certificate$/,
    );
    // A missing file: the status, and exit 1 with one line.
    const missing = await runChild(
      spawn('ip', [
        ...['netns', 'exec', w.ns, process.execPath, AIRSTACK, 'get', `http://${w.kernelIp}:8000/nope`],
        ...['--tap', w.tapName, '--ip', `${w.airstackIp}/${w.prefix}`],
      ]),
      { timeoutMs: 60_000 },
    );
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/HTTP\/1\.[01] 404/);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    // Nobody listening: a one-line connection error.
    const refused = await runChild(
      spawn('ip', [
        ...['netns', 'exec', w.ns, process.execPath, AIRSTACK, 'get', `http://${w.kernelIp}:8001/`],
        ...['--tap', w.tapName, '--ip', `${w.airstackIp}/${w.prefix}`],
      ]),
      { timeoutMs: 60_000 },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^airstack: GET http:\/\/[\d.]+:8001\/: connect ECONNREFUSED/);
  });

  it('airstack get --dhcp: address, route and DNS from dnsmasq; the URL’s name resolves through DNS on our stack', async () => {
    await world?.destroy();
    world = await NetnsWorld.create();
    const w = world;
    await w.exec(['ip', 'tuntap', 'add', 'dev', w.tapName, 'mode', 'tap']);
    w.configureKernelSide();
    w.spawn([
      'dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--user=root',
      `--interface=${w.tapName}`,
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      `--pid-file=${join(dir, 'dnsmasq.pid')}`,
      `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`,
      '--dhcp-range=10.207.0.100,10.207.0.150,255.255.255.0,2m',
      `--host-record=files.airstack.test,${w.kernelIp}`,
    ]);
    await kernelHttpServer(w, w.kernelIp, 8000, dir);
    const r = await runChild(
      spawn('ip', [
        ...['netns', 'exec', w.ns, process.execPath, AIRSTACK, 'get', 'http://files.airstack.test:8000/four.bin'],
        ...['--tap', w.tapName, '--dhcp'],
      ]),
      { timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\(10\.207\.0\.1\d\d\/24 leased from 10\.207\.0\.1[^)]*dns 10\.207\.0\.1\)/);
    expect(/sha256 ([0-9a-f]{64})/.exec(r.stdout)?.[1]).toBe(sha4);
  });
});
