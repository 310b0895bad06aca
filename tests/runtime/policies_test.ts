/**
 * Policies for what a task cannot process: unroutable records skipped or
 * dead-lettered, and messages whose function failed every retry dead-lettered
 * (in the task's transaction), with the input's headers and headers naming the reason and the origin.
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { kafkaEgressMessage, StateFun } from "../../mod.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName, waitFor } from "../kafka/helpers.ts";
import { counterFunctions, OUT, TEXT } from "./fixtures/functions.ts";
import { cleanUp, moduleYaml, startApp, stopApp, testLogger } from "./harness.ts";
import { serve } from "../../src/serve/serve.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";

kafkaTest("unroutable records: skip counts and goes on; dead-letter writes them with their origin", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const dlq = await createTopic("dlq");
  const module = {
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" as const }],
  };
  await produce(input, [
    { key: "a", value: "1" },
    { key: null, value: "no key", headers: { "x-trace": "abc", "eddy.reason": "spoofed" } },
    { key: "a", value: "2" },
  ]);
  const skipGroup = uniqueName("app");
  const skipping = await startApp({ group: skipGroup, ...module }, counterFunctions(output), {
    unroutableRecords: { type: "skip" },
  });
  try {
    deepEqual((await readBack(output, 2)).map((record) => record.value), ["1:1", "2:2"]);
    await waitFor("the skip counted", () => skipping.runtime.task(0)?.report().skipped === 1);
    equal(skipping.runtime.task(0)?.status, "running");
  } finally {
    await stopApp(skipping);
  }
  const dlqGroup = uniqueName("app");
  const dead = await startApp({ group: dlqGroup, ...module }, counterFunctions(output), {
    unroutableRecords: { type: "dead-letter", topic: dlq },
  });
  try {
    const [record] = await readBack(dlq, 1);
    equal(record.value, "no key");
    equal(record.key, null);
    deepEqual(
      [
        record.headers!["eddy.origin.topic"],
        record.headers!["eddy.origin.partition"],
        record.headers!["eddy.origin.offset"],
      ],
      [input, "0", "1"],
    );
    match(record.headers!["eddy.reason"], /null key/, "Eddy's header wins over the record's own of that name");
    equal(record.headers!["x-trace"], "abc", "the record's own headers are kept");
    await waitFor("the dead letter counted", () => dead.runtime.task(0)?.report().deadLettered === 1);
  } finally {
    await stopApp(dead);
  }
  await cleanUp(skipGroup, input, output, dlq);
  await cleanUp(dlqGroup);
});

kafkaTest("a message whose function fails every retry is dead-lettered and the task goes on", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const dlq = await createTopic("dlq");
  const group = uniqueName("app");
  const functions = new StateFun();
  functions.bind({
    typename: "test.eddy/picky",
    fn(context, message) {
      const value = message.as(TEXT)!;
      if (value === "bad") throw new Error("cannot take bad");
      context.send(kafkaEgressMessage({ typename: OUT, topic: output, key: context.self.id, value }));
    },
  });
  const app = await startApp(
    {
      group,
      topics: [{ topic: input, targets: ["test.eddy/picky"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    },
    functions,
    { failedMessages: { type: "dead-letter", topic: dlq }, limits: { retryBackoffMs: 10 } },
  );
  try {
    await produce(input, [
      { key: "k", value: "good" },
      { key: "k", value: "bad", headers: { "x-trace": "t-bad" } },
      { key: "k", value: "after" },
    ]);
    deepEqual((await readBack(output, 2)).map((record) => record.value), ["good", "after"]);
    const [record] = await readBack(dlq, 1);
    equal(record.key, "k");
    equal(record.value, "bad");
    equal(record.headers!["eddy.address"], "test.eddy/picky/k");
    equal(record.headers!["eddy.typename"], "test.eddy/text");
    match(record.headers!["eddy.reason"], /test.eddy\/picky failed 5 times: cannot take bad/);
    equal(record.headers!["eddy.origin.offset"], "1");
    equal(record.headers!["x-trace"], "t-bad", "the input record's headers are kept");
    equal(app.runtime.task(0)?.status, "running");
  } finally {
    await stopApp(app);
  }
  await cleanUp(group, input, output, dlq);
});

kafkaTest("unroutable-record policies per ingress: one ingress skips, another stops its task", async () => {
  const a = await createTopic("a");
  const b = await createTopic("b", { partitions: 2 });
  const output = await createTopic("out");
  const group = uniqueName("app");
  const first = moduleYaml({
    group,
    topics: [{ topic: a, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
  });
  const second = moduleYaml({ group, topics: [{ topic: b, targets: ["test.eddy/counter"] }] })
    .replace("id: test.eddy/in", "id: test.eddy/strict");
  const app = await serve({
    module: parseModuleSpec(`${first}---\n${second}`, "two.yaml"),
    functions: counterFunctions(output),
    handleSignals: false,
    controlAddr: "none",
    logger: testLogger(),
    unroutableRecords: { type: "stop" },
    unroutableRecordsByIngress: { "test.eddy/in": { type: "skip" } },
  });
  try {
    await produce(a, [{ key: null, value: "x", partition: 0 }]);
    await produce(b, [{ key: null, value: "y", partition: 1 }]);
    await waitFor("task 1 to stop", () => app.runtime.task(1)?.status === "failed");
    await waitFor("task 0 to skip", () => app.runtime.task(0)?.report().skipped === 1);
    equal(app.runtime.task(0)?.status, "running");
    match(app.runtime.task(1)!.report().failure!.reason, /null key/);
  } finally {
    await app.stop();
  }
  await cleanUp(group, a, b, output);
});
