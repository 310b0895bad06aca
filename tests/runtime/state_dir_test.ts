/**
 * Local state stores (`--state-dir`) on the broker: a restart reads only the changelog after each task's checkpoint —
 * after a graceful stop and after a SIGKILL under exactly-once — with outputs exact; the full-restore fallbacks (no
 * checkpoint, a changelog whose records before the checkpoint were deleted, a recreated changelog); and one instance
 * per folder.
 */

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { ConfigResourceTypes } from "../../src/kafka/kafkajs.ts";
import { Logger } from "../../src/runtime/logger.ts";
import type { RunningApp } from "../../src/serve/serve.ts";
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
import { counterFunctions, OUT } from "./fixtures/functions.ts";
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

const KEYS = Array.from({ length: 20 }, (_, k) => `key-${k}`);

/** `rounds` records per key, numbered from `from`. */
function rounds(from: number, count: number): TestRecord[] {
  const records: TestRecord[] = [];
  for (let i = from; i < from + count; i++) for (const key of KEYS) records.push({ key, value: String(i) });
  return records;
}

/** Log lines of an app, kept to be searched. */
function capturedLog(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger({ level: "info", write: (line) => lines.push(line) }), lines };
}

const restored = (app: RunningApp) => app.runtime.status().tasks.reduce((sum, task) => sum + task.restoredRecords, 0);
const running = (app: RunningApp) => allTasksRunning(app, 2);

async function changelogRecords(group: string): Promise<number> {
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(`${group}-changelog`));
  return offsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0);
}

function setUp(input: string): { group: string; module: TestModule } {
  const group = uniqueName("app");
  return {
    group,
    module: {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    },
  };
}

function expectCounts(records: TestRecord[], perKey: number): void {
  const byKey = valuesByKey(records);
  const expected = Array.from({ length: perKey }, (_, i) => `${i + 1}:${i}`);
  for (const key of KEYS) deepEqual(byKey.get(key), expected, key);
}

kafkaTest(
  "a local store: a graceful restart reads only the changelog's tail, an in-memory start all of it",
  async () => {
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out", { partitions: 2 });
    const { group, module } = setUp(input);
    const stateDir = await Deno.makeTempDir({ prefix: "eddy-state-" });
    try {
      await produce(input, rounds(0, 10));
      const first = await startApp(module, counterFunctions(output), { stateDir });
      await readBack(output, 200);
      // One instance per folder: a second one on the same folder is refused before it joins.
      await rejects(
        startApp({ ...module }, counterFunctions(output), { stateDir }),
        /is in use by another Eddy instance: give each instance its own --state-dir/,
      );
      await stopApp(first);
      const written = await changelogRecords(group);
      ok(written >= KEYS.length, `the changelog holds ${written} records`);

      await produce(input, rounds(10, 5));
      const log = capturedLog();
      const second = await startApp(module, counterFunctions(output), { stateDir, logger: log.logger });
      await running(second);
      equal(restored(second), 0, "nothing after the checkpoints of a graceful stop");
      match(log.lines.join("\n"), /0 changelog records restored from offset \d+, the local checkpoint at offset \d+/);
      await readBack(output, 300);
      await stopApp(second);
      expectCounts(await readAll(output), 15);

      // Without a local store the whole changelog is read, and the state is the same.
      await produce(input, rounds(15, 1));
      const inMemory = await startApp(module, counterFunctions(output));
      await running(inMemory);
      ok(restored(inMemory) >= KEYS.length, `an in-memory start restored ${restored(inMemory)} records`);
      await readBack(output, 320);
      await stopApp(inMemory);
      expectCounts(await readAll(output), 16);

      // The in-memory instance wrote after the local stores' checkpoints: the next start reads just that tail.
      await produce(input, rounds(16, 1));
      const third = await startApp(module, counterFunctions(output), { stateDir });
      await running(third);
      const tail = restored(third);
      ok(tail > 0 && tail <= 2 * KEYS.length, `the tail after the in-memory run: ${tail} records`);
      await readBack(output, 340);
      await stopApp(third);
      expectCounts(await readAll(output), 17);
    } finally {
      await Deno.remove(stateDir, { recursive: true });
      await cleanUp(group, input, output);
    }
  },
);

