/**
 * The client's ceiling for what Eddy's exactly-once count writes: a raw
 * kafkajs loop with one consumer and one transactional producer. Each input
 * is counted per key; at most every 100 ms (at a batch's end, or on a timer
 * when the input is idle) one transaction holds the outputs since the last
 * one (one per input), each changed key's last count as the record Eddy
 * writes to its changelog (Eddy's own key and value encoders, to the input's
 * partition of a compacted topic), and the consumed offsets (`sendOffsets`).
 *
 * Unlike Eddy (one transactional producer per task, i.e. per input
 * partition: 4 transactions per commit interval here), this loop commits all
 * partitions in one transaction, as Kafka Streams' `exactly_once_v2` does
 * per stream thread.
 *
 * Run as a child: `deno run -A bench/pipelines/kafkajs_transactional_loop.ts <brokers> <input> <output>
 * <changelog> <group> <transactional id>`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type Child, denoChild, runAsChild } from "../child_process.ts";
import { createKafka } from "../../src/kafka/client.ts";
import { Partitioners } from "../../src/kafka/kafkajs.ts";
import { Address } from "../../src/sdk/address.ts";
import { INT_TYPE } from "../../src/sdk/types.ts";
import { toTypedValue } from "../../src/sdk/typed_value.ts";
import { encodeChangelogKey, encodeStateEntry } from "../../src/state/changelog_record.ts";
import { BROKERS, createTopics, type Input, RUN } from "../workload.ts";
import type { PipelineTopics, StreamPipeline } from "./pipeline.ts";

const COMMIT_INTERVAL_MS = 100;

/** The transactional loop as a bench pipeline. */
export const kafkajsTransactionalLoop: StreamPipeline = {
  kind: "stream",
  id: "kafkajs-tx-loop",
  name: "kafkajs transactional loop",
  family: "client",
  guarantee: "exactly-once",
  async start({ input, output }: PipelineTopics): Promise<Child> {
    const { changelog } = await createTopics("kafkajs-tx-loop", ["changelog"], { "cleanup.policy": "compact" });
    const group = `bench-${RUN}-kafkajs-tx-loop`;
    return denoChild("kafkajs-tx-loop", import.meta.url, [
      BROKERS.join(","),
      input,
      output,
      changelog,
      group,
      `${group}-producer`,
    ]);
  },
};

interface Options {
  brokers: string[];
  input: string;
  output: string;
  changelog: string;
  group: string;
  transactionalId: string;
}

type Message = { key: string | Buffer; value: string | Buffer; partition?: number };

async function startLoop(options: Options) {
  const kafka = createKafka({ brokers: options.brokers, clientId: "bench-kafkajs-tx-loop" });
  const producer = kafka.producer({
    transactionalId: options.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({ groupId: options.group, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.CRASH, ({ payload }) => console.error(`consumer crashed: ${payload.error}`));
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [options.input], fromBeginning: true });

  const counts = new Map<string, number>();
  let outputs: Message[] = [];
  /** Changed keys since the last commit: their last count and partition. */
  let changed = new Map<string, { count: number; partition: number }>();
  /** The next offset to consume, per partition, since the last commit. */
  let positions = new Map<number, string>();
  let lastCommit = performance.now();
  let failed: Error | undefined;

  // Batches and commits take turns: one chain.
  let chain = Promise.resolve();
  const serially = (work: () => Promise<void> | void) => {
    const next = chain.then(work);
    chain = next.catch((error) => {
      failed ??= error;
      console.error(`the loop failed: ${error}`);
      Deno.exit(1);
    });
    return next;
  };

  const commit = async () => {
    if (positions.size === 0 || performance.now() - lastCommit < COMMIT_INTERVAL_MS) return;
    lastCommit = performance.now();
    const [records, states, offsets] = [outputs, changed, positions];
    outputs = [];
    changed = new Map();
    positions = new Map();
    const now = Date.now();
    const stateRecords: Message[] = [...states].map(([name, { count, partition }]) => ({
      key: Buffer.from(
        encodeChangelogKey({
          kind: "state",
          address: Address.fromParts("bench.count", "counter", name),
          name: "count",
        }),
      ),
      value: Buffer.from(encodeStateEntry({ value: toTypedValue(count, INT_TYPE), writtenAt: now, calledAt: now })),
      partition,
    }));
    const transaction = await producer.transaction();
    try {
      for (let start = 0; start < records.length; start += 5_000) {
        await transaction.send({ topic: options.output, acks: -1, messages: records.slice(start, start + 5_000) });
      }
      await transaction.send({ topic: options.changelog, acks: -1, messages: stateRecords });
      await transaction.sendOffsets({
        consumerGroupId: options.group,
        topics: [{
          topic: options.input,
          partitions: [...offsets].map(([partition, offset]) => ({ partition, offset })),
        }],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => {});
      throw error;
    }
  };

  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      await serially(() => {
        for (const message of batch.messages) {
          const { name, sentAt } = JSON.parse(message.value!.toString()) as Input;
          const count = (counts.get(name) ?? 0) + 1;
          counts.set(name, count);
          outputs.push({ key: name, value: JSON.stringify({ name, count, sentAt }) });
          changed.set(name, { count, partition: batch.partition });
        }
        positions.set(batch.partition, String(Number(batch.lastOffset()) + 1));
      });
      await serially(commit);
    },
  });
  const timer = setInterval(() => void serially(commit), 10);
  await joined;
  return async () => {
    clearInterval(timer);
    await serially(commit);
    await consumer.disconnect();
    await producer.disconnect();
    if (failed) throw failed;
  };
}

if (import.meta.main) {
  const [brokers, input, output, changelog, group, transactionalId] = Deno.args;
  await runAsChild(() => startLoop({ brokers: brokers.split(","), input, output, changelog, group, transactionalId }));
}
