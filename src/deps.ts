/**
 * The npm packages Eddy uses (except kafkajs, which only src/kafka/ imports),
 * pinned in one place. Full `npm:` specifiers so `deno run https://…/mod.ts`
 * resolves them without the project's deno.json.
 *
 * @module
 */

export { type Document, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseAllDocuments } from "npm:yaml@2.9.1";
export { z } from "npm:zod@4.6.7";
