/**
 * kafkajs 2.2.4 under Deno against the local Apache Kafka 4.x broker: admin,
 * produce, consume in a group. (The full study of kafkajs behaviours is #3.)
 */

import { deepEqual, equal, rejects } from "node:assert/strict";
import { Kafka, logLevel } from "../../src/kafka/kafkajs.ts";
import { brokers, createTopic, deleteTopics, kafkaTest, produce, readBack, withAdmin } from "./helpers.ts";

kafkaTest("the broker answers at KAFKA_BROKERS", async () => {
  const cluster = await withAdmin((admin) => admin.describeCluster());
  equal(cluster.brokers.length, 1);
  equal(`${cluster.brokers[0].host}:${cluster.brokers[0].port}`, brokers[0]);
});

kafkaTest("kafkajs creates a topic, produces, and consumes it back in a consumer group", async () => {
  const topic = await createTopic("smoke", { partitions: 3 });
  try {
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `key-${i % 7}`, value: `value-${i}` }));
    await produce(topic, sent);
    const received = await readBack(topic, sent.length);
    equal(received.length, sent.length);
    const byKey = (records: { key: string | null; value: string | null }[]) =>
      records.map(({ key, value }) => `${key}=${value}`).toSorted();
    deepEqual(byKey(received), byKey(sent));
    // Same key, same partition (Kafka's default partitioner), in the order sent.
    for (const key of new Set(sent.map((record) => record.key))) {
      const records = received.filter((record) => record.key === key);
      equal(new Set(records.map((record) => record.partition)).size, 1, `key ${key} on one partition`);
      deepEqual(records.map((record) => record.value), sent.filter((record) => record.key === key).map((r) => r.value));
    }
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    equal(offsets.reduce((sum, partition) => sum + Number(partition.high), 0), sent.length);
  } finally {
    await deleteTopics(topic);
  }
});

kafkaTest("an unreachable broker fails with a clear error rather than hanging", async () => {
  const admin = new Kafka({
    clientId: "eddy-test-unreachable",
    brokers: ["127.0.0.1:1"],
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 50 },
    connectionTimeout: 500,
  }).admin();
  await rejects(admin.connect(), /ECONNREFUSED|Connection error/);
});

kafkaTest("Kafka's own tools see what kafkajs wrote (same broker, same data)", async () => {
  const topic = await createTopic("tools", { partitions: 2 });
  try {
    await produce(topic, [{ key: "a", value: "1" }, { key: "b", value: "2" }, { key: "c", value: "3" }]);
    const script = new URL("../../scripts/kafka/broker.sh", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command("bash", {
      args: [
        script,
        "tools",
        "org.apache.kafka.tools.GetOffsetShell",
        "--bootstrap-server",
        brokers[0],
        "--topic",
        topic,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(code, 0, new TextDecoder().decode(stderr));
    // One line per partition: <topic>:<partition>:<log-end offset>.
    const lines = new TextDecoder().decode(stdout).trim().split("\n").toSorted();
    equal(lines.length, 2);
    equal(lines.reduce((sum, line) => sum + Number(line.split(":")[2]), 0), 3);
  } finally {
    await deleteTopics(topic);
  }
});
