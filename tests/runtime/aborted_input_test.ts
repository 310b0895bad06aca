/**
 * Records of aborted transactions never reach a function (issue #8). A new owner that fences the open
 * transactions of several tasks of a dead or frozen instance leaves interleaved aborted transactions in the mailbox,
 * aborted in another order than they began; an upstream app with transactional producers leaves the same in an
 * ingress topic. kafkajs alone handed such records out (tests/kafka/aborted_transactions_test.ts), so forwarded
 * messages were counted twice. Both tests fail without src/kafka/read_committed.ts.
 */

import { deepEqual } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encodeMailboxMessage } from "../../src/runtime/mailbox_record.ts";
import { partitionOfKey } from "../../src/runtime/partitioner.ts";
import { Address } from "../../src/sdk/address.ts";
import type { Producer } from "../../src/kafka/kafkajs.ts";
import { createTopic, kafkaTest, produce, readBack, transactionalProducer, uniqueName } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import { cleanUp, readAll, startApp, stopApp, type TestModule, valuesByKey } from "./harness.ts";

const UTF8 = new TextEncoder();

/** Two transactions that interleave in one partition and abort in the reverse order of their starts. */
async function interleavedAborts(
  producers: [Producer, Producer],
  topic: string,
  partition: number,
  record: (producer: number, n: number) => { key: Uint8Array | string; value: Uint8Array | string },
): Promise<void> {
  const [first, second] = await Promise.all(producers.map((producer) => producer.transaction()));
  const send = (transaction: typeof first, producer: number, n: number) => {
    const { key, value } = record(producer, n);
    return transaction.send({ topic, messages: [{ key: Buffer.from(key), value: Buffer.from(value), partition }] });
  };
  await send(first, 0, 1);
  await send(first, 0, 2);
  await send(second, 1, 1);
  await send(first, 0, 3);
  await send(second, 1, 2);
  await second.abort();
  await first.abort();
}

function module(input: string): TestModule {
  return {
    group: uniqueName("app"),
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
  };
}

kafkaTest("aborted transactions of an upstream producer in an ingress topic are not processed", async () => {
  const input = await createTopic("in", { partitions: 1 });
  const output = await createTopic("out");
  const spec = module(input);
  const producers: [Producer, Producer] = [transactionalProducer(), transactionalProducer()];
  await Promise.all(producers.map((producer) => producer.connect()));
  try {
    await produce(input, [{ key: "k", value: "committed-1" }]);
    await interleavedAborts(producers, input, 0, (producer, n) => ({ key: "k", value: `aborted-${producer}-${n}` }));
    await produce(input, [{ key: "k", value: "committed-2" }]);
    const app = await startApp(spec, counterFunctions(output));
    try {
      await readBack(output, 2, 30_000);
    } finally {
      await stopApp(app);
    }
    deepEqual(valuesByKey(await readAll(output)).get("k"), ["1:committed-1", "2:committed-2"]);
  } finally {
    await Promise.all(producers.map((producer) => producer.disconnect()));
    await cleanUp(spec.group, input, output);
  }
});

kafkaTest("aborted mailbox transactions of two fenced tasks are not processed by the task that owns them", async () => {
  const input = await createTopic("in", { partitions: 4 });
  const output = await createTopic("out");
  const spec = module(input);
  const app = spec.group;
  // A key of task 1, and the transactional ids of tasks 0 and 2: what a fenced instance's forwarding leaves.
  const key = Array.from({ length: 100 }, (_, n) => `key-${n}`).find((k) => partitionOfKey(UTF8.encode(k), 4) === 1)!;
  const producers: [Producer, Producer] = [
    transactionalProducer(`${app}-task-0`),
    transactionalProducer(`${app}-task-2`),
  ];
  try {
    let running = await startApp(spec, counterFunctions(output)); // creates the internal topics
    await produce(input, [{ key, value: "committed-1" }]);
    await readBack(output, 1, 30_000);
    await stopApp(running);
    await Promise.all(producers.map((producer) => producer.connect()));
    await interleavedAborts(producers, `${app}-mailbox`, 1, (producer, n) =>
      encodeMailboxMessage({
        target: Address.fromTypeNameId("test.eddy/counter", key),
        caller: null,
        argument: { typename: "test.eddy/text", hasValue: true, value: UTF8.encode(`aborted-${producer}-${n}`) },
      }));
    await Promise.all(producers.map((producer) => producer.disconnect()));
    await produce(input, [{ key, value: "committed-2" }]);
    running = await startApp(spec, counterFunctions(output));
    try {
      await readBack(output, 2, 30_000);
    } finally {
      await stopApp(running);
    }
    deepEqual(valuesByKey(await readAll(output)).get(key), ["1:committed-1", "2:committed-2"]);
  } finally {
    await Promise.all(producers.map((producer) => producer.disconnect()));
    await cleanUp(app, input, output);
  }
});
