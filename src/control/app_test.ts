/**
 * The control routes through Hono's `app.request()` against a fake app: no broker, no socket. What each route
 * returns, how operation errors become statuses, body validation, the token, and the state peek's decoding.
 */

import { deepEqual, equal } from "node:assert/strict";
import { OperationError } from "../runtime/errors.ts";
import { taskOfId } from "../runtime/routing.ts";
import { inProcess } from "../runtime/task/callable.ts";
import type { OffsetResetTarget } from "../runtime/status.ts";
import type { TaskReport } from "../runtime/task/types.ts";
import { StateFun } from "../sdk/statefun.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { createControlApp } from "./app.ts";
import type { ControlledApp } from "./controlled_app.ts";
import { HistoryBody } from "./schemas.ts";

const BASE = "http://127.0.0.1:9870";

function report(task: number, status: TaskReport["status"] = "running"): TaskReport {
  return {
    task,
    status,
    queued: 2,
    inFlight: 1,
    invocations: 10,
    commits: 3,
    ingressPauses: 0,
    carriedOver: 0,
    stateValues: 4,
    timers: 0,
    committedOffsets: {},
    functions: { "t/counter": { in: 10, outLocal: 1, outRemote: 2, outEgress: 10, failures: 0, backlog: 2 } },
    commitSeconds: { sum: 0.03, count: 3 },
    restoredRecords: 0,
    egressRecords: { "t/out": 10 },
    skipped: 0,
    deadLettered: 0,
  };
}

function fakeApp() {
  const calls: string[] = [];
  const functions = new StateFun();
  functions.bind({ typename: "t/counter", specs: [{ name: "n", type: StateFun.intType() }], fn() {} });
  const paused = new Set<string>();
  const app: ControlledApp = {
    version: { hash: "0123456789abcdef", label: "v1" } as ControlledApp["version"],
    startedAt: Date.now(),
    instanceId: "instance-1",
    controlUrl: undefined,
    group: () => Promise.resolve([]),
    taskCount: 2,
    processingGuarantee: "exactly-once",
    moduleFile: "module.yaml",
    status: () => ({ appId: "app", state: "running", taskCount: 2, tasks: [report(0), report(1, "failed")] }),
    isReady: () => true,
    ingresses: () => [{ id: "t/in", groupId: "app", topics: ["in"], state: paused.has("t/in") ? "paused" : "running" }],
    egresses: () => [{ id: "t/out", delivery: "exactly-once", address: "127.0.0.1:9092", records: 10, errors: 0 }],
    remoteFunctions: () => [],
    history: () => ({
      intervalMs: 5_000,
      capacity: 180,
      windowMs: 900_000,
      bytes: 8 * 180 * 5,
      at: [1_000, 6_000],
      commitMs: [12.5, null],
      ingresses: [{ id: "t/in", recordsPerSecond: [4, 0], lag: [3, null] }],
      egresses: [{ id: "t/out", recordsPerSecond: [4, 0] }],
    }),
    ingressOffsets: (id) => {
      if (id !== "t/in") throw new OperationError("not-found", `no ingress with id ${id}`);
      return Promise.resolve([
        { topic: "in", partition: 0, committed: 5, logEnd: 8, lastStable: 8, lag: 3, owner: "m-1", task: 0 },
      ]);
    },
    pauseIngress: (id) => {
      if (id !== "t/in") throw new OperationError("not-found", `no ingress with id ${id}`);
      calls.push(`pause ${id}`);
      paused.add(id);
    },
    resumeIngress: (id) => {
      calls.push(`resume ${id}`);
      paused.delete(id);
    },
    resetIngressOffsets: (id: string, target: OffsetResetTarget) => {
      if (!paused.has(id)) return Promise.reject(new OperationError("conflict", `ingress ${id} is running`));
      calls.push(`reset ${id} ${JSON.stringify(target)}`);
      return Promise.resolve([{ topic: "in", partition: 0, offset: 0 }]);
    },
    restartTask: (p) => {
      if (p !== 1) throw new OperationError("conflict", `task ${p} is running, not stopped`);
      calls.push(`restart ${p}`);
    },
    functionSpec: (typename) => {
      const spec = functions.functionSpec(typename);
      return spec === undefined ? undefined : inProcess(spec);
    },
    task: (p) =>
      p === 0
        ? {
          task: 0,
          status: "running",
          report: () => report(0),
          state: { peek: () => new Map([["n", toTypedValue(7, StateFun.intType())]]) },
        }
        : undefined,
  };
  return { app, calls };
}

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

Deno.test("control routes: status sums functions over tasks; offsets, pause, reset and resume reach the app", async () => {
  const { app, calls } = fakeApp();
  const control = createControlApp(app);
  const status = await (await control.request(`${BASE}/v1/status`)).json();
  equal(status.appId, "app");
  deepEqual(status.functions, [{
    typename: "t/counter",
    kind: "in-process",
    invocations: 20,
    failures: 0,
    backlog: 4,
  }]);
  deepEqual(status.tasks.map((task: { status: string }) => task.status), ["running", "failed"]);
  const offsets = await (await control.request(`${BASE}/v1/ingresses/t/in/offsets`)).json();
  equal(offsets.partitions[0].lag, 3);
  equal((await control.request(`${BASE}/v1/ingresses/t/in/offsets`, json({ to: "earliest" }))).status, 409);
  equal((await control.request(`${BASE}/v1/ingresses/t/in/pause`, { method: "POST" })).status, 200);
  const reset = await control.request(`${BASE}/v1/ingresses/t/in/offsets`, json({ to: "timestamp", timestamp: 5 }));
  equal(reset.status, 200);
  deepEqual((await reset.json()).partitions, [{ topic: "in", partition: 0, offset: 0 }]);
  equal((await control.request(`${BASE}/v1/ingresses/t/in/resume`, { method: "POST" })).status, 200);
  deepEqual(calls, ["pause t/in", 'reset t/in {"type":"timestamp","timestamp":5}', "resume t/in"]);
});

