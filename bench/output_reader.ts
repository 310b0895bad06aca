/**
 * The reader of a pipeline's output topic (read_committed, as a downstream
 * consumer of an exactly-once pipeline reads): counts the outputs, tells each
 * one's end-to-end latency (its arrival here minus its input's `sentAt`), and
 * counts duplicates (a key's count seen twice: an at-least-once replay).
 *
 * @module
 */

import type { Consumer, Kafka } from "../src/kafka/kafkajs.ts";

/** Reads outputs and records each one's latency. */
export class OutputReader {
  /** Latency of each output, in arrival order (ms). */
  readonly latencies: number[] = [];
  /** Outputs read. */
  count = 0;
  /** Outputs whose key and count (or greeting number) an earlier output had. */
  duplicates = 0;
  #seen = new Set<string>();
  #consumer: Consumer;
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(kafka: Kafka, readonly topic: string) {
    this.#consumer = kafka.consumer({ groupId: `bench-reader-${crypto.randomUUID()}`, maxWaitTimeInMs: 50 });
  }

  /** Joins and reads from the topic's beginning. */
  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await this.#consumer.run({
      eachBatch: ({ batch }) => {
        const now = Date.now();
        for (const message of batch.messages) {
          this.count++;
          const output = JSON.parse(message.value!.toString());
          this.latencies.push(now - output.sentAt);
          const n = output.count ?? /#(\d+)$/.exec(output.greeting ?? "")?.[1];
          const id = `${message.key?.toString()}#${n}`;
          if (this.#seen.has(id)) this.duplicates++;
          else this.#seen.add(id);
        }
        this.#waiters = this.#waiters.filter((waiter) => {
          if (this.count < waiter.count) return true;
          waiter.resolve();
          return false;
        });
        return Promise.resolve();
      },
    });
  }

  /** Resolves once `count` outputs were read; rejects after `timeoutMs`. */
  until(count: number, timeoutMs = 300_000): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${this.count} of ${count} outputs`)), timeoutMs);
      this.#waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Leaves the group. */
  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}
