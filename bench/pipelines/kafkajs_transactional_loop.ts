/**
 * The client's ceiling for what Eddy's exactly-once count writes: a raw
 * kafkajs loop with one consumer and transactional producers. Each input
 * is counted per key; at most every 100 ms (at a batch's end, or on a timer
 * when the input is idle) one transaction holds the outputs since the last
 * one (one per input), each changed key's last count as the record Eddy
 * writes to its changelog (Eddy's own key and value encoders, to the input's
 * partition of a compacted topic), and the consumed offsets (`sendOffsets`).
 *
 * Two variants: one transactional producer for all partitions (one
 * transaction per commit interval, as Kafka Streams' `exactly_once_v2` has
 * per stream thread), and one per input partition (4 transactions per
 * commit interval here, committed concurrently, as Eddy has one per task).
 *
 * Run as a child: `deno run -A bench/pipelines/kafkajs_transactional_loop.ts <brokers> <input> <output>
 * <changelog> <group> <thread|partition>`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type ChildReport, denoChild, runAsChild } from "../child_process.ts";
import { createKafka } from "../../src/kafka/client.ts";
import { Partitioners, type Producer } from "../../src/kafka/kafkajs.ts";
import { Address } from "../../src/sdk/address.ts";
import { INT_TYPE } from "../../src/sdk/types.ts";
import { toTypedValue } from "../../src/sdk/typed_value.ts";
import { encodeChangelogKey, encodeStateEntry } from "../../src/state/changelog_record.ts";
import { BROKERS, createTopics, type Input, PARTITIONS, RUN } from "../workload.ts";
import type { PipelineTopics, Started, StreamPipeline } from "./pipeline.ts";

const COMMIT_INTERVAL_MS = 100;

function transactionalLoop(id: string, name: string, scope: Scope): StreamPipeline {
  return {
    kind: "stream",
    id,
    name,
    family: "client",
    guarantee: "exactly-once",
    async start({ input, output }: PipelineTopics): Promise<Started> {
      const { changelog } = await createTopics(id, ["changelog"], { "cleanup.policy": "compact" });
      const args = [BROKERS.join(","), input, output, changelog, `bench-${RUN}-${id}`, scope];
      return { child: denoChild(id, import.meta.url, args), stateTopics: [changelog] };
    },
  };
}

/** One transaction per commit interval for all partitions (the anchor of Eddy's exactly-once count). */
export const kafkajsTransactionalLoop: StreamPipeline = transactionalLoop(
  "kafkajs-tx-loop",
  "kafkajs transactional loop",
  "thread",
);

/** One transactional producer and transaction per partition and commit interval, as Eddy's tasks. */
export const kafkajsTransactionalLoopPerPartition: StreamPipeline = transactionalLoop(
  "kafkajs-tx-loop-per-partition",
  "kafkajs transactional loop, 1 tx per partition",
  "partition",
);

/** One transaction for all partitions, or one per partition. */
type Scope = "thread" | "partition";

interface Options {
  brokers: string[];
  input: string;
  output: string;
  changelog: string;
  group: string;
  scope: Scope;
}

type Message = { key: string | Buffer; value: string | Buffer; partition?: number };

/** What a partition consumed since its last commit. */
interface Pending {
  outputs: Message[];
  /** Changed keys: their last count. */
  changed: Map<string, number>;
  /** The next offset to consume. */
  position: string;
}

async function startLoop(options: Options) {
  const kafka = createKafka({ brokers: options.brokers, clientId: `bench-${options.group}` });
  const producers = new Map<number | "all", Producer>();
  const producerOf = async (partition: number) => {
    const key = options.scope === "thread" ? "all" : partition;
    let producer = producers.get(key);
    if (producer === undefined) {
      producer = kafka.producer({
        transactionalId: `${options.group}-${key}`,
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      producers.set(key, producer);
      await producer.connect();
    }
    return producer;
  };
  const consumer = kafka.consumer({ groupId: options.group, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.CRASH, ({ payload }) => console.error(`consumer crashed: ${payload.error}`));
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  if (options.scope === "thread") await producerOf(0);
  else for (let partition = 0; partition < PARTITIONS; partition++) await producerOf(partition);
  await consumer.connect();
  await consumer.subscribe({ topics: [options.input], fromBeginning: true });

  const counts = new Map<string, number>();
  let pending = new Map<number, Pending>();
  let lastCommit = performance.now();
  let failed: Error | undefined;
  let transactions = 0;
  let transactionMs = 0;

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

  /** One transaction: the partitions' outputs, their changed keys' state records, their offsets. */
  const transact = async (producer: Producer, partitions: [number, Pending][]) => {
    const now = Date.now();
    const outputs = partitions.flatMap(([, { outputs }]) => outputs);
    const states: Message[] = partitions.flatMap(([partition, { changed }]) =>
      [...changed].map(([name, count]) => ({
        key: Buffer.from(encodeChangelogKey({
          kind: "state",
          address: Address.fromParts("bench.count", "counter", name),
          name: "count",
        })),
        value: Buffer.from(encodeStateEntry({ value: toTypedValue(count, INT_TYPE), writtenAt: now, calledAt: now })),
        partition,
      }))
    );
    const began = performance.now();
    const transaction = await producer.transaction();
    try {
      for (let start = 0; start < outputs.length; start += 5_000) {
        await transaction.send({ topic: options.output, acks: -1, messages: outputs.slice(start, start + 5_000) });
      }
      await transaction.send({ topic: options.changelog, acks: -1, messages: states });
      await transaction.sendOffsets({
        consumerGroupId: options.group,
        topics: [{
          topic: options.input,
          partitions: partitions.map(([partition, { position }]) => ({ partition, offset: position })),
        }],
      });
      await transaction.commit();
      transactions++;
      transactionMs += performance.now() - began;
    } catch (error) {
      await transaction.abort().catch(() => {});
      throw error;
    }
  };

  const commit = async () => {
    if (pending.size === 0 || performance.now() - lastCommit < COMMIT_INTERVAL_MS) return;
    lastCommit = performance.now();
    const partitions = [...pending];
    pending = new Map();
    if (options.scope === "thread") await transact(await producerOf(0), partitions);
    else await Promise.all(partitions.map(async (entry) => transact(await producerOf(entry[0]), [entry])));
  };

  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      await serially(() => {
        let entry = pending.get(batch.partition);
        if (entry === undefined) {
          entry = { outputs: [], changed: new Map(), position: "" };
          pending.set(batch.partition, entry);
        }
        for (const message of batch.messages) {
          const { name, sentAt } = JSON.parse(message.value!.toString()) as Input;
          const count = (counts.get(name) ?? 0) + 1;
          counts.set(name, count);
          entry.outputs.push({ key: name, value: JSON.stringify({ name, count, sentAt }) });
          entry.changed.set(name, count);
        }
        entry.position = String(Number(batch.lastOffset()) + 1);
      });
      await serially(commit);
    },
  });
  const timer = setInterval(() => void serially(commit), 10);
  await joined;
  return async (): Promise<ChildReport> => {
    clearInterval(timer);
    await serially(commit);
    await consumer.disconnect();
    for (const producer of producers.values()) await producer.disconnect();
    if (failed) throw failed;
    return { commits: transactions, meanCommitMs: transactions === 0 ? undefined : transactionMs / transactions };
  };
}

if (import.meta.main) {
  const [brokers, input, output, changelog, group, scope] = Deno.args;
  await runAsChild(() =>
    startLoop({ brokers: brokers.split(","), input, output, changelog, group, scope: scope as Scope })
  );
}
