/**
 * The bench's workload, the same for every pipeline: a keyed count over
 * `KEYS` names on topics of `PARTITIONS` partitions. Each input is
 * `{"name":"name-<i mod KEYS>","sentAt":<ms>}` keyed by its name (Kafka's
 * default partitioner, as Java producers use it); each output carries its
 * input's `sentAt`, so the reader can tell its end-to-end latency.
 *
 * - a backlog of `RECORDS` inputs, produced before the pipeline starts (throughput);
 * - a paced stream of `RATE` inputs/s for `LATENCY_SECONDS`, once the backlog is done (latency).
 *
 * @module
 */

import { KafkaAdmin } from "../src/kafka/admin.ts";
import { createKafka } from "../src/kafka/client.ts";
import { type Kafka, Partitioners } from "../src/kafka/kafkajs.ts";

/** Inputs in the backlog (`BENCH_RECORDS`, default 100 000). */
export const RECORDS = Number(Deno.env.get("BENCH_RECORDS") ?? 100_000);
/** Inputs per second of the paced stream (`BENCH_RATE`, default 2000). */
export const RATE = Number(Deno.env.get("BENCH_RATE") ?? 2_000);
/** How long the paced stream lasts (`BENCH_LATENCY_SECONDS`, default 10). */
export const LATENCY_SECONDS = Number(Deno.env.get("BENCH_LATENCY_SECONDS") ?? 10);
/** Distinct keys. */
export const KEYS = 1_000;
/** Partitions of every topic. */
export const PARTITIONS = 4;
/** The shared broker. */
export const BROKERS = (Deno.env.get("KAFKA_BROKERS") ?? "127.0.0.1:9092").split(",");

/** Where scripts/kafka/broker.sh keeps the broker's jars, pid file and the tools' log4j2 configuration. */
export const KAFKA_HOME = Deno.env.get("EDDY_KAFKA_HOME") ?? new URL("../.kafka", import.meta.url).pathname;

/** The local broker's process id, when it runs from KAFKA_HOME (for its CPU time). */
export function brokerPid(): number | undefined {
  try {
    const pid = Number(Deno.readTextFileSync(`${KAFKA_HOME}/broker.pid`).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A tag for this run's topic and group names. */
export const RUN = Date.now().toString(36);

/** One input. */
export interface Input {
  name: string;
  sentAt: number;
}

/** The input records of the workload's `i`-th input. */
function input(i: number): { key: string; value: string } {
  const name = `name-${i % KEYS}`;
  return { key: name, value: JSON.stringify({ name, sentAt: Date.now() } satisfies Input) };
}

/** The bench process's kafkajs client (backlog, paced stream, reader, topics). */
export const kafka: Kafka = createKafka({ brokers: BROKERS, clientId: "eddy-bench" });

/** Every topic the run made (deleted at the end). */
export const createdTopics: string[] = [];

/** Creates `bench-<run>-<slug>-<name>` topics of `PARTITIONS` partitions; returns their names by `name`. */
export async function createTopics<N extends string>(
  slug: string,
  names: N[],
  configs: Record<string, string> = {},
): Promise<Record<N, string>> {
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  const topics = {} as Record<N, string>;
  try {
    for (const name of names) {
      const topic = `bench-${RUN}-${slug}-${name}`;
      createdTopics.push(topic);
      await admin.ensureTopic({ topic, partitions: PARTITIONS, configs });
      topics[name] = topic;
    }
  } finally {
    await admin.disconnect();
  }
  return topics;
}

/** Deletes the run's topics: those made here and the internal topics the pipelines named in `createdTopics`. */
export async function deleteTopics(): Promise<void> {
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  try {
    await admin.deleteTopics(createdTopics);
  } finally {
    await admin.disconnect();
  }
}

/** Produces the backlog: `count` inputs, acks=all, 5000 per request. */
export async function produceBacklog(topic: string, count = RECORDS): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let start = 0; start < count; start += 5_000) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + 5_000); i++) messages.push(input(i));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Produces `rate` inputs per second for `seconds`, in 20 ms ticks (acks=1); returns how many. */
export async function producePaced(topic: string, rate = RATE, seconds = LATENCY_SECONDS): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const perTick = Math.max(1, Math.round(rate / 50));
  const ticks = Math.round(seconds * 50);
  let sent = 0;
  const start = performance.now();
  try {
    for (let tick = 0; tick < ticks; tick++) {
      const messages = [];
      for (let i = 0; i < perTick; i++, sent++) messages.push(input(sent));
      await producer.send({ topic, acks: 1, messages });
      const wait = start + (tick + 1) * 20 - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

/** The value at percentile `p` (0–100) of `values`; NaN when empty. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
