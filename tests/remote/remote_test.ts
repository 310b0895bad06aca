/**
 * Remote functions end to end on the real broker: functions written with the official StateFun JS SDK and served by
 * its handler in another process (tests/remote/fixtures/sdk_functions.ts); Eddy runs the module with no in-process
 * functions. State declared only in the SDK, a message to a second function, a delayed message and a cancelled one,
 * an exactly-once Kafka egress; then the endpoint is down for longer than a commit interval while records keep
 * coming (its messages are carried past commits as pending), and comes back: every output once (read_committed), in
 * order per key.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { createControlApp } from "../../src/control/app.ts";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../../mod.ts";
import { serve } from "../../src/serve/serve.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";
import { createTopic, kafkaTest, produce, readBack, uniqueName, waitFor } from "../kafka/helpers.ts";
import { cleanUp, readAll, testLogger, valuesByKey } from "../runtime/harness.ts";
import { freePort, listening, remoteModuleYaml, startFunctions, stringValue } from "./fixtures/remote_app.ts";

kafkaTest(
  "remote functions (official JS SDK over HTTP): state, messages, delays, egress; an outage loses and repeats nothing",
  async () => {
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out");
    const group = uniqueName("remote");
    const port = freePort();
    const module = parseModuleSpec(remoteModuleYaml({ port, group, input }), "remote-test.yaml");
    let functions = startFunctions(port, output);
    await waitFor("the functions to listen", () => listening(port), 30_000);
    const app = await serve({
      module,
      handleSignals: false,
      controlAddr: "none",
      logger: testLogger(),
      sessionTimeoutMs: 6_000,
    });
    const keys = ["a", "b", "c", "d"];
    const send = (values: string[]) =>
      produce(
        input,
        keys.flatMap((key) => values.map((value) => ({ key, value: stringValue(value) }))),
      );
    try {
      await send(["1", "2", "later"]);
      // 3 inputs + the delayed message per key (the cancelled one never comes).
      await readBack(output, keys.length * 4, 60_000);

      // The endpoint goes away for longer than a commit interval while records keep coming, then comes back.
      functions.kill("SIGKILL");
      await functions.status;
      await send(["3", "4"]);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // the outage: calls fail and are retried meanwhile
      functions = startFunctions(port, output);
      await readBack(output, keys.length * 6, 60_000);
      equal(app.runtime.status().tasks.every((task) => task.status === "running"), true, "no task stopped");
      // The outage outlasted carryOverAfterMs (1 s): the waiting messages were carried past commits as pending.
      ok(app.runtime.status().tasks.some((task) => task.carriedOver > 0), "messages carried over during the outage");
      // Status and metrics show the endpoints: every call succeeded in the end (retried through the outage).
      const remote = app.runtime.remoteFunctions();
      deepEqual(remote.map((fn) => [fn.typename, fn.url, fn.failures]), [
        ["test.remote/counter", `http://127.0.0.1:${port}/counter`, 0],
        ["test.remote/echo", `http://127.0.0.1:${port}/echo`, 0],
      ]);
      // At most one call per message: messages that arrive during an address's call go together in its next one.
      ok(remote.every((fn) => fn.calls > 0 && fn.calls <= keys.length * 7), JSON.stringify(remote));
      const metrics = await (await createControlApp(app.runtime).request("http://127.0.0.1/metrics")).text();
      match(
        metrics,
        /eddy_remote_invocation_latency_seconds_count\{app="[^"]+",function_type="test\.remote\/counter",url="http:\/\/127\.0\.0\.1:\d+\/counter"\} \d+/,
      );
    } finally {
      await app.stop();
      functions.kill("SIGTERM");
      await functions.status;
    }
    const byKey = valuesByKey(await readAll(output));
    for (const key of keys) {
      deepEqual(byKey.get(key), ["1:1", "2:2", "3:later", "4:delayed", "5:3", "6:4"], key);
    }
    await cleanUp(group, input, output);
  },
);

kafkaTest(
  "remote functions: an endpoint down past its call timeout stops the task, which starts over when it is back",
  async () => {
    const input = await createTopic("in", { partitions: 1 });
    const output = await createTopic("out");
    const group = uniqueName("remote");
    const port = freePort();
    const module = parseModuleSpec(remoteModuleYaml({ port, group, input, call: "1s" }), "remote-outage.yaml");
    const app = await serve({
      module,
      handleSignals: false,
      controlAddr: "none",
      logger: testLogger(),
      sessionTimeoutMs: 6_000,
    });
    let functions: Deno.ChildProcess | undefined;
    try {
      const value = stringValue("x");
      await produce(input, [{ key: "k", value }]);
      // Nothing listens: every attempt within the 1 s call timeout fails; the task stops there, saying where.
      await waitFor(
        "the task to stop at the unreachable endpoint",
        () => app.runtime.task(0)?.status === "failed",
        30_000,
      );
      const failure = app.runtime.task(0)!.report().failure!;
      match(failure.reason, new RegExp(`calling http://127\\.0\\.0\\.1:${port}/counter failed after \\d+ attempts`));
      equal(failure.transient, true);
      equal(app.runtime.remoteFunctions()[0].failures >= 1, true);
      // The endpoint comes back: the task starts over from its last commit by itself, and the output comes once.
      functions = startFunctions(port, output);
      deepEqual(
        (await readBack(output, 1, 60_000)).map((record) => record.value),
        ["1:x"],
      );
    } finally {
      await app.stop();
      functions?.kill("SIGTERM");
      await functions?.status;
    }
    deepEqual(valuesByKey(await readAll(output)).get("k"), ["1:x"]);
    await cleanUp(group, input, output);
  },
);

kafkaTest("remote and in-process functions in one module message each other", async () => {
  const input = await createTopic("in", { partitions: 2 });
  const output = await createTopic("out");
  const group = uniqueName("mixed");
  const port = freePort();
  // The ingress targets an in-process relay, which messages the remote counter; the counter messages the in-process
  // sink on "to-local".
  const yaml = remoteModuleYaml({ port, group, input }).replace(
    "targets: [test.remote/counter]",
    "targets: [test.local/relay]",
  );
  const functions = new StateFun();
  functions.bind({
    typename: "test.local/relay",
    fn(context, message) {
      context.send(
        messageBuilder({ typename: "test.remote/counter", id: context.self.id, value: message.asString()! }),
      );
    },
  });
  functions.bind({
    typename: "test.local/sink",
    fn(context, message) {
      context.send(kafkaEgressMessage({
        typename: "test.remote/out",
        topic: output,
        key: context.self.id,
        value: `local:${message.asString()}`,
      }));
    },
  });
  const server = startFunctions(port, output);
  await waitFor("the functions to listen", () => listening(port), 30_000);
  const app = await serve({
    module: parseModuleSpec(yaml, "mixed.yaml"),
    functions,
    handleSignals: false,
    controlAddr: "none",
    logger: testLogger(),
  });
  try {
    await produce(input, [{ key: "k", value: stringValue("a") }, { key: "k", value: stringValue("to-local") }]);
    await readBack(output, 3, 60_000);
  } finally {
    await app.stop();
    server.kill("SIGTERM");
    await server.status;
  }
  deepEqual([...valuesByKey(await readAll(output)).get("k")!].sort(), ["1:a", "2:to-local", "local:2"]);
  await cleanUp(group, input, output);
});

kafkaTest("remote functions: a state the SDK declares with expireAfterWrite expires on Eddy's clock", async () => {
  const input = await createTopic("in");
  const output = await createTopic("out");
  const group = uniqueName("remote-ttl");
  const port = freePort();
  const module = parseModuleSpec(remoteModuleYaml({ port, group, input, target: "test.remote/ttl" }), "ttl.yaml");
  const functions = startFunctions(port, output);
  await waitFor("the functions to listen", () => listening(port), 30_000);
  const app = await serve({ module, handleSignals: false, controlAddr: "none", logger: testLogger() });
  try {
    await produce(input, [{ key: "k", value: stringValue("a") }, { key: "k", value: stringValue("b") }]);
    await readBack(output, 2, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the 1 s TTL of the last write
    await produce(input, [{ key: "k", value: stringValue("c") }]);
    await readBack(output, 3, 60_000);
  } finally {
    await app.stop();
    functions.kill("SIGTERM");
    await functions.status;
  }
  deepEqual(valuesByKey(await readAll(output)).get("k"), ["visits:1", "visits:2", "visits:1"]);
  await cleanUp(group, input, output);
});
