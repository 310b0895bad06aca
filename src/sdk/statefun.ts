/**
 * `StateFun`: where functions are bound, and the factories of StateFun types,
 * as in the official JS SDK — a function module written for it runs in Eddy by
 * changing its import.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { type FunctionOpts, FunctionSpec } from "./function_spec.ts";
import {
  BOOL_TYPE,
  CustomType,
  DOUBLE_TYPE,
  FLOAT_TYPE,
  INT_TYPE,
  JsonType,
  LONG_TYPE,
  type ProtobufClass,
  ProtobufType,
  STRING_TYPE,
  type Type,
} from "./types.ts";

/**
 * A set of bound functions.
 *
 * @example
 * ```ts
 * const statefun = new StateFun();
 * statefun.bind({
 *   typename: "com.example/greeter",
 *   specs: [{ name: "seen", type: StateFun.intType() }],
 *   fn(context, message) {
 *     context.storage.seen = (context.storage.seen ?? 0) + 1;
 *   },
 * });
 * statefun.functionSpec("com.example/greeter")?.valueSpecs.length; // 1
 * ```
 */
export class StateFun {
  readonly #functions = new Map<string, FunctionSpec>();

  /**
   * Binds a function type (a later bind of the same typename replaces it, as in the official SDK).
   *
   * @throws {TypeError} for an invalid binding.
   */
  bind(opts: FunctionOpts): void {
    const spec = FunctionSpec.fromOpts(opts);
    this.#functions.set(spec.typename, spec);
  }

  /** The binding of a function type, if any. */
  functionSpec(typename: string): FunctionSpec | undefined {
    return this.#functions.get(typename);
  }

  /** Every bound function type. */
  get typenames(): string[] {
    return [...this.#functions.keys()];
  }

  /** `io.statefun.types/int`. */
  static intType(): Type<number> {
    return INT_TYPE;
  }

  /** `io.statefun.types/long`, as bigint (not in the official JS SDK; as the other SDKs). */
  static longType(): Type<bigint> {
    return LONG_TYPE;
  }

  /** `io.statefun.types/string`. */
  static stringType(): Type<string> {
    return STRING_TYPE;
  }

  /** `io.statefun.types/bool`. */
  static booleanType(): Type<boolean> {
    return BOOL_TYPE;
  }

  /** `io.statefun.types/float`. */
  static floatType(): Type<number> {
    return FLOAT_TYPE;
  }

  /** `io.statefun.types/double` (not in the official JS SDK; as the other SDKs). */
  static doubleType(): Type<number> {
    return DOUBLE_TYPE;
  }

  /** A JSON type with this typename. */
  static jsonType<T>(typename: string): Type<T> {
    return new JsonType<T>(typename);
  }

  /** A type for google-protobuf generated messages. */
  static protoType<T extends { serializeBinary(): Uint8Array }>(
    typename: string,
    generated: ProtobufClass<T>,
  ): Type<T> {
    return new ProtobufType(typename, generated);
  }

  /** A type with your own serializers. */
  static customType<T>(typename: string, serialize: (value: T) => Buffer, deserialize: (bytes: Buffer) => T): Type<T> {
    return new CustomType(typename, serialize, deserialize);
  }
}
