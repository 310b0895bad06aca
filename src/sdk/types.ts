/**
 * StateFun types: a typename plus how values of it become bytes. The built-in
 * types use StateFun's exact wire format (protobuf wrappers from
 * `io.statefun.sdk.types`), so values move unchanged between Eddy, the official
 * SDKs and StateFun itself.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { lastField, ProtoWriter, readFields } from "../protobuf/wire.ts";
import { bufferView } from "./bytes.ts";
import { parseSdkTypeName } from "./typename.ts";

/**
 * A StateFun type: a `<namespace>/<name>` typename and a serializer. Subclass it,
 * or use `StateFun.customType(...)`.
 */
export abstract class Type<T> {
  readonly #typename: string;

  /**
   * Creates it.
   *
   * @param typename `<namespace>/<name>`.
   */
  protected constructor(typename: string) {
    parseSdkTypeName(typename);
    this.#typename = typename;
  }

  /** The type's `<namespace>/<name>`. */
  get typename(): string {
    return this.#typename;
  }

  /** Serializes a value. */
  abstract serialize(value: T): Buffer;

  /** Deserializes bytes made by `serialize` (or by another SDK for the same typename). */
  abstract deserialize(bytes: Buffer): T;
}

/** A built-in type: a protobuf message with a single field `value = 1`. */
class WrapperType<T> extends Type<T> {
  constructor(
    typename: string,
    readonly write: (writer: ProtoWriter, value: T) => void,
    readonly read: (value: bigint | Uint8Array | undefined) => T,
  ) {
    super(typename);
  }

  serialize(value: T): Buffer {
    const writer = new ProtoWriter();
    this.write(writer, value);
    return bufferView(writer.finish());
  }

  deserialize(bytes: Buffer): T {
    return this.read(lastField(readFields(bytes), 1)?.value);
  }
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** `io.statefun.types/bool` (BooleanWrapper). */
export const BOOL_TYPE: Type<boolean> = new WrapperType<boolean>(
  "io.statefun.types/bool",
  (w, v) => w.varint(1, v),
  (v) => v !== undefined && v !== 0n,
);

/** `io.statefun.types/int` (IntWrapper, sfixed32). */
export const INT_TYPE: Type<number> = new WrapperType<number>(
  "io.statefun.types/int",
  (w, v) => {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`${v} is not a 32-bit integer`);
    w.fixed32(1, v, "sfixed32");
  },
  (v) => (v instanceof Uint8Array ? view(v).getInt32(0, true) : 0),
);

/** `io.statefun.types/long` (LongWrapper, sfixed64), as a bigint. */
export const LONG_TYPE: Type<bigint> = new WrapperType<bigint>(
  "io.statefun.types/long",
  (w, v) => w.fixed64(1, BigInt.asIntN(64, BigInt(v)), "sfixed64"),
  (v) => (v instanceof Uint8Array ? view(v).getBigInt64(0, true) : 0n),
);

/** `io.statefun.types/float` (FloatWrapper, 32-bit). */
export const FLOAT_TYPE: Type<number> = new WrapperType<number>(
  "io.statefun.types/float",
  (w, v) => w.fixed32(1, v, "float"),
  (v) => (v instanceof Uint8Array ? view(v).getFloat32(0, true) : 0),
);

/** `io.statefun.types/double` (DoubleWrapper, 64-bit). */
export const DOUBLE_TYPE: Type<number> = new WrapperType<number>(
  "io.statefun.types/double",
  (w, v) => w.fixed64(1, v, "double"),
  (v) => (v instanceof Uint8Array ? view(v).getFloat64(0, true) : 0),
);

/** `io.statefun.types/string` (StringWrapper, UTF-8). */
export const STRING_TYPE: Type<string> = new WrapperType<string>(
  "io.statefun.types/string",
  (w, v) => w.string(1, v),
  (v) => (v instanceof Uint8Array ? new TextDecoder("utf-8", { fatal: true }).decode(v) : ""),
);

/** A type whose values are JSON (UTF-8 bytes of `JSON.stringify`), as the official JS SDK's `jsonType`. */
export class JsonType<T> extends Type<T> {
  /**
   * Creates it.
   *
   * @param typename `<namespace>/<name>`.
   */
  constructor(typename: string) {
    super(typename);
  }

