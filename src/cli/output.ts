/**
 * Where CLI commands write, so tests can capture it.
 *
 * @module
 */

/** The streams a command writes to. */
export interface CliOutput {
  /** Writes a line of normal output (stdout). */
  out(line: string): void;
  /** Writes a line of diagnostics (stderr). */
  err(line: string): void;
}

/** The process's own stdout and stderr. */
export const processOutput: CliOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Exit codes: 0 success, 1 the input is invalid or the command failed, 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A wrong command line: an unknown command or flag, a missing argument. */
export class UsageError extends Error {
  /**
   * @param message What is wrong.
   * @param usage The usage text of the command concerned.
   */
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = "UsageError";
  }
}
