/**
 * From an egress message to a Kafka record of the egress with that id: the function's `kafkaEgressMessage` becomes
 * topic, key, value and headers (with the headers its message carried), and the egress's deliverySemantic picks the
 * path (the task transaction, an awaited idempotent producer, or fire and forget).
 *
 * @module
 */

import type { OutgoingRecord, RawHeaders } from "./ports.ts";
import { decodeKafkaProducerRecord, KAFKA_PRODUCER_RECORD_TYPENAME } from "../sdk/egress.ts";
import type { EgressMessage } from "../sdk/message.ts";
import type { KafkaEgressSpec } from "../spec/model.ts";

/** An egress message a function sent that cannot be written; the invocation fails with it. */
export class EgressError extends Error {
  /**
   * @param egressId The egress id the message named.
   * @param message What is wrong.
   */
  constructor(readonly egressId: string, message: string) {
    super(message);
    this.name = "EgressError";
  }
}

/** A record for one egress. */
export interface EgressRecord {
  /** The egress. */
  egress: KafkaEgressSpec;
  /** The record. */
  record: OutgoingRecord;
}

/**
 * The Kafka record of an egress message, with the headers its function set and those its message carried (an
 * ingress's `carryHeaders`; the function's win where both name a header).
 *
 * @throws {EgressError} for an unknown egress id or a value that is not a Kafka producer record.
 */
export function routeEgressMessage(
  message: EgressMessage,
  egresses: ReadonlyMap<string, KafkaEgressSpec>,
  carried?: RawHeaders,
): EgressRecord {
  const egress = egresses.get(message.typename);
  if (egress === undefined) {
    const known = [...egresses.keys()];
    throw new EgressError(
      message.typename,
      `no egress with id ${message.typename}: the module defines ${
        known.length === 0 ? "no egress" : known.join(", ")
      }`,
    );
  }
  // Made by kafkaEgressMessage in this process: the record as it is, no protobuf round trip.
  const made = message.kafkaRecord;
  if (made !== undefined) {
    if (made.topic === "") throw new EgressError(egress.id, `a record for egress ${egress.id} names no topic`);
    const record: OutgoingRecord = { topic: made.topic, key: made.key, value: made.value, egress: egress.id };
    const headers = made.headers === undefined ? carried : carried === undefined ? made.headers : {
      ...carried,
      ...made.headers,
    };
    if (headers !== undefined) record.headers = headers;
    return { egress, record };
  }
  const { typename, hasValue, value } = message.typedValue;
  if (typename !== KAFKA_PRODUCER_RECORD_TYPENAME || !hasValue) {
    throw new EgressError(
      egress.id,
      `egress ${egress.id} is a Kafka egress: it takes kafkaEgressMessage(...) records, not ${typename}`,
    );
  }
  let decoded;
  try {
    decoded = decodeKafkaProducerRecord(value);
  } catch (error) {
    throw new EgressError(egress.id, `a record for egress ${egress.id} cannot be decoded: ${(error as Error).message}`);
  }
  if (decoded.topic === "") throw new EgressError(egress.id, `a record for egress ${egress.id} names no topic`);
  // A KafkaProducerRecord on the wire (a remote function's) has no headers: only carried ones.
  const record: OutgoingRecord = { topic: decoded.topic, key: decoded.key, value: decoded.value, egress: egress.id };
  if (carried !== undefined) record.headers = carried;
  return { egress, record };
}
