/**
 * Kafka record headers and metadata on the real broker, under both processing guarantees: a record produced with
 * headers (`x-trace: abc`, a binary one, a repeated one) and a timestamp reaches an in-process function that reads
 * them and its topic, partition, offset and timestamp (`message.kafka`); the function writes egress records with
 * headers (a binary one, a repeated one) to an egress of each delivery semantic (exactly-once, at-least-once, none),
 * and a reader sees them; the ingress's `carryHeaders` carry `x-trace` onto the record a second function writes,
 * through the mailbox when its address is another task's.
 */

import { Buffer } from "node:buffer";
import { deepEqual, equal } from "node:assert/strict";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../../mod.ts";
import { partitionOfKey } from "../../src/runtime/partitioner.ts";
import { createTopic, kafkaTest, readBack, testKafka, type TestRecord, uniqueName } from "../kafka/helpers.ts";
import { TEXT } from "./fixtures/functions.ts";
import { cleanUp, startApp, stopApp } from "./harness.ts";

const DELIVERIES = ["exactly-once", "at-least-once", "none"] as const;
const UTF8 = new TextEncoder();
const TIMESTAMP = 1_700_000_000_123;

/** test.eddy/reader writes what it read of its record to every egress; test.eddy/second writes one plain record. */
function functions(outputs: Record<(typeof DELIVERIES)[number], string>): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: "test.eddy/reader",
    fn(context, message) {
      const kafka = message.kafka!;
      const { "x-trace": trace, bin } = kafka.headers;
      const seen = JSON.stringify({
        topic: kafka.topic,
        partition: kafka.partition,
        offset: kafka.offset,
        timestamp: kafka.timestamp,
        key: kafka.key,
        value: message.as(TEXT),
        trace: trace ?? null,
        bin: bin instanceof Uint8Array ? Buffer.from(bin).toString("hex") : null,
        tags: kafka.headerValues("tag"),
      });
      const headers = {
        "x-function": "reader",
        ...(bin === undefined ? {} : { "x-bin": bin, "x-tags": ["1", Uint8Array.of(0xff)] }),
      };
      for (const delivery of DELIVERIES) {
        const typename = `test.eddy/${delivery}`;
        context.send(kafkaEgressMessage({ typename, topic: outputs[delivery], key: kafka.key!, value: seen, headers }));
      }
      context.send(messageBuilder({ typename: "test.eddy/second", id: `${context.self.id}-second`, value: "hop" }));
    },
  });
  statefun.bind({
    typename: "test.eddy/second",
    fn(context, message) {
      const value = `${message.asString()}:${message.kafka === undefined ? "no record" : "a record"}`;
      context.send(kafkaEgressMessage({
        typename: "test.eddy/exactly-once",
        topic: outputs["exactly-once"],
        key: context.self.id,
        value,
      }));
    },
  });
  return statefun;
}

/** Two keys: one whose second hop is on the other task (the mailbox), one whose is on its own (in memory). */
function keys(): [string, string] {
  const task = (id: string) => partitionOfKey(UTF8.encode(id), 2);
  const find = (crosses: boolean) => {
    for (let i = 0;; i++) if ((task(`k${i}`) !== task(`k${i}-second`)) === crosses) return `k${i}`;
  };
  return [find(true), find(false)];
}

const text = (value: Uint8Array | Uint8Array[] | undefined) =>
  value === undefined
    ? undefined
    : Array.isArray(value)
    ? value.map((one) => Buffer.from(one).toString())
    : Buffer.from(value).toString();

