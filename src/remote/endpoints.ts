/**
 * The module's HTTP endpoints as bindings of function types: a type bound exactly (`com.example/greeter`) wins over
 * a namespace binding (`com.example/*`); its URL is the endpoint's `urlPathTemplate` with `{function.name}` replaced
 * by the type's name; its call timeout, response size limit and TLS files come from the transport. Checked when the
 * app starts: an endpoint Eddy cannot call is refused with its file:line.
 *
 * @module
 */

import type { HttpEndpointSpec, ModuleSpec } from "../spec/model.ts";
import { RemoteFunction } from "./remote_function.ts";

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
 * The remote functions of a module, by type; one RemoteFunction per type (its registered states are shared).
 *
 * @throws {RemoteEndpointError} for an endpoint that cannot be called (a URL scheme or TLS file Eddy cannot use).
 */
export function remoteFunctions(module: ModuleSpec): (typename: string) => RemoteFunction | undefined {
  const clients = new Map<HttpEndpointSpec, Deno.HttpClient | undefined>();
  for (const endpoint of module.endpoints) {
    const url = urlFor(endpoint, "probe");
    if (!/^https?:$/.test(url.protocol)) {
      throw new RemoteEndpointError(
        endpoint,
        url.protocol.endsWith("+unix:")
          ? "http+unix and https+unix URLs are not supported yet: serve the function on a TCP port"
          : `the URL scheme ${JSON.stringify(url.protocol)} is not http or https`,
      );
    }
    clients.set(endpoint, httpClient(endpoint));
  }
  const functions = new Map<string, RemoteFunction | undefined>();
  return (typename) => {
    if (functions.has(typename)) return functions.get(typename);
    const slash = typename.indexOf("/");
    const [namespace, name] = [typename.slice(0, slash), typename.slice(slash + 1)];
    const endpoint = module.endpoints.find((e) => e.functions.namespace === namespace && e.functions.name === name) ??
      module.endpoints.find((e) => e.functions.namespace === namespace && e.functions.name === "*");
    const remote = endpoint === undefined ? undefined : new RemoteFunction(typename, urlFor(endpoint, name).href, {
      callTimeoutMs: endpoint.transport.timeouts.callMs,
      maxResponseBytes: endpoint.transport.type === "io.statefun.transports.v1/async"
        ? endpoint.transport.payloadMaxBytes
        : MAX_RESPONSE_BYTES,
      client: clients.get(endpoint),
    }, Math.max(0, endpoint.maxNumBatchRequests));
    functions.set(typename, remote);
    return remote;
  };
}

function urlFor(endpoint: HttpEndpointSpec, name: string): URL {
  const text = endpoint.urlPathTemplate.replaceAll("{function.name}", name);
  try {
    return new URL(text);
  } catch {
    throw new RemoteEndpointError(endpoint, `${JSON.stringify(text)} is not a URL`);
  }
}

/** A Deno HTTP client with the endpoint's TLS files, or undefined for the default one. */
function httpClient(endpoint: HttpEndpointSpec): Deno.HttpClient | undefined {
  if (endpoint.transport.type !== "io.statefun.transports.v1/async") return undefined;
  const { trustCaCerts, clientCert, clientKey, clientKeyPassword } = endpoint.transport.tls;
  if (trustCaCerts === undefined && clientCert === undefined) return undefined;
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
    ...(trustCaCerts === undefined ? {} : { caCerts: [read("trust_cacerts", trustCaCerts)] }),
    ...(clientCert === undefined || clientKey === undefined
      ? {}
      : { cert: read("client_cert", clientCert), key: read("client_key", clientKey) }),
  });
}

function describe(endpoint: HttpEndpointSpec): string {
  return `${endpoint.functions.namespace}/${endpoint.functions.name} (${endpoint.urlPathTemplate})`;
}
