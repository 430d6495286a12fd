/**
 * The hardware-in-the-loop configuration, from the environment (test/hil/README.md):
 *
 *   AIRSTACK_HIL=1                    run the hardware tests (a dongle must be attached: its absence then fails)
 *   AIRSTACK_HIL_SSID=name            the access point to scan for and join
 *   AIRSTACK_HIL_PASSPHRASE=secret    its WPA2 passphrase (absent: an open network)
 *   AIRSTACK_HIL_URL=http://…/        a URL on the AP's network to fetch at the end
 *   AIRSTACK_HIL_RELAY=dev:ch[:nc|no] power-cycle the dongle through a USBRelay board (relay.ts)
 */
import { parseRelaySpec, type RelaySpec } from './relay.ts';

export interface HilConfig {
  enabled: boolean;
  ssid: string | null;
  passphrase: string | null;
  url: string | null;
  relay: RelaySpec | null;
  /** Why AIRSTACK_HIL_RELAY could not be used, when it is set but malformed. */
  relayError: string | null;
}

export function hilConfig(env: NodeJS.ProcessEnv = process.env): HilConfig {
  const get = (k: string) => {
    const v = env[k]?.trim();
    return v ? v : null;
  };
  let relay: RelaySpec | null = null;
  let relayError: string | null = null;
  const spec = get('AIRSTACK_HIL_RELAY');
  if (spec !== null) {
    try {
      relay = parseRelaySpec(spec);
    } catch (e) {
      relayError = (e as Error).message;
    }
  }
  return {
    enabled: get('AIRSTACK_HIL') === '1',
    ssid: get('AIRSTACK_HIL_SSID'),
    passphrase: get('AIRSTACK_HIL_PASSPHRASE'),
    url: get('AIRSTACK_HIL_URL'),
    relay,
    relayError,
  };
}

/** The line a skipped test shows. */
export function hilSkip(what: string): string {
  return `skipped: ${what} (hardware in the loop: see test/hil/README.md)`;
}

/**
 * What the hardware run asks of `airstack demo --device usb` (tools/cli/dongle-demo.ts, the one implementation):
 * the network from AIRSTACK_HIL_SSID / AIRSTACK_HIL_PASSPHRASE (absent: open), the URL from AIRSTACK_HIL_URL
 * (absent: the gateway's page), three pings.
 */
export function hilDemoOptions(cfg: HilConfig): { ssid?: string; passphrase?: string; url?: string; count: number } {
  return {
    ...(cfg.ssid !== null ? { ssid: cfg.ssid } : {}),
    ...(cfg.passphrase !== null ? { passphrase: cfg.passphrase } : {}),
    ...(cfg.url !== null ? { url: cfg.url } : {}),
    count: 3,
  };
}
