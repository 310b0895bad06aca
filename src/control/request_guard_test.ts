import { equal } from "node:assert/strict";
import { Hono } from "../deps.ts";
import { checkRequest, hostnameOf, requestGuard, type RequestGuardOptions } from "./request_guard.ts";

const BOUND: RequestGuardOptions = { bindHostname: "127.0.0.1" };

function status(method: string, headers: Record<string, string>, options = BOUND): number {
  return checkRequest(method, new Headers(headers), options)?.status ?? 200;
}

Deno.test("request guard: Host must be an IP, a loopback name, the bind address or an allowed name", () => {
  equal(status("GET", { host: "127.0.0.1:9870" }), 200);
  equal(status("GET", { host: "localhost:9870" }), 200);
  equal(status("GET", { host: "[::1]:9870" }), 200);
  equal(status("GET", { host: "10.1.2.3:9870" }), 200); // an IP literal cannot be rebound
  equal(status("GET", {}), 200); // HTTP/1.0 clients send no Host
  equal(status("GET", { host: "evil.example:9870" }), 403); // DNS rebinding
  equal(status("GET", { host: "evil.example" }), 403);
  equal(status("GET", { host: "eddy.internal:9870" }), 403);
  equal(status("GET", { host: "eddy.internal:9870" }, { ...BOUND, allowedHosts: ["eddy.internal"] }), 200);
  equal(status("GET", { host: "EDDY.internal." }, { ...BOUND, allowedHosts: ["eddy.internal"] }), 200);
  equal(status("GET", { host: "a b" }), 403);
  equal(hostnameOf("[::1]:80"), "::1");
});

Deno.test("request guard: mutations refuse other origins and non-JSON bodies", () => {
  const host = { host: "127.0.0.1:9870" };
  equal(status("POST", host), 200); // curl -X POST
  equal(status("POST", { ...host, "content-type": "application/json", "content-length": "2" }), 200);
  equal(status("POST", { ...host, "content-type": "application/json; charset=utf-8" }), 200);
  equal(status("POST", { ...host, origin: "http://127.0.0.1:9870" }), 200); // the dashboard's own page
  equal(status("POST", { ...host, origin: "http://evil.example" }), 403);
  equal(status("POST", { ...host, origin: "null" }), 403); // sandboxed frames, file: pages
  equal(status("POST", { ...host, "sec-fetch-site": "cross-site" }), 403);
  equal(status("POST", { ...host, "content-type": "text/plain", "content-length": "20" }), 415);
  equal(status("POST", { ...host, "content-type": "application/x-www-form-urlencoded" }), 415);
  equal(status("POST", { ...host, "content-length": "20" }), 415); // a body without a type
  equal(status("DELETE", { ...host, origin: "http://evil.example" }), 403);
  equal(status("GET", { ...host, origin: "http://evil.example" }), 200); // reads: the browser withholds the answer
});

Deno.test("request guard: as Hono middleware, a cross-site simple request never reaches the route", async () => {
  let reached = 0;
  const app = new Hono();
  app.use("*", requestGuard(BOUND, (c, refusal) => c.json({ error: refusal.message }, refusal.status)));
  app.post("/v1/ingresses/a/b/pause", (c) => {
    reached++;
    return c.json({ ok: true });
  });
  const cross = await app.request("http://127.0.0.1:9870/v1/ingresses/a/b/pause", {
    method: "POST",
    headers: { origin: "http://evil.example", "content-type": "text/plain" },
    body: "{}",
  });
  equal(cross.status, 403);
  const plain = await app.request("http://127.0.0.1:9870/v1/ingresses/a/b/pause", {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: '{"to":"earliest"}',
  });
  equal(plain.status, 415);
  const ok = await app.request("http://127.0.0.1:9870/v1/ingresses/a/b/pause", { method: "POST" });
  equal(ok.status, 200);
  equal(reached, 1);
});
