/**
 * The emulator's counters, in the style of /proc/net/snmp: one number per event, plus `drops` keyed by reason for
 * everything refused (malformed commands, bad framing, out-of-order download steps...). Tests read them.
 */
export class EmulatorCounters {
  // USB
  controlIn = 0;
  controlOut = 0;
  controlStalls = 0;
  bulkOut = 0;
  bulkOutBytes = 0;
  bulkIn = 0;
  bulkInBytes = 0;
  /** IN packets lost because the host's read buffer was too small. */
  inOverflows = 0;
  /** IN packets dropped because the endpoint's FIFO was full (host not reading). */
  inFifoDrops = 0;
  // MCU
  mcuCommands = 0;
  mcuReplies = 0;
  mcuUnsolicited = 0;
  /** Malformed command descriptors (detail in drops). */
  mcuMalformed = 0;
  /** Well-formed commands the firmware does not know (legacy: silence; UNI: error status). */
  mcuUnknown = 0;
  /** Commands sent in the wrong stage (RAM commands to the ROM, download commands to the RAM firmware). */
  mcuWrongStage = 0;
  /** Commands or scatter data sent while the MCU was off, hung or busy rebooting. */
  mcuIgnored = 0;
  /** Commands answered with an error status. */
  mcuErrors = 0;
  // Firmware download
  fwScatterChunks = 0;
  fwScatterBytes = 0;
  fwErrors = 0;
  fwBoots = 0;
  // Data path
  txFrames = 0;
  txBytes = 0;
  txDropped = 0;
  txQueueMismatch = 0;
  txEncrypted = 0;
  txStatusReports = 0;
  txAcked = 0;
  txNoAck = 0;
  /** Retransmissions after a missing ACK. */
  txRetries = 0;
  rxFrames = 0;
  rxBytes = 0;
  /** Frames heard on the air but not delivered (address filter, MAC off, RX filter). */
  rxFiltered = 0;
  rxDecrypted = 0;
  rxIcvErrors = 0;
  rxCipherMismatch = 0;
  // Scan / ROC
  scans = 0;
  scanProbes = 0;
  rocGrants = 0;
  beaconLoss = 0;
  // Resets
  wfsysResets = 0;
  usbResets = 0;

  /** Refusals by reason. */
  readonly drops: Record<string, number> = {};

  drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }
}
