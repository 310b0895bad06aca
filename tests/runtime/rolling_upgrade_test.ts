/**
 * Rolling upgrades on the real broker (docs/rolling-upgrades.md): two instances under a steady stream, each restarted
 * in turn with a second version that adds a function type the counter messages, adds an egress and changes an
 * endpoint's timeout. While both versions share the group only the new one owns tasks, so no message for the new type
 * reaches a member that cannot run it: every output comes once and in order, no member stops, and the group view shows
 * both versions during the roll and one after. Going back to the first version would remove the type: an instance of
 * it is refused at start, naming the difference, and the running app goes on. A version that changes only settings
 * rolls forward and back. An instance that would run another task count is refused at start, before any task moves.
 * If every v2 member leaves mid-roll, a v2-only message stops its task on the v1 member, unrun, until a v2 member
 * returns and runs it once.
 */

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { RuntimeError } from "../../src/runtime/errors.ts";
import { type RunningApp, serve } from "../../src/serve/serve.ts";
import type { StateFun } from "../../mod.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName, waitFor, withAdmin } from "../kafka/helpers.ts";
import { AUDIT, counterFunctions, counterFunctionsV2, OUT } from "./fixtures/functions.ts";
import { cleanUp, readAll, testLogger, type TestModule, testModule, valuesByKey } from "./harness.ts";

interface MemberView {
  instance: string;
  tasks: number[];
  moduleVersion: { hash: string; label: string | null } | null;
}
interface StatusView {
  moduleVersion: { hash: string; label: string };
  roll: { inProgress: boolean; versions: { hash: string; label: string | null; members: number }[] };
  group: MemberView[];
}

async function status(app: RunningApp): Promise<StatusView> {
  return await (await fetch(`${app.controlUrl}/v1/status`)).json();
}

/**
 * Starts an instance of a module version with its functions, its control API on a free port; with `stopped`, the
 * instance's reason to stop goes there, labelled, if it stops by itself.
 */
async function startVersion(
  module: TestModule,
  functions: StateFun,
  label: string,
  stopped?: string[],
): Promise<RunningApp> {
  const app = await serve({
    module: testModule(module),
    functions,
    versionLabel: label,
    handleSignals: false,
    controlAddr: "127.0.0.1:0",
    logger: testLogger(),
    sessionTimeoutMs: 6_000,
  });
  if (stopped !== undefined) void app.runtime.failed.then((error) => stopped.push(`${label}: ${error.message}`));
  return app;
}

