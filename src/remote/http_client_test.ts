/**
 * The HTTP client against a local server that misbehaves as endpoints do: wrong content type, garbage bodies,
 * 500s that recover, answers slower than the call timeout, a closed port. Each is retried within the budget and
 * then fails naming the URL and what the last attempt met.
 */

import { equal, match, rejects } from "node:assert/strict";
import { CONTENT_TYPE, postWithRetries, RemoteCallError } from "./http_client.ts";

async function withServer(
  handler: (request: Request, count: number) => Response | Promise<Response>,
  fn: (url: string, count: () => number) => Promise<void>,
): Promise<void> {
  let count = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => handler(request, ++count),
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/fn`, () => count);
  } finally {
    await server.shutdown();
  }
}

const ok = (body: Uint8Array) => new Response(body as BodyInit, { headers: { "content-type": CONTENT_TYPE } });
const parse = (bytes: Uint8Array) => {
  if (bytes[0] !== 42) throw new Error("not the answer");
  return bytes;
};
const options = { callTimeoutMs: 400, maxResponseBytes: 1024 };

Deno.test("http client: 500s are retried until one succeeds; the request is StateFun's", async () => {
  await withServer(async (request, count) => {
    equal(request.method, "POST");
    equal(request.headers.get("content-type"), CONTENT_TYPE);
    equal((await request.arrayBuffer()).byteLength, 3);
    return count < 3 ? new Response("busy", { status: 500 }) : ok(new Uint8Array([42]));
  }, async (url, count) => {
    equal((await postWithRetries(url, new Uint8Array([1, 2, 3]), options, parse))[0], 42);
    equal(count(), 3);
  });
});

Deno.test("http client: what never works fails after the call timeout, naming the URL and the last failure", async () => {
  const cases: [string, (request: Request) => Response | Promise<Response>, RegExp][] = [
    [
      "wrong content type",
      () => new Response(new Uint8Array([42]), { headers: { "content-type": "text/html" } }),
      /Content-Type is "text\/html", not application\/octet-stream/,
    ],
    ["garbage body", () => ok(new Uint8Array([7])), /the response body cannot be read: not the answer/],
    ["500", () => new Response("boom", { status: 500 }), /HTTP 500: "boom"/],
    ["too large", () => ok(new Uint8Array(5000).fill(42)), /larger than 1024 bytes/],
    [
      "slow",
      () => new Promise((resolve) => setTimeout(() => resolve(ok(new Uint8Array([42]))), 1_000)),
      /no response within/,
    ],
  ];
  for (const [name, handler, reason] of cases) {
    await withServer(handler, async (url) => {
      await rejects(() => postWithRetries(url, new Uint8Array(), options, parse), (error: Error) => {
        equal(error instanceof RemoteCallError, true, name);
        match(error.message, new RegExp(`^calling ${url.replaceAll("/", "\\/")} failed after \\d+ attempts?: `), name);
        match(error.message, reason, name);
        return true;
      });
    });
    // The slow handler's own timer ends before the next case (the test sanitizers see every timer).
    if (name === "slow") await new Promise((resolve) => setTimeout(resolve, 700));
  }
});

Deno.test("http client: a refused connection is retried, then fails naming it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  await rejects(
    () => postWithRetries(`http://127.0.0.1:${port}/fn`, new Uint8Array(), { ...options, callTimeoutMs: 200 }, parse),
    (error: Error) => error instanceof RemoteCallError && error.attempts > 1 && /refused|connect/i.test(error.message),
  );
});

Deno.test("http client: OkHttp's socket timeouts fail an attempt that waits too long, within the call budget", async () => {
  const socketTimeouts = { connectMs: 20, writeMs: 20, readMs: 60 };
  const slowAnswer = () => new Promise<Response>((resolve) => setTimeout(() => resolve(ok(new Uint8Array([42]))), 300));
  await withServer(slowAnswer, async (url, count) => {
    await rejects(
      () => postWithRetries(url, new Uint8Array(), { ...options, callTimeoutMs: 250, socketTimeouts }, parse),
      (error: Error) => {
        match(error.message, /no response \(connect \+ write \+ read timeouts\) within 100 ms/);
        return true;
      },
    );
    equal(count() >= 2, true, "retried within the call timeout");
  });
  await new Promise((resolve) => setTimeout(resolve, 350)); // the handlers' timers end
  let stalled: ReturnType<typeof setTimeout> | undefined;
  const stallingBody = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array([42]));
          stalled = setTimeout(() => controller.close(), 300); // headers and a first chunk, then silence
        },
      }),
      { headers: { "content-type": CONTENT_TYPE } },
    );
  await withServer(stallingBody, async (url) => {
    await rejects(
      () => postWithRetries(url, new Uint8Array(), { ...options, callTimeoutMs: 150, socketTimeouts }, parse),
      /no data \(read timeout\) within 60 ms/,
    );
  });
  clearTimeout(stalled);
  equal(
    (await postWithRetries("http://127.0.0.1:1/never", new Uint8Array(), { ...options, callTimeoutMs: 0 }, parse)
      .catch((error) => error)).attempts,
    0,
    "no budget: no attempt",
  );
});
