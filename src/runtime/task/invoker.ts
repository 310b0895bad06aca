/**
 * Invokes a function for one message with retries: the address's state is read, the function runs, its result is
 * checked and applied; a throw (or a result that cannot be applied) is retried with exponential backoff on the task's
 * clock, up to the task's attempt limit. The task decides what a message that failed every attempt becomes.
 *
 * @module
 */

import type { InvocationResult } from "../../sdk/invoke.ts";
import type { StateRead, TaskState } from "../../state/task_state.ts";
import type { AppPlan } from "../app_plan.ts";
import { type EgressRecord, routeEgressMessage } from "../egress_router.ts";
import { describeError, type Logger } from "../logger.ts";
import type { Envelope } from "./address_queues.ts";
import { type CallableFunction, FinalFailure, StatesRegistered } from "./callable.ts";
import type { Clock } from "./clock.ts";
import { checkTimers } from "./effects.ts";

/** How an invocation ended: applied, failed every attempt, or abandoned because the task stopped meanwhile. */
export type InvocationOutcome =
  | { kind: "applied" }
  | { kind: "failed"; error: unknown; attempts: number }
  | { kind: "abandoned" };

/** What the invoker needs from its task. */
export interface InvokerContext {
  /** The app (egress routes). */
  plan: AppPlan;
  /** The task's state. */
  state: TaskState;
  /** The task's clock. */
  clock: Clock;
  /** The task's log. */
  log: Logger;
  /** Attempts before a message fails for good. */
  maxAttempts: number;
  /** First retry delay, doubled per attempt. */
  retryBackoffMs: number;
  /** Whether the task still processes (a stopped task abandons its invocations). */
  processing(): boolean;
}

/**
 * Invokes `spec` for `envelope` until it succeeds, fails `maxAttempts` times, or the task stops; `apply` applies a
 * result (state writes of the read included) and may throw, which counts as a failed attempt.
 */
export async function invokeWithRetries(
  context: InvokerContext,
  envelope: Envelope,
  spec: CallableFunction,
  /** Messages of the same address and epoch that go with `envelope` in one call (batching functions). */
  batch: readonly Envelope[],
  apply: (result: InvocationResult, egress: EgressRecord[], reads: StateRead, now: number) => void,
): Promise<InvocationOutcome> {
  const { target } = envelope;
  let registrations = 0;
  for (let attempt = 1;; attempt++) {
    const now = context.clock.now();
    try {
      const read = context.state.read(target, spec.valueSpecs, now);
      const invocation = { self: target, caller: envelope.caller, argument: envelope.argument, state: read.values };
      // The per-record path: an array of invocations only for a batch.
      const result = batch.length > 0 && spec.callBatch !== undefined
        ? await spec.callBatch([
          invocation,
          ...batch.map(({ caller, argument }) => ({ ...invocation, caller, argument })),
        ])
        : await spec.call(invocation);
      if (!context.processing()) return { kind: "abandoned" };
      const egress = result.egress.map((message) => routeEgressMessage(message, context.plan.egresses));
      checkTimers(context.state, target, result);
      apply(result, egress, read, now);
      return { kind: "applied" };
    } catch (error) {
      if (!context.processing()) return { kind: "abandoned" };
      // Newly registered states: the same message again at once, with their values (a few times at most).
      if (error instanceof StatesRegistered && ++registrations <= 3) {
        attempt--;
        continue;
      }
      if (attempt >= context.maxAttempts || error instanceof FinalFailure) {
        return { kind: "failed", error, attempts: attempt };
      }
      context.log.warn(`function failed, retrying: ${describeError(error)}`, {
        address: target.toString(),
        ...envelope.origin,
        attempt,
      });
      await context.clock.sleep(context.retryBackoffMs * 2 ** (attempt - 1));
      if (!context.processing()) return { kind: "abandoned" };
    }
  }
}
