/**
 * Helpers for runtime tests on the real broker: module specs with unique
 * topics and app ids, an app run in this process (or as a child process that
 * can be SIGKILLed), and exact reads of output topics.
 */

import { parseModuleSpec } from "../../src/spec/load.ts";
import type { ModuleSpec } from "../../src/spec/model.ts";
import { Logger } from "../../src/runtime/logger.ts";
import type { FunctionSource, ProcessingGuarantee } from "../../src/runtime/runtime.ts";
import type { RecordPolicy, TaskLimits } from "../../src/runtime/task/types.ts";
import { type RunningApp, serve } from "../../src/serve/serve.ts";
import { brokers, produce, testKafka, type TestRecord, uniqueName, waitFor, withAdmin } from "../kafka/helpers.ts";

/** One topic of a test ingress. */
export interface TestIngressTopic {
  topic: string;
  targets: string[];
  valueType?: string;
}

/** A test module: one ingress and any egresses. */
export interface TestModule {
  group: string;
  topics: TestIngressTopic[];
  startupPosition?: string;
  autoOffsetResetPosition?: "earliest" | "latest";
  egresses?: { id: string; delivery: "exactly-once" | "at-least-once" | "none" }[];
  /** Kafka client properties of the ingress. */
  properties?: Record<string, string>;
  /** HTTP endpoints (v2, async transport). */
  endpoints?: { functions: string; url: string; callTimeout: string }[];
  /** The ingress's carryHeaders. */
  carryHeaders?: string[];
}

/** The module.yaml text of a test module. */
export function moduleYaml(module: TestModule): string {
  const topics = module.topics.map((topic) =>
    `    - topic: ${topic.topic}
      valueType: ${topic.valueType ?? "test.eddy/text"}
      targets: [${topic.targets.join(", ")}]`
  ).join("\n");
  const egresses = (module.egresses ?? []).map((egress) =>
    `---
kind: io.statefun.kafka.v1/egress
spec:
  id: ${egress.id}
  address: ${brokers.join(",")}
  deliverySemantic:
    type: ${egress.delivery}
${egress.delivery === "exactly-once" ? "    transactionTimeout: 1min\n" : ""}`
  ).join("");
  const endpoints = (module.endpoints ?? []).map((endpoint) =>
    `kind: io.statefun.endpoints.v2/http
spec:
  functions: ${endpoint.functions}
  urlPathTemplate: ${endpoint.url}
  transport:
    type: io.statefun.transports.v1/async
    call: ${endpoint.callTimeout}
---
`
  ).join("");
  return `${endpoints}kind: io.statefun.kafka.v1/ingress
spec:
  id: test.eddy/in
  address: ${brokers.join(",")}
  consumerGroupId: ${module.group}
  startupPosition:
${(module.startupPosition ?? "type: earliest").split("\n").map((line) => `    ${line}`).join("\n")}
  autoOffsetResetPosition: ${module.autoOffsetResetPosition ?? "earliest"}
${module.carryHeaders === undefined ? "" : `  carryHeaders: ${JSON.stringify(module.carryHeaders)}\n`}${
    module.properties === undefined
      ? ""
      : `  properties:\n${
        Object.entries(module.properties).map(([k, v]) => `    - ${k}: ${JSON.stringify(v)}`).join("\n")
      }\n`
  }  topics:
${topics}
${egresses}`;
}

/** The parsed spec of a test module. */
export function testModule(module: TestModule): ModuleSpec {
  return parseModuleSpec(moduleYaml(module), "test-module.yaml");
}

/** Log lines of in-process apps go to stderr only when EDDY_TEST_LOG is set. */
export function testLogger(): Logger {
  const level = Deno.env.get("EDDY_TEST_LOG");
  return new Logger({ level: level === undefined ? "error" : level as "debug", write: (line) => console.error(line) });
}

/** Starts an app in this process. */
export async function startApp(
  module: TestModule,
  functions: FunctionSource,
  options: {
    guarantee?: ProcessingGuarantee;
    appId?: string;
    limits?: Partial<TaskLimits>;
    unroutableRecords?: RecordPolicy;
    failedMessages?: Exclude<RecordPolicy, { type: "skip" }>;
    stateDir?: string;
    logger?: Logger;
  } = {},
): Promise<RunningApp> {
  return await serve({
    unroutableRecords: options.unroutableRecords,
    failedMessages: options.failedMessages,
    module: testModule(module),
    functions,
    appId: options.appId,
    limits: options.limits,
    processingGuarantee: options.guarantee,
    handleSignals: false,
    controlAddr: "none",
    logger: options.logger ?? testLogger(),
    sessionTimeoutMs: 6_000,
    stateDir: options.stateDir,
  });
}

