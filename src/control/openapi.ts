/**
 * The control API's OpenAPI 3.1 document (`GET /openapi.json`): every route, with the request and error bodies from
 * the zod schemas that validate them.
 *
 * @module
 */

import { z } from "../deps.ts";
import { VERSION } from "../version.ts";
import { ErrorBody, HistoryBody, OffsetResetBody } from "./schemas.ts";

/** The OpenAPI 3.1 document; request and error bodies come from the zod schemas that validate them. */
export function openApiDocument(): Record<string, unknown> {
  const json = (schema: z.ZodType) => ({ "application/json": { schema: z.toJSONSchema(schema) } });
  const errors = Object.fromEntries(
    ["400", "401", "403", "404", "409", "413", "415"].map((
      code,
    ) => [code, { description: "error", content: json(ErrorBody) }]),
  );
  const ok = (description: string) => ({ "200": { description }, ...errors });
  const scope = { name: "scope", in: "query", required: false, schema: { type: "string", enum: ["instance"] } };
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
      "/": { get: { summary: "The dashboard (HTML; no token needed: it holds no data)", responses: ok("text/html") } },
      "/v1/status": {
        get: {
          summary:
            "App, group members with their tasks and module versions (and a roll in progress), ingresses, tasks, " +
            "egresses, functions",
          responses: ok("status"),
        },
      },
      "/v1/history": {
        get: {
          summary: "This instance's last 15 minutes: records in and out per second, lag per ingress, commit time",
          responses: { ...ok("history"), "200": { description: "history", content: json(HistoryBody) } },
        },
      },
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
        post: {
          summary:
            "Stop fetching, on every member of the app (scope=instance: this one only); the answer says per instance",
          parameters: [...ingress, scope],
          responses: { ...ok("paused"), "502": { description: "a member could not apply it (named)" } },
        },
      },
      "/v1/ingresses/{namespace}/{name}/resume": {
        post: {
          summary: "Fetch again, on every member of the app (scope=instance: this one only)",
          parameters: [...ingress, scope],
          responses: { ...ok("running"), "502": { description: "a member could not apply it (named)" } },
        },
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
          summary: "The state values of one address (asked of the member that owns it, if another)",
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
