/**
 * Records of the app's compacted changelog topic (`<app>-changelog`), one
 * partition per task: the latest value of every state of every address, and
 * every pending timer. A deletion, a fired timer or a cancelled one is a
 * tombstone for its key, so compaction keeps exactly the live entries.
 *
 * Key: `ChangelogKey { StateKey state = 1 | TimerKey timer = 2 | PendingKey pending = 3 }` with
 * `StateKey { Address address = 1; string name = 2 }`,
 * `TimerKey { Address sender = 1; string id = 2 }` (id = the cancellation
 * token, or a unique id for untokened timers; tokens are scoped to the sender) and
 * `PendingKey { int64 seq = 1 }` (a message whose record is committed but whose call is not done yet).
 * Values: `StateEntry { TypedValue value = 1; int64 written_at = 2; int64 called_at = 3 }`,
 * `TimerEntry { int64 fire_at = 1; Address target = 2; TypedValue argument = 3; repeated Header carried = 4 }` (times:
 * epoch ms) and `PendingEntry { Address target = 1; Address caller = 2; TypedValue argument = 3; string topic = 4;
 * int32 partition = 5; int64 offset = 6; KafkaRecord kafka = 7; repeated Header carried = 8 }` (the message and the
 * record it came from). `Header` and `KafkaRecord` are src/sdk/kafka_record_codec.ts's.
 * docs/internal-topics.md describes the format.
 *
 * @module
 */

import { int64Field, lastField, ProtoDecodeError, ProtoWriter, readFields, stringField } from "../protobuf/wire.ts";
import type { Address } from "../sdk/address.ts";
import { decodeAddress, writeAddress } from "../sdk/address_codec.ts";
import type { KafkaRecordSource, RawHeaders } from "../sdk/kafka_record.ts";
import { decodeKafkaRecord, readHeaders, writeHeaders, writeKafkaRecord } from "../sdk/kafka_record_codec.ts";
import { decodeTypedValue, type TypedValue, writeTypedValue } from "../sdk/typed_value.ts";

/** What a changelog key names. */
export type ChangelogKey =
  | { kind: "state"; address: Address; name: string }
  | { kind: "timer"; sender: Address; id: string }
  | { kind: "pending"; seq: number };

/** The latest value of a state. */
export interface StateEntry {
  /** The value. */
  value: TypedValue;
  /** When it was last written (for expireAfterWrite). */
  writtenAt: number;
  /** When its address was last called, as last persisted (for expireAfterCall). */
  calledAt: number;
}

/** A pending delayed message. */
export interface TimerEntry {
  /** When it fires (epoch ms). */
  fireAt: number;
  /** Its target. */
  target: Address;
  /** Its value. */
  argument: TypedValue;
  /** The headers its sender's message carried (an ingress's `carryHeaders`), if any. */
  carried?: RawHeaders;
}

/**
 * A message carried past a commit: its record's offset is committed, its call is not done (a slow remote function).
 * A restore queues it again, before anything newer of its address.
 */
export interface PendingEntry {
  /** Its target. */
  target: Address;
  /** The sending function; null for fired timers and ingress records. */
  caller: Address | null;
  /** Its value. */
  argument: TypedValue;
  /** The record it came from. */
  origin: { topic: string; partition: number; offset: number };
  /** The Kafka ingress record it is a message of (`message.kafka`), if one. */
  kafka?: KafkaRecordSource;
  /** The headers it carries (an ingress's `carryHeaders`), if any. */
  carried?: RawHeaders;
}

/** Encodes a changelog key (deterministic: the same key always gives the same bytes, as compaction needs). */
export function encodeChangelogKey(key: ChangelogKey): Uint8Array {
  if (key.kind === "pending") {
    return new ProtoWriter().bytes(3, new ProtoWriter().varint(1, key.seq).finish(), true).finish();
  }
  const writer = new ProtoWriter();
  const inner = writer.begin(key.kind === "state" ? 1 : 2);
  if (key.kind === "state") writeAddress(writer, 1, key.address).string(2, key.name);
  else writeAddress(writer, 1, key.sender).string(2, key.id);
  return writer.end(inner).finish();
}

/**
 * Decodes a changelog key.
 *
 * @throws {ProtoDecodeError} for bytes that are not a changelog key.
 */
