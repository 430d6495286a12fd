/** An error caused by what a person asked for: printed as one line, then exit with `exitCode` (no stack trace). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
