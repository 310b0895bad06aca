/**
 * The control API's request bodies and error shape, as zod schemas: they
 * validate requests and generate the OpenAPI document.
 *
 * @module
 */

import { z } from "../deps.ts";

/** `POST /v1/ingresses/:namespace/:name/offsets`. */
export const OffsetResetBody = z.discriminatedUnion("to", [
  z.object({ to: z.literal("earliest") }).strict(),
  z.object({ to: z.literal("latest") }).strict(),
  z.object({ to: z.literal("timestamp"), timestamp: z.number().int().nonnegative() }).strict(),
  z.object({
    to: z.literal("specific"),
    offsets: z.array(
      z.object({
        topic: z.string().min(1),
        partition: z.number().int().nonnegative(),
        offset: z.number().int().nonnegative(),
      })
        .strict(),
    ).min(1),
  }).strict(),
]).meta({ description: "Where to move the ingress's partitions (only while it is paused)." });

/** Every error: a stable code, a message, and the field for a bad body. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.enum([
      "bad-request",
      "unauthorized",
      "forbidden",
      "not-found",
      "conflict",
      "too-large",
      "unsupported-media-type",
      "internal",
      "bad-gateway",
    ]),
    message: z.string(),
    field: z.string().optional(),
  }),
});
