/**
 * Carried headers through remote functions on the real broker: an ingress with `carryHeaders: [traceparent]` feeds an
 * in-process function, which messages a remote counter served by the official JS SDK over HTTP
 * (fixtures/sdk_functions.ts); the counter messages the remote echo (and, on "later", sends itself a delayed message
 * that does the same); the echo writes to an exactly-once egress. Every record written, two and three hops after the
 * input, carries that input's traceparent — the SDK knows nothing of it — and records of inputs without one carry none.
 */

import { deepEqual } from "node:assert/strict";
import { kafkaEgressMessage, messageBuilder, StateFun } from "../../mod.ts";
import { serve } from "../../src/serve/serve.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";
import { createTopic, kafkaTest, readBack, testKafka, uniqueName, waitFor } from "../kafka/helpers.ts";
import { cleanUp, testLogger } from "../runtime/harness.ts";
import { freePort, listening, remoteModuleYaml, startFunctions, stringValue } from "./fixtures/remote_app.ts";

const trace = (n: number) => `00-4bf92f3577b34da6a3ce929d0e0e${String(n).padStart(4, "0")}-00f067aa0ba902b7-01`;

kafkaTest(
  "carryHeaders: a traceparent reaches the egress records of remote functions two and three hops on",
  async () => {
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out");
    const group = uniqueName("carry");
    const port = freePort();
    const yaml = remoteModuleYaml({ port, group, input, target: "test.local/first", carryHeaders: ["traceparent"] });
    const functions = new StateFun();
    functions.bind({
      typename: "test.local/first",
      fn(context, message) {
        const text = message.asString()!;
        context.send(kafkaEgressMessage({
          typename: "test.remote/out",
          topic: output,
          key: context.self.id,
          value: `first:${text}`,
          headers: { "x-own": "first" },
        }));
        context.send(messageBuilder({ typename: "test.remote/counter", id: context.self.id, value: text }));
      },
    });
    const server = startFunctions(port, output);
    await waitFor("the functions to listen", () => listening(port), 30_000);
    const app = await serve({
      module: parseModuleSpec(yaml, "carry.yaml"),
      functions,
      handleSignals: false,
      controlAddr: "none",
      logger: testLogger(),
      sessionTimeoutMs: 6_000,
    });
    const keys = ["a", "b", "c", "d"];
    let records;
    try {
      const producer = testKafka("eddy-test-carry").producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.send({
          topic: input,
          acks: -1,
          messages: [
            ...keys.flatMap((key, k) =>
              ["1", "later"].map((text, i) => ({
                key,
                value: stringValue(text),
                headers: { traceparent: trace(k * 10 + i), tracestate: "not carried" },
              }))
            ),
            { key: "untraced", value: stringValue("1") },
          ],
        });
      } finally {
        await producer.disconnect();
      }
      // Per traced key: first:1, first:later (in-process), 1:1, 2:later (remote echo), 3:delayed (after the delay).
      records = await readBack(output, keys.length * 5 + 2, 60_000);
    } finally {
      await app.stop();
      server.kill("SIGTERM");
      await server.status;
    }
    const seen = (key: string) =>
      records.filter((record) => record.key === key)
        .map((
          record,
        ) => [record.value, record.headers!.traceparent, record.headers!["x-own"], record.headers!.tracestate])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    for (const [k, key] of keys.entries()) {
      deepEqual(seen(key), [
        ["1:1", trace(k * 10), undefined, undefined],
        ["2:later", trace(k * 10 + 1), undefined, undefined],
        ["3:delayed", trace(k * 10 + 1), undefined, undefined],
        ["first:1", trace(k * 10), "first", undefined],
        ["first:later", trace(k * 10 + 1), "first", undefined],
      ], key);
    }
    deepEqual(seen("untraced"), [["1:1", undefined, undefined, undefined], ["first:1", undefined, "first", undefined]]);
    await cleanUp(group, input, output);
  },
);