kafkaTest(
  "a roll to a version with a new function type, egress and timeout loses, duplicates and stops nothing",
  async () => {
    const input = await createTopic("in", { partitions: 4 });
    const output = await createTopic("out", { partitions: 4 });
    const audit = await createTopic("audit", { partitions: 4 });
    const group = uniqueName("roll");
    const endpoint = { functions: "test.remote/*", url: "http://127.0.0.1:1/{function.name}" };
    const v1: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
      endpoints: [{ ...endpoint, callTimeout: "1min" }],
    };
    const v2: TestModule = {
      ...v1,
      egresses: [...v1.egresses!, { id: AUDIT, delivery: "exactly-once" }],
      endpoints: [{ ...endpoint, callTimeout: "30s" }],
    };
    const stopped: string[] = [];
    const first = () => startVersion(v1, counterFunctions(output), "v1", stopped);
    const second = () => startVersion(v2, counterFunctionsV2(output, audit), "v2", stopped);

    const keys = Array.from({ length: 20 }, (_, k) => `key-${k}`);
    const rounds = 80;
    let produced = 0;
    const producing = (async () => {
      for (let round = 0; round < rounds; round++, produced++) {
        await produce(input, keys.map((key) => ({ key, value: String(round) })));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    let a = await first();
    let b = await first();
    try {
      await waitFor(
        "both v1 members to own tasks",
        async () => (await status(a)).group.every((m) => m.tasks.length > 0),
      );
      const v1Hash = (await status(a)).moduleVersion.hash;

      // a restarts with v2: it takes every task over, b (v1) waits without tasks and does not stop.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const report = await a.stop();
      equal(report.clean, true, report.abandoned.join("; "));
      a = await second();
      const v2Hash = a.runtime.version.hash;
      ok(v2Hash !== v1Hash);
      await waitFor("the v2 member to own every task", async () => {
        const view = await status(b);
        return view.group.length === 2 &&
          view.group.find((m) => m.instance === a.runtime.instanceId)?.tasks.length === 4;
      }, 60_000);
      const during = await status(a);
      ok(produced < rounds, `the roll comes mid-stream (${produced} of ${rounds} rounds sent)`);
      equal(during.roll.inProgress, true);
      deepEqual(
        during.roll.versions.map((version) => [version.label, version.members]).sort(),
        [["v1", 1], ["v2", 1]],
      );
      deepEqual(
        during.group.map((m) => [m.moduleVersion?.label, m.moduleVersion?.hash, m.tasks.length]).sort(),
        [["v1", v1Hash, 0], ["v2", v2Hash, 4]],
      );
      equal(b.runtime.status().state, "running", "the v1 member waits, it does not stop");

      // Back to v1 now would remove the tally and the audit egress: refused at start, before joining.
      await rejects(() => first(), (error: Error) => {
        ok(error instanceof RuntimeError);
        match(error.message, /refusing to start: .* runs version v2 \([0-9a-f]{16}\)/);
        match(error.message, /\[full-stop\] function type test\.eddy\/tally removed/);
        match(error.message, /\[full-stop\] egress test\.eddy\/audit removed/);
        return true;
      });

      // b restarts with v2: the tasks spread again, one version in the group.
      equal((await b.stop()).clean, true);
      b = await second();
      await waitFor("both v2 members to own tasks", async () => {
        const view = await status(a);
        return view.group.length === 2 && view.group.every((m) => m.tasks.length > 0);
      }, 60_000);
      const after = await status(b);
      equal(after.roll.inProgress, false);
      deepEqual(after.roll.versions.map((version) => version.label), ["v2"]);

      await producing;
      await readBack(output, keys.length * rounds, 90_000);
    } finally {
      await a.stop();
      await b.stop();
    }
    deepEqual(stopped, [], "no member stopped");
    const counted = valuesByKey(await readAll(output));
    const expected = Array.from({ length: rounds }, (_, i) => `${i + 1}:${i}`);
    for (const key of keys) deepEqual(counted.get(key), expected, key);
    // The tally ran from the first count a v2 member made, each count once and in order, up to the last.
    const tallied = valuesByKey(await readAll(audit));
    for (const key of keys) {
      const values = tallied.get(key) ?? [];
      ok(values.length > 0, `${key} was tallied`);
      const firstCount = Number(values[0].split(":")[1]);
      deepEqual(values, values.map((_, m) => `${m + 1}:${firstCount + m}`), key);
      equal(firstCount + values.length - 1, rounds, `${key}: tallied up to the last count`);
    }
    await cleanUp(group, input, output, audit);
  },
);

kafkaTest(
  "a version that only changes settings rolls forward and back, both versions owning tasks meanwhile",
  async () => {
    const input = await createTopic("in", { partitions: 4 });
    const output = await createTopic("out", { partitions: 4 });
    const group = uniqueName("rollback");
    const endpoint = { functions: "test.remote/*", url: "http://127.0.0.1:1/{function.name}" };
    const v1: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
      endpoints: [{ ...endpoint, callTimeout: "1min" }],
    };
    const v2: TestModule = { ...v1, endpoints: [{ ...endpoint, callTimeout: "30s" }] };
    const stopped: string[] = [];
    const start = (module: TestModule, label: string) => startVersion(module, counterFunctions(output), label, stopped);
    const keys = Array.from({ length: 20 }, (_, k) => `key-${k}`);
    const rounds = 50;
    const producing = (async () => {
      for (let round = 0; round < rounds; round++) {
        await produce(input, keys.map((key) => ({ key, value: String(round) })));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    let a = await start(v1, "v1");
    const b = await start(v1, "v1");
    try {
      for (const [module, label] of [[v2, "v2"], [v1, "v1"]] as const) {
        await waitFor(
          "both members to own tasks",
          async () => (await status(b)).group.every((m) => m.tasks.length > 0),
        );
        equal((await a.stop()).clean, true);
        a = await start(module, label);
        await waitFor(`the ${label} member and the other to share the tasks`, async () => {
          const view = await status(b);
          return view.group.length === 2 && view.group.every((m) => m.tasks.length > 0) &&
            view.group.some((m) => m.instance === a.runtime.instanceId);
        }, 60_000);
        const view = await status(a);
        deepEqual(view.roll.inProgress, label === "v2", `a roll is in progress while a runs ${label}`);
      }
      await producing;
      await readBack(output, keys.length * rounds, 90_000);
    } finally {
      await a.stop();
      await b.stop();
    }
    deepEqual(stopped, [], "no member stopped");
    const counted = valuesByKey(await readAll(output));
    const expected = Array.from({ length: rounds }, (_, i) => `${i + 1}:${i}`);
    for (const key of keys) deepEqual(counted.get(key), expected, key);
    await cleanUp(group, input, output);
  },
);

kafkaTest(
  "an instance that would run another task count is refused at start with the reason; the running app goes on",
  async () => {
    const input = await createTopic("in", { partitions: 4 });
    const output = await createTopic("out");
    const group = uniqueName("tasks");
    const module: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    };
    const start = (label: string) => startVersion(module, counterFunctions(output), label);
    const app = await start("running");
    try {
      await produce(input, [{ key: "a", value: "0" }]);
      await readBack(output, 1, 60_000);
      // Someone gave the internal topics more partitions: an instance starting now would run 8 tasks, not 4.
      await withAdmin((admin) =>
        admin.createPartitions({
          topicPartitions: [`${group}-mailbox`, `${group}-changelog`].map((topic) => ({ topic, count: 8 })),
        })
      );
      await rejects(() => start("eight"), (error: Error) => {
        ok(error instanceof RuntimeError);
        match(error.message, /refusing to start: the app's group .* runs version running \([0-9a-f]{16}\)/);
        match(error.message, /\[reset\] task count 4 → 8: addresses are spread over tasks by murmur2\(id\) mod N/);
        return true;
      });
      const view = await status(app);
      deepEqual(view.group.map((m) => m.tasks), [[0, 1, 2, 3]], "no task moved");
      await produce(input, [{ key: "a", value: "1" }]);
      deepEqual((await readBack(output, 2, 60_000)).map((r) => r.value), ["1:0", "2:1"]);
    } finally {
      await app.stop();
    }
    await cleanUp(group, input, output);
  },
);

kafkaTest(
  "every v2 member leaving mid-roll: a message for a type only v2 binds stops its task on the v1 member, unprocessed, and the next v2 member runs it once",
  async () => {
    const input = await createTopic("in");
    const output = await createTopic("out");
    const audit = await createTopic("audit");
    const group = uniqueName("roll-back");
    const v1: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    };
    const v2: TestModule = { ...v1, egresses: [...v1.egresses!, { id: AUDIT, delivery: "exactly-once" }] };
    // v2's counter messages the tally 4 s later: a delayed message, held in the changelog while v2 leaves.
    const v2Functions = () => counterFunctionsV2(output, audit, 4_000);
    const owner = async (app: RunningApp) => (await status(app)).group.find((m) => m.tasks.includes(0))?.instance;
    const a = await startVersion(v1, counterFunctions(output), "v1");
    let c: RunningApp | undefined;
    try {
      await waitFor("the v1 member to own the task", async () => await owner(a) === a.runtime.instanceId);
      const b = await startVersion(v2, v2Functions(), "v2");
      await waitFor("the v2 member to take the task", async () => await owner(a) === b.runtime.instanceId, 60_000);
      await produce(input, [{ key: "k", value: "x" }]);
      deepEqual((await readBack(output, 1, 60_000)).map((r) => r.value), ["1:x"]);
      equal((await b.stop()).clean, true, "the only v2 member leaves before the tally's message is due");

      await waitFor("the v1 member's task to stop at the tally's message", () => {
        const task = a.runtime.task(0);
        return task?.status === "failed" &&
          /no function is bound for test\.eddy\/tally/.test(task.report().failure!.reason);
      }, 60_000);
      equal(a.runtime.status().state, "running", "only the task stopped; the instance goes on");
      equal((await readAll(audit)).length, 0, "the message was not run, nor dead-lettered");

      c = await startVersion(v2, v2Functions(), "v2 again");
      const [tallied] = await readBack(audit, 1, 60_000);
      deepEqual([tallied.key, tallied.value], ["k", "1:1"], "the next v2 member ran the held message");
      equal(await owner(a), c.runtime.instanceId);
    } finally {
      await c?.stop();
      await a.stop();
    }
    deepEqual((await readAll(output)).map((r) => r.value), ["1:x"], "the counter ran once");
    deepEqual((await readAll(audit)).map((r) => r.value), ["1:1"], "the tally ran once");
    await cleanUp(group, input, output, audit);
  },
);
