/**
 * Loads a StateFun module spec (module.yaml) into Eddy's normalized model,
 * reporting every problem of the file at its file:line:column.
 *
 * @module
 */

import { ComponentScope } from "./component.ts";
import { findComponents } from "./documents.ts";
import { parseHttpEndpoint } from "./http_endpoint.ts";
import { compareIssues, type SourceLocation, SpecError, type SpecIssue } from "./issues.ts";
import { parseKafkaEgress } from "./kafka_egress.ts";
import { parseKafkaIngress } from "./kafka_ingress.ts";
import { type HttpEndpointSpec, type ModuleSpec, SUPPORTED_KINDS } from "./model.ts";
import { readYaml } from "./yaml_source.ts";

/** Options for loading a module spec. */
export interface LoadOptions {
  /** Treat warnings (unknown fields …) as errors. */
  strict?: boolean;
}

/** The module file could not be read at all (missing, unreadable, not UTF-8). */
export class ModuleReadError extends Error {
  /**
   * Creates it.
   *
   * @param file The file as the user named it.
   * @param cause The underlying error.
   */
  constructor(readonly file: string, cause: unknown) {
    super(
      `cannot read module spec ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = "ModuleReadError";
  }
}

/**
 * Reads and loads a module spec file.
 *
 * @example
 * ```ts
 * import { loadModuleSpec } from "./load.ts";
 *
 * const module = await loadModuleSpec(new URL("../../examples/greeter/module.yaml", import.meta.url).pathname);
 * console.log(module.ingresses.map((ingress) => ingress.id));
 * ```
 * @throws {ModuleReadError} when the file cannot be read.
 * @throws {SpecError} with every problem found when the spec is invalid.
 */
export async function loadModuleSpec(
  file: string,
  options: LoadOptions = {},
): Promise<ModuleSpec> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      await Deno.readFile(file),
    );
  } catch (error) {
    throw new ModuleReadError(file, error);
  }
  return parseModuleSpec(text, file, options);
}

/**
 * Loads a module spec from its text.
 *
 * @example
 * ```ts
 * const module = parseModuleSpec(
 *   [
 *     "kind: io.statefun.endpoints.v2/http",
 *     "spec:",
 *     "  functions: com.example/*",
 *     "  urlPathTemplate: http://localhost:8000/{function.name}",
 *   ].join("\n"),
 *   "module.yaml",
 * );
 * module.endpoints[0].transport.type; // "io.statefun.transports.v1/async"
 * ```
 * @param text The YAML text.
 * @param file The file name used in locations.
 * @throws {SpecError} with every problem found when the spec is invalid.
 */
export function parseModuleSpec(
  text: string,
  file: string,
  options: LoadOptions = {},
): ModuleSpec {
  const { documents, issues } = readYaml(text, file);
  const { format, components } = findComponents(documents, issues);
  const module: ModuleSpec = {
    file,
    format,
    endpoints: [],
    ingresses: [],
    egresses: [],
    warnings: [],
  };
  for (const component of components) {
    bind(module, new ComponentScope(component, issues));
  }
  if (issues.length === 0 && components.length === 0) {
    issues.push({
      severity: "error",
      at: { file, line: 1, column: 1 },
      path: "",
      message: 'the file defines no components (expected kind/spec documents or a version: "3.0" module)',
    });
  }
  checkDuplicates(module, issues);
  issues.sort(compareIssues);
  if (issues.some((issue) => issue.severity === "error" || options.strict)) {
    throw new SpecError(issues);
  }
  module.warnings = issues;
  return module;
}

function bind(module: ModuleSpec, scope: ComponentScope): void {
  const { kind } = scope.component;
  switch (kind) {
    case "io.statefun.endpoints.v1/http":
    case "io.statefun.endpoints.v2/http": {
      const endpoint = parseHttpEndpoint(scope, kind);
      if (endpoint) module.endpoints.push(endpoint);
      return;
    }
    case "io.statefun.kafka.v1/ingress": {
      const ingress = parseKafkaIngress(scope);
      if (ingress) module.ingresses.push(ingress);
      return;
    }
    case "io.statefun.kafka.v1/egress": {
      const egress = parseKafkaEgress(scope);
      if (egress) module.egresses.push(egress);
      return;
    }
    default:
      scope.errorInDocument(scope.component.kindPath, unsupportedKind(kind));
  }
}

function unsupportedKind(kind: string): string {
  const supported = `Eddy supports ${SUPPORTED_KINDS.join(", ")}`;
  if (kind.startsWith("io.statefun.kinesis")) {
    return `Eddy does not support Kinesis (kind ${kind}); ${supported}`;
  }
  if (kind.startsWith("io.statefun.playground")) {
    return `${kind} exists only in the StateFun playground image; use Kafka ingresses and egresses instead (${supported})`;
  }
  return `unsupported kind ${kind}; ${supported}`;
}

function checkDuplicates(module: ModuleSpec, issues: SpecIssue[]): void {
  const seen = new Map<string, SourceLocation>();
  const check = (what: string, at: SourceLocation) => {
    const first = seen.get(what);
    if (first === undefined) seen.set(what, at);
    else {
      issues.push({
        severity: "error",
        at,
        path: "",
        message: `${what} is already defined at ${first.file}:${first.line}:${first.column}`,
      });
    }
  };
  for (const ingress of module.ingresses) check(`ingress ${ingress.id}`, ingress.at);
  for (const egress of module.egresses) check(`egress ${egress.id}`, egress.at);
  for (const endpoint of module.endpoints) check(`a binding for functions ${targetName(endpoint)}`, endpoint.at);
}

function targetName(endpoint: HttpEndpointSpec): string {
  return `${endpoint.functions.namespace}/${endpoint.functions.name}`;
}
