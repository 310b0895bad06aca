/**
 * The control API (Hono): health and readiness, status, ingress offsets and
 * lag, pause/resume and offset resets, function state, Prometheus metrics and
 * the OpenAPI document. Errors are JSON `{ error: { code, message, field? } }`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { bodyLimit, Hono, type HonoContext, z } from "../deps.ts";
import { OperationError } from "../runtime/errors.ts";
import type { OffsetResetTarget, Runtime } from "../runtime/runtime.ts";
import { taskOfId } from "../runtime/routing.ts";
import { Address } from "../sdk/address.ts";
import type { TypedValue } from "../sdk/typed_value.ts";
import { JsonType, type Type } from "../sdk/types.ts";
import { VERSION } from "../version.ts";
import { bearerMatches } from "./auth.ts";
import { renderMetrics } from "./metrics.ts";
import { requestGuard } from "./request_guard.ts";
import { ErrorBody, OffsetResetBody } from "./schemas.ts";

/** Options of the control app. */
export interface ControlOptions {
  /** The bearer token; required on mutating routes when set. */
  token?: string;
  /** Require the token on every route (the API is bound to a non-loopback address). */
  protectReads?: boolean;
  /** Largest request body (default 64 KiB). */
  maxBodyBytes?: number;
  /** The hostname the API is bound to (default 127.0.0.1): accepted as a Host, as loopback names and IPs are. */
  bindHostname?: string;
  /** More hostnames accepted as a Host (`--control-allowed-hosts`). */
  allowedHosts?: readonly string[];
}

type ErrorCode = z.infer<typeof ErrorBody>["error"]["code"];

const STATUS: Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500> = {
  "bad-request": 400,
  unauthorized: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  "too-large": 413,
  "unsupported-media-type": 415,
  internal: 500,
};

function fail(c: HonoContext, code: ErrorCode, message: string, field?: string) {
  return c.json({ error: { code, message, ...(field === undefined ? {} : { field }) } }, STATUS[code]);
}

