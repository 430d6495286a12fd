/**
 * Driver errors with a code a caller can switch on and a message that says what happened and what to try.
 */

export type Mt7921uErrorCode =
  /** MT_HW_CHIPID did not read back (bus error) or names a chip this driver has no firmware for. */
  | 'bus'
  | 'unsupported-chip'
  /** MT_CONN_ON_MISC FW_PWR_ON did not come up within 500 ms after POWER_ON. */
  | 'power-on-timeout'
  /** WFSYS reset: WFSYS_INIT_DONE never set. */
  | 'wfsys-reset-timeout'
  /** DMA init: RX DMA stayed busy. */
  | 'dma-busy'
  /** The patch semaphore could not be taken or released. */
  | 'patch-semaphore'
  /** The firmware image cannot be downloaded as given (section type, lengths). */
  | 'bad-firmware'
  /** PATCH_FINISH_REQ returned a non-zero status. */
  | 'patch-finish'
  /** N9 never became ready after FW_START_REQ (1.5 s). */
  | 'fw-init-timeout'
  /** GET_NIC_CAPAB reply malformed. */
  | 'nic-capability'
  /** An MCU command failed (timeout, send error or status); the cause says which. */
  | 'mcu'
  /** Every bring-up attempt failed. */
  | 'init-failed'
  /** The device went away. */
  | 'removed';

export class Mt7921uError extends Error {
  override readonly name = 'Mt7921uError';
  constructor(
    readonly code: Mt7921uErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