  /** `JSON.stringify` as UTF-8. */
  serialize(value: T): Buffer {
    return Buffer.from(JSON.stringify(value));
  }

  /** `JSON.parse` of UTF-8. */
  deserialize(bytes: Buffer): T {
    return JSON.parse(bytes.toString("utf8"));
  }
}

/** A type with user-supplied serializers. */
export class CustomType<T> extends Type<T> {
  readonly #serialize: (value: T) => Buffer;
  readonly #deserialize: (bytes: Buffer) => T;

  /**
   * Creates it.
   *
   * @param typename `<namespace>/<name>`.
   * @param serialize Value to bytes.
   * @param deserialize Bytes to value.
   */
  constructor(typename: string, serialize: (value: T) => Buffer, deserialize: (bytes: Buffer) => T) {
    super(typename);
    this.#serialize = serialize;
    this.#deserialize = deserialize;
  }

  /** Calls the user's serializer. */
  serialize(value: T): Buffer {
    return Buffer.from(this.#serialize(value));
  }

  /** Calls the user's deserializer. */
  deserialize(bytes: Buffer): T {
    return this.#deserialize(bytes);
  }
}

/** A generated protobuf class, as google-protobuf generates them. */
export interface ProtobufClass<T> {
  /** Parses bytes. */
  deserializeBinary(bytes: Uint8Array): T;
}

/** A type for google-protobuf generated messages (`value.serializeBinary()`), as the official JS SDK's `protoType`. */
export class ProtobufType<T extends { serializeBinary(): Uint8Array }> extends Type<T> {
  readonly #generated: ProtobufClass<T>;

  /**
   * Creates it.
   *
   * @param typename Usually `type.googleapis.com/<full.message.Name>`.
   * @param generated The generated class.
   */
  constructor(typename: string, generated: ProtobufClass<T>) {
    super(typename);
    this.#generated = generated;
  }

  /** `value.serializeBinary()`. */
  serialize(value: T): Buffer {
    return Buffer.from(value.serializeBinary());
  }

  /** `Class.deserializeBinary(bytes)`. */
  deserialize(bytes: Buffer): T {
    return this.#generated.deserializeBinary(bytes);
  }
}

/** Reads and writes a type's values as plain bytes, without a Buffer: the per-record path of the commonest types. */
export interface BytesCodec<T> {
  /** The value's bytes (as `serialize` makes them). */
  encode(value: T): Uint8Array;
  /** A value from its bytes (as `deserialize` reads them). */
  decode(bytes: Uint8Array): T;
}

const UTF8 = new TextEncoder();
const UTF8_TEXT = new TextDecoder("utf-8", { ignoreBOM: true });

/** IntWrapper's five bytes written and read directly (counters are the commonest state). */
const INT_CODEC: BytesCodec<number> = {
  encode(value) {
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
      throw new RangeError(`${value} is not a 32-bit integer`);
    }
    if (value === 0) return new Uint8Array(0);
    const bytes = new Uint8Array(5);
    bytes[0] = 0x0d; // field 1, fixed32
    bytes[1] = value & 0xff;
    bytes[2] = (value >>> 8) & 0xff;
    bytes[3] = (value >>> 16) & 0xff;
    bytes[4] = (value >>> 24) & 0xff;
    return bytes;
  },
  decode(bytes) {
    if (bytes.length === 5 && bytes[0] === 0x0d) {
      return bytes[1] | (bytes[2] << 8) | (bytes[3] << 16) | (bytes[4] << 24);
    }
    return INT_TYPE.deserialize(bufferView(bytes));
  },
};

const JSON_CODEC: BytesCodec<unknown> = {
  encode: (value) => UTF8.encode(JSON.stringify(value)),
  decode: (bytes) => JSON.parse(UTF8_TEXT.decode(bytes)),
};

/**
 * The byte codec of a built-in type or a JsonType (not a subclass that serializes otherwise), or undefined: then
 * `serialize` and `deserialize` apply.
 */
export function bytesCodec<T>(type: Type<T>): BytesCodec<T> | undefined {
  if (type === INT_TYPE) return INT_CODEC as unknown as BytesCodec<T>;
  if (
    type instanceof JsonType && type.serialize === JsonType.prototype.serialize &&
    type.deserialize === JsonType.prototype.deserialize
  ) return JSON_CODEC as BytesCodec<T>;
  return undefined;
}
