/**
 * Logs the broker's cleaner has compacted (issue #26): a changelog whose closed segments were cleaned restores every
 * key's last state — in memory, into an empty `--state-dir` and as a tail after a local checkpoint — reading exactly
 * the records Kafka's own Java consumer sees; and a compacted ingress topic read from `earliest` hands every
 * surviving record to its function once, in order. The topics get tiny segments (`segment.ms`) and a dirty ratio
 * near 0, so the cleaner (every second on scripts/kafka/broker.sh's broker) compacts them within seconds.
 *
 * Why it matters: kafkajs' `Batch.lastOffset()` returns the fetch offset when a fetched record batch holds only
 * records below it (a batch whose later records the cleaner removed keeps its original offset range), and Eddy's
 * hand-off and restore checkpoint follow it. These tests show on a really compacted log that nothing is skipped.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { Address } from "../../src/sdk/address.ts";
import { describeState } from "../../src/sdk/describe_state.ts";
import type { ValueSpec } from "../../src/sdk/function_spec.ts";
import type { TypedValue } from "../../src/sdk/typed_value.ts";
import { kafkaEgressMessage, StateFun } from "../../mod.ts";
import { taskOfId } from "../../src/runtime/routing.ts";
import type { RunningApp } from "../../src/serve/serve.ts";
import { serve } from "../../src/serve/serve.ts";
import type { FunctionSource } from "../../src/runtime/runtime.ts";
import {
  createTopic,
  kafkaTest,
  produce,
  readBack,
  testKafka,
  type TestRecord,
  uniqueName,
  waitFor,
  withAdmin,
} from "../kafka/helpers.ts";
import { type JavaRecord, readWithJava } from "../kafka/java_reader.ts";
import { counterFunctions, OUT, TEXT } from "./fixtures/functions.ts";
import {
  allTasksRunning,
  cleanUp,
  produceStream,
  readAll,
  stopApp,
  testLogger,
  type TestModule,
  testModule,
  valuesByKey,
} from "./harness.ts";

/** Topic configs that let the cleaner compact a log seconds after it was written. */
const COMPACT_SOON = {
  "segment.ms": "100",
  "min.cleanable.dirty.ratio": "0.01",
  "min.compaction.lag.ms": "0",
};

/**
 * A fetch returns one record batch per partition (the broker always returns the first whole), so a batch whose later
 * records the cleaner removed ends a fetch: the next fetch starts inside it, and kafkajs sees a response of records
 * below its fetch offset only (`isEmptyDueToLogCompactedMessages`).
 */
const ONE_BATCH_PER_FETCH = { "max.partition.fetch.bytes": "1" };

const KEYS = Array.from({ length: 8 }, (_, k) => `key-${k}`);

/** The keys the second phase updates; the others keep the state they had at the first phase's checkpoint. */
const HOT = KEYS.slice(0, 4);

/** Rounds `from`… of the stream: one record per key, valued with the round's number. */
function roundsOf(from: number, count: number, keys = KEYS): TestRecord[] {
  const records: TestRecord[] = [];
  for (let i = from; i < from + count; i++) for (const key of keys) records.push({ key, value: String(i) });
  return records;
}

async function start(module: TestModule, functions: FunctionSource, stateDir?: string): Promise<RunningApp> {
  const app = await serve({
    module: testModule(module),
    functions,
    handleSignals: false,
    controlAddr: "none",
    logger: testLogger(),
    sessionTimeoutMs: 6_000,
    commitIntervalMs: 50,
    internalTopics: { configs: COMPACT_SOON },
    stateDir,
  });
  await allTasksRunning(app);
  return app;
}

const restored = (app: RunningApp) => app.runtime.status().tasks.reduce((sum, task) => sum + task.restoredRecords, 0);

/** The last-stable offset of each partition. */
async function ends(topic: string): Promise<Map<number, number>> {
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  return new Map(offsets.map(({ partition, high }) => [partition, Number(high)]));
}

/**
 * Waits until the cleaner has compacted `topic`: fewer than `share` of each partition's offsets in `[from, end)`
 * still hold a record (data and markers take one offset each before cleaning, and a transaction holds at least one
 * record before its marker, so an uncleaned changelog never reads below 1/2), and two reads 3 s apart agree.
 * Returns the records the Java consumer then reads.
 */
