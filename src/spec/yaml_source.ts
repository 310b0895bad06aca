/**
 * Reads YAML text into plain values while keeping node positions, so every
 * later problem can be reported at its file:line:column.
 *
 * @module
 */

import process from "node:process";
import { type Document, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseAllDocuments } from "../deps.ts";
import type { SourceLocation, SpecIssue } from "./issues.ts";

/** A field path inside a document: keys and list indexes. */
export type FieldPath = readonly (string | number)[];

/** One YAML document of a file: its value and a way to find where a path is. */
export interface YamlDocument {
  /** The document's value as plain JSON-like data; `null` for an empty document. */
  value: unknown;
  /** Where the document starts. */
  start: SourceLocation;
  /** The location of the node at `path`, or of its deepest existing parent. */
  locate(path: FieldPath): SourceLocation;
}

/** The result of reading a file: its documents and any syntax errors. */
export interface YamlSource {
  /** The documents, in order (syntax errors leave the document out). */
  documents: YamlDocument[];
  /** YAML syntax errors, with positions. */
  issues: SpecIssue[];
}

/**
 * Parses every document of a YAML stream. YAML syntax errors (bad indentation,
 * duplicate keys, tabs …) are collected as issues rather than thrown.
 *
 * @param text The file contents.
 * @param file The file name used in locations.
 */
export function readYaml(source: string, file: string): YamlSource {
  // YAML 1.2 breaks lines at CR, LF and CRLF; the yaml library only at LF.
  const text = source.includes("\r") ? source.replace(/\r\n?/g, "\n") : source;
  const lineCounter = new LineCounter();
  const tooLarge = beyondLimits(text);
  if (tooLarge !== undefined) {
    const before = text.slice(0, tooLarge.offset);
    return {
      documents: [],
      issues: [{
        severity: "error",
        at: { file, line: before.split("\n").length, column: tooLarge.offset - before.lastIndexOf("\n") },
        path: "",
        message: tooLarge.message,
      }],
    };
  }
  const tooDeep = deepNesting(text);
  if (tooDeep !== undefined) {
    const before = text.slice(0, tooDeep);
    return {
      documents: [],
      issues: [{
        severity: "error",
        at: { file, line: before.split("\n").length, column: tooDeep - before.lastIndexOf("\n") },
        path: "",
        message: `YAML nests deeper than ${MAX_NESTING} levels here; Eddy does not read it (module specs nest a few)`,
      }],
    };
  }
  const parsed = withoutEnvironment(() =>
    parseAllDocuments(text, {
      lineCounter,
      prettyErrors: false,
      merge: true,
      // The library's own check compares every key with every other one (quadratic); duplicateKeys() is linear.
      uniqueKeys: false,
    })
  );
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (!Array.isArray(parsed)) {
    // An empty stream (or one with only comments) parses to an EmptyStream.
    return { documents: [], issues: [] };
  }
  const documents: YamlDocument[] = [];
  const issues: SpecIssue[] = [];
  for (const doc of parsed) {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        issues.push({
          severity: "error",
          at: at(error.pos[0]),
          path: "",
          message: yamlMessage(error.message),
        });
      }
      continue;
    }
    const duplicates = duplicateKeys(doc.contents);
    if (duplicates.length > 0) {
      for (const { offset, key } of duplicates) {
        issues.push({
          severity: "error",
          at: at(offset),
          path: "",
          message: `YAML syntax: Map keys must be unique (${JSON.stringify(key)} appears again)`,
        });
      }
      continue;
    }
    const start = at(doc.contents?.range?.[0] ?? doc.range[0]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      const alias = /Unresolved alias.*: (.+)$/.exec(String(error))?.[1];
      const offset = alias === undefined ? undefined : aliasOffset(doc.contents, alias.trim());
      issues.push({
        severity: "error",
        at: offset === undefined ? start : at(offset),
        path: "",
        message: yamlMessage(String(error)),
      });
      continue;
    }
    documents.push({
      value: value ?? null,
      start,
      locate: (path) => {
        const range = locateNode(doc, path);
        return range === undefined ? start : at(range);
      },
    });
  }
  return { documents, issues };
}

function yamlMessage(message: string): string {
  if (message.includes("Maximum call stack size exceeded")) return "YAML nests too deep for Eddy to read";
  // The yaml library appends the position and a code excerpt; the location is reported separately.
  return `YAML syntax: ${message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`;
}