for (const guarantee of ["exactly-once", "at-least-once"] as const) {
  kafkaTest(`headers and metadata in, headers out on every delivery, carried a hop on (${guarantee})`, async () => {
    const input = await createTopic("in", { partitions: 2 });
    const outputs = {
      "exactly-once": await createTopic("out-eo"),
      "at-least-once": await createTopic("out-alo"),
      none: await createTopic("out-none"),
    };
    const group = uniqueName("headers");
    const [crossing, local] = keys();
    const producer = testKafka("eddy-test-headers").producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const produced = new Map<string, { partition: number; offset: number }>();
    try {
      const records = [
        {
          key: crossing,
          value: "traced",
          headers: { "x-trace": "abc", bin: Buffer.from([0xff, 0x00, 0xfe]), tag: ["a", "b"] },
          timestamp: String(TIMESTAMP),
        },
        { key: local, value: "also traced", headers: { "x-trace": "def" }, timestamp: String(TIMESTAMP + 1) },
        { key: "plain", value: "no headers", timestamp: String(TIMESTAMP + 2) },
      ];
      for (const record of records) {
        const [{ partition, baseOffset }] = await producer.send({ topic: input, acks: -1, messages: [record] });
        produced.set(record.key, { partition, offset: Number(baseOffset) });
      }
    } finally {
      await producer.disconnect();
    }
    const app = await startApp(
      {
        group,
        topics: [{ topic: input, targets: ["test.eddy/reader"] }],
        egresses: DELIVERIES.map((delivery) => ({ id: `test.eddy/${delivery}`, delivery })),
        carryHeaders: ["x-trace"],
      },
      functions(outputs),
      { guarantee },
    );
    const read: Record<string, TestRecord[]> = {};
    try {
      read["exactly-once"] = await readBack(outputs["exactly-once"], 6, 60_000); // 3 from the reader, 3 second hops
      read["at-least-once"] = await readBack(outputs["at-least-once"], 3, 60_000);
      read.none = await readBack(outputs.none, 3, 60_000);
    } finally {
      await stopApp(app);
    }
    const expected = (key: string, value: string, timestamp: number, trace: string | null) => ({
      topic: input,
      ...produced.get(key)!,
      timestamp,
      key,
      value,
      trace,
      bin: key === crossing ? "ff00fe" : null,
      tags: key === crossing ? ["a", "b"] : [],
    });
    for (const delivery of DELIVERIES) {
      const fromReader = read[delivery].filter((record) => record.value!.startsWith("{"));
      const byKey = new Map(fromReader.map((record) => [record.key!, record]));
      equal(fromReader.length, 3, delivery);
      deepEqual(JSON.parse(byKey.get(crossing)!.value!), expected(crossing, "traced", TIMESTAMP, "abc"), delivery);
      deepEqual(JSON.parse(byKey.get(local)!.value!), expected(local, "also traced", TIMESTAMP + 1, "def"), delivery);
      deepEqual(JSON.parse(byKey.get("plain")!.value!), expected("plain", "no headers", TIMESTAMP + 2, null), delivery);
      // The function's headers, bytes as they were, and the carried x-trace.
      const crossingHeaders = byKey.get(crossing)!.headerBytes!;
      deepEqual(Object.keys(crossingHeaders).sort(), ["x-bin", "x-function", "x-tags", "x-trace"], delivery);
      // A list is the header once per value, in order (kafkajs reads a repeated header back as an array).
      deepEqual((crossingHeaders["x-tags"] as Uint8Array[]).map((value) => [...value]), [[0x31], [0xff]], delivery);
      deepEqual([...(crossingHeaders["x-bin"] as Uint8Array)], [0xff, 0x00, 0xfe], delivery);
      deepEqual(text(crossingHeaders["x-trace"] as Uint8Array), "abc", delivery);
      deepEqual(text(crossingHeaders["x-function"] as Uint8Array), "reader", delivery);
      deepEqual(byKey.get(local)!.headers, { "x-function": "reader", "x-trace": "def" }, delivery);
      deepEqual(byKey.get("plain")!.headers, { "x-function": "reader" }, delivery);
    }
    // The second function's records: no record of their own (message.kafka undefined), the carried x-trace.
    const second = read["exactly-once"].filter((record) => !record.value!.startsWith("{"));
    deepEqual(
      second.map((record) => [record.key, record.value, record.headers]).sort(),
      [
        [`${crossing}-second`, "hop:no record", { "x-trace": "abc" }],
        [`${local}-second`, "hop:no record", { "x-trace": "def" }],
        ["plain-second", "hop:no record", {}],
      ].sort(),
    );
    await cleanUp(group, input, ...Object.values(outputs));
  });
}
