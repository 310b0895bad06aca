/**
 * The module's HTTP endpoints as bindings of function types: a type bound exactly (`com.example/greeter`) wins over
 * a namespace binding (`com.example/*`); its URL is the endpoint's `urlPathTemplate` with `{function.name}` replaced
 * by the type's name; its call timeout, response size limit and TLS files come from the transport. Checked when the
 * app starts: an endpoint Eddy cannot call is refused with its file:line.
 *
 * `http+unix` and `https+unix` URLs name a Unix domain socket as StateFun's OkHttp transport reads them: the path up to
 * and including the first segment that ends in `.sock` is the socket file, the rest is the request path
 * (`http+unix:///run/functions.sock/statefun` → POST /statefun on /run/functions.sock).
 *
 * @module
 */

import { DEFAULT_POOL_SIZE, DEFAULT_POOL_TTL_MS } from "../spec/http_endpoint.ts";
import type { HttpEndpointSpec, ModuleSpec } from "../spec/model.ts";
import { type CallOptions, CONTENT_TYPE } from "./http_client.ts";
import { requestHead } from "./http1_connection.ts";
import { Http1Pool } from "./http1_pool.ts";
import { RemoteFunction } from "./remote_function.ts";

/** The module's remote functions by type, and the connections they hold. */
export interface RemoteFunctions {
  /** The remote function of a type, or undefined when no endpoint binds it. */
  (typename: string): RemoteFunction | undefined;
  /** Closes the endpoints' idle connections (those in use close when their call ends). */
  close(): void;
}

/** An endpoint Eddy cannot call as written. */
export class RemoteEndpointError extends Error {
  /**
   * Creates it.
   *
   * @param endpoint The endpoint.
   * @param reason What is wrong.
   */
  constructor(readonly endpoint: HttpEndpointSpec, reason: string) {
    super(`${endpoint.at.file}:${endpoint.at.line}:${endpoint.at.column}: endpoint ${describe(endpoint)}: ${reason}`);
    this.name = "RemoteEndpointError";
  }
}

/** Default response size limit of the OkHttp transport (the async transport has payload_max_bytes). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * The remote functions of a module, by type; one RemoteFunction per type (its registered states are shared). An
 * endpoint for which `handlers` gives a function is called through it instead of HTTP (the test kit).
 *
 * @throws {RemoteEndpointError} for an endpoint that cannot be called (a URL scheme or TLS file Eddy cannot use).
 */
export function remoteFunctions(
  module: ModuleSpec,
  handlers?: (endpoint: HttpEndpointSpec) => ((body: Uint8Array) => Promise<Uint8Array>) | undefined,
): RemoteFunctions {
  const clients = new Map<string, Deno.HttpClient | undefined>();
  const pools = new Map<string, Http1Pool>();
  // Plain HTTP (TCP or a Unix socket) goes over connections of our own; TLS through fetch with the endpoint's files.
  const connectionsFor = (endpoint: HttpEndpointSpec, url: string, socket: string | undefined, requestUrl?: string) => {
    const sent = new URL(requestUrl ?? url);
    if (sent.protocol !== "http:") return undefined;
    const port = Number(sent.port || 80);
    const key = `${module.endpoints.indexOf(endpoint)}\u0000${socket ?? `${sent.hostname}:${port}`}`;
    let pool = pools.get(key);
    if (pool === undefined) {
      const target = socket === undefined
        ? { hostname: sent.hostname.replace(/^\[(.*)\]$/, "$1"), port }
        : { path: socket };
      // The OkHttp transport has no pool settings: it gets the async transport's defaults.
      const { transport } = endpoint;
      const async = transport.type === "io.statefun.transports.v1/async" ? transport : undefined;
      pool = new Http1Pool(target, {
        maxConnections: async?.poolSize ?? DEFAULT_POOL_SIZE,
        idleTtlMs: async?.poolTtlMs ?? DEFAULT_POOL_TTL_MS,
      });
      pools.set(key, pool);
    }
    return { pool, head: requestHead(`${sent.pathname}${sent.search}`, sent.host, CONTENT_TYPE) };
  };
  const clientFor = (endpoint: HttpEndpointSpec, socket: string | undefined) => {
    const key = `${module.endpoints.indexOf(endpoint)}\u0000${socket ?? ""}`;
    if (!clients.has(key)) clients.set(key, httpClient(endpoint, socket));
    return clients.get(key);
  };
  for (const endpoint of module.endpoints) {
    if (handlers?.(endpoint) !== undefined) continue;
    const { socket } = target(endpoint, "probe");
    clientFor(endpoint, socket); // TLS files are read now: a bad one stops the start
  }
  const functions = new Map<string, RemoteFunction | undefined>();
  const lookup = (typename: string) => {
    if (functions.has(typename)) return functions.get(typename);
    const slash = typename.indexOf("/");
    const [namespace, name] = [typename.slice(0, slash), typename.slice(slash + 1)];
    const endpoint = module.endpoints.find((e) => e.functions.namespace === namespace && e.functions.name === name) ??
      module.endpoints.find((e) => e.functions.namespace === namespace && e.functions.name === "*");
    if (endpoint === undefined) {
      functions.set(typename, undefined);
      return undefined;
    }
    const { url, socket, requestUrl } = target(endpoint, name);
    const { transport } = endpoint;
    const handler = handlers?.(endpoint);
    const connections = handler === undefined ? connectionsFor(endpoint, url, socket, requestUrl) : undefined;
    const options: CallOptions = handler !== undefined
      ? { callTimeoutMs: transport.timeouts.callMs, maxResponseBytes: Infinity, transport: handler }
      : {
        ...(requestUrl === undefined ? {} : { requestUrl }),
        callTimeoutMs: transport.timeouts.callMs,
        maxResponseBytes: transport.type === "io.statefun.transports.v1/async"
          ? transport.payloadMaxBytes
          : MAX_RESPONSE_BYTES,
        ...(connections === undefined ? { client: clientFor(endpoint, socket) } : { connections }),
        ...(transport.type === "io.statefun.transports.v1/async" ? {} : {
          socketTimeouts: {
            connectMs: transport.timeouts.connectMs,
            readMs: transport.timeouts.readMs,
            writeMs: transport.timeouts.writeMs,
          },
        }),
      };
    const remote = new RemoteFunction(typename, url, options, Math.max(0, endpoint.maxNumBatchRequests));
    functions.set(typename, remote);
    return remote;
  };
  return Object.assign(lookup, {
    close: () => {
      for (const pool of pools.values()) pool.close();
    },
  });
}

