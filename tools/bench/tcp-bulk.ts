/**
 * One bulk TCP transfer between two stacks, for the goodput benchmarks: `to` listens, `from` connects and sends
 * `total` bytes from a 256 KiB buffer as fast as the socket takes them, `to` reads and counts. The caller runs the
 * clock until `received()` reaches `total`.
 */
import type { TcpSock } from '../../netstack/tcp/sock.ts';
import type { TcpStack } from '../../netstack/tcp/stack.ts';

export interface BulkTransfer {
  /** The sending socket (segments, retransmissions). */
  sock: TcpSock;
  /** Bytes read so far by the receiver. */
  received(): number;
  /** Close the sender and stop listening. */
  close(): void;
}

export function startBulk(from: TcpStack, to: TcpStack, addr: number, port: number, total: number): BulkTransfer {
  const l = to.listen({ port });
  let rcvd = 0;
  l.owner = {
    onAcceptReady() {
      const s = l.accept()!;
      s.owner = {
        onReadable() {
          for (let b = s.recv(); b !== null; b = s.recv()) rcvd += b.length;
        },
      };
    },
  };
  const c = from.connect({ addr, port });
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = c.send(chunk, 0, Math.min(chunk.length, total - sent));
      if (n === 0) return;
      sent += n;
    }
  };
  c.owner = { onConnected: pump, onWritable: pump };
  return {
    sock: c,
    received: () => rcvd,
    close: () => {
      c.close();
      to.unlisten(l);
    },
  };
}
