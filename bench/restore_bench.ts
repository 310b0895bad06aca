/**
 * `deno task bench:restore`: the measurements of issue #12 — restores, restarts, task moves and scale-out — on the
 * shared broker, with every Eddy instance a child process started as a user starts it (`eddy run`,
 * bench/restore/eddy_instance.ts) running the bench's count function (`bench.count/counter`, an int state per name).
 *
 * 1. **restore**: for each size, an app of one task (1-partition topics) whose changelog is filled directly with that
 *    many state records (bench/restore/changelog_fill.ts), then three starts: in memory (a full restore), with an
 *    empty `--state-dir` (a full restore into SQLite), and again with that folder after a graceful stop (from its
 *    checkpoint). Each: spawn → ready (the "task started" line), the records its restore read and how long that took,
 *    the resident set at ready and 3 s later, the peak, and its stop (SIGTERM; exit code). Plus one start of an app
 *    with no state, the memory baseline.
 * 2. **move**: for each size, an app of one task: instance B (with a `--state-dir`) owns the task, A (in memory)
 *    joins; B stops gracefully and A takes the task over (A restores everything: the in-memory move); A processes
 *    1000 inputs (the tail); B starts again with its folder and joins; A stops and B takes over (B restores only the
 *    tail after its checkpoint). Timed: from the SIGTERM to the leaving instance until the other logs "task started".
 * 3. **memory**: memory per in-memory entry in a process of its own (bench/restore/memory_per_entry.ts): Eddy's
 *    restore path into its in-memory store, and plain maps for comparison; V8's heap, external memory and the RSS.
 * 4. **scale**: the count pipeline on a 4-partition backlog, one instance vs two sharing the app. The instances start
 *    on an empty input and settle (two: 2 tasks each); the ingress is paused (control API), the backlog produced, the
 *    ingress resumed: throughput = backlog / (resume → a read_committed reader's last output). Runs alternate. The
 *    reader also counts outputs that repeat a key's count (none under exactly-once, unless state updates were lost).
 *
 * Environment: BENCH_RESTORE_ENTRIES (100000,1000000), BENCH_MOVE_ENTRIES (10000,100000), BENCH_MEMORY_ENTRIES (the
 * largest restore size), BENCH_SCALE_RECORDS (100000), BENCH_SCALE_RUNS (3 of each), BENCH_RESTORE_ONLY
 * (restore,memory,move,scale: the sections to run), BENCH_EDDY_DENO_FLAGS (extra `deno run` flags for the instances,
 * e.g. `--v8-flags=--max-old-space-size=256`), BENCH_OUT (bench/results/), KAFKA_BROKERS (127.0.0.1:9092). Writes
 * `restore.json` there; prints the tables as BENCHMARKS.md shows them.
 *
 * @module
 */

import { machineBusySeconds, treeCpuSeconds } from "./child_process.ts";
import { OutputReader } from "./output_reader.ts";
import { describeRun, formatNumber, loadAverage, markdown } from "./report.ts";
import { fillChangelog, type FillResult } from "./restore/changelog_fill.ts";
import type { MemoryPerEntry } from "./restore/memory_per_entry.ts";
import { type RawRead, rawRead } from "./restore/raw_read.ts";
import { EddyInstance, REBALANCING } from "./restore/eddy_instance.ts";
import { moduleYaml } from "./pipelines/eddy_functions.ts";
import {
  brokerPid,
  BROKERS,
  createdTopics,
  deleteTopics,
  kafka,
  KEYS,
  PARTITIONS,
  produceBacklog,
  RUN,
} from "./workload.ts";
import { KafkaAdmin } from "../src/kafka/admin.ts";

const list = (name: string, fallback: string) =>
  (Deno.env.get(name) ?? fallback).split(",").map((item) => item.trim()).filter((item) => item !== "");
