/**
 * A corrupted internal topic stops the task that reads it, at the record, with the topic, partition and offset in
 * its status — never applied, never skipped (issue #15). A changelog record that is not Eddy's stops the task's
 * restore (it is not retried: the same record would come back); a mailbox record that does not decode halts the task
 * after committing what came before it. The other tasks go on.
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { partitionOfKey } from "../../src/runtime/partitioner.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName, waitFor, withAdmin } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "./fixtures/functions.ts";
import { cleanUp, readAll, startApp, stopApp, type TestModule } from "./harness.ts";

const UTF8 = new TextEncoder();
const keyOf = (p: number) =>
  Array.from({ length: 200 }, (_, i) => `k${i}`).find((k) => partitionOfKey(UTF8.encode(k), 2) === p)!;

kafkaTest(
  "a corrupt changelog record stops its task's restore at the record; a corrupt mailbox record halts its task",
  async () => {
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out");
    const group = uniqueName("app");
    const module: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    };
    try {
      let app = await startApp(module, counterFunctions(output));
      await produce(input, [{ key: keyOf(0), value: "a" }, { key: keyOf(1), value: "b" }]);
      await readBack(output, 2, 30_000);
      await stopApp(app);

      // Garbage in task 0's changelog partition, after its real record (and that commit's marker).
      const end = await withAdmin(async (admin) =>
        Number((await admin.fetchTopicOffsets(`${group}-changelog`)).find((o) => o.partition === 0)!.high)
      );
      await produce(`${group}-changelog`, [{ key: "not-a-changelog-key", value: "garbage", partition: 0 }]);
      app = await startApp(module, counterFunctions(output));
      try {
        await waitFor("task 0 to stop at the changelog record", () => app.runtime.task(0)?.status === "failed");
        const failure = app.runtime.task(0)!.report().failure!;
        deepEqual(failure.origin, { topic: `${group}-changelog`, partition: 0, offset: end });
        match(failure.reason, /is not an Eddy changelog record/);
        await waitFor("task 1 to run", () => app.runtime.task(1)?.status === "running");

        // Garbage in task 1's mailbox partition: it halts there, having committed what came before.
        await produce(`${group}-mailbox`, [{ key: keyOf(1), value: "not a mailbox envelope", partition: 1 }]);
        await waitFor("task 1 to halt at the mailbox record", () => app.runtime.task(1)?.status === "failed");
        const halted = app.runtime.task(1)!.report().failure!;
        equal(halted.origin?.topic, `${group}-mailbox`);
        equal(halted.origin?.partition, 1);
      } finally {
        await app.stop();
      }
      equal((await readAll(output)).length, 2, "nothing was produced from garbage");
    } finally {
      await cleanUp(group, input, output);
    }
  },
);
