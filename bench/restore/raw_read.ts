/**
 * The client's ceiling for a restore: a plain kafkajs consumer (read_committed, kafkajs' default fetch sizes, as
 * Eddy's app consumer) reading a changelog partition from its start and doing nothing with the records.
 *
 * @module
 */

import type { Kafka } from "../../src/kafka/kafkajs.ts";

/** What a raw read measured. */
export interface RawRead {
  /** Records read. */
  records: number;
  /** Records per second from the first fetched batch to the last (the group join left out). */
  recordsPerSecond: number;
}

/** Reads `count` records of `topic` from its start with a fresh group (`groupId`); resolves with the rate. */
export async function rawRead(kafka: Kafka, topic: string, count: number, groupId: string): Promise<RawRead> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let read = 0;
    let first: { at: number; records: number } | undefined;
    const done = Promise.withResolvers<number>();
    await consumer.run({
      eachBatch: ({ batch }) => {
        const now = performance.now();
        first ??= { at: now, records: batch.messages.length };
        read += batch.messages.length;
        if (read >= count) done.resolve(now);
        return Promise.resolve();
      },
    });
    const last = await done.promise;
    return { records: read, recordsPerSecond: (read - first!.records) / ((last - first!.at) / 1000) };
  } finally {
    await consumer.disconnect();
  }
}
