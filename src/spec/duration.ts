/**
 * Durations in Flink's `TimeUtils.parseDuration` format, which StateFun uses for
 * every duration in a module spec: an integer followed by an optional unit
 * (`15min`, `10 sec`, `2m`, `1day`); no unit means milliseconds.
 *
 * @module
 */

const UNIT_MILLIS: ReadonlyMap<string, number> = new Map([
  ...labels(["d", "day", "days"], 86_400_000),
  ...labels(["h", "hour", "hours"], 3_600_000),
  ...labels(["m", "min", "minute", "minutes"], 60_000),
  ...labels(["s", "sec", "secs", "second", "seconds"], 1_000),
  ...labels(["ms", "milli", "millis", "millisecond", "milliseconds"], 1),
  ...labels(["µs", "micro", "micros", "microsecond", "microseconds"], 1e-3),
  ...labels(["ns", "nano", "nanos", "nanosecond", "nanoseconds"], 1e-6),
]);

function labels(names: string[], millis: number): [string, number][] {
  return names.map((name) => [name, millis]);
}

/** The unit labels Flink accepts, for error messages. */
export const DURATION_UNITS = "d, h, m/min, s/sec, ms, µs, ns (and their long forms)";

/** A duration that does not follow Flink's format. */
export class DurationError extends SyntaxError {
  /**
   * Creates it.
   *
   * @param text The rejected input.
   * @param reason Why it was rejected.
   */
  constructor(readonly text: string, reason: string) {
    super(`invalid duration "${text}": ${reason}`);
    this.name = "DurationError";
  }
}

/**
 * Parses a duration the way Flink does and returns it in milliseconds
 * (fractional for µs and ns). A YAML number is taken as milliseconds, as
 * StateFun reads the number's text.
 *
 * @example
 * ```ts
 * parseDuration("15min"); // 900000
 * parseDuration("10 sec"); // 10000
 * parseDuration(250); // 250
 * ```
 * @throws {DurationError} for decimals, negative numbers, compound values or unknown units.
 */
export function parseDuration(input: string | number): number {
  const text = String(input).trim();
  const match = /^(\d*)(.*)$/s.exec(text)!;
  const [, digits, rest] = match;
  if (digits === "") {
    throw new DurationError(
      String(input),
      "expected an integer followed by an optional unit, e.g. 30s or 15min",
    );
  }
  const amount = Number(digits);
  if (!Number.isSafeInteger(amount)) {
    throw new DurationError(String(input), "the number is too large");
  }
  const unit = rest.trim().toLowerCase();
  if (unit === "") return amount;
  const millis = UNIT_MILLIS.get(unit);
  if (millis === undefined) {
    throw new DurationError(
      String(input),
      `unknown unit "${rest.trim()}"; use one of ${DURATION_UNITS}`,
    );
  }
  return amount * millis;
}
