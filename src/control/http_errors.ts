/**
 * The control API's errors over HTTP: one JSON shape `{ error: { code, message, field? } }`, a status per code, and
 * the runtime's operation errors mapped to them.
 *
 * @module
 */

import type { HonoContext, z } from "../deps.ts";
import { OperationError } from "../runtime/errors.ts";
import type { ErrorBody } from "./schemas.ts";

/** A stable error code of the control API. */
export type ErrorCode = z.infer<typeof ErrorBody>["error"]["code"];

const STATUS: Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500 | 502> = {
  "bad-request": 400,
  unauthorized: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  "too-large": 413,
  "unsupported-media-type": 415,
  internal: 500,
  "bad-gateway": 502,
};

/** The error response of a code, with a message and, for a bad body, the field. */
export function fail(c: HonoContext, code: ErrorCode, message: string, field?: string): Response {
  return c.json({ error: { code, message, ...(field === undefined ? {} : { field }) } }, STATUS[code]);
}

/** The response for an error a route threw: an operation error's kind, or `internal`. */
export function errorResponse(c: HonoContext, error: unknown): Response {
  if (error instanceof OperationError) return fail(c, error.kind, error.message);
  return fail(c, "internal", error instanceof Error ? error.message : String(error));
}
