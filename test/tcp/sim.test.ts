/**
 * Bulk-transfer simulations in virtual time over two full Stacks (Ethernet, ARP, IPv4) joined by the in-memory
 * faulty link: 16 MiB over a 100 Mbit/s bottleneck at {0, 1, 5, 10} % loss (both directions) and RTTs from 1 to
 * 200 ms, plus reordering and duplication. Bytes are verified by SHA-256 and the goodput is compared with what the
 * loss rate and RTT allow (Mathis et al.: rate ≈ MSS/RTT · √(3/2)/√p), capped by the link rate and the largest
 * window: a behaviour check with a generous factor, in deterministic virtual time.
 */
import { describe, expect, it } from 'vitest';
import { bulkTransfer, patternBytes, sha256 } from './harness.ts';
import { StackNet } from './stacknet.ts';

const SIZE = 16 * 1024 * 1024;
const data = patternBytes(SIZE);
const digest = sha256(data);
const LINK_BPS = 100e6;
const RCVBUF_MAX = 4 * 1024 * 1024;
/** Payload per segment: MTU 1500 − IP − TCP − timestamps. */
const MSS = 1448;

/** The goodput the path allows: link rate, window / RTT, and the Mathis model for loss rate p. */
function modelBps(rttMs: number, p: number): number {
  const rtt = rttMs / 1000;
  let m = Math.min(LINK_BPS, (RCVBUF_MAX * 8) / rtt);
  if (p > 0) m = Math.min(m, ((MSS * 8) / rtt) * Math.sqrt(1.5 / p));
  return m;
}

interface Row {
  case: string;
  goodputMbps: number;
  modelMbps: number;
  ratio: number;
  virtualS: number;
  wallMs: number;
  retrans: number;
  rtos: number;
}
const rows: Row[] = [];

function run(name: string, rttMs: number, loss: number, extra: { reorder?: number; dup?: number } = {}, seed = 1) {
  const t0 = performance.now();
  const net = new StackNet({
    seed,
    ab: { delayMs: rttMs / 2, rateBps: LINK_BPS, queueLimit: 256, loss, ...extra, reorderDelayMs: rttMs / 2 + 2 },
    ba: { delayMs: rttMs / 2, loss, ...extra, reorderDelayMs: rttMs / 2 + 2 },
  });
  const r = bulkTransfer(net, data, 3_600_000);
  const wallMs = performance.now() - t0;
  const model = modelBps(rttMs, loss);
  const row: Row = {
    case: name,
    goodputMbps: +(r.goodputBps / 1e6).toFixed(3),
    modelMbps: +(model / 1e6).toFixed(3),
    ratio: +(r.goodputBps / model).toFixed(2),
    virtualS: +(r.durationMs / 1000).toFixed(2),
    wallMs: Math.round(wallMs),
    retrans: r.client.totalRetrans,
    rtos: net.a.ext.TCPTimeouts,
  };
  rows.push(row);
  return { r, row, net };
}

