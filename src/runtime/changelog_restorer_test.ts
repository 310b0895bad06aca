/**
 * The restorer with fakes of its ports (no broker): it reads the changelog partition from its low to its last-stable
 * offset, reports progress (position, remaining, rate) while it goes and logs it, and stops at a record that is not a
 * changelog record, naming it.
 */

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { SqliteStateStore } from "../state/sqlite_store.ts";
import type { StateStore } from "../state/state_store.ts";
import { encodeWrite, TaskState } from "../state/task_state.ts";
import { Address } from "../sdk/address.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { INT_TYPE } from "../sdk/types.ts";
import { ChangelogRestorer, CorruptChangelogError } from "./changelog_restorer.ts";
import { Logger } from "./logger.ts";
import type { AppConsumerPort, ClusterAdmin, ConsumedRecord } from "./ports.ts";
import type { Task } from "./task/task.ts";

const TOPIC = "app-changelog";

function fakes(low: number, lastStable: number, store?: StateStore) {
  const calls: string[] = [];
  const admin = {
    stableOffsets: () => Promise.resolve([{ partition: 0, low, lastStable }]),
    topicConfig: () => Promise.resolve(undefined),
  } as unknown as ClusterAdmin;
  const consumer = {
    seek: (topic: string, partition: number, offset: number) => calls.push(`seek ${topic}/${partition}@${offset}`),
    resumeTask: (task: number) => calls.push(`resume ${task}`),
    pauseTask: (task: number) => calls.push(`pause ${task}`),
  } as unknown as AppConsumerPort;
  const task = { task: 0, state: new TaskState(store), restoreProgress: undefined } as unknown as Task;
  return { calls, restorer: new ChangelogRestorer(admin, consumer, TOPIC), task };
}

function writes(from: number, count: number): ConsumedRecord[] {
  const state = new TaskState();
  return Array.from({ length: count }, (_, i) => {
    const [uncommitted] = state.write(Address.fromParts("t", "fn", `id-${from + i}`), [{
      name: "n",
      kind: "modify",
      value: toTypedValue(i, INT_TYPE),
    }], 0);
    const write = encodeWrite(uncommitted);
    return {
      topic: TOPIC,
      partition: 0,
      offset: from + i,
      key: write.key,
      value: write.value,
      timestamp: 0,
      headers: {},
    };
  });
}

Deno.test("restorer: reads to the last-stable offset, with progress while it goes", async () => {
  const { calls, restorer, task } = fakes(10, 30);
  const lines: string[] = [];
  const restoring = restorer.restore(task, 0, new Logger({ level: "info", write: (line) => lines.push(line) }));
  await new Promise((resolve) => setTimeout(resolve, 0));
  deepEqual(calls, [`seek ${TOPIC}/0@10`, "resume 0"]);
  equal(task.restoreProgress?.remaining, 20);
  restorer.accept(task, { topic: TOPIC, partition: 0, task: 0, records: writes(10, 10), nextOffset: 20 });
  equal(task.restoreProgress?.position, 20);
  equal(task.restoreProgress?.remaining, 10);
  ok(task.restoreProgress!.recordsPerSecond > 0);
  restorer.accept(task, { topic: TOPIC, partition: 0, task: 0, records: writes(20, 10), nextOffset: 30 });
  deepEqual(await restoring, { from: 10, full: true, reason: "no local checkpoint", restored: 20 });
  equal(task.state.valueCount, 20);
  equal(calls.at(-1), "pause 0");
});

Deno.test("restorer: a local store with a checkpoint reads only the tail, and each batch moves its checkpoint", async () => {
  const store = SqliteStateStore.open(Deno.makeTempFileSync({ suffix: ".sqlite" }), () => {});
  new TaskState(store).restoreRecords(writes(0, 25), { offset: 25, writtenAt: Date.now() });
  const { calls, restorer, task } = fakes(0, 30, store);
  const restoring = restorer.restore(task, 0);
  await new Promise((resolve) => setTimeout(resolve, 0));
  deepEqual(calls, [`seek ${TOPIC}/0@25`, "resume 0"]);
  restorer.accept(task, { topic: TOPIC, partition: 0, task: 0, records: writes(25, 5), nextOffset: 30 });
  const result = await restoring;
  deepEqual([result.from, result.full, result.restored], [25, false, 5]);
  equal(store.size, 30);
  equal(store.checkpoint?.offset, 30);
  // Nothing after the checkpoint: no read at all.
  const again = fakes(0, 30, store);
  deepEqual((await again.restorer.restore(again.task, 0)).restored, 0);
  deepEqual(again.calls, []);
  store.close();
});

Deno.test("restorer: a checkpoint that cannot be used empties the store, and the timers it brought, before the full read", async () => {
  const store = SqliteStateStore.open(Deno.makeTempFileSync({ suffix: ".sqlite" }), () => {});
  const before = new TaskState(store);
  before.restoreRecords(writes(0, 5), { offset: 50, writtenAt: Date.now() }); // past the end: another log
  const target = Address.fromParts("t", "fn", "x");
  before.flush([
    before.addTimer({ sender: target, id: "stale", fireAt: 1, target, argument: toTypedValue(1, INT_TYPE) }),
  ]);
  const { restorer, task } = fakes(0, 3, store);
  equal(task.state.timerCount, 1, "the store brought its timer along");
  const restoring = restorer.restore(task, 0);
  await new Promise((resolve) => setTimeout(resolve, 0));
  equal(store.size, 0);
  restorer.accept(task, { topic: TOPIC, partition: 0, task: 0, records: writes(0, 3), nextOffset: 3 });
  const result = await restoring;
  deepEqual([result.full, result.restored, store.size, store.checkpoint?.offset], [true, 3, 3, 3]);
  equal(task.state.timerCount, 0, "a timer of the other log does not survive the full restore");
  store.close();
});

Deno.test("restorer: a record that is not a changelog record stops the restore, naming it", async () => {
  const { restorer, task } = fakes(0, 5);
  const restoring = restorer.restore(task, 0);
  await new Promise((resolve) => setTimeout(resolve, 0));
  const garbage = {
    topic: TOPIC,
    partition: 0,
    offset: 3,
    key: new Uint8Array([0xff, 0x01]),
    value: null,
    timestamp: 0,
    headers: {},
  };
  restorer.accept(task, { topic: TOPIC, partition: 0, task: 0, records: [garbage], nextOffset: 4 });
  await rejects(restoring, (error: Error) => {
    equal(error instanceof CorruptChangelogError, true);
    match(error.message, /the record at app-changelog\/0@3 is not an Eddy changelog record/);
    return true;
  });
});
