/**
 * The runtime's errors: why it could not start or stopped, and why an operator's operation (pause, reset, restart)
 * cannot be done. The control API maps the latter's kinds to HTTP statuses; the runtime knows nothing of HTTP.
 *
 * @module
 */

/** Why the runtime could not start, or stopped. */
export class RuntimeError extends Error {
  /**
   * Creates it.
   *
   * @param message What happened.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

/** An operation that cannot be done: `not-found` (no such ingress or task), `conflict` (not now), `bad-request`. */
export class OperationError extends Error {
  /**
   * Creates it.
   *
   * @param kind What kind of refusal.
   * @param message What is wrong.
   */
  constructor(readonly kind: "not-found" | "conflict" | "bad-request", message: string) {
    super(message);
    this.name = "OperationError";
  }
}
