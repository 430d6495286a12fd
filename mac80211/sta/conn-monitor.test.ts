import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { ConnectionMonitor, MAX_NULLFUNC_TRIES, PROBE_WAIT_MS } from './conn-monitor.ts';

function setup() {
  const clock = new VirtualClock();
  const log: string[] = [];
  const m = new ConnectionMonitor(clock, {
    probe: () => log.push(`probe@${clock.now()}`),
    beaconLoss: () => log.push(`loss@${clock.now()}`),
    connectionLost: () => log.push(`lost@${clock.now()}`),
  });
  return { clock, log, m };
}

const WINDOW = 7 * 100 * 1.024; // 7 beacon intervals of 100 TU

describe('connection monitoring', () => {
  it('stays quiet while beacons arrive', () => {
    const { clock, log, m } = setup();
    m.start(100);
    for (let i = 0; i < 50; i++) {
      clock.runFor(102.4);
      m.beaconReceived();
    }
    expect(log).toEqual([]);
  });

  it('after 7 missed beacons probes the AP; an acknowledged probe means it is still there', () => {
    const { clock, log, m } = setup();
    m.start(100);
    clock.runFor(WINDOW + 1);
    expect(log).toEqual([`loss@${WINDOW}`, `probe@${WINDOW}`]);
    m.probeResult(true);
    expect(m.probing).toBe(false);
    clock.runFor(WINDOW - 10);
    expect(log).toHaveLength(2); // watching beacons again, a full window
    expect(m.counters).toMatchObject({ beaconLosses: 1, probes: 1, probesAcked: 1, losses: 0 });
  });

  it('gives up after the last unacknowledged probe (or a probe whose outcome never comes)', () => {
    const { clock, log, m } = setup();
    m.start(100);
    clock.runFor(WINDOW);
    m.probeResult(false);
    expect(log.filter((l) => l.startsWith('probe'))).toHaveLength(MAX_NULLFUNC_TRIES);
    clock.runFor(PROBE_WAIT_MS); // the second probe's status never arrives
    expect(log.at(-1)).toBe(`lost@${WINDOW + PROBE_WAIT_MS}`);
    clock.runFor(10 * WINDOW);
    expect(log.filter((l) => l.startsWith('lost'))).toHaveLength(1);
  });

  it('a beacon during probing ends it; the driver can report beacon and connection loss', () => {
    const { clock, log, m } = setup();
    m.start(100);
    m.driverBeaconLoss();
    expect(m.probing).toBe(true);
    m.beaconReceived();
    expect(m.probing).toBe(false);
    m.driverConnectionLoss();
    expect(log).toEqual(['loss@0', 'probe@0', 'lost@0']);
    m.driverConnectionLoss();
    clock.runFor(10 * WINDOW);
    expect(log).toHaveLength(3);
  });
});
