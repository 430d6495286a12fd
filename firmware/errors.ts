/**
 * Errors for firmware images. A firmware file comes from a person (a path on disk), so a bad one gets an error that
 * names the file, the field and the problem, and says what to do; the CLI prints it as one line.
 */

export type FirmwareProblem =
  /** The file ends before a structure that must be there. */
  | 'truncated'
  /** A count (sections, regions, release-info entries) that cannot be right for this file. */
  | 'bad-count'
  /** A length that cannot be right (zero, larger than its container). */
  | 'bad-length'
  /** A section or region whose bytes lie outside the file. */
  | 'outside-file'
  /** Two sections or regions that share file bytes or target addresses. */
  | 'overlap'
  /** A ROM-patch section whose type is not PATCH_SEC_TYPE_INFO. */
  | 'bad-section-type'
  /** A RAM region type other than 0 (default) or 2 (CLC). */
  | 'bad-region-type'
  /** Feature bits the format does not define. */
  | 'bad-feature'
  /** An encryption type other than plain, AES or scramble. */
  | 'unknown-encryption'
  /** A text field with bytes that are not ASCII. */
  | 'bad-text'
  /** The image is for another chip. */
  | 'wrong-chip'
  /** The file is neither a ROM patch nor RAM code. */
  | 'unknown-format'
  /** The images for a chip are not installed. */
  | 'not-found'
  /** A file named by a person could not be read. */
  | 'unreadable';

const HINTS: Record<FirmwareProblem, string> = {
  truncated: 'the file is cut short: download or reinstall it (package linux-firmware)',
  'bad-count': 'the file is damaged or not this format: reinstall it (package linux-firmware)',
  'bad-length': 'the file is damaged or not this format: reinstall it (package linux-firmware)',
  'outside-file': 'the file is damaged or cut short: reinstall it (package linux-firmware)',
  overlap: 'the file is damaged: reinstall it (package linux-firmware)',
  'bad-section-type': 'this is not a ROM patch the MT7921U driver can load',
  'bad-region-type': 'this is not RAM code the MT7921U driver can load',
  'bad-feature': 'this is not RAM code the MT7921U driver can load',
  'unknown-encryption': 'this is not a ROM patch the MT7921U driver can load',
  'bad-text': 'the file is damaged or not an MT7961 firmware image',
  'wrong-chip': 'use the image named for your chip (WIFI_MT7961_patch_mcu_1_2_hdr.bin / WIFI_RAM_CODE_MT7961_1.bin)',
  'unknown-format': 'give a ROM patch (*_patch_mcu_*_hdr.bin) or RAM code (WIFI_RAM_CODE_*.bin)',
  'not-found': 'install linux-firmware or set AIRSTACK_FIRMWARE_DIR to a folder holding the images',
  unreadable: 'check the path and its permissions',
};

export class FirmwareError extends Error {
  constructor(
    /** The file as the person named it (a path or a label such as "<synthetic patch>"). */
    readonly file: string,
    /** The field at fault, as in FACTS §4 (e.g. "desc.n_region", "section[0].type", "region[2].len"). */
    readonly field: string,
    readonly problem: FirmwareProblem,
    /** What exactly is wrong, with the values involved. */
    readonly detail: string,
  ) {
    super(`${file}: ${field}: ${problem.replaceAll('-', ' ')}: ${detail}; ${HINTS[problem]}`);
    this.name = 'FirmwareError';
  }
}