/**
 * Where a function type's requests go: its URL (as written, `{function.name}` replaced: errors and status name it)
 * and, for a `+unix` URL, the socket file and the URL sent on it (host `localhost`).
 */
function target(endpoint: HttpEndpointSpec, name: string): { url: string; socket?: string; requestUrl?: string } {
  const text = endpoint.urlPathTemplate.replaceAll("{function.name}", name);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RemoteEndpointError(endpoint, `${JSON.stringify(text)} is not a URL`);
  }
  if (/^https?:$/.test(url.protocol)) return { url: url.href };
  if (url.protocol !== "http+unix:" && url.protocol !== "https+unix:") {
    throw new RemoteEndpointError(
      endpoint,
      `the URL scheme ${JSON.stringify(url.protocol)} is not http, https, http+unix or https+unix`,
    );
  }
  const segments = url.pathname.split("/");
  const sock = segments.findIndex((segment) => segment.endsWith(".sock"));
  if (sock < 0) {
    throw new RemoteEndpointError(endpoint, `${text}: a Unix domain socket URL needs a path segment ending in .sock`);
  }
  const socket = decodeURIComponent(segments.slice(0, sock + 1).join("/"));
  const path = `/${segments.slice(sock + 1).join("/")}`;
  const scheme = url.protocol === "https+unix:" ? "https" : "http";
  return { url: text, socket, requestUrl: `${scheme}://localhost${path}${url.search}` };
}

/** A Deno HTTP client with the endpoint's TLS files and Unix socket, or undefined for the default one. */
function httpClient(endpoint: HttpEndpointSpec, socket: string | undefined): Deno.HttpClient | undefined {
  const proxy = socket === undefined ? {} : { proxy: { transport: "unix" as const, path: socket } };
  if (endpoint.transport.type !== "io.statefun.transports.v1/async") {
    return socket === undefined ? undefined : Deno.createHttpClient(proxy);
  }
  const { trustCaCerts, clientCert, clientKey, clientKeyPassword } = endpoint.transport.tls;
  if (trustCaCerts === undefined && clientCert === undefined) {
    return socket === undefined ? undefined : Deno.createHttpClient(proxy);
  }
  if (clientKeyPassword !== undefined) {
    throw new RemoteEndpointError(endpoint, "client_key_password is not supported: use an unencrypted PEM key");
  }
  const read = (field: string, path: string) => {
    if (path.startsWith("classpath:")) {
      throw new RemoteEndpointError(endpoint, `${field}: classpath: names only exist in a JVM; give a file path`);
    }
    try {
      return Deno.readTextFileSync(path);
    } catch (error) {
      throw new RemoteEndpointError(endpoint, `${field}: cannot read ${path}: ${(error as Error).message}`);
    }
  };
  return Deno.createHttpClient({
    ...proxy,
    ...(trustCaCerts === undefined ? {} : { caCerts: [read("trust_cacerts", trustCaCerts)] }),
    ...(clientCert === undefined || clientKey === undefined
      ? {}
      : { cert: read("client_cert", clientCert), key: read("client_key", clientKey) }),
  });
}

function describe(endpoint: HttpEndpointSpec): string {
  return `${endpoint.functions.namespace}/${endpoint.functions.name} (${endpoint.urlPathTemplate})`;
}
