/**
 * The protobuf wire format, just enough for StateFun's small messages: the
 * built-in type wrappers, TypedValue and the egress records. Fields are written
 * in field-number order, and proto3 default values are omitted, as protobuf
 * encoders do, so bytes match what the official SDKs produce.
 *
 * @module
 */

/** Wire types. */
export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

/** Builds one message. */
export class ProtoWriter {
  #bytes: number[] = [];

  /** A varint field (bool, int32, int64, enum); omitted when zero. */
  varint(field: number, value: number | bigint | boolean): this {
    const big = BigInt.asUintN(64, typeof value === "boolean" ? (value ? 1n : 0n) : BigInt(value));
    if (big === 0n) return this;
    this.#tag(field, WireType.varint);
    this.#varint(big);
    return this;
  }

  /** A 32-bit little-endian field (sfixed32 or float); omitted when zero. */
  fixed32(field: number, value: number, kind: "sfixed32" | "float"): this {
    if (value === 0 && !Object.is(value, -0)) return this;
    const view = new DataView(new ArrayBuffer(4));
    if (kind === "float") view.setFloat32(0, value, true);
    else view.setInt32(0, value, true);
    this.#tag(field, WireType.fixed32);
    this.#bytes.push(...new Uint8Array(view.buffer));
    return this;
  }

  /** A 64-bit little-endian field (sfixed64 or double); omitted when zero. */
  fixed64(field: number, value: number | bigint, kind: "sfixed64" | "double"): this {
    if (value === 0n || (value === 0 && !Object.is(value, -0))) return this;
    const view = new DataView(new ArrayBuffer(8));
    if (kind === "double") view.setFloat64(0, Number(value), true);
    else view.setBigInt64(0, BigInt(value), true);
    this.#tag(field, WireType.fixed64);
    this.#bytes.push(...new Uint8Array(view.buffer));
    return this;
  }

  /** A string field (UTF-8); omitted when empty. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A bytes or embedded-message field; omitted when empty unless `always`. */
  bytes(field: number, value: Uint8Array, always = false): this {
    if (value.length === 0 && !always) return this;
    this.#tag(field, WireType.lengthDelimited);
    this.#varint(BigInt(value.length));
    for (const byte of value) this.#bytes.push(byte);
    return this;
  }

  /** The encoded message. */
  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  #tag(field: number, wireType: number): void {
    this.#varint(BigInt((field << 3) | wireType));
  }

  #varint(value: bigint): void {
    while (value > 0x7fn) {
      this.#bytes.push(Number(value & 0x7fn) | 0x80);
      value >>= 7n;
    }
    this.#bytes.push(Number(value));
  }
}

/** A field as read: its number, wire type and raw value. */
export interface ProtoField {
  /** Field number. */
  field: number;
  /** Wire type. */
  wireType: number;
  /** varint: the value; fixed32/fixed64/length-delimited: the bytes. */
  value: bigint | Uint8Array;
}

/** A protobuf message that could not be decoded. */
export class ProtoDecodeError extends Error {
  /** @param message What is wrong. */
  constructor(message: string) {
    super(`invalid protobuf: ${message}`);
    this.name = "ProtoDecodeError";
  }
}

/**
 * Reads the fields of a message in order (unknown fields are returned too).
 *
 * @throws {ProtoDecodeError} for truncated input or an unsupported wire type.
 */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (offset >= bytes.length) throw new ProtoDecodeError("truncated varint");
      const byte = bytes[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new ProtoDecodeError("varint too long");
  };
  const take = (length: number): Uint8Array => {
    if (offset + length > bytes.length) throw new ProtoDecodeError("truncated field");
    const value = bytes.subarray(offset, offset + length);
    offset += length;
    return value;
  };
  while (offset < bytes.length) {
    const tag = Number(varint());
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 0) throw new ProtoDecodeError("field number 0");
    switch (wireType) {
      case WireType.varint:
        fields.push({ field, wireType, value: varint() });
        break;
      case WireType.fixed64:
        fields.push({ field, wireType, value: take(8) });
        break;
      case WireType.lengthDelimited:
        fields.push({ field, wireType, value: take(Number(varint())) });
        break;
      case WireType.fixed32:
        fields.push({ field, wireType, value: take(4) });
        break;
      default:
        throw new ProtoDecodeError(`unsupported wire type ${wireType} of field ${field}`);
    }
  }
  return fields;
}

/** The last occurrence of a field (protobuf's rule for repeated scalar fields). */
export function lastField(fields: ProtoField[], field: number): ProtoField | undefined {
  return fields.findLast((candidate) => candidate.field === field);
}

/** Decodes a length-delimited field as UTF-8 ("" when absent). */
export function stringField(fields: ProtoField[], field: number): string {
  const found = lastField(fields, field);
  return found === undefined ? "" : new TextDecoder("utf-8", { fatal: true }).decode(found.value as Uint8Array);
}

/** A length-delimited field's bytes (empty when absent). */
export function bytesField(fields: ProtoField[], field: number): Uint8Array {
  const found = lastField(fields, field);
  return found === undefined ? new Uint8Array() : found.value as Uint8Array;
}
