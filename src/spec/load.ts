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
  let bytes: Uint8Array;
  try {
    // Checked before reading: a device (/dev/zero) would be read forever, a FIFO without a writer waits forever.
    const info = await Deno.stat(file);
    if (!info.isFile) throw new Error("not a regular file");
    if (info.size > MAX_MODULE_BYTES) {
      throw new Error(`${info.size} bytes is more than a module spec may have (${MAX_MODULE_BYTES / 1024 / 1024} MiB)`);
    }
    bytes = await Deno.readFile(file);
  } catch (error) {
    throw new ModuleReadError(file, error);
  }
  const invalid = firstInvalidUtf8(bytes);
  if (invalid !== undefined) {
    const before = new TextDecoder().decode(bytes.subarray(0, invalid));
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    throw new SpecError([{
      severity: "error",
      at: { file, line, column },
      path: "",
      message: `not UTF-8 text (byte 0x${bytes[invalid].toString(16).padStart(2, "0")} at offset ${invalid}): ` +
        `module specs are UTF-8`,
    }]);
  }
  return parseModuleSpec(new TextDecoder().decode(bytes), file, options);
}

/**
 * The largest module spec file Eddy reads. StateFun's specs are a few KiB; reading YAML takes about 40 bytes of memory
 * per byte of text, so this keeps a validation under 512 MiB (bench/spec_limits.ts: a 4 MiB value, 350 MiB); the
 * count of lines and list items (`MAX_SPEC_ITEMS`) bounds the rest.
 */
export const MAX_MODULE_BYTES = 4 * 1024 * 1024;

/** The offset of the first byte that is not part of a well-formed UTF-8 sequence, or undefined. */
function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  for (let i = 0; i < bytes.length;) {
    const byte = bytes[i];
    const length = byte < 0x80
      ? 1
      : byte >= 0xc2 && byte <= 0xdf
      ? 2
      : byte >= 0xe0 && byte <= 0xef
      ? 3
      : byte >= 0xf0 && byte <= 0xf4
      ? 4
      : 0;
    if (length === 0 || i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    // Overlong three- and four-byte forms, UTF-16 surrogates and code points above U+10FFFF.
    if (byte === 0xe0 && bytes[i + 1] < 0xa0) return i;
    if (byte === 0xed && bytes[i + 1] > 0x9f) return i;
    if (byte === 0xf0 && bytes[i + 1] < 0x90) return i;
    if (byte === 0xf4 && bytes[i + 1] > 0x8f) return i;
    i += length;
  }
  return undefined;
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
