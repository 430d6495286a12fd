/** `airstack host --tcp-echo PORT`: TCP echo (RFC 862) over airstack's TCP, every connection piped to itself. */
import type { Server } from '../../../../netstack/socket/tcp-server.ts';
import { type HostFeature, type HostService, parsePort } from '../host.ts';
import { listen } from './http.ts';

export const tcpEchoFeature: HostFeature = {
  options(cmd) {
    cmd.option('--tcp-echo <port>', 'serve TCP echo on this port');
  },
  plan(opts) {
    return opts.tcpEcho === undefined ? null : tcpEchoService(parsePort(String(opts.tcpEcho), '--tcp-echo'));
  },
};

export function tcpEchoService(port: number): HostService {
  const c = { connections: 0, bytes: 0, resets: 0 };
  let server: Server | null = null;
  return {
    name: 'tcp-echo',
    async start(ctx) {
      // allowHalfOpen: a client that shuts down its side still gets the rest of its echo, then our FIN.
      const s = ctx.stack.net.createServer({ allowHalfOpen: true }, (sock) => {
        c.connections++;
        sock.on('data', (d: Buffer) => {
          c.bytes += d.length;
        });
        sock.on('error', () => {
          c.resets++;
        });
        sock.pipe(sock);
      });
      await listen(s, port, '--tcp-echo');
      server = s;
      return `tcp echo on port ${port}`;
    },
    async stop() {
      server?.close();
    },
    counters: () => ({ ...c }),
  };
}
