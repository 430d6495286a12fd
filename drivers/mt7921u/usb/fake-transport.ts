/**
 * A UsbTransport whose every transfer is answered by a function the test supplies, with a log of what was asked:
 * for testing code that sits on the transport (register access, recorder, replayer) without a device.
 */
import { type ControlSetup, type UsbDeviceInfo, type UsbEndpoints, UsbError, type UsbTransport } from '../transport.ts';

export type FakeCall =
  | { op: 'controlIn'; setup: ControlSetup; length: number; timeoutMs?: number }
  | { op: 'controlOut'; setup: ControlSetup; data: Uint8Array | null; timeoutMs?: number }
  | { op: 'bulkOut'; ep: number; data: Uint8Array; timeoutMs?: number }
  | { op: 'bulkIn'; ep: number; length: number; timeoutMs?: number }
  | { op: 'reset' };

/** What the handler returns: bytes for IN transfers, nothing for OUT, or a UsbError (thrown or returned). */
export type FakeAnswer = Uint8Array | undefined | UsbError;

export const REFERENCE_INFO: UsbDeviceInfo = {
  vendorId: 0x0e8d,
  productId: 0x7961,
  speed: 'super',
  ep0MaxPacket: 512,
  interfaceNumber: 3,
  description: 'fake 0e8d:7961',
};
export const REFERENCE_ENDPOINTS: UsbEndpoints = { in: [0x84, 0x85], out: [0x08, 0x04, 0x05, 0x06, 0x07, 0x09] };

export class FakeTransport implements UsbTransport {
  readonly calls: FakeCall[] = [];
  removed = false;
  private listeners = new Set<(err: UsbError) => void>();

  constructor(
    public handler: (call: FakeCall) => FakeAnswer | Promise<FakeAnswer> = () => undefined,
    readonly info: UsbDeviceInfo = REFERENCE_INFO,
    readonly endpoints: UsbEndpoints = REFERENCE_ENDPOINTS,
  ) {}

  private async answer(call: FakeCall): Promise<FakeAnswer> {
    if (this.removed) throw new UsbError('nodev', 'fake device removed');
    this.calls.push(call);
    const a = await this.handler(call);
    if (a instanceof UsbError) {
      if (a.code === 'nodev') this.unplug();
      throw a;
    }
    return a;
  }

  async controlIn(setup: ControlSetup, length: number, timeoutMs?: number): Promise<Uint8Array> {
    return ((await this.answer({ op: 'controlIn', setup, length, timeoutMs })) as Uint8Array) ?? new Uint8Array(0);
  }
  async controlOut(setup: ControlSetup, data: Uint8Array | null, timeoutMs?: number): Promise<void> {
    await this.answer({ op: 'controlOut', setup, data, timeoutMs });
  }
  async bulkOut(ep: number, data: Uint8Array, timeoutMs?: number): Promise<void> {
    await this.answer({ op: 'bulkOut', ep, data, timeoutMs });
  }
  async bulkIn(ep: number, length: number, timeoutMs?: number): Promise<Uint8Array> {
    return ((await this.answer({ op: 'bulkIn', ep, length, timeoutMs })) as Uint8Array) ?? new Uint8Array(0);
  }
  cancelIn(): void {}
  async reset(): Promise<void> {
    await this.answer({ op: 'reset' });
  }
  async close(): Promise<void> {
    this.unplug();
  }
  onRemoved(listener: (err: UsbError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  unplug(): void {
    if (this.removed) return;
    this.removed = true;
    for (const l of this.listeners) l(new UsbError('nodev', 'fake device removed'));
  }
}