async function compacted(
  topic: string,
  share: number,
  from: Map<number, number> = new Map(),
): Promise<JavaRecord[]> {
  let last = -1;
  let records: JavaRecord[] = [];
  await waitFor(`the log cleaner to compact ${topic}`, async () => {
    const end = await ends(topic);
    records = (await readAll(topic)).map((record) => ({ partition: record.partition!, offset: Number(record.offset) }))
      .sort((a, b) => (a.partition - b.partition) || (a.offset - b.offset));
    const cleaned = [...end].every(([partition, high]) => {
      const low = from.get(partition) ?? 0;
      const held = records.filter((r) => r.partition === partition && r.offset >= low).length;
      return high - low > 20 && held < (high - low) * share;
    });
    const stable = records.length === last;
    last = records.length;
    if (cleaned && !stable) await new Promise((resolve) => setTimeout(resolve, 3_000));
    return cleaned && stable;
  }, 120_000);
  const java = await readWithJava(topic);
  deepEqual(
    java.map(({ partition, offset }) => `${partition}@${offset}`),
    records.map(({ partition, offset }) => `${partition}@${offset}`),
    "kafkajs (with Eddy's read_committed filter) reads the same records as Kafka's Java consumer",
  );
  return java;
}

/** One decoded state value of an address (built-in types only). */
function stateValue(
  stored: ReadonlyMap<string, TypedValue>,
  name: string,
  specs: readonly ValueSpec[],
): unknown {
  const described = describeState(stored, specs)[name];
  return described !== undefined && "value" in described ? described.value : undefined;
}

/** Each key's `test.eddy/counter` state `n`, read from the tasks of a running app. */
function counts(app: RunningApp): Map<string, unknown> {
  const spec = app.runtime.functionSpec("test.eddy/counter")!;
  const out = new Map<string, unknown>();
  for (const key of KEYS) {
    const task = app.runtime.task(taskOfId(key, app.runtime.taskCount))!;
    out.set(
      key,
      stateValue(
        task.state.peek(Address.fromParts("test.eddy", "counter", key), spec.valueSpecs),
        "n",
        spec.valueSpecs,
      ),
    );
  }
  return out;
}

/** The counts after the two phases: 100 for the keys both phases updated, 50 for the others. */
const FINAL = new Map(KEYS.map((key) => [key, HOT.includes(key) ? 100 : 50]));

function expectCounts(app: RunningApp, expected: Map<string, number>, what: string): void {
  deepEqual(counts(app), expected, `every key's state after ${what}`);
}

