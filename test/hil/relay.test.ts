/** The USB relay driver and the HIL configuration, without hardware: a fake node-hid with a fake USBRelay board. */
import { describe, expect, it } from 'vitest';
import { hilConfig } from './env.ts';
import {
  type HidHandle,
  type HidModule,
  loadHid,
  openUsbRelay,
  parseRelaySpec,
  parseRelayStatus,
  relayCommand,
} from './relay.ts';

/** A USBRelay board: feature reports switch relays; the status report carries the serial and the bitmap. */
function fakeBoard(serial: string, withReportId: boolean) {
  const state = { bitmap: 0, sent: [] as number[][], closed: false };
  const handle: HidHandle = {
    sendFeatureReport(data) {
      state.sent.push([...data]);
      if (data.length !== 9 || data[0] !== 0) return -1;
      const bit = 1 << (data[2]! - 1);
      if (data[1] === 0xff) state.bitmap |= bit;
      else if (data[1] === 0xfd) state.bitmap &= ~bit;
      return data.length;
    },
    getFeatureReport(_id, len) {
      const r = [...Buffer.from(serial, 'latin1'), 0, 0, state.bitmap, 0];
      return (withReportId ? [0, ...r] : r).slice(0, len);
    },
    close() {
      state.closed = true;
    },
  };
  return { handle, state };
}

function fakeHid(boards: Record<string, ReturnType<typeof fakeBoard>>): HidModule {
  return {
    devices: () => [
      { vendorId: 0x046d, productId: 0xc52b, path: '/dev/hidraw0' },
      ...Object.keys(boards).map((path) => ({ vendorId: 0x16c0, productId: 0x05df, path, product: 'USBRelay2' })),
    ],
    open: (path) => {
      const b = boards[path];
      if (!b) throw new Error(`cannot open ${path}`);
      return b.handle;
    },
  };
}

describe('USBRelay (16c0:05df)', () => {
  it('on/off feature reports: report id 0, 0xff / 0xfd, the relay number, padded to the 8-byte report', () => {
    expect(relayCommand(true, 2)).toEqual([0x00, 0xff, 2, 0, 0, 0, 0, 0, 0]);
    expect(relayCommand(false, 1)).toEqual([0x00, 0xfd, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('opens a board by path and switches one channel; power() follows the wiring', () => {
    const board = fakeBoard('QAAMZ', false);
    const hid = fakeHid({ '/dev/hidraw3': board });
    const nc = openUsbRelay(hid, parseRelaySpec('/dev/hidraw3:2'));
    nc.power(false); // NC wiring: cutting the power energizes the relay
    expect(board.state.bitmap).toBe(0b10);
    nc.power(true);
    expect(board.state.bitmap).toBe(0);
    const no = openUsbRelay(hid, parseRelaySpec('/dev/hidraw3:1:no'));
    no.power(true);
    expect(board.state.bitmap).toBe(0b01);
    expect(no.status()).toEqual({ serial: 'QAAMZ', bitmap: 1 });
  });

  it('finds a board by its serial (status report with or without the report id), closing the others', () => {
    const a = fakeBoard('AAAAA', true);
    const b = fakeBoard('BBBBB', true);
    const relay = openUsbRelay(fakeHid({ '/dev/hidraw4': a, '/dev/hidraw5': b }), parseRelaySpec('BBBBB:1'));
    relay.on();
    expect([a.state.closed, b.state.bitmap]).toEqual([true, 1]);
    expect(() =>
      openUsbRelay(fakeHid({ '/dev/hidraw4': fakeBoard('AAAAA', false) }), parseRelaySpec('ZZZZZ:1')),
    ).toThrow('no USBRelay board (16c0:05df) matches "ZZZZZ"; boards seen: /dev/hidraw4 serial AAAAA');
  });

  it('status reports: both layouts decode; garbage gives null', () => {
    expect(parseRelayStatus([0x51, 0x41, 0x41, 0x4d, 0x5a, 0, 0, 3])).toEqual({ serial: 'QAAMZ', bitmap: 3 });
    expect(parseRelayStatus([0, 0x51, 0x41, 0x41, 0x4d, 0x5a, 0, 0, 5])).toEqual({ serial: 'QAAMZ', bitmap: 5 });
    expect(parseRelayStatus([1, 2, 3])).toBeNull();
    expect(parseRelayStatus([])).toBeNull();
  });

  it('relay specs: path or serial, channel 1–8, wiring; malformed ones say the expected form', () => {
    expect(parseRelaySpec('/dev/hidraw3:1')).toEqual({ target: '/dev/hidraw3', channel: 1, wiring: 'nc' });
    expect(parseRelaySpec('QAAMZ:8:NO')).toEqual({ target: 'QAAMZ', channel: 8, wiring: 'no' });
    expect(parseRelaySpec('1-2:1.0:3')).toEqual({ target: '1-2:1.0', channel: 3, wiring: 'nc' });
    expect(() => parseRelaySpec('/dev/hidraw3')).toThrow(
      /expected "<hidraw path or board serial>:<channel>\[:nc\|:no\]"/,
    );
    expect(() => parseRelaySpec('x:9')).toThrow(/channel 9 is not 1–8/);
  });

  it('node-hid loads, or says why not and what it needs', async () => {
    const r = await loadHid().then(
      (m) => ({ ok: Array.isArray(m.devices()) }),
      (e: Error) => ({ ok: false, message: e.message }),
    );
    if (!r.ok) expect((r as { message: string }).message).toMatch(/^node-hid is not usable here: .*libusb-1\.0-0/);
  });
});

describe('HIL configuration', () => {
  it('reads the variables; AIRSTACK_HIL must be exactly 1; a bad relay spec is reported, not thrown', () => {
    expect(hilConfig({})).toEqual({
      enabled: false,
      ssid: null,
      passphrase: null,
      url: null,
      relay: null,
      relayError: null,
    });
    const c = hilConfig({
      AIRSTACK_HIL: '1',
      AIRSTACK_HIL_SSID: ' lab ',
      AIRSTACK_HIL_PASSPHRASE: 'secret123',
      AIRSTACK_HIL_URL: 'http://192.168.1.1/',
      AIRSTACK_HIL_RELAY: '/dev/hidraw3:1',
    });
    expect(c).toMatchObject({ enabled: true, ssid: 'lab', url: 'http://192.168.1.1/', relay: { channel: 1 } });
    expect(hilConfig({ AIRSTACK_HIL: 'yes' }).enabled).toBe(false);
    expect(hilConfig({ AIRSTACK_HIL_RELAY: 'bogus' }).relayError).toMatch(/AIRSTACK_HIL_RELAY="bogus"/);
  });
});
