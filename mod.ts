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
 * ```ts ignore
 * import { loadModuleSpec } from "./mod.ts";
 *
 * const module = await loadModuleSpec("examples/greeter/module.yaml");
 * for (const ingress of module.ingresses) {
 *   console.log(ingress.id, ingress.topics.map((t) => t.topic));
 * }
 * ```
 *
 * @module
 */

import { runCli } from "./src/cli/main.ts";

export { runCli };
export { Address } from "./src/sdk/address.ts";
export { Context, type DelayedEffect, type InvocationEffects } from "./src/sdk/context.ts";
export {
  decodeKafkaProducerRecord,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  kafkaEgressMessage,
  type KafkaEgressOpts,
  kinesisEgressMessage,
  type KinesisEgressOpts,
} from "./src/sdk/egress.ts";
export {
  type FunctionOpts,
  FunctionSpec,
  type JsStatefulFunction,
  ValueSpec,
  type ValueSpecOpts,
} from "./src/sdk/function_spec.ts";
export {
  EgressMessage,
  egressMessageBuilder,
  type EgressOpts,
  Message,
  messageBuilder,
  type MessageOpts,
} from "./src/sdk/message.ts";
export { StateFun } from "./src/sdk/statefun.ts";
export { type TypedValue } from "./src/sdk/typed_value.ts";
export {
  BOOL_TYPE,
  CustomType,
  DOUBLE_TYPE,
  FLOAT_TYPE,
  INT_TYPE,
  JsonType,
  LONG_TYPE,
  ProtobufType,
  STRING_TYPE,
  Type,
} from "./src/sdk/types.ts";
export { DurationError, parseDuration } from "./src/spec/duration.ts";
export { formatIssue, type SourceLocation, SpecError, type SpecIssue } from "./src/spec/issues.ts";
export { moduleJsonSchema } from "./src/spec/json_schema.ts";
export { loadModuleSpec, type LoadOptions, ModuleReadError, parseModuleSpec } from "./src/spec/load.ts";
export * from "./src/spec/model.ts";
export { formatTypeName, parseTypeName, type TypeName } from "./src/spec/typename.ts";
export { STATEFUN_VERSION, VERSION } from "./src/version.ts";

if (import.meta.main) {
  // No top-level await: `eddy run --functions` imports a module that imports this one, which must finish evaluating.
  runCli(Deno.args).then((code) => Deno.exit(code));
}
