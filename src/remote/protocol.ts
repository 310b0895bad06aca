/**
 * StateFun's request-reply protocol on the wire (`io.statefun.sdk.reqreply`, request-reply.proto): the
 * `ToFunction` batch a runtime POSTs to a remote function — target address, every registered state, the
 * invocations — and the `FromFunction` it gets back: an invocation result (state mutations, messages, delayed
 * messages and cancellations, egress messages) or an incomplete invocation context (the states to register first).
 *
 * Hand-written on src/protobuf/wire.ts rather than generated: the two messages are small and fixed by the protocol,
 * the SDK's types already encode this way (TypedValue, Address), and no protobuf runtime (google-protobuf is 230 KB
 * and CommonJS) has to be bundled or compiled in. The bytes are checked against the official JS SDK's generated code
 * and its handler (src/remote/protocol_test.ts).
 *
 * @module
 */

import {
  lastField,
  ProtoDecodeError,
  type ProtoField,
  ProtoWriter,
  readFields,
  stringField,
} from "../protobuf/wire.ts";
import type { Address } from "../sdk/address.ts";
import { decodeAddress, writeAddress } from "../sdk/address_codec.ts";
import { decodeTypedValue, type TypedValue, writeTypedValue } from "../sdk/typed_value.ts";

/** One registered state of the target, with its value unless it is empty. */
export interface PersistedValue {
  /** The state's name. */
  name: string;
  /** Its value (typename = the registered type); undefined when the state is empty. */
  value?: TypedValue;
}

/** One message for the target. */
export interface RemoteInvocation {
  /** The sending function, or null (an ingress record, a fired timer). */
  caller: Address | null;
  /** The message. */
  argument: TypedValue;
}

/** `ToFunction.InvocationBatchRequest`: what one request carries. */
export interface InvocationBatch {
  /** The address invoked. */
  target: Address;
  /** Every registered state of the function type. */
  state: PersistedValue[];
  /** The messages, in arrival order. */
  invocations: RemoteInvocation[];
}

/** A state change: deleted, or set to a value. */
export type StateMutation = { name: string; kind: "delete" } | { name: string; kind: "modify"; value: TypedValue };

/** A delayed message, or the cancellation of one. */
export type DelayedInvocation =
  | { kind: "delay"; delayMs: number; target: Address; argument: TypedValue; cancellationToken?: string }
  | { kind: "cancel"; cancellationToken: string };

/** A message for an egress: `egress_namespace/egress_type`. */
export interface RemoteEgressMessage {
  /** The egress's namespace. */
  namespace: string;
  /** The egress's type (name). */
  type: string;
  /** The record (for Kafka: a KafkaProducerRecord). */
  argument: TypedValue;
}

/** How a state expires. */
export interface StateExpiration {
  /** `none`, `after-write` or `after-invoke` (after any access). */
  mode: "none" | "after-write" | "after-invoke";
  /** Milliseconds (0 for `none`). */
  millis: number;
}

/** A state the function declares: name, type and expiration. */
export interface PersistedValueSpec {
  /** The state's name. */
  name: string;
  /** Its type's typename (empty from an SDK that gave none). */
  typename: string;
  /** Its expiration. */
  expiration: StateExpiration;
}

/** What a remote function answered. */
export type FromFunction =
  | {
    kind: "result";
    mutations: StateMutation[];
    outgoing: { target: Address; argument: TypedValue }[];
    delayed: DelayedInvocation[];
    egress: RemoteEgressMessage[];
  }
  | { kind: "incomplete"; missing: PersistedValueSpec[] };

/** Encodes a `ToFunction` with one invocation batch. */
export function encodeToFunction(batch: InvocationBatch): Uint8Array {
  // Embedded messages are written in place (ProtoWriter.begin/end): one buffer, one copy at the end.
  const writer = new ProtoWriter();
  const request = writer.begin(100);
  writeAddress(writer, 1, batch.target);
  for (const { name, value } of batch.state) {
    const persisted = writer.begin(2);
    writer.string(1, name);
    if (value !== undefined) writeTypedValue(writer, 2, value);
    writer.end(persisted);
  }
  for (const { caller, argument } of batch.invocations) {
    const invocation = writer.begin(3);
    if (caller !== null) writeAddress(writer, 1, caller);
    writeTypedValue(writer, 2, argument);
    writer.end(invocation);
  }
  return writer.end(request).finish();
}

/**
 * Decodes a `ToFunction` (what an SDK receives; the test kit and tests read requests with it).
 *
 * @throws {ProtoDecodeError} for bytes that are not a ToFunction with an invocation batch.
 */
