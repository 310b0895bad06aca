/**
 * The `context` a function receives: its address, the caller, its storage,
 * and the effects it asks for (messages, delayed messages and cancellations,
 * egress records), with the official JS SDK's names and checks.
 *
 * @module
 */

import type { Address } from "./address.ts";
import type { EgressMessage, Message } from "./message.ts";

/** A message to deliver after a delay, or the cancellation of one. */
export type DelayedEffect =
  | { kind: "delay"; delayMs: number; message: Message; cancellationToken?: string }
  | { kind: "cancel"; cancellationToken: string };

/** Everything one invocation asked for, in the order it asked. */
export interface InvocationEffects {
  /** Messages to functions. */
  sent: Message[];
  /** Delayed messages and cancellations. */
  delayed: DelayedEffect[];
  /** Egress records. */
  egress: EgressMessage[];
}

/**
 * The effects of an invocation that asked for none of a kind (shared and frozen: a list is made on the first effect
 * of its kind — most invocations ask for one or two kinds, and these lists are on the per-record path).
 */
// deno-lint-ignore no-explicit-any
export const NO_EFFECTS: any[] = Object.freeze([]) as unknown as any[];

/** What a function sees of the runtime. */
export class Context {
  readonly #self: Address;
  readonly #caller: Address | null;
  // deno-lint-ignore no-explicit-any
  readonly #storage: Record<string, any>;
  readonly #effects: InvocationEffects;

  /**
   * Creates it.
   *
   * @param self The invoked address.
   * @param caller The calling function's address, null for ingress records.
   * @param storage The address's storage object.
   * @param effects Where effects are collected.
   */
  // deno-lint-ignore no-explicit-any
  constructor(self: Address, caller: Address | null, storage: Record<string, any>, effects: InvocationEffects) {
    this.#self = self;
    this.#caller = caller;
    this.#storage = storage;
    this.#effects = effects;
  }

  /** The address's state values, one property each. */
  // deno-lint-ignore no-explicit-any
  get storage(): Record<string, any> {
    return this.#storage;
  }

  /** The address being invoked. */
  get self(): Address {
    return this.#self;
  }

  /** The calling function, or null when the message came from an ingress or a timer. */
  get caller(): Address | null {
    return this.#caller;
  }

  /**
   * Sends a message to a function or an egress.
   *
   * @throws {TypeError} for anything else.
   */
  send(message: Message | EgressMessage): void {
    const effects = this.#effects;
    if (isEgressMessage(message)) {
      if (effects.egress === NO_EFFECTS) effects.egress = [];
      effects.egress.push(message);
    } else if (isMessage(message)) {
      if (effects.sent === NO_EFFECTS) effects.sent = [];
      effects.sent.push(message);
    } else throw new TypeError(`Unknown message type ${String(message)}`);
  }

  /**
   * Sends a message after `delay` milliseconds; a cancellation token lets
   * `cancelDelayedMessage` withdraw it (tokens are scoped to this address).
   *
   * @throws {TypeError} for a non-message, or a delay that is not a non-negative integer.
   */
  sendAfter(delay: number, message: Message, cancellationToken?: string): void {
    if (!isMessage(message)) throw new TypeError(`Can only delay messages. Got ${String(message)}`);
    if (!Number.isInteger(delay) || delay < 0) {
      throw new TypeError("delay is expected to be a non-negative integer number of milliseconds");
    }
    if (this.#effects.delayed === NO_EFFECTS) this.#effects.delayed = [];
    this.#effects.delayed.push(
      cancellationToken === undefined || cancellationToken === ""
        ? { kind: "delay", delayMs: delay, message }
        : { kind: "delay", delayMs: delay, message, cancellationToken },
    );
  }

  /**
   * Cancels a delayed message sent by this address with this token. Best effort: a
   * message already delivered, or an unknown token, is a no-op.
   *
   * @throws {TypeError} for an empty token.
   */
  cancelDelayedMessage(cancellationToken: string): void {
    if (typeof cancellationToken !== "string" || cancellationToken === "") {
      throw new TypeError("Cancellation token can not be NULL");
    }
    if (this.#effects.delayed === NO_EFFECTS) this.#effects.delayed = [];
    this.#effects.delayed.push({ kind: "cancel", cancellationToken });
  }
}

// Messages are recognised by shape, not by class: a functions module may import the SDK from another copy of Eddy
// (its source, a URL) than the one running it (dist/eddy.js, a compiled binary), whose classes are different objects.

function isMessage(value: unknown): value is Message {
  return typeof value === "object" && value !== null && "targetAddress" in value && "typedValue" in value;
}

function isEgressMessage(value: unknown): value is EgressMessage {
  return typeof value === "object" && value !== null && !("targetAddress" in value) &&
    typeof (value as { typename?: unknown }).typename === "string" && "typedValue" in value;
}