kafkaTest(
  "a changelog the cleaner compacted restores every key's last state: in memory, into an empty --state-dir, and " +
    "as the tail after a local checkpoint, reading every record Kafka's Java consumer sees",
  async () => {
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out", { partitions: 2 });
    const group = uniqueName("app");
    const changelog = `${group}-changelog`;
    const module: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
      properties: ONE_BATCH_PER_FETCH,
    };
    const stateDir = await Deno.makeTempDir({ prefix: "eddy-compacted-" });
    const emptyDir = await Deno.makeTempDir({ prefix: "eddy-compacted-empty-" });
    try {
      // 1. A local store follows the first 50 rounds, written as a stream: many small transactions, many segments.
      const first = await start(module, counterFunctions(output), stateDir);
      await produceStream(input, roundsOf(0, 50), 2 * KEYS.length, 100);
      await readBack(output, 50 * KEYS.length, 60_000);
      await stopApp(first);
      const checkpoint = await ends(changelog);

      // 2. An instance without it writes 50 more rounds of half the keys past that checkpoint.
      const second = await start(module, counterFunctions(output));
      await produceStream(input, roundsOf(50, 50, HOT), 2 * KEYS.length, 100);
      await readBack(output, 50 * KEYS.length + 50 * HOT.length, 60_000);
      expectCounts(second, FINAL, "both phases");
      await stopApp(second);

      // 3. The cleaner compacts both parts: the head, and the tail after the checkpoint.
      const end = await ends(changelog);
      await compacted(changelog, 1 / 3, checkpoint);
      const records = await compacted(changelog, 1 / 3);
      const written = [...end.values()].reduce((a, b) => a + b, 0);
      console.log(`changelog: ${records.length} records left at ${written} offsets`);

      // 4a. In memory: every record read, every key's last value.
      const inMemory = await start(module, counterFunctions(output));
      equal(restored(inMemory), records.length, "records restored in memory");
      expectCounts(inMemory, FINAL, "a full restore in memory");
      await stopApp(inMemory);

      // 4b. Into an empty --state-dir: the same.
      const empty = await start(module, counterFunctions(output), emptyDir);
      equal(restored(empty), records.length, "records restored into an empty --state-dir");
      expectCounts(empty, FINAL, "a full restore into an empty --state-dir");
      await stopApp(empty);

      // 4c. The tail after the first store's checkpoint: exactly the records the Java consumer sees there.
      const tail = records.filter((r) => r.offset >= (checkpoint.get(r.partition) ?? 0)).length;
      ok(tail > 0 && tail < records.length, `a tail of ${tail} of ${records.length} records`);
      const resumed = await start(module, counterFunctions(output), stateDir);
      equal(restored(resumed), tail, "records restored after the checkpoint");
      expectCounts(resumed, FINAL, "a tail restore over a compacted log");
      // And it goes on from there.
      await produce(input, roundsOf(100, 1));
      await readBack(output, 51 * KEYS.length + 50 * HOT.length, 60_000);
      await stopApp(resumed);
      const byKey = valuesByKey(await readAll(output));
      for (const key of KEYS) {
        const rounds = [
          ...Array(50).keys(),
          ...(HOT.includes(key) ? Array.from({ length: 50 }, (_, i) => 50 + i) : []),
          100,
        ];
        deepEqual(byKey.get(key), rounds.map((round, i) => `${i + 1}:${round}`), key);
      }
    } finally {
      await Deno.remove(stateDir, { recursive: true });
      await Deno.remove(emptyDir, { recursive: true });
      await cleanUp(group, input, output);
    }
  },
);

/** A value as the `test.eddy/last` function keeps it: long ones by their length. */
const kept = (value: string) => value.length > 64 ? `<${value.length} bytes>` : value;

/**
 * `test.eddy/last`: keeps the last value of its key (by its length when long) and how many it saw, and writes
 * `<count>:<value>`.
 */
function lastValueFunctions(outTopic: string): StateFun {
  const functions = new StateFun();
  functions.bind({
    typename: "test.eddy/last",
    specs: [{ name: "last", type: StateFun.stringType() }, { name: "seen", type: StateFun.intType() }],
    fn(context, message) {
      const value = kept(message.as(TEXT) ?? "");
      const seen = (context.storage.seen ?? 0) + 1;
      context.storage.last = value;
      context.storage.seen = seen;
      context.send(
        kafkaEgressMessage({ typename: OUT, topic: outTopic, key: context.self.id, value: `${seen}:${value}` }),
      );
    },
  });
  return functions;
}

