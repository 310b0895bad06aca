/**
 * Durations in Flink's `TimeUtils.parseDuration` format, which StateFun uses for
 * every duration in a module spec: an integer followed by an optional unit
 * (`15min`, `10 sec`, `2m`, `1day`); no unit means milliseconds.
 *
 * @module
 */

/** Nanoseconds per unit, exact. */
const UNIT_NANOS: ReadonlyMap<string, bigint> = new Map([
  ...labels(["d", "day", "days"], 86_400_000_000_000n),
  ...labels(["h", "hour", "hours"], 3_600_000_000_000n),
  ...labels(["m", "min", "minute", "minutes"], 60_000_000_000n),
  ...labels(["s", "sec", "secs", "second", "seconds"], 1_000_000_000n),
  ...labels(["ms", "milli", "millis", "millisecond", "milliseconds"], 1_000_000n),
  ...labels(["µs", "micro", "micros", "microsecond", "microseconds"], 1_000n),
  ...labels(["ns", "nano", "nanos", "nanosecond", "nanoseconds"], 1n),
]);

function labels(names: string[], nanos: bigint): [string, bigint][] {
  return names.map((name) => [name, nanos]);
}

const LONG_MAX = 9_223_372_036_854_775_807n;

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
    super(`invalid duration ${JSON.stringify(text)}: ${reason}`);
    this.name = "DurationError";
  }
}

/**
 * Parses a duration the way Flink does and returns it in whole milliseconds
 * (µs and ns are truncated, as Java's `Duration.toMillis()` does). A YAML
 * number is taken as milliseconds, as StateFun reads the number's text.
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
  if (typeof input === "number" && !Number.isSafeInteger(input)) {
    throw new DurationError(
      String(input),
      Number.isInteger(input) || !Number.isFinite(input)
        ? `longer than ${Number.MAX_SAFE_INTEGER} ms (285 616 years)`
        : "a number of milliseconds must be whole",
    );
  }
  const text = String(input).trim();
  const match = /^(\d*)(.*)$/s.exec(text)!;
  const [, digits, rest] = match;
  if (digits === "") {
    throw new DurationError(
      String(input),
      "expected an integer followed by an optional unit, e.g. 30s or 15min",
    );
  }
  // Flink reads the number as a long (longValueExact) and Duration.toMillis() truncates to whole milliseconds.
  const amount = BigInt(digits);
  if (amount > LONG_MAX) throw new DurationError(String(input), `the number is larger than ${LONG_MAX} (a Java long)`);
  const unit = rest.trim().toLowerCase();
  const nanos = unit === "" ? 1_000_000n : UNIT_NANOS.get(unit);
  if (nanos === undefined) {
    throw new DurationError(
      String(input),
      `unknown unit "${rest.trim()}"; use one of ${DURATION_UNITS}`,
    );
  }
  const millis = amount * nanos / 1_000_000n;
  if (millis > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DurationError(String(input), `longer than ${Number.MAX_SAFE_INTEGER} ms (285 616 years)`);
  }
  return Number(millis);
}
