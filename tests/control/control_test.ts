/**
 * The control API over real HTTP against a real broker: health, readiness,
 * status, state, offsets and lag (equal to Kafka's own kafka-consumer-groups),
 * pause/resume, offset resets, tokens, errors, metrics and the OpenAPI document.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { serve } from "../../src/serve/serve.ts";
import { brokers, createTopic, kafkaTest, produce, readBack, uniqueName, waitFor } from "../kafka/helpers.ts";
import { counterFunctions, OUT } from "../runtime/fixtures/functions.ts";
import { cleanUp, readAll, testLogger, type TestModule, testModule } from "../runtime/harness.ts";

const TOKEN = "test-token";

async function kafkaConsumerGroups(group: string): Promise<string> {
  const { stdout, stderr, success } = await new Deno.Command("bash", {
    args: [
      new URL("../../scripts/kafka/broker.sh", import.meta.url).pathname,
      "tools",
      "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
      "--bootstrap-server",
      brokers.join(","),
      "--describe",
      "--group",
      group,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout);
}

kafkaTest(
  "control API: status, state, lag as kafka-consumer-groups, pause, resume, reset, tokens, metrics",
  async () => {
    const input = await createTopic("in", { partitions: 2 });
    const output = await createTopic("out");
    const group = uniqueName("app");
    const module: TestModule = {
      group,
      topics: [{ topic: input, targets: ["test.eddy/counter"] }],
      egresses: [{ id: OUT, delivery: "exactly-once" }],
    };
    const app = await serve({
      module: testModule(module),
      functions: counterFunctions(output),
      handleSignals: false,
      logger: testLogger(),
      controlAddr: "127.0.0.1:0",
      controlToken: TOKEN,
    });
    const base = app.controlUrl!;
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      return { status: response.status, body: await response.json() };
    };
    const post = async (path: string, body?: unknown, token: string | null = TOKEN) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${base}${path}`, {
        method: "POST",
        headers,
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    const ingress = "/v1/ingresses/test.eddy/in";
    try {
      deepEqual(await get("/health"), { status: 200, body: { status: "ok" } });
      await waitFor("readiness", async () => (await get("/ready")).status === 200);
      await produce(input, ["a", "b", "a", "c", "a"].map((key, i) => ({ key, value: String(i) })));
      await readBack(output, 5);

      const status = (await get("/v1/status")).body;
      equal(status.appId, group);
      equal(status.processingGuarantee, "exactly-once");
      deepEqual(status.ingresses, [{ id: "test.eddy/in", groupId: group, topics: [input], state: "running" }]);
      equal(status.tasks.length, 2);
      deepEqual(status.egresses, [{
        id: OUT,
        delivery: "exactly-once",
        address: brokers.join(","),
        records: 5,
        errors: 0,
      }]);
      equal(status.functions.find((f: { typename: string }) => f.typename === "test.eddy/counter").invocations, 5);

      deepEqual((await get("/v1/functions/test.eddy/counter/state?id=a")).body.values, {
        n: { typename: "io.statefun.types/int", value: 3 },
      });
      deepEqual((await get("/v1/functions/test.eddy/counter/state?id=nobody")).body.values, {});
      // Ids may hold a slash or be empty.
      await produce(input, [{ key: "x/y", value: "s" }, { key: "", value: "e" }]);
      await readBack(output, 7);
      deepEqual((await get("/v1/functions/test.eddy/counter/state?id=x%2Fy")).body.values.n.value, 1);
      deepEqual((await get("/v1/functions/test.eddy/counter/state?id=")).body.values.n.value, 1);
      equal((await get("/v1/functions/test.eddy/nope/state?id=a")).status, 404);
      equal((await get("/v1/functions/test.eddy/counter/state")).body.error.field, "id");

      // Offsets and lag, checked against Kafka's own tool.
      await waitFor(
        "offsets committed",
        async () => (await get(`${ingress}/offsets`)).body.partitions.every((p: { lag: number }) => p.lag === 0),
      );
      await produce(input, [{ key: "a", value: "p1" }, { key: "b", value: "p2" }]);
      equal((await post(`${ingress}/pause`, undefined, null)).status, 401);
      equal((await post(`${ingress}/pause`, undefined, "wrong")).status, 401);
      // A web page on another origin cannot change anything (issue #15), even with the token in hand.
      const crossSite = await fetch(`${base}${ingress}/pause`, {
        method: "POST",
        headers: { origin: "http://evil.example", authorization: `Bearer ${TOKEN}`, "content-type": "text/plain" },
        body: "{}",
      });
      equal(crossSite.status, 403);
      equal((await crossSite.json()).error.code, "forbidden");
      const textBody = await fetch(`${base}${ingress}/offsets`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "text/plain" },
        body: JSON.stringify({ to: "earliest" }),
      });
      equal(textBody.status, 415);
      equal((await textBody.json()).error.code, "unsupported-media-type");
      equal((await get(`/v1/status`)).body.ingresses[0].state, "running", "neither request paused the ingress");
      equal((await post(`${ingress}/offsets`, { to: "earliest" })).status, 409, "a reset needs a paused ingress");
      const self = [{ instance: app.runtime.instanceId, url: app.controlUrl, ok: true, status: 200 }];
      deepEqual((await post(`${ingress}/pause`)).body, { ingress: "test.eddy/in", state: "paused", instances: self });
      await produce(input, [{ key: "c", value: "p3" }, { key: "a", value: "p4" }]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const paused = (await get(`${ingress}/offsets`)).body.partitions as {
        partition: number;
        committed: number;
        logEnd: number;
        lag: number;
      }[];
      const tool = await kafkaConsumerGroups(group);
      for (const row of paused) {
        const line = tool.split("\n").find((l) =>
          l.split(/\s+/)[1] === input && l.split(/\s+/)[2] === String(row.partition)
        );
        ok(line, `kafka-consumer-groups shows ${input}/${row.partition}:\n${tool}`);
        const [, , , current, logEnd, lag] = line!.trim().split(/\s+/);
        deepEqual([row.committed, row.logEnd, row.lag].map(String), [current, logEnd, lag], line);
      }
      const totalLag = paused.reduce((sum, row) => sum + row.lag, 0);
      ok(totalLag >= 2, `lag grows while paused (${totalLag})`);
      const before = (await readAll(output)).length;

      // Bad bodies name the field; a reset to earliest reprocesses (state is not rewound).
      const bad = await post(`${ingress}/offsets`, { to: "timestamp", timestamp: "soon" });
      equal(bad.status, 400);
      equal(bad.body.error.field, "timestamp");
      equal((await post(`${ingress}/offsets`, "{not json")).status, 400);
      const reset = await post(`${ingress}/offsets`, { to: "earliest" });
      equal(reset.status, 200, JSON.stringify(reset.body));
      match(reset.body.note, /state is not rewound/);
      equal((await readAll(output)).length, before, "nothing processed while paused");
      deepEqual((await post(`${ingress}/resume`)).body, { ingress: "test.eddy/in", state: "running", instances: self });
      await readBack(output, 9 + 11); // every record again from the earliest offset
      await waitFor(
        "lag back to 0",
        async () => (await get(`${ingress}/offsets`)).body.partitions.every((p: { lag: number }) => p.lag === 0),
      );
      // a: 4 before the reset (state is kept), then its 5 records again.
      equal((await get("/v1/functions/test.eddy/counter/state?id=a")).body.values.n.value, 4 + 5);

      // Metrics parse as Prometheus text and count what was processed.
      const metrics = await (await fetch(`${base}/metrics`)).text();
      for (const line of metrics.trim().split("\n")) {
        ok(
          /^(# (HELP|TYPE) \w+ .+|\w+(\{(\w+="[^"]*",?)*\})? -?[\d.e+-]+)$/.test(line),
          `not Prometheus text: ${line}`,
        );
      }
      const processed = /eddy_function_in_total\{app="[^"]+",function_type="test.eddy\/counter"\} (\d+)/.exec(metrics);
      equal(Number(processed?.[1]), 9 + 11, metrics);
    } finally {
      await app.stop();
    }
    await cleanUp(group, input, output);
  },
);

kafkaTest("control API: OpenAPI document, unknown routes, unknown ingresses", async () => {
  const input = await createTopic("in");
  const group = uniqueName("app");
  const app = await serve({
    module: testModule({ group, topics: [{ topic: input, targets: ["test.eddy/counter"] }] }),
    functions: counterFunctions("unused"),
    handleSignals: false,
    logger: testLogger(),
    controlAddr: "127.0.0.1:0",
  });
  try {
    const openapi = await (await fetch(`${app.controlUrl}/openapi.json`)).json();
    equal(openapi.openapi, "3.1.0");
    ok(openapi.paths["/v1/ingresses/{namespace}/{name}/offsets"].post.requestBody);
    const missing = await fetch(`${app.controlUrl}/nope`);
    equal(missing.status, 404);
    equal((await missing.json()).error.code, "not-found");
    const unknown = await fetch(`${app.controlUrl}/v1/ingresses/no/such/offsets`);
    equal(unknown.status, 404);
    match((await unknown.json()).error.message, /no ingress with id no\/such/);
    // eddy status prints the status and a lag table; it fails clearly where nothing answers.
    const status = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../mod.ts", import.meta.url).pathname, "status", "--url", app.controlUrl!],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(status.stdout);
    equal(status.code, 0, new TextDecoder().decode(status.stderr));
    match(text, new RegExp(`app ${group} \\(exactly-once\\)`));
    match(text, /TOPIC\s+PARTITION\s+COMMITTED\s+LOG-END\s+LAG\s+OWNER/);
    match(
      text,
      new RegExp(
        `group of 1 members\\n\\s*INSTANCE\\s+CONTROL\\s+TASKS\\s+VERSION\\s+CLIENT\\n\\s*${app.runtime.instanceId} \\(this\\)\\s+${app.controlUrl}\\s+\\S+\\s+${app.runtime.version.hash}\\s`,
      ),
    );
    match(text, new RegExp(`${input}\\s+0\\s`));
    const nobody = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../mod.ts", import.meta.url).pathname, "status", "--url", "http://127.0.0.1:1"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(nobody.code, 1);
    match(new TextDecoder().decode(nobody.stderr), /no status from http:\/\/127.0.0.1:1/);
    // Without a token, a loopback API lets everything through.
    equal((await fetch(`${app.controlUrl}/v1/ingresses/test.eddy/in/pause`, { method: "POST" })).status, 200);
  } finally {
    await app.stop();
  }
  await cleanUp(group, input);
});

kafkaTest(
  "control API: a task stopped at a bad record is skipped past with pause, restart, reset and resume",
  async () => {
    const input = await createTopic("in");
    const output = await createTopic("out");
    const group = uniqueName("app");
    const app = await serve({
      module: testModule({
        group,
        topics: [{ topic: input, targets: ["test.eddy/counter"] }],
        egresses: [{ id: OUT, delivery: "exactly-once" }],
      }),
      functions: counterFunctions(output),
      handleSignals: false,
      logger: testLogger(),
      controlAddr: "127.0.0.1:0",
    });
    const post = async (path: string, body?: unknown) => {
      const response = await fetch(`${app.controlUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    try {
      await produce(input, [{ key: "k", value: "before" }, { key: null, value: "bad" }, { key: "k", value: "after" }]);
      await readBack(output, 1);
      await waitFor("the task to stop", () => app.runtime.task(0)?.status === "failed");
      equal((await post("/v1/tasks/7/restart")).status, 404);
      await post("/v1/ingresses/test.eddy/in/pause");
      deepEqual((await post("/v1/tasks/0/restart")).body, { task: 0, status: "restarting" });
      await waitFor("the task to run again", () => app.runtime.task(0)?.status === "running");
      equal((await post("/v1/tasks/0/restart")).status, 409, "only a stopped task restarts");
      const reset = await post("/v1/ingresses/test.eddy/in/offsets", {
        to: "specific",
        offsets: [{ topic: input, partition: 0, offset: 2 }],
      });
      equal(reset.status, 200, JSON.stringify(reset.body));
      await post("/v1/ingresses/test.eddy/in/resume");
      deepEqual((await readBack(output, 2)).map((record) => record.value), ["1:before", "2:after"]);
    } finally {
      await app.stop();
    }
    await cleanUp(group, input, output);
  },
);

Deno.test("control options are checked before Eddy connects to Kafka (no broker at 127.0.0.1:1)", async () => {
  const module = testModule({ group: "never-started", topics: [{ topic: "t", targets: ["test.eddy/counter"] }] });
  const unreachable = {
    ...module,
    ingresses: module.ingresses.map((ingress) => ({ ...ingress, address: "127.0.0.1:1" })),
  };
  // Had it tried Kafka first, the start would fail with "cannot reach Kafka at 127.0.0.1:1" (a RuntimeError).
  const error = await serve({
    module: unreachable,
    functions: counterFunctions("out"),
    controlAddr: "0.0.0.0:0",
    handleSignals: false,
    logger: testLogger(),
  }).then(() => undefined, (error) => error);
  equal(error?.name, "ControlServerError");
  match(error.message, /without a token/);
});
