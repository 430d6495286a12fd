/**
 * A scriptable stand-in for node-usb 2's libusb Device, for tests of the real-dongle code without a dongle: the
 * reference descriptor layout (FACTS §1.2) in libusb's shape, a log of every lifecycle call, and native transfers
 * that stay pending until the test answers them. Cancelling a pending transfer calls it back with
 * LIBUSB_TRANSFER_CANCELLED on the next microtask, as libusb does (later, from its event thread).
 */
import type { LibusbConfigDescriptor, LibusbEndpointDescriptor, LibusbInterfaceDescriptor } from './descriptors.ts';
import type { LibusbDevice, LibusbEndpoint, LibusbInterface, LibusbTransfer } from './libusb.ts';
import type { UsbModule } from './finder.ts';
import { LIBUSB_TRANSFER_CANCELLED } from './native-errors.ts';

/** An error as node-usb makes them: libusb_error_name() as the message, the number in `errno`. */
export function libusbError(name: string, errno: number): Error {
  return Object.assign(new Error(name), { errno });
}

const TYPE = { control: 0, isochronous: 1, bulk: 2, interrupt: 3 } as const;

export function fakeEndpoint(
  addr: number,
  type: keyof typeof TYPE = 'bulk',
  wMaxPacketSize = 1024,
): LibusbEndpointDescriptor {
  return { bEndpointAddress: addr, bmAttributes: TYPE[type], wMaxPacketSize };
}

export function fakeInterface(
  n: number,
  cls: [number, number, number],
  endpoints: LibusbEndpointDescriptor[],
  alt = 0,
): LibusbInterfaceDescriptor {
  return {
    bInterfaceNumber: n,
    bAlternateSetting: alt,
    bInterfaceClass: cls[0],
    bInterfaceSubClass: cls[1],
    bInterfaceProtocol: cls[2],
    endpoints,
  };
}

/** The real 0e8d:7961 layout (LSUSB): three Bluetooth interfaces, then Wi-Fi on interface 3 with 9 endpoints. */
export function referenceConfig(bulkPacketSize = 1024): LibusbConfigDescriptor {
  const bt = (n: number, eps: LibusbEndpointDescriptor[]) => fakeInterface(n, [0xe0, 1, 1], eps);
  const wifi = fakeInterface(
    3,
    [0xff, 0xff, 0xff],
    [0x84, 0x85, 0x08, 0x04, 0x05, 0x06, 0x07, 0x09]
      .map((a) => fakeEndpoint(a, 'bulk', bulkPacketSize))
      .concat(fakeEndpoint(0x86, 'interrupt', 2)),
  );
  return {
    bConfigurationValue: 1,
    interfaces: [
      [bt(0, [fakeEndpoint(0x81, 'interrupt', 16), fakeEndpoint(0x82), fakeEndpoint(0x02)])],
      [bt(1, []), ...[1, 2, 3, 4, 5, 6].map((alt) => fakeInterface(1, [0xe0, 1, 1], [], alt))],
      [bt(2, [])],
      [wifi],
    ],
  };
}

export interface NativeCall {
  op: 'control' | 'bulk';
  ep: number;
  /** Control transfers: the setup fields; wLength is `length` (IN) or the data's length (OUT). */
  setup?: { bmRequestType: number; bRequest: number; wValue: number; wIndex: number };
  /** IN: the buffer length asked for. */
  length: number;
  /** OUT: the bytes sent. */
  data?: Buffer;
  timeout: number;
  done: boolean;
  cancelRequested: boolean;
  /** Complete with these bytes (IN) or as fully sent (OUT). */
  answer(bytes?: number[] | Uint8Array, actual?: number): void;
  fail(err: Error): void;
}

/**
 * A pending NativeCall: `onAnswer` turns the test's answer into the callback, `onFail` an error; both at most once.
 */
function nativeCall(
  fields: Omit<NativeCall, 'done' | 'cancelRequested' | 'answer' | 'fail'>,
  onAnswer: (bytes: number[] | Uint8Array | undefined, actual: number | undefined) => void,
  onFail: (err: Error) => void,
): NativeCall {
  const call: NativeCall = {
    ...fields,
    done: false,
    cancelRequested: false,
    answer: (bytes, actual) => {
      if (call.done) return;
      call.done = true;
      onAnswer(bytes, actual);
    },
    fail: (err) => {
      if (call.done) return;
      call.done = true;
      onFail(err);
    },
  };
  return call;
}

class FakeTransfer implements LibusbTransfer {
  call: NativeCall | null = null;
  constructor(
    private readonly dev: FakeLibusbDevice,
    private readonly ep: number,
    private readonly timeout: number,
    private readonly cb: (err: Error | undefined, buf: Buffer, actual: number) => void,
  ) {}
  submit(buffer: Buffer): this {
    if (this.dev.submitError) throw this.dev.submitError;
    if (this.call && !this.call.done) throw libusbError('LIBUSB_ERROR_BUSY', -6);
    const isIn = (this.ep & 0x80) !== 0;
    const call = nativeCall(
      { op: 'bulk', ep: this.ep, length: buffer.length, data: isIn ? undefined : buffer, timeout: this.timeout },
      (bytes, actual) => {
        let n = actual ?? buffer.length;
        if (isIn) {
          const b = Buffer.from(bytes ?? []);
          b.copy(buffer);
          n = Math.min(b.length, buffer.length);
        }
        this.cb(undefined, buffer, n);
      },
      (err) => this.cb(err, buffer, 0),
    );
    this.call = call;
    this.dev.calls.push(call);
    return this;
  }
  cancel(): boolean {
    const call = this.call;
    if (!call || call.done) return false;
    call.cancelRequested = true;
    if (this.dev.autoCancel) {
      queueMicrotask(() => call.fail(libusbError('LIBUSB_TRANSFER_CANCELLED', LIBUSB_TRANSFER_CANCELLED)));
    }
    return true;
  }
}

