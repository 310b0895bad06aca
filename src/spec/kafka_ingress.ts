/**
 * `io.statefun.kafka.v1/ingress`: topics, their value type and target
 * functions, startup position and Kafka client properties, with StateFun's
 * defaults and checks; and Eddy's own `carryHeaders`.
 *
 * @module
 */

import { z } from "../deps.ts";
import type { ComponentScope } from "./component.ts";
import { kafkaPropertiesField, nonEmptyTextField, typeNameField } from "./fields.ts";
import type { KafkaIngressSpec } from "./model.ts";
import { startupPositionField } from "./startup_position.ts";

const topicField = z.strictObject({
  topic: nonEmptyTextField,
  valueType: z.string().min(1, "must not be empty").meta({
    description: "The typename the record value is passed as, e.g. io.statefun.types/string",
  }),
  targets: z.array(typeNameField).min(1),
});

/** The input schema of an ingress spec. */
export const kafkaIngressSchema = z.strictObject({
  id: typeNameField,
  address: nonEmptyTextField.optional().meta({
    description: "Bootstrap servers (host:port, comma separated)",
  }),
  consumerGroupId: nonEmptyTextField.optional(),
  topics: z.array(topicField).min(
    1,
    "Must define at least one Kafka topic to consume from",
  ),
  autoOffsetResetPosition: z.string().transform((text, ctx) => {
    const position = text.toLowerCase();
    if (position === "earliest" || position === "latest") return position;
    ctx.addIssue({
      code: "custom",
      message: `invalid autoOffsetResetPosition "${text}"; valid values are [earliest, latest]`,
    });
    return z.NEVER;
  }).optional(),
  startupPosition: startupPositionField.optional(),
  properties: kafkaPropertiesField.optional(),
  carryHeaders: z.array(nonEmptyTextField).meta({
    description: "Eddy's own field (StateFun ignores it): header names copied from each record of this ingress onto " +
      "every egress record its processing writes, through messages, delays and remote functions",
  }).optional(),
});

/** Parses an ingress spec; problems go to `scope`. */
export function parseKafkaIngress(
  scope: ComponentScope,
): KafkaIngressSpec | undefined {
  const spec = scope.parse(kafkaIngressSchema, scope.component.spec);
  if (spec === undefined) return undefined;
  const properties = spec.properties ?? {};
  const address = named(
    scope,
    spec.address,
    "address",
    properties,
    "bootstrap.servers",
  );
  const consumerGroupId = named(
    scope,
    spec.consumerGroupId,
    "consumerGroupId",
    properties,
    "group.id",
  );
  if (address === undefined) {
    scope.error(
      ["address"],
      "missing setting for the Kafka address: set `address` (or the bootstrap.servers property)",
    );
  }
  if (consumerGroupId === undefined) {
    scope.error(
      ["consumerGroupId"],
      "missing setting for the consumer group id: set `consumerGroupId` (or the group.id property)",
    );
  }
  if ("auto.offset.reset" in properties) {
    scope.warn(
      ["properties"],
      "property auto.offset.reset is overridden by autoOffsetResetPosition (default latest), as in StateFun",
    );
  }
  const topics = new Map<string, number>();
  spec.topics.forEach(({ topic }, index) => {
    const first = topics.get(topic);
    if (first === undefined) topics.set(topic, index);
    else {
      scope.error(
        ["topics", index, "topic"],
        `topic "${topic}" is already listed at topics[${first}]; merge their targets into one entry`,
      );
    }
  });
  const startupPosition = spec.startupPosition ?? { type: "latest" };
  if (startupPosition.type === "specific-offsets") {
    startupPosition.offsets.forEach(({ topic, partition }, index) => {
      if (!topics.has(topic)) {
        scope.error(
          ["startupPosition", "offsets", index],
          `offset for ${topic}/${partition}, but this ingress does not consume topic "${topic}"`,
        );
      }
    });
  }
  const carryHeaders = [...new Set(spec.carryHeaders ?? [])];
  spec.carryHeaders?.forEach((name, index) => {
    if (spec.carryHeaders!.indexOf(name) < index) {
      scope.warn(["carryHeaders", index], `header "${name}" is listed twice`);
    }
  });
  if (
    address === undefined || consumerGroupId === undefined ||
    topics.size < spec.topics.length
  ) return undefined;
  return {
    kind: "io.statefun.kafka.v1/ingress",
    id: spec.id,
    address,
    consumerGroupId,
    topics: spec.topics,
    startupPosition,
    autoOffsetResetPosition: spec.autoOffsetResetPosition ?? "latest",
    properties,
    carryHeaders,
    at: scope.component.at,
  };
}

/** A named field wins over the same Kafka property (StateFun's precedence); says so when both are set. */
function named(
  scope: ComponentScope,
  value: string | undefined,
  field: string,
  properties: Record<string, string>,
  property: string,
): string | undefined {
  if (
    value !== undefined && property in properties &&
    properties[property] !== value
  ) {
    scope.warn(
      ["properties"],
      `property ${property}=${properties[property]} is overridden by ${field}: ${value}`,
    );
  }
  return value ?? properties[property];
}
