/**
 * `deno task bench`: the greeter pipeline on Eddy (both processing
 * guarantees, and with its functions remote: the official JS SDK over HTTP)
 * next to a plain kafkajs consume→produce loop, on the same broker, in the
 * same run. Each pipeline gets fresh topics:
 *
 * - throughput: a backlog of RECORDS records (1000 names), timed from start
 *   until a read_committed reader has seen every output;
 * - latency: a paced stream (RATE records/s for LATENCY_SECONDS), each
 *   output's arrival at the reader minus its input's send time, p50 and p99.
 *
 * Prints a table and the ratios against the baseline; the machine is shared
 * and noisy, so only the ratios mean something across runs.
 *
 * Environment: BENCH_RECORDS (default 100000), BENCH_RATE (2000), BENCH_LATENCY_SECONDS (5).
 */

import { KafkaAdmin } from "../src/kafka/admin.ts";
import { createKafka } from "../src/kafka/client.ts";
import type { Kafka } from "../src/kafka/kafkajs.ts";
import { Partitioners } from "../src/kafka/kafkajs.ts";
import { Logger } from "../src/runtime/logger.ts";
import { serve } from "../src/serve/serve.ts";
import { parseModuleSpec } from "../src/spec/load.ts";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../mod.ts";

const RECORDS = Number(Deno.env.get("BENCH_RECORDS") ?? 100_000);
const RATE = Number(Deno.env.get("BENCH_RATE") ?? 2_000);
const LATENCY_SECONDS = Number(Deno.env.get("BENCH_LATENCY_SECONDS") ?? 5);
const PARTITIONS = 4;
const brokers = ["127.0.0.1:9092"];
const kafka = createKafka({ brokers, clientId: "eddy-bench" });
const run = `${Date.now().toString(36)}`;

interface Person {
  name: string;
  sentAt: number;
}

/** The greeter of examples/greeter, carrying the input's send time to the output. */
function greeterFunctions(outTopic: string): StateFun {
  const PersonType = StateFun.jsonType<Person>("bench.greeter/Person");
  const GreetingType = StateFun.jsonType<Person & { seen: number }>("bench.greeter/Greeting");
  const functions = new StateFun();
  functions.bind({
    typename: "bench.greeter/greeter",
    specs: [{ name: "seen", type: StateFun.intType() }],
    fn(context, message) {
      const person = message.as(PersonType)!;
      const seen = (context.storage.seen ?? 0) + 1;
      context.storage.seen = seen;
      context.send(messageBuilder({
        typename: "bench.greeter/deliverer",
        id: person.name,
        value: { ...person, seen },
        valueType: GreetingType,
      }));
    },
  });
  functions.bind({
    typename: "bench.greeter/deliverer",
    fn(context, message) {
      const { name, seen, sentAt } = message.as(GreetingType)!;
      context.send(kafkaEgressMessage({
        typename: "bench.greeter/greetings",
        topic: outTopic,
        key: name,
        value: JSON.stringify({ greeting: `Hello ${name} #${seen}`, sentAt }),
      }));
    },
  });
  return functions;
}

function moduleYaml(input: string, group: string, delivery: string): string {
  return `kind: io.statefun.kafka.v1/ingress
spec:
  id: bench.greeter/names
  address: ${brokers.join(",")}
  consumerGroupId: ${group}
  startupPosition:
    type: earliest
  topics:
    - topic: ${input}
      valueType: bench.greeter/Person
      targets: [bench.greeter/greeter]
---
kind: io.statefun.kafka.v1/egress
spec:
  id: bench.greeter/greetings
  address: ${brokers.join(",")}
  deliverySemantic:
    type: ${delivery}
${delivery === "exactly-once" ? "    transactionTimeout: 1min\n" : ""}`;
}

/** Topics to delete at the end. */
const created: string[] = [];

