/**
 * Topics that go away under a running app, and a transaction timeout the broker refuses (issue #26): the instance
 * stops (exit code 1) with an error that names the topic or the limit — no endless retries of a commit that cannot
 * succeed, no empty changelog created in place of one that held the state — and once the topic is back, a restart
 * loses and duplicates nothing.
 */

import { deepEqual, equal, match, rejects } from "node:assert/strict";
import { parseModuleSpec } from "../../src/spec/load.ts";
import { serve } from "../../src/serve/serve.ts";
import type { RunningApp } from "../../src/serve/serve.ts";
import { createTopic, deleteTopics, kafkaTest, produce, readBack, uniqueName, withAdmin } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import {
  allTasksRunning,
  cleanUp,
  moduleYaml,
  readAll,
  startApp,
  stopApp,
  testLogger,
  type TestModule,
  valuesByKey,
} from "./harness.ts";

async function setUp(): Promise<{ input: string; output: string; group: string; module: TestModule }> {
  const input = await createTopic("in", { partitions: 2 });
  const output = await createTopic("out", { partitions: 2 });
  const group = uniqueName("app");
  return {
    input,
    output,
    group,
    module: {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    },
  };
}

/** Waits (30 s at most) for the app to stop by itself; returns the error it stopped with and its exit code. */
async function stoppedWith(app: RunningApp): Promise<{ message: string; code: number }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const error = await Promise.race([
    app.runtime.failed,
    new Promise<Error>((resolve) =>
      timer = setTimeout(() => resolve(new Error("the app did not stop in 30 s")), 30_000)
    ),
  ]);
  clearTimeout(timer);
  if (error.message === "the app did not stop in 30 s") await app.stop();
  const code = await app.finished;
  return { message: error.message, code };
}

/** Runs the app, writes a first round, deletes `victim` and writes a second: the app stops with a named error. */
async function deleteUnder(victim: (names: { output: string; group: string }) => string) {
  const names = await setUp();
  const app = await startApp(names.module, counterFunctions(names.output));
  await allTasksRunning(app, 2);
  await produce(names.input, [{ key: "a", value: "1" }, { key: "b", value: "1" }]);
  await readBack(names.output, 2);
  await deleteTopics(victim(names));
  await produce(names.input, [{ key: "a", value: "2" }, { key: "b", value: "2" }, { key: "c", value: "2" }]);
  return { ...names, app, stopped: await stoppedWith(app) };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

kafkaTest(
  "a deleted egress topic stops the app with an error naming it; once it is created again, a restart goes on " +
    "with nothing lost or repeated",
  async () => {
    const { input, output, group, module, stopped } = await deleteUnder(({ output }) => output);
    match(stopped.message, new RegExp(`the topic ${escape(output)} does not exist \\(deleted while the app ran\\?\\)`));
    equal(stopped.code, 1);
    await withAdmin((admin) =>
      admin.createTopics({ topics: [{ topic: output, numPartitions: 2 }], waitForLeaders: true })
    );
    const again = await startApp(module, counterFunctions(output));
    try {
      await readBack(output, 3);
    } finally {
      await stopApp(again);
    }
    deepEqual(
      valuesByKey(await readAll(output)),
      new Map([["a", ["2:2"]], ["b", ["2:2"]], ["c", ["1:2"]]]),
      "the second round once each, on the counts of the first",
    );
    await cleanUp(group, input, output);
  },
);

kafkaTest(
  "a deleted changelog stops the app with an error naming it, and a restart refuses to create it empty",
  async () => {
    const { input, output, group, module, stopped } = await deleteUnder(({ group }) => `${group}-changelog`);
    match(stopped.message, new RegExp(`the changelog ${escape(group)}-changelog does not exist`));
    equal(stopped.code, 1);
    await rejects(
      startApp(module, counterFunctions(output)),
      new RegExp(
        `refusing to start: the changelog ${escape(group)}-changelog does not exist, but ${escape(group)}-mailbox`,
      ),
    );
    await cleanUp(group, input, output);
  },
);

kafkaTest("a deleted mailbox stops the app with an error naming it", async () => {
  const { input, output, group, stopped } = await deleteUnder(({ group }) => `${group}-mailbox`);
  match(stopped.message, new RegExp(`${escape(group)}-mailbox`));
  match(stopped.message, /no longer exists|does not exist/);
  equal(stopped.code, 1);
  await cleanUp(group, input, output);
});

kafkaTest("a changelog deleted and created again under the running app stops it, naming the changelog", async () => {
  const { input, output, group, module } = await setUp();
  const app = await startApp(module, counterFunctions(output));
  await allTasksRunning(app, 2);
  const keys = Array.from({ length: 20 }, (_, k) => `key-${k}`);
  await produce(input, keys.map((key) => ({ key, value: "1" })));
  await readBack(output, keys.length);
  const changelog = `${group}-changelog`;
  await deleteTopics(changelog);
  await withAdmin((admin) =>
    admin.createTopics({
      topics: [{ topic: changelog, numPartitions: 2, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
      waitForLeaders: true,
    })
  );
  await produce(input, keys.map((key) => ({ key, value: "2" })));
  const stopped = await stoppedWith(app);
  match(
    stopped.message,
    new RegExp(`the changelog ${escape(changelog)} (was recreated while the app ran|does not exist)`),
  );
  equal(stopped.code, 1);
  await cleanUp(group, input, output);
});

kafkaTest(
  "a transaction timeout above the broker's transaction.max.timeout.ms stops the app at its start, naming both",
  async () => {
    const { input, output, group, module } = await setUp();
    const yaml = moduleYaml(module).replace("transactionTimeout: 1min", "transactionTimeout: 20min");
    const app = await serve({
      module: parseModuleSpec(yaml, "timeout.yaml"),
      functions: counterFunctions(output),
      handleSignals: false,
      controlAddr: "none",
      logger: testLogger(),
      transactionTimeoutMs: 20 * 60_000,
    });
    const stopped = await stoppedWith(app);
    match(stopped.message, /the broker refused the transaction timeout of .*-task-\d, 1200000 ms/);
    match(stopped.message, /its transaction\.max\.timeout\.ms is 900000 ms/);
    equal(stopped.code, 1);
    await cleanUp(group, input, output);
  },
);

kafkaTest(
  "a mailbox without any sign of a run (instances starting together, one has created it) is no reason to refuse",
  async () => {
    const { input, output, group, module } = await setUp();
    // As another instance starting at the same moment leaves it: the mailbox created, the changelog not yet.
    await withAdmin((admin) =>
      admin.createTopics({ topics: [{ topic: `${group}-mailbox`, numPartitions: 2 }], waitForLeaders: true })
    );
    const app = await startApp(module, counterFunctions(output));
    try {
      await allTasksRunning(app, 2);
      await produce(input, [{ key: "a", value: "1" }]);
      await readBack(output, 1);
    } finally {
      await stopApp(app);
    }
    await cleanUp(group, input, output);
  },
);
