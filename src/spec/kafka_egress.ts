/**
 * `io.statefun.kafka.v1/egress`: where egress records go and with which
 * delivery semantic, with StateFun's defaults and checks.
 *
 * @module
 */

import { z } from "../deps.ts";
import type { ComponentScope } from "./component.ts";
import { durationField, kafkaPropertiesField, nonEmptyTextField, typeNameField } from "./fields.ts";
import type { DeliverySemantic, KafkaEgressSpec } from "./model.ts";

/** The delivery semantic types, in StateFun's order. */
export const DELIVERY_SEMANTIC_TYPES = [
  "at-least-once",
  "exactly-once",
  "none",
] as const;

const millisField = z.custom<number | string>((value) => typeof value === "number" || typeof value === "string", {
  error: "transactionTimeoutMillis takes a whole number of milliseconds",
}).transform((value, ctx) => {
  const text = String(value).trim();
  if (typeof value === "string" && !/^-?\d+$/.test(text)) {
    ctx.addIssue({
      code: "custom",
      message: `transactionTimeoutMillis takes a number of milliseconds; for a duration such as ${
        JSON.stringify(value)
      } use transactionTimeout`,
    });
    return z.NEVER;
  }
  const millis = Number(value);
  if (Number.isFinite(millis) && Math.abs(millis) <= Number.MAX_SAFE_INTEGER && !Number.isInteger(millis)) {
    ctx.addIssue({
      code: "custom",
      message: `transactionTimeoutMillis takes a whole number of milliseconds, got ${text}`,
    });
    return z.NEVER;
  }
  if (!Number.isSafeInteger(millis)) {
    // Java's Long.parseLong refuses more than 2^63-1; Eddy holds milliseconds exactly up to 2^53-1 (285 616 years).
    ctx.addIssue({
      code: "custom",
      message: `transactionTimeoutMillis must be at most ${Number.MAX_SAFE_INTEGER} ms, got ${
        !Number.isFinite(millis) || text.length > 40 ? "a larger number" : text
      }`,
    });
    return z.NEVER;
  }
  return millis;
});

/** The input schema of an egress spec. */
export const kafkaEgressSchema = z.strictObject({
  id: typeNameField,
  address: nonEmptyTextField.meta({
    description: "Bootstrap servers (host:port, comma separated)",
  }),
  deliverySemantic: z.strictObject({
    type: z.enum(DELIVERY_SEMANTIC_TYPES, {
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : `invalid delivery semantic type ${JSON.stringify(issue.input)}; valid types are [${
            DELIVERY_SEMANTIC_TYPES.join(", ")
          }]`,
    }),
    transactionTimeout: durationField.optional(),
    transactionTimeoutMillis: millisField.optional().meta({
      description: "Deprecated: use transactionTimeout",
    }),
  }).optional(),
  properties: kafkaPropertiesField.optional(),
});

/** Parses an egress spec; problems go to `scope`. */
export function parseKafkaEgress(
  scope: ComponentScope,
): KafkaEgressSpec | undefined {
  const spec = scope.parse(kafkaEgressSchema, scope.component.spec);
  if (spec === undefined) return undefined;
  const properties = spec.properties ?? {};
  if (
    "bootstrap.servers" in properties &&
    properties["bootstrap.servers"] !== spec.address
  ) {
    scope.warn(
      ["properties"],
      `property bootstrap.servers is overridden by address: ${spec.address}`,
    );
  }
  const semantic = deliverySemantic(scope, spec.deliverySemantic);
  if (semantic === undefined) return undefined;
  return {
    kind: "io.statefun.kafka.v1/egress",
    id: spec.id,
    address: spec.address,
    deliverySemantic: semantic,
    properties,
    at: scope.component.at,
  };
}

function deliverySemantic(
  scope: ComponentScope,
  input: z.output<typeof kafkaEgressSchema>["deliverySemantic"],
): DeliverySemantic | undefined {
  if (input === undefined) return { type: "at-least-once" };
  const { type, transactionTimeout, transactionTimeoutMillis } = input;
  if (type !== "exactly-once") {
    if (
      transactionTimeout !== undefined || transactionTimeoutMillis !== undefined
    ) {
      scope.warn(
        ["deliverySemantic"],
        `a transaction timeout is ignored with delivery ${type}`,
      );
    }
    return { type };
  }
  // StateFun reads transactionTimeoutMillis first.
  if (
    transactionTimeoutMillis !== undefined && transactionTimeout !== undefined
  ) {
    scope.warn(
      ["deliverySemantic", "transactionTimeout"],
      "ignored because transactionTimeoutMillis is also set (StateFun reads transactionTimeoutMillis first)",
    );
  }
  const timeoutMs = transactionTimeoutMillis ?? transactionTimeout;
  const field = transactionTimeoutMillis !== undefined ? "transactionTimeoutMillis" : "transactionTimeout";
  if (timeoutMs === undefined) {
    scope.error(
      ["deliverySemantic"],
      "exactly-once needs a transactionTimeout (e.g. transactionTimeout: 1min)",
    );
    return undefined;
  }
  if (timeoutMs <= 0) {
    scope.error(
      ["deliverySemantic", field],
      "transaction timeout durations must be larger than 0 when using exactly-once producer semantics",
    );
    return undefined;
  }
  return { type, transactionTimeoutMs: timeoutMs };
}
