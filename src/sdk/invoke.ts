/**
 * Runs one in-process invocation: builds the storage and context of an
 * address, calls the function, and returns its effects and state mutations.
 * Nothing is applied here: the runtime writes the result in the task's commit.
 *
 * @module
 */

import type { Address } from "./address.ts";
import { Context, type InvocationEffects, NO_EFFECTS } from "./context.ts";
import type { FunctionSpec } from "./function_spec.ts";
import type { KafkaRecordSource } from "./kafka_record.ts";
import { Message } from "./message.ts";
import { createAddressStorage, type StateMutation } from "./storage.ts";
import type { TypedValue } from "./typed_value.ts";

/** One message for one address. */
export interface Invocation {
  /** The invoked address. */
  self: Address;
  /** The sender, or null for ingress records and fired timers. */
  caller: Address | null;
  /** The message value. */
  argument: TypedValue;
  /** The address's current state values by name. */
  state: ReadonlyMap<string, TypedValue>;
  /** The Kafka ingress record the message came from (`message.kafka`), if it came from one. */
  kafka?: KafkaRecordSource;
}

/** What an invocation produced. */
export interface InvocationResult extends InvocationEffects {
  /** State changes, one per assigned state. */
  mutations: StateMutation[];
}

/**
 * Invokes a function once: the result itself when the function returns synchronously (no promise made: the per-record
 * path of functions that await nothing), else a promise of it. A function that throws (or rejects) propagates its
 * error; nothing it did is kept.
 */
export function invokeFunction(
  spec: FunctionSpec,
  invocation: Invocation,
): InvocationResult | Promise<InvocationResult> {
  const storage = createAddressStorage(spec.valueSpecs, invocation.state);
  const effects: InvocationResult = {
    sent: NO_EFFECTS,
    delayed: NO_EFFECTS,
    egress: NO_EFFECTS,
    mutations: NO_EFFECTS,
  };
  const context = new Context(invocation.self, invocation.caller, storage.storage, effects);
  const returned = spec.fn(context, new Message(invocation.self, invocation.argument, invocation.kafka));
  if (returned instanceof Promise) {
    return returned.then(() => {
      effects.mutations = storage.mutations();
      return effects;
    });
  }
  effects.mutations = storage.mutations();
  return effects;
}
