/**
 * The Kafka adapter the runtime uses — AppConsumer and TaskProducer — on the
 * real broker, covering the workarounds docs/kafka-client.md names.
 */

import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { AppConsumer } from "../../src/kafka/app_consumer.ts";
import { TaskProducer } from "../../src/kafka/task_producer.ts";
import { type AssignmentChange, CommitError, type RecordHandoff } from "../../src/runtime/ports.ts";
import { EgressProducer } from "../../src/kafka/egress_producer.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import {
  createTopic,
  deleteTopics,
  kafkaTest,
  produce,
  readBack,
  testKafka,
  transactionalProducer,
  uniqueName,
  waitFor,
} from "./helpers.ts";

async function groupOffsets(groupId: string, topic: string) {
  const admin = new KafkaAdmin(testKafka());
  await admin.connect();
  try {
    return Object.fromEntries(await admin.groupOffsets(groupId, topic));
  } finally {
    await admin.disconnect();
  }
}

kafkaTest("TaskProducer commits records and offsets of several groups in one transaction, in chunks", async () => {
  const changelog = await createTopic("adapter-changelog", { partitions: 2 });
  const mailbox = await createTopic("adapter-mailbox", { partitions: 2 });
  const producer = new TaskProducer(testKafka(), uniqueName("app-task-0"));
  try {
    const big = "x".repeat(400 * 1024);
    await producer.commit({
      records: [
        { topic: changelog, partition: 1, key: "a", value: big },
        { topic: changelog, partition: 1, key: "b", value: big },
        { topic: changelog, partition: 1, key: "c", value: big, headers: { h: "1" } },
        { topic: mailbox, partition: 1, key: new TextEncoder().encode("id"), value: null },
      ],
      offsets: [
        { groupId: "adapter-ingress-group", topic: changelog, partition: 0, offset: 5 },
        { groupId: "adapter-app-group", topic: mailbox, partition: 1, offset: 9 },
      ],
    });
    const records = await readBack(changelog, 3, 30_000);
    deepEqual(records.map((r) => [r.key, r.partition, r.value?.length]), [
      ["a", 1, big.length],
      ["b", 1, big.length],
      ["c", 1, big.length],
    ]);
    deepEqual((await readBack(mailbox, 1)).map((r) => [r.key, r.value]), [["id", null]]);
    deepEqual(await groupOffsets("adapter-ingress-group", changelog), { 0: 5, 1: -1 });
    deepEqual(await groupOffsets("adapter-app-group", mailbox), { 0: -1, 1: 9 });
  } finally {
    await producer.close();
    await deleteTopics(changelog, mailbox);
  }
});

kafkaTest("TaskProducer.init() fences an older producer of the task at once", async () => {
  const topic = await createTopic("adapter-fence");
  const id = uniqueName("app-task-0");
  const zombie = new TaskProducer(testKafka(), id);
  const owner = new TaskProducer(testKafka(), id);
  try {
    await zombie.init();
    await owner.init(); // the task moved: the new owner fences the old one before it reads any offset
    await rejects(
      zombie.commit({ records: [{ topic, key: null, value: "zombie" }], offsets: [] }),
      (error: unknown) =>
        error instanceof CommitError && error.fenced && /fenced by a newer producer/.test(error.message),
    );
    await owner.commit({ records: [{ topic, key: null, value: "owner" }], offsets: [] });
    await owner.commit({ records: [{ topic, key: null, value: "owner again" }], offsets: [] });
    deepEqual((await readBack(topic, 2)).map((r) => r.value), ["owner", "owner again"]);
  } finally {
    await zombie.close();
    await owner.close();
    await deleteTopics(topic);
  }
});

kafkaTest("TaskProducer discards its producer after a failed commit and commits again with a new one", async () => {
  const topic = await createTopic("adapter-recover");
  const producer = new TaskProducer(testKafka(), uniqueName("app-task-0"));
  try {
    await rejects(
      producer.commit({ records: [{ topic: uniqueName("no-such-topic"), key: null, value: "lost" }], offsets: [] }),
      (error: unknown) => error instanceof CommitError && !error.fenced,
    );
    await producer.commit({ records: [{ topic, key: null, value: "next" }], offsets: [] });
    deepEqual((await readBack(topic, 1)).map((r) => r.value), ["next"]);
  } finally {
    await producer.close();
    await deleteTopics(topic);
  }
});

interface Instance {
  consumer: AppConsumer;
  changes: AssignmentChange[];
  handoffs: RecordHandoff[];
  errors: unknown[];
}

function instance(groupId: string, topics: string[], taskCount: number): Instance {
  const observed: Instance = { consumer: undefined as unknown as AppConsumer, changes: [], handoffs: [], errors: [] };
  observed.consumer = new AppConsumer({
    kafka: testKafka("eddy-test-app"),
    groupId,
    topics,
    taskCount,
    onAssignment: (change) => observed.changes.push(change),
    onRecords: (handoff) => observed.handoffs.push(handoff),
    onError: (error) => observed.errors.push(error),
  });
  return observed;
}

const offsetsOf = (instance: Instance, partition: number) =>
  instance.handoffs.filter((h) => h.partition === partition).flatMap((h) => h.records.map((r) => r.offset));

