/**
 * `deno task bench:task`: Eddy's own per-record cost, without a broker or kafkajs. One task over in-memory ports (a
 * committer that accepts every commit, an egress sink that drops records, flow control the driver obeys, the system
 * clock) takes the bench workload's records in fetches of 500 and runs the count (one function) and the greeter (two
 * functions: greeter → deliverer in memory) under both guarantees. Each case prints messages (invocations) per second
 * and CPU microseconds per message, and its ratio to an anchor run in the same invocation: a hand-written loop doing
 * the work any consumer must do for one record (decode its JSON, count per key in a Map, encode the output's JSON).
 * The machines are shared, so the ratio is the figure that compares across runs.
 *
 *   deno task bench:task [--records N] [--profile]
 *
 * `--profile` also records a CPU profile of the count (exactly-once) in a child process through its inspector
 * (bench/cpu_profile.ts) and prints the top of its self time.
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { type EddyApp, moduleYaml } from "./pipelines/eddy_functions.ts";
import { countFunctions, greeterFunctions } from "./pipelines/eddy_functions.ts";
import { KEYS } from "./workload.ts";
import { parseModuleSpec } from "../src/spec/load.ts";
import { planApp } from "../src/runtime/app_plan.ts";
import { Logger } from "../src/runtime/logger.ts";
import type { ConsumedRecord } from "../src/runtime/ports.ts";
import { Task } from "../src/runtime/task/task.ts";
import { fakeTaskPorts, inProcessFunctions } from "../src/runtime/task/task_fakes.ts";
import { profileProcess } from "./cpu_profile.ts";

const FETCH = 500;
const UTF8 = new TextEncoder();

/** One case's figures. */
export interface TaskBenchResult {
  /** `count exactly-once` and so on. */
  name: string;
  /** Input records. */
  records: number;
  /** Invocations done (the greeter runs two per record). */
  messages: number;
  /** Wall time. */
  seconds: number;
  /** CPU time of the process (user + system). */
  cpuSeconds: number;
  /** Commits of the task. */
  commits: number;
}

const built = new Map<number, ConsumedRecord[][]>();