kafkaTest(
  "a local store after a SIGKILL under exactly-once: the restart reads only the tail; nothing lost or doubled",
  async () => {
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out", { partitions: 2 });
    const { group, module } = setUp(input);
    const stateDir = await Deno.makeTempDir({ prefix: "eddy-state-" });
    const file = await Deno.makeTempFile({ suffix: ".yaml" });
    await Deno.writeTextFile(file, moduleYaml(module));
    const records = rounds(0, 150);
    const producing = produceStream(input, records);
    const child = spawnCounterApp(file, output, "--commit-interval", "50ms", "--state-dir", stateDir);
    try {
      await waitFor("a third of the outputs", async () => {
        const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(output));
        return offsets.reduce((sum, { high }) => sum + Number(high), 0) > records.length / 3;
      }, 90_000);
    } finally {
      child.kill("SIGKILL");
      await child.output();
    }
    const beforeRestart = (await readAll(output)).length;
    equal(beforeRestart < records.length, true, `the child finished all ${records.length} records before the kill`);
    const written = await changelogRecords(group);
    const app = await startApp(module, counterFunctions(output), { stateDir });
    try {
      await running(app);
      const tail = restored(app);
      console.log(`after the SIGKILL: ${tail} of ${written} changelog records restored`);
      ok(tail < written / 2, `restored ${tail} of ${written} changelog records`);
      await producing;
      await readBack(output, records.length, 90_000);
    } finally {
      await stopApp(app);
    }
    expectCounts(await readAll(output), 150);
    await Deno.remove(file);
    await Deno.remove(stateDir, { recursive: true });
    await cleanUp(group, input, output);
  },
);

kafkaTest(
  "a local store falls back to a full restore when the changelog lost records before its checkpoint, or is new",
  async () => {
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out", { partitions: 2 });
    const { group, module } = setUp(input);
    const stateDir = await Deno.makeTempDir({ prefix: "eddy-state-" });
    try {
      await produce(input, rounds(0, 3));
      const first = await startApp(module, counterFunctions(output), { stateDir });
      await readBack(output, 60);
      await stopApp(first);
      // Another instance (in memory) goes on; then every changelog record up to its end is deleted, as retention or
      // an operator's deleteRecords would: the local checkpoints are now before the log's first offset.
      await produce(input, rounds(3, 1));
      const inMemory = await startApp(module, counterFunctions(output));
      await readBack(output, 80);
      await stopApp(inMemory);
      await withAdmin(async (admin) => {
        const topic = `${group}-changelog`;
        // Kafka refuses DeleteRecords on a compact-only topic: allow it for the deletion, then set the policy back.
        const policy = (value: string) =>
          admin.alterConfigs({
            validateOnly: false,
            resources: [{
              type: ConfigResourceTypes.TOPIC,
              name: topic,
              configEntries: [{ name: "cleanup.policy", value }],
            }],
          });
        await policy("compact,delete");
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.deleteTopicRecords({
          topic,
          partitions: ends.map(({ partition, high }) => ({ partition, offset: String(high) })),
        });
        await policy("compact");
      });
      const log = capturedLog();
      const after = await startApp(module, counterFunctions(output), { stateDir, logger: log.logger });
      await running(after);
      await stopApp(after);
      match(
        log.lines.join("\n"),
        /restored from the start, the checkpoint \(offset \d+\) is before the changelog's first offset/,
      );

      // A recreated changelog (the app's internal topics deleted): the checkpoints are past its end.
      await cleanUp(group);
      const recreated = capturedLog();
      const fresh = await startApp(module, counterFunctions(output), { stateDir, logger: recreated.logger });
      await running(fresh);
      await stopApp(fresh);
      match(recreated.lines.join("\n"), /is past the changelog's end 0: the changelog was recreated/);
    } finally {
      await Deno.remove(stateDir, { recursive: true });
      await cleanUp(group, input, output);
    }
  },
);
