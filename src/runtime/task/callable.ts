/**
 * What a task invokes: a function type with its registered states and one call per message — an in-process SDK
 * function, or a remote one over StateFun's HTTP protocol (src/remote/). Two errors steer the invoker's retries: a
 * remote function that declared states it had not (they are registered) is called again at once with them; a
 * failure that already used its retry budget (a remote call's timeout) is not retried again.
 *
 * @module
 */

import type { FunctionSpec, ValueSpec } from "../../sdk/function_spec.ts";
import { type Invocation, type InvocationResult, invokeFunction } from "../../sdk/invoke.ts";

/** A function type the task can invoke. */
export interface CallableFunction {
  /** `<namespace>/<name>`. */
  readonly typename: string;
  /** Its states (a remote function's grow as it declares them). */
  readonly valueSpecs: readonly ValueSpec[];
  /** Invokes it once for one message: the result itself when it settled synchronously (in-process functions). */
  call(invocation: Invocation): InvocationResult | Promise<InvocationResult>;
  /**
   * Invokes it once for several messages of one address, in order, on one state (StateFun's batches: messages that
   * arrived while the address's previous call ran); absent when the function takes one message a call.
   */
  callBatch?(invocations: readonly Invocation[]): Promise<InvocationResult>;
  /** The most messages one batch carries (StateFun's maxNumBatchRequests; 0: no limit). */
  readonly batchLimit?: number;
  /** In-process or remote, for status and metrics. */
  readonly kind: "in-process" | "remote";
  /** A remote function's endpoint and its calls so far (status and metrics). */
  readonly remote?: { readonly url: string; readonly stats: RemoteCallStats };
}

/** Calls of a remote function: made, failed for good, and their total time (all attempts of a call). */
export interface RemoteCallStats {
  /** Calls made. */
  calls: number;
  /** Calls that failed after every attempt within the call timeout. */
  failures: number;
  /** Total time of the calls, seconds. */
  seconds: number;
}

/** The function declared states that are now registered: call it again with their values (not a failed attempt). */
export class StatesRegistered extends Error {
  /**
   * Creates it.
   *
   * @param names The states registered.
   */
  constructor(readonly names: string[]) {
    super(`registered the states ${names.join(", ")}`);
    this.name = "StatesRegistered";
  }
}

/** A failure that used its own retry budget (e.g. a remote call's timeout): no further attempts. */
export class FinalFailure extends Error {
  /**
   * Creates it.
   *
   * @param message What failed.
   */
  constructor(message: string, options?: ErrorOptions & { transient?: boolean }) {
    super(message, options);
    this.name = "FinalFailure";
    this.transient = options?.transient === true;
  }

  /** Whether it may pass by itself (an endpoint that did not answer), unlike a broken answer. */
  readonly transient: boolean;
}

/** An in-process SDK function as a callable. */
export function inProcess(spec: FunctionSpec): CallableFunction {
  return {
    typename: spec.typename,
    valueSpecs: spec.valueSpecs,
    kind: "in-process",
    call: (invocation) => invokeFunction(spec, invocation),
  };
}
