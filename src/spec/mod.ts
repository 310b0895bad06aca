/**
 * StateFun module specs: loads `module.yaml` in both formats (the old `version: "3.0"` one and the multi-document
 * `kind:` one) into Eddy's normalized model, with errors and warnings that name file:line:column, durations and
 * typenames as StateFun parses them, and a JSON schema of the format.
 *
 * @example Load a module spec
 * ```ts
 * import { loadModuleSpec } from "./mod.ts";
 *
 * const module = await loadModuleSpec(new URL("../../examples/greeter/module.yaml", import.meta.url).pathname);
 * for (const ingress of module.ingresses) {
 *   console.log(ingress.id, ingress.topics.map((t) => t.topic));
 * }
 * ```
 *
 * @module
 */

export { DurationError, parseDuration } from "./duration.ts";
export { formatIssue, type SourceLocation, SpecError, type SpecIssue } from "./issues.ts";
export { moduleJsonSchema } from "./json_schema.ts";
export { loadModuleSpec, type LoadOptions, ModuleReadError, parseModuleSpec } from "./load.ts";
export * from "./model.ts";
export { formatTypeName, parseTypeName, type TypeName } from "./typename.ts";
