/**
 * A Kafka ingress `startupPosition`: `group-offsets`, `earliest`, `latest`,
 * `specific-offsets` (`- "<topic>/<partition>": <offset>`) or `date`
 * (`yyyy-MM-dd HH:mm:ss.SSS Z`, e.g. `2020-02-01 04:15:00.000 -0800`).
 *
 * @module
 */

import { z } from "../deps.ts";
import type { StartupPosition, TopicPartitionOffset } from "./model.ts";

/** The startup position types, in StateFun's order. */
export const STARTUP_POSITION_TYPES = [
  "group-offsets",
  "earliest",
  "latest",
  "specific-offsets",
  "date",
] as const;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) ([+-])(\d{2})(\d{2})$/;

/**
 * Parses a startup date in StateFun's pattern `yyyy-MM-dd HH:mm:ss.SSS Z`
 * (exactly three fractional digits, offset as `+HHMM`) to epoch milliseconds.
 *
 * @example
 * ```ts
 * parseStartupDate("2020-02-01 04:15:00.000 +0000"); // 1580530500000
 * ```
 * @throws {SyntaxError} when the text does not follow the pattern or is not a real date.
 */
export function parseStartupDate(text: string): number {
  const match = DATE_PATTERN.exec(text);
  const fail = (why: string) =>
    new SyntaxError(
      `invalid date "${text}": ${why}; expected yyyy-MM-dd HH:mm:ss.SSS Z, e.g. 2020-02-01 04:15:00.000 +0000`,
    );
  if (match === null) throw fail("it does not follow the pattern");
  const [year, month, day, hour, minute, second, millis] = match.slice(1, 8)
    .map(Number);
  const offsetMinutes = (match[8] === "-" ? -1 : 1) *
    (Number(match[9]) * 60 + Number(match[10]));
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear takes the year as written (java.time reads 0001 as 1).
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  check.setUTCHours(hour, minute, second, millis);
  const local = check.getTime();
  if (
    check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 || minute > 59 || second > 59 || Number(match[10]) > 59 ||
    Math.abs(offsetMinutes) > 18 * 60
  ) {
    throw fail("it is not a valid date and time");
  }
  return local - offsetMinutes * 60_000;
}

/**
 * Parses `<topic>/<partition>` as StateFun does: split at the last `/`, topic
 * non-empty, partition a non-negative integer.
 *
 * @throws {SyntaxError} naming the expected format.
 */
export function parseTopicPartition(
  text: string,
): { topic: string; partition: number } {
  const slash = text.lastIndexOf("/");
  const partitionText = text.slice(slash + 1);
  if (slash <= 0 || !/^\d+$/.test(partitionText)) {
    throw new SyntaxError(`${JSON.stringify(text)} does not conform to the <topic>/<partition_id> format`);
  }
  if (Number(partitionText) > INT_MAX) {
    throw new SyntaxError(
      `partition ${partitionText} of ${JSON.stringify(text)} is larger than ${INT_MAX} (a Java int)`,
    );
  }
  return { topic: text.slice(0, slash), partition: Number(partitionText) };
}

const INT_MAX = 2_147_483_647;
/** Java's Long.MAX_VALUE as a double (YAML numbers are doubles here): offsets up to it are accepted, as StateFun does. */
const LONG_MAX = 9_223_372_036_854_775_807;

// Checked by hand: zod's records drop a `__proto__` key, and its int() stops at 2^53-1 where Kafka offsets go to 2^63-1.
const offsetEntry = z.custom<Record<string, unknown>>(
  (entry) => typeof entry === "object" && entry !== null && !Array.isArray(entry),
  { error: 'expected a single-key map such as `- "my-topic/0": 42` (offset: a non-negative integer)' },
).transform((entry, ctx): TopicPartitionOffset[] => {
  const entries = Object.entries(entry);
  if (entries.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: `each list item must have exactly one "<topic>/<partition>": <offset> entry (found ${entries.length})`,
    });
    return z.NEVER;
  }
  const [key, value] = entries[0];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > LONG_MAX) {
    ctx.addIssue({
      code: "custom",
      path: [key],
      message: `the offset of ${JSON.stringify(key)} must be an integer from 0 to ${LONG_MAX_TEXT}, got ${
        typeof value === "string" ? JSON.stringify(value) : String(value)
      }`,
    });
    return z.NEVER;
  }
  try {
    // An offset past 2^53-1 is past the end of any log: it starts where the reset policy says, as an offset past
    // the log end does in StateFun.
    return [{ ...parseTopicPartition(key), offset: Math.min(value, Number.MAX_SAFE_INTEGER) }];
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      message: (error as Error).message,
      path: [key],
    });
    return z.NEVER;
  }
});

const LONG_MAX_TEXT = "9223372036854775807";

/** The `startupPosition` field. */
export const startupPositionField: z.ZodType<StartupPosition, unknown> = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("group-offsets") }),
    z.strictObject({ type: z.literal("earliest") }),
    z.strictObject({ type: z.literal("latest") }),
    z.strictObject({
      type: z.literal("specific-offsets"),
      offsets: z.array(offsetEntry).min(
        1,
        "Provided specific offsets must not be empty",
      )
        .transform((lists) => lists.flat()),
    }),
    z.strictObject({
      type: z.literal("date"),
      date: z.string().transform((date, ctx) => {
        try {
          return { date, epochMillis: parseStartupDate(date) };
        } catch (error) {
          ctx.addIssue({ code: "custom", message: (error as Error).message });
          return z.NEVER;
        }
      }),
    }).transform(({ date }) => ({ type: "date" as const, ...date })),
  ], {
    error: (issue) =>
      issue.input === null
        ? "expected a map with a type, such as `type: earliest`, got nothing"
        : issue.input === undefined || typeof issue.input !== "object"
        ? undefined
        : `invalid startup position type${
          typeof (issue.input as { type?: unknown }).type === "string"
            ? ` ${JSON.stringify((issue.input as { type: string }).type)}`
            : ""
        }; valid values are [${STARTUP_POSITION_TYPES.join(", ")}]`,
  }).meta({
    description: "Where the ingress starts on the app's first start (default: latest)",
  });
