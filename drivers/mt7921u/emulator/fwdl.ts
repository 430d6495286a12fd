/**
 * The ROM's firmware-download state machine (FACTS.md §4.6, §8): patch semaphore, region announcements
 * (PATCH_START_REQ / TARGET_ADDRESS_LEN_REQ {addr, len, mode}), FW_SCATTER bytes counted against the announced
 * length, PATCH_FINISH, FW_START with the override address. Every region's bytes are hashed as they arrive, and
 * compared with the firmware files when the emulator was given them.
 *
 * A step out of order poisons the download (`error`): like a real MCU that lost track, it no longer boots, and the
 * driver sees an error status or a firmware that never becomes ready (MISC never reaches 3). Only a WFSYS reset (or
 * RESTART_DL_REQ) clears it.
 */
import { createHash, type Hash } from 'node:crypto';
import type { ExpectedRegion } from './fwimage.ts';

/** PATCH_SEM_CONTROL statuses (FACTS.md §4.6). */
export const SEM_FAIL = 0;
export const SEM_PATCH_IS_DL = 1;
export const SEM_GET_SUCCESS = 2;
export const SEM_REL_SUCCESS = 3;

/** Status byte of a successful ROM command. */
export const DL_OK = 0;
// GUESS: the ROM's error status for a refused download step is 1 (FACTS only names 0 as success for PATCH_FINISH;
// the driver does not check the other replies' content).
export const DL_ERR = 1;

export interface DownloadedRegion {
  kind: 'patch' | 'ram';
  addr: number;
  len: number;
  mode: number;
  received: number;
  /** Bytes that arrived after the region was full (dropped). */
  overrun: number;
  /** sha256 (hex) of the bytes received, once the region is complete. */
  sha256: string | null;
  /** Compared with the firmware file the emulator was given: true/false, or null when no file or no match. */
  matchesFile: boolean | null;
}

export class FirmwareDownload {
  semHeld = false;
  /** The ROM patch has been applied (survives a WFSYS reset unless the emulator is configured otherwise). */
  patched = false;
  regions: DownloadedRegion[] = [];
  /** Why the download is poisoned, or null. */
  error: string | null = null;
  private current: DownloadedRegion | null = null;
  private hash: Hash | null = null;
  private expected: ExpectedRegion[] = [];

  /** Give the regions of the real (or synthetic) firmware files so downloads are checked byte for byte. */
  expect(regions: ExpectedRegion[]): void {
    this.expected = regions;
  }

  get totalReceived(): number {
    let n = 0;
    for (const r of this.regions) n += r.received;
    return n;
  }

  /** PATCH_SEM_CONTROL; op 1 GET, 0 RELEASE. */
  semControl(op: number): number {
    if (op === 1) {
      if (this.patched) return SEM_PATCH_IS_DL;
      // GUESS: a second GET while the semaphore is held fails (0), as a semaphore would.
      if (this.semHeld) return SEM_FAIL;
      this.semHeld = true;
      return SEM_GET_SUCCESS;
    }
    if (op === 0) {
      // GUESS: RELEASE without a successful GET answers SEM_FAIL (not REL_SUCCESS).
      if (!this.semHeld) return SEM_FAIL;
      this.semHeld = false;
      return SEM_REL_SUCCESS;
    }
    return SEM_FAIL; // GUESS: unknown op
  }

  /** PATCH_START_REQ (kind 'patch') or TARGET_ADDRESS_LEN_REQ (kind 'ram'). */
  start(kind: 'patch' | 'ram', addr: number, len: number, mode: number): number {
    if (kind === 'patch' && (!this.semHeld || this.patched)) return this.fail('patch-start-without-semaphore');
    // GUESS: the ROM accepts RAM regions only once the patch is applied (Linux always patches first).
    if (kind === 'ram' && !this.patched) return this.fail('ram-start-before-patch');
    if (this.current && this.current.received < this.current.len) return this.fail('start-while-region-incomplete');
    if (len === 0) return this.fail('start-zero-length'); // GUESS: an empty region is refused
    this.finishCurrent();
    const r: DownloadedRegion = {
      kind,
      addr: addr >>> 0,
      len: len >>> 0,
      mode: mode >>> 0,
      received: 0,
      overrun: 0,
      sha256: null,
      matchesFile: null,
    };
    this.regions.push(r);
    this.current = r;
    this.hash = createHash('sha256');
    return DL_OK;
  }

