/**
 * zod building blocks for the fields StateFun specs share: type names,
 * durations, text scalars and Kafka `properties` lists. Each reports a message
 * a user can act on; the JSON Schema for editors is generated from them.
 *
 * @module
 */

import { z } from "../deps.ts";
import { parseDuration } from "./duration.ts";
import { parseTypeName } from "./typename.ts";

/** A `<namespace>/<name>` string. */
export const typeNameField = z.string().superRefine((text, ctx) => {
  try {
    parseTypeName(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
}).meta({ description: "A type name: <namespace>/<name>" });

/** A duration in Flink's format (`30s`, `15min`, `1 day`); a number is milliseconds. Parsed to ms. */
export const durationField = z.union([
  z.string(),
  z.number().int().nonnegative(),
], {
  error: "expected a duration such as 30s, 2min or 1day (a plain number is milliseconds)",
}).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
}).meta({
  description: "A duration in Flink's format: an integer and an optional unit (ms, s, min, h, d …)",
});

/** A scalar read as text, as Jackson's `asText()` reads it (`9092` and `"9092"` are the same). */
export const textField = z.union([z.string(), z.number(), z.boolean()], {
  error: "expected a text value",
}).transform(String);

/** A non-empty text value. */
export const nonEmptyTextField = textField.refine(
  (text) => text.trim() !== "",
  "must not be empty",
);

/**
 * Kafka client properties: a list of single-key maps (`- isolation.level: read_committed`),
 * the only shape StateFun reads. Duplicate keys: the last wins, as in StateFun.
 */
export const kafkaPropertiesField = z.array(
  // Checked by hand: zod's records drop a `__proto__` key, which is a valid (if odd) property name for StateFun.
  z.custom<Record<string, unknown>>(
    (entry) => typeof entry === "object" && entry !== null && !Array.isArray(entry),
    { error: "expected a single-key map such as `- isolation.level: read_committed`" },
  ).superRefine((entry, ctx) => {
    const keys = Object.keys(entry);
    if (keys.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `each list item must have exactly one key (found ${keys.length}: ${
          keys.map((key) => JSON.stringify(key)).join(", ") || "none"
        }); StateFun reads only the first, so write one \`- key: value\` item per property`,
      });
      return;
    }
    const value = entry[keys[0]];
    if (value === null || value === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [keys[0]],
        message: `property ${JSON.stringify(keys[0])} has no value; write ${keys[0]}: "" for an empty one`,
      });
    } else if (!["string", "number", "boolean"].includes(typeof value)) {
      ctx.addIssue({
        code: "custom",
        path: [keys[0]],
        message: `property ${JSON.stringify(keys[0])} must be a text, number or boolean, got ${
          Array.isArray(value) ? "a list" : "a map"
        }`,
      });
    }
  }),
  {
    error: "expected a list of single-key maps such as `- isolation.level: read_committed` (StateFun's format)",
  },
).transform((entries) => {
  // A null-prototype object: a property named `__proto__` is an own key, not the prototype.
  const properties: Record<string, string> = Object.create(null);
  for (const entry of entries) {
    for (const [key, value] of Object.entries(entry)) {
      properties[key] = String(value);
    }
  }
  return properties;
}).meta({
  description: "Kafka client properties as a list of single-key maps",
});
