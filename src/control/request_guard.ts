/**
 * Keeps browsers from being used against the control API (issue #15): a web page the operator opens can send
 * "simple" cross-site requests to a loopback API without a token (CSRF), and through DNS rebinding read it under its
 * own name. So: a request whose `Host` is a name other than a loopback name, the bind address or an allowed host is
 * refused (IP literals cannot be rebound); a mutation must not come from another origin (`Origin`,
 * `Sec-Fetch-Site`) and its body, if any, must be `application/json` — which a cross-site page can only send after
 * a CORS preflight that this API never grants.
 *
 * @module
 */

import type { HonoContext, MiddlewareHandler } from "../deps.ts";

/** Options of the request guard. */
export interface RequestGuardOptions {
  /** The hostname the API is bound to (accepted as a Host). */
  bindHostname: string;
  /** More hostnames accepted as a Host (`--control-allowed-hosts`). */
  allowedHosts?: readonly string[];
}

/** Why a request was refused: an HTTP status and a message. */
export interface GuardRefusal {
  /** 403 or 415. */
  status: 403 | 415;
  /** What is wrong, for the error body. */
  message: string;
}

/** The hostname of a `Host` header value (`name:port`, `[v6]:port`), lowercased, or undefined when unreadable. */
export function hostnameOf(host: string): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(host.trim());
  return match?.[1].replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
}

function isIpLiteral(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.includes(":");
}

function isLoopbackName(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost");
}

/**
 * Checks one request; returns why it is refused, or undefined when it may go on.
 *
 * @example
 * ```ts
 * const headers = new Headers({ host: "evil.example:9870" });
 * checkRequest("GET", headers, { bindHostname: "127.0.0.1" })?.status; // 403
 * ```
 */
export function checkRequest(
  method: string,
  headers: Headers,
  options: RequestGuardOptions,
): GuardRefusal | undefined {
  const host = headers.get("host");
  if (host !== null) {
    const hostname = hostnameOf(host);
    const allowed = new Set([options.bindHostname, ...(options.allowedHosts ?? [])].map((h) => h.toLowerCase()));
    if (hostname === undefined || !(isIpLiteral(hostname) || isLoopbackName(hostname) || allowed.has(hostname))) {
      return {
        status: 403,
        message: `Host ${JSON.stringify(host)} is not this API's address: use an IP address or a loopback name, ` +
          `or allow the name with --control-allowed-hosts`,
      };
    }
  }
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return undefined;
  const site = headers.get("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") {
    return { status: 403, message: `cross-origin requests cannot change anything (Sec-Fetch-Site: ${site})` };
  }
  const origin = headers.get("origin");
  if (origin !== null && (host === null || !sameOrigin(origin, host))) {
    return { status: 403, message: `cross-origin requests cannot change anything (Origin ${JSON.stringify(origin)})` };
  }
  const type = headers.get("content-type");
  const length = headers.get("content-length");
  const hasBody = type !== null || (length !== null && length !== "0") || headers.has("transfer-encoding");
  if (hasBody && !/^application\/json\s*(;|$)/i.test(type ?? "")) {
    return {
      status: 415,
      message: `a request body must be application/json (got ${
        type === null ? "no Content-Type" : JSON.stringify(type)
      })`,
    };
  }
  return undefined;
}

/** `Origin: http://host:port` of the same host (the dashboard's own page). */
function sameOrigin(origin: string, host: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** The guard as Hono middleware; `refuse` writes the API's error body. */
export function requestGuard(
  options: RequestGuardOptions,
  refuse: (c: HonoContext, refusal: GuardRefusal) => Response,
): MiddlewareHandler {
  return async (c, next) => {
    const refusal = checkRequest(c.req.method, c.req.raw.headers, options);
    if (refusal !== undefined) return refuse(c, refusal);
    await next();
  };
}
