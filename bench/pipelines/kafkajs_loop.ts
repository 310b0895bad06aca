/**
 * The client's ceiling: a plain kafkajs consume → produce loop. One consumer;
 * each fetched batch is counted per key (a `Map`, no durable state), its
 * outputs produced (idempotent, acks=all, awaited, 5000 per request) and then
 * its offsets committed: the least any consume → produce service does,
 * at-least-once. One record written per input.
 *
 * Run as a child: `deno run -A bench/pipelines/kafkajs_loop.ts <brokers> <input> <output> <group>`.
 *
 * @module
 */

import { denoChild, runAsChild } from "../child_process.ts";
import { createKafka } from "../../src/kafka/client.ts";
import { Partitioners } from "../../src/kafka/kafkajs.ts";
import type { Input } from "../workload.ts";
import { BROKERS, RUN } from "../workload.ts";
import type { PipelineTopics, Started, StreamPipeline } from "./pipeline.ts";

/** The loop as a bench pipeline. */
export const kafkajsLoop: StreamPipeline = {
  kind: "stream",
  id: "kafkajs-loop",
  name: "kafkajs loop",
  family: "client",
  guarantee: "at-least-once",
  start({ input, output }: PipelineTopics): Promise<Started> {
    const args = [BROKERS.join(","), input, output, `bench-${RUN}-kafkajs-loop`];
    return Promise.resolve({ child: denoChild("kafkajs-loop", import.meta.url, args), stateTopics: [] });
  },
};

async function startLoop(brokers: string[], input: string, output: string, group: string) {
  const kafka = createKafka({ brokers, clientId: "bench-kafkajs-loop" });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.CRASH, ({ payload }) => console.error(`consumer crashed: ${payload.error}`));
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  const counts = new Map<string, number>();
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      const messages = batch.messages.map((message) => {
        const { name, sentAt } = JSON.parse(message.value!.toString()) as Input;
        const count = (counts.get(name) ?? 0) + 1;
        counts.set(name, count);
        return { key: name, value: JSON.stringify({ name, count, sentAt }) };
      });
      // One request per 5000 records: a whole 1 MiB fetch would exceed the broker's message.max.bytes.
      for (let start = 0; start < messages.length; start += 5_000) {
        await producer.send({ topic: output, acks: -1, messages: messages.slice(start, start + 5_000) });
      }
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
    },
  });
  await joined;
  return async () => {
    await consumer.disconnect();
    await producer.disconnect();
  };
}

if (import.meta.main) {
  const [brokers, input, output, group] = Deno.args;
  await runAsChild(() => startLoop(brokers.split(","), input, output, group));
}
