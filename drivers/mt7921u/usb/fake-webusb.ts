/**
 * A scriptable stand-in for node-usb's WebUSB device, for tests of the real-dongle code without a dongle: the
 * reference descriptor layout (FACTS §1.2), a log of every call, and native transfers that stay pending until the
 * test answers them.
 */
import type { AlternateDescriptor, ConfigurationDescriptor, EndpointDescriptor } from './descriptors.ts';
import type { NativeUsbDevice, WebUsbLike, WebUsbSetup } from './webusb.ts';

export function fakeEndpoint(
  addr: number,
  type: EndpointDescriptor['type'] = 'bulk',
  packetSize = 1024,
): EndpointDescriptor {
  return { endpointNumber: addr & 0x7f, direction: addr & 0x80 ? 'in' : 'out', type, packetSize };
}

export function fakeAlternate(
  cls: [number, number, number],
  endpoints: EndpointDescriptor[],
  alternateSetting = 0,
): AlternateDescriptor {
  return { alternateSetting, interfaceClass: cls[0], interfaceSubclass: cls[1], interfaceProtocol: cls[2], endpoints };
}

/** The real 0e8d:7961 layout: three Bluetooth interfaces, then Wi-Fi on interface 3 with 9 endpoints. */
export function referenceConfig(): ConfigurationDescriptor {
  const bt = fakeAlternate([0xe0, 1, 1], [fakeEndpoint(0x81, 'interrupt', 16), fakeEndpoint(0x82), fakeEndpoint(0x02)]);
  const btIso = fakeAlternate([0xe0, 1, 1], []);
  const wifi = fakeAlternate(
    [0xff, 0xff, 0xff],
    [0x84, 0x85, 0x08, 0x04, 0x05, 0x06, 0x07, 0x09]
      .map((a) => fakeEndpoint(a))
      .concat(fakeEndpoint(0x86, 'interrupt', 2)),
  );
  return {
    configurationValue: 1,
    interfaces: [
      { interfaceNumber: 0, alternate: bt, alternates: [bt] },
      { interfaceNumber: 1, alternate: btIso, alternates: [btIso] },
      { interfaceNumber: 2, alternate: btIso, alternates: [btIso] },
      { interfaceNumber: 3, alternate: wifi, alternates: [wifi] },
    ],
  };
}

export interface NativeCall {
  op: string;
  ep?: number;
  setup?: WebUsbSetup;
  length?: number;
  data?: Uint8Array;
  timeout?: number;
  answer(result: unknown): void;
  fail(err: Error): void;
}

/** Every transfer becomes a NativeCall in `calls` and `pending` until the test answers it. */
export class FakeUsbDevice implements NativeUsbDevice {
  readonly calls: NativeCall[] = [];
  readonly log: string[] = [];
  /** Make a lifecycle call (e.g. 'claimInterface') fail with this error. */
  failing = new Map<string, Error>();
  speed = 'super';
  bus = '2-1';
  address = 4;

  constructor(
    readonly vendorId = 0x0e8d,
    readonly productId = 0x7961,
    public configuration: ConfigurationDescriptor | null = referenceConfig(),
  ) {}

  get pending(): NativeCall[] {
    return this.calls.filter((c) => !(c as { done?: boolean }).done);
  }

  private life(op: string, arg?: number): Promise<void> {
    this.log.push(arg === undefined ? op : `${op}(${arg})`);
    const err = this.failing.get(op);
    return err ? Promise.reject(err) : Promise.resolve();
  }
  open = () => this.life('open');
  close = () => this.life('close');
  reset = () => this.life('reset');
  selectConfiguration = (v: number) => this.life('selectConfiguration', v);
  claimInterface = (n: number) => this.life('claimInterface', n);
  releaseInterface = (n: number) => this.life('releaseInterface', n);
  selectAlternateInterface = (n: number, _alt: number) => this.life('selectAlternateInterface', n);
  detachKernelDriver = (n: number) => this.life('detachKernelDriver', n);

  private call<T>(c: Omit<NativeCall, 'answer' | 'fail'>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call = c as NativeCall & { done?: boolean };
      call.answer = (r) => {
        call.done = true;
        resolve(r as T);
      };
      call.fail = (e) => {
        call.done = true;
        reject(e);
      };
      this.calls.push(call);
    });
  }
  controlTransferIn = (setup: WebUsbSetup, length: number, timeout?: number) =>
    this.call<{ data?: DataView; status: string }>({ op: 'controlIn', setup, length, timeout });
  controlTransferOut = (setup: WebUsbSetup, data?: Uint8Array, timeout?: number) =>
    this.call<{ bytesWritten: number; status: string }>({ op: 'controlOut', setup, data, timeout });
  transferIn = (ep: number, length: number, timeout?: number) =>
    this.call<{ data?: DataView; status: string }>({ op: 'transferIn', ep, length, timeout });
  transferOut = (ep: number, data: Uint8Array, timeout?: number) =>
    this.call<{ bytesWritten: number; status: string }>({ op: 'transferOut', ep, data, timeout });
}

/** An IN result carrying `bytes`. */
export function inOk(bytes: number[] | Uint8Array): { data: DataView; status: 'ok' } {
  const u = Uint8Array.from(bytes);
  return { data: new DataView(u.buffer), status: 'ok' };
}

export class FakeWebUsb implements WebUsbLike {
  private listeners = new Set<(ev: { device: unknown }) => void>();
  constructor(
    public devices: NativeUsbDevice[] = [],
    public listError: Error | null = null,
  ) {}
  getDevices(): Promise<NativeUsbDevice[]> {
    return this.listError ? Promise.reject(this.listError) : Promise.resolve(this.devices);
  }
  addEventListener(_t: 'disconnect', l: (ev: { device: unknown }) => void): void {
    this.listeners.add(l);
  }
  removeEventListener(_t: 'disconnect', l: (ev: { device: unknown }) => void): void {
    this.listeners.delete(l);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
  unplug(device: unknown): void {
    for (const l of [...this.listeners]) l({ device });
  }
}
