/**
 * POSTs request-reply bodies to a remote function endpoint the way StateFun's async transport does: any failure of
 * an attempt — connection refused, a timeout, a non-2xx status, a response whose Content-Type is not
 * `application/octet-stream`, a body that does not parse — is retried with backoff (2 ms · 2^attempt) until the call's total budget (the
 * endpoint's call timeout) is spent; each attempt may use what is left of it. What the last attempt saw is in the
 * error, with the URL.
 *
 * The OkHttp transport's socket timeouts bound each attempt too: it must get its response within connect + write + read
 * (OkHttp gives each phase its own bound; Deno's fetch does not show where a request is, so their sum), and no more than
 * the read timeout may pass between chunks of the body. A function slower than that fails its attempt and is retried,
 * as on StateFun. The async transport's `connect` bounds nothing more than its call timeout does.
 *
 * Plain HTTP goes over keep-alive connections of our own (http1_pool.ts: a quarter of fetch's CPU per call); TLS
 * endpoints, whose certificates a Deno HTTP client holds, through fetch.
 *
 * @module
 */

import type { Cancellation, Http1Pool } from "./http1_pool.ts";

/** StateFun's request-reply content type, sent and required back. */
export const CONTENT_TYPE = "application/octet-stream";

/** A remote call that failed for good: every attempt within the call timeout failed. */
export class RemoteCallError extends Error {
  /**
   * Creates it.
   *
   * @param url The endpoint URL.
   * @param attempts Attempts made.
   * @param reason What the last attempt met.
   */
  constructor(readonly url: string, readonly attempts: number, readonly reason: string) {
    super(`calling ${url} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${reason}`);
    this.name = "RemoteCallError";
  }
}

/** How a call is made. */
export interface CallOptions {
  /** The whole call's budget, all attempts included, ms. */
  callTimeoutMs: number;
  /** The largest response body accepted. */
  maxResponseBytes: number;
  /** A Deno HTTP client (TLS settings, a Unix socket), if not the default. */
  client?: Deno.HttpClient;
  /**
   * Instead of fetch: keep-alive connections of our own (plain HTTP, over TCP or a Unix socket: http1_pool.ts) and
   * the request head they send (requestHead()).
   */
  connections?: { pool: Http1Pool; head: Uint8Array };
  /**
   * Instead of HTTP: a function from request bytes to response bytes (the test kit's in-process endpoints), called
   * once per request; what it throws fails the call at once.
   */
  transport?: (body: Uint8Array) => Promise<Uint8Array>;
  /** OkHttp's socket timeouts (connect, read, write), ms; absent for the async transport. */
  socketTimeouts?: { connectMs: number; readMs: number; writeMs: number };
  /** The URL requests go to when it is not the one errors name (a `+unix` URL is sent to `http://localhost/…`). */
  requestUrl?: string;
  /** Time (tests pass a clock that can be moved; default performance.now). */
  now?: () => number;
}

/** Response bodies up to this size (with a Content-Length) are read whole. */
const WHOLE_BODY_BYTES = 1024 * 1024;

/** One failed attempt. */
class AttemptError extends Error {}

/** An attempt cut short because the call's budget was spent. */
class BudgetSpent extends AttemptError {}

/**
 * POSTs `body` to `url` until an attempt succeeds or the budget is spent.
 *
 * @throws {RemoteCallError} naming the URL, the attempts and the last failure.
 */
export async function postWithRetries<T>(
  url: string,
  body: Uint8Array,
  options: CallOptions,
  parse: (bytes: Uint8Array) => T,
): Promise<T> {
  if (options.transport !== undefined) {
    try {
      return parsed(await options.transport(body), parse);
    } catch (error) {
      throw new RemoteCallError(url, 1, error instanceof Error ? error.message : String(error));
    }
  }
  const now = options.now ?? (() => performance.now());
  const deadline = now() + options.callTimeoutMs;
  let attempts = 0;
  let reason = "no attempt";
  let cutShort = false;
  /** What the latest attempt met that was not cut short by the call's budget. */
  let earlier: string | undefined;
  for (;;) {
    const remaining = deadline - now();
    if (remaining < 1) break;
    attempts++;
    try {
      return parsed(await attempt(url, body, remaining, options), parse);
    } catch (error) {
      reason = error instanceof AttemptError ? error.message : describe(error, remaining);
      cutShort = error instanceof BudgetSpent;
      if (!cutShort) earlier = reason;
    }
    const backoff = Math.min(2 * 2 ** Math.min(attempts, 20), deadline - now());
    if (backoff < 1) break;
    await new Promise((resolve) => setTimeout(resolve, backoff));
  }
  const before = cutShort && earlier !== undefined ? ` (the attempts before: ${earlier})` : "";
  throw new RemoteCallError(url, attempts, reason + before);
}

/** The parsed response; what does not parse is the attempt's failure. */
function parsed<T>(bytes: Uint8Array, parse: (bytes: Uint8Array) => T): T {
  try {
    return parse(bytes);
  } catch (error) {
    throw new AttemptError(`the response body cannot be read: ${error instanceof Error ? error.message : error}`);
  }
}

