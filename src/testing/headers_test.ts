/**
 * The test kit with Kafka record headers and metadata: a function reads its record's topic, partition, offset,
 * timestamp, key and headers (`message.kafka`), which messages from functions and timers do not have, and writes
 * egress records with headers; an ingress's `carryHeaders` carry a `traceparent` from a record to every egress record
 * its processing writes — through an in-process function, official-SDK functions behind their Node handler (batched
 * calls included), a message to another task's address and a delayed message across a crash, each record once across
 * aborted commits.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import {
  kafkaEgressMessage as sdkEgressMessage,
  messageBuilder as sdkMessageBuilder,
  StateFun as SdkStateFun,
} from "../../examples/remote_greeter/deps.ts";
import { partitionOfKey } from "../runtime/partitioner.ts";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../sdk/mod.ts";
import { parseModuleSpec } from "../spec/load.ts";
import { createTestApp, fromNodeHandler } from "./mod.ts";

const MODULE = `kind: io.statefun.endpoints.v2/http
spec:
  functions: h.remote/*
  urlPathTemplate: http://functions/{function.name}
---
kind: io.statefun.kafka.v1/ingress
spec:
  id: h/in
  address: kafka:9092
  consumerGroupId: headers
  carryHeaders: [traceparent]
  topics:
    - topic: in
      valueType: h/text
      targets: [h/first]
---
kind: io.statefun.kafka.v1/egress
spec:
  id: h/out
  address: kafka:9092
  deliverySemantic:
    type: exactly-once
    transactionTimeout: 1min
`;

const TEXT = StateFun.customType<string>(
  "h/text",
  (text) => new TextEncoder().encode(text) as never,
  (bytes) => new TextDecoder().decode(bytes),
);
const hex = (bytes: Uint8Array) => [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");

/** h/first reads its record and writes what it saw; h/relay and its delayed message see no record. */
function readingFunctions(): StateFun {
  const functions = new StateFun();
  functions.bind({
    typename: "h/first",
    fn(context, message) {
      const kafka = message.kafka!;
      const bin = kafka.headers.bin as Uint8Array;
      context.send(kafkaEgressMessage({
        typename: "h/out",
        topic: "out",
        key: context.self.id,
        value: JSON.stringify({
          topic: kafka.topic,
          partition: kafka.partition,
          offset: kafka.offset,
          timestamp: kafka.timestamp,
          key: kafka.key,
          trace: kafka.headers["x-trace"],
          bin: hex(bin),
          tags: kafka.headerValues("tag"),
        }),
        headers: { "x-seen": kafka.headers["x-trace"], "x-bin": bin, "x-tags": ["1", "2"] },
      }));
      context.send(messageBuilder({ typename: "h/relay", id: context.self.id, value: "sent" }));
    },
  });
  functions.bind({
    typename: "h/relay",
    fn(context, message) {
      const text = message.asString();
      if (text === "sent") {
        context.sendAfter(1_000, messageBuilder({ typename: "h/relay", id: context.self.id, value: "delayed" }));
      }
      const value = `${text}:${message.kafka === undefined ? "no record" : "a record"}`;
      context.send(kafkaEgressMessage({ typename: "h/out", topic: "out", key: context.self.id, value }));
    },
  });
  return functions;
}

Deno.test("test kit: message.kafka has the record's topic, partition, offset, timestamp, key and headers", async () => {
  const app = await createTestApp({
    module: parseModuleSpec(MODULE.replace(/^kind: io.statefun.endpoints[\s\S]*?---\n/, ""), "m.yaml"),
    functions: readingFunctions(),
    startTime: 1_000_000,
  });
  const headers = { "x-trace": "abc", bin: Uint8Array.of(0xff, 0x00, 0xfe), tag: ["a", Uint8Array.of(0x80), "c"] };
  app.send("h/in", { key: "Ada", value: "1", headers, timestamp: 1_700_000_000_123 });
  // Put on another task's partition (another partitioner): forwarded through the mailbox, its record goes with it.
  const elsewhere = (partitionOfKey(new TextEncoder().encode("Bob"), 4) + 1) % 4;
  app.send("h/in", { key: "Bob", value: "2", headers, partition: elsewhere });
  await app.run();
  await app.advance(1_000);
  const out = app.egress("h/out");
  const seen = out.filter((record) => record.value!.startsWith("{")).map((record) => JSON.parse(record.value!));
  const ada = partitionOfKey(new TextEncoder().encode("Ada"), 4);
  deepEqual(
    seen,
    [
      ...[
        { topic: "in", partition: ada, offset: 0, timestamp: 1_700_000_000_123, key: "Ada" },
        { topic: "in", partition: elsewhere, offset: 0, timestamp: 1_000_000, key: "Bob" },
      ].map((record) => ({ ...record, trace: "abc", bin: "ff00fe", tags: ["a", { 0: 128 }, "c"] })),
    ].sort((a, b) =>
      partitionOfKey(new TextEncoder().encode(a.key), 4) - partitionOfKey(new TextEncoder().encode(b.key), 4)
    ),
  );
  for (const record of out.filter((record) => record.value!.startsWith("{"))) {
    deepEqual(record.headers, { "x-seen": "abc", "x-bin": Uint8Array.of(0xff, 0x00, 0xfe), "x-tags": "2" });
  }
  deepEqual(
    out.filter((record) => !record.value!.startsWith("{")).map((record) => `${record.key}:${record.value}`).sort(),
    ["Ada:delayed:no record", "Ada:sent:no record", "Bob:delayed:no record", "Bob:sent:no record"],
    "messages from functions and timers have no Kafka record",
  );
  await app.close();
});

