import { equal, throws } from "node:assert/strict";
import { bearerMatches, isLoopback } from "./auth.ts";
import { ControlServerError, parseControlAddr, startControlServer } from "./server.ts";
import { Logger } from "../runtime/logger.ts";
import type { ControlledApp } from "./controlled_app.ts";

Deno.test("bearer tokens match exactly", () => {
  equal(bearerMatches("Bearer s3cret", "s3cret"), true);
  for (const header of [undefined, "", "Bearer", "Bearer s3cre", "Bearer s3cret!", "bearer s3cret", "s3cret"]) {
    equal(bearerMatches(header, "s3cret"), false, String(header));
  }
});

Deno.test("control addresses: host:port, IPv6 in brackets, loopback detection", () => {
  equal(JSON.stringify(parseControlAddr("127.0.0.1:9870")), JSON.stringify({ hostname: "127.0.0.1", port: 9870 }));
  equal(parseControlAddr("[::1]:0").hostname, "::1");
  throws(() => parseControlAddr("9870"), /expected host:port/);
  throws(() => parseControlAddr("host:99999"), /expected host:port/);
  equal(isLoopback("127.0.0.1"), true);
  equal(isLoopback("::1"), true);
  equal(isLoopback("0.0.0.0"), false);
  equal(isLoopback("10.1.2.3"), false);
});

Deno.test("a non-loopback control address without a token is refused", () => {
  const log = new Logger({ write: () => {} });
  throws(
    () => startControlServer({} as ControlledApp, { addr: "0.0.0.0:0", log }),
    (error: Error) => error instanceof ControlServerError && /without a token/.test(error.message),
  );
});
