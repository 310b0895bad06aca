/**
 * The kafkajs client of one cluster, configured as Eddy uses it: its log goes
 * to Eddy's logger (kafkajs reports retried conditions such as rebalances as
 * errors, so they are kept at debug level), and an unreachable broker fails
 * within seconds rather than after kafkajs' long default retries.
 *
 * @module
 */

import process from "node:process";
import type { ClientSettings } from "./client_properties.ts";
import { Kafka, logLevel, type SASLOptions } from "./kafkajs.ts";

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
  /** Settings from the spec's `properties` (client id, TLS, SASL, timeouts, retries). */
  settings?: ClientSettings;
}

/** Creates a kafkajs client. */
export function createKafka(options: KafkaClientOptions): Kafka {
  silenceNegativeTimeoutWarning();
  const sink = options.log;
  const settings = options.settings ?? {};
  return new Kafka({
    clientId: settings.clientId ?? options.clientId,
    brokers: options.brokers,
    connectionTimeout: settings.connectionTimeoutMs ?? options.connectionTimeoutMs ?? 5_000,
    ...(settings.requestTimeoutMs === undefined ? {} : { requestTimeout: settings.requestTimeoutMs }),
    retry: { retries: settings.retries ?? 5, initialRetryTime: settings.retryBackoffMs ?? 200, maxRetryTime: 5_000 },
    ...(settings.ssl === undefined ? {} : { ssl: tlsOptions(settings.ssl) }),
    ...(settings.sasl === undefined ? {} : { sasl: { ...settings.sasl } as SASLOptions }),
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

/**
 * Node TLS options from the mapped settings; PEM files are read here.
 *
 * @throws {Error} naming a file that cannot be read.
 */
function tlsOptions(ssl: NonNullable<ClientSettings["ssl"]>) {
  const read = (path: string | undefined, what: string) => {
    if (path === undefined) return undefined;
    try {
      return Deno.readTextFileSync(path);
    } catch (error) {
      throw new Error(`cannot read the ${what} ${path}: ${(error as Error).message}`);
    }
  };
  const ca = ssl.ca ?? read(ssl.files.ca, "trust store (ssl.truststore.location)");
  const cert = ssl.cert ?? read(ssl.files.cert, "key store (ssl.keystore.location)");
  const key = ssl.key ?? (ssl.files.key === ssl.files.cert ? cert : read(ssl.files.key, "key"));
  return {
    rejectUnauthorized: true,
    ...(ca === undefined ? {} : { ca: [ca] }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(ssl.passphrase === undefined ? {} : { passphrase: ssl.passphrase }),
    ...(ssl.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
  };
}
