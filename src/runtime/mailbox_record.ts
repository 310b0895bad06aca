/**
 * Records of the app's mailbox topic (`<app>-mailbox`): messages between
 * functions, fired timers, and ingress records forwarded to the task that owns
 * their address. The key is the target id's UTF-8 bytes (so the record's
 * partition is the target's task, and Kafka's tools show the id); the value is
 * `MailboxEnvelope { Address target = 1; Address caller = 2; TypedValue argument = 3; KafkaRecord kafka = 4;
 * repeated Header carried = 5 }` — `kafka` the ingress record a forwarded record is (its `message.kafka`), `carried`
 * the headers the message carries to the egress records it leads to (an ingress's `carryHeaders`).
 * docs/internal-topics.md describes the format.
 *
 * @module
 */

import { ProtoDecodeError, ProtoWriter, readFields } from "../protobuf/wire.ts";
import type { Address } from "../sdk/address.ts";
import { decodeAddress, writeAddress } from "../sdk/address_codec.ts";
import type { KafkaRecordSource, RawHeaders } from "../sdk/kafka_record.ts";
import { decodeKafkaRecord, readHeaders, writeHeaders, writeKafkaRecord } from "../sdk/kafka_record_codec.ts";
import { decodeTypedValue, type TypedValue, writeTypedValue } from "../sdk/typed_value.ts";

const UTF8 = new TextEncoder();

/** A message in the mailbox. */
export interface MailboxMessage {
  /** Where it goes. */
  target: Address;
  /** The sending function; null for fired timers and forwarded ingress records. */
  caller: Address | null;
  /** The value. */
  argument: TypedValue;
  /** The Kafka ingress record it came from (`message.kafka`): set for ingress records only, never for sent messages. */
  kafka?: KafkaRecordSource;
  /** Headers it carries onto the egress records its processing writes (an ingress's `carryHeaders`), if any. */
  carried?: RawHeaders;
}

/** Encodes a mailbox message as a record key and value. */
export function encodeMailboxMessage(message: MailboxMessage): { key: Uint8Array; value: Uint8Array } {
  const writer = writeAddress(new ProtoWriter(), 1, message.target);
  if (message.caller !== null) writeAddress(writer, 2, message.caller);
  writeTypedValue(writer, 3, message.argument);
  if (message.kafka !== undefined) writeKafkaRecord(writer, 4, message.kafka);
  if (message.carried !== undefined) writeHeaders(writer, 5, message.carried);
  return { key: UTF8.encode(message.target.id), value: writer.finish() };
}

/**
 * Decodes a mailbox record's value.
 *
 * @throws {ProtoDecodeError} for a value that is not a mailbox envelope.
 */
export function decodeMailboxMessage(value: Uint8Array): MailboxMessage {
  let target: Address | undefined;
  let caller: Address | null = null;
  let argument: TypedValue | undefined;
  let kafka: KafkaRecordSource | undefined;
  let headers = false;
  const fields = readFields(value);
  for (const field of fields) {
    if (!(field.value instanceof Uint8Array)) continue;
    if (field.field === 1) target = decodeAddress(field.value);
    else if (field.field === 2) caller = decodeAddress(field.value);
    else if (field.field === 3) argument = decodeTypedValue(field.value);
    else if (field.field === 4) kafka = decodeKafkaRecord(field.value);
    else if (field.field === 5) headers = true;
  }
  if (target === undefined || argument === undefined) {
    throw new ProtoDecodeError("a mailbox envelope needs a target and an argument");
  }
  const message: MailboxMessage = { target, caller, argument };
  if (kafka !== undefined) message.kafka = kafka;
  if (headers) message.carried = readHeaders(fields, 5);
  return message;
}