export function decodeToFunction(bytes: Uint8Array): InvocationBatch {
  const request = message(readFields(bytes), 100);
  if (request === undefined) throw new ProtoDecodeError("a ToFunction without an invocation batch");
  let target: Address | undefined;
  const state: PersistedValue[] = [];
  const invocations: RemoteInvocation[] = [];
  for (const field of readFields(request)) {
    if (!(field.value instanceof Uint8Array)) continue;
    if (field.field === 1) target = decodeAddress(field.value);
    else if (field.field === 2) {
      const fields = readFields(field.value);
      const value = message(fields, 2);
      state.push({ name: stringField(fields, 1), ...(value === undefined ? {} : { value: decodeTypedValue(value) }) });
    } else if (field.field === 3) {
      const fields = readFields(field.value);
      const caller = message(fields, 1);
      invocations.push({
        caller: caller === undefined ? null : decodeAddress(caller),
        argument: decodeTypedValue(message(fields, 2) ?? new Uint8Array()),
      });
    }
  }
  if (target === undefined) throw new ProtoDecodeError("an invocation batch without a target");
  return { target, state, invocations };
}

/**
 * Decodes a `FromFunction`; one with neither response set is a result without effects, as StateFun takes it.
 *
 * @throws {ProtoDecodeError} naming what is malformed.
 */
export function decodeFromFunction(bytes: Uint8Array): FromFunction {
  const fields = readFields(bytes);
  const incomplete = message(fields, 101);
  const result = message(fields, 100);
  if (incomplete !== undefined && result === undefined) {
    const missing: PersistedValueSpec[] = [];
    for (const field of readFields(incomplete)) {
      if (field.field !== 1 || !(field.value instanceof Uint8Array)) continue;
      const spec = readFields(field.value);
      const expiration = message(spec, 2);
      missing.push({
        name: stringField(spec, 1),
        typename: stringField(spec, 3),
        expiration: expiration === undefined ? { mode: "none", millis: 0 } : decodeExpiration(expiration),
      });
    }
    return { kind: "incomplete", missing };
  }
  const response: Extract<FromFunction, { kind: "result" }> = {
    kind: "result",
    mutations: [],
    outgoing: [],
    delayed: [],
    egress: [],
  };
  for (const field of result === undefined ? [] : readFields(result)) {
    if (!(field.value instanceof Uint8Array)) continue;
    const inner = readFields(field.value);
    if (field.field === 1) {
      const type = number(inner, 1);
      const name = stringField(inner, 2);
      if (type === 0) response.mutations.push({ name, kind: "delete" });
      else if (type === 1) {
        response.mutations.push({
          name,
          kind: "modify",
          value: decodeTypedValue(message(inner, 3) ?? new Uint8Array()),
        });
      } else throw new ProtoDecodeError(`state mutation of ${JSON.stringify(name)} has an unknown type ${type}`);
    } else if (field.field === 2) {
      response.outgoing.push({ target: address(inner, 1, "an outgoing message"), argument: typed(inner, 2) });
    } else if (field.field === 3) {
      const token = stringField(inner, 11);
      if (number(inner, 10) === 1) {
        if (token === "") throw new ProtoDecodeError("a cancellation request without a cancellation token");
        response.delayed.push({ kind: "cancel", cancellationToken: token });
      } else {
        const delayMs = number(inner, 1);
        if (delayMs < 0) throw new ProtoDecodeError(`a delayed message with a negative delay (${delayMs} ms)`);
        response.delayed.push({
          kind: "delay",
          delayMs,
          target: address(inner, 2, "a delayed message"),
          argument: typed(inner, 3),
          ...(token === "" ? {} : { cancellationToken: token }),
        });
      }
    } else if (field.field === 4) {
      response.egress.push({
        namespace: stringField(inner, 1),
        type: stringField(inner, 2),
        argument: typed(inner, 3),
      });
    }
  }
  return response;
}

function decodeExpiration(bytes: Uint8Array): StateExpiration {
  const fields = readFields(bytes);
  const mode = number(fields, 1);
  const millis = number(fields, 2);
  if (mode === 0) return { mode: "none", millis: 0 };
  if (mode === 1) return { mode: "after-write", millis };
  if (mode === 2) return { mode: "after-invoke", millis };
  throw new ProtoDecodeError(`an expiration mode ${mode} that StateFun does not define`);
}

/** A length-delimited field's bytes, or undefined when absent (an absent message differs from an empty one). */
function message(fields: ProtoField[], field: number): Uint8Array | undefined {
  const found = lastField(fields, field);
  return found?.value instanceof Uint8Array ? found.value : undefined;
}

/** A varint field as a number (int64 values beyond 2^53 are refused: no delay or TTL is that long). */
function number(fields: ProtoField[], field: number): number {
  const found = lastField(fields, field);
  if (found === undefined) return 0;
  if (typeof found.value !== "bigint") throw new ProtoDecodeError(`field ${field} is not a varint`);
  const value = BigInt.asIntN(64, found.value);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ProtoDecodeError(`field ${field} is out of range (${value})`);
  }
  return Number(value);
}

function address(fields: ProtoField[], field: number, what: string): Address {
  const bytes = message(fields, field);
  if (bytes === undefined) throw new ProtoDecodeError(`${what} without a target address`);
  return decodeAddress(bytes);
}

function typed(fields: ProtoField[], field: number): TypedValue {
  return decodeTypedValue(message(fields, field) ?? new Uint8Array());
}