/** Official-SDK functions (served through their Node handler): the counter messages the echo, which writes out. */
function sdkFunctions(): SdkStateFun {
  const statefun = new SdkStateFun();
  statefun.bind({
    typename: "h.remote/counter",
    specs: [{ name: "count", type: SdkStateFun.intType() }],
    // deno-lint-ignore no-explicit-any
    fn(context: any, message: any) {
      const text = message.asString();
      const count = (context.storage.count ?? 0) + 1;
      context.storage.count = count;
      context.send(sdkMessageBuilder({ typename: "h.remote/echo", id: context.self.id, value: text }));
      if (text.endsWith("later")) {
        context.sendAfter(
          60_000,
          sdkMessageBuilder({ typename: "h.remote/counter", id: context.self.id, value: `${text}:delayed` }),
        );
      }
    },
  });
  statefun.bind({
    typename: "h.remote/echo",
    // deno-lint-ignore no-explicit-any
    fn(context: any, message: any) {
      context.send(
        sdkEgressMessage({ typename: "h/out", topic: "out", key: context.self.id, value: message.asString() }),
      );
    },
  });
  return statefun;
}

/** h/first writes a record with a header of its own and messages the remote counter at `<key>-r`. */
function carryingFunctions(): StateFun {
  const functions = new StateFun();
  functions.bind({
    typename: "h/first",
    fn(context, message) {
      const text = message.as(TEXT)!;
      context.send(kafkaEgressMessage({
        typename: "h/out",
        topic: "out",
        key: context.self.id,
        value: `first:${text}`,
        headers: { "x-own": "1" },
      }));
      context.send(messageBuilder({ typename: "h.remote/counter", id: `${context.self.id}-r`, value: text }));
    },
  });
  return functions;
}

Deno.test("test kit: carryHeaders carry a traceparent to every egress record, through remote functions and delays", async () => {
  const app = await createTestApp({
    module: parseModuleSpec(MODULE, "m.yaml"),
    functions: carryingFunctions(),
    remote: { "h.remote/*": fromNodeHandler(sdkFunctions().handler()) },
  });
  const trace = (n: number) => `00-${String(n).padStart(32, "0")}-00f067aa0ba902b7-01`;
  const keys = ["a", "b", "c", "d", "e", "f"];
  // The first commits that write egress records abort (their tasks start over): still each record once, as traced.
  app.abortNextCommits((commit) => commit.records.some((record) => record.topic === "out"));
  // Three records per key at once: the remote counter takes the ones queued behind its call in one batch, but only
  // those with the same carried headers (a call's records cannot be told apart by message).
  app.send(
    "h/in",
    ...keys.flatMap((key, k) =>
      [0, 1, 2].map((i) => ({
        key,
        value: `${key}${i}${i === 2 ? ":later" : ""}`,
        headers: { traceparent: trace(k * 10 + i), "x-other": "not carried" },
      }))
    ),
    { key: "untraced", value: "u0" },
  );
  await app.run();
  await app.crash(); // the delayed messages wait in the changelog, with the headers they carry
  await app.advance(60_000);
  const out = app.egress("h/out");
  const expected = (key: string, k: number) => [
    ...[0, 1, 2].map((i) => [`first:${key}${i}${i === 2 ? ":later" : ""}`, trace(k * 10 + i), "1"]),
    ...[0, 1, 2].map((i) => [`${key}${i}${i === 2 ? ":later" : ""}`, trace(k * 10 + i), undefined]),
    [`${key}2:later:delayed`, trace(k * 10 + 2), undefined],
  ];
  const byInput = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
  for (const [k, key] of keys.entries()) {
    const records = out.filter((record) => record.key === key || record.key === `${key}-r`);
    for (const record of records) equal(record.headers["x-other"], undefined, "only the headers carryHeaders names");
    deepEqual(
      records.map((record) => [record.value, record.headers.traceparent, record.headers["x-own"]]).sort(byInput),
      expected(key, k).sort(byInput),
    );
  }
  deepEqual(
    out.filter((record) => record.key?.startsWith("untraced")).map((record) => [record.value, record.headers]),
    [["first:u0", { "x-own": "1" }], ["u0", {}]],
    "a record without the header carries none",
  );
  ok(app.records(`${app.plan.appId}-mailbox`).length > 0, "messages crossed tasks through the mailbox");
  ok(app.egress("h/out", { uncommitted: true }).length > out.length, "commits aborted, and their records are not read");
  await app.close();
});
