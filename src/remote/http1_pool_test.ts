import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { Http1Error, requestHead } from "./http1_connection.ts";
import { type Cancellation, Http1Pool } from "./http1_pool.ts";

/** A Cancellation the test cancels (as the attempt's timer does). */
function cancellation(): Cancellation & { cancel(reason: unknown): void } {
  const state = {
    cancelled: false,
    reason: undefined as unknown,
    onCancel: undefined as (() => void) | undefined,
    cancel(reason: unknown) {
      if (state.cancelled) return;
      state.cancelled = true;
      state.reason = reason;
      state.onCancel?.();
    },
  };
  return state;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A raw TCP server: `answer` gets each request's bytes (head and body, read until the declared length) and returns
 * the text to write back (and then close the connection with `thenClose`), or "close" to close the connection
 * without answering, or "hang" to say nothing.
 */
function rawServer(
  answer: (request: string, index: number) => string | { text: string; thenClose: true } | "close" | "hang",
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections = new Set<Deno.Conn>();
  let requests = 0;
  let accepted = 0;
  const serveConnection = async (conn: Deno.Conn) => {
    connections.add(conn);
    let pending = "";
    const buffer = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        pending += decoder.decode(buffer.subarray(0, n));
        for (;;) {
          const end = pending.indexOf("\r\n\r\n");
          if (end < 0) break;
          const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
          if (pending.length < end + 4 + length) break;
          const request = pending.slice(0, end + 4 + length);
          pending = pending.slice(end + 4 + length);
          const reply = answer(request, requests++);
          if (reply === "hang") continue;
          if (reply === "close") {
            conn.close();
            connections.delete(conn);
            return;
          }
          const bytes = encoder.encode(typeof reply === "string" ? reply : reply.text);
          // In pieces, to exercise reads that end anywhere.
          for (let at = 0; at < bytes.length; at += 7) {
            await conn.write(bytes.subarray(at, at + 7));
          }
          if (typeof reply !== "string") {
            conn.close();
            connections.delete(conn);
            return;
          }
        }
      }
    } catch {
      // closed under us
    }
    connections.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted++;
      void serveConnection(conn);
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    closeConnections() {
      for (const conn of connections) conn.close();
      connections.clear();
    },
    async close() {
      listener.close();
      for (const conn of connections) conn.close();
      await accepting.catch(() => {});
    },
  };
}

