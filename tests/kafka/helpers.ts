/**
 * Helpers for tests against the real broker (`deno task kafka:start`): unique
 * topics per test, topic creation and deletion, producing and reading back.
 *
 * Deno's op and resource sanitizers stay on: kafkajs clients that are
 * disconnected leave nothing behind on Deno 2.9 (tests/kafka/deno_test.ts), so
 * a leak they report is a client a test forgot to disconnect.
 */

import { type Admin, brokersFromEnv, Kafka, logLevel, type Producer } from "../../src/kafka/kafkajs.ts";

/** The brokers the tests use (`KAFKA_BROKERS`, default 127.0.0.1:9092). */
export const brokers = brokersFromEnv();

/** The test broker's SASL_PLAINTEXT listener (`KAFKA_SASL_PORT`, default 9094; scripts/kafka/broker.sh). */
export const saslAddress = `127.0.0.1:${Deno.env.get("KAFKA_SASL_PORT") ?? "9094"}`;

/** The test broker's SSL listener (`KAFKA_SSL_PORT`, default 9095). */
export const sslAddress = `127.0.0.1:${Deno.env.get("KAFKA_SSL_PORT") ?? "9095"}`;

/** The test broker's folder: jars, data, its test CA (`EDDY_KAFKA_HOME`, default <project>/.kafka). */
export const kafkaHome = Deno.env.get("EDDY_KAFKA_HOME") ?? new URL("../../.kafka", import.meta.url).pathname;

/** A kafkajs client for tests: short retries, quiet unless KAFKAJS_LOG_LEVEL is set. */
export function testKafka(clientId = "eddy-test"): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING, // kafkajs logs retried conditions (rebalances) as errors; KAFKAJS_LOG_LEVEL overrides
    retry: { retries: 3, initialRetryTime: 100 },
    connectionTimeout: 3_000,
  });
}

/** A transactional producer, configured as Eddy's task producers are. */
export function transactionalProducer(transactionalId = uniqueName("txn"), transactionTimeout = 10_000): Producer {
  return testKafka("eddy-test-txn").producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout,
    allowAutoTopicCreation: false,
  });
}

/** A topic (or group) name no other test or run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Runs `fn` with a connected admin client. */
export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka("eddy-test-admin").admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `no Kafka broker at ${brokers.join(",")}: start one with \`deno task kafka:start\` (${(error as Error).message})`,
    );
  }
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Options for a test topic. */
export interface TopicOptions {
  /** Partition count (default 1). */
  partitions?: number;
  /** Topic configs such as `cleanup.policy`. */
  configs?: Record<string, string>;
}

/** Creates a topic with a unique name and returns the name. */
export async function createTopic(prefix: string, options: TopicOptions = {}): Promise<string> {
  const topic = uniqueName(prefix);
  await withAdmin(async (admin) => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic,
        numPartitions: options.partitions ?? 1,
        replicationFactor: 1,
        configEntries: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
      }],
    });
    if (!created) throw new Error(`topic ${topic} already exists`);
  });
  return topic;
}

/** Deletes topics (missing ones are ignored). */
export async function deleteTopics(...topics: string[]): Promise<void> {
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
  });
}

/** A record to produce or a record read back. */
export interface TestRecord {
  /** The key as text, or null. */
  key: string | null;
  /** The value as text, or null. */
  value: string | null;
  /** The partition (read back: where it was; produced: where to put it, default by key). */
  partition?: number;
  /** The offset (read back only). */
  offset?: string;
  /** Headers as text (read back; produced: written as they are). */
  headers?: Record<string, string>;
  /** Headers as kafkajs read them: bytes, or a list of them for a repeated header (read back only). */
  headerBytes?: Record<string, Uint8Array | Uint8Array[]>;
}

/** Produces records and waits for the broker's acknowledgement. */
export async function produce(topic: string, records: TestRecord[]): Promise<void> {
  const producer = testKafka("eddy-test-producer").producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads a topic from the beginning in a fresh consumer group until `count`
 * records have arrived, or fails after `timeoutMs` saying how many did.
 */
export async function readBack(topic: string, count: number, timeoutMs = 20_000): Promise<TestRecord[]> {
  const consumer = testKafka("eddy-test-reader").consumer({ groupId: uniqueName("reader"), sessionTimeout: 10_000 });
  const records: TestRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} of ${count} records from ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer.run({
        eachMessage: ({ partition, message }) => {
          records.push({
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            partition,
            offset: message.offset,
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
            headerBytes: message.headers as Record<string, Uint8Array | Uint8Array[]>,
          });
          if (records.length >= count) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** `Deno.test` for tests that talk to Kafka (one place to change how they run). */
export function kafkaTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, fn });
}

/** Polls `condition` every 50 ms until it holds, or fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
