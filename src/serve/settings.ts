/**
 * The settings of an app run, in one table: for each `eddy run` setting its flag, environment variable, `serve()`
 * option, default, parser and one line of doc — and `ServeOptions`, the options it fills. From this table come the
 * CLI's usage text and parsing (src/cli/run.ts), the defaults `serve()` applies once before it hands its options down
 * (serve.ts), and the settings table of docs/cli.md (settings_test.ts checks that it matches).
 *
 * Defaults the runtime owns (processing guarantee, commit interval, record policies) are read from the runtime's
 * constants, not written again here.
 *
 * @module
 */

import type { Logger, LogLevel } from "../runtime/logger.ts";
import { HISTORY_WINDOW_MS, MAX_HISTORY_SAMPLES, MIN_HISTORY_INTERVAL_MS } from "../runtime/history_sampler.ts";
import { type AppOptions, DEFAULT_HISTORY_INTERVAL_MS, DEFAULT_PROCESSING_GUARANTEE } from "../runtime/options.ts";
import { DEFAULT_TASK_LIMITS, type RecordPolicy } from "../runtime/task/types.ts";
import { DurationError, parseDuration } from "../spec/duration.ts";
import type { ModuleSpec } from "../spec/model.ts";

/** Options of `serve`. */
export interface ServeOptions extends AppOptions {
  /** The module: a path to module.yaml, or a loaded spec. */
  module: string | ModuleSpec;
  /** `text` (default) or `json` log lines on stderr. */
  logFormat?: "text" | "json";
  /** Lowest log level (default `info`). */
  logLevel?: LogLevel;
  /** A logger instead of the two options above. */
  logger?: Logger;
  /** How long a graceful shutdown may take (default 30 s). */
  shutdownTimeoutMs?: number;
  /** Stop on SIGINT and SIGTERM (default true). */
  handleSignals?: boolean;
  /** The control API's `host:port` (default `127.0.0.1:9870`; port 0 picks one), or `none`. */
  controlAddr?: string;
  /** The control API's bearer token (required for a non-loopback address). */
  controlToken?: string;
  /** Host names the control API answers to besides loopback names, IP addresses and its bind address. */
  controlAllowedHosts?: string[];
  /** The control URL the other instances of the app use (default: the bound address; 0.0.0.0: this host's name). */
  controlAdvertisedUrl?: string;
}

/** What `eddy run`'s settings set: serve()'s options, with the path of the functions module for `functions`. */
export type RunOptions = Omit<ServeOptions, "module" | "functions"> & { module?: string; functions?: string };

/** One setting of `eddy run`. */
export interface RunSetting {
  /** The flag: `--commit-interval`. */
  readonly flag: string;
  /** What the flag takes, as the usage writes it: `<duration>`. */
  readonly arg: string;
  /** The environment variable read when the flag is not given. */
  readonly env: string;
  /** The serve() option it sets, as the docs name it. */
  readonly option: string;
  /** The default, written as on the command line and parsed as a given value would be. */
  readonly default?: string;
  /** What applies without a value when there is no default to write: `required`, `state in memory`, … */
  readonly otherwise?: string;
  /** One line of doc. */
  readonly doc: string;
  /**
   * Parses a value.
   *
   * @throws {SettingError} naming the flag and what it takes.
   */
  parse(value: string): RunOptions;
}

/** A setting's value cannot be used. */
export class SettingError extends Error {
  /** @param message What is wrong, naming the flag. */
  constructor(message: string) {
    super(message);
    this.name = "SettingError";
  }
}

function oneOf<const T extends string>(flag: string, allowed: readonly T[], value: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new SettingError(`${flag} must be one of ${allowed.join(", ")}, not "${value}"`);
  }
  return value as T;
}

function duration(flag: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    if (error instanceof DurationError) throw new SettingError(`${flag}: ${error.message}`);
    throw error;
  }
}

