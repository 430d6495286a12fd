/**
 * Fault injection for the emulated dongle: stalled endpoints, short transfers, lost MCU replies, unplug (also in
 * the middle of a firmware download) and a hung MCU. Deterministic: explicit faults fire exactly where asked, and
 * random faults draw from a Prng forked from the emulator's seed.
 */
import type { Prng } from '../../../netstack/core/prng.ts';

export interface RandomFaults {
  /** Probability that a bulk transfer stalls its endpoint. */
  stall?: number;
  /** Probability that a bulk transfer is short. */
  short?: number;
  /** Probability that an MCU reply is lost. */
  dropReply?: number;
}

/** Identifies a command whose reply should be lost: legacy cid (+ ext id) or UNI id. */
export interface CommandMatch {
  cid: number;
  ext?: number;
  uni?: boolean;
}

export class FaultInjector {
  random: RandomFaults = {};
  /** Endpoints halted until clearHalt(). */
  readonly halted = new Set<number>();
  private readonly shortNext = new Map<number, number>();
  private stallControlNext = 0;
  private dropNextReplies = 0;
  private readonly dropFor: Array<CommandMatch & { count: number }> = [];
  /** Unplug once this many firmware bytes have been accounted (null: never). */
  unplugAfterDownloadBytes: number | null = null;
  /** The MCU stops answering until the next WFSYS reset. */
  mcuHung = false;
  /** How many faults have fired so far. */
  injected = 0;
  /** @internal Told when an endpoint is halted (the device fails the reads pending on it). */
  onHalt: ((endpoint: number) => void) | null = null;

  constructor(private readonly prng: Prng) {}

  /** Halt a bulk endpoint: every transfer on it fails with 'stall' until clearHalt(). */
  stall(endpoint: number): void {
    this.halted.add(endpoint);
    this.injected++;
    this.onHalt?.(endpoint);
  }

  /** The next `count` control transfers answer STALL. */
  stallControl(count = 1): void {
    this.stallControlNext += count;
  }

  /** The next `count` transfers on `endpoint` (0 = control) are short. */
  shortTransfer(endpoint: number, count = 1): void {
    this.shortNext.set(endpoint, (this.shortNext.get(endpoint) ?? 0) + count);
  }

  /** Lose the next `count` MCU replies (of any command). */
  dropReplies(count = 1): void {
    this.dropNextReplies += count;
  }

  /** Lose the reply to the next `count` commands matching `match`. */
  dropReplyTo(match: CommandMatch, count = 1): void {
    this.dropFor.push({ ...match, count });
  }

  /** The MCU stops answering (commands, scatter, events) until a WFSYS reset. */
  hangMcu(): void {
    this.mcuHung = true;
  }

  /** @internal Whether this control transfer stalls. */
  takeControlStall(): boolean {
    if (this.stallControlNext > 0) {
      this.stallControlNext--;
      this.injected++;
      return true;
    }
    return false;
  }

  /** @internal Whether a bulk transfer on `endpoint` stalls now (explicit halt or a random draw). */
  takeStall(endpoint: number): boolean {
    if (this.halted.has(endpoint)) return true;
    if (this.random.stall && this.prng.chance(this.random.stall)) {
      this.halted.add(endpoint);
      this.injected++;
      return true;
    }
    return false;
  }

  /** @internal For a short transfer of `length` bytes on `endpoint`: how many bytes get through, or -1 (not short). */
  takeShort(endpoint: number, length: number): number {
    if (this.shortNext.size === 0 && !this.random.short) return -1; // nothing armed: the common case, no lookups
    const n = this.shortNext.get(endpoint) ?? 0;
    let short = false;
    if (n > 0) {
      this.shortNext.set(endpoint, n - 1);
      short = true;
    } else if (endpoint !== 0 && this.random.short && this.prng.chance(this.random.short)) {
      short = true;
    }
    if (!short || length === 0) return -1;
    this.injected++;
    return this.prng.int(length);
  }

  /** @internal Whether the reply to this command is lost. */
  takeDropReply(uni: boolean, cid: number, ext: number): boolean {
    if (this.dropNextReplies > 0) {
      this.dropNextReplies--;
      this.injected++;
      return true;
    }
    for (let i = 0; i < this.dropFor.length; i++) {
      const m = this.dropFor[i]!;
      if ((m.uni ?? false) !== uni || m.cid !== cid || (m.ext !== undefined && m.ext !== ext)) continue;
      if (--m.count <= 0) this.dropFor.splice(i, 1);
      this.injected++;
      return true;
    }
    if (this.random.dropReply && this.prng.chance(this.random.dropReply)) {
      this.injected++;
      return true;
    }
    return false;
  }

  /** @internal A WFSYS reset un-hangs the MCU. */
  onWfsysReset(): void {
    this.mcuHung = false;
  }
}