kafkaTest(
  "AppConsumer holds new tasks until started, hands off by task, and never redelivers at a rebalance",
  async () => {
    const ingress = await createTopic("adapter-ingress", { partitions: 2 });
    const groupId = uniqueName("app");
    const first = instance(groupId, [ingress], 2);
    let second: Instance | undefined;
    try {
      await produce(ingress, [0, 1, 2, 3].map((i) => ({ key: null, value: `p0-${i}`, partition: 0 })));
      await produce(ingress, [0, 1].map((i) => ({ key: null, value: `p1-${i}`, partition: 1 })));
      await first.consumer.start();
      await waitFor("the assignment", () => first.changes.length === 1);
      deepEqual(first.changes[0], { assigned: [0, 1], revoked: [], retained: [], expelled: false });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      equal(first.handoffs.length, 0, "nothing is handed off before the task is started");

      first.consumer.startTask(0, [{ topic: ingress, partition: 0, offset: 1 }]); // as if offset 1 were committed
      first.consumer.startTask(1, []); // no committed offset: the reset policy (latest)
      await waitFor("partition 0 from offset 1", () => offsetsOf(first, 0).length === 3);
      deepEqual(offsetsOf(first, 0), [1, 2, 3]);
      equal(first.handoffs[0].task, 0);
      deepEqual(new TextDecoder().decode(first.handoffs[0].records[0].value!), "p0-1");
      equal(first.consumer.position(ingress, 0), 4);

      await produce(ingress, [{ key: null, value: "p1-late", partition: 1 }]);
      await waitFor("the late record of task 1", () => offsetsOf(first, 1).length === 1);
      deepEqual(offsetsOf(first, 1), [2]);

      second = instance(groupId, [ingress], 2);
      await second.consumer.start();
      await waitFor("the rebalance", () => first.changes.length === 2 && second!.changes.length === 1);
      deepEqual(first.changes[1], { assigned: [], revoked: [1], retained: [0], expelled: false });
      deepEqual(second.changes[0], { assigned: [1], revoked: [], retained: [], expelled: false });
      second.consumer.startTask(1, [{ topic: ingress, partition: 1, offset: 3 }]);

      await produce(ingress, [{ key: null, value: "p0-after", partition: 0 }]);
      await produce(ingress, [{ key: null, value: "p1-after", partition: 1 }]);
      await waitFor(
        "records after the rebalance",
        () => offsetsOf(first, 0).length === 4 && offsetsOf(second!, 1).length === 1,
      );
      deepEqual(offsetsOf(first, 0), [1, 2, 3, 4], "the retained task was not redelivered");
      deepEqual(offsetsOf(second, 1), [3]);
      deepEqual([...first.errors, ...second.errors], []);
    } finally {
      await second?.consumer.stop();
      await first.consumer.stop();
      await deleteTopics(ingress);
    }
  },
);

kafkaTest("AppConsumer positions count control markers, also for batches of markers only", async () => {
  const topic = await createTopic("adapter-markers");
  const producer = transactionalProducer();
  const reader = instance(uniqueName("app"), [topic], 1);
  try {
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: "a" }, { value: "b" }] });
    await committed.commit(); // 0, 1, marker 2
    await reader.consumer.start();
    await waitFor("the assignment", () => reader.changes.length === 1);
    reader.consumer.startTask(0, [{ topic, partition: 0, offset: 0 }]);
    await waitFor("the records", () => reader.handoffs.length === 1);
    deepEqual(reader.handoffs.map((h) => [h.records.map((r) => r.offset), h.nextOffset]), [[[0, 1], 3]]);
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: "never" }] });
    await aborted.abort(); // 3 (aborted), marker 4
    await waitFor("the markers-only batch", () => reader.handoffs.length === 2);
    deepEqual(reader.handoffs[1].records, []);
    equal(reader.handoffs[1].nextOffset, 5);
    ok(reader.errors.length === 0);
  } finally {
    await reader.consumer.stop();
    await producer.disconnect();
    await deleteTopics(topic);
  }
});

kafkaTest("EgressProducer sends in order, in chunks, and resolves once acknowledged", async () => {
  const topic = await createTopic("adapter-egress", { partitions: 2 });
  const producer = new EgressProducer(testKafka());
  try {
    await producer.connect();
    const big = "y".repeat(500 * 1024);
    await producer.send([
      { topic, partition: 0, key: "k", value: big },
      { topic, partition: 0, key: "k", value: big },
      { topic, partition: 1, key: new TextEncoder().encode("bytes"), value: "small" },
    ]);
    const records = await readBack(topic, 3, 30_000);
    deepEqual(
      records.filter((r) => r.partition === 0).map((r) => [r.key, r.value?.length, r.offset]),
      [["k", big.length, "0"], ["k", big.length, "1"]],
    );
    deepEqual(records.filter((r) => r.partition === 1).map((r) => [r.key, r.value]), [["bytes", "small"]]);
    await rejects(producer.send([{ topic: uniqueName("missing"), key: null, value: "x" }]));
  } finally {
    await producer.disconnect();
    await deleteTopics(topic);
  }
});
