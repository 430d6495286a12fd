/**
 * Which firmware files belong to which chip (FACTS §4.1, mt792x.h). Selection is by the chip id read from
 * MT_HW_CHIPID (low 16 bits), never by USB product id.
 */

export interface ChipFirmware {
  chip: number;
  name: string;
  /** File names under mediatek/ in linux-firmware. */
  patchFile: string;
  ramFile: string;
  /**
   * The RAM trailer's chip_id byte, where known.
   * GUESS: 0x0d identifies MT7961 RAM code — it is the only value observed (the real image, FACTS §4.5); the
   * driver itself never checks it.
   */
  ramChipId: number | null;
  /**
   * The ROM patch header's platform field, where known.
   * GUESS: "ALPS" is what the real MT7961 patch carries (FACTS §4.5); Linux does not check it.
   */
  patchPlatform: string | null;
}

export const CHIP_FIRMWARE: readonly ChipFirmware[] = [
  {
    chip: 0x7961,
    name: 'MT7961',
    patchFile: 'WIFI_MT7961_patch_mcu_1_2_hdr.bin',
    ramFile: 'WIFI_RAM_CODE_MT7961_1.bin',
    ramChipId: 0x0d,
    patchPlatform: 'ALPS',
  },
  {
    chip: 0x7920,
    name: 'MT7920',
    patchFile: 'WIFI_MT7961_patch_mcu_1a_2_hdr.bin',
    ramFile: 'WIFI_RAM_CODE_MT7961_1a.bin',
    ramChipId: null,
    patchPlatform: null,
  },
  {
    chip: 0x7922,
    name: 'MT7922',
    patchFile: 'WIFI_MT7922_patch_mcu_1_1_hdr.bin',
    ramFile: 'WIFI_RAM_CODE_MT7922_1.bin',
    ramChipId: null,
    patchPlatform: null,
  },
];

/** The firmware entry for a chip id (the low 16 bits of MT_HW_CHIPID), or null for a chip we have no files for. */
export function chipFirmware(chip: number): ChipFirmware | null {
  return CHIP_FIRMWARE.find((c) => c.chip === (chip & 0xffff)) ?? null;
}
