/**
 * Runs a greeter example end to end, with no manual steps: starts the local Kafka broker, creates its topics,
 * starts Eddy with its module (and its in-process functions, if any), produces a few names, prints the greetings,
 * then stops Eddy gracefully. `examples/greeter/run.ts` and `examples/remote_greeter/run.ts` use it.
 *
 * @module
 */

import { KafkaAdmin } from "../src/kafka/admin.ts";
import { createKafka } from "../src/kafka/client.ts";
import { EgressProducer } from "../src/kafka/egress_producer.ts";

/** What differs between the greeters. */
export interface GreeterExample {
  /** A name for the client id and the reader's group. */
  name: string;
  /** The module spec, relative to the project root. */
  module: string;
  /** The in-process functions module, if the functions are not remote. */
  functions?: string;
  /** The input and output topics. */
  topics: { names: string; greetings: string };
  /** Started before Eddy and stopped after it (a remote functions server). */
  before?: () => Deno.ChildProcess;
}

const root = new URL("../", import.meta.url).pathname;
const brokers = ["127.0.0.1:9092"];
const names = ["Ada", "Bob", "Ada", "Cleo", "Bob", "Ada"];

/** Runs the example. */
export async function runGreeterExample(example: GreeterExample): Promise<void> {
  const { success } = await new Deno.Command("bash", {
    args: ["scripts/kafka/broker.sh", "start"],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error("scripts/kafka/broker.sh start failed");
  const kafka = createKafka({ brokers, clientId: `${example.name}-example` });
  const admin = new KafkaAdmin(kafka);
  await admin.connect();
  await admin.ensureTopic({ topic: example.topics.names, partitions: 4 });
  await admin.ensureTopic({ topic: example.topics.greetings, partitions: 1 });
  const from = (await admin.topicOffsets(example.topics.greetings))[0].high;
  await admin.disconnect();

  const helper = example.before?.();
  console.log(`starting Eddy with ${example.module} (logs on stderr)`);
  const eddy = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "mod.ts",
      "run",
      "--module",
      example.module,
      ...(example.functions === undefined ? [] : ["--functions", example.functions]),
    ],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();

  try {
    const producer = new EgressProducer(kafka);
    await producer.connect();
    await producer.send(
      names.map((name) => ({ topic: example.topics.names, key: name, value: JSON.stringify({ name }) })),
    );
    await producer.disconnect();
    console.log(`produced ${names.length} names to topic ${example.topics.names}: ${names.join(", ")}`);

    const consumer = kafka.consumer({ groupId: `${example.name}-example-${crypto.randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [example.topics.greetings], fromBeginning: true });
    const greetings: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`got ${greetings.length} of ${names.length} greetings in 60 s`)),
        60_000,
      );
      consumer.run({
        eachMessage: ({ message }) => {
          if (Number(message.offset) < from) return Promise.resolve();
          const greeting = message.value?.toString() ?? "";
          console.log(`${example.topics.greetings}: ${greeting}`);
          greetings.push(greeting);
          if (greetings.length === names.length) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
  } finally {
    eddy.kill("SIGTERM");
    const { code } = await eddy.status;
    console.log(`Eddy stopped (exit code ${code})`);
    helper?.kill("SIGTERM");
    await helper?.status;
  }
}