Deno.test("control routes: operation errors become 404 and 409; bad bodies 400 naming the field", async () => {
  const control = createControlApp(fakeApp().app);
  const missing = await control.request(`${BASE}/v1/ingresses/t/nope/pause`, { method: "POST" });
  equal(missing.status, 404);
  equal((await missing.json()).error.code, "not-found");
  equal((await control.request(`${BASE}/v1/tasks/0/restart`, { method: "POST" })).status, 409);
  equal((await control.request(`${BASE}/v1/tasks/1/restart`, { method: "POST" })).status, 200);
  equal((await control.request(`${BASE}/v1/tasks/x/restart`, { method: "POST" })).status, 400);
  const bad = await control.request(`${BASE}/v1/ingresses/t/in/offsets`, json({ to: "timestamp", timestamp: -1 }));
  equal(bad.status, 400);
  equal((await bad.json()).error.field, "timestamp");
  const notJson = await control.request(`${BASE}/v1/ingresses/t/in/offsets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{not json",
  });
  equal(notJson.status, 400);
  equal((await control.request(`${BASE}/v1/nothing`)).status, 404);
});

Deno.test("control routes: the state of an address, decoded; another task's address is a 409", async () => {
  const control = createControlApp(fakeApp().app);
  const idOf = (p: number) => Array.from({ length: 50 }, (_, i) => `id${i}`).find((id) => taskOfId(id, 2) === p)!;
  const owned = await control.request(`${BASE}/v1/functions/t/counter/state?id=${idOf(0)}`);
  equal(owned.status, 200);
  deepEqual((await owned.json()).values, { n: { typename: "io.statefun.types/int", value: 7 } });
  const elsewhere = await control.request(`${BASE}/v1/functions/t/counter/state?id=${idOf(1)}`);
  equal(elsewhere.status, 409);
  equal((await control.request(`${BASE}/v1/functions/t/unknown/state?id=k`)).status, 404);
  equal((await control.request(`${BASE}/v1/functions/t/counter/state`)).status, 400);
});

Deno.test("control routes: with a token, mutations need it; reads too when bound off loopback", async () => {
  const open = createControlApp(fakeApp().app, { token: "secret" });
  equal((await open.request(`${BASE}/v1/status`)).status, 200);
  equal((await open.request(`${BASE}/v1/ingresses/t/in/pause`, { method: "POST" })).status, 401);
  const authorized = { method: "POST", headers: { authorization: "Bearer secret" } };
  equal((await open.request(`${BASE}/v1/ingresses/t/in/pause`, authorized)).status, 200);
  const closed = createControlApp(fakeApp().app, { token: "secret", protectReads: true });
  equal((await closed.request(`${BASE}/v1/status`)).status, 401);
  equal((await closed.request(`${BASE}/v1/status`, { headers: { authorization: "Bearer secret" } })).status, 200);
});

Deno.test("control routes: the OpenAPI document lists every route", async () => {
  const document = await (await createControlApp(fakeApp().app).request(`${BASE}/openapi.json`)).json();
  equal(document.openapi, "3.1.0");
  for (
    const path of [
      "/v1/status",
      "/v1/history",
      "/v1/ingresses/{namespace}/{name}/offsets",
      "/v1/tasks/{task}/restart",
      "/metrics",
    ]
  ) {
    equal(typeof document.paths[path], "object", path);
  }
  const history = document.paths["/v1/history"].get.responses["200"].content["application/json"].schema;
  deepEqual(history.required, [
    "instance",
    "intervalMs",
    "capacity",
    "windowMs",
    "bytes",
    "at",
    "commitMs",
    "ingresses",
    "egresses",
  ]);
});

Deno.test("control routes: the history is this instance's, in the shape its OpenAPI schema gives", async () => {
  const response = await createControlApp(fakeApp().app).request(`${BASE}/v1/history`);
  equal(response.status, 200);
  const body = await response.json();
  deepEqual(HistoryBody.parse(body), body, "nothing outside the schema");
  equal(body.instance, "instance-1");
  deepEqual(body.at, [1_000, 6_000]);
  deepEqual(body.ingresses, [{ id: "t/in", recordsPerSecond: [4, 0], lag: [3, null] }]);
  deepEqual(body.commitMs, [12.5, null]);
});

Deno.test("control routes: hostile bodies are refused with a field or a size, never applied", async () => {
  const { app, calls } = fakeApp();
  const control = createControlApp(app);
  await control.request(`${BASE}/v1/ingresses/t/in/pause`, { method: "POST" });
  const post = (body: string) =>
    control.request(`${BASE}/v1/ingresses/t/in/offsets`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
  // An own __proto__ key (JSON.parse makes one) is an unknown key of a strict body, not a prototype.
  equal((await post('{"to":"earliest","__proto__":{"to":"latest"}}')).status, 400);
  equal((await post('{"to":"specific","offsets":[{"topic":"in","partition":"0","offset":1}]}')).status, 400);
  const wrongType = await (await post('{"to":"timestamp","timestamp":"yesterday"}')).json();
  equal(wrongType.error.field, "timestamp");
  equal((await post(`${"[".repeat(5_000)}${"]".repeat(5_000)}`)).status, 400); // nested, not an object
  equal((await post(JSON.stringify({ to: "earliest", pad: "x".repeat(70_000) }))).status, 413);
  equal((await post("null")).status, 400);
  deepEqual(calls.filter((call) => call.startsWith("reset")), [], "no reset was applied");
});
