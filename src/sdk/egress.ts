/**
 * Egress record builders with the official JS SDK's names and encodings:
 * `kafkaEgressMessage` wraps a `KafkaProducerRecord` (key = 1, value_bytes = 2,
 * topic = 3) under the typename the Kafka egress accepts, and the runtime side
 * decodes it again.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { ProtoWriter } from "../protobuf/wire.ts";
import { type HeaderValue, type OutgoingHeaders, setHeader } from "./kafka_record.ts";
import { EgressMessage } from "./message.ts";
import { parseSdkTypeName } from "./typename.ts";
import type { Type } from "./types.ts";

export {
  decodeKafkaProducerRecord,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  type KafkaProducerRecord,
} from "./kafka_producer_record.ts";

/** The Kinesis record typename (Eddy has no Kinesis egress; kept for SDK compatibility). */
export const KINESIS_EGRESS_RECORD_TYPENAME = "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord";

/** Options of `kafkaEgressMessage`. */
export interface KafkaEgressOpts {
  /** The egress id. */
  typename: string;
  /** The Kafka topic. */
  topic: string;
  /** The record key (none when empty). */
  key?: string;
  /** The value. */
  // deno-lint-ignore no-explicit-any
  value: any;
  /** Its type; otherwise strings are UTF-8, safe integers 4-byte big-endian, bytes as they are. */
  // deno-lint-ignore no-explicit-any
  valueType?: Type<any>;
  /**
   * Record headers (Eddy's own option): a string (written as UTF-8) or a Uint8Array per name; a list writes the header
   * once per value. They win over carried headers of the same name (the ingress's `carryHeaders`).
   */
  headers?: OutgoingHeaders;
}

/**
 * Builds a record for a Kafka egress.
 *
 * @example
 * ```ts
 * const record = kafkaEgressMessage({ typename: "com.example/out", topic: "greetings", key: "Ada", value: "Hi Ada" });
 * record.typedValue.typename; // "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord"
 * ```
 * @example With headers
 * ```ts
 * const record = kafkaEgressMessage({
 *   typename: "com.example/out",
 *   topic: "greetings",
 *   value: "Hi Ada",
 *   headers: { "content-type": "text/plain", "schema-id": new Uint8Array([0, 0, 0, 7]) },
 * });
 * record.kafkaRecord?.headers?.["content-type"]; // "text/plain"
 * ```
 * @throws {TypeError} for a missing typename, topic or value, or headers that are not strings or Uint8Arrays by name.
 */
export function kafkaEgressMessage(
  { typename, topic, key = "", value, valueType, headers }: KafkaEgressOpts,
): EgressMessage {
  if (typeof typename !== "string" || typename === "") throw new TypeError("typename is missing");
  parseSdkTypeName(typename);
  if (typeof topic !== "string" || topic === "") throw new TypeError("topic is missing");
  if (value === undefined || value === null) throw new TypeError("value is missing");
  // The runtime writes `kafkaRecord` as it is; the protobuf bytes are made only if someone reads `typedValue`.
  return new EgressMessage(typename, undefined, {
    topic,
    key: key === "" || key === null ? null : key,
    value: egressBytes(valueType, value),
    ...(headers === undefined || headers === null ? {} : { headers: copyHeaders(headers) }),
  });
}

/** The headers of an egress record, checked and copied (a function may change its objects after sending). */
function copyHeaders(headers: OutgoingHeaders): OutgoingHeaders {
  if (typeof headers !== "object" || Array.isArray(headers) || headers instanceof Uint8Array) {
    throw new TypeError("headers must be an object from header name to a string or a Uint8Array");
  }
  const copy: Record<string, HeaderValue | HeaderValue[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    setHeader(copy, name, Array.isArray(value) ? value.map((one) => headerValue(name, one)) : headerValue(name, value));
  }
  return copy;
}

function headerValue(name: string, value: unknown): HeaderValue {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  throw new TypeError(
    `header ${name} must be a string or a Uint8Array (or a list of them), not ${
      value === null ? "null" : typeof value
    }`,
  );
}

/** Options of `kinesisEgressMessage`. */
export interface KinesisEgressOpts {
  /** The egress id. */
  typename: string;
  /** The stream. */
  stream: string;
  /** The partition key. */
  partitionKey: string;
  /** An explicit hash key. */
  hashKey?: string;
  /** The value. */
  // deno-lint-ignore no-explicit-any
  value: any;
  /** Its type. */
  // deno-lint-ignore no-explicit-any
  valueType?: Type<any>;
}

/** Builds a Kinesis egress record, for code written for the official SDK (Eddy refuses Kinesis egresses). */
export function kinesisEgressMessage(
  { typename, stream, partitionKey, hashKey = "", value, valueType }: KinesisEgressOpts,
): EgressMessage {
  if (typeof typename !== "string" || typename === "") throw new TypeError("typename is missing");
  parseSdkTypeName(typename);
  if (typeof stream !== "string" || stream === "") throw new TypeError("stream is missing");
  if (typeof partitionKey !== "string" || partitionKey === "") throw new TypeError("partition key is missing");
  if (value === undefined || value === null) throw new TypeError("value is missing");
  const record = new ProtoWriter().string(1, partitionKey).bytes(2, egressBytes(valueType, value)).string(3, stream)
    .string(4, hashKey).finish();
  return new EgressMessage(typename, { typename: KINESIS_EGRESS_RECORD_TYPENAME, hasValue: true, value: record });
}

const UTF8 = new TextEncoder();

function egressBytes(type: Type<unknown> | undefined, value: unknown): Uint8Array {
  if (type !== undefined && type !== null) return new Uint8Array(type.serialize(value));
  if (typeof value === "string") return UTF8.encode(value);
  if (Number.isSafeInteger(value)) {
    const bytes = Buffer.alloc(4);
    bytes.writeInt32BE(value as number);
    return new Uint8Array(bytes);
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  throw new TypeError(
    "Unable to deduce a type automatically. Please provide an explicit type, or string/Buffer as a value.",
  );
}
