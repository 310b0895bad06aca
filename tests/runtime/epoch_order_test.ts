/**
 * Per-address order across epochs, on the test kit (no broker): an address's effects must land in epochs in the
 * order its messages ran, or a newer value is read and committed before an older one. Two ways it went wrong, both
 * found by the restore bench's two-instance runs on a 100 000-input backlog (repeated counts in 9 of 9 runs):
 *
 * - a carried message (persisted past a commit while its call ran) put its effects in the epoch open when its call
 *   returned — newer than the epoch of the messages queued behind it for its address. Those read its value from the
 *   open epoch, never their own epoch's writes, and their older epoch committed first (outputs 3, 3, 1, 2). Now its
 *   effects go to the oldest epoch still taking effects (the closed one unless it is committing);
 * - a message to an address of the same task, sent by a message of an older epoch after that address already had a
 *   message of the open epoch, was queued in memory with the older epoch. Now such a message goes through the
 *   mailbox, as a message to another task does.
 */

import { deepEqual } from "node:assert/strict";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../../src/sdk/mod.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";
import { createTestApp, type TestApp } from "../../src/testing/mod.ts";

const INGRESS = (id: string, topic: string, target: string) =>
  `kind: io.statefun.kafka.v1/ingress
spec:
  id: ${id}
  address: 127.0.0.1:9092
  consumerGroupId: t-order
  startupPosition:
    type: earliest
  topics:
    - topic: ${topic}
      valueType: io.statefun.types/string
      targets: [${target}]
`;
const EGRESS = `kind: io.statefun.kafka.v1/egress
spec:
  id: t.order/out
  address: 127.0.0.1:9092
  deliverySemantic:
    type: exactly-once
    transactionTimeout: 1min
`;

const text = (value: string) => ({ key: "K", value: StateFun.stringType().serialize(value) });

/** Counts per address in state and writes the count to the egress. */
function count(context: Parameters<Parameters<StateFun["bind"]>[0]["fn"]>[0]): void {
  const n = (context.storage.count ?? 0) + 1;
  context.storage.count = n;
  context.send(kafkaEgressMessage({ typename: "t.order/out", topic: "out", key: "K", value: String(n) }));
}

/** Waits (the kit's virtual clock runs meanwhile) until `ms` after `start`. */
async function until(app: TestApp, start: number, ms: number): Promise<void> {
  while (app.now < start + ms) await new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("a carried message and the messages queued behind it for its address apply and commit in order", async () => {
  const gate = Promise.withResolvers<void>();
  let calls = 0;
  const functions = new StateFun();
  functions.bind({
    typename: "t.order/counter",
    specs: [{ name: "count", type: StateFun.intType() }],
    async fn(context) {
      if (calls++ === 0) await gate.promise; // the first call hangs until the test lets it go
      count(context);
    },
  });
  const module = parseModuleSpec(`${INGRESS("t.order/in", "in", "t.order/counter")}---\n${EGRESS}`, "module.yaml");
  const app = await createTestApp({ module, functions, tasks: 1 });
  const start = app.now;
  app.send("t.order/in", text("m1"), text("m2"));
  const running = app.run(); // the virtual clock moves 100 ms a step while the first call hangs
  await until(app, start, 300); // epoch 1 (m1, m2) closed at the first tick: m3 and m4 arrive in epoch 2
  app.send("t.order/in", text("m3"), text("m4"));
  await until(app, start, 1_600); // epoch 1 carried m1 and m2 after 1 s and committed; epoch 2 closed; 3 is open
  gate.resolve();
  await running;
  deepEqual(app.egress("t.order/out").map((record) => record.value), ["1", "2", "3", "4"]);
  deepEqual(app.state("t.order/counter", "K").count, { typename: "io.statefun.types/int", value: 4 });
  app.crash(); // what a restart restores: the committed changelog
  deepEqual(app.state("t.order/counter", "K").count, { typename: "io.statefun.types/int", value: 4 });
  await app.close();
});

Deno.test("a message from an older epoch to an address the open epoch already ran goes through the mailbox", async () => {
  const gate = Promise.withResolvers<void>();
  const functions = new StateFun();
  functions.bind({
    typename: "t.order/sender",
    async fn(context) {
      await gate.promise; // runs on past the close of its epoch
      context.send(messageBuilder({ typename: "t.order/counter", id: "K", value: "from the sender" }));
    },
  });
  functions.bind({ typename: "t.order/counter", specs: [{ name: "count", type: StateFun.intType() }], fn: count });
  const module = parseModuleSpec(
    `${INGRESS("t.order/a", "a", "t.order/sender")}---\n${INGRESS("t.order/b", "b", "t.order/counter")}---\n${EGRESS}`,
    "module.yaml",
  );
  const app = await createTestApp({ module, functions, tasks: 1 });
  const start = app.now;
  app.send("t.order/a", text("go"));
  const running = app.run();
  await until(app, start, 300); // the sender's epoch closed, waiting for it
  app.send("t.order/b", text("direct")); // counted in the open epoch: 1
  await until(app, start, 600);
  gate.resolve(); // its message to K must not be counted in the older epoch, which commits first
  await running;
  deepEqual(app.egress("t.order/out").map((record) => record.value), ["1", "2"]);
  app.crash();
  deepEqual(app.state("t.order/counter", "K").count, { typename: "io.statefun.types/int", value: 2 });
  await app.close();
});
