/**
 * Runs one pipeline through the workload on fresh topics: the backlog
 * (throughput from its ready line until a read_committed reader has every
 * output), then the paced stream (each output's latency), then its peak RSS
 * and its stop. A remote row's SDK server is measured apart from the runtime
 * (its CPU and peak RSS) and stopped after it.
 *
 * @module
 */

import { machineBusySeconds, treeCpuSeconds } from "./child_process.ts";
import { KafkaAdmin } from "../src/kafka/admin.ts";
import { OutputReader } from "./output_reader.ts";
import type { Result, StreamPipeline, Writes } from "./pipelines/pipeline.ts";
import { brokerPid, createTopics, kafka, percentile, produceBacklog, producePaced, RECORDS } from "./workload.ts";

/** Measures `pipeline`; the child is stopped whatever happens. */
export async function measurePipeline(pipeline: StreamPipeline): Promise<Result> {
  const topics = await createTopics(pipeline.id, ["in", "out"]);
  const input = topics.in, output = topics.out;
  await produceBacklog(input);
  const reader = new OutputReader(kafka, output);
  await reader.start();
  const { child, stateTopics, sdkServer, describe } = await pipeline.start({ input, output });
  const broker = brokerPid();
  // Either process ending fails the row.
  const failure = () => Promise.race([child.failure(), ...(sdkServer === undefined ? [] : [sdkServer.failure()])]);
  try {
    const readyAt = await Promise.race([child.ready(), ...(sdkServer === undefined ? [] : [sdkServer.failure()])]);
    const cpuAtReady = child.cpuSeconds();
    const sdkCpuAtReady = sdkServer?.cpuSeconds();
    const brokerCpuAtReady = broker === undefined ? undefined : treeCpuSeconds(broker);
    const benchCpuAtReady = treeCpuSeconds(Deno.pid);
    const machineAtReady = machineBusySeconds();
    await Promise.race([reader.until(RECORDS), failure()]);
    const seconds = (performance.now() - readyAt) / 1000;
    const backlogOutputs = reader.latencies.length;
    const paced = await Promise.race([producePaced(input), failure()]);
    await Promise.race([reader.until(RECORDS + paced), failure()]);
    // Late duplicates of an at-least-once pipeline would still arrive; the exactly-once ones have none.
    const latencies = reader.latencies.slice(backlogOutputs);
    const peakRssMiB = child.peakRssMiB();
    const cpuSeconds = child.cpuSeconds() - cpuAtReady;
    const sdkCpuSeconds = sdkServer === undefined ? undefined : sdkServer.cpuSeconds() - sdkCpuAtReady!;
    const sdkPeakRssMiB = sdkServer?.peakRssMiB();
    const brokerCpuSeconds = broker === undefined ? undefined : treeCpuSeconds(broker) - brokerCpuAtReady!;
    // The bench's tree holds the child and the SDK server: its own CPU is the tree's minus theirs.
    const benchCpuSeconds = treeCpuSeconds(Deno.pid) - benchCpuAtReady - cpuSeconds - (sdkCpuSeconds ?? 0);
    const otherCpuSeconds = machineBusySeconds() - machineAtReady - cpuSeconds - (sdkCpuSeconds ?? 0) -
      (brokerCpuSeconds ?? 0) - benchCpuSeconds;
    const cpuWindowSeconds = (performance.now() - readyAt) / 1000;
    const report = await child.stop();
    await sdkServer?.stop();
    const writes = await writesOf(output, stateTopics, reader.count);
    return {
      id: pipeline.id,
      name: pipeline.name,
      family: pipeline.family,
      guarantee: pipeline.guarantee,
      throughput: RECORDS / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      latencyKind: "end-to-end",
      peakRssMiB,
      startupMs: child.startupMs,
      inputs: RECORDS + paced,
      outputs: reader.count,
      duplicates: reader.duplicates,
      writes,
      cpuSeconds,
      sdkCpuSeconds,
      sdkPeakRssMiB,
      brokerCpuSeconds,
      otherCpuSeconds,
      cpuWindowSeconds,
      commits: report.commits,
      meanCommitMs: report.meanCommitMs,
      carriedOver: report.carriedOver,
      maxStallMs: report.maxStallMs,
      note: describe?.(),
    };
  } finally {
    await child.stop();
    await sdkServer?.stop();
    await reader.stop();
  }
}

/** Log entries in the output and state topics (their high watermarks: records and transaction markers). */
async function writesOf(output: string, stateTopics: string[], outputsRead: number): Promise<Writes> {
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  const entries = async (topic: string) => {
    const offsets = await admin.topicOffsets(topic).catch(() => []);
    return offsets.reduce((sum, { high, low }) => sum + high - low, 0);
  };
  try {
    const outputEntries = await entries(output);
    const byTopic: Record<string, number> = {};
    for (const topic of stateTopics) byTopic[topic] = await entries(topic);
    const state = Object.values(byTopic).reduce((sum, count) => sum + count, 0);
    return { output: outputEntries, outputMarkers: outputEntries - outputsRead, state, byTopic };
  } finally {
    await admin.disconnect();
  }
}
