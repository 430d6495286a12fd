/**
 * How both MLMEs report: each event is emitted as a typed 'event', and when it has a text form (wpa_supplicant's
 * or hostapd's control-interface line) also as a 'line', kept in `lines` and written to the debug log.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../netstack/core/log.ts';

export abstract class EventReporter<E> extends EventEmitter {
  /** Every line reported, in order. */
  readonly lines: string[] = [];

  constructor(
    private readonly log: Logger,
    private readonly format: (e: E) => string | null,
  ) {
    super();
  }

  /** The name lines are logged under (the interface). */
  protected abstract get reporterName(): string;

  protected report(e: E): void {
    const line = this.format(e);
    if (line !== null) {
      this.lines.push(line);
      this.log('%s: %s', this.reporterName, line);
      this.emit('line', line);
    }
    this.emit('event', e);
  }
}
