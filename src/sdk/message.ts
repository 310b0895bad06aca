/**
 * Messages a function receives and sends, and their builders, with the names
 * and behaviour of the official StateFun JS SDK.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Address } from "./address.ts";
import { encodeKafkaProducerRecord, type KafkaProducerRecord } from "./kafka_producer_record.ts";
import { KafkaRecordMetadata, type KafkaRecordSource } from "./kafka_record.ts";
import { fromTypedValue, toTypedValue, type TypedValue } from "./typed_value.ts";
import { parseSdkTypeName } from "./typename.ts";
import { BOOL_TYPE, FLOAT_TYPE, INT_TYPE, STRING_TYPE, type Type } from "./types.ts";

/** A message to or from a function. */
export class Message {
  /** The record it came from: as the runtime gave it until a function reads `kafka`, then what that made of it. */
  #kafka: KafkaRecordSource | KafkaRecordMetadata | undefined;

  /**
   * Creates it.
   *
   * @param targetAddress Where it goes.
   * @param typedValue Its value.
   * @param kafka The Kafka ingress record it came from (the runtime's; `kafka` is made from it when first read).
   */
  constructor(readonly targetAddress: Address, readonly typedValue: TypedValue, kafka?: KafkaRecordSource) {
    this.#kafka = kafka;
  }

  /**
   * The Kafka record this message came from, read-only — topic, partition, offset, timestamp, key and headers — when it
   * came from a Kafka ingress; undefined for messages from functions and timers (and in remote functions, whose
   * protocol has no field for it).
   */
  get kafka(): KafkaRecordMetadata | undefined {
    const kafka = this.#kafka;
    if (kafka === undefined || kafka instanceof KafkaRecordMetadata) return kafka;
    return this.#kafka = new KafkaRecordMetadata(kafka, this.targetAddress.id);
  }

  /** The value's typename. */
  get valueTypeName(): string {
    return this.typedValue.typename;
  }

  /**
   * The value's raw bytes.
   *
   * @throws {Error} when the message carries no value.
   */
  get rawValueBytes(): Buffer {
    if (!this.typedValue.hasValue) throw new Error("Unexpected message without a value");
    return Buffer.from(this.typedValue.value);
  }

  /** Whether the value is of `type` (same typename). */
  is<T>(type: Type<T>): boolean {
    return type.typename === this.valueTypeName;
  }

  /**
   * The value read with `type`.
   *
   * @throws {TypeError} when the value is of another type.
   */
  as<T>(type: Type<T>): T | null {
    return fromTypedValue(this.typedValue, type);
  }

  /** Whether the value is a string. */
  isString(): boolean {
    return this.is(STRING_TYPE);
  }

  /** The value as a string. */
  asString(): string | null {
    return this.as(STRING_TYPE);
  }

  /** Whether the value is a boolean. */
  isBoolean(): boolean {
    return this.is(BOOL_TYPE);
  }

  /** The value as a boolean. */
  asBoolean(): boolean | null {
    return this.as(BOOL_TYPE);
  }

  /** Whether the value is a float. */
  isFloat(): boolean {
    return this.is(FLOAT_TYPE);
  }

  /** The value as a float. */
  asFloat(): number | null {
    return this.as(FLOAT_TYPE);
  }

  /** Whether the value is an int. */
  isInt(): boolean {
    return this.is(INT_TYPE);
  }

  /** The value as an int. */
  asInt(): number | null {
    return this.as(INT_TYPE);
  }
}

/** A message for an egress. */
export class EgressMessage {
  #typedValue: TypedValue | undefined;

  /**
   * Creates it.
   *
   * @param typename The egress id, `<namespace>/<name>`.
   * @param typedValue The record (for Kafka: a KafkaProducerRecord); undefined when `kafkaRecord` is given, which is
   *   then encoded only if someone asks for it (the runtime writes a `kafkaRecord` as it is).
   * @param kafkaRecord The Kafka record it holds, when `kafkaEgressMessage` made it.
   */
  constructor(
    readonly typename: string,
    typedValue: TypedValue | undefined,
    readonly kafkaRecord?: KafkaProducerRecord,
  ) {
    if (typedValue === undefined && kafkaRecord === undefined) throw new TypeError("an egress message needs a value");
    this.#typedValue = typedValue;
  }

  /** The record as a TypedValue. */
  get typedValue(): TypedValue {
    return this.#typedValue ??= encodeKafkaProducerRecord(this.kafkaRecord!);
  }
}

/** Options of `messageBuilder`. */
export interface MessageOpts {
  /** The target function type. */
  typename: string;
  /** The target id. */
  id: string;
  /** The value. */
  // deno-lint-ignore no-explicit-any
  value: any;
  /** Its type; inferred for strings (string) and safe integers (int). */
  // deno-lint-ignore no-explicit-any
  valueType?: Type<any>;
}

/**
 * Builds a message to a function.
 *
 * @example
 * ```ts
 * const message = messageBuilder({ typename: "com.example/greeter", id: "Ada", value: "hello" });
 * message.asString(); // "hello"
 * ```
 * @throws {TypeError} for a bad typename, an empty id, a missing value or a value whose type cannot be inferred.
 */
export function messageBuilder({ typename, id, value, valueType }: MessageOpts): Message {
  parseSdkTypeName(typename);
  if (typeof id !== "string" || id === "") throw new TypeError("Target id (id) can not missing");
  if (value === undefined || value === null) throw new TypeError("Missing value");
  const type = valueType ?? inferType(value);
  return new Message(Address.fromTypeNameId(typename, id), toTypedValue(value, type));
}

/** Options of `egressMessageBuilder`. */
export interface EgressOpts {
  /** The egress id. */
  typename: string;
  /** The value. */
  // deno-lint-ignore no-explicit-any
  value: any;
  /** Its type (required). */
  // deno-lint-ignore no-explicit-any
  valueType: Type<any>;
}

/**
 * Builds a message to an egress with an explicit type.
 *
 * @throws {TypeError} for a bad typename, a missing value or a missing type.
 */
export function egressMessageBuilder({ typename, value, valueType }: EgressOpts): EgressMessage {
  parseSdkTypeName(typename);
  if (value === undefined || value === null) throw new TypeError("Missing value");
  if (valueType === undefined || valueType === null) throw new TypeError("Missing type.");
  return new EgressMessage(typename, toTypedValue(value, valueType));
}

// deno-lint-ignore no-explicit-any
function inferType(value: unknown): Type<any> {
  if (typeof value === "string") return STRING_TYPE;
  if (Number.isSafeInteger(value)) return INT_TYPE;
  throw new TypeError(`Missing valueType. Please provide a specific value type for ${String(value)}.`);
}
