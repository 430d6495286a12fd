/**
 * The real-dongle transport (usb/libusb.ts, node-usb 2's libusb API) end to end without a dongle: a stand-in libusb
 * device whose control and bulk transfers are answered by the emulated MT7921U. The emulator stalls vendor
 * requests with the wrong bmRequestType, so a bring-up that completes shows that the transport sends the exact
 * bytes mt7921u needs (0xdf/0x5f READ_EXT/WRITE_EXT, 0xde/0x5e UHW, 0x5f POWER_ON), with reads in flight on both
 * IN endpoints as real libusb transfers.
 */
import { describe, expect, it } from 'vitest';
import { EmulatedMt7921u } from '../../drivers/mt7921u/emulator/index.ts';
import type { UsbError } from '../../drivers/mt7921u/transport.ts';
import type { LibusbConfigDescriptor } from '../../drivers/mt7921u/usb/descriptors.ts';
import { libusbError, referenceConfig } from '../../drivers/mt7921u/usb/fake-libusb.ts';
import {
  type LibusbDevice,
  type LibusbEndpoint,
  type LibusbInterface,
  openDevice,
} from '../../drivers/mt7921u/usb/libusb.ts';
import { createMt7921uDevice } from '../../drivers/mt7921u/usb-bus.ts';
import { buildPatch, buildRamCode, parsePatch, parseRamCode } from '../../firmware/index.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { settle } from './world.ts';

/** UsbError code → the libusb transfer status node-usb would report. */
const STATUS: Record<string, [string, number]> = {
  stall: ['LIBUSB_TRANSFER_STALL', 4],
  nodev: ['LIBUSB_TRANSFER_NO_DEVICE', 5],
  timeout: ['LIBUSB_TRANSFER_TIMED_OUT', 2],
  cancelled: ['LIBUSB_TRANSFER_CANCELLED', 3],
  proto: ['LIBUSB_TRANSFER_ERROR', 1],
  io: ['LIBUSB_TRANSFER_ERROR', 1],
};
const asLibusb = (e: unknown) => libusbError(...(STATUS[(e as UsbError).code] ?? STATUS.io!));

/** A libusb device (node-usb 2's shape) in front of the emulated chip. */
class EmulatorLibusbDevice implements LibusbDevice {
  readonly busNumber = 1;
  readonly portNumbers = [2];
  readonly deviceAddress = 3;
  readonly deviceDescriptor;
  readonly configDescriptor: LibusbConfigDescriptor = referenceConfig();
  timeout = 1000;
  /** bmRequestType of every control transfer, in order. */
  readonly requestTypes: number[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(readonly emu: EmulatedMt7921u) {
    this.deviceDescriptor = {
      idVendor: emu.info.vendorId,
      idProduct: emu.info.productId,
      bcdUSB: 0x0320,
      bMaxPacketSize0: 9,
    };
  }
  open(): void {}
  close(): void {}
  reset(cb: (err?: Error | null) => void): void {
    this.emu.reset().then(
      () => cb(),
      (e) => cb(asLibusb(e)),
    );
  }
  setConfiguration(_n: number, cb?: (err?: Error | null) => void): void {
    cb?.();
  }
  interface(n: number): LibusbInterface {
    const emu = this.emu;
    const endpoint = (ep: number): LibusbEndpoint => ({
      makeTransfer: (timeout, cb) => {
        let live = false;
        return {
          submit: (buf: Buffer) => {
            live = true;
            const done = (err: Error | undefined, actual: number) => {
              if (!live) return; // cancelled: whatever arrives is lost
              live = false;
              if (ep & 0x80) this.inFlight--;
              cb(err, buf, actual);
            };
            if (ep & 0x80) {
              this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
              emu.bulkIn(ep, buf.length, timeout).then(
                (d) => {
                  buf.set(d);
                  done(undefined, d.length);
                },
                (e) => done(asLibusb(e), 0),
              );
            } else {
              emu.bulkOut(ep, buf, timeout).then(
                () => done(undefined, buf.length),
                (e) => done(asLibusb(e), 0),
              );
            }
          },
          cancel: () => {
            if (!live) return false;
            queueMicrotask(() => {
              if (!live) return;
              live = false;
              if (ep & 0x80) this.inFlight--;
              cb(libusbError('LIBUSB_TRANSFER_CANCELLED', 3), Buffer.alloc(0), 0);
            });
            return true;
          },
        };
      },
    });
    return {
      claim: () => {},
      release: (cb) => cb?.(),
      isKernelDriverActive: () => false,
      detachKernelDriver: () => {},
      attachKernelDriver: () => {},
      setAltSetting: (_alt, cb) => cb?.(),
      endpoint: (address) => (n === 3 ? endpoint(address) : undefined),
    };
  }
  controlTransfer(
    bmRequestType: number,
    bRequest: number,
    wValue: number,
    wIndex: number,
    dataOrLength: number | Buffer,
    cb: (err: Error | undefined | null, data?: Buffer | number) => void,
  ): this {
    this.requestTypes.push(bmRequestType);
    const setup = { requestType: bmRequestType, request: bRequest, value: wValue, index: wIndex };
    if (typeof dataOrLength === 'number') {
      this.emu.controlIn(setup, dataOrLength, this.timeout).then(
        (d) => cb(undefined, Buffer.from(d)),
        (e) => cb(asLibusb(e)),
      );
    } else {
      this.emu.controlOut(setup, dataOrLength, this.timeout).then(
        () => cb(undefined, dataOrLength.length),
        (e) => cb(asLibusb(e)),
      );
    }
    return this;
  }
}

describe('the libusb transport on the emulated MT7921U', () => {
  it('a whole bring-up: exact vendor request types, reads in flight on both IN endpoints, no stall', async () => {
    const clock = new VirtualClock();
    const patch = buildPatch();
    const ram = buildRamCode();
    const emu = new EmulatedMt7921u({ clock, seed: 1, firmware: { patch, ram } });
    const dev = new EmulatorLibusbDevice(emu);
    const transport = await settle(clock, openDevice(dev, { clock, reset: true, detachKernelDriver: true }));
    expect(transport.info).toMatchObject({ speed: 'super', ep0MaxPacket: 512, interfaceNumber: 3 });
    const { device } = createMt7921uDevice({
      transport,
      clock,
      firmware: { patch: parsePatch(patch), ram: parseRamCode(ram) },
      bus: { resetOnProbe: false },
    });
    await settle(clock, device.probe());
    expect(device.state).toBe('ready');
    expect(device.initAttempts).toBe(1);
    expect(device.chip?.asicRevision).toBe(0x79610010);
    expect(emu.download.error).toBeNull();
    expect(emu.download.regions.every((r) => r.matchesFile)).toBe(true);
    // the request types on the wire are exactly mt7921u's (FACTS §2.2)
    expect([...new Set(dev.requestTypes)].sort((a, b) => a - b)).toEqual([0x5e, 0x5f, 0xde, 0xdf]);
    expect(emu.counters.drops).toEqual({});
    // the driver's 16 reads per IN endpoint were real transfers in flight at once
    expect(transport.stats.maxInFlight).toEqual({ 132: 16, 133: 16 });
    expect(dev.maxInFlight).toBe(32);
    expect(transport.stats.errors).toBe(0);
    device.close();
    await settle(clock, transport.close());
    expect(transport.nativePending).toBe(0);
  });
});
