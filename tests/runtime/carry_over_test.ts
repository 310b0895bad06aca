/**
 * A call that never returns does not hold back its task's other addresses, and loses nothing when its instance dies:
 * after carryOverAfterMs the epoch commits without it (the message persisted as pending in the changelog), the other
 * addresses' outputs commit; a SIGKILL then, and the next instance runs the pending messages first, each once.
 */

import { deepEqual, equal } from "node:assert/strict";
import { createTopic, kafkaTest, produce, readBack, uniqueName, waitFor } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import { cleanUp, moduleYaml, readAll, spawnCounterAppWith, startApp, stopApp, valuesByKey } from "./harness.ts";

kafkaTest("a stuck call is carried past the commit: others commit; after a SIGKILL it runs once", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const group = uniqueName("carry");
  const module = {
    group,
    topics: [{ topic: input, targets: ["test.eddy/counter"] }],
    egresses: [{ id: OUT, delivery: "exactly-once" as const }],
  };
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(file, moduleYaml(module));
  // One partition: "stuck" and "free" share the task (and its epochs).
  await produce(input, [
    { key: "stuck", value: "a" },
    { key: "free", value: "a" },
    { key: "stuck", value: "b" },
    { key: "free", value: "b" },
  ]);
  const child = spawnCounterAppWith({ EDDY_TEST_HANG_ON: "stuck" }, file, output);
  try {
    // Without the carry-over, free's outputs would wait for stuck's call forever: they share its epoch.
    await waitFor("free's outputs, committed while stuck's call hangs", async () => {
      return (valuesByKey(await readAll(output)).get("free") ?? []).length === 2;
    }, 60_000);
  } finally {
    child.kill("SIGKILL");
    await child.output();
  }
  deepEqual(valuesByKey(await readAll(output)).get("stuck"), undefined, "stuck's call never returned");
  await produce(input, [{ key: "stuck", value: "c" }, { key: "free", value: "c" }]);
  const app = await startApp(module, counterFunctions(output));
  try {
    await readBack(output, 6, 60_000);
    await waitFor("the next commits", () => app.runtime.status().tasks.every((task) => task.queued === 0));
  } finally {
    await stopApp(app);
  }
  const byKey = valuesByKey(await readAll(output));
  deepEqual(byKey.get("stuck"), ["1:a", "2:b", "3:c"], "the carried messages first, in order, each once");
  deepEqual(byKey.get("free"), ["1:a", "2:b", "3:c"]);
  equal([...byKey.values()].flat().length, 6);
  await Deno.remove(file);
  await cleanUp(group, input, output);
});
