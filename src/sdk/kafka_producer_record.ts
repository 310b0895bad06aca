/**
 * StateFun's `KafkaProducerRecord` (key = 1, value_bytes = 2, topic = 3) under the typename a Kafka egress accepts: its
 * encoding and decoding, in a module of its own so that the egress builders (egress.ts) and the message that carries
 * a record (message.ts, which encodes it only when asked) share them without importing each other.
 *
 * @module
 */

import { bytesField, ProtoWriter, readFields, stringField } from "../protobuf/wire.ts";
import type { OutgoingHeaders } from "./kafka_record.ts";
import type { TypedValue } from "./typed_value.ts";

/** The only typename a Kafka egress accepts. */
export const KAFKA_PRODUCER_RECORD_TYPENAME = "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord";

/** A decoded KafkaProducerRecord. */
export interface KafkaProducerRecord {
  /** Topic. */
  topic: string;
  /** Key; an empty key means no key (null), as StateFun's serializer does. */
  key: string | null;
  /** Value bytes. */
  value: Uint8Array;
  /**
   * Headers (Eddy's; StateFun's KafkaProducerRecord has no field for them, so they are not in its encoding: only a
   * record made in this process by `kafkaEgressMessage` carries them).
   */
  headers?: OutgoingHeaders;
}

/** Encodes a KafkaProducerRecord as the TypedValue a Kafka egress takes (StateFun's fields: its headers are not). */
export function encodeKafkaProducerRecord(record: KafkaProducerRecord): TypedValue {
  return {
    typename: KAFKA_PRODUCER_RECORD_TYPENAME,
    hasValue: true,
    value: new ProtoWriter().string(1, record.key ?? "").bytes(2, record.value).string(3, record.topic).finish(),
  };
}

/** Decodes a KafkaProducerRecord. */
export function decodeKafkaProducerRecord(bytes: Uint8Array): KafkaProducerRecord {
  const fields = readFields(bytes);
  const key = stringField(fields, 1);
  return { key: key === "" ? null : key, value: bytesField(fields, 2), topic: stringField(fields, 3) };
}