/**
 * Aborts an attempt when the call's budget is spent, or when the socket timeout of the step it waits on passes: as an
 * AbortSignal for fetch (made only when asked for), as a Cancellation for our own connections (no event listeners).
 */
class AttemptTimer implements Cancellation {
  #controller: AbortController | undefined;
  readonly #call: ReturnType<typeof setTimeout>;
  #stall: ReturnType<typeof setTimeout> | undefined;
  /** Why it aborted, if it did. */
  reason: AttemptError | undefined;
  onCancel: (() => void) | undefined;

  constructor(callMs: number) {
    this.#call = setTimeout(
      () => this.#abort(new BudgetSpent(`no response within ${Math.round(callMs)} ms`)),
      Math.max(1, callMs),
    );
  }

  get cancelled(): boolean {
    return this.reason !== undefined;
  }

  /** An AbortSignal that aborts with the attempt. */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.reason !== undefined) this.#controller.abort(this.reason);
    return this.#controller.signal;
  }

  /** (Re)arms the socket timeout: the next step must happen within `ms`. */
  stall(ms: number | undefined, what: string): void {
    if (this.#stall !== undefined) clearTimeout(this.#stall);
    if (ms === undefined) return;
    this.#stall = setTimeout(() => this.#abort(new AttemptError(`${what} within ${ms} ms`)), Math.max(1, ms));
  }

  clear(): void {
    clearTimeout(this.#call);
    if (this.#stall !== undefined) clearTimeout(this.#stall);
  }

  #abort(reason: AttemptError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.onCancel?.();
  }
}

async function attempt(url: string, body: Uint8Array, timeoutMs: number, options: CallOptions): Promise<Uint8Array> {
  const timer = new AttemptTimer(Math.floor(timeoutMs));
  const socket = options.socketTimeouts;
  try {
    timer.stall(
      socket === undefined ? undefined : socket.connectMs + socket.writeMs + socket.readMs,
      "no response (connect + write + read timeouts)",
    );
    if (options.connections !== undefined) {
      const { pool, head } = options.connections;
      const readMs = socket?.readMs;
      const response = await pool.post(head, body, {
        maxBodyBytes: options.maxResponseBytes,
        ...(readMs === undefined ? {} : { progress: () => timer.stall(readMs, "no data (read timeout)") }),
      }, timer);
      return checked(response.status, response.contentType, response.body);
    }
    const response = await fetch(options.requestUrl ?? url, {
      method: "POST",
      headers: { "content-type": CONTENT_TYPE, accept: CONTENT_TYPE, "user-agent": "statefun" },
      body: body as BodyInit,
      signal: timer.signal,
      ...(options.client === undefined ? {} : { client: options.client }),
    });
    const bytes = await readBody(
      response,
      options.maxResponseBytes,
      () => timer.stall(socket?.readMs, "no data (read timeout)"),
    );
    return checked(response.status, response.headers.get("content-type"), bytes);
  } catch (error) {
    if (timer.reason !== undefined) throw timer.reason;
    throw error;
  } finally {
    timer.clear();
  }
}

function checked(status: number, type: string | null, bytes: Uint8Array): Uint8Array {
  if (status < 200 || status > 299) {
    throw new AttemptError(`HTTP ${status}${preview(bytes)}`);
  }
  if (type === null || type.split(";")[0].trim().toLowerCase() !== CONTENT_TYPE) {
    throw new AttemptError(
      `the response's Content-Type is ${type === null ? "missing" : JSON.stringify(type)}, not ${CONTENT_TYPE}`,
    );
  }
  return bytes;
}

async function readBody(response: Response, max: number, progress: () => void): Promise<Uint8Array> {
  progress();
  if (response.body === null) return new Uint8Array();
  // A body of a known, small length within the limit is read whole: Deno reads it in one go (a stream reader per
  // chunk was the remote path's largest cost in a profile). The read timeout then bounds the whole body, not each gap
  // between chunks — the same for a body that arrives in one piece, as a function's answer does. Longer bodies, and
  // those without a length, are read chunk by chunk.
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isSafeInteger(length) && length <= Math.min(max, WHOLE_BODY_BYTES)) {
    return new Uint8Array(await response.arrayBuffer());
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    progress();
    size += chunk.length;
    if (size > max) {
      await response.body.cancel().catch(() => {});
      throw new AttemptError(`the response is larger than ${max} bytes (payload_max_bytes)`);
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function preview(bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  const text = new TextDecoder().decode(bytes.subarray(0, 200)).replace(/[^\x20-\x7e]/g, "?");
  return `: ${JSON.stringify(text)}`;
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no response within ${Math.round(timeoutMs)} ms`;
  }
  if (!(error instanceof Error)) return String(error);
  // Deno's fetch says "fetch failed" and keeps the reason (connection refused, a TLS error) in the cause.
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause === undefined || error.message.includes(cause) ? error.message : `${error.message}: ${cause}`;
}
