/**
 * The test kit on its own terms: the greeter end to end; forwarding of records another partitioner put elsewhere;
 * exactly-once across a crash and an aborted commit (read_committed vs read_uncommitted); delayed messages and expiry
 * on the virtual clock; failure policies; an official-SDK function through its Node handler; and the errors a test
 * can make.
 */

import { Buffer } from "node:buffer";
import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import greeterFunctions from "../../examples/greeter/functions.ts";
import { statefun as sdkGreeter } from "../../examples/remote_greeter/sdk_functions.ts";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../sdk/mod.ts";
import { parseModuleSpec } from "../spec/load.ts";
import { RuntimeError } from "../runtime/errors.ts";
import { partitionOfKey } from "../runtime/partitioner.ts";
import { createTestApp, fromNodeHandler, TestAppError } from "./mod.ts";

const GREETER = "examples/greeter/module.yaml";
const NAMES = "com.example.greeter/names";
const GREETINGS = "com.example.greeter/greetings";
const person = (name: string) => ({ key: name, value: JSON.stringify({ name }) });

Deno.test("test kit: the greeter's 1000 messages, state as the control API shows it", async () => {
  const app = await createTestApp({ module: GREETER, functions: greeterFunctions });
  const started = performance.now();
  const names = Array.from({ length: 100 }, (_, i) => `name-${i}`);
  for (let round = 0; round < 10; round++) app.send(NAMES, ...names.map(person));
  await app.run();
  console.log(`1000 greeter messages (2 functions, 4 tasks) in ${Math.round(performance.now() - started)} ms`);
  const greetings = app.egress(GREETINGS);
  equal(greetings.length, 1000);
  for (const name of names) {
    deepEqual(
      greetings.filter((record) => record.key === name).map((record) => record.value),
      Array.from({ length: 10 }, (_, i) => `Hello ${name} #${i + 1}`),
    );
  }
  deepEqual(app.state("com.example.greeter/greeter", "name-7"), {
    seen: { typename: "io.statefun.types/int", value: 10 },
  });
  deepEqual(app.state("com.example.greeter/greeter", "nobody"), {});
  equal(greetings[0].topic, "greetings");
  await app.close();
});

Deno.test("test kit: a record another partitioner put on another task's partition is forwarded, not lost", async () => {
  const app = await createTestApp({ module: GREETER, functions: greeterFunctions });
  const key = "Ada";
  const home = partitionOfKey(new TextEncoder().encode(key), 4);
  const elsewhere = (home + 1) % 4;
  app.send(NAMES, { ...person(key), partition: elsewhere }, person(key));
  await app.run();
  deepEqual(app.egress(GREETINGS).map((record) => record.value), ["Hello Ada #1", "Hello Ada #2"]);
  const forwarded = app.records(`${app.plan.appId}-mailbox`).filter((record) => record.partition === home);
  ok(forwarded.length >= 1, "the record went through the mailbox to the owner's task");
  await app.close();
});

Deno.test("test kit: exactly-once across a crash and an aborted commit; uncommitted shows what aborted", async () => {
  const app = await createTestApp({ module: GREETER, functions: greeterFunctions });
  app.send(NAMES, person("Ada"), person("Grace"));
  await app.run();
  app.abortNextCommits((commit) => commit.records.some((record) => record.topic === "greetings"));
  app.send(NAMES, person("Ada"));
  await app.run();
  await app.crash();
  app.send(NAMES, person("Ada"));
  await app.run();
  const committed = app.egress(GREETINGS).map((record) => record.value);
  deepEqual(committed.filter((value) => value!.startsWith("Hello Ada")), [
    "Hello Ada #1",
    "Hello Ada #2",
    "Hello Ada #3",
  ]);
  deepEqual(committed.filter((value) => value!.startsWith("Hello Grace")), ["Hello Grace #1"]);
  const uncommitted = app.egress(GREETINGS, { uncommitted: true }).map((record) => record.value);
  ok(uncommitted.length > committed.length, "the aborted commit's records are there for read_uncommitted");
  await app.close();
});

