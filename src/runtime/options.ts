/**
 * How an app runs: the options of the runtime and of `serve()` — functions, processing guarantee, intervals,
 * limits, failure policies and internal topic settings.
 *
 * @module
 */

import type { FunctionSpec } from "../sdk/function_spec.ts";
import type { ModuleSpec } from "../spec/model.ts";
import type { InternalTopicSettings } from "./internal_topics.ts";
import type { Logger } from "./logger.ts";
import type { AppKafkaFactory } from "./ports.ts";
import type { CallableFunction } from "./task/callable.ts";
import type { RecordPolicy, TaskLimits } from "./task/types.ts";

/** Where in-process functions come from: a `StateFun` instance, or anything that resolves typenames. */
export interface FunctionSource {
  /** The binding of a function type, if any. */
  functionSpec(typename: string): FunctionSpec | undefined;
  /** The types it binds, if it can list them: they are part of the module version (runtime/module_version.ts). */
  readonly typenames?: string[];
}

/** `exactly-once` (default): one transaction per task commit; `at-least-once`: no transactions. */
export type ProcessingGuarantee = "exactly-once" | "at-least-once";

/** The processing guarantee when none is given. */
export const DEFAULT_PROCESSING_GUARANTEE: ProcessingGuarantee = "exactly-once";

/** The app consumer's session timeout when neither the ingresses' `session.timeout.ms` nor the options set one. */
export const DEFAULT_SESSION_TIMEOUT_MS = 6_000;

/** The task producers' transaction timeout when the options set none (exactly-once egresses may lower it). */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

/** How often the recent history (history_sampler.ts) is sampled when the options set no interval. */
export const DEFAULT_HISTORY_INTERVAL_MS = 5_000;

/** Options of the runtime. */
export interface RuntimeOptions extends AppOptions {
  /** The module. */
  module: ModuleSpec;
  /** Makes the Kafka side of the app (src/kafka/app_kafka.ts `createAppKafka`). */
  kafka: AppKafkaFactory;
  /** The log (default: text on stderr). */
  logger?: Logger;
  /** The remote function bound to a type by the module's HTTP endpoints (src/remote/ `remoteFunctions`), if any. */
  remote?: (typename: string) => CallableFunction | undefined;
}

/** How an app runs: its functions, guarantee, intervals, limits and policies. */
export interface AppOptions {
  /** In-process functions (none: every function is remote). */
  functions?: FunctionSource;
  /** A label of this module version, shown beside its hash in the group view (`--version-label`). */
  versionLabel?: string;
  /** The app id (required when the ingresses' consumerGroupIds differ). */
  appId?: string;
  /** The processing guarantee (default exactly-once). */
  processingGuarantee?: ProcessingGuarantee;
  /** Commit interval in ms (default 100). */
  commitIntervalMs?: number;
  /** Every nth record of each partition has its walk through its task logged (default 0: none). */
  traceEvery?: number;
  /** Transaction timeout in ms (default 60 s, capped by exactly-once egresses' transactionTimeout). */
  transactionTimeoutMs?: number;
  /** Task limits beyond the commit interval. */
  limits?: Partial<TaskLimits>;
  /**
   * Session timeout of the app consumer (default 6 s), unless the ingresses' `properties` set `session.timeout.ms`,
   * which wins. A fenced task waits two of the effective one before it starts over.
   */
  sessionTimeoutMs?: number;
  /** Unroutable ingress records: stop the task (default), skip them, or write them to a dead-letter topic. */
  unroutableRecords?: RecordPolicy;
  /** Per ingress id, where it differs from `unroutableRecords`. */
  unroutableRecordsByIngress?: Record<string, RecordPolicy>;
  /** Messages whose function failed every attempt: stop the task (default) or write them to a dead-letter topic. */
  failedMessages?: Exclude<RecordPolicy, { type: "skip" }>;
  /**
   * Settings of the internal topics when they are created: replication factor (default: the broker's
   * `default.replication.factor`) and topic configs (e.g. `min.insync.replicas`), applied to both.
   */
  internalTopics?: InternalTopicSettings;
  /**
   * A folder for the tasks' local state stores (like Kafka Streams' `state.dir`): committed state lives there, on
   * disk, and a start reads only the changelog after each store's checkpoint. One instance per folder. Default: state
   * in memory, restored from the whole changelog at every start.
   */
  stateDir?: string;
  /**
   * How often the recent history the dashboard charts is sampled, in ms (default 5 s, at least 100): records in and
   * out per second, lag and commit time, the last 15 minutes of them (at most 900 samples) kept in memory.
   */
  historyIntervalMs?: number;
}
