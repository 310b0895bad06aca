/**
 * `context.storage`: one property per declared state value. Reading
 * deserializes with the declared type; assigning null or undefined deletes.
 * Only values that were assigned become mutations.
 *
 * The accessors live on a prototype made once per function type (its list of
 * value specs), not defined again on every invocation: building the storage
 * is on the per-record path. The object is not extensible, so assigning a
 * state that was not declared throws a TypeError.
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

const VALUES = Symbol("values");
const NO_MUTATIONS: StateMutation[] = Object.freeze([]) as unknown as StateMutation[];

/** One invocation's values: the current TypedValue of each state (null: none) and which were assigned. */
class StorageValues implements AddressStorage {
  // deno-lint-ignore no-explicit-any
  readonly storage: Record<string, any>;

  constructor(
    readonly specs: readonly ValueSpec[],
    readonly current: (TypedValue | null)[],
    readonly changed: boolean[],
    Storage: new (values: StorageValues) => object,
  ) {
    this.storage = new Storage(this);
  }

  mutations(): StateMutation[] {
    let mutations: StateMutation[] | undefined;
    for (let i = 0; i < this.specs.length; i++) {
      if (!this.changed[i]) continue;
      const name = this.specs[i].name;
      const value = this.current[i];
      (mutations ??= []).push(value === null ? { name, kind: "delete" } : { name, kind: "modify", value });
    }
    return mutations ?? NO_MUTATIONS;
  }
}

/** The storage class of each spec list: its accessors on the prototype, defined once. */
const classes = new WeakMap<readonly ValueSpec[], new (values: StorageValues) => object>();

function storageClass(specs: readonly ValueSpec[]): new (values: StorageValues) => object {
  let Storage = classes.get(specs);
  if (Storage !== undefined) return Storage;
  Storage = class {
    [VALUES]: StorageValues;
    constructor(values: StorageValues) {
      this[VALUES] = values;
      Object.preventExtensions(this); // assigning an undeclared state throws a TypeError
    }
  };
  const prototype = Storage.prototype;
  specs.forEach((spec, index) => {
    Object.defineProperty(prototype, spec.name, {
      enumerable: true,
      get(this: { [VALUES]: StorageValues }) {
        const typed = this[VALUES].current[index];
        return typed === null ? null : fromTypedValue(typed, spec.type);
      },
      set(this: { [VALUES]: StorageValues }, value: unknown) {
        const values = this[VALUES];
        values.current[index] = value === null || value === undefined ? null : toTypedValue(value, spec.type);
        values.changed[index] = true;
      },
    });
  });
  classes.set(specs, Storage);
  return Storage;
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
  const current: (TypedValue | null)[] = new Array(specs.length);
  const changed: boolean[] = new Array(specs.length);
  for (let i = 0; i < specs.length; i++) {
    current[i] = values.size === 0 ? null : values.get(specs[i].name) ?? null;
    changed[i] = false;
  }
  return new StorageValues(specs, current, changed, storageClass(specs));
}
