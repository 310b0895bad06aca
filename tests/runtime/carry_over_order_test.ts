/**
 * A KNOWN DEFECT, found by the restore bench's two-instance runs (bench/restore_bench.ts, BENCHMARKS.md "Restore,
 * restarts and scale-out"), ignored until its fix lands in src/runtime/task/ (not this branch's to change):
 *
 * A carried message's effects go to the epoch open when its call returns (`Task.#settlePending`). The messages queued
 * behind it for the same address may belong to an older epoch — one that was open when they arrived and has closed
 * since. Their writes go to that older epoch, but state reads look at the open epoch first, where the carried
 * message's value is: each of them reads that value and never its own epoch's writes. Updates are lost (here two
 * messages both count 3), and the older epoch, holding the later messages, commits first (outputs 3, 3, 1, 2; state
 * 2 instead of 4). On the broker, the count pipeline on a 100 000-input backlog (exactly-once) repeated counts in every
 * two-instance run (9 of 9: 1 354–14 223 of the 100 000 outputs; 258–769 of the 1000 keys in the 4 runs that counted
 * keys) and in 1 of 7 one-instance runs (1 437 outputs): it takes a task whose backlog outlasts a carry-over, a
 * commit and the next tick.
 *
 * A fix that passes this test, the task and test kit tests, tests/runtime/carry_over_test.ts and two two-instance
 * broker runs with exact counts: in `#settlePending`, `const epoch = this.#cycle.closed ?? this.#cycle.open;` — the
 * closed epoch, unless it is committing, so a carried message's effects never land in a newer epoch than those of
 * the messages behind it (a closed epoch holding any of them cannot be committing: they are outstanding).
 */

import { deepEqual } from "node:assert/strict";
import { kafkaEgressMessage, StateFun } from "../../src/sdk/mod.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";
import { createTestApp } from "../../src/testing/mod.ts";

const MODULE = `kind: io.statefun.kafka.v1/ingress
spec:
  id: t.count/in
  address: 127.0.0.1:9092
  consumerGroupId: t-count
  startupPosition:
    type: earliest
  topics:
    - topic: in
      valueType: io.statefun.types/string
      targets: [t.count/counter]
---
kind: io.statefun.kafka.v1/egress
spec:
  id: t.count/out
  address: 127.0.0.1:9092
  deliverySemantic:
    type: exactly-once
    transactionTimeout: 1min
`;

Deno.test({
  name: "a carried message and the messages queued behind it for its address apply in order (KNOWN DEFECT)",
  ignore: true,
  async fn() {
    const gate = Promise.withResolvers<void>();
    let calls = 0;
    const functions = new StateFun();
    functions.bind({
      typename: "t.count/counter",
      specs: [{ name: "count", type: StateFun.intType() }],
      async fn(context) {
        if (calls++ === 0) await gate.promise; // the first call hangs until the test lets it go
        const count = (context.storage.count ?? 0) + 1;
        context.storage.count = count;
        context.send(kafkaEgressMessage({ typename: "t.count/out", topic: "out", key: "K", value: String(count) }));
      },
    });
    const app = await createTestApp({ module: parseModuleSpec(MODULE, "module.yaml"), functions, tasks: 1 });
    const text = (value: string) => ({ key: "K", value: StateFun.stringType().serialize(value) });
    const start = app.now;
    app.send("t.count/in", text("m1"), text("m2"));
    const running = app.run(); // the virtual clock moves 100 ms a step while the first call hangs
    const at = async (ms: number) => {
      while (app.now < start + ms) await new Promise((resolve) => setTimeout(resolve, 0));
    };
    await at(300); // epoch 1 (m1, m2) closed at the first tick: m3 and m4 arrive in epoch 2
    app.send("t.count/in", text("m3"), text("m4"));
    await at(1_600); // epoch 1 carried m1 and m2 after 1 s and committed; epoch 2 closed; epoch 3 is open
    gate.resolve();
    await running;
    deepEqual(app.egress("t.count/out").map((record) => record.value), ["1", "2", "3", "4"]);
    deepEqual(app.state("t.count/counter", "K").count, { typename: "io.statefun.types/int", value: 4 });
    await app.close();
  },
});
