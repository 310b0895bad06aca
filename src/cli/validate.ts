/**
 * `eddy validate <file>...`: loads module specs and prints a summary, or every
 * problem found; with `--against <running module.yaml>`, what each difference
 * from the running version needs (runtime/module_version.ts).
 *
 * @module
 */

import { parseFlags } from "./args.ts";
import { type CliOutput, EXIT, UsageError } from "./output.ts";
import { AppPlanError, planApp } from "../runtime/app_plan.ts";
import { appFingerprint, blocking, classifyChanges, type ModuleChange } from "../runtime/module_version.ts";
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
       eddy validate --against <running module.yaml> [--app-id <id>] [--json] <new module.yaml>

Checks StateFun module specs (the version "3.0" format or kind/spec documents)
and prints what each defines, or every problem with file:line:column.
With --against, prints each difference from the running version and whether it
rolls (instance by instance), needs a full stop or a reset (docs/rolling-upgrades.md).

Options:
  --json            print the normalized model as JSON (an array of the valid ones for several files);
                    with --against, the differences
  --strict          treat warnings (such as unknown fields) as errors
  --against <file>  the module.yaml the app runs now
  --app-id <id>     the app id, when the ingresses' consumerGroupIds differ (with --against)
  -h, --help        show this help

Exit codes: 0 valid (with --against: every difference rolls), 1 invalid or unreadable (with --against: a
difference needs a full stop or a reset), 2 wrong command line.`;

/** Runs `eddy validate`. */
export async function validateCommand(args: string[], output: CliOutput): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    json: { type: "boolean" },
    strict: { type: "boolean" },
    against: { type: "string" },
    "app-id": { type: "string" },
  }, VALIDATE_USAGE);
  if (values.help) {
    output.out(VALIDATE_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError("no module spec file given", VALIDATE_USAGE);
  if (typeof values.against === "string") {
    if (positionals.length !== 1) throw new UsageError("--against compares one new module.yaml", VALIDATE_USAGE);
    return await compareCommand(values.against, positionals[0], {
      appId: values["app-id"] as string | undefined,
      json: values.json === true,
      strict: values.strict === true,
    }, output);
  }
  if (values["app-id"] !== undefined) throw new UsageError("--app-id goes with --against", VALIDATE_USAGE);
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

/**
 * `--against`: each difference from the running module to the new one, with its class and reason. The files hold
 * neither the task count (the cluster does) nor in-process functions (the start compares those).
 */
async function compareCommand(
  running: string,
  next: string,
  options: { appId?: string; json: boolean; strict: boolean },
  output: CliOutput,
): Promise<number> {
  const versions = [];
  for (const file of [running, next]) {
    try {
      const module = await loadModuleSpec(file, { strict: options.strict });
      module.warnings.forEach((warning) => output.err(formatIssue(warning)));
      versions.push(appFingerprint(planApp(module, options.appId), module, 0));
    } catch (error) {
      if (error instanceof SpecError) error.issues.forEach((issue) => output.err(formatIssue(issue)));
      else if (error instanceof ModuleReadError || error instanceof AppPlanError) output.err(error.message);
      else throw error;
      output.err(`${file}: invalid`);
      return EXIT.failed;
    }
  }
  const changes: ModuleChange[] = classifyChanges(versions[0], versions[1]);
  const stops = blocking(changes);
  if (options.json) output.out(JSON.stringify(changes, null, 2));
  else {
    output.out(`${running} (${versions[0].hash}) → ${next} (${versions[1].hash}):`);
    if (changes.length === 0) output.out("  no difference Eddy acts on: the new version rolls");
    for (const change of changes) output.out(`  ${change.class.padEnd(9)}  ${change.change}: ${change.reason}`);
    const worst = stops.some((change) => change.class === "reset") ? "a reset (or a new app id)" : "a full stop";
    output.out(
      stops.length === 0
        ? "every difference rolls: restart the instances one at a time with the new version"
        : `${stops.length} of ${changes.length} difference(s) need ${worst}: the new version cannot roll`,
    );
  }
  return stops.length === 0 ? EXIT.ok : EXIT.failed;
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
