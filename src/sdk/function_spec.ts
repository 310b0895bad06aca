/**
 * What `StateFun.bind` records: a function type, its code and its declared
 * state values, checked as the official JS SDK checks them.
 *
 * @module
 */

import type { Context } from "./context.ts";
import type { Message } from "./message.ts";
import { parseSdkTypeName } from "./typename.ts";
import type { Type } from "./types.ts";

/** A declared state value: `{ name, type, expireAfterCall? | expireAfterWrite? }` (milliseconds). */
export interface ValueSpecOpts {
  /** Lower-case letters and `_` only. */
  name: string;
  /** The value's type. */
  // deno-lint-ignore no-explicit-any
  type: Type<any>;
  /** Delete the value this long after the address was last called. */
  expireAfterCall?: number;
  /** Delete the value this long after it was last written. */
  expireAfterWrite?: number;
}

/** A stateful function: `(context, message)`, may be async. */
export type JsStatefulFunction = (context: Context, message: Message) => void | Promise<void>;

/** What `bind` takes. */
export interface FunctionOpts {
  /** `<namespace>/<name>` of the function type. */
  typename: string;
  /** The function. */
  fn: JsStatefulFunction;
  /** Its state values. */
  specs?: ValueSpecOpts[];
}

/** A checked state declaration; a TTL of -1 means none. */
export class ValueSpec implements ValueSpecOpts {
  /**
   * Creates it.
   *
   * @param name State name.
   * @param type State type.
   * @param expireAfterCall TTL after the last call, ms (-1: none).
   * @param expireAfterWrite TTL after the last write, ms (-1: none).
   */
  constructor(
    readonly name: string,
    // deno-lint-ignore no-explicit-any
    readonly type: Type<any>,
    readonly expireAfterCall: number = -1,
    readonly expireAfterWrite: number = -1,
  ) {}

  /**
   * Checks and builds a ValueSpec.
   *
   * @throws {TypeError} for a missing or invalid name, a missing type or a non-integer TTL.
   */
  static fromOpts({ name, type, expireAfterCall, expireAfterWrite }: ValueSpecOpts): ValueSpec {
    if (typeof name !== "string" || name === "") throw new TypeError("missing name");
    if (!/^[_a-z]+$/.test(name)) {
      throw new TypeError(`invalid state name "${name}": only lower-case letters a-z and _ are allowed`);
    }
    if (type === undefined || type === null) throw new TypeError(`missing type for state "${name}"`);
    for (const [field, value] of [["expireAfterCall", expireAfterCall], ["expireAfterWrite", expireAfterWrite]]) {
      if (value != null && !Number.isInteger(value)) {
        throw new TypeError(`${field} of state "${name}" is not an integer`);
      }
    }
    if (expireAfterCall != null && expireAfterWrite != null && expireAfterCall >= 0 && expireAfterWrite >= 0) {
      throw new TypeError(`state "${name}" can expire after call or after write, not both`);
    }
    return new ValueSpec(name, type, expireAfterCall ?? -1, expireAfterWrite ?? -1);
  }
}

/** A checked function binding. */
export class FunctionSpec {
  /**
   * Creates it.
   *
   * @param typename `<namespace>/<name>`.
   * @param fn The function.
   * @param valueSpecs Its state values.
   */
  constructor(readonly typename: string, readonly fn: JsStatefulFunction, readonly valueSpecs: ValueSpec[]) {}

  /**
   * Checks and builds a FunctionSpec.
   *
   * @throws {TypeError} for a bad typename, a missing function or a state declared twice.
   */
  static fromOpts({ typename, fn, specs }: FunctionOpts): FunctionSpec {
    parseSdkTypeName(typename);
    if (typeof fn !== "function") throw new TypeError(`missing function instance for ${typename}`);
    const valueSpecs = (specs ?? []).map((spec) => ValueSpec.fromOpts(spec));
    const seen = new Set<string>();
    for (const { name } of valueSpecs) {
      if (seen.has(name)) throw new TypeError(`state "${name}" of ${typename} is already defined`);
      seen.add(name);
    }
    return new FunctionSpec(typename, fn, valueSpecs);
  }
}
