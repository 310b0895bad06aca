/**
 * The control API's routes (Hono): health and readiness, status, the recent history, ingress offsets and lag,
 * pause/resume and offset resets, task restarts, function state, Prometheus metrics and the OpenAPI document
 * (openapi.ts), behind the request guard (request_guard.ts), the token (auth.ts) and a body limit. It depends on the app only through
 * controlled_app.ts; errors are http_errors.ts's JSON shape.
 *
 * @module
 */

import { bodyLimit, Hono } from "../deps.ts";
import type { OffsetResetTarget } from "../runtime/status.ts";
import { taskOfId } from "../runtime/routing.ts";
import { Address } from "../sdk/address.ts";
import { describeState } from "../sdk/describe_state.ts";
import { VERSION } from "../version.ts";
import { bearerMatches } from "./auth.ts";
import { addDashboardRoutes, DASHBOARD_PATHS } from "./dashboard.ts";
import { forwardRead, forwardToAll } from "./group_calls.ts";
import { renderMetrics } from "./metrics.ts";
import { requestGuard } from "./request_guard.ts";
import type { ControlledApp } from "./controlled_app.ts";
import { errorResponse, fail } from "./http_errors.ts";
import { openApiDocument } from "./openapi.ts";
import { OffsetResetBody } from "./schemas.ts";

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

/** Creates the control API of an app. */
export function createControlApp(runtime: ControlledApp, options: ControlOptions = {}): Hono {
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
    const reads = options.protectReads && !DASHBOARD_PATHS.has(c.req.path);
    if ((mutating || reads) && token !== undefined) {
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

  addDashboardRoutes(app);
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", (c) => {
    const ready = runtime.isReady();
    const restoring = runtime.status().tasks.filter((task) => task.status === "restoring").map((task) => task.task);
    return c.json({ ready, restoring }, ready ? 200 : 503);
  });

  app.get("/v1/status", async (c) => {
    const status = runtime.status();
    const remoteFunctions = runtime.remoteFunctions();
    const functions = new Map<
      string,
      { typename: string; kind: string; invocations: number; failures: number; backlog: number }
    >();
    for (const task of status.tasks) {
      for (const [typename, counters] of Object.entries(task.functions)) {
        const entry = functions.get(typename) ??
          {
            typename,
            kind: runtime.functionSpec(typename)?.kind ?? "in-process",
            invocations: 0,
            failures: 0,
            backlog: 0,
          };
        entry.invocations += counters.in;
        entry.failures += counters.failures;
        entry.backlog += counters.backlog;
        functions.set(typename, entry);
      }
    }
    const group = await runtime.group().catch(() => []);
    const versionOf = (fingerprint: { hash: string; label?: string } | undefined) =>
      fingerprint === undefined ? null : { hash: fingerprint.hash, label: fingerprint.label ?? null };
    // A roll is in progress while the group's members run more than one module version.
    const versions = [...Map.groupBy(group, (member) => member.info?.fingerprint?.hash ?? null)].map((
      [hash, members],
    ) => ({ hash, label: members[0].info?.fingerprint?.label ?? null, members: members.length }));
    return c.json({
      version: VERSION,
      instance: runtime.instanceId,
      moduleVersion: versionOf(runtime.version),
      roll: { inProgress: versions.length > 1, versions },
      group: group.map((member) => ({
        instance: member.info?.instanceId ?? null,
        client: member.client,
        controlUrl: member.info?.controlUrl ?? null,
        tasks: member.tasks,
        self: member.info?.instanceId === runtime.instanceId,
        moduleVersion: versionOf(member.info?.fingerprint),
      })),
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
        stateValues: task.stateValues,
        timers: task.timers,
        restoredRecords: task.restoredRecords,
        ...(task.restore === undefined ? {} : { restore: task.restore }),
      })),
      functions: [...functions.values()].map((entry) => {
        const remote = remoteFunctions.find((fn) => fn.typename === entry.typename);
        return remote === undefined ? entry : {
          ...entry,
          remote: {
            url: remote.url,
            calls: remote.calls,
            failures: remote.failures,
            meanSeconds: remote.calls === 0 ? 0 : remote.seconds / remote.calls,
          },
        };
      }),
    });
  });

  app.get("/v1/history", (c) => c.json({ instance: runtime.instanceId, ...runtime.history() }));

  app.get("/v1/ingresses/:namespace/:name/offsets", async (c) => {
    const id = `${c.req.param("namespace")}/${c.req.param("name")}`;
    return c.json({ ingress: id, partitions: await runtime.ingressOffsets(id) });
  });
  // Pause and resume apply to the whole app: this instance, then every other member (each applies its part).
  for (const [action, state] of [["pause", "paused"], ["resume", "running"]] as const) {
    app.post(`/v1/ingresses/:namespace/:name/${action}`, async (c) => {
      const id = `${c.req.param("namespace")}/${c.req.param("name")}`;
      if (action === "pause") runtime.pauseIngress(id);
      else runtime.resumeIngress(id);
      const local = { instance: runtime.instanceId, url: runtime.controlUrl ?? "", ok: true, status: 200 };
      if (c.req.query("scope") === "instance") return c.json({ ingress: id, state, instances: [local] });
      const others = await forwardToAll(
        await runtime.group(),
        runtime.instanceId,
        c.req.path,
        c.req.header("authorization"),
      );
      return c.json({ ingress: id, state, instances: [local, ...others] }, others.every((r) => r.ok) ? 200 : 502);
    });
  }
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

  app.get("/v1/functions/:namespace/:type/state", async (c) => {
    const typename = `${c.req.param("namespace")}/${c.req.param("type")}`;
    const id = c.req.query("id");
    if (id === undefined) return fail(c, "bad-request", "the query parameter id is required", "id");
    const spec = runtime.functionSpec(typename);
    if (spec === undefined) return fail(c, "not-found", `no function type ${typename}`);
    const address = Address.fromParts(c.req.param("namespace"), c.req.param("type"), id);
    const task = taskOfId(id, runtime.taskCount);
    const owned = runtime.task(task);
    if (owned === undefined) {
      // Another member owns it: ask that member (once: a forwarded read is not forwarded again).
      const owner = c.req.query("scope") === "instance"
        ? undefined
        : (await runtime.group()).find((member) => member.tasks.includes(task) && member.info?.controlUrl);
      if (owner === undefined) {
        return fail(c, "conflict", `the address belongs to task ${task}, which no reachable member runs`);
      }
      const query = new URLSearchParams({ id, scope: "instance" });
      try {
        const answer = await forwardRead(owner, `${c.req.path}?${query}`, c.req.header("authorization"));
        return new Response(answer.body, {
          status: answer.status,
          headers: { "content-type": "application/json", "x-eddy-answered-by": owner.info!.instanceId },
        });
      } catch (error) {
        return fail(c, "bad-gateway", (error as Error).message);
      }
    }
    const values = describeState(owned.state.peek(address, spec.valueSpecs), spec.valueSpecs);
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
  app.onError((error, c) => errorResponse(c, error));
  return app;
}
