/**
 * POSTs request-reply bodies to a remote function endpoint the way StateFun's async transport does: any failure of
 * an attempt — connection refused, a timeout, a non-2xx status, a response whose Content-Type is not
 * `application/octet-stream`, a body that does not parse — is retried with backoff (2 ms · 2^attempt) until the call's total budget (the
 * endpoint's call timeout) is spent; each attempt may use what is left of it. What the last attempt saw is in the
 * error, with the URL.
 *
 * Deno's fetch has no separate connect timeout: the connect timeout bounds nothing more than the call does here.
 *
 * @module
 */

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
  /** A Deno HTTP client (TLS settings), if not the default. */
  client?: Deno.HttpClient;
  /** Time (tests pass a clock that can be moved; default performance.now). */
  now?: () => number;
}

/** One failed attempt. */
class AttemptError extends Error {}

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
  const now = options.now ?? (() => performance.now());
  const deadline = now() + options.callTimeoutMs;
  let attempts = 0;
  let reason = "no attempt";
  for (;;) {
    const remaining = deadline - now();
    if (remaining < 1) break;
    attempts++;
    try {
      const bytes = await attempt(url, body, remaining, options);
      try {
        return parse(bytes);
      } catch (error) {
        throw new AttemptError(`the response body cannot be read: ${error instanceof Error ? error.message : error}`);
      }
    } catch (error) {
      reason = error instanceof AttemptError ? error.message : describe(error, remaining);
    }
    const backoff = Math.min(2 * 2 ** Math.min(attempts, 20), deadline - now());
    if (backoff < 1) break;
    await new Promise((resolve) => setTimeout(resolve, backoff));
  }
  throw new RemoteCallError(url, attempts, reason);
}

async function attempt(url: string, body: Uint8Array, timeoutMs: number, options: CallOptions): Promise<Uint8Array> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": CONTENT_TYPE, accept: CONTENT_TYPE, "user-agent": "statefun" },
    body: body as BodyInit,
    signal: AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs))),
    ...(options.client === undefined ? {} : { client: options.client }),
  });
  const bytes = await readBody(response, options.maxResponseBytes);
  if (response.status < 200 || response.status > 299) {
    throw new AttemptError(`HTTP ${response.status}${preview(bytes)}`);
  }
  const type = response.headers.get("content-type");
  if (type === null || type.split(";")[0].trim().toLowerCase() !== CONTENT_TYPE) {
    throw new AttemptError(
      `the response's Content-Type is ${type === null ? "missing" : JSON.stringify(type)}, not ${CONTENT_TYPE}`,
    );
  }
  return bytes;
}

async function readBody(response: Response, max: number): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
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