Deno.test("test kit: at-least-once processing repeats what a crash cut off", async () => {
  const module = parseModuleSpec(
    (await Deno.readTextFile(GREETER)).replace("type: exactly-once", "type: at-least-once"),
    "module.yaml",
  );
  const app = await createTestApp({ module, functions: greeterFunctions, processingGuarantee: "at-least-once" });
  // The commit of the greeting's epoch fails after its output and its changelog records were written (at-least-once:
  // no transaction): the input is processed again, on the state it left — the repeat is visible as #2.
  app.abortNextCommits((commit) => commit.offsets.some((offset) => offset.topic === "names" && offset.offset > 0));
  app.send(NAMES, person("Ada"));
  await app.run();
  deepEqual(app.egress(GREETINGS).map((record) => record.value), ["Hello Ada #1", "Hello Ada #2"]);
  await app.close();
});

const TIMED = `kind: io.statefun.kafka.v1/ingress
spec:
  id: t/in
  address: kafka:9092
  consumerGroupId: timed
  topics:
    - topic: in
      valueType: t/text
      targets: [t/fn]
---
kind: io.statefun.kafka.v1/egress
spec:
  id: t/out
  address: kafka:9092
  deliverySemantic:
    type: exactly-once
    transactionTimeout: 1min
`;

function timedFunctions(): StateFun {
  const TEXT = StateFun.customType<string>("t/text", (text) => Buffer.from(text), (b) => b.toString());
  const functions = new StateFun();
  functions.bind({
    typename: "t/fn",
    specs: [{ name: "n", type: StateFun.intType(), expireAfterWrite: 30_000 }],
    fn(context, message) {
      const text = message.isString() ? message.asString() : message.as(TEXT);
      if (text === "boom") throw new Error("boom");
      const n = (context.storage.n ?? 0) + 1;
      context.storage.n = n;
      if (text === "remind") {
        context.sendAfter(60_000, messageBuilder({ typename: "t/fn", id: context.self.id, value: "reminder" }));
      }
      context.send(
        kafkaEgressMessage({ typename: "t/out", topic: "out", key: context.self.id, value: `${n}:${text}` }),
      );
    },
  });
  return functions;
}

Deno.test("test kit: delayed messages fire and state expires on the virtual clock", async () => {
  const app = await createTestApp({ module: parseModuleSpec(TIMED, "timed.yaml"), functions: timedFunctions() });
  app.send("t/in", { key: "k", value: "remind" });
  await app.run();
  deepEqual(app.egress("t/out").map((record) => record.value), ["1:remind"]);
  await app.advance(59_000);
  equal(app.egress("t/out").length, 1, "not yet");
  await app.advance(2_000); // past 60 s: the reminder fires; n expired 30 s after its write
  deepEqual(app.egress("t/out").map((record) => record.value), ["1:remind", "1:reminder"]);
  await app.close();
});

Deno.test("test kit: a failing function stops its task visibly, or is dead-lettered", async () => {
  const stopping = await createTestApp({ module: parseModuleSpec(TIMED, "timed.yaml"), functions: timedFunctions() });
  stopping.send("t/in", { key: "k", value: "boom" });
  await stopping.run();
  const [failure] = stopping.failures();
  match(failure.reason, /t\/fn failed 5 times: .*boom/);
  equal(failure.origin?.topic, "in");
  equal(failure.address, "t/fn/k");
  await stopping.close();

  const dead = await createTestApp({
    module: parseModuleSpec(TIMED, "timed.yaml"),
    functions: timedFunctions(),
    failedMessages: { type: "dead-letter", topic: "failed" },
  });
  dead.send("t/in", { key: "k", value: "boom" }, { key: "k", value: "fine" });
  await dead.run();
  deepEqual(dead.failures(), []);
  deepEqual(dead.records("failed").map((record) => [record.key, record.value]), [["k", "boom"]]);
  deepEqual(dead.egress("t/out").map((record) => record.value), ["1:fine"]);
  await dead.close();
});