/** Finds the start offset of the node at `path`, or of its deepest existing ancestor (the key, for a missing field). */
function locateNode(doc: Document, path: FieldPath): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(doc.contents);
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = keyIndex(node).get(String(segment));
      if (pair === undefined) return offset;
      // A scalar value is the most precise place; for a missing or nested value, the key's line is.
      const last = index === path.length - 1;
      offset = (last && isScalar(pair.value) ? rangeStart(pair.value) : undefined) ??
        rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (
      isSeq(node) && typeof segment === "number" && segment < node.items.length
    ) {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

type Pair = { key: unknown; value: unknown };
const keyIndexes = new WeakMap<object, Map<string, Pair>>();

const MAX_NESTING = 256;

/**
 * The most lines plus flow-list and flow-map separators (`,`) a spec may have: an upper bound of its YAML nodes, each
 * of which takes a few hundred bytes once parsed. StateFun's specs have a few hundred; 100 000 validate within
 * 512 MiB and a few seconds (bench/spec_limits.ts), 130 000 topics took 1.1 GiB before the limit.
 */
export const MAX_SPEC_ITEMS = 100_000;

/** The most characters of spec text (the text itself, when a spec is given as text: files are checked by size). */
export const MAX_SPEC_CHARS = 4 * 1024 * 1024;

/** Where the text goes past MAX_SPEC_CHARS or MAX_SPEC_ITEMS, and what to say, or undefined within both. */
function beyondLimits(text: string): { offset: number; message: string } | undefined {
  if (text.length > MAX_SPEC_CHARS) {
    return {
      offset: MAX_SPEC_CHARS,
      message: `the spec has ${text.length} characters, more than Eddy reads (${MAX_SPEC_CHARS}: module specs have a ` +
        "few thousand)",
    };
  }
  let items = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code === 10 || code === 44) && ++items > MAX_SPEC_ITEMS) {
      return {
        offset: i,
        message: `the spec has more than ${MAX_SPEC_ITEMS} lines and list items (counted to here), more than Eddy ` +
          "reads: module specs have a few hundred",
      };
    }
  }
  return undefined;
}

/** The offset where flow collections (`[`, `{`) nest deeper than MAX_NESTING, outside quotes and comments. */
function deepNesting(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
      else if (c === "\n" && quote === "#") quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) quote = "#";
    else if (c === "[" || c === "{") {
      if (++depth > MAX_NESTING) return i;
    } else if (c === "]" || c === "}") depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** Where an alias `*name` stands in a document (iterative walk). */
function aliasOffset(root: unknown, name: string): number | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node) && node.source === name) return rangeStart(node);
    if (isMap(node)) { for (const item of node.items) stack.push(item.value, item.key); }
    else if (isSeq(node)) { for (const item of node.items) stack.push(item); }
  }
  return undefined;
}

/** Keys that repeat in a mapping, anywhere in a document, in one pass (no recursion: deep nesting cannot overflow). */
function duplicateKeys(root: unknown): { offset: number; key: string }[] {
  const found: { offset: number; key: string }[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        if (isScalar(item.key)) {
          const key = String(item.key.value);
          if (seen.has(key)) found.push({ offset: rangeStart(item.key) ?? 0, key });
          seen.add(key);
        }
        stack.push(item.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

/** A mapping's pairs by key, built once per mapping: a lookup per warning stays linear in the document's size. */
function keyIndex(node: { items: Pair[] }): Map<string, Pair> {
  let index = keyIndexes.get(node);
  if (index === undefined) {
    index = new Map();
    for (const item of node.items) {
      if (isScalar(item.key) && !index.has(String(item.key.value))) index.set(String(item.key.value), item);
    }
    keyIndexes.set(node, index);
  }
  return index;
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[0] : undefined;
}

/**
 * Runs a synchronous parse with `process.env` as an empty object. The yaml library reads `process.env.LOG_TOKENS`
 * for every token and `LOG_STREAM` for every document; under Deno each read is a call into the runtime, 15% of a
 * 20 MB file's parse. Nothing else runs while a synchronous call does, so no other code sees the empty object.
 */
function withoutEnvironment<T>(parse: () => T): T {
  const descriptor = Object.getOwnPropertyDescriptor(process, "env");
  if (descriptor === undefined || !descriptor.configurable) return parse();
  Object.defineProperty(process, "env", { ...descriptor, value: {} });
  try {
    return parse();
  } finally {
    Object.defineProperty(process, "env", descriptor);
  }
}
