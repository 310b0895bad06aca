/**
 * The runtime's processing rules that need no broker, on the test kit (the same Task code as `eddy run`, an in-memory
 * log, a virtual clock): retries with their later success counted once, a task stopping at an unroutable record while
 * the others go on, an unknown egress id stopping the task at the message.
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { kafkaEgressMessage, StateFun } from "../../mod.ts";
import { partitionOfKey } from "../../src/runtime/partitioner.ts";
import { createTestApp } from "../../src/testing/mod.ts";
import { counterFunctions, OUT, TEXT } from "./fixtures/functions.ts";
import { testModule } from "./harness.ts";

const UTF8 = new TextEncoder();
const IN = "test.eddy/in";
const module = (delivery: "exactly-once" | "none" = "exactly-once") =>
  testModule({
    group: "kit",
    topics: [{ topic: "in", targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery }],
  });

Deno.test("a throwing function is retried and its later success counts once", async () => {
  const attempts = new Map<string, number>();
  const functions = new StateFun();
  functions.bind({
    typename: "test.eddy/counter",
    specs: [{ name: "n", type: StateFun.intType() }],
    fn(context, message) {
      const value = message.as(TEXT)!;
      const attempt = (attempts.get(value) ?? 0) + 1;
      attempts.set(value, attempt);
      context.storage.n = (context.storage.n ?? 0) + 1;
      if (value === "flaky" && attempt < 3) throw new Error(`attempt ${attempt} fails`);
      context.send(
        kafkaEgressMessage({ typename: OUT, topic: "out", key: "k", value: `${context.storage.n}:${value}` }),
      );
    },
  });
  const app = await createTestApp({ module: module(), functions });
  app.send(IN, { key: "k", value: "first" }, { key: "k", value: "flaky" }, { key: "k", value: "last" });
  await app.run();
  deepEqual(app.egress(OUT).map((record) => record.value), ["1:first", "2:flaky", "3:last"]);
  equal(attempts.get("flaky"), 3);
  await app.close();
});

Deno.test("an unroutable record stops its task at that record; other tasks go on", async () => {
  const app = await createTestApp({ module: module(), functions: counterFunctions("out"), tasks: 2 });
  const keysOf = (task: number) =>
    Array.from({ length: 100 }, (_, i) => `k${i}`).filter((key) => partitionOfKey(UTF8.encode(key), 2) === task);
  const [zero, one] = [keysOf(0), keysOf(1)];
  app.send(
    IN,
    { key: zero[0], value: "before", partition: 0 },
    { key: null, value: "no key", partition: 0 },
    { key: zero[1], value: "after", partition: 0 },
    { key: one[0], value: "other task", partition: 1 },
    { key: one[1], value: "other task", partition: 1 },
  );
  await app.run();
  const [failure] = app.failures();
  equal(failure.task, 0);
  deepEqual(failure.origin, { topic: "in", partition: 0, offset: 1 });
  match(failure.reason, /cannot route the record at in\/0@1: null key/);
  const [task0, task1] = app.tasks();
  equal(task0.committedOffsets["in/0"], 1, "committed up to the record it stopped at");
  equal(task1.status, "running");
  deepEqual(app.egress(OUT).map((record) => record.value).sort(), ["1:before", "1:other task", "1:other task"]);
  await app.close();
});

Deno.test("an egress id the module does not define fails the invocation, and the task stops there", async () => {
  const app = await createTestApp({ module: module("none"), functions: counterFunctions("out", "test.eddy/missing") });
  app.send(IN, { key: "k", value: "x" });
  await app.run();
  const [failure] = app.failures();
  match(failure.reason, /no egress with id test.eddy\/missing: the module defines test.eddy\/out/);
  equal(failure.address, "test.eddy/counter/k");
  await app.close();
});
