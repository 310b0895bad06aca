/**
 * Invokes a function for one message with retries: the address's state is read, the function runs, its result is
 * checked and applied; a throw (or a result that cannot be applied) is retried with exponential backoff on the task's
 * clock, up to the task's attempt limit. The task decides what a message that failed every attempt becomes.
 *
 * The first attempt runs synchronously when the function returns synchronously (in-process functions that await
 * nothing): its outcome comes back as a value, and no promise is made for it. Only a function that returns a promise
 * (remote ones, async ones) or a failed attempt goes the asynchronous way.
 *
 * @module
 */

import type { Invocation, InvocationResult } from "../../sdk/invoke.ts";
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

const APPLIED: InvocationOutcome = { kind: "applied" };
const ABANDONED: InvocationOutcome = { kind: "abandoned" };
const NO_EGRESS: EgressRecord[] = Object.freeze([]) as unknown as EgressRecord[];

/** What the invoker needs: the task's state, clock and limits. */
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

/** Applies a result (state writes of the read included); may throw, which counts as a failed attempt. */
export type ApplyResult = (
  envelope: Envelope,
  batch: readonly Envelope[],
  result: InvocationResult,
  egress: EgressRecord[],
  read: StateRead,
  now: number,
) => void;

/**
 * Invokes `spec` for `envelope` until it succeeds, fails `maxAttempts` times, or the task stops: the outcome itself
 * when the first attempt settled synchronously, else a promise of it.
 */
export function invoke(
  context: InvokerContext,
  envelope: Envelope,
  spec: CallableFunction,
  /** Messages of the same address and epoch that go with `envelope` in one call (batching functions). */
  batch: readonly Envelope[],
  apply: ApplyResult,
): InvocationOutcome | Promise<InvocationOutcome> {
  const now = context.clock.now();
  let read: StateRead;
  let result: InvocationResult | Promise<InvocationResult>;
  try {
    read = context.state.read(envelope.target, spec.valueSpecs, now);
    result = callOnce(spec, envelope, batch, read);
  } catch (error) {
    return retry(context, envelope, spec, batch, apply, error, 1);
  }
  if (result instanceof Promise) {
    return result.then(
      (settled) => {
        try {
          return finish(context, envelope, batch, settled, read, now, apply);
        } catch (error) {
          return retry(context, envelope, spec, batch, apply, error, 1);
        }
      },
      (error) => retry(context, envelope, spec, batch, apply, error, 1),
    );
  }
  try {
    return finish(context, envelope, batch, result, read, now, apply);
  } catch (error) {
    return retry(context, envelope, spec, batch, apply, error, 1);
  }
}

/** One call: of the message alone, or with the messages queued behind it (an array of invocations only for a batch). */
function callOnce(
  spec: CallableFunction,
  envelope: Envelope,
  batch: readonly Envelope[],
  read: StateRead,
): InvocationResult | Promise<InvocationResult> {
  const invocation: Invocation = {
    self: envelope.target,
    caller: envelope.caller,
    argument: envelope.argument,
    state: read.values,
    kafka: envelope.kafka,
  };
  if (batch.length > 0 && spec.callBatch !== undefined) {
    return spec.callBatch([
      invocation,
      ...batch.map(({ caller, argument, kafka }) => ({ ...invocation, caller, argument, kafka })),
    ]);
  }
  return spec.call(invocation);
}

/** Checks and applies a result; throws what makes the attempt a failed one. */
function finish(
  context: InvokerContext,
  envelope: Envelope,
  batch: readonly Envelope[],
  result: InvocationResult,
  read: StateRead,
  now: number,
  apply: ApplyResult,
): InvocationOutcome {
  if (!context.processing()) return ABANDONED;
  // A batch's messages carry the same headers (AddressQueues.following): the head's go on every record of the call.
  const egress = result.egress.length === 0
    ? NO_EGRESS
    : result.egress.map((message) => routeEgressMessage(message, context.plan.egresses, envelope.carried));
  if (result.delayed.length > 0) checkTimers(context.state, envelope.target, result);
  apply(envelope, batch, result, egress, read, now);
  return APPLIED;
}

/** The attempts after a failed one, with backoff. */
async function retry(
  context: InvokerContext,
  envelope: Envelope,
  spec: CallableFunction,
  batch: readonly Envelope[],
  apply: ApplyResult,
  failure: unknown,
  failedAttempt: number,
): Promise<InvocationOutcome> {
  const { target } = envelope;
  let error = failure;
  let attempt = failedAttempt;
  let registrations = 0;
  for (;;) {
    if (!context.processing()) return ABANDONED;
    // Newly registered states: the same message again at once, with their values (a few times at most).
    if (!(error instanceof StatesRegistered && ++registrations <= 3)) {
      if (attempt >= context.maxAttempts || error instanceof FinalFailure) {
        return { kind: "failed", error, attempts: attempt };
      }
      context.log.warn(`function failed, retrying: ${describeError(error)}`, {
        address: target.toString(),
        ...envelope.origin,
        attempt,
      });
      await context.clock.sleep(context.retryBackoffMs * 2 ** (attempt - 1));
      if (!context.processing()) return ABANDONED;
      attempt++;
    }
    const now = context.clock.now();
    try {
      const read = context.state.read(target, spec.valueSpecs, now);
      const result = await callOnce(spec, envelope, batch, read);
      return finish(context, envelope, batch, result, read, now, apply);
    } catch (caught) {
      error = caught;
    }
  }
}
