/**
 * A paused instance (SIGSTOP past the session timeout) is expelled; the other
 * instance fences its tasks and takes them over. When the zombie wakes, the
 * sticky assignor gives it its old tasks back: it must start them over from
 * their last commit at once (found by the chaos harness, seed 517344601: it
 * kept its stale tasks, whose commits were fenced, and stalled them).
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { createTopic, kafkaTest, produce, readBack, uniqueName, waitFor } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import {
  cleanUp,
  moduleYaml,
  readAll,
  spawnCounterApp,
  startApp,
  stopApp,
  type TestModule,
  valuesByKey,
} from "./harness.ts";

kafkaTest("a zombie instance that wakes up starts its tasks over; nothing lost, duplicated or stalled", async () => {
  const input = await createTopic("in", { partitions: 4 });
  const output = await createTopic("out");
  const group = uniqueName("app");
  const module: TestModule = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" }],
  };
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(file, moduleYaml(module));
  // The other instance first, so it keeps tasks 0 and 1 and the zombie-to-be gets 2 and 3, which the sticky
  // assignor gives back to it when it wakes (the member that owned more keeps the lower tasks).
  const other = await startApp(module, counterFunctions(output));
  await waitFor("the first instance to run every task", () => other.runtime.status().tasks.length === 4);
  const zombie = spawnCounterApp(file, output, "--log-format", "json");
  const keys = Array.from({ length: 20 }, (_, k) => `key-${k}`);
  let stderr = "";
  try {
    await waitFor("the tasks to be shared", () => other.runtime.status().tasks.length === 2, 60_000);
    await produce(input, keys.map((key) => ({ key, value: "0" })));
    await readBack(output, keys.length, 30_000); // both instances run
    // 12 rounds, one every second; the zombie sleeps from round 2 to round 11 (session timeout 6 s).
    for (let round = 1; round <= 12; round++) {
      if (round === 2) zombie.kill("SIGSTOP");
      if (round === 11) zombie.kill("SIGCONT");
      await produce(input, keys.map((key) => ({ key, value: String(round) })));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    // Without the fix the zombie's old tasks stall for two session timeouts (12 s) after it wakes.
    await readBack(output, keys.length * 13, 9_000);
    deepEqual(other.runtime.status().tasks.map((task) => task.task), [0, 1], "the zombie got its tasks back");
  } finally {
    zombie.kill("SIGTERM");
    stderr = new TextDecoder().decode((await zombie.output()).stderr);
    await stopApp(other);
  }
  match(stderr, /rejoined the group after being expelled/);
  const byKey = valuesByKey(await readAll(output));
  for (const key of keys) {
    deepEqual(byKey.get(key), Array.from({ length: 13 }, (_, i) => `${i + 1}:${i}`), key);
  }
  equal(byKey.size, keys.length);
  await Deno.remove(file);
  await cleanUp(group, input, output);
});
