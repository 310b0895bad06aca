/**
 * Buffers over bytes Eddy already holds: kafkajs and the SDK's types take Node Buffers, and copying each value into
 * one showed in profiles.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** A Buffer over the same bytes (no copy: neither side may change them). */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
