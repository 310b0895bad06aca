/**
 * The bench's report: the machine it ran on, one line per row as it finishes,
 * the table (Markdown, as BENCHMARKS.md shows it) with the ratios to the
 * anchors, where the issue's targets land, and the remote rows side by side
 * (Eddy against StateFun 3.3 on the same module and SDK server, in the same
 * invocation).
 *
 * @module
 */

import type { Result } from "./pipelines/pipeline.ts";

/** Where and how the run happened. */
export interface RunInfo {
  date: string;
  command: string;
  machine: string;
  deno: string;
  kafka: string;
  java: string;
  records: number;
  keys: number;
  partitions: number;
  rate: number;
  latencySeconds: number;
  /** Wall time of the whole run (s), once done. */
  seconds?: number;
  /** /proc/loadavg's 1, 5 and 15 minute load at the start and at the end (the machine is shared). */
  loadAtStart?: string;
  loadAtEnd?: string;
}

/** Describes this machine and the versions in play. */
export async function describeRun(workload: Omit<RunInfo, "date" | "machine" | "deno" | "kafka" | "java">) {
  const read = (path: string) => {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      return "";
    }
  };
  const cpu = /^model name\s*:\s*(.+)$/m.exec(read("/proc/cpuinfo"))?.[1]?.trim() ?? "unknown CPU";
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(read("/proc/meminfo"))?.[1] ?? 0);
  const pom = read(new URL("../scripts/kafka/pom.xml", import.meta.url).pathname);
  const kafka = /<kafka.version>(.+)<\/kafka.version>/.exec(pom)?.[1] ?? "unknown";
  let java = "unknown";
  try {
    const { stderr } = await new Deno.Command("java", { args: ["-version"], stdout: "null", stderr: "piped" }).output();
    java = new TextDecoder().decode(stderr).split("\n")[0].replace(/^openjdk version /, "OpenJDK ").replaceAll('"', "");
  } catch {
    // no java: the Java rows fail and say so
  }
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    machine: `${navigator.hardwareConcurrency} cores (${cpu}), ${(memKiB / 2 ** 20).toFixed(0)} GiB RAM`,
    deno: Deno.version.deno,
    kafka: `Apache Kafka ${kafka} (one KRaft node on loopback)`,
    java,
    loadAtStart: loadAverage(),
    ...workload,
  } satisfies RunInfo;
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

/** The anchors a row is compared with. */
export interface Anchors {
  kafkajsLoop?: Result;
  transactionalLoop?: Result;
  streams: Partial<Record<"exactly-once" | "at-least-once", Result>>;
}

/** Picks the anchors out of the results. */
export function anchorsOf(results: Result[]): Anchors {
  const ok = (id: string) => results.find((result) => result.id === id && result.throughput !== undefined);
  return {
    kafkajsLoop: ok("kafkajs-loop"),
    transactionalLoop: ok("kafkajs-tx-loop"),
    streams: { "exactly-once": ok("streams-eo"), "at-least-once": ok("streams-alo") },
  };
}

/** `×0.42`, or `–` when either side is missing. */
export function ratio(value: number | undefined, anchor: number | undefined, digits = 2): string {
  if (value === undefined || anchor === undefined || !Number.isFinite(value) || !anchor) return "–";
  return `×${(value / anchor).toFixed(digits)}`;
}