/** Creates the control API of a runtime. */
export function createControlApp(runtime: Runtime, options: ControlOptions = {}): Hono {
  const app = new Hono();
  const { token } = options;

  app.use(
    "*",
    requestGuard(
      { bindHostname: options.bindHostname ?? "127.0.0.1", allowedHosts: options.allowedHosts },
      (c, refusal) => fail(c, refusal.status === 403 ? "forbidden" : "unsupported-media-type", refusal.message),
    ),
  );
  app.use("*", async (c, next) => {
    const mutating = c.req.method !== "GET" && c.req.method !== "HEAD";
    if ((mutating || options.protectReads) && token !== undefined) {
      if (!bearerMatches(c.req.header("authorization"), token)) {
        return fail(c, "unauthorized", "a valid bearer token is required (Authorization: Bearer <token>)");
      }
    }
    await next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 64 * 1024,
      onError: (c) => fail(c, "too-large", "request body too large"),
    }),
  );

  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", (c) => {
    const ready = runtime.isReady();
    const restoring = runtime.status().tasks.filter((task) => task.status === "restoring").map((task) => task.task);
    return c.json({ ready, restoring }, ready ? 200 : 503);
  });

  app.get("/v1/status", (c) => {
    const status = runtime.status();
    const functions = new Map<
      string,
      { typename: string; kind: string; invocations: number; failures: number; backlog: number }
    >();
    for (const task of status.tasks) {
      for (const [typename, counters] of Object.entries(task.functions)) {
        const entry = functions.get(typename) ??
          { typename, kind: "in-process", invocations: 0, failures: 0, backlog: 0 };
        entry.invocations += counters.in;
        entry.failures += counters.failures;
        entry.backlog += counters.backlog;
        functions.set(typename, entry);
      }
    }
    return c.json({
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - runtime.startedAt) / 1000),
      appId: status.appId,
      module: runtime.moduleFile,
      processingGuarantee: runtime.processingGuarantee,
      state: status.state,
      ready: runtime.isReady(),
      taskCount: status.taskCount,
      ingresses: runtime.ingresses(),
      egresses: runtime.egresses(),
      tasks: status.tasks.map((task) => ({
        task: task.task,
        status: task.status,
        ...(task.failure === undefined ? {} : { failure: task.failure }),
        queued: task.queued,
        inFlight: task.inFlight,
        invocations: task.invocations,
        commits: task.commits,
        addresses: task.addresses,
        timers: task.timers,
        restoredRecords: task.restoredRecords,
        ...(task.restore === undefined ? {} : { restore: task.restore }),
      })),
      functions: [...functions.values()],
    });
  });

  app.get("/v1/ingresses/:namespace/:name/offsets", async (c) => {
    const id = `${c.req.param("namespace")}/${c.req.param("name")}`;
    return c.json({ ingress: id, partitions: await runtime.ingressOffsets(id) });
  });
  app.post("/v1/ingresses/:namespace/:name/pause", (c) => {
    const id = `${c.req.param("namespace")}/${c.req.param("name")}`;
    runtime.pauseIngress(id);
    return c.json({ ingress: id, state: "paused" });
  });
  app.post("/v1/ingresses/:namespace/:name/resume", (c) => {
    const id = `${c.req.param("namespace")}/${c.req.param("name")}`;
    runtime.resumeIngress(id);
    return c.json({ ingress: id, state: "running" });
  });
  app.post("/v1/ingresses/:namespace/:name/offsets", async (c) => {
    const id = `${c.req.param("namespace")}/${c.req.param("name")}`;
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return fail(c, "bad-request", "the body is not JSON");
    }
    const parsed = OffsetResetBody.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(c, "bad-request", issue.message, issue.path.join(".") || undefined);
    }
    const target: OffsetResetTarget = parsed.data.to === "specific"
      ? { type: "specific", offsets: parsed.data.offsets }
      : parsed.data.to === "timestamp"
      ? { type: "timestamp", timestamp: parsed.data.timestamp }
      : { type: parsed.data.to };
    const moved = await runtime.resetIngressOffsets(id, target);
    return c.json({
      ingress: id,
      partitions: moved,
      note: "offsets are committed with each task's next commit; function state is not rewound",
    });
  });

  app.post("/v1/tasks/:task/restart", (c) => {
    const task = Number(c.req.param("task"));
    if (!Number.isInteger(task) || task < 0) return fail(c, "bad-request", "the task is a number", "task");
    runtime.restartTask(task);
    return c.json({ task, status: "restarting" });
  });

  app.get("/v1/functions/:namespace/:type/state", (c) => {
    const typename = `${c.req.param("namespace")}/${c.req.param("type")}`;
    const id = c.req.query("id");
    if (id === undefined) return fail(c, "bad-request", "the query parameter id is required", "id");
    const spec = runtime.functionSpec(typename);
    if (spec === undefined) return fail(c, "not-found", `no function type ${typename}`);
    const address = Address.fromParts(c.req.param("namespace"), c.req.param("type"), id);
    const task = taskOfId(id, runtime.taskCount);
    const owned = runtime.task(task);
    if (owned === undefined) {
      return fail(c, "conflict", `the address belongs to task ${task}, which this instance does not run`);
    }
    const stored = owned.state.peek(address);
    const values: Record<string, unknown> = {};
    for (const valueSpec of spec.valueSpecs) {
      const typed = stored.get(valueSpec.name);
      if (typed !== undefined) values[valueSpec.name] = describeValue(typed, valueSpec.type);
    }
    return c.json({ function: typename, id, task, values });
  });

  app.get("/metrics", async (c) => {
    const offsets = [];
    for (const ingress of runtime.ingresses()) {
      offsets.push({ ingress: ingress.id, rows: await runtime.ingressOffsets(ingress.id) });
    }
    return c.text(renderMetrics(runtime, offsets), 200, { "content-type": "text/plain; version=0.0.4" });
  });

  app.get("/openapi.json", (c) => c.json(openApiDocument()));

  app.notFound((c) => fail(c, "not-found", `no route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if (error instanceof OperationError) return fail(c, error.kind, error.message);
    return fail(c, "internal", error instanceof Error ? error.message : String(error));
  });
  return app;
}

/** A state value for people: built-in and JSON types decoded, others as base64 with their typename. */
// deno-lint-ignore no-explicit-any
function describeValue(typed: TypedValue, type: Type<any>): unknown {
  const builtIn = typed.typename.startsWith("io.statefun.types/");
  if ((builtIn || type instanceof JsonType) && typed.typename === type.typename) {
    const value = type.deserialize(Buffer.from(typed.value));
    return { typename: typed.typename, value: typeof value === "bigint" ? value.toString() : value };
  }
  return { typename: typed.typename, base64: Buffer.from(typed.value).toString("base64") };
}

/** The OpenAPI 3.1 document; request and error bodies come from the zod schemas that validate them. */
export function openApiDocument(): Record<string, unknown> {
  const json = (schema: z.ZodType) => ({ "application/json": { schema: z.toJSONSchema(schema) } });
  const errors = Object.fromEntries(
    ["400", "401", "404", "409"].map((code) => [code, { description: "error", content: json(ErrorBody) }]),
  );
  const ok = (description: string) => ({ "200": { description }, ...errors });
  const ingress = [
    { name: "namespace", in: "path", required: true, schema: { type: "string" } },
    { name: "name", in: "path", required: true, schema: { type: "string" } },
  ];
  return {
    openapi: "3.1.0",
    info: { title: "Eddy control API", version: VERSION },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths: {
      "/health": { get: { summary: "The process is alive", responses: ok("alive") } },
      "/ready": { get: { summary: "Joined the group and every owned task restored", responses: ok("ready") } },
      "/v1/status": { get: { summary: "App, ingresses, tasks, egresses, functions", responses: ok("status") } },
      "/v1/ingresses/{namespace}/{name}/offsets": {
        get: {
          summary: "Committed, log-end and last-stable offsets, lag and owner per partition",
          parameters: ingress,
          responses: ok("offsets"),
        },
        post: {
          summary: "Reset a paused ingress's offsets (state is not rewound)",
          parameters: ingress,
          requestBody: { required: true, content: json(OffsetResetBody) },
          responses: ok("moved partitions"),
        },
      },
      "/v1/ingresses/{namespace}/{name}/pause": {
        post: { summary: "Stop fetching", parameters: ingress, responses: ok("paused") },
      },
      "/v1/ingresses/{namespace}/{name}/resume": {
        post: { summary: "Fetch again", parameters: ingress, responses: ok("running") },
      },
      "/v1/tasks/{task}/restart": {
        post: {
          summary: "Start a stopped task over from its last commit",
          parameters: [{ name: "task", in: "path", required: true, schema: { type: "integer" } }],
          responses: ok("restarting"),
        },
      },
      "/v1/functions/{namespace}/{type}/state": {
        get: {
          summary: "The state values of one address",
          parameters: [
            { name: "namespace", in: "path", required: true, schema: { type: "string" } },
            { name: "type", in: "path", required: true, schema: { type: "string" } },
            { name: "id", in: "query", required: true, schema: { type: "string" } },
          ],
          responses: ok("state values"),
        },
      },
      "/metrics": { get: { summary: "Prometheus metrics", responses: ok("text/plain") } },
      "/openapi.json": { get: { summary: "This document", responses: ok("OpenAPI") } },
    },
  };
}
