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
 * As a library it loads StateFun module specs into Eddy's normalized model:
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

export { runCli } from "./src/cli/main.ts";
export { DurationError, parseDuration } from "./src/spec/duration.ts";
export { formatIssue, type SourceLocation, SpecError, type SpecIssue } from "./src/spec/issues.ts";
export { moduleJsonSchema } from "./src/spec/json_schema.ts";
export { loadModuleSpec, type LoadOptions, ModuleReadError, parseModuleSpec } from "./src/spec/load.ts";
export * from "./src/spec/model.ts";
export { formatTypeName, parseTypeName, type TypeName } from "./src/spec/typename.ts";
export { STATEFUN_VERSION, VERSION } from "./src/version.ts";

if (import.meta.main) {
  const { runCli } = await import("./src/cli/main.ts");
  Deno.exit(await runCli(Deno.args));
}
