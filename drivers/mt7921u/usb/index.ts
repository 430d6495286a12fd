/** The USB side of the mt7921u driver: the real dongle (node-usb 2's libusb API), register access, traces. */
export { DongleSetupError, type WifiInterface, selectWifiInterface } from './descriptors.ts';
export { type DongleCandidate, type UsbModule, findDongles, loadUsb, openDongle } from './finder.ts';
export { MT7921U_IDS, matchDongleId, usbIdString } from './ids.ts';
export { LibusbTransport, openDevice } from './libusb.ts';
export { TraceFileError, type TraceSink, UsbRecorder, openTraceFile, traceToFile } from './recorder.ts';
export * from './regaccess.ts';
export { ReplayDivergenceError, ReplayTransport } from './replayer.ts';
export { TraceFormatError, parseTrace, type TraceRecord } from './trace.ts';
