/**
 * Glue from the shared UsbTransport (drivers/mt7921u/transport.ts: real dongle, emulator, replayer) and the
 * vendor-request register layer (usb/regaccess.ts) to the small interfaces the driver core uses (bus.ts).
 */
import type { Clock } from '../../netstack/core/clock.ts';
import type { NetCore } from '../../netstack/core/netdevice.ts';
import type { RegAccess, UsbBus, UsbEndpointInfo } from './bus.ts';
import { Mt7921uDevice, type Mt7921uDeviceOptions } from './device.ts';
import type { UsbTransport } from './transport.ts';
import { Mt792xUsbRegs, type RegAccessOptions } from './usb/regaccess.ts';

export interface BusOptions {
  /**
   * Whether probe's usb_reset_device goes to the transport. openDongle() already resets the port before claiming
   * where the platform keeps the handle valid; pass false then to avoid a second reset.
   */
  resetOnProbe?: boolean;
}

/** The driver's view of a UsbTransport. */
export function usbBusFromTransport(t: UsbTransport, opts: BusOptions = {}): UsbBus {
  const eps: UsbEndpointInfo[] = [
    ...t.endpoints.in.map((address) => ({ address, type: 'bulk' })),
    ...t.endpoints.out.map((address) => ({ address, type: 'bulk' })),
  ];
  return {
    resetDevice: () => (opts.resetOnProbe === false ? Promise.resolve() : t.reset()),
    endpoints: () => eps,
    get removed() {
      return t.removed;
    },
    bulkOut: (ep, data) => t.bulkOut(ep, data),
    bulkIn: (ep, length) => t.bulkIn(ep, length),
    cancelBulkIn: () => t.cancelIn(),
  };
}

export interface TransportDeviceOptions extends Omit<Mt7921uDeviceOptions, 'bus' | 'regs'> {
  transport: UsbTransport;
  clock: Clock;
  core?: NetCore;
  bus?: BusOptions;
  regAccess?: RegAccessOptions;
}

/** An Mt7921uDevice on a UsbTransport, with register access by vendor requests. */
export function createMt7921uDevice(o: TransportDeviceOptions): { device: Mt7921uDevice; regs: RegAccess } {
  const regs = new Mt792xUsbRegs(o.transport, o.clock, o.regAccess);
  const { transport, bus, regAccess, ...rest } = o;
  const device = new Mt7921uDevice({ ...rest, bus: usbBusFromTransport(transport, bus), regs });
  return { device, regs };
}
