/** The emulated MT7921U (drivers/mt7921u/emulator): see device.ts. */
export { EmulatedMt7921u, DEFAULT_TIMING, type EmulatorOptions, type EmulatorTiming } from './device.ts';
export { EmulatorCounters } from './counters.ts';
export { FaultInjector, type RandomFaults, type CommandMatch } from './faults.ts';
export { MT7921U_IDS } from './descriptors.ts';
export {
  type EmulatorRadio,
  type RadioChannel,
  type RadioRate,
  type RadioRxInfo,
  type RadioReceiver,
  TestAir,
  TestRadio,
} from './radio.ts';
export type { ChipState, StaRecord, BssRecord, VifRecord, KeyEntry } from './state.ts';
export type { DownloadedRegion } from './fwdl.ts';
