/**
 * Records on their way out: split into requests the broker accepts, and put
 * in the shape kafkajs sends. kafkajs has no size-based splitting: everything
 * given to one send()/sendBatch() becomes one record batch per partition, and
 * a batch over the broker's message.max.bytes (1 MiB by default) is refused
 * whole (tests/kafka/batching_test.ts).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { OutgoingRecord } from "../runtime/ports.ts";

const UTF8 = new TextEncoder();

/** Bytes a record adds to a batch, with a generous allowance for the record's framing. */
export function recordSize(record: OutgoingRecord): number {
  const length = (data: Uint8Array | string | null | undefined) =>
    data == null ? 0 : typeof data === "string" ? UTF8.encode(data).length : data.length;
  let size = 32 + length(record.key) + length(record.value);
  if (record.headers === undefined) return size;
  for (const [name, value] of Object.entries(record.headers)) {
    if (typeof value === "string" || value instanceof Uint8Array) size += 8 + length(name) + length(value);
    else for (const one of value) size += 8 + length(name) + length(one);
  }
  return size;
}

/** A single record larger than a request may be. */
export class RecordTooLargeError extends RangeError {
  /**
   * @param record The record.
   * @param size Its estimated size.
   * @param limit The limit.
   */
  constructor(readonly record: OutgoingRecord, readonly size: number, readonly limit: number) {
    super(`a record for ${record.topic} is ${size} bytes, over the ${limit}-byte limit of one request`);
    this.name = "RecordTooLargeError";
  }
}

/**
 * Records per request: kafkajs groups a request's records by partition with a
 * copy per record (producer/groupMessagesPerPartition.js), quadratic in the
 * records of one request.
 */
export const MAX_RECORDS_PER_REQUEST = 2_000;

/**
 * Splits records, in order, into chunks of at most `maxBytes` and `maxRecords` each.
 *
 * @example
 * ```ts
 * const records = [{ topic: "t", key: null, value: "a".repeat(600) }, { topic: "t", key: null, value: "b".repeat(600) }];
 * chunkRecords(records, 1000).length; // 2
 * ```
 * @throws {RecordTooLargeError} when one record alone is over the limit.
 */
export function chunkRecords<R extends OutgoingRecord>(
  records: readonly R[],
  maxBytes: number,
  maxRecords: number = MAX_RECORDS_PER_REQUEST,
): R[][] {
  const chunks: R[][] = [];
  let current: R[] = [];
  let size = 0;
  for (const record of records) {
    const bytes = recordSize(record);
    if (bytes > maxBytes) throw new RecordTooLargeError(record, bytes, maxBytes);
    if ((size + bytes > maxBytes || current.length >= maxRecords) && current.length > 0) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** A kafkajs message. */
export interface TopicMessage {
  /** Key. */
  key: Buffer | string | null;
  /** Value. */
  value: Buffer | string | null;
  /** Partition, when chosen by Eddy. */
  partition?: number;
  /** Headers; a list writes the header once per value. */
  headers?: Record<string, Buffer | string | (Buffer | string)[]>;
}

/** Groups records by topic, in order, as kafkajs' `sendBatch({ topicMessages })` takes them. */
export function toTopicMessages(records: readonly OutgoingRecord[]): { topic: string; messages: TopicMessage[] }[] {
  const byTopic = new Map<string, TopicMessage[]>();
  for (const record of records) {
    const message: TopicMessage = { key: toBuffer(record.key), value: toBuffer(record.value) };
    if (record.partition !== undefined) message.partition = record.partition;
    if (record.headers !== undefined) {
      // Object.fromEntries: a header named __proto__ stays a header.
      message.headers = Object.fromEntries(
        Object.entries(record.headers).map((
          [name, value],
        ) => [name, typeof value === "string" || value instanceof Uint8Array ? toBuffer(value)! : value.map(toBuffer)]),
      ) as TopicMessage["headers"];
    }
    const messages = byTopic.get(record.topic) ?? [];
    messages.push(message);
    byTopic.set(record.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function toBuffer(data: Uint8Array | string | null): Buffer | string | null {
  if (data === null || typeof data === "string") return data;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** What kafkajs reports per partition of a produce request. */
export interface ProducedPartition {
  /** The topic. */
  topicName: string;
  /** The partition. */
  partition: number;
  /** The offset of the first record the request wrote there (a string of an int64). */
  baseOffset?: string;
}

/**
 * Adds to `written` the offset of the last record a request wrote to each partition that Eddy chose for its records
 * (kafkajs reports the first offset per partition; the records of one request land there in order, one after another).
 */
export function addWrittenOffsets(
  written: Map<string, number>,
  records: readonly OutgoingRecord[],
  produced: readonly ProducedPartition[],
): void {
  const counts = new Map<string, number>();
  for (const { topic, partition } of records) {
    if (partition === undefined) continue;
    const key = `${topic}/${partition}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const { topicName, partition, baseOffset } of produced) {
    const key = `${topicName}/${partition}`;
    const count = counts.get(key);
    if (count === undefined || baseOffset === undefined || Number(baseOffset) < 0) continue;
    written.set(key, Math.max(written.get(key) ?? -1, Number(baseOffset) + count - 1));
  }
}
