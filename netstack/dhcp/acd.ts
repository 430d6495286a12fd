/**
 * IPv4 address conflict detection (RFC 5227 §2.1): before using an address, wait PROBE_WAIT, send PROBE_NUM ARP
 * probes (sender IP 0.0.0.0, target the candidate) PROBE_MIN..PROBE_MAX apart, and wait ANNOUNCE_WAIT after the
 * last one. The address is in use if, during that time, an ARP packet arrives with the candidate as sender IP
 * (someone owns it), or an ARP probe for the candidate from another MAC (someone else is probing for it: §2.1.1).
 *
 * The ARP packets are watched through a packet tap on the device (like an AF_PACKET socket), since the stack's ARP
 * ignores packets about an address it does not have. Announcements after the address is configured are the
 * caller's (the stack sends one gratuitous ARP when an address is added; `announce()` sends the rest).
 */
import type { Clock, Timer } from '../core/clock.ts';
import type { NetDevice } from '../core/netdevice.ts';
import type { Prng } from '../core/prng.ts';
import type { SkBuff } from '../core/skb.ts';
import { ETH_P_ARP } from '../ethernet/header.ts';
import { formatMac, macEqual } from '../inet/addr.ts';
import { readU16, readU32 } from '../inet/bytes.ts';
import { ARPOP_REQUEST } from '../neigh/arp-header.ts';
import type { Stack } from '../stack.ts';

export interface AcdParams {
  probeWaitMs: number;
  probeNum: number;
  probeMinMs: number;
  probeMaxMs: number;
  announceWaitMs: number;
  announceNum: number;
  announceIntervalMs: number;
}

/** RFC 5227 §1.1 constants. */
export const RFC5227: AcdParams = {
  probeWaitMs: 1000,
  probeNum: 3,
  probeMinMs: 1000,
  probeMaxMs: 2000,
  announceWaitMs: 2000,
  announceNum: 2,
  announceIntervalMs: 2000,
};

export interface AcdResult {
  conflict: boolean;
  /** The MAC that claimed the address. */
  by?: string;
}

/** One probe run for one address. */
export class AddressProbe {
  private sent = 0;
  private readonly timer: Timer;
  private untap: (() => void) | null = null;
  private done = false;
  private cancelled = false;

  constructor(
    private readonly stack: Stack,
    private readonly dev: NetDevice,
    private readonly addr: number,
    private readonly params: AcdParams,
    private readonly rng: Prng,
    private readonly finish: (r: AcdResult) => void,
  ) {
    this.timer = (stack.clock as Clock).timer(() => this.tick());
  }

  start(): void {
    this.untap = this.stack.core.addTap({ dev: this.dev, dir: 'rx', fn: (skb) => this.watch(skb) });
    this.timer.mod(this.rng.float() * this.params.probeWaitMs);
  }

  private tick(): void {
    if (this.done) return;
    const p = this.params;
    if (this.sent < p.probeNum) {
      this.stack.arp.send(ARPOP_REQUEST, this.dev, 0, this.addr, null, null);
      this.sent++;
      if (this.sent < p.probeNum) this.timer.mod(p.probeMinMs + this.rng.float() * (p.probeMaxMs - p.probeMinMs));
      else this.timer.mod(p.announceWaitMs);
      return;
    }
    this.end({ conflict: false });
  }

  private watch(skb: SkBuff): void {
    if (this.done) return;
    const b = skb.buf;
    let p = skb.data;
    if (skb.tail - p < 14 + 28) return;
    let type = readU16(b, p + 12);
    p += 14;
    if (type === 0x8100) {
      type = readU16(b, p + 2);
      p += 4;
      if (skb.tail - p < 28) return;
    }
    if (type !== ETH_P_ARP || b[p + 4] !== 6 || b[p + 5] !== 4 || readU16(b, p + 2) !== 0x0800) return;
    const sha = p + 8;
    if (macEqual(b, sha, this.dev.addr)) return; // our own probe, looped back by a hub
    const sip = readU32(b, p + 14);
    const tip = readU32(b, p + 24);
    const op = readU16(b, p + 6);
    const owner = sip === this.addr;
    const rivalProbe = op === ARPOP_REQUEST && sip === 0 && tip === this.addr;
    if (owner || rivalProbe) {
      const by = formatMac(b.subarray(sha, sha + 6));
      // Defer: the tap runs inside the receive path.
      this.done = true;
      this.stack.clock.defer(() => {
        if (!this.cancelled) this.end({ conflict: true, by });
      });
    }
  }

  private end(r: AcdResult): void {
    this.done = true;
    this.timer.cancel();
    if (this.untap !== null) {
      this.untap();
      this.untap = null;
    }
    this.finish(r);
  }

  cancel(): void {
    this.done = true;
    this.cancelled = true;
    this.timer.cancel();
    if (this.untap !== null) {
      this.untap();
      this.untap = null;
    }
  }
}
