/**
 * Reads an app's changelog whole and writes records into it, for `eddy state export` and `eddy state import`
 * (src/cli/state.ts), without the app's group: the read goes through a consumer of its own (read_committed, from the
 * start of each partition to the last-stable offset it had when the read began, so a running app's open transactions
 * are left out), the write through one Kafka transaction, so an import lands whole or not at all.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { KafkaAdmin } from "./admin.ts";
import type { Kafka } from "./kafkajs.ts";

/** One changelog record. */
export interface ChangelogRecord {
  /** Its partition (the address's task). */
  partition: number;
  /** The encoded ChangelogKey. */
  key: Uint8Array;
  /** The encoded entry; null for a tombstone. */
  value: Uint8Array | null;
}

/**
 * Every committed record of the changelog, in offset order per partition, up to the last-stable offsets at the call.
 *
 * @throws {Error} when the read does not reach those offsets within `timeoutMs` (default 5 min).
 */
export async function readChangelog(
  kafka: Kafka,
  admin: KafkaAdmin,
  topic: string,
  onRecord: (record: ChangelogRecord) => void,
  timeoutMs = 300_000,
): Promise<void> {
  const ends = new Map(
    (await admin.stableOffsets(topic)).filter(({ low, lastStable }) => lastStable > low)
      .map(({ partition, lastStable }) => [partition, lastStable]),
  );
  if (ends.size === 0) return;
  const groupId = `eddy-export-${crypto.randomUUID()}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, readUncommitted: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic} did not reach its last-stable offsets in ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const reached = (partition: number, next: number) => {
        if (next < (ends.get(partition) ?? 0)) return;
        ends.delete(partition);
        if (ends.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      // A fetch of only control markers (a transaction's end) never reaches eachBatch; its end event says how far.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.batchSize === 0) reached(payload.partition, Number(payload.lastOffset) + 1);
      });
      consumer.run({
        autoCommit: false,
        eachBatch: ({ batch }) => {
          const end = ends.get(batch.partition);
          if (end === undefined) return Promise.resolve();
          for (const message of batch.messages) {
            if (Number(message.offset) >= end) break;
            if (message.key === null) continue;
            onRecord({
              partition: batch.partition,
              key: new Uint8Array(message.key),
              value: message.value === null ? null : new Uint8Array(message.value),
            });
          }
          reached(batch.partition, Number(batch.lastOffset()) + 1);
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => {}); // nothing was committed; the empty group goes too
  }
}

/**
 * Writes records into the changelog in one transaction (`transactionalId` fences an earlier import that stopped
 * half-way).
 */
export async function writeChangelog(
  kafka: Kafka,
  topic: string,
  transactionalId: string,
  records: readonly ChangelogRecord[],
): Promise<void> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const transaction = await producer.transaction();
    try {
      for (let from = 0; from < records.length; from += 1_000) {
        await transaction.send({
          topic,
          messages: records.slice(from, from + 1_000).map((record) => ({
            partition: record.partition,
            key: Buffer.from(record.key),
            value: record.value === null ? null : Buffer.from(record.value),
          })),
        });
      }
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => {});
      throw error;
    }
  } finally {
    await producer.disconnect();
  }
}
