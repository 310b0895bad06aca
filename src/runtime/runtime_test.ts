/**
 * The runtime over fakes of its Kafka ports (no broker): the settings it resolves once and hands down. The app
 * consumer and the task manager work with one session timeout — the ingresses' `session.timeout.ms` when their
 * properties set it — so a task fenced by a newer producer waits two of those before it starts over, not two of the
 * 6 s default.
 */

import { ingressModule } from "../spec/testdata/test_modules.ts";
import { Buffer } from "node:buffer";
import { equal, match, ok } from "node:assert/strict";
import { StateFun } from "../sdk/statefun.ts";
import { parseModuleSpec } from "../spec/load.ts";
import { Logger } from "./logger.ts";
import {
  type AppConsumerPort,
  type AppConsumerSetup,
  type AppKafka,
  type ClusterAdmin,
  CommitError,
  type TaskCommitter,
} from "./ports.ts";
import { Runtime } from "./runtime.ts";

const MODULE = ingressModule();

/** A fake Kafka side with one task whose every commit is fenced; `sessionTimeoutMs` as the properties would set it. */
function fencingKafka(sessionTimeoutMs: number | undefined) {
  const seen = { setup: undefined as AppConsumerSetup | undefined, inits: 0 };
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    partitionCount: (topic: string) => Promise.resolve(topic === "in" ? 1 : undefined),
    ensureTopic: () => Promise.resolve(true),
    topicConfig: () => Promise.resolve(undefined),
    groupOffsets: () => Promise.resolve(new Map<number, number>()),
    topicOffsets: () => Promise.resolve([{ partition: 0, low: 0, high: 0, lastStable: 0 }]),
    stableOffsets: () => Promise.resolve([{ partition: 0, low: 0, lastStable: 0 }]),
  } as unknown as ClusterAdmin;
  const consumer = {
    joined: true,
    tasks: [0],
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    startTask: () => {},
    seek: () => {},
    pauseTask: () => {},
    resumeTask: () => {},
    partitionsOfTask: (task: number, topic: string) => topic === "in" && task === 0 ? [0] : [],
    commitOffsets: () => Promise.resolve(),
  } as AppConsumerPort;
  const committer: TaskCommitter = {
    init: () => {
      seen.inits++;
      return Promise.resolve();
    },
    commit: () => Promise.reject(new CommitError("app-task-0", true, "a newer producer exists")),
    close: () => Promise.resolve(),
  };
  const kafka: AppKafka = {
    warnings: [],
    ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs }),
    admin,
    consumer: (setup) => {
      seen.setup = setup;
      return consumer;
    },
    taskProducer: () => committer,
    recordWriter: () => Promise.reject(new Error("no egress in this module")),
  };
  return { kafka, seen };
}

function counter(): StateFun {
  const functions = new StateFun();
  functions.bind({ typename: "t/counter", fn() {} });
  return functions;
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("runtime: a fenced task waits two session timeouts of the ingresses' session.timeout.ms, then starts over", async () => {
  const { kafka, seen } = fencingKafka(150); // session.timeout.ms: 150 in the ingress's properties
  const lines: string[] = [];
  const runtime = new Runtime({
    module: parseModuleSpec(MODULE, "module.yaml"),
    kafka: () => kafka,
    functions: counter(),
    sessionTimeoutMs: 6_000, // the option: the property wins over it
    commitIntervalMs: 10,
    logger: new Logger({ level: "info", write: (line) => lines.push(line) }),
  });
  await runtime.start();
  try {
    seen.setup!.onAssignment({ assigned: [0], revoked: [], retained: [], expelled: false });
    await until("task 0 to run", () => runtime.task(0)?.status === "running");
    const value = Buffer.from("Ada");
    seen.setup!.onRecords({
      topic: "in",
      partition: 0,
      task: 0,
      records: [{ topic: "in", partition: 0, offset: 0, key: Buffer.from("Ada"), value, timestamp: 0, headers: {} }],
      nextOffset: 1,
    });
    await until("the fenced commit", () => lines.some((line) => line.includes("task fenced")));
    const fenced = lines.find((line) => line.includes("task fenced"))!;
    match(fenced, /waiting 300 ms for the group/);
    const stoppedAt = Date.now();
    await until("the task to start over", () => seen.inits === 2);
    ok(Date.now() - stoppedAt < 3_000, "started over after two session timeouts of 150 ms, not of 6 s");
    equal(seen.setup?.sessionTimeoutMs, 150, "the app consumer's session timeout");
  } finally {
    await runtime.stop(1_000);
  }
});

Deno.test("runtime: without session.timeout.ms in the properties, the option's session timeout is the one used", async () => {
  const { kafka, seen } = fencingKafka(undefined);
  const runtime = new Runtime({
    module: parseModuleSpec(MODULE, "module.yaml"),
    kafka: () => kafka,
    functions: counter(),
    sessionTimeoutMs: 9_000,
    logger: new Logger({ level: "error", write: () => {} }),
  });
  await runtime.start();
  equal(seen.setup?.sessionTimeoutMs, 9_000);
  await runtime.stop(1_000);
});
