/**
 * Characterization: records compressed by Kafka's Java producer (snappy, lz4,
 * zstd) read through kafkajs. kafkajs alone decodes only gzip and its consumer
 * crashes on the others; with Eddy's codecs registered all three read back.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { registerCompressionCodecs } from "../../src/kafka/codecs.ts";
import { brokers, createTopic, deleteTopics, kafkaTest, readBack, testKafka, uniqueName, waitFor } from "./helpers.ts";

const brokerScript = new URL("../../scripts/kafka/broker.sh", import.meta.url).pathname;

/** Writes `lines` with Kafka's own console producer (the Java client) using `codec`. */
async function javaProduce(topic: string, codec: string, lines: string[]): Promise<void> {
  const child = new Deno.Command("bash", {
    args: [
      brokerScript,
      "tools",
      "org.apache.kafka.tools.ConsoleProducer",
      "--bootstrap-server",
      brokers[0],
      "--topic",
      topic,
      "--compression-codec",
      codec,
      "--producer-property",
      "linger.ms=50",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await writer.close();
  const { code, stderr } = await child.output();
  equal(code, 0, new TextDecoder().decode(stderr));
}

const lines = Array.from({ length: 200 }, (_, i) => `record ${i} ${"x".repeat(i % 50)}`);

kafkaTest("without codecs, kafkajs' consumer crashes on a snappy batch from a Java producer", async () => {
  const topic = await createTopic("codec-none");
  const consumer = testKafka().consumer({ groupId: uniqueName("codec"), maxWaitTimeInMs: 250, retry: { retries: 0 } });
  const crashes: string[] = [];
  try {
    await javaProduce(topic, "snappy", ["one"]);
    consumer.on(
      consumer.events.CRASH,
      ({ payload }) => crashes.push(`${payload.error.name}: ${payload.error.message}`),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: () => Promise.resolve() });
    await waitFor("the crash", () => crashes.length > 0);
    equal(crashes[0], "KafkaJSNotImplemented: Snappy compression not implemented");
  } finally {
    await consumer.disconnect();
    await deleteTopics(topic);
  }
});

for (const codec of ["snappy", "lz4", "zstd", "gzip"]) {
  kafkaTest(`with Eddy's codecs, ${codec} batches from a Java producer read back exactly`, async () => {
    registerCompressionCodecs();
    const topic = await createTopic(`codec-${codec}`);
    try {
      await javaProduce(topic, codec, lines);
      const records = await readBack(topic, lines.length);
      deepEqual(records.map((record) => record.value), lines);
      ok(records.every((record, i) => record.offset === String(i)));
    } finally {
      await deleteTopics(topic);
    }
  });
}
