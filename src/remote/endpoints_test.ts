/**
 * The module's endpoints as bindings: exact types win over `ns/*`, `{function.name}` is replaced, `+unix` URLs are
 * called on their socket (a real Deno server on a Unix socket, no broker), and what cannot be called is refused with
 * the endpoint's file:line.
 */

import { deepEqual, equal, match, throws } from "node:assert/strict";
import { Address } from "../sdk/address.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { STRING_TYPE } from "../sdk/types.ts";
import { parseModuleSpec } from "../spec/load.ts";
import { RemoteEndpointError, remoteFunctions } from "./endpoints.ts";

function endpoint(functions: string, url: string): string {
  return `kind: io.statefun.endpoints.v2/http
spec:
  functions: ${functions}
  urlPathTemplate: ${url}
  transport:
    timeouts:
      call: 2s
`;
}

const invocation = (typename: string) => {
  const [namespace, name] = typename.split("/");
  return {
    self: Address.fromParts(namespace, name, "id"),
    caller: null,
    argument: toTypedValue("hi", STRING_TYPE),
    state: new Map(),
  };
};

Deno.test("endpoints: an exact binding wins over the namespace's; {function.name} is the type's name", () => {
  const module = parseModuleSpec(
    [
      endpoint("com.example/*", "http://all.example/{function.name}"),
      endpoint("com.example/special", "http://one.example/x"),
    ]
      .join("---\n"),
    "module.yaml",
  );
  const functions = remoteFunctions(module);
  equal(functions("com.example/greeter")?.url, "http://all.example/greeter");
  equal(functions("com.example/special")?.url, "http://one.example/x");
  equal(functions("other.ns/greeter"), undefined);
  equal(functions("com.example/greeter"), functions("com.example/greeter"), "one function per type: shared states");
});

Deno.test("endpoints: http+unix URLs are called on their socket, the path after the .sock segment as the request path", async () => {
  const dir = await Deno.makeTempDir();
  const socket = `${dir}/functions.sock`;
  const paths: string[] = [];
  const server = Deno.serve({ path: socket, onListen: () => {} }, (request) => {
    paths.push(new URL(request.url).pathname);
    return new Response(new Uint8Array(), { headers: { "content-type": "application/octet-stream" } });
  });
  try {
    const module = parseModuleSpec(endpoint("test.uds/*", `http+unix://${socket}/statefun/{function.name}`), "m.yaml");
    const fn = remoteFunctions(module)("test.uds/greeter")!;
    equal(fn.url, `http+unix://${socket}/statefun/greeter`, "status and errors name the URL as written");
    const result = await fn.call(invocation("test.uds/greeter"));
    deepEqual(result.sent, []);
    deepEqual(paths, ["/statefun/greeter"]);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("endpoints: a +unix URL without a .sock segment, and a socket nobody serves, are errors naming the URL", async () => {
  throws(
    () => remoteFunctions(parseModuleSpec(endpoint("test.uds/*", "http+unix:///run/functions/x"), "m.yaml")),
    (error: Error) => {
      equal(error instanceof RemoteEndpointError, true);
      match(error.message, /^m\.yaml:1:\d+: endpoint test\.uds\/\* .*a path segment ending in \.sock/);
      return true;
    },
  );
  const module = parseModuleSpec(
    endpoint("test.uds/*", "http+unix:///nonexistent/eddy.sock/{function.name}").replace("2s", "50ms"),
    "m.yaml",
  );
  const fn = remoteFunctions(module)("test.uds/fn")!;
  try {
    await fn.call(invocation("test.uds/fn"));
    throw new Error("not refused");
  } catch (error) {
    match(
      (error as Error).message,
      /^calling http\+unix:\/\/\/nonexistent\/eddy\.sock\/fn failed after \d+ attempts?: /,
    );
  }
});
