/**
 * The task without a broker: a fake committer, egress sink and flow, and a manual clock. Epochs and the consistent
 * cut, a slow invocation holding its epoch only, retries, stopping at a failed message or an unroutable record,
 * back-pressure, forwarding, delayed messages and expiry — each in milliseconds.
 */

import { Buffer } from "node:buffer";
import { deepEqual, equal, ok } from "node:assert/strict";
import { StateFun } from "../../sdk/statefun.ts";
import { kafkaEgressMessage } from "../../sdk/egress.ts";
import { messageBuilder } from "../../sdk/message.ts";
import { parseModuleSpec } from "../../spec/load.ts";
import { ingressModule } from "../../spec/testdata/test_modules.ts";
import { type AppPlan, planApp } from "../app_plan.ts";
import { Logger } from "../logger.ts";
import { decodeMailboxMessage } from "../mailbox_record.ts";
import { partitionOfKey } from "../partitioner.ts";
import { type CommitBatch, CommitError, type ConsumedRecord } from "../ports.ts";
import { fakeTaskPorts, inProcessFunctions } from "./task_fakes.ts";
import { ManualClock } from "./clock.ts";
import { Task } from "./task.ts";
import type { TaskLimits } from "./types.ts";

const MODULE = ingressModule(`---
kind: io.statefun.kafka.v1/egress
spec:
  id: t/out
  address: 127.0.0.1:9092
  deliverySemantic:
    type: exactly-once
    transactionTimeout: 1min
`);
const plan = planApp(parseModuleSpec(MODULE, "module.yaml"));
const TEXT = StateFun.customType<string>("t/text", (text) => Buffer.from(text), (bytes) => bytes.toString());
const UTF8 = new TextEncoder();

