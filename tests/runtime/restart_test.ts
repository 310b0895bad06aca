/**
 * What survives a restart: startup positions apply on the first start only,
 * state continues after a graceful stop, a SIGKILL in the middle of a stream
 * loses and duplicates nothing under exactly-once, and delayed messages fire after
 * a restart (cancelled ones never). State expiry, which needs no broker, is tested with the test kit
 * (src/testing/test_app_test.ts) and in src/state/task_state_test.ts.
 */

import { deepEqual, equal } from "node:assert/strict";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../../mod.ts";
import {
  createTopic,
  kafkaTest,
  produce,
  readBack,
  type TestRecord,
  uniqueName,
  waitFor,
  withAdmin,
} from "../kafka/helpers.ts";
import { counterFunctions, OUT, TEXT } from "./fixtures/functions.ts";
import {
  allTasksRunning,
  cleanUp,
  moduleYaml,
  produceStream,
  readAll,
  spawnCounterApp,
  startApp,
  stopApp,
  type TestModule,
  valuesByKey,
} from "./harness.ts";

kafkaTest("startup positions apply on the first start only; committed offsets win after a restart", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const apps: string[] = [];
  const run = async (startupPosition: string, reset: "earliest" | "latest", group = uniqueName("app")) => {
    apps.push(group);
    const module: TestModule = {
      group,
      startupPosition,
      autoOffsetResetPosition: reset,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    };
    const out = uniqueName("out-key");
    const app = await startApp(module, counterFunctions(output));
    await allTasksRunning(app);
    return { app, group, module, out };
  };
  const outputsOf = async (key: string) => valuesByKey(await readAll(output)).get(key) ?? [];
  await produce(input, [0, 1, 2].map((i) => ({ key: "k", value: `r${i}` })));

  // latest: the three records before the start are skipped; r3 is read, and its output proves the task runs.
  const latest = await run("type: latest", "earliest");
  await produce(input, [{ key: "k", value: "r3" }]);
  await readBack(output, 1);
  await stopApp(latest.app);
  await produce(input, [{ key: "k", value: "r4" }]);
  // The restart reads from the committed offset (not latest again), and the state continues.
  const again = await startApp(latest.module, counterFunctions(output));
  await readBack(output, 2);
  await stopApp(again);
  deepEqual(await outputsOf("k"), ["1:r3", "2:r4"]);

  // Other apps on the same topic: each position, then the fallback where a position does not apply.
  const expectations: [string, "earliest" | "latest", string[]][] = [
    ["type: specific-offsets\noffsets:\n  - " + `${input}/0: 2`, "latest", ["r2", "r3", "r4"]],
    ["type: specific-offsets\noffsets:\n  - " + `${input}/0: 99`, "earliest", ["r0", "r1", "r2", "r3", "r4"]],
    ["type: group-offsets", "earliest", ["r0", "r1", "r2", "r3", "r4"]],
    ["type: date\ndate: 2000-01-01 00:00:00.000 +0000", "latest", ["r0", "r1", "r2", "r3", "r4"]],
    ["type: date\ndate: 2999-01-01 00:00:00.000 +0000", "earliest", ["r0", "r1", "r2", "r3", "r4"]],
  ];
  for (const [position, reset, expected] of expectations) {
    const before = (await readAll(output)).length;
    const { app } = await run(position, reset);
    await readBack(output, before + expected.length);
    await stopApp(app);
    const produced = (await readAll(output)).slice(before).map((record) => record.value!.split(":")[1]);
    deepEqual(produced.sort(), expected, position);
  }
  // A date after every record, falling back to latest: nothing until a new record.
  const late = await run("type: date\ndate: 2999-01-01 00:00:00.000 +0000", "latest");
  const before = (await readAll(output)).length;
  await produce(input, [{ key: "late", value: "r5" }]);
  await readBack(output, before + 1);
  await stopApp(late.app);
  deepEqual(await outputsOf("late"), ["1:r5"]);
  for (const group of apps) await cleanUp(group);
  await cleanUp(uniqueName("none"), input, output);
});

