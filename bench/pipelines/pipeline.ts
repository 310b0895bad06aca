/**
 * What the bench runs: pipelines that consume the workload's input topic and
 * write one output per input (measured by the bench: backlog throughput,
 * end-to-end latency on a paced stream), and tools that measure themselves
 * (Kafka's perf tools).
 *
 * @module
 */

import type { Child } from "../child_process.ts";

/** Who the row is: the broker's ceiling, the client's, Kafka Streams, Eddy, or StateFun 3.3 itself. */
export type Family = "broker" | "client" | "streams" | "eddy" | "statefun";

/** The processing guarantee of a row ("none" for the perf tools). */
export type Guarantee = "exactly-once" | "at-least-once" | "none";

/** What every row has. */
export interface RowInfo {
  /** Its id for BENCH_ONLY (e.g. `eddy-count-eo`). */
  id: string;
  /** Its name in the table. */
  name: string;
  family: Family;
  guarantee: Guarantee;
}

/** The topics of one pipeline's run. */
export interface PipelineTopics {
  input: string;
  output: string;
}

/** A consume → produce pipeline, run by the bench on the workload. */
export interface StreamPipeline extends RowInfo {
  kind: "stream";
  /** Builds what it needs (once, before any timing; optional). */
  prepare?(): Promise<void>;
  /** Starts it (as a child process that prints its ready line once it processes). */
  start(topics: PipelineTopics): Promise<Started>;
}

/** A started pipeline. */
export interface Started {
  /** Its process. */
  child: Child;
  /** The topics it writes besides the output: its state (changelog) and, for Eddy, its mailbox. */
  stateTopics: string[];
  /** The remote rows' SDK server, spawned by the bench beside the runtime: measured apart, stopped after it. */
  sdkServer?: Child;
  /** Anything to note in its row once it stopped (StateFun: its retried HTTP calls). */
  describe?(): string | undefined;
}

/** What a pipeline wrote to Kafka, in log entries (high watermarks after its run). */
export interface Writes {
  /** Entries in the output topic. */
  output: number;
  /** Of those, entries the read_committed reader did not see: transaction markers (and aborted records). */
  outputMarkers: number;
  /** Entries in its state topics (records and transaction markers). */
  state: number;
  /** The same per state topic. */
  byTopic: Record<string, number>;
}

/** A tool that measures itself. */
export interface ToolPipeline extends RowInfo {
  kind: "tool";
  measure(): Promise<Result>;
}

/** Any row's definition. */
export type Pipeline = StreamPipeline | ToolPipeline;

/** One row of the table. */
export interface Result extends RowInfo {
  /** Records per second on the backlog (from the ready line to the last output), when it applies. */
  throughput?: number;
  /** Latency percentiles (ms), when measured. */
  p50?: number;
  p99?: number;
  /** What the latency is: the pipelines' is end-to-end; the perf tools' is not. */
  latencyKind?: "end-to-end" | "produce (acks=all)" | "round trip, 1 in flight";
  /** Peak RSS of its process tree (MiB; remote rows: the runtime's, the SDK server's is `sdkPeakRssMiB`). */
  peakRssMiB?: number;
  /** Spawn to ready (ms). */
  startupMs?: number;
  /** Outputs read (backlog + paced) and how many were duplicates. */
  outputs?: number;
  duplicates?: number;
  /** Inputs in (backlog + paced). */
  inputs?: number;
  /** What it wrote. */
  writes?: Writes;
  /** CPU time of its processes and of the broker, from its ready line to the paced stream's last output (s). */
  cpuSeconds?: number;
  brokerCpuSeconds?: number;
  /** Remote rows: the SDK server's CPU time over the same window (not in `cpuSeconds`) (s) and its peak RSS (MiB). */
  sdkCpuSeconds?: number;
  sdkPeakRssMiB?: number;
  /** CPU time of everything else on the machine meanwhile (other work; the bench process excluded) (s). */
  otherCpuSeconds?: number;
  /** The window those CPU times cover (s). */
  cpuWindowSeconds?: number;
  /** Commits (transactions under exactly-once) and their mean time, when the pipeline tells (ms). */
  commits?: number;
  meanCommitMs?: number;
  /** Eddy: messages carried past a commit. */
  carriedOver?: number;
  /** Its longest event-loop stall (Deno children). */
  maxStallMs?: number;
  /** Anything else to say in the table. */
  note?: string;
}