/** Waits until the app runs its tasks (`count` of them, when given), every one of them running. */
export function allTasksRunning(app: RunningApp, count?: number): Promise<void> {
  return waitFor(count === undefined ? "every task to run" : `${count} tasks to run`, () => {
    const tasks = app.runtime.status().tasks;
    return (count === undefined ? tasks.length > 0 : tasks.length === count) &&
      tasks.every((task) => task.status === "running");
  });
}

/** Produces records as a stream, not a backlog: `perRound` at a time, `pauseMs` apart; resolves once all are written. */
export async function produceStream(
  topic: string,
  records: TestRecord[],
  perRound = 100,
  pauseMs = 100,
): Promise<void> {
  for (let from = 0; from < records.length; from += perRound) {
    await produce(topic, records.slice(from, from + perRound));
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/** Stops an app and fails when it did not stop cleanly. */
export async function stopApp(app: RunningApp): Promise<void> {
  const report = await app.stop();
  if (!report.clean) throw new Error(`the app did not stop cleanly: ${report.abandoned.join("; ")}`);
}

/** Deletes an app's internal topics and the test topics. */
export async function cleanUp(appId: string, ...topics: string[]): Promise<void> {
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = [...topics, `${appId}-mailbox`, `${appId}-changelog`].filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
    await admin.deleteGroups([appId]).catch(() => {});
  });
}

/**
 * Reads every committed record of a topic (read_committed), from the start to
 * its last-stable offset at the time of the call.
 */
export async function readAll(topic: string): Promise<TestRecord[]> {
  const ends = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  const remaining = new Map(
    ends.filter(({ high, low }) => Number(high) > Number(low)).map(({ partition, high }) => [partition, Number(high)]),
  );
  const records: TestRecord[] = [];
  if (remaining.size === 0) return records;
  const consumer = testKafka("eddy-test-read-all").consumer({
    groupId: uniqueName("read-all"),
    sessionTimeout: 10_000,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach its end in 30 s`)), 30_000);
      // A fetch of only control markers (or of records a compacted log no longer holds) never reaches eachBatch;
      // its end event still says how far the partition got.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.batchSize > 0 || Number(payload.lastOffset) + 1 < (remaining.get(payload.partition) ?? 0)) return;
        remaining.delete(payload.partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer.run({
        eachBatch: ({ batch }) => {
          for (const message of batch.messages) {
            if (Number(message.offset) >= (remaining.get(batch.partition) ?? 0)) continue;
            records.push({
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              partition: batch.partition,
              offset: message.offset,
            });
          }
          if (Number(batch.lastOffset()) + 1 >= (remaining.get(batch.partition) ?? 0)) {
            remaining.delete(batch.partition);
          }
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Values by key, in offset order per partition (a key's records are all in one partition). */
export function valuesByKey(records: TestRecord[]): Map<string, string[]> {
  const sorted = [...records].sort((a, b) => (a.partition! - b.partition!) || Number(a.offset) - Number(b.offset));
  const byKey = new Map<string, string[]>();
  for (const record of sorted) byKey.set(record.key ?? "", [...byKey.get(record.key ?? "") ?? [], record.value ?? ""]);
  return byKey;
}

/**
 * Starts `eddy run` with the counter functions (tests/runtime/fixtures/counter_main.ts) in a child process, its
 * control API on a free port; stderr is piped (the log), stdout dropped.
 */
export function spawnCounterApp(moduleFile: string, outTopic: string, ...extraArgs: string[]): Deno.ChildProcess {
  return spawnCounterAppWith({}, moduleFile, outTopic, ...extraArgs);
}

/** spawnCounterApp with more environment for the child (EDDY_TEST_HANG_ON). */
export function spawnCounterAppWith(
  env: Record<string, string>,
  moduleFile: string,
  outTopic: string,
  ...extraArgs: string[]
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../mod.ts", import.meta.url).pathname,
      "run",
      "--module",
      moduleFile,
      "--functions",
      new URL("./fixtures/counter_main.ts", import.meta.url).pathname,
      "--control-addr",
      "127.0.0.1:0",
      ...extraArgs,
    ],
    env: { EDDY_TEST_OUT_TOPIC: outTopic, ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
}
