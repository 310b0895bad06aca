/**
 * An address's state for people (the control API's state route and the test kit): built-in and JSON types decoded,
 * others as base64 with their typename.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { ValueSpec } from "./function_spec.ts";
import type { TypedValue } from "./typed_value.ts";
import { JsonType, type Type } from "./types.ts";

/** A described state value: decoded, or its bytes in base64 when its type cannot be decoded here. */
export type DescribedValue = { typename: string; value: unknown } | { typename: string; base64: string };

/** The values an address holds for the states its function declares, by state name. */
export function describeState(
  stored: ReadonlyMap<string, TypedValue>,
  specs: readonly ValueSpec[],
): Record<string, DescribedValue> {
  const values: Record<string, DescribedValue> = {};
  for (const spec of specs) {
    const typed = stored.get(spec.name);
    if (typed !== undefined) values[spec.name] = describeValue(typed, spec.type);
  }
  return values;
}

// deno-lint-ignore no-explicit-any
function describeValue(typed: TypedValue, type: Type<any>): DescribedValue {
  const builtIn = typed.typename.startsWith("io.statefun.types/");
  if ((builtIn || type instanceof JsonType) && typed.typename === type.typename) {
    const value = type.deserialize(Buffer.from(typed.value));
    return { typename: typed.typename, value: typeof value === "bigint" ? value.toString() : value };
  }
  return { typename: typed.typename, base64: Buffer.from(typed.value).toString("base64") };
}
