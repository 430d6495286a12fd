/**
 * The kernel's TCP side of the interop tests: small python3 programs run inside a world's namespace (threaded
 * clients and servers, half-close in both directions), each printing one JSON line that the tests parse.
 */
import type { ChildProcess } from 'node:child_process';
import { type NetnsWorld, runChild, waitForLine } from './harness.ts';

/** A deterministic message for connection i (so each side can check what it got). */
export function message(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let k = 0; k < size; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

const COMMON = `
import hashlib, json, socket, sys, threading
def message(i, size):
    return bytes(((i * 31 + k * 7) & 0xff) for k in range(size))
def recv_all(s):
    parts = []
    while True:
        d = s.recv(65536)
        if not d:
            return b''.join(parts)
        parts.append(d)
`;

// N clients at once: each sends its message, shuts down its side, reads the echo to the end.
const PARALLEL_CLIENTS = `${COMMON}
host, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok, bad, errors = [0], [0], []
lock = threading.Lock()
def one(i):
    try:
        s = socket.create_connection((host, port), timeout=30)
        s.sendall(message(i, size))
        s.shutdown(socket.SHUT_WR)
        got = recv_all(s)
        s.close()
        with lock:
            if got == message(i, size): ok[0] += 1
            else: bad[0] += 1
    except Exception as e:
        with lock: errors.append(repr(e))
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps({'ok': ok[0], 'bad': bad[0], 'errors': errors[:5]}), flush=True)
`;

// An echo server: one thread per connection, echoes until the client's FIN, then closes. Prints 'ready'.
const ECHO_SERVER = `${COMMON}
host, port = sys.argv[1], int(sys.argv[2])
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((host, port)); l.listen(512)
print('ready', flush=True)
def serve(c):
    while True:
        d = c.recv(65536)
        if not d: break
        c.sendall(d)
    c.close()
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

// Half-close as the client: send a request, SHUT_WR, then read the whole answer.
const HALF_CLOSE_CLIENT = `${COMMON}
host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port), timeout=30)
s.sendall(message(1, size))
s.shutdown(socket.SHUT_WR)
got = recv_all(s)
s.close()
print(json.dumps({'bytes': len(got), 'sha256': hashlib.sha256(got).hexdigest()}), flush=True)
`;

// Half-close as the server: read the request to the end (the client's FIN), then answer and close.
const HALF_CLOSE_SERVER = `${COMMON}
host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((host, port)); l.listen(8)
print('ready', flush=True)
c, _ = l.accept()
req = recv_all(c)
c.sendall(message(2, size))
c.close()
print(json.dumps({'bytes': len(req), 'sha256': hashlib.sha256(req).hexdigest()}), flush=True)
`;

function lastJson<T>(out: string): T {
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`no result from the kernel side: ${out}`);
  return JSON.parse(line) as T;
}

export async function kernelParallelClients(
  world: NetnsWorld,
  host: string,
  port: number,
  n: number,
  size: number,
): Promise<{ ok: number; bad: number; errors: string[] }> {
  const r = await world.exec(['python3', '-c', PARALLEL_CLIENTS, host, String(port), String(n), String(size)], {
    timeoutMs: 60_000,
  });
  return lastJson(r.stdout + r.stderr);
}

export async function kernelEchoServer(world: NetnsWorld, host: string, port: number): Promise<ChildProcess> {
  const child = world.spawn(['python3', '-u', '-c', ECHO_SERVER, host, String(port)]);
  await waitForLine(child, /^ready/);
  return child;
}

export async function kernelHalfCloseClient(
  world: NetnsWorld,
  host: string,
  port: number,
  size: number,
): Promise<{ bytes: number; sha256: string }> {
  const r = await world.exec(['python3', '-c', HALF_CLOSE_CLIENT, host, String(port), String(size)], {
    timeoutMs: 60_000,
  });
  return lastJson(r.stdout + r.stderr);
}

/** Starts the server; `result` resolves with what it read once the exchange is over. */
export async function kernelHalfCloseServer(
  world: NetnsWorld,
  host: string,
  port: number,
  size: number,
): Promise<{ result: Promise<{ bytes: number; sha256: string }> }> {
  const child = world.spawn(['python3', '-u', '-c', HALF_CLOSE_SERVER, host, String(port), String(size)]);
  await waitForLine(child, /^ready/);
  return { result: runChild(child, { timeoutMs: 60_000 }).then((r) => lastJson(r.stdout + r.stderr)) };
}

/** python3 -m http.server in the namespace, bound to `host`, serving `dir`; resolves once it answers. */
export async function kernelHttpServer(world: NetnsWorld, host: string, port: number, dir: string): Promise<void> {
  world.spawn(['python3', '-m', 'http.server', '-b', host, '-d', dir, String(port)], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await world.exec(['python3', '-c', `import socket; socket.create_connection(('${host}', ${port}), 1)`]);
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`python3 -m http.server did not start on ${host}:${port}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const HTTPS_SERVER = `
import functools, http.server, ssl, sys
host, port, root, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
srv = http.server.ThreadingHTTPServer((host, port), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print('ready', flush=True)
srv.serve_forever()
`;

/** An https server (python3's http.server wrapped in ssl) in the namespace; resolves once it listens. */
export async function kernelHttpsServer(
  world: NetnsWorld,
  host: string,
  port: number,
  dir: string,
  cert: string,
  key: string,
): Promise<void> {
  const child = world.spawn(['python3', '-u', '-c', HTTPS_SERVER, host, String(port), dir, cert, key]);
  await waitForLine(child, /^ready/);
}