/** Lets the task take its turn: `accept` only holds records, the task processes them on its own turn. */
async function turn(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A key of task `p` of `n`. */
function keyOf(p: number, n: number, prefix = "k"): string {
  for (let i = 0;; i++) if (partitionOfKey(UTF8.encode(`${prefix}${i}`), n) === p) return `${prefix}${i}`;
}

interface Harness {
  task: Task;
  clock: ManualClock;
  commits: CommitBatch[];
  stopped: string[];
  flow: string[];
  /** Hands records of partition `partition` of `in` to the task, from `offset` on. */
  send(partition: number, offset: number, ...records: [string | null, string][]): void;
}

function harness(
  fn: (context: Parameters<Parameters<StateFun["bind"]>[0]["fn"]>[0], text: string) => void | Promise<void>,
  options: {
    taskCount?: number;
    limits?: Partial<TaskLimits>;
    commit?: (batch: CommitBatch) => Promise<void>;
    /** Commits of a previous owner whose changelog records the task restores before it starts. */
    restore?: CommitBatch[];
    /** The task's log (default: errors only, dropped). */
    log?: Logger;
    /** Functions instead of `fn` as t/counter. */
    functions?: StateFun;
    /** The clock (default: a manual one at 1 000 000). */
    clock?: ManualClock;
    /** The app (default: MODULE's). */
    plan?: AppPlan;
  } = {},
): Harness {
  const clock = options.clock ?? new ManualClock(1_000_000);
  const stopped: string[] = [];
  const functions = options.functions ?? new StateFun();
  if (options.functions === undefined) {
    functions.bind({
      typename: "t/counter",
      specs: [{ name: "n", type: StateFun.intType(), expireAfterWrite: 120_000 }],
      fn: (context, message) => fn(context, message.as(TEXT)!),
    });
  }
  const ports = fakeTaskPorts({ commit: options.commit });
  const task = new Task({
    task: 0,
    taskCount: options.taskCount ?? 1,
    plan: options.plan ?? plan,
    functions: inProcessFunctions(functions),
    ...ports,
    log: options.log ?? new Logger({ level: "error", write: () => {} }),
    onStopped: (outcome) => stopped.push(outcome),
    limits: { retryBackoffMs: 100, ...options.limits },
    clock,
  });
  task.state.restoreRecords(
    (options.restore ?? []).flatMap((batch) => batch.records).filter((record) => record.topic === plan.changelogTopic)
      .map((record) => ({ key: record.key as Uint8Array, value: record.value as Uint8Array })),
  );
  task.start([{ groupId: "app", topic: "in", partition: 0, offset: 0 }]);
  const send = (partition: number, offset: number, ...records: [string | null, string][]) => {
    const consumed: ConsumedRecord[] = records.map(([key, value], i) => ({
      topic: "in",
      partition,
      offset: offset + i,
      key: key === null ? null : UTF8.encode(key),
      value: UTF8.encode(value),
      timestamp: 0,
      headers: {},
    }));
    task.accept({ topic: "in", partition, task: 0, records: consumed, nextOffset: offset + records.length });
  };
  return { task, clock, commits: ports.commits, stopped, flow: ports.flowCalls, send };
}

/** Counts per id in state and writes `<id>:<n>:<text>` to the egress. */
function counter(context: Parameters<Parameters<StateFun["bind"]>[0]["fn"]>[0], text: string): void {
  const n = (context.storage.n ?? 0) + 1;
  context.storage.n = n;
  context.send(
    kafkaEgressMessage({
      typename: "t/out",
      topic: "out",
      key: context.self.id,
      value: `${context.self.id}:${n}:${text}`,
    }),
  );
}

const decode = (value: Uint8Array | string | null) =>
  typeof value === "string" ? value : new TextDecoder().decode(value!);
const outputs = (batch: CommitBatch) => batch.records.filter((r) => r.topic === "out").map((r) => decode(r.value));
const offsetsOf = (batch: CommitBatch) => batch.offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`);

Deno.test("task: an epoch commits its effects with the offsets after its records (the consistent cut)", async () => {
  const h = harness(counter);
  h.send(0, 0, ["a", "1"], ["b", "1"], ["a", "2"]);
  await h.clock.advance(100);
  equal(h.commits.length, 1);
  deepEqual(outputs(h.commits[0]), ["a:1:1", "b:1:1", "a:2:2"]);
  deepEqual(offsetsOf(h.commits[0]), ["in/0@3"]);
  equal(h.commits[0].records.filter((r) => r.topic === "app-changelog").length, 2, "one state write per address");
  await h.clock.advance(100);
  equal(h.commits.length, 1, "an idle task commits nothing");
  await h.task.close();
});

Deno.test("task: a slow invocation holds its own epoch; later epochs wait, other addresses go on", async () => {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  const h = harness(async (context, text) => {
    if (context.self.id === "slow") await blocked;
    counter(context, text);
  });
  h.send(0, 0, ["slow", "1"], ["fast", "1"]);
  await h.clock.advance(100);
  equal(h.commits.length, 0, "the epoch with the slow message cannot commit");
  h.send(0, 2, ["fast", "2"]);
  await h.clock.advance(300);
  equal(h.commits.length, 0, "nor the next one: epochs commit in order");
  equal(h.task.report().invocations, 2, "the other address went on");
  release();
  await h.clock.advance(200);
  equal(h.commits.length, 2);
  deepEqual(outputs(h.commits[0]), ["fast:1:1", "slow:1:1"]);
  deepEqual(offsetsOf(h.commits[0]), ["in/0@2"]);
  deepEqual(outputs(h.commits[1]), ["fast:2:2"]);
  deepEqual(offsetsOf(h.commits[1]), ["in/0@3"]);
  await h.task.close();
});

Deno.test("task: a backlog is taken in a few hundred messages ahead, so epochs stay short and nothing is carried", async () => {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  const h = harness(async (context, text) => {
    await blocked;
    counter(context, text);
  });
  const batch = (from: number) => Array.from({ length: 150 }, (_, i) => [`k${from + i}`, "x"] as [string, string]);
  h.send(0, 0, ...batch(0));
  h.send(0, 150, ...batch(150));
  h.send(0, 300, ...batch(300)); // 150 queued, over half of 200: these fetches wait outside any epoch
  equal(h.task.report().queued, 450, "queued and waiting");
  await h.clock.advance(100);
  release();
  await h.clock.advance(100);
  deepEqual(offsetsOf(h.commits[0]), ["in/0@150"], "the first epoch took the first fetch only");
  for (let i = 0; i < 20 && h.task.report().invocations < 450; i++) await h.clock.advance(100);
  await h.clock.advance(200);
  equal(h.commits.flatMap(outputs).length, 450);
  deepEqual(offsetsOf(h.commits.at(-1)!), ["in/0@450"]);
  equal(h.task.report().carriedOver, 0);
  await h.task.close();
});

Deno.test("task: messages still running after carryOverAfterMs are carried past the commit as pending", async () => {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  const h = harness(async (context, text) => {
    if (context.self.id === "slow") await blocked;
    counter(context, text);
  }, { limits: { carryOverAfterMs: 300 } });
  h.send(0, 0, ["slow", "1"], ["fast", "1"], ["slow", "2"]);
  await h.clock.advance(300);
  equal(h.commits.length, 0, "within carryOverAfterMs the epoch waits for its messages");
  await h.clock.advance(100);
  equal(h.commits.length, 1, "then it commits without them");
  deepEqual(outputs(h.commits[0]), ["fast:1:1"]);
  deepEqual(offsetsOf(h.commits[0]), ["in/0@3"], "the offsets after every record of the epoch");
  const pending = h.commits[0].records.filter((r) => r.topic === plan.changelogTopic && r.value !== null);
  equal(pending.length, 3, "fast's state, and the two slow messages persisted as pending");
  equal(h.task.report().carriedOver, 2);
  h.send(0, 3, ["fast", "2"]);
  await h.clock.advance(100);
  deepEqual(outputs(h.commits[1]), ["fast:2:2"], "other addresses commit while the slow call runs");
  release();
  await h.clock.advance(100);
  deepEqual(h.commits.slice(2).flatMap(outputs), ["slow:1:1", "slow:2:2"]);
  const tombstones = h.commits.slice(2).flatMap((batch) => batch.records)
    .filter((r) => r.topic === plan.changelogTopic && r.value === null);
  equal(tombstones.length, 2, "each pending entry is deleted in the commit of its effects");
  await h.task.close();
});

Deno.test("task: a restore queues carried messages first and each runs once", async () => {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  const first = harness(async (context, text) => {
    if (context.self.id === "slow") await blocked;
    counter(context, text);
  }, { limits: { carryOverAfterMs: 100 } });
  first.send(0, 0, ["slow", "1"], ["slow", "2"]);
  await first.clock.advance(200);
  equal(first.commits.length, 1);
  deepEqual(offsetsOf(first.commits[0]), ["in/0@2"]);
  await first.task.close(); // the owner dies with the call running: its effects never commit
  release();
  const seen: string[] = [];
  const next = harness((context, text) => {
    seen.push(`${context.self.id}:${text}`);
    counter(context, text);
  }, { restore: first.commits });
  next.send(0, 2, ["slow", "3"]); // newer than the carried ones: runs after them
  await next.clock.advance(100);
  deepEqual(seen, ["slow:1", "slow:2", "slow:3"]);
  deepEqual(next.commits.flatMap(outputs), ["slow:1:1", "slow:2:2", "slow:3:3"]);
  const restoredAgain = harness(counter, { restore: [...first.commits, ...next.commits] });
  await restoredAgain.clock.advance(100);
  equal(restoredAgain.task.report().invocations, 0, "their tombstones committed: a later restore finds none pending");
  deepEqual(restoredAgain.commits.flatMap(outputs), []);
  await restoredAgain.task.close();
  await next.task.close();
});

Deno.test("task: a carried message keeps its Kafka record and the headers it carries across a restore", async () => {
  const carrying = planApp(parseModuleSpec(MODULE.replace("---\n", "  carryHeaders: [traceparent]\n---\n"), "m.yaml"));
  const bytes = (text: string) => UTF8.encode(text);
  const record = (offset: number, key: string): ConsumedRecord => ({
    topic: "in",
    partition: 0,
    offset,
    key: bytes(key),
    value: bytes(String(offset)),
    timestamp: 1_700_000_000_000 + offset,
    headers: { traceparent: bytes(`tp-${offset}`), "x-other": bytes("x"), tag: [bytes("a"), bytes("b")] },
  });
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  const seen: string[] = [];
  const functions = (wait: boolean) => {
    const statefun = new StateFun();
    statefun.bind({
      typename: "t/counter",
      async fn(context, message) {
        if (wait) return await blocked; // the first owner dies before this call ends
        const { topic, partition, offset, timestamp, key } = message.kafka!;
        seen.push(
          `${topic}/${partition}@${offset} ${timestamp} ${key} ${message.kafka!.headerValues("tag").join(",")}`,
        );
        context.send(kafkaEgressMessage({ typename: "t/out", topic: "out", value: String(offset) }));
      },
    });
    return statefun;
  };
  const first = harness(() => {}, { plan: carrying, functions: functions(true), limits: { carryOverAfterMs: 100 } });
  first.task.accept({
    topic: "in",
    partition: 0,
    task: 0,
    records: [record(0, "slow"), record(1, "slow")],
    nextOffset: 2,
  });
  await first.clock.advance(200);
  equal(first.commits.length, 1, "committed with both messages carried as pending");
  await first.task.close();
  release();
  const next = harness(() => {}, { plan: carrying, functions: functions(false), restore: first.commits });
  await next.clock.advance(100);
  deepEqual(seen, ["in/0@0 1700000000000 slow a,b", "in/0@1 1700000000001 slow a,b"]);
  const out = next.commits.flatMap((batch) => batch.records).filter((r) => r.topic === "out");
  deepEqual(out.map((r) => [decode(r.value), r.headers]), [
    ["0", { traceparent: bytes("tp-0") }],
    ["1", { traceparent: bytes("tp-1") }],
  ]);
  await next.task.close();
});

Deno.test("task: a throwing function is retried with backoff on the clock and applied once", async () => {
  let calls = 0;
  const h = harness((context, text) => {
    if (++calls < 3) throw new Error("flaky");
    counter(context, text);
  });
  h.send(0, 0, ["a", "x"]);
  await h.clock.advance(50);
  equal(calls, 1);
  await h.clock.advance(100); // first backoff: 100 ms
  equal(calls, 2);
  await h.clock.advance(300); // second: 200 ms, then the commit tick
  equal(calls, 3);
  deepEqual(h.commits.flatMap(outputs), ["a:1:x"]);
  await h.task.close();
});

Deno.test("task: a message that fails every attempt stops the task there; its epoch is not committed", async () => {
  const h = harness((context, text) => {
    if (text === "bad") throw new Error("cannot");
    counter(context, text);
  }, { limits: { maxAttempts: 2 } });
  h.send(0, 0, ["a", "good"], ["b", "bad"]);
  await h.clock.advance(1_000);
  deepEqual(h.stopped, ["failed"]);
  equal(h.task.status, "failed");
  deepEqual(h.task.report().failure?.origin, { topic: "in", partition: 0, offset: 1 });
  equal(h.commits.length, 0, "the epoch holding the failed message is dropped, so it is processed again");
  ok(h.flow.includes("pause-all"));
  await h.task.close();
});

Deno.test("task: an unroutable record halts the task after committing what came before it", async () => {
  const h = harness(counter);
  h.send(0, 0, ["a", "1"], [null, "no key"], ["b", "1"]);
  await h.clock.advance(200);
  equal(h.task.status, "failed");
  deepEqual(h.commits.flatMap(outputs), ["a:1:1"]);
  deepEqual(offsetsOf(h.commits.at(-1)!), ["in/0@1"], "committed up to the bad record, not past it");
  deepEqual(h.stopped, ["failed"]);
  await h.task.close();
});

Deno.test("task: back-pressure pauses the ingress above maxQueued and resumes below half", async () => {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  const h = harness(async (context, text) => {
    await blocked;
    counter(context, text);
  }, { limits: { maxQueued: 4, maxInFlight: 1 } });
  h.send(0, 0, ["a", "1"], ["a", "2"], ["a", "3"], ["a", "4"], ["a", "5"]);
  await turn();
  deepEqual(h.flow, ["pause"]);
  release();
  await h.clock.advance(100);
  deepEqual(h.flow, ["pause", "resume"]);
  equal(h.task.report().ingressPauses, 1);
  await h.task.close();
});

Deno.test("task: a record of another task's address is forwarded through the mailbox, not invoked", async () => {
  let calls = 0;
  const h = harness((context, text) => {
    calls++;
    counter(context, text);
  }, { taskCount: 2 });
  const other = keyOf(1, 2);
  h.send(0, 0, [other, "1"], [keyOf(0, 2), "1"]);
  await h.clock.advance(100);
  equal(calls, 1);
  const forwarded = h.commits[0].records.filter((r) => r.topic === "app-mailbox");
  equal(forwarded.length, 1);
  equal(forwarded[0].partition, 1);
  equal(decodeMailboxMessage(forwarded[0].value as Uint8Array).target.id, other);
  await h.task.close();
});

Deno.test("task: a delayed message fires on the clock through the mailbox, in the same commit as its tombstone", async () => {
  const h = harness((context, text) => {
    if (text === "later") return;
    context.sendAfter(
      5_000,
      messageBuilder({ typename: "t/counter", id: context.self.id, value: "later", valueType: TEXT }),
    );
  });
  h.send(0, 0, ["a", "now"]);
  await h.clock.advance(100);
  equal(h.task.report().timers, 1);
  equal(h.commits[0].records.filter((r) => r.topic === "app-mailbox").length, 0);
  await h.clock.advance(5_000);
  const firing = h.commits.slice(1).filter((batch) => batch.records.some((r) => r.topic === "app-mailbox"));
  equal(firing.length, 1);
  const fired = firing[0].records.filter((r) => r.topic === "app-mailbox");
  equal(fired.length, 1);
  ok(firing[0].records.some((r) => r.topic === "app-changelog" && r.value === null), "the timer's tombstone");
  equal(decodeMailboxMessage(fired[0].value as Uint8Array).argument.value.length, "later".length);
  equal(h.task.report().timers, 0);
  await h.task.close();
});

Deno.test("task: state expires after its TTL and the sweep writes its tombstone", async () => {
  const h = harness(counter);
  h.send(0, 0, ["a", "1"]);
  await h.clock.advance(100);
  equal(h.task.report().stateValues, 1);
  await h.clock.advance(180_000); // TTL 120 s, swept every 60 s
  equal(h.task.report().stateValues, 0);
  const tombstones = h.commits.slice(1).flatMap((batch) =>
    batch.records.filter((r) => r.topic === "app-changelog" && r.value === null)
  );
  ok(tombstones.length >= 1, "the expired value is deleted in the changelog");
  await h.task.close();
});

Deno.test("task: a failed commit or a fenced one stops the task with that outcome", async () => {
  for (const fenced of [false, true]) {
    const h = harness(counter, { commit: () => Promise.reject(new CommitError("app-task-0", fenced, "boom")) });
    h.send(0, 0, ["a", "1"]);
    await h.clock.advance(100);
    deepEqual(h.stopped, [fenced ? "fenced" : "commit-failed"]);
    await h.task.close();
  }
});

Deno.test("task: a batching function gets what queued during its call in one call, within one epoch only; a full batch pauses the ingress", async () => {
  const clock = new ManualClock(1_000_000);
  const calls: string[][] = [];
  let release!: () => void;
  let blocked: Promise<void> | undefined = new Promise<void>((resolve) => release = resolve);
  const ports = fakeTaskPorts();
  const { commits, flowCalls: flow } = ports;
  const task = new Task({
    task: 0,
    taskCount: 1,
    plan,
    functions: () => ({
      typename: "t/counter",
      kind: "remote",
      valueSpecs: [],
      batchLimit: 3,
      call(invocation) {
        return this.callBatch!([invocation]);
      },
      async callBatch(invocations) {
        calls.push(invocations.map((i) => new TextDecoder().decode(i.argument.value)));
        if (blocked !== undefined) await blocked;
        return { mutations: [], sent: [], delayed: [], egress: [] };
      },
    }),
    ...ports,
    log: new Logger({ level: "error", write: () => {} }),
    onStopped: () => {},
    clock,
  });
  task.start([{ groupId: "app", topic: "in", partition: 0, offset: 0 }]);
  const send = (offset: number, ...values: string[]) =>
    task.accept({
      topic: "in",
      partition: 0,
      task: 0,
      records: values.map((value, i) => ({
        topic: "in",
        partition: 0,
        offset: offset + i,
        key: UTF8.encode("a"),
        value: UTF8.encode(value),
        timestamp: 0,
        headers: {},
      })),
      nextOffset: offset + values.length,
    });
  send(0, "1"); // in flight, blocked
  await turn();
  send(1, "2", "3"); // same epoch: batches of at most 3
  await turn();
  deepEqual(flow, []);
  send(3, "4", "5");
  await turn();
  deepEqual(flow, ["pause"], "as many waiting as a batch carries: StateFun's back-pressure (maxNumBatchRequests)");
  await clock.advance(100); // the epoch closes
  send(5, "6"); // the next epoch: never in a batch with the ones before
  blocked = undefined;
  release();
  await clock.advance(300);
  deepEqual(calls, [["1"], ["2", "3", "4"], ["5"], ["6"]]);
  deepEqual(flow, ["pause", "resume"]);
  deepEqual(commits.map((batch) => batch.offsets.map((o) => o.offset)), [[5], [6]]);
  equal(task.report().invocations, 6);
  await task.close();
});

Deno.test("task: while records wait in Kafka, epochs double up to 1 s (fewer transactions); caught up, every tick closes one", async () => {
  const h = harness(counter);
  const sendAt = (offset: number, highWatermark: number) =>
    h.task.accept({
      topic: "in",
      partition: 0,
      task: 0,
      records: [
        {
          topic: "in",
          partition: 0,
          offset,
          key: UTF8.encode("a"),
          value: UTF8.encode(String(offset)),
          timestamp: 0,
          headers: {},
        },
      ],
      nextOffset: offset + 1,
      highWatermark,
    });
  const commitsAfter = async (ms: number) => {
    await h.clock.advance(ms);
    return h.commits.length;
  };
  sendAt(0, 100_000); // 99 999 records left to fetch: behind
  equal(await commitsAfter(100), 1, "the first epoch runs the commit interval");
  sendAt(1, 100_000);
  equal(await commitsAfter(100), 1, "the next one runs twice as long");
  equal(await commitsAfter(100), 2);
  sendAt(2, 100_000);
  equal(await commitsAfter(300), 2, "then four times");
  equal(await commitsAfter(100), 3);
  const commitTimes: number[] = [];
  for (let offset = 3; offset < 43; offset++) {
    sendAt(offset, 100_000);
    const before = h.commits.length;
    await h.clock.advance(100);
    if (h.commits.length > before) commitTimes.push(h.clock.now());
  }
  const gaps = commitTimes.slice(1).map((time, i) => time - commitTimes[i]);
  deepEqual(gaps.slice(-2), [1_000, 1_000], `never past 1 s (gaps ${gaps.join(", ")})`);
  const before = h.commits.length;
  sendAt(43, 50); // caught up
  equal(await commitsAfter(100), before + 1, "caught up: the commit interval again");
  deepEqual(offsetsOf(h.commits.at(-1)!), ["in/0@44"]);
  await h.task.close();
});

/** A task whose "s…" ids message a slow function type (its endpoint answers in 2 s); the others count at once. */
function besideASlowType() {
  const clock = new ManualClock(1_000_000);
  const functions = new StateFun();
  functions.bind({
    typename: "t/counter",
    specs: [{ name: "n", type: StateFun.intType() }],
    fn(context, message) {
      if (context.self.id.startsWith("s")) {
        context.send(messageBuilder({ typename: "t/slow", id: context.self.id, value: message.as(TEXT)! }));
      } else counter(context, message.as(TEXT)!);
    },
  });
  functions.bind({
    typename: "t/slow",
    async fn(context, message) {
      await clock.sleep(2_000);
      context.send(
        kafkaEgressMessage({ typename: "t/out", topic: "out", key: "s", value: `slow:${message.asString()}` }),
      );
    },
  });
  return { clock, h: harness(() => {}, { functions, clock }) };
}

Deno.test("task: a slow function type holds back the others' commits only until its messages are carried (1 s), never for its whole call", async () => {
  const { clock, h } = besideASlowType();
  const task = h.task;
  const send = (offset: number, key: string) => h.send(0, offset, [key, String(offset)]);
  const committedOutputs = () => h.commits.flatMap(outputs);
  send(0, "s1");
  send(1, "a");
  await clock.advance(500);
  send(2, "b");
  await clock.advance(100);
  equal(task.report().functions["t/counter"].in, 3, "the other addresses ran while the slow call was out");
  deepEqual(committedOutputs(), [], "their epoch waits for the slow message: the consistent cut");
  await clock.advance(600); // 1.2 s: the first epoch closed at 0.1 s, its slow message is carried at 1.1 s
  deepEqual(committedOutputs(), ["a:1:1", "b:1:2"], "committed once the slow message was carried, not after 2 s");
  equal(task.report().carriedOver, 1);
  await clock.advance(1_000);
  deepEqual(committedOutputs(), ["a:1:1", "b:1:2", "slow:0"], "the slow answer commits in a later epoch");
  await task.close();
});

Deno.test("task: once a function type's call took the carry-over time, its messages are carried at the next tick: the others commit within a tick or two, not a second", async () => {
  const { clock, h } = besideASlowType();
  const committedOutputs = () => h.commits.flatMap(outputs);
  h.send(0, 0, ["s1", "0"]);
  await clock.advance(2_100); // the first slow call: carried after 1 s, answered at 2 s
  deepEqual(committedOutputs(), ["slow:0"]);
  equal(h.task.report().carriedOver, 1);
  h.send(0, 1, ["s1", "1"]);
  h.send(0, 2, ["a", "2"]);
  await clock.advance(200); // the epoch closes at the first tick, the slow message is carried at the next
  deepEqual(committedOutputs(), ["slow:0", "a:1:2"], "not held back by the call known to be slow");
  equal(h.task.report().carriedOver, 2);
  await clock.advance(2_000);
  deepEqual(committedOutputs(), ["slow:0", "a:1:2", "slow:1"], "the slow answer commits in a later epoch, once");
  await h.task.close();
});

Deno.test("task: --trace-every logs a sampled record's walk once its epoch commits: taken in, each hop's call and answer, epoch closed, commit", async () => {
  const lines: string[] = [];
  const h = harness((context, text) => {
    if (context.self.id === "a" && context.caller === null) {
      context.send(messageBuilder({ typename: "t/counter", id: "a", value: `again ${text}`, valueType: TEXT }));
    } else counter(context, text);
  }, { limits: { traceEvery: 2 }, log: new Logger({ level: "info", write: (line) => lines.push(line) }) });
  h.send(0, 0, ["a", "1"], ["b", "1"], ["c", "1"]);
  await h.clock.advance(100);
  const traces = lines.filter((line) => line.includes("trace "));
  equal(traces.length, 2, "offsets 0 and 2 of 3");
  const [first] = traces;
  ok(first.includes("in/0@0: held"), first);
  const stages = [...first.matchAll(/ms ([a-z/ ]+?)(?:,|$| task=)/g)].map((match) => match[1].trim());
  deepEqual(stages, [
    "t/counter call",
    "t/counter applied",
    "t/counter call",
    "t/counter applied",
    "epoch closed",
    "commit started",
    "committed",
  ]);
  await h.task.close();
});
