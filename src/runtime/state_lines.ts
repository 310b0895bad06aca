/**
 * The state file of `eddy state export` and `eddy state import`: one JSON line per state value of an address (NDJSON),
 * `{"function", "id", "state", "typename", "value", "readable"?, "writtenAt"?, "calledAt"?}`. `value` is the value's
 * bytes in base64 and is what an import writes; `readable` shows built-in and JSON values to people (an import ignores
 * it). The parser checks every line before anything is written and names each bad one by its line number, so a file
 * either imports whole or not at all. docs/operations.md describes the file.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { taskOfId } from "./routing.ts";
import { Address } from "../sdk/address.ts";
import {
  decodeChangelogKey,
  decodeStateEntry,
  encodeChangelogKey,
  encodeStateEntry,
} from "../state/changelog_record.ts";
import { BOOL_TYPE, DOUBLE_TYPE, FLOAT_TYPE, INT_TYPE, LONG_TYPE, STRING_TYPE, type Type } from "../sdk/types.ts";

/** One state value of one address. */
export interface StateLine {
  /** The function type, `ns/name`. */
  function: string;
  /** The address id. */
  id: string;
  /** The state's name (the function's ValueSpec). */
  state: string;
  /** The value's typename. */
  typename: string;
  /** The value's bytes. */
  value: Uint8Array;
  /** When it was last written (epoch ms; the import's time when the line does not say). */
  writtenAt?: number;
  /** When its address was last called (epoch ms; the import's time when the line does not say). */
  calledAt?: number;
}

/** A line that cannot be imported. */
export interface StateLineIssue {
  /** 1-based. */
  line: number;
  /** What is wrong. */
  message: string;
}

// deno-lint-ignore no-explicit-any
const BUILT_IN = new Map<string, Type<any>>(
  [INT_TYPE, LONG_TYPE, STRING_TYPE, BOOL_TYPE, FLOAT_TYPE, DOUBLE_TYPE].map((type) => [type.typename, type]),
);

/** A state value as one line of the file (no newline). */
export function formatStateLine(line: StateLine): string {
  const readable = readableValue(line.typename, line.value);
  return JSON.stringify({
    function: line.function,
    id: line.id,
    state: line.state,
    typename: line.typename,
    value: Buffer.from(line.value).toString("base64"),
    ...(readable === undefined ? {} : { readable: readable.value }),
    ...(line.writtenAt === undefined ? {} : { writtenAt: line.writtenAt }),
    ...(line.calledAt === undefined ? {} : { calledAt: line.calledAt }),
  });
}

/**
 * A value for people: a built-in type decoded, or a JSON document; undefined for other bytes (protobuf, custom).
 * A long is given as a string (JSON numbers lose its precision).
 */
export function readableValue(typename: string, bytes: Uint8Array): { value: unknown } | undefined {
  const builtIn = BUILT_IN.get(typename);
  try {
    if (builtIn !== undefined) {
      const value = builtIn.deserialize(Buffer.from(bytes));
      return { value: typeof value === "bigint" ? value.toString() : value };
    }
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    if (!/^\s*[[{"]/.test(text)) return undefined; // JSON documents only, not bare numbers that may be other bytes
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

const TYPENAME = /^[^/\s]+\/[^/\s]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads a whole state file: every line checked (blank lines skipped).
 *
 * @returns the lines, or every issue with its line number when any line is bad.
 */
export function parseStateLines(text: string): { lines: StateLine[]; issues: StateLineIssue[] } {
  const lines: StateLine[] = [];
  const issues: StateLineIssue[] = [];
  const seen = new Map<string, number>();
  text.split("\n").forEach((raw, index) => {
    const number = index + 1;
    if (raw.trim() === "") return;
    const issue = (message: string) => issues.push({ line: number, message });
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      return issue(`not JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return issue("not a JSON object");
    const fields = parsed as Record<string, unknown>;
    for (const name of ["function", "id", "state", "typename", "value"]) {
      if (typeof fields[name] !== "string") return issue(`"${name}" must be a string`);
    }
    const line = fields as unknown as Record<"function" | "id" | "state" | "typename" | "value", string>;
    if (!TYPENAME.test(line.function)) {
      return issue(`"function" must be a type "namespace/name", got "${line.function}"`);
    }
    if (!TYPENAME.test(line.typename)) return issue(`"typename" must be "namespace/name", got "${line.typename}"`);
    if (line.state === "") return issue(`"state" must not be empty`);
    if (!BASE64.test(line.value) || line.value.length % 4 !== 0) return issue(`"value" must be base64`);
    for (const name of ["writtenAt", "calledAt"]) {
      const time = fields[name];
      if (time !== undefined && (!Number.isSafeInteger(time) || (time as number) < 0)) {
        return issue(`"${name}" must be epoch milliseconds (a whole number ≥ 0)`);
      }
    }
    const key = JSON.stringify([line.function, line.id, line.state]);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      return issue(`state "${line.state}" of ${line.function}/${line.id} is also on line ${earlier}`);
    }
    seen.set(key, number);
    lines.push({
      function: line.function,
      id: line.id,
      state: line.state,
      typename: line.typename,
      value: new Uint8Array(Buffer.from(line.value, "base64")),
      ...(fields.writtenAt === undefined ? {} : { writtenAt: fields.writtenAt as number }),
      ...(fields.calledAt === undefined ? {} : { calledAt: fields.calledAt as number }),
    });
  });
  return { lines: issues.length === 0 ? lines : [], issues };
}

/**
 * The state line of a live changelog record; undefined for timers, pending messages and tombstones.
 *
 * @throws {ProtoDecodeError} for bytes that are not a changelog record.
 */
export function stateLineOfRecord(key: Uint8Array, value: Uint8Array | null): StateLine | undefined {
  if (value === null) return undefined;
  const decoded = decodeChangelogKey(key);
  if (decoded.kind !== "state") return undefined;
  const entry = decodeStateEntry(value);
  return {
    function: decoded.address.typename,
    id: decoded.address.id,
    state: decoded.name,
    typename: entry.value.typename,
    value: entry.value.value,
    writtenAt: entry.writtenAt,
    calledAt: entry.calledAt,
  };
}

/** The changelog record of a state line, in the partition of its address's task (`now` for missing times). */
export function recordOfStateLine(
  line: StateLine,
  taskCount: number,
  now: number,
): { partition: number; key: Uint8Array; value: Uint8Array } {
  return {
    partition: taskOfId(line.id, taskCount),
    key: encodeChangelogKey({
      kind: "state",
      address: Address.fromTypeNameId(line.function, line.id),
      name: line.state,
    }),
    value: encodeStateEntry({
      value: { typename: line.typename, hasValue: true, value: line.value },
      writtenAt: line.writtenAt ?? now,
      calledAt: line.calledAt ?? now,
    }),
  };
}
