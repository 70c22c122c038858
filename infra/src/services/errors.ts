/**
 * A provisioning failure a person can act on: one line saying what went wrong and one
 * saying how to fix it. The CLIs print both and exit non-zero, with no stack trace.
 */
export class ProvisionError extends Error {
  constructor(
    message: string,
    /** What the reader should do about it, e.g. "set MONGODB_URI or install Go". */
    readonly fix: string,
    /** The service's log file, when it has one, so the reader can look. */
    readonly logFile?: string,
  ) {
    super(message);
    this.name = 'ProvisionError';
  }

  /** The message the CLIs print. */
  describe(): string {
    const lines = [`✖ ${this.message}`, `  fix: ${this.fix}`];
    if (this.logFile) lines.push(`  log: ${this.logFile}`);
    return lines.join('\n');
  }
}
