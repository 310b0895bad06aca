/**
 * The kafkajs client of one cluster, configured as Eddy uses it: its log goes
 * to Eddy's logger (kafkajs reports retried conditions such as rebalances as
 * errors, so they are kept at debug level), and an unreachable broker fails
 * within seconds rather than after kafkajs' long default retries.
 *
 * @module
 */

import process from "node:process";
import { Kafka, logLevel } from "./kafkajs.ts";

/** Where kafkajs' log lines go. */
export type KafkaLogSink = (level: "debug" | "info" | "warn" | "error", message: string, namespace: string) => void;

/** Options of a client. */
export interface KafkaClientOptions {
  /** Bootstrap servers. */
  brokers: string[];
  /** The client id brokers log. */
  clientId: string;
  /** kafkajs' log lines; dropped by default. */
  log?: KafkaLogSink;
  /** Connection timeout (default 5 s). */
  connectionTimeoutMs?: number;
}

/** Creates a kafkajs client. */
export function createKafka(options: KafkaClientOptions): Kafka {
  silenceNegativeTimeoutWarning();
  const sink = options.log;
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 5_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
    logLevel: sink === undefined ? logLevel.NOTHING : logLevel.INFO,
    logCreator: () => ({ namespace, level, log }) => {
      if (sink === undefined) return;
      const message = `${log.message}${log.error ? `: ${log.error}` : ""}`;
      // kafkajs logs rebalances and retried requests as errors; Eddy reports what matters itself. Its
      // warning about idempotent producers with limited retries does not apply: a failed send fails the
      // commit, and the task starts over from its last commit with a new producer.
      const warn = level === logLevel.WARN && !message.startsWith("Limiting retries for the idempotent producer");
      sink(warn ? "warn" : "debug", message, namespace);
    },
  });
}

let silenced = false;

/**
 * kafkajs 2.2.4's request queue schedules `setTimeout(fn, -1 - Date.now())`
 * whenever its queue drains without throttling (requestQueue/index.js,
 * scheduleCheckPendingRequests); Node's timers clamp that to 1 ms, as kafkajs
 * expects, and print a TimeoutNegativeWarning on stderr, which would be the only
 * non-JSON line under `--log-format json`. That one warning is dropped; every
 * other process warning is printed as before.
 */
function silenceNegativeTimeoutWarning(): void {
  if (silenced) return;
  silenced = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = warning instanceof Error ? warning.name : type;
    if (name === "TimeoutNegativeWarning") return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}