const ok200 = (body: string, headers = "") =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n${headers}\r\n${body}`;

function setup(port: number, maxConnections = 8) {
  const pool = new Http1Pool({ hostname: "127.0.0.1", port }, { maxConnections, idleTtlMs: 15_000 });
  const head = requestHead("/fn?x=1", `127.0.0.1:${port}`, "application/octet-stream");
  const post = (body = "abc", cancel?: Cancellation) =>
    pool.post(head, encoder.encode(body), { maxBodyBytes: 1000 }, cancel);
  return { pool, post };
}

Deno.test("http1: a POST carries StateFun's headers and the body; a Content-Length answer is read whole", async () => {
  let seen = "";
  const server = rawServer((request) => {
    seen = request;
    return ok200("hello");
  });
  const { pool, post } = setup(server.port);
  try {
    const response = await post("payload");
    equal(response.status, 200);
    equal(response.contentType, "application/octet-stream");
    equal(decoder.decode(response.body), "hello");
    match(seen, /^POST \/fn\?x=1 HTTP\/1\.1\r\n/);
    match(seen, /\r\nHost: 127\.0\.0\.1:\d+\r\n/);
    match(seen, /\r\nContent-Type: application\/octet-stream\r\n/);
    match(seen, /\r\nUser-Agent: statefun\r\n/);
    match(seen, /\r\nContent-Length: 7\r\n\r\npayload$/);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http1: chunked answers (with extensions and trailers) are joined; the connection is kept for the next call", async () => {
  const server = rawServer((_, index) =>
    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
    `3;ext=1\r\nab${index}\r\n5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n`
  );
  const { pool, post } = setup(server.port);
  try {
    deepEqual(decoder.decode((await post()).body), "ab0hello");
    deepEqual(decoder.decode((await post()).body), "ab1hello");
    deepEqual(decoder.decode((await post()).body), "ab2hello");
    equal(server.accepted, 1, "one connection for three calls");
    equal(pool.openConnections, 1);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http1: an answer without a length ends with the connection, which is not reused", async () => {
  let count = 0;
  const server = rawServer(() => ({
    text: `HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\nuntil-close-${++count}`,
    thenClose: true,
  }));
  const { pool, post } = setup(server.port);
  try {
    equal(decoder.decode((await post()).body), "until-close-1");
    equal(decoder.decode((await post()).body), "until-close-2");
    equal(pool.openConnections, 0, "nothing kept after a close-delimited body");
    equal(server.accepted, 2);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http1: 'Connection: close' is honoured; a 500 and a wrong Content-Type are returned as they are", async () => {
  const server = rawServer((_, index) =>
    index === 0
      ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops"
      : "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
  );
  const { pool, post } = setup(server.port);
  try {
    const failed = await post();
    equal(failed.status, 500);
    equal(decoder.decode(failed.body), "oops");
    equal(pool.openConnections, 0);
    const text = await post();
    equal(text.contentType, "text/plain");
    equal(server.accepted, 2);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http1: a pooled connection the server closed while idle is replaced, and the call sent once more", async () => {
  const server = rawServer(() => ok200("fine"));
  const { pool, post } = setup(server.port);
  try {
    equal(decoder.decode((await post()).body), "fine");
    server.closeConnections(); // the server's keep-alive timeout
    await new Promise((resolve) => setTimeout(resolve, 20));
    equal(decoder.decode((await post()).body), "fine");
    equal(server.accepted, 2);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http1: a server that closes a new connection without answering fails the call, not retried here", async () => {
  const server = rawServer(() => "close");
  const { pool, post } = setup(server.port);
  try {
    const error = await post().catch((e) => e);
    ok(error instanceof Http1Error);
    match(error.message, /closed the connection without a response/);
    equal(server.accepted, 1, "a new connection is not retried by the pool (the caller's retries are)");
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http1: malformed answers fail naming what is wrong", async () => {
  const answers = [
    ["SPDY/3 200 OK\r\n\r\n", /does not start with an HTTP\/1\.x status line: "SPDY\/3 200 OK"/],
    ["HTTP/1.1 200 OK\r\nContent-Length: x1\r\n\r\n", /Content-Length is "x1"/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /chunk of the response has the size line "zz"/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", /larger than 1000 bytes/],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + "x".repeat(1000) + "\r\n1\r\n",
      /larger than 1000/,
    ],
    ["HTTP/1.1 100 Continue\r\n\r\n", /interim response/],
  ] as const;
  for (const [answer, expected] of answers) {
    const server = rawServer(() => answer);
    const { pool, post } = setup(server.port);
    try {
      await rejects(post(), expected);
      equal(pool.openConnections, 0, `the connection is closed after ${JSON.stringify(answer.slice(0, 30))}`);
    } finally {
      pool.close();
      await server.close();
    }
  }
});

Deno.test("http1: a body cut short by the server fails naming how much arrived", async () => {
  const server = rawServer(() => ({ text: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", thenClose: true }));
  const { pool, post } = setup(server.port);
  try {
    await rejects(post(), /closed the connection after 3 of the body's 10 bytes/);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http1: at most pool_size connections; further calls wait for one; a cancelled call gives its place up", async () => {
  const server = rawServer(() => ok200("x"));
  const { pool, post } = setup(server.port, 2);
  try {
    const results = await Promise.all(Array.from({ length: 10 }, () => post().then((r) => decoder.decode(r.body))));
    deepEqual(results, Array(10).fill("x"));
    ok(server.accepted <= 2, `${server.accepted} connections for a pool of 2`);
    // A call waiting for a connection, cancelled, leaves without taking one.
    const hanging = rawServer(() => "hang");
    const small = setup(hanging.port, 1);
    const [slow, waiting] = [cancellation(), cancellation()];
    const first = small.post("a", slow).catch((e) => e);
    const second = small.post("b", waiting).catch((e) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    waiting.cancel(new Error("given up"));
    match(String(await second), /given up/);
    equal(small.pool.openConnections, 1, "the waiting call took no connection");
    slow.cancel(new Error("no answer in time"));
    match(String(await first), /no answer in time/);
    equal(small.pool.openConnections, 0, "the cancelled call's connection is closed");
    small.pool.close();
    await hanging.close();
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http1: an idle connection past the server's Keep-Alive timeout (less a second) is not reused", async () => {
  const server = rawServer(() => ok200("k", "Keep-Alive: timeout=2\r\n"));
  const { pool, post } = setup(server.port);
  try {
    await post();
    await post();
    equal(server.accepted, 1, "reused at once");
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past timeout=2 s less the 1 s margin
    await post();
    equal(server.accepted, 2);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http1: calls after close() fail; a refused connection fails with the OS's reason", async () => {
  const server = rawServer(() => ok200("x"));
  const { pool, post } = setup(server.port);
  await post();
  pool.close();
  await rejects(post(), /connections were closed/);
  await server.close();
  const refused = setup(server.port);
  await rejects(refused.post(), /refused/i);
  refused.pool.close();
});
