/**
 * A starved heartbeat (#26): an instance taking a backlog while two CPU hogs keep both cores busy, with the default
 * session timeout (6 s), must never be expelled from its group — its functions await nothing, so without the task's
 * yields (src/runtime/task/task.ts: a turn lets the event loop run after 20 ms) the consumer's heartbeats would wait
 * behind seconds of invocations. Expulsion shows as the log line "rejoined the group after being expelled" and as
 * every task starting over; the test counts both, and checks the outputs are exact.
 */

import { deepEqual, equal } from "node:assert/strict";
import { createTopic, kafkaTest, produce, readBack, type TestRecord, uniqueName } from "../kafka/helpers.ts";
import { OUT } from "./fixtures/functions.ts";
import { cleanUp, moduleYaml, readAll, spawnCounterApp, type TestModule, valuesByKey } from "./harness.ts";

/** A process that keeps one core busy until killed. */
function cpuHog(): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", "for (;;) { Math.sqrt(Math.random()); }"],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

kafkaTest(
  "under two CPU hogs an instance takes a 120 000-record backlog without being expelled from its group",
  async () => {
    const input = await createTopic("in", { partitions: 4 });
    const output = await createTopic("out", { partitions: 4 });
    const group = uniqueName("app");
    const module: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    };
    const file = await Deno.makeTempFile({ suffix: ".yaml" });
    await Deno.writeTextFile(file, moduleYaml(module));
    const keys = Array.from({ length: 200 }, (_, k) => `key-${k}`);
    const records: TestRecord[] = [];
    for (let i = 0; i < 600; i++) for (const key of keys) records.push({ key, value: String(i) });
    for (let from = 0; from < records.length; from += 10_000) await produce(input, records.slice(from, from + 10_000));

    const hogs = [cpuHog(), cpuHog()];
    const child = spawnCounterApp(file, output, "--log-format", "json");
    const lines: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoderStream();
      let rest = "";
      for await (const chunk of child.stderr.pipeThrough(decoder)) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        lines.push(...parts);
      }
    })();
    try {
      await readBack(output, records.length, 240_000);
    } finally {
      for (const hog of hogs) hog.kill("SIGKILL");
      await Promise.all(hogs.map((hog) => hog.status));
      child.kill("SIGTERM");
      await child.status;
      await reading;
    }
    const expulsions = lines.filter((line) => line.includes("rejoined the group after being expelled"));
    const taskStarts = lines.filter((line) => line.includes('"task started'));
    console.log(`${taskStarts.length} task starts, ${expulsions.length} expulsions`);
    equal(expulsions.length, 0, `expelled under load:\n${expulsions.join("\n")}`);
    equal(taskStarts.length, 4, "each task started once");
    const byKey = valuesByKey(await readAll(output));
    const expected = Array.from({ length: 600 }, (_, i) => `${i + 1}:${i}`);
    for (const key of keys) deepEqual(byKey.get(key), expected, key);
    await Deno.remove(file);
    await cleanUp(group, input, output);
  },
);