/** The workload's records, keyed by name, in fetches of FETCH (built once per size, before any timing). */
function fetches(records: number): ConsumedRecord[][] {
  const cached = built.get(records);
  if (cached !== undefined) return cached;
  const out: ConsumedRecord[][] = [];
  for (let offset = 0; offset < records; offset += FETCH) {
    const fetch: ConsumedRecord[] = [];
    for (let i = offset; i < Math.min(records, offset + FETCH); i++) {
      const name = `name-${i % KEYS}`;
      fetch.push({
        topic: "in",
        partition: 0,
        offset: i,
        key: UTF8.encode(name),
        value: UTF8.encode(JSON.stringify({ name, sentAt: 1_700_000_000_000 + i })),
        timestamp: 0,
        headers: {},
      });
    }
    out.push(fetch);
  }
  built.set(records, out);
  return out;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Runs one app through one task: every record handed in as the consumer would, until all is committed. */
export async function runTask(app: EddyApp, exactlyOnce: boolean, records: number): Promise<TaskBenchResult> {
  const yaml = moduleYaml(app, { brokers: ["127.0.0.1:9092"], input: "in", group: "bench", exactlyOnce });
  const plan = planApp(parseModuleSpec(yaml, "module.yaml"));
  const functions = app === "count" ? countFunctions("out") : greeterFunctions("out");
  const input = fetches(records);
  let paused = false;
  let resumed: (() => void) | undefined;
  let commits = 0;
  let egressRecords = 0;
  let allCommitted: (() => void) | undefined;
  const ports = fakeTaskPorts({
    commit: (batch) => {
      commits++;
      for (const record of batch.records) if (record.topic === "out") egressRecords++;
      const committed = batch.offsets.find((offset) => offset.topic === "in");
      if (committed !== undefined && committed.offset >= records) allCommitted?.();
      return Promise.resolve();
    },
    onFlow: (call) => {
      paused = call !== "resume";
      if (!paused) resumed?.();
    },
  });
  const task = new Task({
    task: 0,
    taskCount: 1,
    plan,
    functions: inProcessFunctions(functions),
    ...ports,
    log: new Logger({ level: "error", write: () => {} }),
    onStopped: (outcome) => {
      throw new Error(`the task stopped: ${outcome}`);
    },
    limits: { transactionalEgress: exactlyOnce },
  });
  task.start([{ groupId: "bench", topic: "in", partition: 0, offset: 0 }]);
  const done = new Promise<void>((resolve) => allCommitted = resolve);
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  for (const fetch of input) {
    // The consumer's loop: a paused partition is not fetched; a fetch is handed over and the loop turns.
    while (paused) await new Promise<void>((resolve) => resumed = resolve);
    task.accept({ topic: "in", partition: 0, task: 0, records: fetch, nextOffset: fetch.at(-1)!.offset + 1 });
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpuBefore;
  const report = task.report();
  await task.close();
  const messages = report.invocations;
  const expected = app === "count" ? records : 2 * records;
  if (messages !== expected) throw new Error(`${app}: ${messages} invocations, expected ${expected}`);
  egressRecords += ports.sent.length;
  if (egressRecords !== records) throw new Error(`${app}: ${egressRecords} egress records, expected ${records}`);
  return {
    name: `${app} ${exactlyOnce ? "exactly-once" : "at-least-once"}`,
    records,
    messages,
    seconds,
    cpuSeconds: cpu,
    commits,
  };
}

/** The anchor: the work any consumer does per record of the count, in a plain loop. */
export function runAnchor(records: number): TaskBenchResult {
  const input = fetches(records);
  const counts = new Map<string, number>();
  const out: Uint8Array[] = [];
  const decoder = new TextDecoder();
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  for (const fetch of input) {
    for (const record of fetch) {
      const { name, sentAt } = JSON.parse(decoder.decode(record.value!));
      const count = (counts.get(name) ?? 0) + 1;
      counts.set(name, count);
      out.push(UTF8.encode(JSON.stringify({ name, count, sentAt })));
    }
    out.length = 0;
  }
  return {
    name: "anchor: a plain loop",
    records,
    messages: records,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: cpuSeconds() - cpuBefore,
    commits: 0,
  };
}

function row(result: TaskBenchResult, anchor: TaskBenchResult): string {
  const rate = result.messages / result.seconds;
  const micros = result.cpuSeconds * 1e6 / result.messages;
  const anchorRate = anchor.messages / anchor.seconds;
  return `${result.name.padEnd(26)} ${Math.round(rate).toLocaleString("en").padStart(10)} msg/s  ` +
    `${micros.toFixed(2).padStart(7)} µs CPU/msg  x${(rate / anchorRate).toFixed(3)} of the anchor  ` +
    `${String(result.commits).padStart(5)} commits`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      records: { type: "string", default: "200000" },
      profile: { type: "boolean", default: false },
      child: { type: "string" },
    },
  });
  const records = Number(values.records);
  if (values.child !== undefined) {
    // The profiled child: runs the case until the parent has its profile.
    const [app, guarantee] = values.child.split(":") as [EddyApp, string];
    for (;;) await runTask(app, guarantee === "exactly-once", records);
  }
  // Warm-up: the JIT compiles the hot path before anything is timed.
  runAnchor(20_000);
  await runTask("count", true, 20_000);
  await runTask("greeter", true, 20_000);
  const anchor = runAnchor(records);
  console.log(`bench:task — ${records} records in fetches of ${FETCH}, ${KEYS} keys, one task, in-memory ports`);
  console.log(row(anchor, anchor));
  for (const app of ["count", "greeter"] as const) {
    for (const exactlyOnce of [true, false]) console.log(row(await runTask(app, exactlyOnce, records), anchor));
  }
  if (values.profile) {
    const port = 9339;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        `--inspect=127.0.0.1:${port}`,
        new URL(import.meta.url).pathname,
        "--child",
        "count:exactly-once",
        "--records",
        String(records),
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    try {
      console.log("\nCPU profile of count exactly-once (self time, top 25):");
      for (const line of await profileProcess(`127.0.0.1:${port}`, 8, 25)) console.log(line);
    } finally {
      child.kill();
      await child.status;
    }
  }
}