export function decodeChangelogKey(bytes: Uint8Array): ChangelogKey {
  const [outer] = readFields(bytes);
  if (outer === undefined || !(outer.value instanceof Uint8Array) || outer.field < 1 || outer.field > 3) {
    throw new ProtoDecodeError("not a changelog key");
  }
  const fields = readFields(outer.value);
  if (outer.field === 3) return { kind: "pending", seq: int64Field(fields, 1) };
  const address = lastField(fields, 1)?.value;
  if (!(address instanceof Uint8Array)) throw new ProtoDecodeError("a changelog key needs an address");
  return outer.field === 1
    ? { kind: "state", address: decodeAddress(address), name: stringField(fields, 2) }
    : { kind: "timer", sender: decodeAddress(address), id: stringField(fields, 2) };
}

/** Encodes a state entry. */
export function encodeStateEntry(entry: StateEntry): Uint8Array {
  return writeTypedValue(new ProtoWriter(), 1, entry.value).varint(2, entry.writtenAt).varint(3, entry.calledAt)
    .finish();
}

/** Decodes a state entry. */
export function decodeStateEntry(bytes: Uint8Array): StateEntry {
  const fields = readFields(bytes);
  const value = lastField(fields, 1)?.value;
  if (!(value instanceof Uint8Array)) throw new ProtoDecodeError("a state entry needs a value");
  return { value: decodeTypedValue(value), writtenAt: int64Field(fields, 2), calledAt: int64Field(fields, 3) };
}

/** Encodes a timer entry. */
export function encodeTimerEntry(entry: TimerEntry): Uint8Array {
  const writer = writeAddress(new ProtoWriter().varint(1, entry.fireAt), 2, entry.target);
  writeTypedValue(writer, 3, entry.argument);
  if (entry.carried !== undefined) writeHeaders(writer, 4, entry.carried);
  return writer.finish();
}

/** Decodes a timer entry. */
export function decodeTimerEntry(bytes: Uint8Array): TimerEntry {
  const fields = readFields(bytes);
  const target = lastField(fields, 2)?.value;
  const argument = lastField(fields, 3)?.value;
  if (!(target instanceof Uint8Array) || !(argument instanceof Uint8Array)) {
    throw new ProtoDecodeError("a timer entry needs a target and an argument");
  }
  const entry: TimerEntry = {
    fireAt: int64Field(fields, 1),
    target: decodeAddress(target),
    argument: decodeTypedValue(argument),
  };
  const carried = readHeaders(fields, 4);
  if (carried !== undefined) entry.carried = carried;
  return entry;
}

/** Encodes a pending message. */
export function encodePendingEntry(entry: PendingEntry): Uint8Array {
  const writer = writeAddress(new ProtoWriter(), 1, entry.target);
  if (entry.caller !== null) writeAddress(writer, 2, entry.caller);
  writeTypedValue(writer, 3, entry.argument).string(4, entry.origin.topic)
    .varint(5, entry.origin.partition).varint(6, entry.origin.offset);
  if (entry.kafka !== undefined) writeKafkaRecord(writer, 7, entry.kafka);
  if (entry.carried !== undefined) writeHeaders(writer, 8, entry.carried);
  return writer.finish();
}

/** Decodes a pending message. */
export function decodePendingEntry(bytes: Uint8Array): PendingEntry {
  const fields = readFields(bytes);
  const target = lastField(fields, 1)?.value;
  const caller = lastField(fields, 2)?.value;
  const argument = lastField(fields, 3)?.value;
  if (!(target instanceof Uint8Array) || !(argument instanceof Uint8Array)) {
    throw new ProtoDecodeError("a pending entry needs a target and an argument");
  }
  const entry: PendingEntry = {
    target: decodeAddress(target),
    caller: caller instanceof Uint8Array ? decodeAddress(caller) : null,
    argument: decodeTypedValue(argument),
    origin: { topic: stringField(fields, 4), partition: int64Field(fields, 5), offset: int64Field(fields, 6) },
  };
  const kafka = lastField(fields, 7)?.value;
  if (kafka instanceof Uint8Array) entry.kafka = decodeKafkaRecord(kafka);
  const carried = readHeaders(fields, 8);
  if (carried !== undefined) entry.carried = carried;
  return entry;
}