const RESTORE_ENTRIES = list("BENCH_RESTORE_ENTRIES", "100000,1000000").map(Number);
const MOVE_ENTRIES = list("BENCH_MOVE_ENTRIES", "10000,100000").map(Number);
const SCALE_RECORDS = Number(Deno.env.get("BENCH_SCALE_RECORDS") ?? 100_000);
const SCALE_RUNS = Number(Deno.env.get("BENCH_SCALE_RUNS") ?? 3);
const SECTIONS = new Set(list("BENCH_RESTORE_ONLY", "restore,memory,move,scale"));
const MEMORY_ENTRIES = Number(Deno.env.get("BENCH_MEMORY_ENTRIES") ?? Math.max(...RESTORE_ENTRIES));
/** Inputs the move's tail is made of (1000 names, so about as many changelog records). */
const TAIL_INPUTS = 1_000;

const work = await Deno.makeTempDir({ prefix: "eddy-restore-bench-" });
/** Consumer groups to delete at the end: the apps' and the raw readers'. */
const groups: string[] = [];
const admin = new KafkaAdmin(kafka);
await admin.connect();

/** A new app: its input and output topics (`partitions` each) and its module file. */
async function newApp(slug: string, partitions: number) {
  const app = `bench-${RUN}-${slug}`;
  const input = `${app}-in`, output = `${app}-out`;
  for (const topic of [input, output]) await admin.ensureTopic({ topic, partitions });
  createdTopics.push(input, output, `${app}-mailbox`, `${app}-changelog`);
  groups.push(app);
  const module = `${work}/${slug}.yaml`;
  await Deno.writeTextFile(module, moduleYaml("count", { brokers: BROKERS, input, group: app, exactlyOnce: true }));
  return { app, input, output, module, changelog: `${app}-changelog`, tasks: partitions };
}
type App = Awaited<ReturnType<typeof newApp>>;

function instance(app: App, name: string, stateDir?: string): EddyInstance {
  return new EddyInstance({ name, module: app.module, output: app.output, stateDir });
}

/** Starts Eddy once on the app so it creates its internal topics as it does (no state yet), and stops it. */
async function createInternalTopics(app: App): Promise<void> {
  const eddy = instance(app, `${app.app}: first start`);
  await eddy.tasksStarted(app.tasks);
  const { code } = await eddy.stop();
  if (code !== 0) throw new Error(`${app.app}: the first start exited with ${code}`);
}

