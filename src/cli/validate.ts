/**
 * `eddy validate <file>...`: loads module specs and prints a summary, or every
 * problem found.
 *
 * @module
 */

import { parseFlags } from "./args.ts";
import { type CliOutput, EXIT, UsageError } from "./output.ts";
import { formatIssue, SpecError } from "../spec/issues.ts";
import { loadModuleSpec, ModuleReadError } from "../spec/load.ts";
import type {
  HttpEndpointSpec,
  KafkaEgressSpec,
  KafkaIngressSpec,
  ModuleSpec,
  StartupPosition,
} from "../spec/model.ts";

/** Usage of `eddy validate`. */
export const VALIDATE_USAGE = `Usage: eddy validate [--json] [--strict] <module.yaml>...

Checks StateFun module specs (the version "3.0" format or kind/spec documents)
and prints what each defines, or every problem with file:line:column.

Options:
  --json     print the normalized model as JSON (an array of the valid ones for several files)
  --strict   treat warnings (such as unknown fields) as errors
  -h, --help show this help

Exit codes: 0 valid, 1 invalid or unreadable, 2 wrong command line.`;

/** Runs `eddy validate`. */
export async function validateCommand(args: string[], output: CliOutput): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    json: { type: "boolean" },
    strict: { type: "boolean" },
  }, VALIDATE_USAGE);
  if (values.help) {
    output.out(VALIDATE_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError("no module spec file given", VALIDATE_USAGE);
  const modules: ModuleSpec[] = [];
  let failed = false;
  for (const file of positionals) {
    try {
      const module = await loadModuleSpec(file, { strict: values.strict === true });
      module.warnings.forEach((warning) => output.err(formatIssue(warning)));
      modules.push(module);
      if (!values.json) output.out(summarize(module));
    } catch (error) {
      if (error instanceof SpecError) error.issues.forEach((issue) => output.err(formatIssue(issue)));
      else if (error instanceof ModuleReadError) output.err(error.message);
      else throw error;
      const errors = error instanceof SpecError ? error.issues.length : 1;
      output.err(`${file}: invalid (${errors} problem${errors === 1 ? "" : "s"})`);
      failed = true;
    }
  }
  // The valid ones, also when another file is not: one module, or an array for several files.
  if (values.json && modules.length > 0) {
    output.out(JSON.stringify(positionals.length === 1 ? modules[0] : modules, null, 2));
  }
  return failed ? EXIT.failed : EXIT.ok;
}

/** A short, human summary of a module: what it defines. */
export function summarize(module: ModuleSpec): string {
  const lines = [`${module.file}: valid (${module.format === "legacy-3.0" ? 'version "3.0"' : "kind/spec"} format)`];
  const section = (title: string, items: string[]) => {
    lines.push(`  ${title}:${items.length === 0 ? " none" : ""}`);
    // One push per line: spreading a huge list into push() overflows the stack (an ingress with 130k topics).
    for (const item of items) for (const line of item.split("\n")) lines.push(`    ${line}`);
  };
  section("endpoints", module.endpoints.map(describeEndpoint));
  section("ingresses", module.ingresses.map(describeIngress));
  section("egresses", module.egresses.map(describeEgress));
  return lines.join("\n");
}

function describeEndpoint(endpoint: HttpEndpointSpec): string {
  const { functions, transport } = endpoint;
  const version = endpoint.kind.includes(".v1/") ? "v1" : "v2";
  const type = transport.type.endsWith("/okhttp") ? "okhttp" : "async";
  return `${functions.namespace}/${functions.name} → ${endpoint.urlPathTemplate} ` +
    `(${version}, ${type}, call timeout ${formatMillis(transport.timeouts.callMs)})`;
}

function describeIngress(ingress: KafkaIngressSpec): string {
  const topics = ingress.topics.map(({ topic, valueType, targets }) =>
    `  ${topic} → ${targets.join(", ")} (as ${valueType})`
  );
  return [
    `${ingress.id}: ${ingress.address}, group ${ingress.consumerGroupId}, ` +
    `start ${describeStart(ingress.startupPosition)}, reset ${ingress.autoOffsetResetPosition}`,
    ...topics,
  ].join("\n");
}

function describeStart(position: StartupPosition): string {
  switch (position.type) {
    case "date":
      return `date ${position.date}`;
    case "specific-offsets":
      return `offsets ${position.offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).join(", ")}`;
    default:
      return position.type;
  }
}

function describeEgress(egress: KafkaEgressSpec): string {
  const semantic = egress.deliverySemantic;
  const timeout = semantic.type === "exactly-once"
    ? ` (transaction timeout ${formatMillis(semantic.transactionTimeoutMs)})`
    : "";
  return `${egress.id}: ${egress.address}, delivery ${semantic.type}${timeout}`;
}

/** Formats milliseconds in the largest whole unit: `2min`, `30s`, `1500ms`. */
export function formatMillis(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["min", 60_000], ["s", 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