Deno.test("test kit: official JS SDK functions run through their Node handler, no server", async () => {
  const module = await Deno.readTextFile("examples/remote_greeter/module.yaml");
  const app = await createTestApp({
    module: parseModuleSpec(module, "module.yaml"),
    remote: { "com.example.remote/*": fromNodeHandler(sdkGreeter.handler()) },
  });
  app.send("com.example.remote/names", person("Ada"), person("Ada"));
  await app.run();
  deepEqual(app.egress("com.example.remote/greetings").map((record) => record.value), [
    "Hello Ada #1",
    "Hello Ada #2",
  ]);
  equal(app.state("com.example.remote/greeter", "Ada").seen.typename, "io.statefun.types/int");
  await app.close();
});

Deno.test("test kit: errors name what the test got wrong", async () => {
  const app = await createTestApp({ module: GREETER, functions: greeterFunctions });
  throws(
    () => app.send("com.example.greeter/nope", person("Ada")),
    /no ingress com\.example\.greeter\/nope: the module defines com\.example\.greeter\/names/,
  );
  throws(() => app.egress("x/y"), /no egress x\/y: the module defines com\.example\.greeter\/greetings/);
  throws(() => app.state("x/unbound", "id"), /no function is bound for x\/unbound/);
  throws(() => app.send(NAMES, { ...person("Ada"), partition: 9 }), /has 4 partitions: there is no partition 9/);
  throws(
    () => app.send(NAMES, { ...person("Ada"), headers: { "x-trace": 7 as never } }),
    (error: Error) =>
      error instanceof TestAppError && /header x-trace must be a string or a Uint8Array/.test(error.message),
  );
  throws(() => app.send(NAMES, { ...person("Ada"), timestamp: 1.5 }), /timestamp must be an integer/);
  await app.close();
  const stringIngress = parseModuleSpec(
    TIMED.replace("valueType: t/text", "valueType: io.statefun.types/string"),
    "s.yaml",
  );
  const strings = await createTestApp({ module: stringIngress, functions: timedFunctions() });
  throws(
    () => strings.send("t/in", { key: "k", value: "\u00ff\u00ff plain text" }),
    (error: Error) =>
      error instanceof TestAppError && /does not read as io\.statefun\.types\/string/.test(error.message),
  );
  await strings.close();
  await rejects(
    () => createTestApp({ module: GREETER }),
    (error: Error) =>
      error instanceof RuntimeError &&
      /ingress com\.example\.greeter\/names \(.*module\.yaml:\d+\) sends to com\.example\.greeter\/greeter/.test(
        error.message,
      ),
  );
  await rejects(
    () => createTestApp({ module: "examples/remote_greeter/module.yaml" }),
    /the endpoint com\.example\.remote\/\* \(.*module\.yaml:\d+\) has no handler/,
  );
});

Deno.test("test kit: an ingress record whose value does not decode as its type stops the task at that record", async () => {
  const app = await createTestApp({ module: GREETER, functions: greeterFunctions, tasks: 1 }); // one task: one order
  app.send(NAMES, person("Ada"), { key: "Bob", value: "{not json" }, person("Ada"));
  await app.run();
  const [failure] = app.failures();
  equal(failure.address, "com.example.greeter/greeter/Bob");
  match(failure.reason, /com\.example\.greeter\/greeter failed 5 times: .*JSON/);
  equal(failure.origin?.topic, "names");
  equal(typeof failure.origin?.offset, "number");
  // Nothing of Bob is applied; the Ada records around it are, once each (the retries outlasted carryOverAfterMs, so
  // Bob's message was carried past a commit as pending: a restart meets it first, and stops there again).
  const greetings = app.egress(GREETINGS).map((record) => record.value);
  deepEqual(greetings, ["Hello Ada #1", "Hello Ada #2"].slice(0, greetings.length));
  ok(greetings.length >= 1);
  deepEqual(app.state("com.example.greeter/greeter", "Bob"), {});
  await app.crash();
  deepEqual(app.failures().map(({ address, origin }) => ({ address, origin })), [{
    address: failure.address,
    origin: failure.origin,
  }]);
  deepEqual(
    app.egress(GREETINGS).map((record) => record.value),
    ["Hello Ada #1", "Hello Ada #2"].slice(0, greetings.length),
  );
  await app.close();
});
