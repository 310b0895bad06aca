/**
 * Serves the control API over `Deno.serve`. A non-loopback address needs a
 * token (then every route requires it); the token never appears in logs.
 *
 * @module
 */

import type { Logger } from "../runtime/logger.ts";
import type { ControlledApp } from "./controlled_app.ts";
import { createControlApp } from "./app.ts";
import { isLoopback } from "./auth.ts";

/** The control API cannot be served as configured. */
export class ControlServerError extends Error {
  /**
   * Creates it.
   *
   * @param message What is wrong.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ControlServerError";
  }
}

/** A running control server. */
export interface ControlServer {
  /** Its base URL, e.g. `http://127.0.0.1:9870`. */
  url: string;
  /** Stops serving. */
  shutdown(): Promise<void>;
}

/**
 * Splits `host:port` (`[::1]:9870` for IPv6; port 0 picks a free port).
 *
 * @throws {ControlServerError} for anything else.
 */
export function parseControlAddr(addr: string): { hostname: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(addr.trim());
  const port = Number(match?.[2]);
  if (match === null || port > 65535) {
    throw new ControlServerError(`invalid control address "${addr}": expected host:port, e.g. 127.0.0.1:9870`);
  }
  return { hostname: match[1].replace(/^\[|\]$/g, ""), port };
}

/** How the control API is to be served. */
export interface ControlServerOptions {
  /** `host:port`. */
  addr: string;
  /** The bearer token (required off loopback). */
  token?: string;
  /** Hostnames accepted in the Host header besides loopback names, IPs and the bind address. */
  allowedHosts?: readonly string[];
}

/**
 * Checks the control API's options without serving anything, so a wrong option stops a start before it connects
 * to Kafka.
 *
 * @throws {ControlServerError} for a malformed address, a non-loopback address without a token, or a bad host name.
 */
export function checkControlOptions(options: ControlServerOptions): { hostname: string; port: number } {
  const { hostname, port } = parseControlAddr(options.addr);
  if (!isLoopback(hostname) && !options.token) {
    throw new ControlServerError(
      `refusing to serve the control API on ${options.addr} without a token: set --control-token (or ` +
        `EDDY_CONTROL_TOKEN), or bind a loopback address`,
    );
  }
  for (const host of options.allowedHosts ?? []) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
      throw new ControlServerError(`invalid host name ${JSON.stringify(host)} in --control-allowed-hosts`);
    }
  }
  return { hostname, port };
}

/**
 * Starts serving the control API of a runtime.
 *
 * @throws {ControlServerError} for options `checkControlOptions` refuses, or an address in use.
 */
export function startControlServer(
  runtime: ControlledApp,
  options: ControlServerOptions & { log: Logger },
): ControlServer {
  const { hostname, port } = checkControlOptions(options);
  const loopback = isLoopback(hostname);
  const app = createControlApp(runtime, {
    token: options.token || undefined,
    protectReads: !loopback,
    bindHostname: hostname,
    allowedHosts: options.allowedHosts,
  });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname, port, onListen: () => {} }, app.fetch);
  } catch (error) {
    throw new ControlServerError(
      `cannot serve the control API on ${options.addr}: ${(error as Error).message} (--control-addr)`,
      { cause: error },
    );
  }
  const host = server.addr.hostname.includes(":") ? `[${server.addr.hostname}]` : server.addr.hostname;
  const url = `http://${host}:${server.addr.port}`;
  options.log.info(`control API at ${url}${options.token ? " (bearer token required)" : ""}`);
  return { url, shutdown: () => server.shutdown() };
}
