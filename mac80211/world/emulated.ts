/**
 * A station driver for the World that is the whole MT7921U path: the mt7921u driver (Mt7921uHw, drivers/mt7921u)
 * over the USB-level emulated chip (drivers/mt7921u/emulator), whose antenna is a port of the world's medium
 * (drivers/hwsim EmulatorRadioAdapter). The chip is probed — firmware downloaded, MCU up — before mac80211 starts
 * it; its hardware scan, JOIN (mgd_prepare_tx), hardware CCMP and TX status are the emulated firmware's.
 *
 *     const sta = await world.addStation({ driver: emulatedMt7921u() });
 */
import { EmulatorRadioAdapter } from '../../drivers/hwsim/emulator-radio.ts';
import { EmulatedMt7921u, type EmulatorOptions } from '../../drivers/mt7921u/emulator/index.ts';
import { Mt7921uHw } from '../../drivers/mt7921u/ops.ts';
import { createMt7921uDevice } from '../../drivers/mt7921u/usb-bus.ts';
import { buildPatch, buildRamCode, parsePatch, parseRamCode } from '../../firmware/index.ts';
import type { Ieee80211Ops } from '../driver-ops.ts';
import type { DriverContext } from './world.ts';

export interface EmulatedOptions {
  /** Firmware files (default: synthetic images in the MT7961 format, which the emulator accepts). */
  patch?: Uint8Array;
  ram?: Uint8Array;
  /** Seed of the emulator's own random choices (default 1). */
  seed?: number;
  /** More emulator settings (timing, FIFO depth, USB speed...). */
  emulator?: Partial<Omit<EmulatorOptions, 'clock' | 'radio' | 'firmware' | 'macAddress'>>;
  /** Receives the emulator and the device once probed (diagnostics, fault injection). */
  onReady?: (emu: EmulatedMt7921u, hw: Mt7921uHw) => void;
}

/** A driver factory for World.addStation: the emulated MT7921U behind the mt7921u driver. */
export function emulatedMt7921u(o: EmulatedOptions = {}): (ctx: DriverContext) => Promise<Ieee80211Ops> {
  return async (ctx) => {
    const patch = o.patch ?? buildPatch();
    const ram = o.ram ?? buildRamCode();
    const port = ctx.medium.attach(ctx.addr, { name: ctx.name });
    const emu = new EmulatedMt7921u({
      ...o.emulator,
      clock: ctx.clock,
      seed: o.seed ?? 1,
      macAddress: ctx.addr,
      radio: new EmulatorRadioAdapter(port),
      firmware: { patch, ram },
    });
    const { device } = createMt7921uDevice({
      transport: emu,
      clock: ctx.clock,
      core: ctx.core,
      firmware: { patch: parsePatch(patch), ram: parseRamCode(ram) },
    });
    await ctx.settle(device.probe(), 60_000);
    const hw = new Mt7921uHw(device);
    o.onReady?.(emu, hw);
    return hw;
  };
}
