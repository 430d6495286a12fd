/**
 * `airstack host --http PORT --http-root DIR`: static files over airstack's TCP, served by node:http (the server's
 * connections are stack.net sockets handed over with server.emit('connection')): GET, HEAD, single ranges,
 * conditional requests, keep-alive. See static-files.ts for the HTTP semantics.
 */
import http from 'node:http';
import type { Server } from '../../../../netstack/socket/tcp-server.ts';
import { UsageError } from '../../errors.ts';
import { type HostFeature, type HostService, parsePort } from '../host.ts';
import { checkRoot, newStaticCounters, type StaticCounters, serveStatic } from './static-files.ts';

export const httpFeature: HostFeature = {
  options(cmd) {
    cmd.option('--http <port>', 'serve static files over HTTP on this port (with --http-root)');
    cmd.option('--http-root <dir>', 'directory served by --http');
  },
  plan(opts) {
    if (opts.http === undefined) {
      if (opts.httpRoot !== undefined) throw new UsageError('--http-root needs --http PORT');
      return null;
    }
    const port = parsePort(String(opts.http), '--http');
    if (opts.httpRoot === undefined) throw new UsageError('--http needs --http-root DIR (the directory to serve)');
    return httpService(port, String(opts.httpRoot));
  },
};

export function httpService(port: number, rootArg: string): HostService {
  const c: StaticCounters = newStaticCounters();
  let conns = 0;
  let tcpServer: Server | null = null;
  let httpServer: http.Server | null = null;
  return {
    name: 'http',
    async start(ctx) {
      let root: string;
      try {
        root = await checkRoot(rootArg);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const hs = http.createServer(serveStatic(root, c));
      const ts = ctx.stack.net.createServer({ noDelay: true }, (s) => {
        conns++;
        hs.emit('connection', s);
      });
      await listen(ts, port, '--http');
      httpServer = hs;
      tcpServer = ts;
      return `http on port ${port} serving ${root}`;
    },
    async stop() {
      tcpServer?.close();
      httpServer?.closeAllConnections();
    },
    counters: () => ({ connections: conns, ...c }),
  };
}

/** Listen, turning a bind failure into a person's error. */
export function listen(server: Server, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: Error & { code?: string }) =>
      reject(new UsageError(`${what} ${port}: cannot listen (${e.code ?? e.message})`)),
    );
    server.listen(port, () => resolve());
  });
}
