/**
 * A function served over StateFun's HTTP request-reply protocol, as one task invokes it: each call sends the
 * address's registered states and the message; an IncompleteInvocationContext registers the states the SDK declares
 * (name, type, expiration) and the invoker calls again with their values; an invocation result becomes the same
 * effects an in-process function has (messages, delayed messages and cancellations, egress messages, state
 * mutations — a MODIFY must match the registered type, an unknown state is the function's error). A call that fails
 * for its whole timeout is final: the task stops at the message, or dead-letters it.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  type CallableFunction,
  FinalFailure,
  type RemoteCallStats,
  StatesRegistered,
} from "../runtime/task/callable.ts";
import { ValueSpec } from "../sdk/function_spec.ts";
import type { Invocation, InvocationResult } from "../sdk/invoke.ts";
import { EgressMessage, Message } from "../sdk/message.ts";
import type { StateMutation } from "../sdk/storage.ts";
import { CustomType } from "../sdk/types.ts";
import { type CallOptions, postWithRetries, RemoteCallError } from "./http_client.ts";
import { decodeFromFunction, encodeToFunction, type FromFunction, type PersistedValueSpec } from "./protocol.ts";

/** StateFun's typename for a state whose SDK gave no type. */
const UNSET_TYPE = "io.statefun.types/unset";

/** A remote function type bound to an endpoint URL. */
export class RemoteFunction implements CallableFunction {
  readonly kind = "remote";
  readonly #specs: ValueSpec[] = [];
  /** The endpoint and its calls: made, failed, total time (status and metrics). */
  readonly remote: { readonly url: string; readonly stats: RemoteCallStats };

  /**
   * Creates it.
   *
   * @param typename `<namespace>/<name>`.
   * @param url The endpoint URL for this function type.
   * @param options Timeouts, size limit and HTTP client.
   * @param batchLimit The most messages of one address a request carries (maxNumBatchRequests; 0: no limit).
   */
  constructor(
    readonly typename: string,
    readonly url: string,
    readonly options: CallOptions,
    readonly batchLimit = 1000,
  ) {
    this.remote = { url, stats: { calls: 0, failures: 0, seconds: 0 } };
  }

  /** The states registered so far (from the SDK's IncompleteInvocationContext). */
  get valueSpecs(): readonly ValueSpec[] {
    return this.#specs;
  }

  call(invocation: Invocation): Promise<InvocationResult> {
    return this.callBatch([invocation]);
  }

  /** One request for messages of one address (the first one's state): StateFun's batch. */
  async callBatch(invocations: readonly Invocation[]): Promise<InvocationResult> {
    const [first] = invocations;
    const sent = this.#specs.map(({ name }) => name);
    const body = encodeToFunction({
      target: first.self,
      state: this.#specs.map(({ name }) => {
        const value = first.state.get(name);
        return value === undefined || !value.hasValue ? { name } : { name, value };
      }),
      invocations: invocations.map(({ caller, argument }) => ({ caller, argument })),
    });
    const started = performance.now();
    this.remote.stats.calls++;
    let response: FromFunction;
    try {
      response = await postWithRetries(this.url, body, this.options, decodeFromFunction);
    } catch (error) {
      this.remote.stats.failures++;
      if (error instanceof RemoteCallError) throw new FinalFailure(error.message, { cause: error, transient: true });
      throw error;
    } finally {
      this.remote.stats.seconds += (performance.now() - started) / 1000;
    }
    if (response.kind === "incomplete") throw this.#register(response.missing, sent);
    return this.#effects(response);
  }

  /**
   * Registers the states the SDK declared; what to throw so the invoker calls again (or gives up). Another address's
   * call may have registered them meanwhile (calls of different addresses run at once): then the call is repeated
   * with them. An SDK that asks for a state it was sent is broken: that is final.
   */
  #register(missing: PersistedValueSpec[], sent: readonly string[]): Error {
    const again = missing.filter((spec) => sent.includes(spec.name)).map((spec) => spec.name);
    if (again.length > 0) {
      return new FinalFailure(`${this.url} asks again for states it was sent (${again.join(", ")})`);
    }
    const added: string[] = [];
    for (const spec of missing) {
      const typename = spec.typename === "" ? UNSET_TYPE : spec.typename;
      const known = this.#specs.find((existing) => existing.name === spec.name);
      if (known !== undefined) {
        if (known.type.typename !== typename) {
          return new FinalFailure(
            `${this.typename} declares state ${JSON.stringify(spec.name)} of type ${typename}, registered as ` +
              `${known.type.typename}`,
          );
        }
        continue;
      }
      this.#specs.push(
        new ValueSpec(
          spec.name,
          rawType(typename),
          spec.expiration.mode === "after-invoke" ? spec.expiration.millis : -1,
          spec.expiration.mode === "after-write" ? spec.expiration.millis : -1,
        ),
      );
      added.push(spec.name);
    }
    return new StatesRegistered(added);
  }

  #effects(response: Extract<FromFunction, { kind: "result" }>): InvocationResult {
    const mutations: StateMutation[] = response.mutations.map((mutation) => {
      const spec = this.#specs.find((existing) => existing.name === mutation.name);
      if (spec === undefined) {
        throw new FinalFailure(
          `Accessing a non-existing function state: ${mutation.name}. This can happen if you forgot to declare ` +
            `this state using the language SDKs (${this.typename} at ${this.url})`,
        );
      }
      if (mutation.kind === "modify" && mutation.value.typename !== spec.type.typename) {
        throw new FinalFailure(
          `${this.typename} wrote state ${JSON.stringify(mutation.name)} as ${mutation.value.typename}, registered ` +
            `as ${spec.type.typename}`,
        );
      }
      return mutation;
    });
    return {
      mutations,
      sent: response.outgoing.map(({ target, argument }) => new Message(target, argument)),
      delayed: response.delayed.map((delayed) =>
        delayed.kind === "cancel" ? delayed : {
          kind: "delay" as const,
          delayMs: delayed.delayMs,
          message: new Message(delayed.target, delayed.argument),
          ...(delayed.cancellationToken === undefined ? {} : { cancellationToken: delayed.cancellationToken }),
        }
      ),
      egress: response.egress.map(({ namespace, type, argument }) =>
        new EgressMessage(`${namespace}/${type}`, argument)
      ),
    };
  }
}

/** A state type known only by its typename: its values stay bytes. */
function rawType(typename: string): CustomType<Uint8Array> {
  return new CustomType<Uint8Array>(typename, (bytes) => Buffer.from(bytes), (bytes) => new Uint8Array(bytes));
}
