/**
 * Characterization: eachBatch in kafkajs 2.2.4. One broker means one fetcher,
 * and the fetcher awaits the handler: a slow eachBatch stalls every other
 * partition and the heartbeats (the member is expelled); a throwing eachBatch
 * crashes and restarts the consumer and the batch comes again. The pattern
 * Eddy uses — hand records off, return at once, pause() for back-pressure —
 * keeps the group stable.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import type { Consumer, EachBatchPayload } from "../../src/kafka/kafkajs.ts";
import { createTopic, deleteTopics, kafkaTest, produce, testKafka, uniqueName, waitFor } from "./helpers.ts";

interface Observed {
  consumer: Consumer;
  joins: number;
  crashes: { error: string; restart: boolean }[];
  /** partition:offset of every record handed to eachBatch, in order. */
  delivered: string[];
  /** When each partition's first record arrived (ms since start). */
  firstSeen: Map<number, number>;
}

async function observe(
  topic: string,
  eachBatch: (payload: EachBatchPayload, observed: Observed) => Promise<void>,
): Promise<Observed> {
  const observed: Observed = {
    consumer: testKafka("eddy-test-each-batch").consumer({
      groupId: uniqueName("each-batch"),
      sessionTimeout: 6_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 250,
      retry: { retries: 2, initialRetryTime: 100 },
    }),
    joins: 0,
    crashes: [],
    delivered: [],
    firstSeen: new Map(),
  };
  const start = Date.now();
  const { consumer } = observed;
  consumer.on(consumer.events.GROUP_JOIN, () => observed.joins++);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    observed.crashes.push({ error: String(payload.error?.message), restart: payload.restart });
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: (payload) => {
      for (const message of payload.batch.messages) {
        observed.delivered.push(`${payload.batch.partition}:${message.offset}`);
        if (!observed.firstSeen.has(payload.batch.partition)) {
          observed.firstSeen.set(payload.batch.partition, Date.now() - start);
        }
      }
      return eachBatch(payload, observed);
    },
  });
  return observed;
}

kafkaTest("a slow eachBatch stalls the other partitions and the heartbeats (the member is expelled)", async () => {
  const topic = await createTopic("slow-batch", { partitions: 2 });
  let observed: Observed | undefined;
  try {
    await produce(topic, [{ key: null, value: "p0", partition: 0 }, { key: null, value: "p1", partition: 1 }]);
    let slowed = false;
    observed = await observe(topic, async ({ batch }) => {
      if (!slowed) {
        slowed = true;
        // Longer than the 6 s session timeout, without calling heartbeat().
        await new Promise((resolve) => setTimeout(resolve, 8_000));
      }
      void batch;
    });
    await waitFor("both records", () => observed!.delivered.length >= 2, 30_000);
    const [first, second] = [...observed.firstSeen.values()].toSorted((a, b) => a - b);
    ok(second - first >= 7_500, `the other partition waited for the slow handler (${second - first} ms)`);
    await waitFor("the member to rejoin after being expelled", () => observed!.joins >= 2, 20_000);
  } finally {
    await observed?.consumer.disconnect();
    await deleteTopics(topic);
  }
});

kafkaTest("a throwing eachBatch crashes and restarts the consumer; the batch is delivered again", async () => {
  const topic = await createTopic("throw-batch");
  let observed: Observed | undefined;
  try {
    await produce(topic, [{ key: null, value: "poison" }]);
    let thrown = 0;
    observed = await observe(topic, () => {
      if (thrown++ < 3) return Promise.reject(new Error("handler failed"));
      return Promise.resolve();
    });
    await waitFor("the record to be handled", () => thrown > 3, 30_000);
    // kafkajs retries the handler itself (retry.retries) before crashing the consumer, which then restarts.
    ok(observed.crashes.length >= 1, "a CRASH event");
    equal(observed.crashes[0].error, "handler failed");
    equal(observed.crashes[0].restart, true);
    ok(observed.delivered.filter((d) => d === "0:0").length >= 2, "the same record came again");
    ok(observed.joins >= 2, "the restart rejoined the group");
  } finally {
    await observed?.consumer.disconnect();
    await deleteTopics(topic);
  }
});

kafkaTest("hand-off and return, with pause() for back-pressure, keeps the group stable and the order", async () => {
  const topic = await createTopic("hand-off", { partitions: 2 });
  let observed: Observed | undefined;
  const processed: string[] = [];
  const queue: { partition: number; offset: string }[] = [];
  const bound = 20;
  let paused = false;
  try {
    const records = Array.from({ length: 400 }, (_, i) => ({ key: null, value: `v${i}`, partition: i % 2 }));
    await produce(topic, records);
    observed = await observe(topic, ({ batch }) => {
      for (const message of batch.messages) queue.push({ partition: batch.partition, offset: message.offset });
      if (queue.length >= bound && !paused) {
        observed!.consumer.pause([{ topic }]);
        paused = true;
      }
      return Promise.resolve(); // never await the processing here
    });
    // The "runtime": processes slowly (longer in total than the session timeout), resumes when drained.
    const started = Date.now();
    while (processed.length < records.length) {
      const next = queue.shift();
      if (next === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      processed.push(`${next.partition}:${next.offset}`);
      if (paused && queue.length === 0) {
        observed.consumer.resume([{ topic }]);
        paused = false;
      }
    }
    ok(Date.now() - started > 6_000, "processing took longer than the session timeout");
    equal(observed.joins, 1, "no rebalance");
    equal(observed.crashes.length, 0);
    for (const partition of [0, 1]) {
      const offsets = processed.filter((p) => p.startsWith(`${partition}:`)).map((p) => Number(p.split(":")[1]));
      deepEqual(offsets, Array.from({ length: 200 }, (_, i) => i), `partition ${partition} once, in order`);
    }
  } finally {
    await observed?.consumer.disconnect();
    await deleteTopics(topic);
  }
});
