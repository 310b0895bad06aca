/**
 * Kafka record headers and an ingress record's metadata on the wire, in the records of the app's internal topics
 * (a mailbox message, a timer, a message carried past a commit): `Header { string name = 1; bytes value = 2 }`, one
 * per value, and `KafkaRecord { string topic = 1; int32 partition = 2; int64 offset = 3; int64 timestamp = 4;
 * repeated Header headers = 5 }`. docs/internal-topics.md describes the format.
 *
 * @module
 */

import {
  bytesField,
  int64Field,
  type ProtoField,
  type ProtoWriter,
  readFields,
  stringField,
} from "../protobuf/wire.ts";
import { type KafkaRecordSource, type RawHeaders, setHeader } from "./kafka_record.ts";

/** Writes headers as the repeated `Header` field `field` of `writer`, each value of a repeated header in order. */
export function writeHeaders(writer: ProtoWriter, field: number, headers: RawHeaders): ProtoWriter {
  for (const name in headers) {
    const value = headers[name];
    if (value instanceof Uint8Array) writeHeader(writer, field, name, value);
    else for (const one of value) writeHeader(writer, field, name, one);
  }
  return writer;
}

function writeHeader(writer: ProtoWriter, field: number, name: string, value: Uint8Array): void {
  const start = writer.begin(field);
  writer.string(1, name).bytes(2, value).end(start);
}

/** The headers of the repeated `Header` field `field` among a message's fields; undefined when there is none. */
export function readHeaders(fields: ProtoField[], field: number): RawHeaders | undefined {
  let headers: Record<string, Uint8Array | Uint8Array[]> | undefined;
  for (const candidate of fields) {
    if (candidate.field !== field || !(candidate.value instanceof Uint8Array)) continue;
    const header = readFields(candidate.value);
    const name = stringField(header, 1);
    const value = bytesField(header, 2);
    headers ??= {};
    if (!Object.hasOwn(headers, name)) {
      setHeader(headers, name, value);
      continue;
    }
    const before = headers[name];
    if (before instanceof Uint8Array) setHeader(headers, name, [before, value]);
    else before.push(value);
  }
  return headers;
}

/** Writes an ingress record's metadata as the embedded `KafkaRecord` field `field` of `writer`. */
export function writeKafkaRecord(writer: ProtoWriter, field: number, record: KafkaRecordSource): ProtoWriter {
  const start = writer.begin(field);
  writer.string(1, record.topic).varint(2, record.partition).varint(3, record.offset).varint(4, record.timestamp);
  return writeHeaders(writer, 5, record.headers).end(start);
}

/** Decodes a `KafkaRecord`. */
export function decodeKafkaRecord(bytes: Uint8Array): KafkaRecordSource {
  const fields = readFields(bytes);
  return {
    topic: stringField(fields, 1),
    partition: int64Field(fields, 2),
    offset: int64Field(fields, 3),
    timestamp: int64Field(fields, 4),
    headers: readHeaders(fields, 5) ?? {},
  };
}
