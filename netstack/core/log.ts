/**
 * Debug logging with one namespace per layer (DESIGN.md principle 5). Enable with NODE_DEBUG, e.g.
 * `NODE_DEBUG=airstack:tcp,airstack:arp` or `NODE_DEBUG='airstack:*'`. Disabled loggers cost one boolean test:
 * guard expensive arguments with `if (log.enabled)`.
 */
import { debuglog } from 'node:util';

export interface Logger {
  (fmt: string, ...args: unknown[]): void;
  readonly enabled: boolean;
}

export function logger(layer: string): Logger {
  const log = debuglog(`airstack:${layer}`);
  const fn = ((fmt: string, ...args: unknown[]) => {
    if (log.enabled) log(fmt, ...args);
  }) as Logger;
  Object.defineProperty(fn, 'enabled', { get: () => log.enabled });
  return fn;
}
