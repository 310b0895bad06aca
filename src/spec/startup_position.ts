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
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(local);
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
  if (
    slash <= 0 || !/^\d+$/.test(partitionText) ||
    !Number.isSafeInteger(Number(partitionText))
  ) {
    throw new SyntaxError(
      `"${text}" does not conform to the <topic>/<partition_id> format`,
    );
  }
  return { topic: text.slice(0, slash), partition: Number(partitionText) };
}

const offsetEntry = z.record(z.string(), z.number().int().nonnegative(), {
  error: 'expected a single-key map such as `- "my-topic/0": 42` (offset: a non-negative integer)',
}).transform((entry, ctx): TopicPartitionOffset[] => {
  const entries = Object.entries(entry);
  if (entries.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: `each list item must have exactly one "<topic>/<partition>": <offset> entry (found ${entries.length})`,
    });
    return z.NEVER;
  }
  const [key, offset] = entries[0];
  try {
    return [{ ...parseTopicPartition(key), offset }];
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      message: (error as Error).message,
      path: [key],
    });
    return z.NEVER;
  }
});

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
      issue.input === undefined || typeof issue.input !== "object"
        ? undefined
        : `invalid startup position type${
          typeof (issue.input as { type?: unknown }).type === "string"
            ? ` ${JSON.stringify((issue.input as { type: string }).type)}`
            : ""
        }; valid values are [${STARTUP_POSITION_TYPES.join(", ")}]`,
  }).meta({
    description: "Where the ingress starts on the app's first start (default: latest)",
  });
