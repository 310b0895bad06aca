/**
 * The npm packages Eddy uses (except kafkajs, which only src/kafka/ imports),
 * pinned in one place. Full `npm:` specifiers so `deno run https://…/mod.ts`
 * resolves them without the project's deno.json.
 *
 * @module
 */

export { type Document, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseAllDocuments } from "npm:yaml@2.9.1";
export { z } from "npm:zod@4.6.7";

// Decompression of records that Java producers write with snappy, lz4 or zstd (kafkajs decodes only gzip).
// Pure JavaScript, so they run under Deno and in a `deno compile` binary without native addons.
export { default as snappy } from "npm:snappyjs@0.7.0";
export { decompress as lz4Decompress } from "npm:lz4js@0.2.0";
export { decompress as zstdDecompress } from "npm:fzstd@0.1.1";

// The control API.
export { Hono } from "npm:hono@4.13.19";
export type { Context as HonoContext, MiddlewareHandler } from "npm:hono@4.13.19";
export { bodyLimit } from "npm:hono@4.13.19/body-limit";