kafkaTest("a SIGKILL in the middle of a stream loses and duplicates nothing under exactly-once", async () => {
  const input = await createTopic("in", { partitions: 2 });
  const output = await createTopic("out", { partitions: 2 });
  const group = uniqueName("app");
  const module: TestModule = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
  };
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(file, moduleYaml(module));
  const keys = Array.from({ length: 20 }, (_, k) => `key-${k}`);
  const records: TestRecord[] = [];
  for (let i = 0; i < 150; i++) for (const key of keys) records.push({ key, value: String(i) });
  // A stream, not a backlog: rounds of 100 records keep arriving while the child runs and after it dies.
  const producing = produceStream(input, records);

  const child = spawnCounterApp(file, output, "--commit-interval", "50ms");
  try {
    await waitFor("the child's first committed outputs", async () => {
      const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(output));
      return offsets.some(({ high }) => Number(high) > 0);
    }, 60_000);
  } finally {
    child.kill("SIGKILL");
    await child.output(); // its log, unread: the outputs are what this test checks
  }
  // The kill must have come mid-stream, or this test shows nothing.
  const beforeRestart = (await readAll(output)).length;
  console.log(`outputs committed before the SIGKILL: ${beforeRestart} of ${records.length}`);
  equal(beforeRestart < records.length, true, `the child finished all ${records.length} records before the kill`);
  const app = await startApp(module, counterFunctions(output));
  try {
    await producing;
    await readBack(output, records.length, 90_000);
  } finally {
    await stopApp(app);
  }
  const byKey = valuesByKey(await readAll(output));
  const expected = Array.from({ length: 150 }, (_, i) => `${i + 1}:${i}`);
  for (const key of keys) deepEqual(byKey.get(key), expected, key);
  equal([...byKey.values()].flat().length, records.length);
  await Deno.remove(file);
  await cleanUp(group, input, output);
});

kafkaTest("delayed messages fire after a restart; cancelled ones never", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const group = uniqueName("app");
  const functions = new StateFun();
  functions.bind({
    typename: "test.eddy/timer",
    fn(context, message) {
      const [command, token, delay] = message.as(TEXT)!.split(" ");
      const self = { typename: "test.eddy/timer", id: context.self.id, valueType: TEXT };
      if (command === "schedule") {
        context.sendAfter(Number(delay), messageBuilder({ ...self, value: `fire ${token}` }), token);
      } else if (command === "cancel") {
        context.cancelDelayedMessage(token);
      } else {
        context.send(
          kafkaEgressMessage({ typename: OUT, topic: output, key: context.self.id, value: `fired ${token}` }),
        );
      }
    },
  });
  const module: TestModule = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/timer"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
  };
  const first = await startApp(module, functions);
  await produce(
    input,
    ["schedule t1 4000", "schedule t2 4000", "cancel t2", "schedule t3 0"].map((value) => ({ key: "k", value })),
  );
  try {
    deepEqual((await readBack(output, 1)).map((record) => record.value), ["fired t3"]);
  } finally {
    await stopApp(first);
  }
  const second = await startApp(module, functions);
  try {
    await readBack(output, 2, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
  } finally {
    await stopApp(second);
  }
  deepEqual((await readAll(output)).map((record) => record.value), ["fired t3", "fired t1"]);
  await cleanUp(group, input, output);
});

kafkaTest("at-least-once processing commits offsets too: a graceful restart goes on where it stopped", async () => {
  const input = await createTopic("in", { partitions: 2 });
  const output = await createTopic("out");
  const group = uniqueName("app");
  const module: TestModule = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "at-least-once" }],
  };
  await produce(input, [{ key: "k", value: "a" }, { key: "k", value: "b" }]);
  const first = await startApp(module, counterFunctions(output), { guarantee: "at-least-once" });
  try {
    await readBack(output, 2);
  } finally {
    await stopApp(first);
  }
  await produce(input, [{ key: "k", value: "c" }]);
  const second = await startApp(module, counterFunctions(output), { guarantee: "at-least-once" });
  try {
    await readBack(output, 3);
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    await stopApp(second);
  }
  deepEqual(valuesByKey(await readAll(output)).get("k"), ["1:a", "2:b", "3:c"]);
  await cleanUp(group, input, output);
});