describe('TCP bulk transfer simulations (16 MiB, virtual time)', () => {
  for (const loss of [0, 0.01, 0.05, 0.1]) {
    for (const rtt of [1, 50, 200]) {
      it(`${loss * 100} % loss, RTT ${rtt} ms: all bytes, goodput within a factor of the model`, () => {
        const { r, row } = run(`loss ${loss * 100}% rtt ${rtt}ms`, rtt, loss);
        expect(r.ok).toBe(true);
        expect(r.bytes).toBe(SIZE);
        expect(r.sha256).toBe(digest);
        expect(r.goodputBps).toBeLessThanOrEqual(LINK_BPS);
        // Generous band: timeouts (RTO ≥ 200 ms) dominate at 10 % loss and 1 ms RTT, slow start at 200 ms.
        expect(row.ratio).toBeGreaterThan(1 / 8);
        expect(row.ratio).toBeLessThan(4);
      });
    }
  }

  it('survives 3 % reordering without collapsing (RACK reordering window, D-SACK undo)', () => {
    const { r, row, net } = run('reorder 3% rtt 20ms', 20, 0, { reorder: 0.03 });
    expect(r.sha256).toBe(digest);
    expect(row.ratio).toBeGreaterThan(0.3);
    expect(net.b.ext.TCPOFOQueue).toBeGreaterThan(0);
  });

  it('survives 5 % duplication (D-SACKs, no spurious recovery)', () => {
    const { r, row, net } = run('dup 5% rtt 20ms', 20, 0, { dup: 0.05 });
    expect(r.sha256).toBe(digest);
    expect(row.ratio).toBeGreaterThan(0.5);
    expect(net.b.ext.TCPDSACKOldSent).toBeGreaterThan(0);
    expect(net.a.ext.TCPSackRecovery).toBeLessThanOrEqual(net.stats.ab.queueDrops + 1);
  });

  it('survives loss, reordering and duplication together', () => {
    const { r } = run('loss 2% + reorder 2% + dup 2% rtt 30ms', 30, 0.02, { reorder: 0.02, dup: 0.02 });
    expect(r.sha256).toBe(digest);
  });

  it('recovers with NewReno when the peer has no SACK (RFC 6582), Reno congestion control per socket', () => {
    const net = new StackNet({
      seed: 5,
      ab: { delayMs: 10, rateBps: LINK_BPS, queueLimit: 256, loss: 0.02 },
      ba: { delayMs: 10, loss: 0.02 },
      configA: { sack: false, congestion: 'reno' },
      configB: { sack: false },
    });
    const part = data.subarray(0, 4 * 1024 * 1024);
    const r = bulkTransfer(net, part, 3_600_000);
    expect(r.sha256).toBe(sha256(part));
    expect(r.client.info().congestion).toBe('reno');
    expect(r.client.sackOk).toBe(false);
    expect(net.a.ext.TCPRenoRecovery).toBeGreaterThan(0);
    expect(net.a.ext.TCPSackRecovery).toBe(0);
  });

  it('recovers with RFC 6675 DupThresh loss marking when RACK is off', () => {
    const net = new StackNet({
      seed: 6,
      ab: { delayMs: 10, rateBps: LINK_BPS, queueLimit: 256, loss: 0.03 },
      ba: { delayMs: 10, loss: 0.03 },
      configA: { rack: false, tlp: false },
    });
    const part = data.subarray(0, 4 * 1024 * 1024);
    const r = bulkTransfer(net, part, 3_600_000);
    expect(r.sha256).toBe(sha256(part));
    expect(net.a.ext.TCPSackRecovery).toBeGreaterThan(10);
    expect(net.a.ext.TCPLossProbes).toBe(0);
    // Most losses are repaired by fast retransmit, not by timeouts.
    expect(net.a.ext.TCPFastRetrans).toBeGreaterThan(5 * net.a.ext.TCPTimeouts);
  });

  it('grows the receive buffer to the bandwidth-delay product (auto-tuning) and the send buffer with cwnd', () => {
    const { r } = run('autotune rtt 200ms', 200, 0);
    expect(r.sha256).toBe(digest);
    // 100 Mbit/s × 200 ms = 2.5 MB: the 128 KiB initial buffer must have grown far beyond that.
    expect(r.server!.rcvbuf).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(r.server!.rcvbuf).toBeLessThanOrEqual(RCVBUF_MAX);
    expect(r.client.sndbuf).toBeGreaterThan(64 * 1024);
  });

  it('is deterministic for a seed', () => {
    const a = run('determinism A', 50, 0.05, {}, 42).row;
    const b = run('determinism B', 50, 0.05, {}, 42).row;
    expect([a.virtualS, a.retrans, a.rtos]).toEqual([b.virtualS, b.retrans, b.rtos]);
  });

  it('prints the results table', () => {
    console.table(rows);
    expect(rows.length).toBeGreaterThan(12);
  });
});
