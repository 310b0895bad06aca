/**
 * The control API's request bodies, error shape and the history's answer, as zod schemas: they validate requests
 * and generate the OpenAPI document.
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

const series = z.array(z.number().nullable());

/** `GET /v1/history`: this instance's recent history, one value per sample time in every series (null: unknown). */
export const HistoryBody = z.object({
  instance: z.string().meta({ description: "This instance's id in the app's group." }),
  intervalMs: z.number().int().meta({ description: "The sampling interval (--history-interval)." }),
  capacity: z.number().int().meta({ description: "Samples kept at most: 15 minutes of them, at most 900." }),
  windowMs: z.number().int().meta({ description: "The time a full ring covers: capacity × interval." }),
  bytes: z.number().int().meta({
    description: "Memory of the ring's arrays: 8 × capacity × (2 + 2 × ingresses + egresses), fixed at the start.",
  }),
  at: z.array(z.number().int()).meta({ description: "Sample times, ms since the epoch, oldest first." }),
  commitMs: series.meta({ description: "Mean time of this instance's commits in each interval (null: none)." }),
  ingresses: z.array(z.object({
    id: z.string(),
    recordsPerSecond: series.meta({
      description: "Records this instance committed per second (the ingress offsets its commits advanced).",
    }),
    lag: series.meta({ description: "The ingress's lag over all its partitions (log-end − committed)." }),
  })),
  egresses: z.array(z.object({
    id: z.string(),
    recordsPerSecond: series.meta({ description: "Records this instance's functions sent per second." }),
  })),
}).meta({ description: "The last 15 minutes of this instance, sampled every --history-interval." });
