/**
 * `context.storage`: one property per declared state value. Reading
 * deserializes with the declared type; assigning null or undefined deletes.
 * Only values that were assigned become mutations.
 *
 * @module
 */

import { fromTypedValue, toTypedValue, type TypedValue } from "./typed_value.ts";
import type { ValueSpec } from "./function_spec.ts";

/** A change to one state value after an invocation. */
export type StateMutation =
  | { name: string; kind: "delete" }
  | { name: string; kind: "modify"; value: TypedValue };

/** The storage object handed to a function, and the mutations it collected. */
export interface AddressStorage {
  /** The object with one accessor property per state. */
  // deno-lint-ignore no-explicit-any
  storage: Record<string, any>;
  /** The mutations so far, one per assigned state (the last assignment wins). */
  mutations(): StateMutation[];
}

/**
 * Builds the storage of one address from its current values.
 *
 * @param specs The function type's declared states.
 * @param values Current values by state name (absent: no value).
 */
export function createAddressStorage(
  specs: readonly ValueSpec[],
  values: ReadonlyMap<string, TypedValue>,
): AddressStorage {
  const current = new Map<string, TypedValue | null>();
  const changed = new Set<string>();
  const storage = Object.create(null);
  for (const spec of specs) {
    current.set(spec.name, values.get(spec.name) ?? null);
    Object.defineProperty(storage, spec.name, {
      enumerable: true,
      get: () => {
        const typed = current.get(spec.name);
        return typed === null || typed === undefined ? null : fromTypedValue(typed, spec.type);
      },
      set: (value: unknown) => {
        current.set(spec.name, value === null || value === undefined ? null : toTypedValue(value, spec.type));
        changed.add(spec.name);
      },
    });
  }
  return {
    storage: Object.seal(storage),
    mutations: () =>
      [...changed].map((name): StateMutation => {
        const value = current.get(name);
        return value === null || value === undefined ? { name, kind: "delete" } : { name, kind: "modify", value };
      }),
  };
}
