/**
 * Characterization: request sizes and record counts in kafkajs transactions.
 * One send() is one record batch per partition; over the broker's 1 MiB
 * message.max.bytes the broker refuses it whole. Chunked sends in one
 * transaction work. Per-record sends cost a round trip each: the figures are
 * printed (speed is for `deno task bench`, not asserted here).
 */

import { equal } from "node:assert/strict";
import { chunkRecords } from "../../src/kafka/outgoing_records.ts";
import { createTopic, deleteTopics, kafkaTest, readBack, transactionalProducer, withAdmin } from "./helpers.ts";

const big = (i: number) => ({ key: `k${i}`, value: "x".repeat(600 * 1024) });

kafkaTest("over 1 MiB for one partition in one send is refused; chunked sends in one transaction commit", async () => {
  const topic = await createTopic("batching-big");
  const producer = transactionalProducer();
  try {
    await producer.connect();
    const whole = await producer.transaction();
    const error = await whole.send({ topic, messages: [big(0), big(1), big(2)] }).then(
      () => undefined,
      (e: Error) => e,
    );
    equal(error instanceof Error, true, "one 1.8 MB batch is refused");
    equal(error!.name, "KafkaJSProtocolError");
    equal((error as Error & { type?: string }).type, "MESSAGE_TOO_LARGE");
    await whole.abort();

    const chunked = await producer.transaction();
    const records = [big(0), big(1), big(2)].map((record) => ({ topic, ...record }));
    const chunks = chunkRecords(records, 900 * 1024);
    equal(chunks.length, 3);
    for (const chunk of chunks) await chunked.send({ topic, messages: chunk });
    await chunked.commit();
    const read = await readBack(topic, 3, 30_000);
    equal(read.map((record) => record.key).join(","), "k0,k1,k2");
  } finally {
    await producer.disconnect();
    await deleteTopics(topic);
  }
});

kafkaTest("thousands of small records: one sendBatch per transaction vs one send per record", async () => {
  const topic = await createTopic("batching-small", { partitions: 4 });
  const producer = transactionalProducer();
  const count = 5_000;
  const messages = Array.from({ length: count }, (_, i) => ({ key: `key-${i % 100}`, value: `value-${i}` }));
  try {
    await producer.connect();
    let started = performance.now();
    const batched = await producer.transaction();
    await batched.sendBatch({ topicMessages: [{ topic, messages }] });
    await batched.commit();
    const batchedMs = performance.now() - started;

    started = performance.now();
    const single = await producer.transaction();
    for (const message of messages.slice(0, 500)) await single.send({ topic, messages: [message] });
    await single.commit();
    const singleMs = (performance.now() - started) * (count / 500);

    console.log(
      `${count} records in one transaction: one sendBatch ${batchedMs.toFixed(0)} ms ` +
        `(${(count / batchedMs * 1000).toFixed(0)} records/s); one send per record ≈ ${singleMs.toFixed(0)} ms ` +
        `(extrapolated from 500, ${(count / singleMs * 1000).toFixed(0)} records/s)`,
    );
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    // 5 500 records plus one commit marker per partition per transaction.
    equal(offsets.reduce((sum, p) => sum + Number(p.high), 0), count + 500 + 2 * 4);
  } finally {
    await producer.disconnect();
    await deleteTopics(topic);
  }
});
