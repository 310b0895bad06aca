/**
 * The remote greeter, end to end, with no manual steps: starts the local Kafka broker, creates the topics, starts
 * the functions (the official StateFun JS SDK's HTTP handler, functions.ts) and Eddy with the module alone — no
 * --functions: Eddy calls them over StateFun's request-reply protocol — produces a few names and prints the
 * greetings, then stops both.
 *
 * `deno task example:remote` (state lives in Kafka: a second run continues the counts).
 */

import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { createKafka } from "../../src/kafka/client.ts";
import { EgressProducer } from "../../src/kafka/egress_producer.ts";

const root = new URL("../../", import.meta.url).pathname;
const brokers = ["127.0.0.1:9092"];
const names = ["Ada", "Bob", "Ada", "Cleo", "Bob", "Ada"];

async function sh(command: string, args: string[]): Promise<void> {
  const { success } = await new Deno.Command(command, { args, cwd: root, stdout: "inherit", stderr: "inherit" })
    .output();
  if (!success) throw new Error(`${command} ${args.join(" ")} failed`);
}

await sh("bash", ["scripts/kafka/broker.sh", "start"]);
const kafka = createKafka({ brokers, clientId: "remote-greeter-example" });
const admin = new KafkaAdmin(kafka);
await admin.connect();
await admin.ensureTopic({ topic: "remote-names", partitions: 4 });
await admin.ensureTopic({ topic: "remote-greetings", partitions: 1 });
const from = (await admin.topicOffsets("remote-greetings"))[0].high;
await admin.disconnect();

console.log("starting the functions (official JS SDK) on 127.0.0.1:18000 and Eddy (logs on stderr)");
const functions = new Deno.Command(Deno.execPath(), {
  args: ["run", "--allow-net", "--allow-env", "--allow-read", "examples/remote_greeter/functions.ts", "18000"],
  cwd: root,
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const eddy = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "mod.ts",
    "run",
    "--module",
    "examples/remote_greeter/module.yaml",
  ],
  cwd: root,
  stdout: "inherit",
  stderr: "inherit",
}).spawn();

try {
  const producer = new EgressProducer(kafka);
  await producer.connect();
  await producer.send(names.map((name) => ({ topic: "remote-names", key: name, value: JSON.stringify({ name }) })));
  await producer.disconnect();
  console.log(`produced ${names.length} names to topic names: ${names.join(", ")}`);

  const consumer = kafka.consumer({ groupId: `remote-greeter-example-${crypto.randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: ["remote-greetings"], fromBeginning: true });
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
        console.log(`greetings: ${greeting}`);
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
  functions.kill("SIGTERM");
  await functions.status;
}