/** 12 345 (thin groups, as BENCHMARKS.md writes numbers). */
export function formatNumber(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  const [whole, fraction] = value.toFixed(digits).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** One line for a finished row. */
export function resultLine(result: Result): string {
  const parts = [result.name.padEnd(48)];
  if (result.throughput !== undefined) parts.push(`${formatNumber(result.throughput).padStart(9)} rec/s`);
  if (result.p50 !== undefined) parts.push(`p50 ${result.p50} ms, p99 ${result.p99} ms (${result.latencyKind})`);
  if (result.peakRssMiB !== undefined) parts.push(`peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
  if (result.startupMs !== undefined) parts.push(`ready after ${(result.startupMs / 1000).toFixed(1)} s`);
  if (result.outputs !== undefined) {
    parts.push(`${result.outputs} outputs for ${result.inputs} inputs (${result.duplicates} duplicates)`);
  }
  if (result.maxStallMs !== undefined) parts.push(`longest loop stall ${result.maxStallMs} ms`);
  if (result.writes !== undefined) {
    const { output, outputMarkers, byTopic } = result.writes;
    const state = Object.entries(byTopic).map(([topic, count]) => `${count} in ${topic}`).join(", ");
    parts.push(`wrote ${output} output entries (${outputMarkers} markers), ${state || "no state"}`);
  }
  if (result.commits != null) {
    parts.push(`${result.commits} commits (mean ${result.meanCommitMs?.toFixed(1) ?? "?"} ms)`);
  }
  if (result.carriedOver != null) parts.push(`${result.carriedOver} carried over`);
  if (result.cpuSeconds !== undefined) {
    parts.push(`CPU ${result.cpuSeconds.toFixed(1)} s, broker ${result.brokerCpuSeconds?.toFixed(1) ?? "?"} s`);
  }
  if (result.sdkCpuSeconds !== undefined) {
    parts.push(
      `SDK server CPU ${result.sdkCpuSeconds.toFixed(1)} s, peak RSS ${result.sdkPeakRssMiB?.toFixed(0) ?? "?"} MiB`,
    );
  }
  if (result.note !== undefined) parts.push(result.note);
  return parts.join("  ");
}

/** The table, in Markdown. */
export function markdownTable(results: Result[]): string {
  const anchors = anchorsOf(results);
  const header = [
    "pipeline",
    "throughput (rec/s)",
    "× kafkajs loop",
    "× kafkajs tx loop",
    "× Streams (same guarantee)",
    "p50 (ms)",
    "p99 (ms)",
    "peak RSS (MiB)",
    "ready after (s)",
    "outputs / inputs",
    "loop stall (ms)",
  ];
  const rows = results.map((result) => {
    const streams = result.guarantee === "none" ? undefined : anchors.streams[result.guarantee];
    const latencyMark = result.latencyKind !== undefined && result.latencyKind !== "end-to-end" ? "¹" : "";
    return [
      result.note?.startsWith("failed") ? `${result.name} (${result.note})` : result.name,
      formatNumber(result.throughput),
      result.id === "kafkajs-loop" ? "1" : ratio(result.throughput, anchors.kafkajsLoop?.throughput),
      result.guarantee !== "exactly-once"
        ? "–"
        : result.id === "kafkajs-tx-loop"
        ? "1"
        : ratio(result.throughput, anchors.transactionalLoop?.throughput),
      result.family === "streams" ? "1" : ratio(result.throughput, streams?.throughput),
      result.p50 === undefined ? "–" : `${formatNumber(result.p50)}${latencyMark}`,
      result.p99 === undefined ? "–" : `${formatNumber(result.p99)}${latencyMark}`,
      formatNumber(result.peakRssMiB),
      result.startupMs === undefined ? "–" : (result.startupMs / 1000).toFixed(1),
      result.outputs === undefined
        ? "–"
        : `${formatNumber(result.outputs)} / ${formatNumber(result.inputs)}${
          result.duplicates ? ` (${formatNumber(result.duplicates)} dup.)` : ""
        }`,
      result.maxStallMs === undefined ? "–" : formatNumber(result.maxStallMs),
    ];
  });
  return markdown(header, rows) +
    "\n\n¹ not end-to-end: ProducerPerformance's produce latency (acks=all, unthrottled) and EndToEndLatency's round " +
    "trip with one record in flight.";
}

/** What each pipeline wrote and the CPU it took, per input (Markdown). */
export function costTable(results: Result[]): string {
  const header = [
    "pipeline",
    "output entries / input",
    "markers on output",
    "state entries / input",
    "commits",
    "mean commit (ms)",
    "carried over",
    "CPU, pipeline (ms / 1000 inputs)",
    "CPU, broker (ms / 1000 inputs)",
    "CPU, SDK server (ms / 1000 inputs)",
    "SDK server peak RSS (MiB)",
    "other work on the machine (cores busy)",
  ];
  const perInput = (value: number | undefined, inputs: number) =>
    value === undefined ? "–" : (value / inputs).toFixed(2);
  const perThousand = (seconds: number | undefined, inputs: number) =>
    seconds === undefined ? "–" : formatNumber((seconds * 1e6) / inputs);
  const rows = results.filter((result) => result.writes !== undefined && result.inputs).map((result) => {
    const inputs = result.inputs!;
    return [
      result.name,
      perInput(result.writes!.output, inputs),
      formatNumber(result.writes!.outputMarkers),
      perInput(result.writes!.state, inputs),
      formatNumber(result.commits ?? undefined),
      formatNumber(result.meanCommitMs ?? undefined, 1),
      formatNumber(result.carriedOver ?? undefined),
      perThousand(result.cpuSeconds, inputs),
      perThousand(result.brokerCpuSeconds, inputs),
      perThousand(result.sdkCpuSeconds, inputs),
      formatNumber(result.sdkPeakRssMiB),
      result.otherCpuSeconds === undefined || !result.cpuWindowSeconds
        ? "–"
        : Math.max(0, result.otherCpuSeconds / result.cpuWindowSeconds).toFixed(2),
    ];
  });
  return markdown(header, rows) +
    "\n\nEntries are log offsets (high watermarks after the run): records and transaction markers. Commits: " +
    "transactions under exactly-once (Eddy: summed over its tasks; Kafka Streams: its thread's commit-total); " +
    "carried over: Eddy's messages persisted as pending past a commit (an entry and its tombstone each). CPU from the " +
    "pipeline's ready line to its last output, its processes (user + system) and the broker's; the bench's own " +
    "producer and reader are the same for every row. The remote rows' SDK server (the StateFun JS SDK under Node, " +
    "spawned by the bench) is counted apart: not in the pipeline's CPU or its peak RSS. Other work: the CPU " +
    "the rest of the machine used meanwhile (all processes but the pipeline's, the SDK server, the broker and the " +
    `bench), in cores (of ${navigator.hardwareConcurrency}).`;
}

/** A Markdown table of `rows` under `header`, its columns padded to their widest cell. */
export function markdown(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** Where the per-record issue's targets (#23) land: throughput and CPU against the anchors, latency, peak RSS. */
export function targetLines(results: Result[]): string[] {
  const anchors = anchorsOf(results);
  const find = (id: string) => results.find((result) => result.id === id);
  const countEo = find("eddy-count-eo");
  const loop = anchors.transactionalLoop;
  const streams = anchors.streams["exactly-once"];
  const check = (ok: boolean | undefined) => ok === undefined ? "not measured" : ok ? "met" : "missed";
  const share = (value: number | undefined, anchor: number | undefined) =>
    value === undefined || !anchor ? undefined : value / anchor;
  const cpuPerInput = (result: Result | undefined) =>
    result?.cpuSeconds === undefined || !result.inputs ? undefined : result.cpuSeconds / result.inputs;
  const vsStreams = share(countEo?.throughput, streams?.throughput);
  const vsLoop = share(countEo?.throughput, loop?.throughput);
  const cpuVsLoop = share(cpuPerInput(countEo), cpuPerInput(loop));
  const lines = [
    `eddy count exactly-once ÷ kafka streams exactly_once_v2: ${ratio(countEo?.throughput, streams?.throughput)} ` +
    `(target ≥ ×1.0: ${check(vsStreams === undefined ? undefined : vsStreams >= 1)})`,
    `eddy count exactly-once ÷ kafkajs transactional loop: ${ratio(countEo?.throughput, loop?.throughput)} ` +
    `(target ≥ ×0.7: ${check(vsLoop === undefined ? undefined : vsLoop >= 0.7)})`,
    `eddy count exactly-once CPU per input ÷ the transactional loop's: ${
      cpuVsLoop === undefined ? "–" : `×${cpuVsLoop.toFixed(2)}`
    } (target ≤ ×1.5: ${check(cpuVsLoop === undefined ? undefined : cpuVsLoop <= 1.5)})`,
  ];
  for (const id of ["eddy-count-eo", "eddy-greeter-eo"]) {
    const row = find(id);
    lines.push(
      `${row?.name ?? id} at the paced rate: p50 ${row?.p50 ?? "–"} ms, p99 ${
        row?.p99 ?? "–"
      } ms (target ≤ 80 / ≤ 200 ` +
        `ms: ${check(row?.p50 === undefined ? undefined : row.p50 <= 80 && row.p99! <= 200)})`,
    );
  }
  lines.push(
    `eddy count exactly-once peak RSS on the backlog: ${formatNumber(countEo?.peakRssMiB)} MiB (target ≤ 300 MiB: ${
      check(countEo?.peakRssMiB === undefined ? undefined : countEo.peakRssMiB <= 300)
    })`,
  );
  return lines;
}

/**
 * The remote rows side by side: each against StateFun 3.3 with 1 s checkpoints (`statefun-1s`, the same module.yaml
 * and SDK server, in the same invocation), the one-hop count against the two-hop greeter, and the count beside a
 * slow function type against the count alone.
 */
export function remoteLines(results: Result[]): string[] {
  const remote = results.filter((result) =>
    result.throughput !== undefined && (result.id.startsWith("eddy-remote") || result.family === "statefun")
  );
  if (remote.length === 0) return [];
  const anchor = results.find((result) => result.id === "statefun-1s" && result.throughput !== undefined);
  const cpu = (result: Result) =>
    result.cpuSeconds === undefined || !result.inputs
      ? "–"
      : `${formatNumber((result.cpuSeconds * 1e6) / result.inputs)} + SDK ${
        result.sdkCpuSeconds === undefined ? "–" : formatNumber((result.sdkCpuSeconds * 1e6) / result.inputs)
      } ms / 1000 inputs`;
  const lines = remote.map((result) =>
    `${result.name}: ${formatNumber(result.throughput)} rec/s (${
      anchor === undefined || result === anchor ? "StateFun 1 s" : ratio(result.throughput, anchor.throughput)
    }${anchor === undefined ? " not run" : ""}), p50 ${formatNumber(result.p50)} / p99 ${
      formatNumber(result.p99)
    } ms, peak RSS ${formatNumber(result.peakRssMiB)} MiB + SDK ${formatNumber(result.sdkPeakRssMiB)}, CPU ${
      cpu(result)
    }`
  );
  const greeter = results.find((result) => result.id === "eddy-remote-eo");
  const count = results.find((result) => result.id === "eddy-remote-count-eo");
  if (greeter?.throughput !== undefined && count?.throughput !== undefined) {
    lines.push(
      `eddy remote count (one hop) ÷ eddy remote greeter (two hops): ${ratio(count.throughput, greeter.throughput)}`,
    );
  }
  const slow = results.find((result) => result.id === "eddy-remote-slow-eo");
  if (count?.p50 !== undefined && slow?.p50 !== undefined) {
    lines.push(
      `a 2 s function type beside the remote count (1 key in 100 messages it): the count's p50 / p99 ` +
        `${formatNumber(slow.p50)} / ${formatNumber(slow.p99)} ms against ${formatNumber(count.p50)} / ` +
        `${formatNumber(count.p99)} without it; backlog ${ratio(slow.throughput, count.throughput)}`,
    );
  }
  return lines;
}
