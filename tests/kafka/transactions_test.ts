/**
 * Characterization: Kafka transactions through kafkajs 2.2.4 on Kafka 4.x, as
 * Eddy's commit cycle uses them — a transactional producer per task,
 * sendOffsets to the consumer's group (which has members) and to a member-less
 * group, fencing, abort, a stranded producer, and the last-stable offset.
 */

import { deepEqual, equal, match, rejects } from "node:assert/strict";
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
  withAdmin,
} from "./helpers.ts";

async function committedOffset(groupId: string, topic: string, partition = 0): Promise<string> {
  const offsets = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  return offsets[0].partitions.find((p) => p.partition === partition)!.offset;
}

kafkaTest("sendOffsets commits to a member-less group and to a group with an active member", async () => {
  const input = await createTopic("txn-in");
  const output = await createTopic("txn-out");
  const memberless = uniqueName("memberless");
  const active = uniqueName("active");
  const consumer = testKafka().consumer({ groupId: active, maxWaitTimeInMs: 250, sessionTimeout: 6_000 });
  const producer = transactionalProducer(uniqueName("task-0"));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [input] });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => joined = true);
    await consumer.run({ autoCommit: false, eachBatch: () => Promise.resolve() });
    await waitFor("the consumer to join", () => joined);

    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({ topic: output, messages: [{ key: "k", value: "v" }] });
    await transaction.sendOffsets({
      consumerGroupId: memberless,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: "7" }] }],
    });
    // kafkajs sends TxnOffsetCommit v1 (no generation or member id): the broker accepts it for a classic group
    // that has members — there is no group-generation fencing, so zombie fencing rests on transactional ids.
    await transaction.sendOffsets({
      consumerGroupId: active,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: "3" }] }],
    });
    await transaction.commit();

    equal(await committedOffset(memberless, input), "7");
    equal(await committedOffset(active, input), "3");
    deepEqual((await readBack(output, 1)).map((r) => r.value), ["v"]);
  } finally {
    await producer.disconnect();
    await consumer.disconnect();
    await deleteTopics(input, output);
  }
});

kafkaTest("an aborted transaction's records and offsets are invisible", async () => {
  const output = await createTopic("txn-abort");
  const group = uniqueName("abort");
  const producer = transactionalProducer(uniqueName("task-0"));
  try {
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic: output, messages: [{ value: "aborted" }] });
    await aborted.sendOffsets({
      consumerGroupId: group,
      topics: [{ topic: output, partitions: [{ partition: 0, offset: "1" }] }],
    });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic: output, messages: [{ value: "committed" }] });
    await committed.commit();
    // read_committed (kafkajs' default) sees only the committed record: offsets 0 (aborted), 1 (abort marker),
    // 2 (committed), 3 (commit marker).
    const records = await readBack(output, 1);
    deepEqual(records.map((r) => [r.value, r.offset]), [["committed", "2"]]);
    equal(await committedOffset(group, output), "-1", "the aborted offset commit never happened");
  } finally {
    await producer.disconnect();
    await deleteTopics(output);
  }
});

kafkaTest("a second producer with the same transactional id fences the first", async () => {
  const output = await createTopic("txn-fence");
  const transactionalId = uniqueName("task-0");
  const zombie = transactionalProducer(transactionalId);
  const successor = transactionalProducer(transactionalId);
  try {
    await zombie.connect();
    const zombieTransaction = await zombie.transaction();
    await zombieTransaction.send({ topic: output, messages: [{ value: "zombie" }] });

    // InitProducerId by the successor bumps the epoch and aborts the zombie's open transaction.
    await successor.connect();
    const transaction = await successor.transaction();
    await transaction.send({ topic: output, messages: [{ value: "successor" }] });
    await transaction.commit();

    const fenced = await zombieTransaction.commit().then(() => undefined, (error: Error) => error);
    equal(fenced instanceof Error, true, "the zombie cannot commit");
    equal(fenced!.name, "KafkaJSProtocolError");
    match(fenced!.message, /epoch|fenced/i);
    equal(
      (fenced as Error & { type?: string }).type,
      "INVALID_PRODUCER_EPOCH",
      "EndTxn v1 reports fencing as INVALID_PRODUCER_EPOCH",
    );
    const records = await readBack(output, 1);
    deepEqual(records.map((r) => r.value), ["successor"], "nothing the zombie wrote is visible");
  } finally {
    await zombie.disconnect().catch(() => {});
    await successor.disconnect();
    await deleteTopics(output);
  }
});

kafkaTest("an open transaction holds read_committed readers at the last-stable offset", async () => {
  const topic = await createTopic("txn-lso");
  const producer = transactionalProducer(uniqueName("task-0"));
  try {
    await producer.connect();
    const open = await producer.transaction();
    await open.send({ topic, messages: [{ value: "in transaction" }] });
    await produce(topic, [{ key: null, value: "plain, after the transaction started" }]);

    // kafkajs' admin lists offsets READ_COMMITTED: its "high" is the last-stable offset (0), not the high
    // watermark (2).
    const [partition] = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    equal(partition.high, "0");
    await rejects(readBack(topic, 1, 1_500), /read 0 of 1 records/, "the plain record is held back too");

    await open.commit();
    const records = await readBack(topic, 2);
    deepEqual(records.map((r) => r.value), ["in transaction", "plain, after the transaction started"]);
    const [after] = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    equal(after.high, "3", "high watermark after the commit marker");
  } finally {
    await producer.disconnect();
    await deleteTopics(topic);
  }
});

kafkaTest("a transaction the broker timed out strands the kafkajs producer; a new producer recovers", async () => {
  const topic = await createTopic("txn-stranded");
  const transactionalId = uniqueName("task-0");
  const producer = transactionalProducer(transactionalId, 1_000);
  try {
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: [{ value: "too slow" }] });
    // The broker aborts transactions older than transaction.timeout.ms (it checks every 10 s by default).
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const error = await transaction.commit().then(() => undefined, (e: Error) => e);
    equal(error instanceof Error, true, "commit after the broker's timeout fails");
    equal((error as Error & { type?: string }).type, "INVALID_PRODUCER_EPOCH", "the broker bumped the epoch on abort");
    // kafkajs keeps the producer in its failed state: a new transaction cannot start (issue #1416's symptom).
    const next = await producer.transaction().then(() => undefined, (e: Error) => e);
    equal(next instanceof Error, true, "the stranded producer cannot begin again");
    equal(next!.message, 'Transaction state exception: Cannot call "beginTransaction" in state "COMMITTING"');

    await producer.disconnect();
    const fresh = transactionalProducer(transactionalId);
    await fresh.connect();
    const retry = await fresh.transaction();
    await retry.send({ topic, messages: [{ value: "recovered" }] });
    await retry.commit();
    await fresh.disconnect();
    deepEqual((await readBack(topic, 1)).map((r) => r.value), ["recovered"]);
  } finally {
    await producer.disconnect().catch(() => {});
    await deleteTopics(topic);
  }
});
