/**
 * A JSON Schema of module spec documents, generated from the same zod schemas
 * that validate them, for YAML editors (yaml-language-server applies it to
 * every document of a file).
 *
 * @module
 */

import { z } from "../deps.ts";
import { legacyModuleSchema } from "./documents.ts";
import { httpEndpointV1Schema, httpEndpointV2Schema } from "./http_endpoint.ts";
import { kafkaEgressSchema } from "./kafka_egress.ts";
import { kafkaIngressSchema } from "./kafka_ingress.ts";

const component = <K extends string>(kind: K, spec: z.ZodType) => z.strictObject({ kind: z.literal(kind), spec });

/**
 * Returns the JSON Schema (draft 2020-12) of one module spec document: a
 * component of a supported kind, or a legacy `version: "3.0"` module.
 *
 * @example
 * ```ts
 * const schema = moduleJsonSchema();
 * schema.$schema; // "https://json-schema.org/draft/2020-12/schema"
 * ```
 */
export function moduleJsonSchema(): Record<string, unknown> {
  const document = z.union([
    component("io.statefun.endpoints.v2/http", httpEndpointV2Schema),
    component("io.statefun.endpoints.v1/http", httpEndpointV1Schema),
    component("io.statefun.kafka.v1/ingress", kafkaIngressSchema),
    component("io.statefun.kafka.v1/egress", kafkaEgressSchema),
    legacyModuleSchema,
  ]).meta({
    title: "Eddy / Apache Flink Stateful Functions module spec document",
    description: 'One document of a module.yaml: a kind/spec component, or a legacy version "3.0" module',
  });
  return z.toJSONSchema(document, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