/** Every transfer becomes a NativeCall in `calls` (and `pending` until the test answers it). */
export class FakeLibusbDevice implements LibusbDevice {
  readonly calls: NativeCall[] = [];
  readonly log: string[] = [];
  /** Make a lifecycle call (e.g. 'claim', 'reset', 'open') fail with this error. */
  failing = new Map<string, Error>();
  /** A kernel driver is bound to the Wi-Fi interface. */
  kernelDriver = false;
  /** Cancelled transfers call back by themselves (true) or wait for the test (false). */
  autoCancel = true;
  /** Every submit throws this (e.g. LIBUSB_ERROR_NO_DEVICE) when set. */
  submitError: Error | null = null;
  timeout = 1000;
  busNumber = 2;
  portNumbers = [1];
  deviceAddress = 4;
  readonly deviceDescriptor;
  configDescriptor: LibusbConfigDescriptor | undefined;
  private opened = false;

  constructor(
    idVendor = 0x0e8d,
    idProduct = 0x7961,
    /** null: an unconfigured device (no active configuration). */
    config: LibusbConfigDescriptor | null = referenceConfig(),
    super_ = true,
  ) {
    this.deviceDescriptor = { idVendor, idProduct, bcdUSB: super_ ? 0x0320 : 0x0210, bMaxPacketSize0: super_ ? 9 : 64 };
    this.configDescriptor = config ?? undefined;
  }

  get pending(): NativeCall[] {
    return this.calls.filter((c) => !c.done);
  }

  private life(op: string): void {
    this.log.push(op);
    const err = this.failing.get(op.replace(/\(.*/, ''));
    if (err) throw err;
  }

  open(): void {
    this.life('open');
    this.opened = true;
  }
  close(): void {
    this.life('close');
    this.opened = false;
  }
  reset(cb: (err?: Error) => void): void {
    let err: Error | undefined;
    try {
      this.life('reset');
    } catch (e) {
      err = e as Error;
    }
    queueMicrotask(() => cb(err));
  }
  setConfiguration(n: number, cb?: (err?: Error) => void): void {
    this.log.push(`setConfiguration(${n})`);
    this.configDescriptor ??= referenceConfig();
    queueMicrotask(() => cb?.());
  }

  interface(n: number): LibusbInterface {
    if (!this.opened) throw new Error('Device must be open before searching for interfaces');
    const endpoints = new Map<number, LibusbEndpoint>();
    for (const alts of this.configDescriptor?.interfaces ?? []) {
      if (alts[0]?.bInterfaceNumber !== n) continue;
      for (const e of alts[0].endpoints) {
        const address = e.bEndpointAddress;
        endpoints.set(address, { makeTransfer: (timeout, cb) => new FakeTransfer(this, address, timeout, cb) });
      }
    }
    if (endpoints.size === 0) throw new Error(`Interface not found for address: ${n}`);
    return {
      claim: () => this.life(`claim(${n})`),
      release: (cb) => {
        this.log.push(`release(${n})`);
        queueMicrotask(() => cb?.());
      },
      isKernelDriverActive: () => this.kernelDriver,
      detachKernelDriver: () => {
        this.life(`detachKernelDriver(${n})`);
        this.kernelDriver = false;
      },
      attachKernelDriver: () => {
        this.log.push(`attachKernelDriver(${n})`);
        this.kernelDriver = true;
      },
      setAltSetting: (alt, cb) => {
        this.log.push(`setAltSetting(${n},${alt})`);
        queueMicrotask(() => cb?.());
      },
      endpoint: (address) => endpoints.get(address),
    };
  }

  controlTransfer(
    bmRequestType: number,
    bRequest: number,
    wValue: number,
    wIndex: number,
    dataOrLength: number | Buffer,
    cb: (err: Error | undefined, data?: Buffer | number) => void,
  ): this {
    const isIn = (bmRequestType & 0x80) !== 0;
    const length = isIn ? (dataOrLength as number) : (dataOrLength as Buffer).length;
    const call = nativeCall(
      {
        op: 'control',
        ep: 0,
        setup: { bmRequestType, bRequest, wValue, wIndex },
        length,
        data: isIn ? undefined : (dataOrLength as Buffer),
        timeout: this.timeout,
      },
      (bytes, actual) => {
        if (isIn) cb(undefined, Buffer.from(bytes ?? []).subarray(0, length));
        else cb(undefined, actual ?? length);
      },
      (err) => cb(err, undefined),
    );
    this.calls.push(call);
    return this;
  }
}

/** The `usb` module: a device list and the hotplug 'detach' event. */
export class FakeUsbModule implements UsbModule {
  private listeners = new Set<(d: LibusbDevice) => void>();
  constructor(
    public devices: LibusbDevice[] = [],
    public listError: Error | null = null,
  ) {}
  getDeviceList(): LibusbDevice[] {
    if (this.listError) throw this.listError;
    return this.devices;
  }
  on(_e: 'detach', l: (d: LibusbDevice) => void): this {
    this.listeners.add(l);
    return this;
  }
  removeListener(_e: 'detach', l: (d: LibusbDevice) => void): this {
    this.listeners.delete(l);
    return this;
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
  unplug(device: LibusbDevice): void {
    this.devices = this.devices.filter((d) => d !== device);
    for (const l of [...this.listeners]) l(device);
  }
}