async function changelogEnd(app: App): Promise<number> {
  return (await admin.stableOffsets(app.changelog)).reduce((sum, partition) => sum + partition.lastStable, 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function folderBytes(path: string): Promise<number> {
  let bytes = 0;
  for await (const entry of Deno.readDir(path)) {
    const full = `${path}/${entry.name}`;
    bytes += entry.isDirectory ? await folderBytes(full) : (await Deno.stat(full)).size;
  }
  return bytes;
}

// ---- 1. restore ------------------------------------------------------------------------------------------------

interface StartRow {
  entries: number;
  start: string;
  restored: number;
  restoreMs: number;
  /** Spawn → control API bound (Deno's start, the module and the functions loaded). */
  bootMs: number;
  /** Spawn → "task started". */
  readyMs: number;
  stateValues: number;
  rssAtReadyMiB: number;
  rssLaterMiB: number;
  peakRssMiB: number;
  stopMs: number;
  exitCode: number;
  /** CPU time of the instance from its spawn to ready, and of the broker meanwhile (s). */
  cpuSeconds: number;
  brokerCpuSeconds?: number;
  /** /proc/loadavg's 1-minute load when it was ready. */
  load: string;
  /** Bytes of the state folder after the stop (SQLite starts). */
  folderBytes?: number;
  /** What looks wrong, if anything. */
  oddity?: string;
}

/** Starts an instance on an app of one task, waits until it is ready, measures it, stops it. */
async function measureStart(app: App, entries: number, start: string, stateDir?: string): Promise<StartRow> {
  const broker = brokerPid();
  const brokerCpu0 = broker === undefined ? NaN : treeCpuSeconds(broker);
  const eddy = instance(app, `${app.app}: ${start}`, stateDir);
  try {
    const [started] = await eddy.tasksStarted(1);
    const rssAtReadyMiB = eddy.rssMiB();
    const cpuSeconds = eddy.cpuSeconds();
    const brokerCpuSeconds = broker === undefined ? undefined : treeCpuSeconds(broker) - brokerCpu0;
    const load = loadAverage().split(" ")[0];
    const status = await eddy.statusWhen("ready", (s) => s.ready);
    await sleep(3_000);
    const rssLaterMiB = eddy.rssMiB();
    const peakRssMiB = eddy.peakRssMiB();
    const bootLine = eddy.lines.find((line) => line.message.startsWith("control API at"));
    const { code, stopMs } = await eddy.stop();
    const task = status.tasks[0];
    const oddities: string[] = [];
    if (task?.restoredRecords !== started.restored) {
      oddities.push(`status says ${task?.restoredRecords} restored records, the log ${started.restored}`);
    }
    if (started.stateValues !== entries) oddities.push(`${started.stateValues} state values, not ${entries}`);
    if (code !== 0) oddities.push(`exit code ${code}`);
    for (const problem of eddy.problems()) oddities.push(problem);
    const row: StartRow = {
      entries,
      start,
      restored: started.restored,
      restoreMs: started.restoreMs,
      bootMs: bootLine === undefined ? NaN : Date.parse(bootLine.time) - eddy.spawnedAt,
      readyMs: started.at - eddy.spawnedAt,
      stateValues: started.stateValues,
      rssAtReadyMiB,
      rssLaterMiB,
      peakRssMiB,
      stopMs,
      exitCode: code,
      cpuSeconds,
      brokerCpuSeconds,
      load,
      ...(stateDir === undefined ? {} : { folderBytes: await folderBytes(stateDir) }),
      ...(oddities.length === 0 ? {} : { oddity: oddities.join("; ") }),
    };
    console.log(
      `  ${start}: ${row.restored} records restored in ${(row.restoreMs / 1000).toFixed(2)} s ` +
        `(${formatNumber(rate(row))} records/s), ready after ${(row.readyMs / 1000).toFixed(2)} s, ` +
        `RSS ${row.rssAtReadyMiB.toFixed(0)} MiB at ready, ${row.rssLaterMiB.toFixed(0)} MiB 3 s later, peak ` +
        `${row.peakRssMiB.toFixed(0)} MiB; CPU until ready ${row.cpuSeconds.toFixed(1)} s (broker ` +
        `${row.brokerCpuSeconds?.toFixed(1)} s); stopped in ${(row.stopMs / 1000).toFixed(2)} s (exit ${code})` +
        (row.oddity === undefined ? "" : `; ODD: ${row.oddity}`),
    );
    return row;
  } finally {
    if (eddy.exitCode === undefined) await eddy.stop();
  }
}

const rate = (row: { restored: number; restoreMs: number }) =>
  row.restoreMs > 0 ? row.restored / (row.restoreMs / 1000) : NaN;

interface Fill extends FillResult {
  entries: number;
  /** A plain kafkajs consumer reading the filled changelog (the client's ceiling). */
  raw: RawRead;
}

async function restoreSection(): Promise<{ rows: StartRow[]; fills: Fill[] }> {
  const rows: StartRow[] = [];
  const fills: Fill[] = [];
  for (const entries of RESTORE_ENTRIES) {
    console.log(`restore: one task with ${formatNumber(entries)} entries`);
    const app = await newApp(`restore-${entries}`, 1);
    await createInternalTopics(app);
    if (rows.length === 0) rows.push(await measureStart(app, 0, "no state (baseline)"));
    const fill = await fillChangelog(kafka, app.changelog, 1, entries);
    console.log(
      `  filled ${app.changelog} with ${formatNumber(fill.records)} records (${formatNumber(fill.bytes)} bytes of ` +
        `keys and values) in ${fill.seconds.toFixed(1)} s; changelog end ${await changelogEnd(app)}`,
    );
    const rawGroup = `${app.app}-raw-read`;
    groups.push(rawGroup);
    const raw = await rawRead(kafka, app.changelog, entries, rawGroup);
    fills.push({ ...fill, entries, raw });
    console.log(`  a plain kafkajs consumer reads it at ${formatNumber(raw.recordsPerSecond)} records/s`);
    rows.push(await measureStart(app, entries, "in memory"));
    const dir = `${work}/state-${entries}`;
    rows.push(await measureStart(app, entries, "--state-dir, empty folder", dir));
    rows.push(await measureStart(app, entries, "--state-dir, after a graceful stop", dir));
  }
  return { rows, fills };
}

// ---- memory per entry (in process) -------------------------------------------------------------------------------

async function memorySection(): Promise<MemoryPerEntry[]> {
  console.log(`memory: ${formatNumber(MEMORY_ENTRIES)} entries in one process, per mode`);
  const rows: MemoryPerEntry[] = [];
  for (const mode of ["eddy", "own", "views", "ids"]) {
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--v8-flags=--expose-gc",
        new URL("./restore/memory_per_entry.ts", import.meta.url).pathname,
        mode,
        String(MEMORY_ENTRIES),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!success) throw new Error(`memory probe ${mode}: ${new TextDecoder().decode(stderr)}`);
    const row: MemoryPerEntry = JSON.parse(new TextDecoder().decode(stdout));
    rows.push(row);
    console.log(
      `  ${mode}: heap ${row.heapUsed.toFixed(0)} B + external ${row.external.toFixed(0)} B, RSS ` +
        `${row.rss.toFixed(0)} B per entry (value ${row.valueBytes} B, record ${row.recordBytes} B)`,
    );
  }
  return rows;
}

// ---- 2. move ---------------------------------------------------------------------------------------------------

interface MoveRow {
  entries: number;
  move: string;
  /** Changelog records the new owner's restore read. */
  restored: number;
  restoreMs: number;
  /** SIGTERM → the leaving instance's exit. */
  sourceStopMs: number;
  /** SIGTERM → the new owner's kafkajs notice that the group rebalances (its next heartbeat after the leave). */
  noticedMs: number;
  /** SIGTERM → the new owner's "task started". */
  moveMs: number;
  /** The changelog's entries after the new owner's checkpoint (records and transaction markers), when it had one. */
  tailEntries?: number;
  oddity?: string;
}

/** SIGTERM to `source`; resolves once `target` logged its next "task started". */
async function move(
  source: EddyInstance,
  target: EddyInstance,
  entries: number,
  name: string,
  expectValues: number,
): Promise<MoveRow> {
  const before = target.started.length;
  const linesBefore = target.lines.length;
  const sent = Date.now();
  const stopping = source.stop();
  const [started] = await target.tasksStarted(1, before);
  const stopped = await stopping;
  const oddities: string[] = [];
  if (stopped.code !== 0) oddities.push(`the leaving instance exited with ${stopped.code}`);
  if (started.stateValues !== expectValues) oddities.push(`${started.stateValues} state values, not ${expectValues}`);
  for (const problem of source.problems()) oddities.push(`leaving: ${problem}`);
  const row: MoveRow = {
    entries,
    move: name,
    restored: started.restored,
    restoreMs: started.restoreMs,
    sourceStopMs: stopped.stopMs,
    noticedMs: Date.parse(target.lines.slice(linesBefore).find((line) => REBALANCING.test(line.message))?.time ?? "") -
      sent,
    moveMs: started.at - sent,
    ...(oddities.length === 0 ? {} : { oddity: oddities.join("; ") }),
  };
  console.log(
    `  ${name}: task running on the other instance ${(row.moveMs / 1000).toFixed(2)} s after the SIGTERM (the ` +
      `leaving one exited after ${(row.sourceStopMs / 1000).toFixed(2)} s; ${row.restored} records restored in ` +
      `${(row.restoreMs / 1000).toFixed(2)} s)${row.oddity === undefined ? "" : `; ODD: ${row.oddity}`}`,
  );
  return row;
}

/** Both instances in the group, the joining one ready (no task). */
async function joined(instance: EddyInstance): Promise<void> {
  await instance.statusWhen("group of 2, ready", (status) => status.ready && status.group.length === 2);
}

async function moveSection(): Promise<MoveRow[]> {
  const rows: MoveRow[] = [];
  for (const entries of MOVE_ENTRIES) {
    console.log(`move: one task with ${formatNumber(entries)} entries`);
    const app = await newApp(`move-${entries}`, 1);
    await createInternalTopics(app);
    await fillChangelog(kafka, app.changelog, 1, entries);
    const dirB = `${work}/move-${entries}-b`;
    const running: EddyInstance[] = [];
    const reader = new OutputReader(kafka, app.output);
    try {
      const b = instance(app, `${app.app}: B`, dirB);
      running.push(b);
      const [owned] = await b.tasksStarted(1);
      console.log(`  B (--state-dir) owns the task: ${owned.restored} records restored into SQLite`);
      const a = instance(app, `${app.app}: A`);
      running.push(a);
      await joined(a);
      rows.push(await move(b, a, entries, "B leaves → A (in memory: a full restore)", entries));
      await reader.start();
      await produceBacklog(app.input, TAIL_INPUTS);
      await reader.until(TAIL_INPUTS);
      const tailEntries = await changelogEnd(app) - entries;
      const b2 = instance(app, `${app.app}: B again`, dirB);
      running.push(b2);
      await joined(b2);
      const back = await move(a, b2, entries, "A leaves → B again (its local checkpoint: the tail)", entries);
      rows.push({ ...back, tailEntries });
      const { code } = await b2.stop();
      if (code !== 0) console.error(`  B exited with ${code}`);
    } finally {
      for (const eddy of running) if (eddy.exitCode === undefined) await eddy.stop();
      await reader.stop();
    }
  }
  return rows;
}

// ---- 3. scale ----------------------------------------------------------------------------------------------------

interface ScaleRow {
  instances: number;
  run: number;
  throughput: number;
  seconds: number;
  outputs: number;
  duplicates: number;
  /** Inputs each instance processed (its tasks' invocations). */
  split: number[];
  /** CPU seconds per 1000 inputs: the instances', the broker's, the rest of the machine's (cores busy). */
  cpuEddyMsPer1000: number;
  cpuBrokerMsPer1000?: number;
  otherCores: number;
  peakRssMiB: number[];
  /** Two instances: spawn of the second → its 2 tasks running (what it took to scale out, nearly no state). */
  joinMs?: number;
  exitCodes: number[];
}

async function scaleRun(count: 1 | 2, run: number): Promise<ScaleRow> {
  const app = await newApp(`scale-${count}-${run}`, 4);
  const reader = new OutputReader(kafka, app.output);
  await reader.start();
  const instances: EddyInstance[] = [];
  try {
    const a = instance(app, `${app.app}: A`);
    instances.push(a);
    await a.tasksStarted(4);
    let joinMs: number | undefined;
    if (count === 2) {
      const b = instance(app, `${app.app}: B`);
      instances.push(b);
      const started = await b.tasksStarted(2);
      joinMs = Math.max(...started.map((task) => task.at)) - b.spawnedAt;
      await a.statusWhen("2 tasks", (s) => s.tasks.length === 2 && s.tasks.every((t) => t.status === "running"));
    }
    for (const eddy of instances) await eddy.statusWhen("ready", (s) => s.ready);
    await a.post("/v1/ingresses/bench.count/in/pause");
    await produceBacklog(app.input, SCALE_RECORDS);
    const broker = brokerPid();
    const cpu = () => instances.reduce((sum, eddy) => sum + eddy.cpuSeconds(), 0);
    const [eddyCpu0, brokerCpu0, benchCpu0, machine0] = [
      cpu(),
      broker === undefined ? NaN : treeCpuSeconds(broker),
      treeCpuSeconds(Deno.pid),
      machineBusySeconds(),
    ];
    await a.post("/v1/ingresses/bench.count/in/resume");
    const resumed = performance.now();
    const failed = Promise.race(instances.map((eddy) => eddy.child.failure()));
    await Promise.race([reader.until(SCALE_RECORDS), failed]);
    const seconds = (performance.now() - resumed) / 1000;
    const eddyCpu = cpu() - eddyCpu0;
    const brokerCpu = broker === undefined ? undefined : treeCpuSeconds(broker) - brokerCpu0;
    const benchCpu = treeCpuSeconds(Deno.pid) - benchCpu0 - eddyCpu;
    const other = machineBusySeconds() - machine0 - eddyCpu - (brokerCpu ?? 0) - benchCpu;
    const statuses = await Promise.all(instances.map((eddy) => eddy.status()));
    const split = statuses.map((status) => status.tasks.reduce((sum, task) => sum + task.invocations, 0));
    const peakRssMiB = instances.map((eddy) => eddy.peakRssMiB());
    await sleep(1_000); // duplicates would still arrive
    const exitCodes = [];
    for (const eddy of instances) exitCodes.push((await eddy.stop()).code);
    const row: ScaleRow = {
      instances: count,
      run,
      throughput: SCALE_RECORDS / seconds,
      seconds,
      outputs: reader.count,
      duplicates: reader.duplicates,
      split,
      cpuEddyMsPer1000: (eddyCpu * 1000) / (SCALE_RECORDS / 1000),
      cpuBrokerMsPer1000: brokerCpu === undefined ? undefined : (brokerCpu * 1000) / (SCALE_RECORDS / 1000),
      otherCores: other / seconds,
      peakRssMiB,
      joinMs,
      exitCodes,
    };
    console.log(
      `  ${count} instance(s), run ${run}: ${formatNumber(row.throughput)} rec/s (${seconds.toFixed(1)} s; ` +
        `${row.outputs} outputs, ${row.duplicates} duplicates; split ${split.join(" / ")}); CPU ` +
        `${row.cpuEddyMsPer1000.toFixed(0)} ms per 1000 inputs (broker ${row.cpuBrokerMsPer1000?.toFixed(0)}), ` +
        `other work ${row.otherCores.toFixed(2)} cores; peak RSS ${peakRssMiB.map((m) => m.toFixed(0)).join(" / ")} ` +
        `MiB${joinMs === undefined ? "" : `; B ran its 2 tasks ${(joinMs / 1000).toFixed(2)} s after its spawn`}; ` +
        `exit ${exitCodes.join(", ")}`,
    );
    return row;
  } finally {
    for (const eddy of instances) if (eddy.exitCode === undefined) await eddy.stop();
    await reader.stop();
  }
}

async function scaleSection(): Promise<ScaleRow[]> {
  console.log(`scale: the count pipeline on a backlog of ${formatNumber(SCALE_RECORDS)} inputs, 4 partitions`);
  const rows: ScaleRow[] = [];
  for (let run = 1; run <= SCALE_RUNS; run++) {
    rows.push(await scaleRun(1, run));
    rows.push(await scaleRun(2, run));
  }
  return rows;
}

// ---- the run -------------------------------------------------------------------------------------------------------

const began = performance.now();
const runInfo = await describeRun({
  command: "deno task bench:restore",
  records: SCALE_RECORDS,
  keys: KEYS,
  partitions: PARTITIONS,
  rate: 0,
  latencySeconds: 0,
});
console.log(`${runInfo.machine}; Deno ${runInfo.deno}; ${runInfo.kafka}; load average ${runInfo.loadAtStart}\n`);

const failures: string[] = [];
async function section<T>(name: string, body: () => Promise<T>): Promise<T | undefined> {
  if (!SECTIONS.has(name)) return undefined;
  try {
    return await body();
  } catch (error) {
    const message = `${name}: ${error instanceof Error ? error.message : error}`;
    console.error(message);
    failures.push(message);
    return undefined;
  }
}

let restore: Awaited<ReturnType<typeof restoreSection>> | undefined;
let memory: MemoryPerEntry[] | undefined;
let moves: MoveRow[] | undefined;
let scale: ScaleRow[] | undefined;
try {
  restore = await section("restore", restoreSection);
  memory = await section("memory", memorySection);
  moves = await section("move", moveSection);
  scale = await section("scale", scaleSection);
} finally {
  await admin.deleteGroups(groups).catch((error) => console.error(`could not delete the bench's groups: ${error}`));
  await deleteTopics().catch((error) => console.error(`could not delete the bench's topics: ${error}`));
  await admin.disconnect();
  await Deno.remove(work, { recursive: true });
}

const seconds = (value: number) => (value / 1000).toFixed(2);
const ratioToRaw = (row: StartRow) => {
  const raw = restore?.fills.find((fill) => fill.entries === row.entries)?.raw.recordsPerSecond;
  return raw === undefined ? "–" : `×${(rate(row) / raw).toFixed(2)}`;
};
const mib = (value: number) => value.toFixed(0);
console.log();
if (restore !== undefined) {
  console.log(markdown(
    [
      "entries",
      "start",
      "records restored",
      "restore (s)",
      "restore rate (records/s)",
      "× plain kafkajs read",
      "spawn → control API (s)",
      "spawn → ready (s)",
      "RSS at ready (MiB)",
      "RSS 3 s later (MiB)",
      "peak RSS (MiB)",
      "CPU until ready, Eddy / broker (s)",
      "stop (s)",
      "load",
    ],
    restore.rows.map((row) => [
      formatNumber(row.entries),
      row.start,
      formatNumber(row.restored),
      seconds(row.restoreMs),
      row.restored === 0 ? "–" : formatNumber(rate(row)),
      row.restored === 0 ? "–" : ratioToRaw(row),
      seconds(row.bootMs),
      seconds(row.readyMs),
      mib(row.rssAtReadyMiB),
      mib(row.rssLaterMiB),
      mib(row.peakRssMiB),
      `${row.cpuSeconds.toFixed(1)} / ${row.brokerCpuSeconds?.toFixed(1) ?? "–"}`,
      `${seconds(row.stopMs)}${row.exitCode === 0 ? "" : ` (exit ${row.exitCode})`}`,
      row.load,
    ]),
  ));
  const baseline = restore.rows.find((row) => row.entries === 0);
  if (baseline !== undefined) {
    console.log();
    console.log(markdown(
      ["entries", "start", "RSS at ready − baseline, per entry (B)", "3 s later (B)", "peak − baseline peak (B)"],
      restore.rows.filter((row) => row.entries > 0).map((row) => [
        formatNumber(row.entries),
        row.start,
        formatNumber(((row.rssAtReadyMiB - baseline.rssAtReadyMiB) * 2 ** 20) / row.entries),
        formatNumber(((row.rssLaterMiB - baseline.rssLaterMiB) * 2 ** 20) / row.entries),
        formatNumber(((row.peakRssMiB - baseline.peakRssMiB) * 2 ** 20) / row.entries),
      ]),
    ));
  }
  for (const fill of restore.fills) {
    const perRecord = (fill.bytes / fill.records).toFixed(1);
    console.log(
      `fill of ${formatNumber(fill.entries)}: ${fill.seconds.toFixed(1)} s, ${perRecord} bytes of key and value per ` +
        `record; a plain kafkajs consumer read it at ${formatNumber(fill.raw.recordsPerSecond)} records/s`,
    );
  }
  for (const row of restore.rows) {
    if (row.folderBytes !== undefined) {
      console.log(
        `state folder after "${row.start}" (${formatNumber(row.entries)}): ${mib(row.folderBytes / 2 ** 20)} MiB`,
      );
    }
  }
}
if (memory !== undefined) {
  console.log();
  console.log(markdown(
    ["mode", "entries", "V8 heap per entry (B)", "external per entry (B)", "RSS per entry (B)", "value / record (B)"],
    memory.map((row) => [
      row.mode,
      formatNumber(row.entries),
      formatNumber(row.heapUsed),
      formatNumber(row.external),
      formatNumber(row.rss),
      `${row.valueBytes} / ${row.recordBytes}`,
    ]),
  ));
}
if (moves !== undefined) {
  console.log();
  console.log(markdown(
    [
      "entries",
      "move",
      "records restored",
      "tail after the checkpoint (entries)",
      "leaving instance's stop (s)",
      "rebalance noticed (s)",
      "restore (s)",
      "SIGTERM → task running (s)",
    ],
    moves.map((row) => [
      formatNumber(row.entries),
      row.move,
      formatNumber(row.restored),
      row.tailEntries === undefined ? "–" : formatNumber(row.tailEntries),
      seconds(row.sourceStopMs),
      seconds(row.noticedMs),
      seconds(row.restoreMs),
      seconds(row.moveMs),
    ]),
  ));
}
if (scale !== undefined) {
  console.log();
  const one = scale.filter((row) => row.instances === 1);
  const mean = (rows: ScaleRow[]) => rows.reduce((sum, row) => sum + row.throughput, 0) / rows.length;
  console.log(markdown(
    [
      "instances",
      "run",
      "throughput (rec/s)",
      "× 1 instance (same run)",
      "inputs per instance",
      "CPU, Eddy (ms / 1000 inputs)",
      "CPU, broker (ms / 1000 inputs)",
      "other work (cores busy)",
      "peak RSS (MiB)",
      "outputs / inputs",
      "outputs repeating a key's count",
    ],
    scale.map((row) => {
      const base = one.find((other) => other.run === row.run);
      return [
        String(row.instances),
        String(row.run),
        formatNumber(row.throughput),
        base === undefined ? "–" : `×${(row.throughput / base.throughput).toFixed(2)}`,
        row.split.map((n) => formatNumber(n)).join(" / "),
        formatNumber(row.cpuEddyMsPer1000),
        formatNumber(row.cpuBrokerMsPer1000),
        row.otherCores.toFixed(2),
        row.peakRssMiB.map(mib).join(" / "),
        `${formatNumber(row.outputs)} / ${formatNumber(SCALE_RECORDS)}`,
        formatNumber(row.duplicates),
      ];
    }),
  ));
  const two = scale.filter((row) => row.instances === 2);
  if (one.length > 0 && two.length > 0) {
    console.log(
      `\nmean: 1 instance ${formatNumber(mean(one))} rec/s, 2 instances ${formatNumber(mean(two))} rec/s ` +
        `(×${(mean(two) / mean(one)).toFixed(2)}); the second instance ran its 2 tasks ` +
        `${two.map((row) => seconds(row.joinMs ?? NaN)).join(", ")} s after its spawn`,
    );
  }
}

const oddities = [
  ...(restore?.rows ?? []).filter((row) => row.oddity).map((row) => `${row.entries} ${row.start}: ${row.oddity}`),
  ...(moves ?? []).filter((row) => row.oddity).map((row) => `${row.entries} ${row.move}: ${row.oddity}`),
  ...(scale ?? []).filter((row) =>
    row.outputs !== SCALE_RECORDS || row.duplicates > 0 || row.exitCodes.some((code) => code !== 0)
  ).map((row) =>
    `${row.instances} instance(s) run ${row.run}: ${row.outputs} outputs, ${row.duplicates} of them repeat a key's ` +
    `count (exactly-once allows none: state updates were lost), exit ${row.exitCodes.join(", ")}`
  ),
  ...failures,
];
if (oddities.length > 0) console.log(`\noddities:\n${oddities.map((line) => `- ${line}`).join("\n")}`);

const total = Math.round((performance.now() - began) / 1000);
const out = Deno.env.get("BENCH_OUT") ?? new URL("./results/", import.meta.url).pathname;
await Deno.mkdir(out, { recursive: true });
await Deno.writeTextFile(
  `${out}/restore.json`,
  JSON.stringify(
    { run: { ...runInfo, seconds: total, loadAtEnd: loadAverage() }, restore, memory, moves, scale, oddities },
    null,
    2,
  ) +
    "\n",
);
console.log(
  `\n${total} s (load average ${runInfo.loadAtStart} at the start, ${loadAverage()} at the end); wrote ${out}restore.json`,
);
if (failures.length > 0) Deno.exit(1);
