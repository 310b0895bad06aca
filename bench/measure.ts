/**
 * Runs one pipeline through the workload on fresh topics: the backlog
 * (throughput from its ready line until a read_committed reader has every
 * output), then the paced stream (each output's latency), then its peak RSS
 * and its stop.
 *
 * @module
 */

import { OutputReader } from "./output_reader.ts";
import type { Result, StreamPipeline } from "./pipelines/pipeline.ts";
import { createTopics, kafka, percentile, produceBacklog, producePaced, RECORDS } from "./workload.ts";

/** Measures `pipeline`; the child is stopped whatever happens. */
export async function measurePipeline(pipeline: StreamPipeline): Promise<Result> {
  const topics = await createTopics(pipeline.id, ["in", "out"]);
  const input = topics.in, output = topics.out;
  await produceBacklog(input);
  const reader = new OutputReader(kafka, output);
  await reader.start();
  const child = await pipeline.start({ input, output });
  try {
    const readyAt = await child.ready();
    await Promise.race([reader.until(RECORDS), child.failure()]);
    const seconds = (performance.now() - readyAt) / 1000;
    const backlogOutputs = reader.latencies.length;
    const paced = await Promise.race([producePaced(input), child.failure()]);
    await Promise.race([reader.until(RECORDS + paced), child.failure()]);
    // Late duplicates of an at-least-once pipeline would still arrive; the exactly-once ones have none.
    const latencies = reader.latencies.slice(backlogOutputs);
    const peakRssMiB = child.peakRssMiB();
    const report = await child.stop();
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
      maxStallMs: report.maxStallMs,
    };
  } finally {
    await child.stop();
    await reader.stop();
  }
}
