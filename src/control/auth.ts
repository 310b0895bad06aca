/**
 * Bearer-token checks of the control API: constant-time comparison, and the
 * rule for which routes need the token (mutating ones always; every route when
 * the API is bound to a non-loopback address).
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";

const UTF8 = new TextEncoder();

/** Whether `header` is `Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = UTF8.encode(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const expected = UTF8.encode(token);
  // Compare equal-length buffers so the time does not depend on where they differ.
  const padded = new Uint8Array(expected.length);
  padded.set(given.subarray(0, expected.length));
  return timingSafeEqual(padded, expected) && given.length === expected.length;
}

/** Whether a hostname is loopback. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname === "[::1]" || /^127\./.test(hostname);
}
