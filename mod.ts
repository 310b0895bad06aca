/**
 * Eddy: stateful functions on Kafka, compatible with Apache Flink Stateful
 * Functions 3.x module specs. Kafka itself is the distributed engine.
 *
 * Run as a program, this module is the `eddy` CLI:
 *
 * ```sh
 * deno run --allow-read --allow-net --allow-env mod.ts validate module.yaml
 * ```
 *
 * As a library it offers the in-process function SDK, named as the official
 * StateFun JS SDK (`StateFun`, `messageBuilder`, `kafkaEgressMessage`, …), so a
 * function module written for it runs in Eddy by changing its import:
 *
 * @example Bind a function
 * ```ts
 * import { kafkaEgressMessage, StateFun } from "./mod.ts";
 *
 * const statefun = new StateFun();
 * statefun.bind({
 *   typename: "com.example/greeter",
 *   specs: [{ name: "seen", type: StateFun.intType() }],
 *   fn(context, message) {
 *     const name = message.asString()!;
 *     const seen = (context.storage.seen ?? 0) + 1;
 *     context.storage.seen = seen;
 *     context.send(kafkaEgressMessage({
 *       typename: "com.example/greetings",
 *       topic: "greetings",
 *       key: name,
 *       value: `Hello ${name} #${seen}`,
 *     }));
 *   },
 * });
 * ```
 *
 * It also loads StateFun module specs into Eddy's normalized model:
 *
 * @example Load a module spec
 * ```ts
 * import { loadModuleSpec } from "./mod.ts";
 *
 * const module = await loadModuleSpec(new URL("./examples/greeter/module.yaml", import.meta.url).pathname);
 * for (const ingress of module.ingresses) {
 *   console.log(ingress.id, ingress.topics.map((t) => t.topic));
 * }
 * ```
 *
 * And it runs apps in your own program — which `deno compile` makes one binary with your functions inside:
 *
 * @example Serve an app
 * ```ts ignore
 * // Not run by the doc tests: it serves until SIGINT or SIGTERM, on a broker with the module's topics
 * // (tests/serve/serve_api_test.ts runs the same code and stops it).
 * import { RuntimeError, serve, StateFun } from "./mod.ts";
 *
 * const functions = new StateFun();
 * functions.bind({ typename: "com.example/greeter", fn(context, message) {} });
 * try {
 *   const app = await serve({ module: "module.yaml", functions });
 *   Deno.exit(await app.finished);
 * } catch (error) {
 *   if (error instanceof RuntimeError) console.error(error.message); // e.g. a missing topic, named
 *   Deno.exit(1);
 * }
 * ```
 *
 * @module
 */

import { runCli } from "./src/cli/main.ts";

export { runCli };
export { type CliOutput } from "./src/cli/output.ts";
export * from "./src/sdk/mod.ts";
export * from "./src/spec/mod.ts";
export { type RunningApp, serve, type ServeOptions } from "./src/serve/serve.ts";
export { ControlServerError } from "./src/control/server.ts";
export { RemoteEndpointError } from "./src/remote/endpoints.ts";
export { AppPlanError } from "./src/runtime/app_plan.ts";
export { OperationError, RuntimeError } from "./src/runtime/errors.ts";
export {
  type AppOptions,
  type FunctionSource,
  type IngressPartitionOffsets,
  type OffsetResetTarget,
  type ProcessingGuarantee,
  type RecentHistory,
  type Runtime,
  type RuntimeStatus,
  type StopReport,
  type TaskView,
} from "./src/runtime/runtime.ts";
export { type AppPlan, type IngressRoute } from "./src/runtime/app_plan.ts";
export { type InternalTopicSettings } from "./src/runtime/internal_topics.ts";
export { type RecordOrigin } from "./src/runtime/routing.ts";
export type { AppFingerprint, GroupMember, MemberInfo } from "./src/runtime/group_member.ts";
export {
  type CallableFunction,
  FinalFailure,
  type RemoteCallStats,
  StatesRegistered,
} from "./src/runtime/task/callable.ts";
export type { Invocation, InvocationResult } from "./src/sdk/invoke.ts";
export type { StateMutation } from "./src/sdk/storage.ts";
export {
  type FunctionCounters,
  type RecordPolicy,
  type RestoreProgress,
  type TaskFailure,
  type TaskLimits,
  type TaskReport,
  type TaskStatus,
} from "./src/runtime/task/types.ts";
export { type LogFields, Logger, type LoggerOptions, type LogLevel } from "./src/runtime/logger.ts";
export { STATEFUN_VERSION, VERSION } from "./src/version.ts";

if (import.meta.main) {
  // Deeper traces than V8's ten frames: through kafkajs' retries and requests, ten stop before Eddy's caller.
  Error.stackTraceLimit = 40;
  // No top-level await: `eddy run --functions` imports a module that imports this one, which must finish evaluating.
  runCli(Deno.args).then((code) => Deno.exit(code));
}
