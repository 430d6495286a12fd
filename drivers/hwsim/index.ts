/**
 * drivers/hwsim: the mock radio PHY (medium, radio ports, monitor, fault injection) and the hwsim virtual radio
 * that mac80211 drives through the ops interface.
 */
export { ackTimeUs, aifsUs, rateMbps, sifsUs, slotUs, txTimeUs } from './airtime.ts';
export { CHANNELS_2G, CHANNELS_5G, centerFreq, chandef, chandefFromFreq, channel } from './chan.ts';
export { EmulatorRadioAdapter, rateFromRadio, rateToRadio } from './emulator-radio.ts';
export { type AirDelivery, FaultInjector, type FaultKind, FaultRule, type FaultSpec } from './faults.ts';
export { type AirEvent, Medium, type MediumOptions, type MonitorHook, type Timing } from './medium.ts';
export { type CaptureWriter, type MonitorOptions, RadiotapMonitor, radiotapFields } from './monitor.ts';
export { RadioPort, type RadioOptions, type RxHandler, type TxCompleteHandler } from './port.ts';
export { HwsimRadio, type HwsimRadioCounters, type HwsimRadioOptions, type HwsimVifState } from './radio.ts';
export { BITRATES_2G, BITRATES_5G, hwsimCaps, legacyRate, rateInfo } from './radio-caps.ts';
export { DEFAULT_DWELL_ACTIVE_MS, DEFAULT_DWELL_PASSIVE_MS } from './radio-scan.ts';
export {
  DEFAULT_LINK,
  DEFAULT_NOISE_FLOOR,
  DEFAULT_RETRY_LIMIT,
  type LinkSettings,
  type MediumCounters,
  type RadioCounters,
  REFERENCE_TX_POWER,
  type RxInfo,
  type TxParams,
  type TxResult,
} from './types.ts';