async function topics(slug: string): Promise<{ input: string; output: string }> {
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  const input = `bench-${run}-${slug}-in`;
  const output = `bench-${run}-${slug}-out`;
  created.push(input, output);
  await admin.ensureTopic({ topic: input, partitions: PARTITIONS });
  await admin.ensureTopic({ topic: output, partitions: PARTITIONS });
  await admin.disconnect();
  return { input, output };
}

async function produceBacklog(topic: string, count: number): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let start = 0; start < count; start += 5_000) {
    const messages = [];
    for (let i = start; i < Math.min(count, start + 5_000); i++) {
      const name = `name-${i % 1000}`;
      messages.push({ key: name, value: JSON.stringify({ name, sentAt: Date.now() }) });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

/** Produces `rate` records per second for `seconds`, in 20 ms ticks. */
async function producePaced(topic: string, rate: number, seconds: number): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const perTick = Math.max(1, Math.round(rate / 50));
  const ticks = seconds * 50;
  let sent = 0;
  const start = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    const messages = [];
    for (let i = 0; i < perTick; i++, sent++) {
      const name = `name-${sent % 1000}`;
      messages.push({ key: name, value: JSON.stringify({ name, sentAt: Date.now() }) });
    }
    await producer.send({ topic, acks: 1, messages });
    const wait = start + (tick + 1) * 20 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await producer.disconnect();
  return sent;
}

/** Reads outputs (read_committed) and records each one's latency. */
class Reader {
  readonly latencies: number[] = [];
  count = 0;
  #consumer;
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(kafka: Kafka, readonly topic: string) {
    this.#consumer = kafka.consumer({ groupId: `bench-reader-${crypto.randomUUID()}`, maxWaitTimeInMs: 50 });
  }

  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await this.#consumer.run({
      eachBatch: ({ batch }) => {
        const now = Date.now();
        for (const message of batch.messages) {
          this.count++;
          const { sentAt } = JSON.parse(message.value!.toString());
          this.latencies.push(now - sentAt);
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

  until(count: number, timeoutMs = 300_000): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${this.count} of ${count} outputs`)), timeoutMs);
      this.#waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}

/** The baseline: a plain kafkajs loop, each batch produced (acks=all, awaited) and then its offsets committed. */
async function startBaseline(input: string, output: string) {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({ groupId: `bench-baseline-${run}`, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.CRASH, ({ payload }) => console.error(`baseline consumer crashed: ${payload.error}`));
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  const seen = new Map<string, number>();
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      const messages = batch.messages.map((message) => {
        const { name, sentAt } = JSON.parse(message.value!.toString());
        const count = (seen.get(name) ?? 0) + 1;
        seen.set(name, count);
        return { key: name, value: JSON.stringify({ greeting: `Hello ${name} #${count}`, sentAt }) };
      });
      // One request per 5000 records: a whole 1 MiB fetch would exceed the broker's message.max.bytes.
      for (let start = 0; start < messages.length; start += 5_000) {
        await producer.send({ topic: output, acks: -1, messages: messages.slice(start, start + 5_000) });
      }
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
    },
  });
  return async () => {
    await consumer.disconnect();
    await producer.disconnect();
  };
}

async function startEddy(input: string, output: string, guarantee: "exactly-once" | "at-least-once") {
  const group = `bench-${run}-eddy-${guarantee}`;
  created.push(`${group}-mailbox`, `${group}-changelog`);
  const app = await serve({
    module: parseModuleSpec(
      moduleYaml(input, group, guarantee === "exactly-once" ? "exactly-once" : "at-least-once"),
      "bench.yaml",
    ),
    functions: greeterFunctions(output),
    processingGuarantee: guarantee,
    handleSignals: false,
    controlAddr: "none",
    logger: new Logger({ level: (Deno.env.get("BENCH_LOG_LEVEL") ?? "warn") as "warn" }),
  });
  return async () => {
    await app.stop();
  };
}

