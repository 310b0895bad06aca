/**
 * TypedValue: a typename and the bytes of a value (`io.statefun.sdk.reqreply.TypedValue`:
 * typename = 1, has_value = 2, value = 3). Messages, state values and egress
 * records all travel as TypedValues.
 *
 * @module
 */

import { bufferView } from "./bytes.ts";
import { lastField, ProtoWriter, readFields, stringField } from "../protobuf/wire.ts";
import { bytesCodec, type Type } from "./types.ts";

/** A typename and, unless empty, the value's bytes. */
export interface TypedValue {
  /** The value's typename. */
  typename: string;
  /** False for an absent value (a deleted state, for example). */
  hasValue: boolean;
  /** The value's bytes (empty when `hasValue` is false). */
  value: Uint8Array;
}

/** Serializes a value with its type; null or undefined give an empty TypedValue. */
export function toTypedValue<T>(value: T | null | undefined, type: Type<T>): TypedValue {
  if (value === null || value === undefined) {
    return { typename: type.typename, hasValue: false, value: new Uint8Array() };
  }
  const codec = bytesCodec(type);
  if (codec !== undefined) return { typename: type.typename, hasValue: true, value: codec.encode(value) };
  const bytes = type.serialize(value);
  // A buffer of its own is kept as it is (a plain view); one in a shared pool is copied out of it.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return {
    typename: type.typename,
    hasValue: true,
    value: own ? new Uint8Array(bytes.buffer, 0, bytes.byteLength) : new Uint8Array(bytes),
  };
}

/**
 * Reads a TypedValue with a type: null when it has no value.
 *
 * @throws {TypeError} when the typenames differ.
 */
export function fromTypedValue<T>(typed: TypedValue, type: Type<T>): T | null {
  if (!typed.hasValue) return null;
  if (typed.typename !== type.typename) {
    throw new TypeError(`type mismatch: ${typed.typename} is not of type ${type.typename}`);
  }
  const codec = bytesCodec(type);
  return codec === undefined ? type.deserialize(bufferView(typed.value)) : codec.decode(typed.value);
}

/** Encodes a TypedValue as protobuf. */
export function encodeTypedValue(typed: TypedValue): Uint8Array {
  return new ProtoWriter().string(1, typed.typename).varint(2, typed.hasValue).bytes(3, typed.value).finish();
}

/** Writes a TypedValue as the embedded message `field` of `writer` (in place: no copy). */
export function writeTypedValue(writer: ProtoWriter, field: number, typed: TypedValue): ProtoWriter {
  const start = writer.begin(field);
  return writer.string(1, typed.typename).varint(2, typed.hasValue).bytes(3, typed.value).end(start);
}

/** Decodes a protobuf TypedValue. */
export function decodeTypedValue(bytes: Uint8Array): TypedValue {
  const fields = readFields(bytes);
  const value = lastField(fields, 3)?.value;
  return {
    typename: stringField(fields, 1),
    hasValue: (lastField(fields, 2)?.value ?? 0n) !== 0n,
    value: value instanceof Uint8Array ? value : new Uint8Array(),
  };
}
