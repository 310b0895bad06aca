/**
 * The broker's ceiling: Kafka's own perf tools (the kafka-tools jar the local
 * broker's scripts/kafka/broker.sh resolves into .kafka/libs), as Java child
 * processes with `-Xmx512m` (the heap Kafka's perf-test scripts give them):
 *
 * - `ProducerPerformance`: `RECORDS` records of the workload's size (value +
 *   key bytes; the tool sends no key), unthrottled, acks=all. Its latency is
 *   each send's produce latency (acks=all) under full load — not end-to-end;
 * - `ConsumerPerformance`: reads a backlog of the workload's own `RECORDS`
 *   inputs; its rate is `fetch.nMsg.sec` (without the group join, as the
 *   pipelines are timed from their ready line);
 * - `EndToEndLatency`: produce one record (acks=all), consume it, repeat:
 *   the broker's round trip with one record in flight, no batching.
 *
 * @module
 */

import { Child } from "../child_process.ts";
import { BROKERS, createTopics, KAFKA_HOME, produceBacklog, RECORDS, RUN } from "../workload.ts";
import type { Result, ToolPipeline } from "./pipeline.ts";

/** The JVM options of the Java children (`BENCH_JAVA_OPTS`, default `-Xmx512m`). */
export const JAVA_OPTS = (Deno.env.get("BENCH_JAVA_OPTS") ?? "-Xmx512m").split(" ").filter((o) => o !== "");

/** Records of the end-to-end latency tool (`BENCH_E2E_RECORDS`, default 2000; one at a time). */
const E2E_RECORDS = Number(Deno.env.get("BENCH_E2E_RECORDS") ?? 2_000);

/** Bytes of one input record (value and key), as the workload writes them. */
const RECORD_SIZE = JSON.stringify({ name: "name-123", sentAt: Date.now() }).length + "name-123".length;

function tool(name: string, mainClass: string, args: string[]): Child {
  const home = KAFKA_HOME;
  return new Child({
    name,
    command: "java",
    args: [
      ...JAVA_OPTS,
      `-Dlog4j2.configurationFile=${home}/tools-log4j2.properties`,
      "-cp",
      `${home}/libs/*`,
      mainClass,
      ...args,
    ],
  });
}

/** Runs a tool to its end; returns its stdout lines and peak RSS. */
async function runTool(child: Child): Promise<{ lines: string[]; peakRssMiB: number }> {
  await child.finished();
  return { lines: child.lines, peakRssMiB: child.peakRssMiB() };
}

const producerPerf: ToolPipeline = {
  kind: "tool",
  id: "kafka-producer-perf",
  name: "kafka ProducerPerformance",
  family: "broker",
  guarantee: "none",
  async measure(): Promise<Result> {
    const { topic } = await createTopics(this.id, ["topic"]);
    const { lines, peakRssMiB } = await runTool(tool(this.id, "org.apache.kafka.tools.ProducerPerformance", [
      "--bootstrap-server",
      BROKERS.join(","),
      "--topic",
      topic,
      "--num-records",
      String(RECORDS),
      "--record-size",
      String(RECORD_SIZE),
      "--throughput",
      "-1",
      "--command-property",
      "acks=all",
    ]));
    // "100000 records sent, 81103.0 records/sec (3.94 MB/sec), 18.59 ms avg latency, 446.00 ms max latency,
    // 14 ms 50th, 55 ms 95th, 62 ms 99th, 74 ms 99.9th."
    const summary = lines.findLast((line) => line.includes("records sent"));
    const match = summary && /([\d.]+) records\/sec.* (\d+) ms 50th, .* (\d+) ms 99th/.exec(summary);
    if (!match) throw new Error(`ProducerPerformance printed no summary: ${lines.slice(-3).join(" | ")}`);
    return {
      ...info(this),
      throughput: Number(match[1]),
      p50: Number(match[2]),
      p99: Number(match[3]),
      latencyKind: "produce (acks=all)",
      peakRssMiB,
      note: `record size ${RECORD_SIZE} B, no key`,
    };
  },
};

const consumerPerf: ToolPipeline = {
  kind: "tool",
  id: "kafka-consumer-perf",
  name: "kafka ConsumerPerformance",
  family: "broker",
  guarantee: "none",
  async measure(): Promise<Result> {
    const { topic } = await createTopics(this.id, ["topic"]);
    await produceBacklog(topic);
    const { lines, peakRssMiB } = await runTool(tool(this.id, "org.apache.kafka.tools.ConsumerPerformance", [
      "--bootstrap-server",
      BROKERS.join(","),
      "--topic",
      topic,
      "--num-records",
      String(RECORDS),
      "--group",
      `bench-${RUN}-consumer-perf`,
      "--timeout",
      "30000",
    ]));
    // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
    // fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    const header = lines.findIndex((line) => line.startsWith("start.time"));
    const columns = lines[header]?.split(",").map((column) => column.trim()) ?? [];
    const values = lines[header + 1]?.split(",").map((value) => value.trim()) ?? [];
    const rate = Number(values[columns.indexOf("fetch.nMsg.sec")]);
    if (header < 0 || !Number.isFinite(rate)) {
      throw new Error(`ConsumerPerformance printed no result: ${lines.slice(-3).join(" | ")}`);
    }
    return {
      ...info(this),
      throughput: rate,
      peakRssMiB,
      note: `fetch.nMsg.sec; ${values[columns.indexOf("data.consumed.in.nMsg")]} records`,
    };
  },
};

const endToEndLatency: ToolPipeline = {
  kind: "tool",
  id: "kafka-e2e-latency",
  name: "kafka EndToEndLatency",
  family: "broker",
  guarantee: "none",
  async measure(): Promise<Result> {
    const { topic } = await createTopics(this.id, ["topic"]);
    const { lines, peakRssMiB } = await runTool(tool(this.id, "org.apache.kafka.tools.EndToEndLatency", [
      "--bootstrap-server",
      BROKERS.join(","),
      "--topic",
      topic,
      "--num-records",
      String(E2E_RECORDS),
      "--producer-acks",
      "all",
      "--record-size",
      String(RECORD_SIZE),
    ]));
    // "Percentiles: 50th = 2, 99th = 27, 99.9th = 75"
    const match = /50th = (\d+), 99th = (\d+)/.exec(lines.findLast((line) => line.startsWith("Percentiles")) ?? "");
    if (!match) throw new Error(`EndToEndLatency printed no percentiles: ${lines.slice(-3).join(" | ")}`);
    return {
      ...info(this),
      p50: Number(match[1]),
      p99: Number(match[2]),
      latencyKind: "round trip, 1 in flight",
      peakRssMiB,
      note: `${E2E_RECORDS} records, one at a time`,
    };
  },
};

function info(pipeline: ToolPipeline) {
  return { id: pipeline.id, name: pipeline.name, family: pipeline.family, guarantee: pipeline.guarantee };
}

/** The perf tools' rows. */
export const kafkaPerfTools: ToolPipeline[] = [producerPerf, consumerPerf, endToEndLatency];