/** Eddy with the greeter's functions served by the official JS SDK (bench/remote_greeter_functions.ts) over HTTP. */
async function startRemote(input: string, output: string) {
  const group = `bench-${run}-eddy-remote`;
  created.push(`${group}-mailbox`, `${group}-changelog`);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      new URL("./remote_greeter_functions.ts", import.meta.url).pathname,
      String(port),
      output,
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const endpoint = `kind: io.statefun.endpoints.v2/http
spec:
  functions: bench.greeter/*
  urlPathTemplate: http://127.0.0.1:${port}/{function.name}
---
`;
  const app = await serve({
    module: parseModuleSpec(endpoint + moduleYaml(input, group, "exactly-once"), "bench-remote.yaml"),
    handleSignals: false,
    controlAddr: "none",
    logger: new Logger({ level: (Deno.env.get("BENCH_LOG_LEVEL") ?? "warn") as "warn" }),
  });
  return async () => {
    await app.stop();
    server.kill("SIGTERM");
    await server.status;
  };
}

interface Result {
  name: string;
  throughput: number;
  p50: number;
  p99: number;
  outputs: number;
  rssMiB: number;
  /** The longest the event loop was blocked (a 50 ms timer's lateness): heartbeats cannot go out meanwhile. */
  maxStallMs: number;
}

/** Measures how late a 50 ms timer fires: the longest the event loop was blocked. */
function stallMonitor(): () => number {
  let max = 0;
  let expected = performance.now() + 50;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - expected);
    expected = now + 50;
  }, 50);
  return () => {
    clearInterval(timer);
    return Math.round(max);
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(
  name: string,
  slug: string,
  start: (input: string, output: string) => Promise<() => Promise<void>>,
) {
  const { input, output } = await topics(slug);
  await produceBacklog(input, RECORDS);
  const reader = new Reader(kafka, output);
  await reader.start();
  const stalls = stallMonitor();
  const began = performance.now();
  const stop = await start(input, output);
  await reader.until(RECORDS);
  const seconds = (performance.now() - began) / 1000;
  const backlogLatencies = reader.latencies.length;
  const paced = await producePaced(input, RATE, LATENCY_SECONDS);
  await reader.until(RECORDS + paced);
  const latencies = reader.latencies.slice(backlogLatencies);
  const rssMiB = Deno.memoryUsage().rss / 2 ** 20;
  const maxStallMs = stalls();
  await stop();
  await reader.stop();
  const result: Result = {
    name,
    throughput: RECORDS / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    outputs: reader.count,
    rssMiB,
    maxStallMs,
  };
  console.log(
    `${name.padEnd(22)} ${result.throughput.toFixed(0).padStart(8)} rec/s   p50 ${
      String(result.p50).padStart(5)
    } ms   ` +
      `p99 ${String(result.p99).padStart(5)} ms   (${reader.count} outputs, rss ${rssMiB.toFixed(0)} MiB, ` +
      `longest loop stall ${maxStallMs} ms)`,
  );
  return result;
}

console.log(
  `greeter pipeline: ${RECORDS} records backlog (1000 names, ${PARTITIONS} partitions), then ${RATE} rec/s for ` +
    `${LATENCY_SECONDS} s; Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
);
const baseline = await measure("kafkajs loop (baseline)", "baseline", startBaseline);
const results = [
  await measure("eddy exactly-once", "eo", (input, output) => startEddy(input, output, "exactly-once")),
  await measure("eddy at-least-once", "alo", (input, output) => startEddy(input, output, "at-least-once")),
  await measure("eddy remote (JS SDK)", "remote", startRemote),
];
console.log("\nratios against the baseline (throughput: higher is better; latency: lower is better)");
for (const result of results) {
  console.log(
    `${result.name.padEnd(22)} throughput ×${(result.throughput / baseline.throughput).toFixed(2)}   ` +
      `p50 ×${(result.p50 / baseline.p50).toFixed(1)}   p99 ×${(result.p99 / baseline.p99).toFixed(1)}`,
  );
}
const admin = new KafkaAdmin(kafka);
await admin.connect();
await admin.deleteTopics(created);
await admin.disconnect();
