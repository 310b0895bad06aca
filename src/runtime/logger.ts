/**
 * Eddy's log: one line per event on stderr, as text for people or JSON for
 * log pipelines (`--log-format json`), with the task, topic, partition, offset
 * or address the event concerns as fields.
 *
 * @module
 */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Context of an event: task, topic/partition/offset, address, and anything else worth a field. */
export type LogFields = Record<string, string | number | boolean | undefined>;

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Options of a logger. */
export interface LoggerOptions {
  /** `text` (default) or `json`. */
  format?: "text" | "json";
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Where lines go (default stderr). */
  write?: (line: string) => void;
}

const STDERR = new TextEncoder();

/** A logger with fields bound to it. */
export class Logger {
  readonly #options: Required<LoggerOptions>;
  readonly #fields: LogFields;

  /**
   * Creates a logger.
   *
   * @example
   * ```ts
   * const lines: string[] = [];
   * const log = new Logger({ format: "json", write: (line) => lines.push(line) }).with({ task: 3 });
   * log.info("task started", { topic: "names", partition: 3, offset: 17 });
   * JSON.parse(lines[0]).task; // 3
   * ```
   */
  constructor(options: LoggerOptions = {}, fields: LogFields = {}) {
    this.#options = {
      format: options.format ?? "text",
      level: options.level ?? "info",
      write: options.write ?? ((line) => Deno.stderr.writeSync(STDERR.encode(`${line}\n`))),
    };
    this.#fields = fields;
  }

  /** A logger adding `fields` to every line. */
  with(fields: LogFields): Logger {
    return new Logger(this.#options, { ...this.#fields, ...fields });
  }

  /** Logs at debug level. */
  debug(message: string, fields?: LogFields): void {
    this.#log("debug", message, fields);
  }

  /** Logs at info level. */
  info(message: string, fields?: LogFields): void {
    this.#log("info", message, fields);
  }

  /** Logs at warn level. */
  warn(message: string, fields?: LogFields): void {
    this.#log("warn", message, fields);
  }

  /** Logs at error level. */
  error(message: string, fields?: LogFields): void {
    this.#log("error", message, fields);
  }

  #log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LEVELS[level] < LEVELS[this.#options.level]) return;
    const all = { ...this.#fields, ...fields };
    const time = new Date().toISOString();
    if (this.#options.format === "json") {
      this.#options.write(JSON.stringify({ time, level, message, ...all }));
      return;
    }
    const context = Object.entries(all).filter(([, value]) => value !== undefined)
      .map(([name, value]) =>
        `${name}=${typeof value === "string" && /\s/.test(value) ? JSON.stringify(value) : value}`
      );
    this.#options.write(
      `${time} ${level.toUpperCase().padEnd(5)} ${message}${context.length ? ` ${context.join(" ")}` : ""}`,
    );
  }
}

/** The message of an error, with its cause's. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error && !error.message.includes(error.cause.message)
    ? `: ${describeError(error.cause)}`
    : "";
  return `${error.message}${cause}`;
}