function policy(flag: string, value: string, skip: boolean): RecordPolicy {
  if (value === "stop") return { type: "stop" };
  if (value === "skip" && skip) return { type: "skip" };
  const topic = /^dead-letter:(.+)$/.exec(value)?.[1];
  if (topic !== undefined) return { type: "dead-letter", topic };
  throw new SettingError(`${flag} must be stop${skip ? ", skip" : ""} or dead-letter:<topic>, not "${value}"`);
}

/** A record policy as the command line writes it. */
function policyText(policy: RecordPolicy): string {
  return policy.type === "dead-letter" ? `dead-letter:${policy.topic}` : policy.type;
}

function list(value: string): string[] {
  return value.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/** Every setting of `eddy run`, in the order the usage and the docs list them. */
export const RUN_SETTINGS: readonly RunSetting[] = [
  {
    flag: "--module",
    arg: "<file>",
    env: "EDDY_MODULE",
    option: "module",
    otherwise: "required",
    doc: "the module spec",
    parse: (value) => ({ module: value }),
  },
  {
    flag: "--functions",
    arg: "<file>",
    env: "EDDY_FUNCTIONS",
    option: "functions",
    otherwise: "none (every function is remote)",
    doc: "a module whose default export is a `StateFun` instance with the in-process functions (serve() takes the " +
      "instance); the module's HTTP endpoints serve the others",
    parse: (value) => ({ functions: value }),
  },
  {
    flag: "--app-id",
    arg: "<id>",
    env: "EDDY_APP_ID",
    option: "appId",
    otherwise: "the ingresses' consumerGroupId",
    doc: "the app id; required when the ingresses have different consumerGroupIds",
    parse: (value) => ({ appId: value }),
  },
  {
    flag: "--version-label",
    arg: "<label>",
    env: "EDDY_VERSION_LABEL",
    option: "versionLabel",
    otherwise: "none (the version is its hash)",
    doc: "a name for this module version (a release, a commit), shown beside its hash in the group view",
    parse: (value) => ({ versionLabel: value }),
  },
  {
    flag: "--processing-guarantee",
    arg: "<g>",
    env: "EDDY_PROCESSING_GUARANTEE",
    option: "processingGuarantee",
    default: DEFAULT_PROCESSING_GUARANTEE,
    doc: "`exactly-once` or `at-least-once`",
    parse: (value) => ({
      processingGuarantee: oneOf("--processing-guarantee", ["exactly-once", "at-least-once"], value),
    }),
  },
  {
    flag: "--commit-interval",
    arg: "<duration>",
    env: "EDDY_COMMIT_INTERVAL",
    option: "commitIntervalMs",
    default: `${DEFAULT_TASK_LIMITS.commitIntervalMs}ms`,
    doc: "how often each task commits",
    parse(value) {
      const commitIntervalMs = duration("--commit-interval", value);
      if (commitIntervalMs <= 0) throw new SettingError("--commit-interval must be positive");
      return { commitIntervalMs };
    },
  },
  {
    flag: "--trace-every",
    arg: "<n>",
    env: "EDDY_TRACE_EVERY",
    option: "traceEvery",
    default: String(DEFAULT_TASK_LIMITS.traceEvery),
    doc: "log the walk of every nth record of each partition through its task, stage by stage (taken in, each " +
      "call and its answer, epoch closed, commit started, committed), at info level; 0: none",
    parse(value) {
      const traceEvery = Number(value);
      if (!Number.isSafeInteger(traceEvery) || traceEvery < 0) {
        throw new SettingError(`--trace-every must be a whole number of records, 0 or more (not ${value})`);
      }
      return { traceEvery };
    },
  },
  {
    flag: "--shutdown-timeout",
    arg: "<duration>",
    env: "EDDY_SHUTDOWN_TIMEOUT",
    option: "shutdownTimeoutMs",
    default: "30s",
    doc: "the longest graceful shutdown; what is not committed by then is abandoned (and processed again later)",
    parse: (value) => ({ shutdownTimeoutMs: duration("--shutdown-timeout", value) }),
  },
  {
    flag: "--state-dir",
    arg: "<folder>",
    env: "EDDY_STATE_DIR",
    option: "stateDir",
    otherwise: "state in memory",
    doc: "keep each task's committed state in a SQLite file there; a start then reads only the changelog after " +
      "its checkpoint (docs/operations.md)",
    parse: (value) => ({ stateDir: value }),
  },
  {
    flag: "--log-format",
    arg: "<text|json>",
    env: "EDDY_LOG_FORMAT",
    option: "logFormat",
    default: "text",
    doc: "log lines on stderr: `text`, or `json` lines carrying the fields as keys",
    parse: (value) => ({ logFormat: oneOf("--log-format", ["text", "json"], value) }),
  },
  {
    flag: "--log-level",
    arg: "<level>",
    env: "EDDY_LOG_LEVEL",
    option: "logLevel",
    default: "info",
    doc: "`debug` (adds every commit and kafkajs' log), `info`, `warn` or `error`",
    parse: (value) => ({ logLevel: oneOf("--log-level", ["debug", "info", "warn", "error"], value) }),
  },
  {
    flag: "--unroutable-records",
    arg: "<policy>",
    env: "EDDY_UNROUTABLE_RECORDS",
    option: "unroutableRecords, unroutableRecordsByIngress",
    default: policyText(DEFAULT_TASK_LIMITS.unroutableRecords),
    doc: "records with a null or non-UTF-8 key: `stop` the task there, `skip` them (counted, logged) or " +
      "`dead-letter:<topic>`; per ingress: `skip,com.example/orders=dead-letter:orders-dlq`",
    parse(value) {
      let unroutableRecords: RecordPolicy = DEFAULT_TASK_LIMITS.unroutableRecords;
      const unroutableRecordsByIngress: Record<string, RecordPolicy> = {};
      for (const item of list(value)) {
        const match = /^([^=:]+\/[^=:]+)=(.+)$/.exec(item);
        if (match === null) unroutableRecords = policy("--unroutable-records", item, true);
        else unroutableRecordsByIngress[match[1]] = policy("--unroutable-records", match[2], true);
      }
      return { unroutableRecords, unroutableRecordsByIngress };
    },
  },
  {
    flag: "--failed-messages",
    arg: "<policy>",
    env: "EDDY_FAILED_MESSAGES",
    option: "failedMessages",
    default: policyText(DEFAULT_TASK_LIMITS.failedMessages),
    doc: "messages whose function failed every retry: `stop` the task there or `dead-letter:<topic>`",
    parse: (value) => ({
      failedMessages: policy("--failed-messages", value, false) as Exclude<RecordPolicy, { type: "skip" }>,
    }),
  },
  {
    flag: "--internal-replication",
    arg: "<n>",
    env: "EDDY_INTERNAL_REPLICATION",
    option: "internalTopics.replicationFactor",
    otherwise: "the broker's default",
    doc: "the replication factor of the internal topics when they are created",
    parse(value) {
      if (!/^[1-9]\d*$/.test(value)) {
        throw new SettingError(`--internal-replication must be a positive integer, not "${value}"`);
      }
      return { internalTopics: { replicationFactor: Number(value) } };
    },
  },
  {
    flag: "--internal-topic-config",
    arg: "<k=v,…>",
    env: "EDDY_INTERNAL_TOPIC_CONFIG",
    option: "internalTopics.configs",
    otherwise: "none",
    doc: "configs of the internal topics when they are created, e.g. `min.insync.replicas=2` (docs/operations.md)",
    parse(value) {
      const configs: Record<string, string> = Object.create(null);
      for (const pair of list(value)) {
        const [name, ...rest] = pair.split("=");
        if (rest.length === 0 || name.trim() === "") {
          throw new SettingError(`--internal-topic-config takes name=value pairs, not ${JSON.stringify(pair)}`);
        }
        if (!/^[a-z][a-z0-9.]*$/.test(name.trim())) {
          throw new SettingError(
            `--internal-topic-config: ${
              JSON.stringify(name.trim())
            } is not a Kafka topic config name (such as min.insync.replicas)`,
          );
        }
        configs[name.trim()] = rest.join("=").trim();
      }
      return { internalTopics: { configs } };
    },
  },
  {
    flag: "--control-addr",
    arg: "<host:port>",
    env: "EDDY_CONTROL_ADDR",
    option: "controlAddr",
    default: "127.0.0.1:9870",
    doc: "the control API; port `0` picks a free one, `none` turns it off",
    parse: (value) => ({ controlAddr: value }),
  },
  {
    flag: "--control-token",
    arg: "<token>",
    env: "EDDY_CONTROL_TOKEN",
    option: "controlToken",
    otherwise: "none",
    doc: "the control API's bearer token; required on a non-loopback address",
    parse: (value) => ({ controlToken: value }),
  },
  {
    flag: "--control-allowed-hosts",
    arg: "<h,…>",
    env: "EDDY_CONTROL_ALLOWED_HOSTS",
    option: "controlAllowedHosts",
    otherwise: "none",
    doc: "host names the control API answers to besides loopback names, IP addresses and its bind address",
    parse: (value) => ({ controlAllowedHosts: list(value) }),
  },
  {
    flag: "--control-advertised-url",
    arg: "<url>",
    env: "EDDY_CONTROL_ADVERTISED_URL",
    option: "controlAdvertisedUrl",
    otherwise: "the bound address",
    doc: "the control URL the app's other instances use to reach this one (a wildcard address becomes this " +
      "host's name)",
    parse: (value) => ({ controlAdvertisedUrl: value }),
  },
  {
    flag: "--history-interval",
    arg: "<duration>",
    env: "EDDY_HISTORY_INTERVAL",
    option: "historyIntervalMs",
    default: `${DEFAULT_HISTORY_INTERVAL_MS / 1000}s`,
    doc: `how often the recent history the dashboard charts is sampled (records in and out per second, lag, commit ` +
      `time); the last ${HISTORY_WINDOW_MS / 60_000} minutes of samples are kept, at most ${MAX_HISTORY_SAMPLES} ` +
      `(docs/control-api.md)`,
    parse(value) {
      const historyIntervalMs = duration("--history-interval", value);
      if (historyIntervalMs < MIN_HISTORY_INTERVAL_MS) {
        throw new SettingError(
          `--history-interval must be at least ${MIN_HISTORY_INTERVAL_MS}ms (each sample reads the ingresses' ` +
            `offsets from Kafka), not ${value}`,
        );
      }
      return { historyIntervalMs };
    },
  },
];

/** Adds `patch` to `options`; the internal topic settings of two settings merge. */
function merge(options: RunOptions, patch: RunOptions): RunOptions {
  const internalTopics = options.internalTopics === undefined || patch.internalTopics === undefined
    ? patch.internalTopics ?? options.internalTopics
    : { ...options.internalTopics, ...patch.internalTopics };
  return { ...options, ...patch, ...(internalTopics === undefined ? {} : { internalTopics }) };
}

/**
 * Reads the settings given: each from its flag, else its environment variable (an empty value counts as not
 * given), parsed. Settings given neither way are left out (serve() applies the defaults).
 *
 * @param flags Flag values by flag name without its dashes (`commit-interval`), as node:util parseArgs gives them.
 * @param env Reads an environment variable.
 * @throws {SettingError} for a value its setting cannot use.
 */
export function readRunSettings(
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: (name: string) => string | undefined,
): RunOptions {
  let options: RunOptions = {};
  for (const setting of RUN_SETTINGS) {
    const flag = flags[setting.flag.slice(2)];
    const value = typeof flag === "string" && flag !== "" ? flag : env(setting.env);
    if (value !== undefined && value !== "") options = merge(options, setting.parse(value));
  }
  return options;
}

/** The serve() options the settings' defaults fill (settings_test.ts checks this list against the table). */
export type DefaultedOption =
  | "processingGuarantee"
  | "commitIntervalMs"
  | "traceEvery"
  | "shutdownTimeoutMs"
  | "logFormat"
  | "logLevel"
  | "unroutableRecords"
  | "unroutableRecordsByIngress"
  | "failedMessages"
  | "controlAddr"
  | "historyIntervalMs";

/** Every setting's default, parsed: what serve() uses for an option not given. */
export const SERVE_DEFAULTS: Readonly<Required<Pick<ServeOptions, DefaultedOption>>> = RUN_SETTINGS.reduce(
  (options, setting) => setting.default === undefined ? options : merge(options, setting.parse(setting.default)),
  {} as RunOptions,
) as Required<Pick<ServeOptions, DefaultedOption>>;

/**
 * serve()'s options with a default for every one not given (undefined counts as not given).
 *
 * @example
 * ```ts
 * import { withDefaults } from "./settings.ts";
 *
 * const options = withDefaults({ module: "module.yaml", commitIntervalMs: undefined });
 * if (options.commitIntervalMs !== 100 || options.controlAddr !== "127.0.0.1:9870") throw new Error("defaults");
 * ```
 */
export function withDefaults(options: ServeOptions): ServeOptions & Required<Pick<ServeOptions, DefaultedOption>> {
  const resolved = { ...options } as Record<string, unknown>;
  for (const [name, value] of Object.entries(SERVE_DEFAULTS)) resolved[name] ??= value;
  return resolved as unknown as ServeOptions & Required<Pick<ServeOptions, DefaultedOption>>;
}

/** The options part of `eddy run --help`: each setting's flag and variable, then its doc and default, wrapped. */
export function runSettingsUsage(width = 80): string {
  const lines: string[] = [];
  const column = Math.max(...RUN_SETTINGS.map((setting) => `${setting.flag} ${setting.arg}`.length)) + 4;
  for (const setting of RUN_SETTINGS) {
    const head = `  ${setting.flag} ${setting.arg}`.padEnd(column + 2);
    lines.push(`${head}${setting.env}`);
    const doc = `${setting.doc.replaceAll("`", "")} (${defaultText(setting)})`;
    lines.push(...wrap(doc, width - 6).map((line) => `      ${line}`));
  }
  lines.push(`${"  -h, --help".padEnd(column + 2)}show this help`);
  return lines.join("\n");
}

/** `default 100ms`, `default: state in memory` or `required`. */
function defaultText(setting: RunSetting): string {
  if (setting.default !== undefined) return `default ${setting.default}`;
  return setting.otherwise === "required" ? "required" : `default: ${setting.otherwise}`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** The columns of the docs' settings table (docs/cli.md). */
export const SETTINGS_TABLE_HEADER = ["flag", "environment variable", "serve() option", "default", "what it sets"];

/** The rows of the docs' settings table, one per setting, cells as markdown. */
export function settingsTableRows(): string[][] {
  return RUN_SETTINGS.map((setting) => [
    `\`${setting.flag} ${setting.arg}\``,
    `\`${setting.env}\``,
    setting.option.split(", ").map((option) => `\`${option}\``).join(", "),
    setting.default !== undefined
      ? `\`${setting.default}\``
      : setting.otherwise === "required"
      ? "(required)"
      : setting.otherwise ?? "",
    setting.doc,
  ]);
}

/** The docs' settings table as markdown (before `deno fmt` pads its columns). */
export function settingsTable(): string {
  const row = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    row(SETTINGS_TABLE_HEADER),
    row(SETTINGS_TABLE_HEADER.map(() => "---")),
    ...settingsTableRows().map(row),
  ].join("\n");
}
