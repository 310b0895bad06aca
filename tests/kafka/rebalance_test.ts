/**
 * Characterization: what kafkajs 2.2.4 does to positions across a rebalance.
 *
 * kafkajs builds a new OffsetManager on every sync and re-reads the committed
 * offsets, so a member that keeps a partition but has not committed (Eddy
 * commits in transactions, per commit interval) is handed the same records
 * again. The GROUP_JOIN event is emitted synchronously after the sync and
 * before the next fetch, so seeking retained partitions to the member's own
 * position there prevents the redelivery. Pauses survive a rebalance.
 */

import { deepEqual, equal } from "node:assert/strict";
import type { Consumer } from "../../src/kafka/kafkajs.ts";
import { taskAssignor, tasksOfAssignment } from "../../src/kafka/task_assignor.ts";
import { createTopic, deleteTopics, kafkaTest, produce, testKafka, uniqueName, waitFor } from "./helpers.ts";

interface Reader {
  consumer: Consumer;
  tasks: number[];
  joins: number;
  /** Every delivered offset of partition 0, in delivery order (duplicates included). */
  delivered: number[];
  /** Next offset to read per partition, as the member itself tracks it. */
  position: Map<number, number>;
}

async function startReader(
  groupId: string,
  topic: string,
  options: { seekRetainedOnJoin: boolean },
): Promise<Reader> {
  const reader: Reader = {
    consumer: undefined as unknown as Consumer,
    tasks: [],
    joins: 0,
    delivered: [],
    position: new Map(),
  };
  const consumer = testKafka("eddy-test-rebalance").consumer({
    groupId,
    partitionAssigners: [taskAssignor({ taskCount: 2, ownedTasks: () => reader.tasks })],
    sessionTimeout: 6_000,
    heartbeatInterval: 200,
    maxWaitTimeInMs: 250,
  });
  reader.consumer = consumer;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assignment = payload.memberAssignment as Record<string, number[]>;
    const retained = reader.tasks.filter((task) => assignment[topic]?.includes(task));
    reader.tasks = tasksOfAssignment(assignment, 2);
    reader.joins++;
    if (options.seekRetainedOnJoin) {
      for (const partition of retained) {
        const offset = reader.position.get(partition);
        if (offset !== undefined) consumer.seek({ topic, partition, offset: String(offset) });
      }
    }
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: ({ batch }) => {
      for (const message of batch.messages) {
        if (batch.partition === 0) reader.delivered.push(Number(message.offset));
        reader.position.set(batch.partition, Number(message.offset) + 1);
      }
      return Promise.resolve();
    },
  });
  return reader;
}

async function rebalanceWhileHoldingPartition0(seekRetainedOnJoin: boolean): Promise<number[]> {
  const topic = await createTopic("rebalance", { partitions: 2 });
  const groupId = uniqueName("rebalance");
  const readers: Reader[] = [];
  try {
    const first = await startReader(groupId, topic, { seekRetainedOnJoin });
    readers.push(first);
    await waitFor("the first member to own both tasks", () => first.tasks.length === 2);
    await produce(topic, Array.from({ length: 10 }, (_, i) => ({ key: null, value: `r${i}`, partition: 0 })));
    await waitFor("ten records on partition 0", () => first.delivered.length >= 10);
    // A second member joins: the first keeps task 0 (sticky) and nothing was committed.
    readers.push(await startReader(groupId, topic, { seekRetainedOnJoin }));
    await waitFor("the rebalance", () => first.joins === 2 && first.tasks.length === 1);
    deepEqual(first.tasks, [0]);
    await produce(topic, [{ key: null, value: "after", partition: 0 }]);
    await waitFor("the record produced after the rebalance", () => first.delivered.includes(10));
    return first.delivered;
  } finally {
    await Promise.all(readers.map((reader) => reader.consumer.disconnect()));
    await deleteTopics(topic);
  }
}

kafkaTest("kafkajs redelivers uncommitted records of a retained partition after a rebalance", async () => {
  const delivered = await rebalanceWhileHoldingPartition0(false);
  // Offsets 0..9 twice: the new OffsetManager read the (absent) committed offset and started over.
  deepEqual(delivered, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

kafkaTest("seeking retained partitions in the GROUP_JOIN listener prevents the redelivery", async () => {
  const delivered = await rebalanceWhileHoldingPartition0(true);
  deepEqual(delivered, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

kafkaTest("a paused partition stays paused across a rebalance, and resumes where it stopped", async () => {
  const topic = await createTopic("paused", { partitions: 2 });
  const groupId = uniqueName("paused");
  const readers: Reader[] = [];
  try {
    const first = await startReader(groupId, topic, { seekRetainedOnJoin: true });
    readers.push(first);
    await waitFor("the first member to own both tasks", () => first.tasks.length === 2);
    await produce(topic, [{ key: null, value: "before", partition: 0 }]);
    await waitFor("the first record", () => first.delivered.length === 1);
    first.consumer.pause([{ topic, partitions: [0] }]);
    readers.push(await startReader(groupId, topic, { seekRetainedOnJoin: true }));
    await waitFor("the rebalance", () => first.joins === 2);
    await produce(topic, [{ key: null, value: "while paused", partition: 0 }]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    deepEqual(first.delivered, [0], "nothing is delivered from the paused partition");
    deepEqual(first.consumer.paused(), [{ topic, partitions: [0] }]);
    first.consumer.resume([{ topic, partitions: [0] }]);
    await waitFor("the record produced while paused", () => first.delivered.length === 2);
    deepEqual(first.delivered, [0, 1]);
    equal(readers[1].delivered.length, 0, "the second member never saw partition 0");
  } finally {
    await Promise.all(readers.map((reader) => reader.consumer.disconnect()));
    await deleteTopics(topic);
  }
});