kafkaTest(
  "a compacted ingress topic read from earliest hands each record left in it to its function once, in order: " +
    "every key ends on the last value written",
  async () => {
    // One partition: the keys of a produced batch stay together in one record batch.
    const input = await createTopic("compacted-in", {
      partitions: 1,
      configs: { "cleanup.policy": "compact", ...COMPACT_SOON },
    });
    const output = await createTopic("out", { partitions: 2 });
    const group = uniqueName("app");
    // 200 updates of each key, in waves, so that segments roll and the cleaner has closed ones to compact.
    const updates: TestRecord[] = [];
    for (let i = 0; i < 200; i++) for (const key of KEYS) updates.push({ key, value: `${key}=${i}` });
    await produceStream(input, updates, 4 * KEYS.length, 150);
    // Then one batch of every key whose later half the next batch replaces, and a last batch of another key that
    // closes their segments: the cleaner keeps the first half of that batch and drops its tail.
    const tail = [
      KEYS.map((key) => ({ key, value: `${key}=200` })),
      KEYS.slice(KEYS.length / 2).map((key) => ({ key, value: `${key}=201` })),
      [{ key: "other", value: "other=0" }],
    ];
    for (const batch of tail) {
      await produce(input, batch);
      updates.push(...batch);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const log = await compacted(input, 1 / 2);
    const left = await readWithJava(input, { text: true });
    equal(left.length, log.length);
    console.log(`ingress: ${left.length} of ${updates.length} records left after compaction`);

    const app = await start(
      {
        group,
        topics: [{ topic: input, targets: ["test.eddy/last"] }],
        egresses: [{ id: OUT, delivery: "exactly-once" }],
        properties: ONE_BATCH_PER_FETCH,
      },
      lastValueFunctions(output),
    );
    try {
      await readBack(output, left.length, 60_000);
      const spec = app.runtime.functionSpec("test.eddy/last")!;
      for (const key of [...KEYS, "other"]) {
        const task = app.runtime.task(taskOfId(key, app.runtime.taskCount))!;
        const stored = task.state.peek(Address.fromParts("test.eddy", "last", key), spec.valueSpecs);
        const written = updates.filter((update) => update.key === key).at(-1)!.value;
        equal(stateValue(stored, "last", spec.valueSpecs), written, `${key}'s last value`);
      }
    } finally {
      await stopApp(app);
    }
    const outputs = valuesByKey(await readAll(output));
    for (const key of [...KEYS, "other"]) {
      const expected = left.filter((record) => record.key === key).map((record, i) => `${i + 1}:${record.value}`);
      deepEqual(outputs.get(key), expected, `${key}: one output per record left in the compacted log, in order`);
    }
    await cleanUp(group, input, output);
  },
);

kafkaTest(
  "a record batch the cleaner emptied at the end of a cleaned segment (an idempotent producer's last) does not " +
    "stall the ingress: the records after it are processed",
  async () => {
    // Segments of 1 MiB: the cleaner groups cleaned segments up to that size, so the 900 kB record and the batch
    // after it make one segment of their own, which a fetch of the default size reads to its end.
    const input = await createTopic("compacted-in", {
      partitions: 1,
      configs: { "cleanup.policy": "compact", ...COMPACT_SOON, "segment.bytes": String(1024 * 1024) },
    });
    const output = await createTopic("out", { partitions: 1 });
    const group = uniqueName("app");
    const pause = () => new Promise((resolve) => setTimeout(resolve, 200));
    await produce(input, [{ key: "big", value: "x".repeat(900_000) }]);
    await pause();
    // An idempotent producer's only batch: when the cleaner removes its record, it keeps the batch, empty.
    const idempotent = testKafka("eddy-test-idempotent").producer({ idempotent: true, maxInFlightRequests: 1 });
    await idempotent.connect();
    await idempotent.send({ topic: input, acks: -1, messages: [{ key: "a", value: "a=1" }] });
    await idempotent.disconnect();
    await pause();
    await produce(input, [{ key: "a", value: "y".repeat(300_000) }]);
    await pause();
    await produce(input, [{ key: "z", value: "z=1" }]);
    await pause();
    await produce(input, [{ key: "y", value: "y=1" }]);
    let left: JavaRecord[] = [];
    await waitFor("the cleaner to remove a=1", async () => {
      left = await readWithJava(input, { text: true, idleMs: 2_000 });
      return left.length === 4 && !left.some((record) => record.value === "a=1");
    }, 120_000);
    deepEqual(left.map((record) => record.offset), [0, 2, 3, 4], "the empty batch holds offset 1");

    const app = await start(
      {
        group,
        topics: [{ topic: input, targets: ["test.eddy/last"] }],
        egresses: [{ id: OUT, delivery: "exactly-once" }],
      },
      lastValueFunctions(output),
    );
    try {
      const outputs = await readBack(output, 4, 30_000);
      deepEqual(
        outputs.map((record) => `${record.key}=${record.value}`),
        left.map((record) => `${record.key}=1:${kept(record.value!)}`),
      );
    } finally {
      await stopApp(app);
    }
    await cleanUp(group, input, output);
  },
);
