/**
 * Several instances as one app, seen from any of them: each member's subscription says who it is and where its
 * control API answers, so every instance's status shows the whole group; a state read for an address another member
 * owns is answered through it; pause and resume apply to every member and report per instance; and an instance whose
 * module version cannot roll from the running one is refused at start, naming the difference, while the others go on. A rolling restart (each
 * instance stopped gracefully and started again while records arrive) loses and duplicates nothing.
 */

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { RuntimeError } from "../../src/runtime/errors.ts";
import { serve } from "../../src/serve/serve.ts";
import { taskOfId } from "../../src/runtime/routing.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName, waitFor } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import { cleanUp, readAll, testLogger, type TestModule, testModule, valuesByKey } from "./harness.ts";

function start(module: TestModule, output: string) {
  return serve({
    module: testModule(module),
    functions: counterFunctions(output),
    handleSignals: false,
    controlAddr: "127.0.0.1:0",
    logger: testLogger(),
    sessionTimeoutMs: 6_000,
  });
}

kafkaTest(
  "any instance shows the group, answers for another's state, pauses the app; another module is refused",
  async () => {
    const input = await createTopic("in", { partitions: 4 });
    const output = await createTopic("out");
    const group = uniqueName("group");
    const module: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    };
    const a = await start(module, output);
    const b = await start(module, output);
    try {
      const status = async (url: string) => await (await fetch(`${url}/v1/status`)).json();
      await waitFor("both members to own tasks", async () => {
        const view = await status(a.controlUrl!);
        return view.group.length === 2 && view.group.every((member: { tasks: number[] }) => member.tasks.length > 0);
      }, 60_000);
      const view = await status(b.controlUrl!);
      deepEqual(view.group.flatMap((member: { tasks: number[] }) => member.tasks).sort(), [0, 1, 2, 3]);
      deepEqual(
        view.group.map((member: { controlUrl: string }) => member.controlUrl).sort(),
        [a.controlUrl, b.controlUrl].sort(),
      );
      equal(view.group.filter((member: { self: boolean }) => member.self).length, 1);

      const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
      await produce(input, keys.flatMap((key) => [{ key, value: "x" }, { key, value: "y" }]));
      await readBack(output, 40, 60_000);
      // A key of a task that b owns, read through a.
      const bTasks = new Set(b.runtime.status().tasks.map((task) => task.task));
      const key = keys.find((k) => bTasks.has(taskOfId(k, 4)))!;
      const answer = await fetch(`${a.controlUrl}/v1/functions/test.eddy/counter/state?id=${key}`);
      equal(answer.status, 200);
      equal(answer.headers.get("x-eddy-answered-by"), b.runtime.instanceId);
      deepEqual((await answer.json()).values, { n: { typename: "io.statefun.types/int", value: 2 } });

      const paused = await (await fetch(`${a.controlUrl}/v1/ingresses/test.eddy/in/pause`, { method: "POST" })).json();
      deepEqual(paused.instances.map((r: { ok: boolean }) => r.ok), [true, true]);
      equal(b.runtime.ingresses()[0].state, "paused", "the other member paused too");
      const resumed = await (await fetch(`${b.controlUrl}/v1/ingresses/test.eddy/in/resume`, { method: "POST" }))
        .json();
      deepEqual(
        resumed.instances.map((r: { instance: string }) => r.instance).sort(),
        [a.runtime.instanceId, b.runtime.instanceId].sort(),
      );
      equal(a.runtime.ingresses()[0].state, "running");

      // An instance without the egress cannot roll from the running version: refused at start, naming why.
      await rejects(() => start({ ...module, egresses: [] }, output), (error: Error) => {
        ok(error instanceof RuntimeError);
        match(
          error.message,
          /refusing to start: .* cannot roll from it:\n {2}\[full-stop\] egress test\.eddy\/out removed/,
        );
        return true;
      });
      await produce(input, [{ key: "after", value: "z" }]);
      await readBack(output, 41, 60_000);
      ok(a.runtime.status().tasks.length + b.runtime.status().tasks.length === 4);
    } finally {
      await a.stop();
      await b.stop();
    }
    await cleanUp(group, input, output);
  },
);

kafkaTest("a rolling restart of two instances with the same module loses and duplicates nothing", async () => {
  const input = await createTopic("in", { partitions: 4 });
  const output = await createTopic("out", { partitions: 4 });
  const group = uniqueName("rolling");
  const module: TestModule = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
  };
  const keys = Array.from({ length: 20 }, (_, k) => `key-${k}`);
  const rounds = 60;
  // A stream of rounds (one record per key each) while the instances restart one after the other.
  let produced = 0;
  const producing = (async () => {
    for (let round = 0; round < rounds; round++, produced++) {
      await produce(input, keys.map((key) => ({ key, value: String(round) })));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  let a = await start(module, output);
  let b = await start(module, output);
  try {
    for (const which of ["a", "b"] as const) {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      ok(produced < rounds, `the restart of ${which} comes mid-stream (${produced} of ${rounds} rounds sent)`);
      const old = which === "a" ? a : b;
      const report = await old.stop();
      equal(report.clean, true, `${which} stopped cleanly: ${report.abandoned.join("; ")}`);
      const fresh = await start(module, output);
      if (which === "a") a = fresh;
      else b = fresh;
    }
    await producing;
    await readBack(output, keys.length * rounds, 90_000);
  } finally {
    await a.stop();
    await b.stop();
  }
  const byKey = valuesByKey(await readAll(output));
  const expected = Array.from({ length: rounds }, (_, i) => `${i + 1}:${i}`);
  for (const key of keys) deepEqual(byKey.get(key), expected, key);
  await cleanUp(group, input, output);
});
