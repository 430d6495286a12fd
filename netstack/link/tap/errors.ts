/**
 * Why a TAP link could not be set up, as one line a person can act on (the CLI prints it as is). Frames from the
 * TAP never raise this: they are dropped and counted.
 */
export class TapError extends Error {
  constructor(
    message: string,
    /** errno name or a short tag ('EPERM', 'ENOENT', 'no-backend', ...) for callers that branch on it. */
    readonly code: string,
  ) {
    super(message);
    this.name = 'TapError';
  }
}
