/**
 * Remote endpoints over TLS (`trust_cacerts`): an HTTPS endpoint with the local broker's test certificate (a CA made
 * at its first start, scripts/kafka/broker.sh) is called when the endpoint trusts that CA, and refused — retried until
 * the call timeout, then an error naming the URL and the TLS failure — when it does not. The test starts the broker
 * if needed, so the certificate exists.
 */

import { equal, match, rejects } from "node:assert/strict";
import { RemoteEndpointError, remoteFunctions } from "../../src/remote/endpoints.ts";
import { FinalFailure } from "../../src/runtime/task/callable.ts";
import { Address } from "../../src/sdk/address.ts";
import { toTypedValue } from "../../src/sdk/typed_value.ts";
import { STRING_TYPE } from "../../src/sdk/types.ts";
import { parseModuleSpec } from "../../src/spec/load.ts";
import { kafkaHome, kafkaTest } from "../kafka/helpers.ts";

const tls = `${kafkaHome}/tls/`;

function endpointModule(port: number, transport: string): string {
  return `kind: io.statefun.endpoints.v2/http
spec:
  functions: test.tls/*
  urlPathTemplate: https://127.0.0.1:${port}/{function.name}
  transport:
    type: io.statefun.transports.v1/async
    timeouts:
      call: 300ms
${transport}`;
}

const invocation = {
  self: Address.fromParts("test.tls", "fn", "id"),
  caller: null,
  argument: toTypedValue("hi", STRING_TYPE),
  state: new Map(),
};

kafkaTest(
  "remote endpoints over TLS: trusted with trust_cacerts, refused naming the TLS error without it",
  async () => {
    // kafkaTest: the broker (started by the test task) made the CA and the 127.0.0.1 certificate.
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: await Deno.readTextFile(`${tls}server.crt`),
      key: await Deno.readTextFile(`${tls}server.key`),
      onListen: () => {},
    }, () => new Response(new Uint8Array(), { headers: { "content-type": "application/octet-stream" } }));
    const port = server.addr.port;
    try {
      const trusted = remoteFunctions(
        parseModuleSpec(endpointModule(port, `    trust_cacerts: ${tls}ca.pem\n`), "m.yaml"),
      )(
        "test.tls/fn",
      )!;
      const result = await trusted.call(invocation);
      equal(result.sent.length, 0, "an empty FromFunction: no effects");
      equal(trusted.remote.stats.calls, 1);

      const untrusted = remoteFunctions(parseModuleSpec(endpointModule(port, ""), "m.yaml"))("test.tls/fn")!;
      await rejects(() => untrusted.call(invocation), (error: Error) => {
        equal(error instanceof FinalFailure, true);
        match(error.message, new RegExp(`^calling https://127\\.0\\.0\\.1:${port}/fn failed after \\d+ attempts?: `));
        match(error.message, /certificate|UnknownIssuer|tls|TLS/);
        return true;
      });
    } finally {
      await server.shutdown();
    }
  },
);

Deno.test("remote endpoints: a CA file that cannot be read is refused at start with the endpoint's file:line", () => {
  const module = parseModuleSpec(endpointModule(1, "    trust_cacerts: /nonexistent/ca.pem\n"), "m.yaml");
  try {
    remoteFunctions(module);
    throw new Error("not refused");
  } catch (error) {
    equal(error instanceof RemoteEndpointError, true, String(error));
    match(
      (error as Error).message,
      /^m\.yaml:1:\d+: endpoint test\.tls\/\* .*trust_cacerts: cannot read \/nonexistent\/ca\.pem/,
    );
  }
});
