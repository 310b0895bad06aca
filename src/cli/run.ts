/**
 * `eddy run`: runs a module's app with in-process functions until SIGINT or
 * SIGTERM. Flags win over environment variables, which win over defaults; the
 * module's `address` is the only source of brokers.
 *
 * @module
 */

import { ControlServerError } from "../control/server.ts";
import { RemoteEndpointError } from "../remote/endpoints.ts";
import { AppPlanError } from "../runtime/app_plan.ts";
import type { LogLevel } from "../runtime/logger.ts";
import type { FunctionSource, ProcessingGuarantee } from "../runtime/runtime.ts";
import type { RecordPolicy } from "../runtime/task/types.ts";
import { RuntimeError } from "../runtime/errors.ts";
import { serve } from "../serve/serve.ts";
import { DurationError, parseDuration } from "../spec/duration.ts";
import { formatIssue, SpecError } from "../spec/issues.ts";
import { ModuleReadError } from "../spec/load.ts";
import { parseFlags } from "./args.ts";
import { type CliOutput, EXIT, UsageError } from "./output.ts";

/** Usage of `eddy run`. */
export const RUN_USAGE = `Usage: eddy run --module <module.yaml> [--functions <functions.ts>] [options]

Runs the module's app: consumes its ingresses, invokes the functions, keeps
their state in Kafka and writes to its egresses, until SIGINT or SIGTERM.

Options (flag, then environment variable; the flag wins):
  --module <file>                 the module spec                         EDDY_MODULE
  --functions <file>              a module whose default export is a      EDDY_FUNCTIONS
                                  StateFun instance with bound functions
                                  (in-process; the module's HTTP
                                  endpoints serve the others)
  --app-id <id>                   the app id; required when the ingresses EDDY_APP_ID
                                  have different consumerGroupIds
  --processing-guarantee <g>      exactly-once (default) or at-least-once EDDY_PROCESSING_GUARANTEE
  --commit-interval <duration>    how often tasks commit (default 100ms)  EDDY_COMMIT_INTERVAL
  --shutdown-timeout <duration>   longest graceful shutdown (default 30s) EDDY_SHUTDOWN_TIMEOUT
  --state-dir <folder>            keep task state on disk there (SQLite); EDDY_STATE_DIR
                                  a start then reads only the changelog
                                  after each task's checkpoint (default:
                                  state in memory)
  --log-format <text|json>        log lines on stderr (default text)      EDDY_LOG_FORMAT
  --log-level <level>             debug, info (default), warn, error      EDDY_LOG_LEVEL
  --unroutable-records <policy>   stop (default), skip or                 EDDY_UNROUTABLE_RECORDS
                                  dead-letter:<topic>: records with a
                                  null or non-UTF-8 key; per ingress:
                                  skip,com.example/orders=dead-letter:dlq
  --failed-messages <policy>      stop (default) or dead-letter:<topic>:  EDDY_FAILED_MESSAGES
                                  messages whose function failed every
                                  retry
  --internal-replication <n>      replication factor of the internal      EDDY_INTERNAL_REPLICATION
                                  topics at creation (default: broker's)
  --internal-topic-config <k=v,…> configs of the internal topics at       EDDY_INTERNAL_TOPIC_CONFIG
                                  creation, e.g. min.insync.replicas=2
  --control-addr <host:port>      the control API (default                EDDY_CONTROL_ADDR
                                  127.0.0.1:9870; port 0: any; none: off)
  --control-token <token>         bearer token of the control API;        EDDY_CONTROL_TOKEN
                                  required for a non-loopback address
  --control-allowed-hosts <h,…>   host names the control API answers to   EDDY_CONTROL_ALLOWED_HOSTS
                                  (besides loopback names and IPs)
  --control-advertised-url <url>  the control URL other instances use     EDDY_CONTROL_ADVERTISED_URL
                                  (default: the bound address; 0.0.0.0
                                  becomes this host's name)
  -h, --help                      show this help

Brokers come from the module (the ingresses' address). Durations are StateFun
durations: 100ms, 30s, 1min.

Exit codes: 0 stopped cleanly, 1 could not start or stopped with work
abandoned, 2 wrong command line.`;

const FLAGS = {
  module: { type: "string" },
  functions: { type: "string" },
  "app-id": { type: "string" },
  "processing-guarantee": { type: "string" },
  "commit-interval": { type: "string" },
  "shutdown-timeout": { type: "string" },
  "state-dir": { type: "string" },
  "log-format": { type: "string" },
  "log-level": { type: "string" },
  "control-addr": { type: "string" },
  "unroutable-records": { type: "string" },
  "failed-messages": { type: "string" },
  "internal-replication": { type: "string" },
  "internal-topic-config": { type: "string" },
  "control-token": { type: "string" },
  "control-allowed-hosts": { type: "string" },
  "control-advertised-url": { type: "string" },
} as const;

