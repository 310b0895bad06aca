/**
 * `deno task bench`: the same keyed-count workload (bench/workload.ts) on the
 * same broker, in one invocation, through
 *
 * - the broker's ceiling: Kafka's perf tools (bench/pipelines/kafka_perf_tools.ts);
 * - the client's ceiling: a raw kafkajs consume → produce loop, and a raw
 *   kafkajs loop that writes what Eddy writes per input in one transaction per
 *   100 ms (bench/pipelines/kafkajs_loop.ts, kafkajs_transactional_loop.ts);
 * - Kafka Streams, `exactly_once_v2` and at-least-once (bench/kafka_streams,
 *   bench/pipelines/kafka_streams.ts);
 * - Eddy: the count and the greeter under both guarantees, and remote over
 *   HTTP to the StateFun JS SDK under Node — the greeter (two hops), the count
 *   (one hop), the count beside a 2 s endpoint (bench/pipelines/eddy.ts);
 * - StateFun 3.3 itself on the remote greeter: the same module.yaml and Node SDK
 *   server, checkpoints every 1 s and 200 ms (bench/statefun,
 *   bench/pipelines/statefun.ts).
 *
 * Each pipeline runs as a child process on fresh topics (bench/measure.ts).
 * Prints a line per row, then the table with the ratios to the anchors and
 * where the issue's targets land; writes the results (JSON) and the chart
 * (SVG): to docs/ for a full run, to bench/results/ for a subset.
 *
 * Environment: BENCH_RECORDS (100000), BENCH_RATE (2000), BENCH_LATENCY_SECONDS (10), BENCH_E2E_RECORDS (2000),
 * BENCH_ONLY (ids or id prefixes, comma separated, e.g. `eddy-count-eo,streams`), BENCH_OUT (output folder),
 * BENCH_JAVA_OPTS (-Xmx512m), BENCH_LOG_LEVEL (warn; Eddy's log level), BENCH_INSPECT (`<row id>@<host:port>`: that
 * row's child runs with its inspector open, for bench/cpu_profile.ts), BENCH_MEMORY_FILE (bench/pipelines/eddy.ts).
 *
 * @module
 */

import { renderChart } from "./chart.ts";
import { measurePipeline } from "./measure.ts";
import { eddyPipelines } from "./pipelines/eddy.ts";
import { kafkaPerfTools } from "./pipelines/kafka_perf_tools.ts";
import { kafkaStreamsPipelines } from "./pipelines/kafka_streams.ts";
import { stateFunPipelines } from "./pipelines/statefun.ts";
import { kafkajsLoop } from "./pipelines/kafkajs_loop.ts";
import {
  kafkajsTransactionalLoop,
  kafkajsTransactionalLoopPerPartition,
} from "./pipelines/kafkajs_transactional_loop.ts";
import type { Pipeline, Result } from "./pipelines/pipeline.ts";
import { costTable, describeRun, loadAverage, markdownTable, remoteLines, resultLine, targetLines } from "./report.ts";
import { deleteTopics, KEYS, LATENCY_SECONDS, PARTITIONS, RATE, RECORDS } from "./workload.ts";

const ALL: Pipeline[] = [
  ...kafkaPerfTools,
  kafkajsLoop,
  kafkajsTransactionalLoop,
  kafkajsTransactionalLoopPerPartition,
  ...kafkaStreamsPipelines,
  ...eddyPipelines,
  ...stateFunPipelines,
];

/** The rows BENCH_ONLY picks: an entry names an id or a prefix of ids (`eddy`, `eddy-count`, `streams`). */
function selected(): Pipeline[] {
  const only = Deno.env.get("BENCH_ONLY")?.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (!only?.length) return ALL;
  const matches = (id: string, entry: string) => id === entry || id.startsWith(`${entry}-`);
  const unknown = only.filter((entry) => !ALL.some((pipeline) => matches(pipeline.id, entry)));
  if (unknown.length > 0) {
    console.error(
      `BENCH_ONLY: no row ${unknown.join(", ")}; the rows: ${ALL.map((pipeline) => pipeline.id).join(", ")}`,
    );
    Deno.exit(2);
  }
  return ALL.filter((pipeline) => only.some((entry) => matches(pipeline.id, entry)));
}

const pipelines = selected();
const subset = pipelines.length < ALL.length;
const began = performance.now();
const run = await describeRun({
  command: `${subset ? `BENCH_ONLY=${Deno.env.get("BENCH_ONLY")} ` : ""}deno task bench`,
  records: RECORDS,
  keys: KEYS,
  partitions: PARTITIONS,
  rate: RATE,
  latencySeconds: LATENCY_SECONDS,
});
console.log(
  `keyed count: ${RECORDS} records backlog (${KEYS} keys, ${PARTITIONS} partitions), then ${RATE} rec/s for ` +
    `${LATENCY_SECONDS} s\n${run.machine}; Deno ${run.deno}; ${run.kafka}; ${run.java}\n`,
);

for (const prepare of new Set(pipelines.flatMap((pipeline) => pipeline.kind === "stream" ? [pipeline.prepare] : []))) {
  await prepare?.();
}

const results: Result[] = [];
try {
  for (const pipeline of pipelines) {
    let result: Result;
    try {
      result = pipeline.kind === "tool" ? await pipeline.measure() : await measurePipeline(pipeline);
    } catch (error) {
      console.error(`${pipeline.name}: ${error instanceof Error ? error.message : error}`);
      const { id, name, family, guarantee } = pipeline;
      result = { id, name, family, guarantee, note: "failed" };
    }
    results.push(result);
    console.log(resultLine(result));
  }
} finally {
  await deleteTopics().catch((error) => console.error(`could not delete the bench's topics: ${error}`));
}

run.seconds = Math.round((performance.now() - began) / 1000);
run.loadAtEnd = loadAverage();
console.log(`\n${markdownTable(results)}\n\n${costTable(results)}\n`);
for (const line of targetLines(results)) console.log(line);
const remote = remoteLines(results);
if (remote.length > 0) console.log(`\nremote functions (× StateFun 3.3, 1 s checkpoints):\n${remote.join("\n")}`);

const out = Deno.env.get("BENCH_OUT") ?? new URL(subset ? "./results/" : "../docs/", import.meta.url).pathname;
await Deno.mkdir(out, { recursive: true });
await Deno.writeTextFile(`${out}/bench.json`, JSON.stringify({ run, results }, null, 2) + "\n");
await Deno.writeTextFile(`${out}/bench.svg`, renderChart(results, run));
console.log(
  `\n${results.length} rows in ${run.seconds} s (load average ${run.loadAtStart} at the start, ${run.loadAtEnd} at the end); wrote ${out}bench.json and ${out}bench.svg`,
);