  /** FW_SCATTER body bytes arriving on EP 0x04. Returns the number of bytes accounted to the open region. */
  scatter(bytes: Uint8Array): number {
    const r = this.current;
    if (!r || r.received >= r.len) {
      this.fail(r ? 'scatter-overrun' : 'scatter-without-start');
      if (r) r.overrun += bytes.length;
      return 0;
    }
    const room = r.len - r.received;
    const take = Math.min(room, bytes.length);
    this.hash!.update(bytes.subarray(0, take));
    r.received += take;
    if (take < bytes.length) {
      r.overrun += bytes.length - take;
      this.fail('scatter-overrun');
    }
    if (r.received === r.len) this.finishCurrent();
    return take;
  }

  /** PATCH_FINISH_REQ: status 0 when the patch arrived whole. */
  patchFinish(): number {
    const patch = this.regions.filter((r) => r.kind === 'patch');
    if (!this.semHeld) return this.fail('patch-finish-without-semaphore');
    if (patch.length === 0) return this.fail('patch-finish-without-patch');
    if (this.error) return DL_ERR;
    if (patch.some((r) => r.received !== r.len)) return this.fail('patch-finish-incomplete');
    if (patch.some((r) => r.matchesFile === false)) return this.fail('patch-content-mismatch');
    this.patched = true;
    return DL_OK;
  }

  /** FW_START_REQ {option, addr}: status 0 when the RAM code may boot. */
  fwStart(option: number, addr: number): number {
    if (!this.patched) return this.fail('fw-start-before-patch');
    const ram = this.regions.filter((r) => r.kind === 'ram');
    if (ram.length === 0) return this.fail('fw-start-without-ram');
    if (this.error) return DL_ERR;
    if (ram.some((r) => r.received !== r.len)) return this.fail('fw-start-incomplete');
    if (ram.some((r) => r.matchesFile === false)) return this.fail('fw-content-mismatch');
    if (option & 1) {
      // GUESS: with FW_START_OVERRIDE the address must be the start of a downloaded RAM region (jumping elsewhere
      // would not boot); with the firmware files known, it must be the OVERRIDE_ADDR region's address.
      const want = this.expected.find((e) => e.kind === 'ram' && e.override);
      const ok = want ? want.addr === addr >>> 0 : ram.some((r) => r.addr === addr >>> 0);
      if (!ok) return this.fail('fw-start-bad-override-address');
    }
    return DL_OK;
  }

  /** RESTART_DL_REQ: forget the RAM download (GUESS: the patch and semaphore stay). */
  restart(): void {
    this.regions = this.regions.filter((r) => r.kind === 'patch');
    this.current = null;
    this.hash = null;
    this.error = null;
  }

  /** WFSYS reset / cold start. */
  reset(keepPatch: boolean): void {
    this.semHeld = false;
    if (!keepPatch) this.patched = false;
    this.regions = [];
    this.current = null;
    this.hash = null;
    this.error = null;
  }

  private fail(reason: string): number {
    if (this.error === null) this.error = reason;
    return DL_ERR;
  }

  private finishCurrent(): void {
    const r = this.current;
    if (!r || !this.hash || r.received !== r.len) return;
    r.sha256 = this.hash.digest('hex');
    this.hash = null;
    const e = this.expected.find((x) => x.kind === r.kind && x.addr === r.addr && x.len === r.len);
    if (e) r.matchesFile = createHash('sha256').update(e.data).digest('hex') === r.sha256;
    else if (this.expected.some((x) => x.kind === r.kind)) r.matchesFile = false;
  }
}