/** Runs `eddy run`. */
export async function runCommand(args: string[], output: CliOutput): Promise<number> {
  const { values, positionals } = parseFlags(args, FLAGS, RUN_USAGE);
  if (values.help) {
    output.out(RUN_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, RUN_USAGE);
  const option = (name: keyof typeof FLAGS) => {
    const value = values[name] ?? Deno.env.get(`EDDY_${name.toUpperCase().replaceAll("-", "_")}`);
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const modulePath = option("module");
  if (modulePath === undefined) throw new UsageError("--module is required", RUN_USAGE);
  const functionsPath = option("functions");
  const guarantee = oneOf(option("processing-guarantee") ?? "exactly-once", "--processing-guarantee", [
    "exactly-once",
    "at-least-once",
  ]) as ProcessingGuarantee;
  const logFormat = oneOf(option("log-format") ?? "text", "--log-format", ["text", "json"]) as "text" | "json";
  const logLevel = oneOf(option("log-level") ?? "info", "--log-level", ["debug", "info", "warn", "error"]) as LogLevel;
  const commitIntervalMs = duration(option("commit-interval") ?? "100ms", "--commit-interval");
  const shutdownTimeoutMs = duration(option("shutdown-timeout") ?? "30s", "--shutdown-timeout");
  if (commitIntervalMs <= 0) throw new UsageError("--commit-interval must be positive", RUN_USAGE);
  const replication = option("internal-replication");
  if (replication !== undefined && !/^[1-9]\d*$/.test(replication)) {
    throw new UsageError(`--internal-replication must be a positive integer, not "${replication}"`, RUN_USAGE);
  }
  const topicConfigs: Record<string, string> = Object.create(null);
  for (const pair of (option("internal-topic-config") ?? "").split(",").filter((item) => item.trim() !== "")) {
    const [name, ...rest] = pair.split("=");
    if (rest.length === 0 || name.trim() === "") {
      throw new UsageError(`--internal-topic-config takes name=value pairs, not ${JSON.stringify(pair)}`, RUN_USAGE);
    }
    if (!/^[a-z][a-z0-9.]*$/.test(name.trim())) {
      throw new UsageError(
        `--internal-topic-config: ${
          JSON.stringify(name.trim())
        } is not a Kafka topic config name (such as min.insync.replicas)`,
        RUN_USAGE,
      );
    }
    topicConfigs[name.trim()] = rest.join("=").trim();
  }

  try {
    const functions = functionsPath === undefined ? undefined : await loadFunctions(functionsPath);
    const app = await serve({
      module: modulePath,
      functions,
      appId: option("app-id"),
      processingGuarantee: guarantee,
      commitIntervalMs,
      shutdownTimeoutMs,
      stateDir: option("state-dir"),
      logFormat,
      logLevel,
      controlAddr: option("control-addr"),
      internalTopics: {
        ...(replication === undefined ? {} : { replicationFactor: Number(replication) }),
        configs: topicConfigs,
      },
      ...unroutable(option("unroutable-records") ?? "stop"),
      failedMessages: policy(option("failed-messages") ?? "stop", "--failed-messages", false) as Exclude<
        RecordPolicy,
        { type: "skip" }
      >,
      controlToken: option("control-token"),
      controlAllowedHosts: option("control-allowed-hosts")?.split(",").map((host) => host.trim()).filter((h) => h),
      controlAdvertisedUrl: option("control-advertised-url"),
    });
    return await app.finished;
  } catch (error) {
    if (error instanceof SpecError) error.issues.forEach((issue) => output.err(formatIssue(issue)));
    else if (
      error instanceof ModuleReadError || error instanceof AppPlanError || error instanceof RuntimeError ||
      error instanceof FunctionsError || error instanceof ControlServerError || error instanceof RemoteEndpointError
    ) output.err(`eddy: ${error.message}`);
    else throw error;
    return EXIT.failed;
  }
}

/** The functions module cannot be used. */
export class FunctionsError extends Error {
  /** @param message What is wrong. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FunctionsError";
  }
}

/**
 * Imports a functions module; its default export must be a StateFun instance
 * (checked by shape: the user's module may import the SDK from another URL).
 */
export async function loadFunctions(path: string): Promise<FunctionSource> {
  const url = /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : new URL(path, `file://${Deno.cwd()}/`).href;
  let module: { default?: unknown };
  try {
    module = await import(url);
  } catch (error) {
    throw new FunctionsError(`cannot load the functions module ${path}: ${(error as Error).message}`, { cause: error });
  }
  const functions = module.default as Partial<FunctionSource> | undefined;
  if (typeof functions?.functionSpec !== "function") {
    throw new FunctionsError(
      `${path} must export a StateFun instance as its default export (export default functions)`,
    );
  }
  return functions as FunctionSource;
}

/** `policy` or `policy,ingress-id=policy,…`: the default and per-ingress exceptions. */
function unroutable(
  value: string,
): { unroutableRecords: RecordPolicy; unroutableRecordsByIngress: Record<string, RecordPolicy> } {
  let unroutableRecords: RecordPolicy = { type: "stop" };
  const unroutableRecordsByIngress: Record<string, RecordPolicy> = {};
  for (const item of value.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const match = /^([^=:]+\/[^=:]+)=(.+)$/.exec(item);
    if (match === null) unroutableRecords = policy(item, "--unroutable-records", true);
    else unroutableRecordsByIngress[match[1]] = policy(match[2], "--unroutable-records", true);
  }
  return { unroutableRecords, unroutableRecordsByIngress };
}

function policy(value: string, flag: string, skip: boolean): RecordPolicy {
  if (value === "stop") return { type: "stop" };
  if (value === "skip" && skip) return { type: "skip" };
  const topic = /^dead-letter:(.+)$/.exec(value)?.[1];
  if (topic !== undefined) return { type: "dead-letter", topic };
  throw new UsageError(`${flag} must be stop${skip ? ", skip" : ""} or dead-letter:<topic>, not "${value}"`, RUN_USAGE);
}

function oneOf(value: string, flag: string, allowed: string[]): string {
  if (!allowed.includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, not "${value}"`, RUN_USAGE);
  }
  return value;
}

function duration(value: string, flag: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    if (error instanceof DurationError) throw new UsageError(`${flag}: ${error.message}`, RUN_USAGE);
    throw error;
  }
}
