/**
 * A test kit for a module's functions: `createTestApp` runs them on the runtime's own task code (routing, epochs,
 * the commit cycle, timers, expiry, failure policies) over an in-memory Kafka with transactions and a virtual clock —
 * no broker, milliseconds per test. Remote functions take a handler per endpoint instead of a URL.
 *
 * @example Test the greeter
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { createTestApp } from "./mod.ts";
 * import functions from "../../examples/greeter/functions.ts";
 *
 * const app = await createTestApp({ module: "examples/greeter/module.yaml", functions });
 * app.send("com.example.greeter/names", { key: "Ada", value: '{"name":"Ada"}' });
 * app.send("com.example.greeter/names", { key: "Ada", value: '{"name":"Ada"}' });
 * await app.run();
 * const greetings = app.egress("com.example.greeter/greetings").map((record) => record.value);
 * deepEqual(greetings, ["Hello Ada #1", "Hello Ada #2"]);
 * deepEqual(app.state("com.example.greeter/greeter", "Ada").seen, { typename: "io.statefun.types/int", value: 2 });
 *
 * await app.crash(); // every task restarts from its last commit: each output stays once
 * deepEqual(app.egress("com.example.greeter/greetings").length, 2);
 * await app.close();
 * ```
 *
 * @module
 */

export {
  type CommitView,
  createTestApp,
  type RemoteHandler,
  type SendRecord,
  TestApp,
  TestAppError,
  type TestAppOptions,
  type TestRecord,
} from "./test_app.ts";
export { fromNodeHandler } from "./node_handler.ts";
export type { DescribedValue } from "../sdk/describe_state.ts";
