/**
 * The Kafka side of an app, built without connecting: what it reports up to the runtime from the module's
 * `properties` (the runtime resolves its effective settings from it).
 */

import { ingressModule } from "../spec/testdata/test_modules.ts";
import { equal } from "node:assert/strict";
import { planApp } from "../runtime/app_plan.ts";
import { Logger } from "../runtime/logger.ts";
import { parseModuleSpec } from "../spec/load.ts";
import { createAppKafka } from "./app_kafka.ts";

function moduleWith(properties: string) {
  return parseModuleSpec(
    ingressModule(properties),
    "module.yaml",
  );
}

Deno.test("createAppKafka: reports the ingresses' session.timeout.ms, and none when they do not set it", () => {
  const log = new Logger({ level: "error", write: () => {} });
  const set = moduleWith("  properties:\n    - session.timeout.ms: 30000\n");
  equal(createAppKafka(set, planApp(set), log).sessionTimeoutMs, 30_000);
  const unset = moduleWith("");
  equal(createAppKafka(unset, planApp(unset), log).sessionTimeoutMs, undefined);
});
