/**
 * The runtime on the real broker: per-address order under concurrency,
 * fan-out, messages between functions within and across tasks, records in
 * the "wrong" partition, egresses of every delivery semantic, large backlogs,
 * back-pressure and shutdowns. Retries and tasks stopping at what they cannot
 * process run on the test kit (processing_kit_test.ts): no broker needed.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { Address, kafkaEgressMessage, StateFun } from "../../mod.ts";
import { toTypedValue } from "../../src/sdk/typed_value.ts";
import { partitionOfKey } from "../../src/runtime/partitioner.ts";
import { createTopic, kafkaTest, produce, readBack, type TestRecord, uniqueName, waitFor } from "../kafka/helpers.ts";
import { counterFunctions, OUT, TEXT } from "./fixtures/functions.ts";
import { cleanUp, readAll, startApp, stopApp, valuesByKey } from "./harness.ts";

const UTF8 = new TextEncoder();

kafkaTest("50 keys × 200 records: every key's outputs are 1..200 in order, exactly once", async () => {
  const input = await createTopic("in", { partitions: 4 });
  const output = await createTopic("out", { partitions: 2 });
  const group = uniqueName("app");
  const keys = Array.from({ length: 50 }, (_, k) => `key-${k}`);
  const records: TestRecord[] = [];
  for (let i = 0; i < 200; i++) for (const key of keys) records.push({ key, value: String(i) });
  await produce(input, records);
  const app = await startApp(
    {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    },
    counterFunctions(output),
  );
  try {
    await readBack(output, records.length, 60_000);
  } finally {
    await stopApp(app);
  }
  const byKey = valuesByKey(await readAll(output));
  equal(byKey.size, keys.length);
  const expected = Array.from({ length: 200 }, (_, i) => `${i + 1}:${i}`);
  for (const key of keys) deepEqual(byKey.get(key), expected, key);
  await cleanUp(group, input, output);
});

kafkaTest("fan-out, function-to-function messages within and across tasks, misrouted records forwarded", async () => {
  const input = await createTopic("in", { partitions: 3 });
  const output = await createTopic("out");
  const group = uniqueName("app");
  const ids = ["a", "b", "c", "d", "e", "f"];
  // Half the records go to a partition their key does not hash to (a non-default partitioner).
  const records = ids.map((id, i) => ({
    key: id,
    value: "hi",
    partition: i % 2 === 0 ? partitionOfKey(UTF8.encode(id), 3) : (partitionOfKey(UTF8.encode(id), 3) + 1) % 3,
  }));
  await produce(input, records);
  const app = await startApp(
    {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter", "test.eddy/relay"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    },
    counterFunctions(output),
  );
  try {
    await readBack(output, ids.length * 3, 30_000);
  } finally {
    await stopApp(app);
  }
  const byKey = valuesByKey(await readAll(output));
  for (const id of ids) {
    // The ingress record and the relayed message, in either order; x-<id> got one relayed message.
    deepEqual(byKey.get(id)?.map((value) => value.split(":")[1]).sort(), ["hi", "relayed hi"], id);
    deepEqual(byKey.get(id)?.map((value) => value.split(":")[0]), ["1", "2"], id);
    deepEqual(byKey.get(`x-${id}`), ["1:relayed hi"], `x-${id}`);
  }
  equal(byKey.size, ids.length * 2);
  await cleanUp(group, input, output);
});

kafkaTest("egresses of every delivery semantic in one module, under both processing guarantees", async () => {
  for (const guarantee of ["exactly-once", "at-least-once"] as const) {
    const input = await createTopic("in");
    const outputs = {
      "exactly-once": await createTopic("eo"),
      "at-least-once": await createTopic("alo"),
      none: await createTopic("none"),
    };
    const group = uniqueName("app");
    const functions = new StateFun();
    functions.bind({
      typename: "test.eddy/all",
      fn(context, message) {
        for (const [semantic, topic] of Object.entries(outputs)) {
          context.send(
            kafkaEgressMessage({ typename: `test.eddy/${semantic}`, topic, key: "k", value: message.as(TEXT)! }),
          );
        }
      },
    });
    const app = await startApp(
      {
        group,
        topics: [{ topic: input, targets: ["test.eddy/all"] }],
        egresses: (Object.keys(outputs) as (keyof typeof outputs)[]).map((delivery) => ({
          id: `test.eddy/${delivery}`,
          delivery,
        })),
      },
      functions,
      { guarantee },
    );
    try {
      await produce(input, [{ key: "k", value: "1" }, { key: "k", value: "2" }]);
      for (const topic of Object.values(outputs)) {
        deepEqual((await readBack(topic, 2)).map((record) => record.value), ["1", "2"], `${guarantee} ${topic}`);
      }
    } finally {
      await stopApp(app);
    }
    ok(app.runtime.status().state === "stopped");
    await cleanUp(group, input, ...Object.values(outputs));
  }
});

kafkaTest("a backlog larger than a fetch (4 MiB in one partition) is processed to its end", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const group = uniqueName("app");
  const padding = "x".repeat(1000);
  const records = Array.from({ length: 4000 }, (_, i) => ({ key: `k${i % 10}`, value: `${i} ${padding}` }));
  for (let start = 0; start < records.length; start += 500) await produce(input, records.slice(start, start + 500));
  const app = await startApp(
    {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    },
    counterFunctions(output),
  );
  try {
    await readBack(output, records.length, 60_000);
  } finally {
    await stopApp(app);
  }
  const byKey = valuesByKey(await readAll(output));
  for (let k = 0; k < 10; k++) equal(byKey.get(`k${k}`)?.length, 400);
  await cleanUp(group, input, output);
});

kafkaTest(
  "a module without egress keeps state; a small queue bound pauses the ingress and still gets everything",
  async () => {
    const input = await createTopic("in");
    const group = uniqueName("app");
    const functions = new StateFun();
    functions.bind({
      typename: "test.eddy/sum",
      specs: [{ name: "sum", type: StateFun.intType() }],
      async fn(context, message) {
        await new Promise((resolve) => setTimeout(resolve, 1)); // slower than the records arrive
        context.storage.sum = (context.storage.sum ?? 0) + Number(message.as(TEXT));
      },
    });
    await produce(input, Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 3}`, value: String(i) })));
    const app = await startApp({ group, topics: [{ topic: input, targets: ["test.eddy/sum"] }] }, functions, {
      limits: { maxQueued: 20, maxInFlight: 2 },
    });
    const sum = (id: string) =>
      app.runtime.task(0)?.state.peek(
        Address.fromParts("test.eddy", "sum", id),
        functions.functionSpec("test.eddy/sum")!.valueSpecs,
      )
        .get("sum");
    try {
      await waitFor("every record summed", () => app.runtime.task(0)?.report().invocations === 300);
      equal(app.runtime.task(0)!.report().ingressPauses > 0, true, "the ingress was paused");
      for (let k = 0; k < 3; k++) {
        const expected = Array.from({ length: 100 }, (_, i) => 3 * i + k).reduce((a, b) => a + b);
        deepEqual(sum(`k${k}`), toTypedValue(expected, StateFun.intType()), `k${k}`);
      }
    } finally {
      await stopApp(app);
    }
    await cleanUp(group, input);
  },
);

kafkaTest("a shutdown that times out says what it abandoned, and a restart processes it", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const group = uniqueName("app");
  let slow = true;
  const functions = new StateFun();
  functions.bind({
    typename: "test.eddy/slow",
    async fn(context, message) {
      if (slow) await new Promise((resolve) => setTimeout(resolve, 3_000));
      context.send(kafkaEgressMessage({ typename: OUT, topic: output, key: "k", value: message.as(TEXT)! }));
    },
  });
  const module = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/slow"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" as const }],
  };
  const app = await startApp(module, functions);
  await produce(input, [{ key: "k", value: "late" }]);
  await waitFor("the invocation to start", () => app.runtime.task(0)?.report().inFlight === 1);
  const report = await app.runtime.stop(500);
  equal(report.clean, false);
  match(report.abandoned.join(), /task 0: 1 queued messages, 1 running invocations, 1 uncommitted epochs/);
  await new Promise((resolve) => setTimeout(resolve, 3_000)); // let the abandoned invocation end
  slow = false;
  const again = await startApp(module, functions);
  try {
    deepEqual((await readBack(output, 1)).map((record) => record.value), ["late"]);
  } finally {
    await stopApp(again);
  }
  await cleanUp(group, input, output);
});
