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

const UTF8 = new TextEncoder();
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Scratch buffers of finished writers, reused by the next ones: every record Eddy writes passes through a writer or
 * several nested ones, and allocating a buffer for each showed in profiles (with the garbage collector).
 */
const scratch: Uint8Array[] = [];
const SCRATCH_KEPT = 16;
const SCRATCH_LARGEST = 64 * 1024;

/** Encoded short strings (typenames, state names and such repeat in every record). */
const encodedStrings = new Map<string, Uint8Array>();
const ENCODED_KEPT = 4096;
const ENCODED_LONGEST = 64;

function encodeString(value: string): Uint8Array {
  if (value.length > ENCODED_LONGEST) return UTF8.encode(value);
  let bytes = encodedStrings.get(value);
  if (bytes === undefined) {
    if (encodedStrings.size >= ENCODED_KEPT) encodedStrings.clear();
    bytes = UTF8.encode(value);
    encodedStrings.set(value, bytes);
  }
  return bytes;
}

/** Builds one message in a growing buffer (every record Eddy writes passes through here); `finish` ends it. */
export class ProtoWriter {
  #buffer = scratch.pop() ?? new Uint8Array(256);
  #length = 0;

  /** A varint field (bool, int32, int64, enum); omitted when zero. */
  varint(field: number, value: number | bigint | boolean): this {
    if (value === 0 || value === 0n || value === false) return this;
    this.#tag(field, WireType.varint);
    if (typeof value === "boolean") this.#byte(1);
    else if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) this.#varintNumber(value);
    else this.#varintBig(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  /** A 32-bit little-endian field (sfixed32 or float); omitted when zero. */
  fixed32(field: number, value: number, kind: "sfixed32" | "float"): this {
    if (value === 0 && !Object.is(value, -0)) return this;
    const view = new DataView(new ArrayBuffer(4));
    if (kind === "float") view.setFloat32(0, value, true);
    else view.setInt32(0, value, true);
    this.#tag(field, WireType.fixed32);
    this.#append(new Uint8Array(view.buffer));
    return this;
  }

  /** A 64-bit little-endian field (sfixed64 or double); omitted when zero. */
  fixed64(field: number, value: number | bigint, kind: "sfixed64" | "double"): this {
    if (value === 0n || (value === 0 && !Object.is(value, -0))) return this;
    const view = new DataView(new ArrayBuffer(8));
    if (kind === "double") view.setFloat64(0, Number(value), true);
    else view.setBigInt64(0, BigInt(value), true);
    this.#tag(field, WireType.fixed64);
    this.#append(new Uint8Array(view.buffer));
    return this;
  }

  /** A string field (UTF-8); omitted when empty. */
  string(field: number, value: string): this {
    return value === "" ? this : this.bytes(field, encodeString(value));
  }

  /** A bytes or embedded-message field; omitted when empty unless `always`. */
  bytes(field: number, value: Uint8Array, always = false): this {
    if (value.length === 0 && !always) return this;
    this.#tag(field, WireType.lengthDelimited);
    this.#varintNumber(value.length);
    this.#append(value);
    return this;
  }

  /**
   * Starts an embedded message field written in place — no writer, buffer or copy of its own: add its fields, then
   * `end` with what this returned.
   */
  begin(field: number): number {
    this.#tag(field, WireType.lengthDelimited);
    this.#byte(0); // room for a one-byte length; `end` makes more when the message is longer
    return this.#length;
  }

  /** Ends the embedded message `begin` started (its length prefixed), even when empty. */
  end(start: number): this {
    const size = this.#length - start;
    let extra = 0;
    for (let rest = size; rest > 0x7f; rest = Math.floor(rest / 128)) extra++;
    if (extra > 0) {
      this.#reserve(extra);
      this.#buffer.copyWithin(start + extra, start, this.#length);
      this.#length += extra;
    }
    let at = start - 1;
    let rest = size;
    while (rest > 0x7f) {
      this.#buffer[at++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.#buffer[at] = rest;
    return this;
  }

  /** The encoded message (a copy: the writer's buffer goes back to the scratch pool, the writer is done). */
  finish(): Uint8Array {
    const message = this.#buffer.slice(0, this.#length);
    if (scratch.length < SCRATCH_KEPT && this.#buffer.length <= SCRATCH_LARGEST) scratch.push(this.#buffer);
    this.#buffer = new Uint8Array(0);
    this.#length = 0;
    return message;
  }

  #tag(field: number, wireType: number): void {
    this.#varintNumber(field * 8 + wireType);
  }

  #varintNumber(value: number): void {
    while (value > 0x7f) {
      this.#byte((value % 128) | 0x80);
      value = Math.floor(value / 128);
    }
    this.#byte(value);
  }

  #varintBig(value: bigint): void {
    while (value > 0x7fn) {
      this.#byte(Number(value & 0x7fn) | 0x80);
      value >>= 7n;
    }
    this.#byte(Number(value));
  }

  #byte(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  #append(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + extra));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
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
  const reader = new FieldReader(bytes);
  while (reader.offset < bytes.length) {
    // Tags and lengths are read as numbers: a bigint for each showed in profiles of the remote path.
    const tag = reader.number();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 0) throw new ProtoDecodeError("field number 0");
    switch (wireType) {
      case WireType.varint:
        fields.push({ field, wireType, value: reader.varint() });
        break;
      case WireType.fixed64:
        fields.push({ field, wireType, value: reader.take(8) });
        break;
      case WireType.lengthDelimited:
        fields.push({ field, wireType, value: reader.take(reader.number()) });
        break;
      case WireType.fixed32:
        fields.push({ field, wireType, value: reader.take(4) });
        break;
      default:
        throw new ProtoDecodeError(`unsupported wire type ${wireType} of field ${field}`);
    }
  }
  return fields;
}

/** Reads varints and byte runs from a message. */
class FieldReader {
  offset = 0;

  constructor(readonly bytes: Uint8Array) {}

  /** A varint that a tag or a length is: up to 7 bytes (49 bits, exact as a number). */
  number(): number {
    const { bytes } = this;
    let value = 0;
    let multiplier = 1;
    for (let index = 0; index < 7; index++) {
      if (this.offset >= bytes.length) throw new ProtoDecodeError("truncated varint");
      const byte = bytes[this.offset++];
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw new ProtoDecodeError("tag or length too long");
  }

  /** A varint field's value: exact as a number up to 7 bytes (49 bits); longer ones (large or negative int64s) too. */
  varint(): bigint {
    const { bytes } = this;
    const start = this.offset;
    let small = 0;
    let multiplier = 1;
    for (let index = 0; index < 7; index++) {
      if (this.offset >= bytes.length) throw new ProtoDecodeError("truncated varint");
      const byte = bytes[this.offset++];
      small += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return BigInt(small);
      multiplier *= 128;
    }
    this.offset = start;
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.offset >= bytes.length) throw new ProtoDecodeError("truncated varint");
      const byte = bytes[this.offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new ProtoDecodeError("varint too long");
  }

  /** The next `length` bytes (a view, not a copy). */
  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new ProtoDecodeError("truncated field");
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}

/** The last occurrence of a field (protobuf's rule for repeated scalar fields). */
export function lastField(fields: ProtoField[], field: number): ProtoField | undefined {
  return fields.findLast((candidate) => candidate.field === field);
}

/** Decodes a length-delimited field as UTF-8 ("" when absent). */
export function stringField(fields: ProtoField[], field: number): string {
  const found = lastField(fields, field);
  return found === undefined ? "" : utf8String(found.value as Uint8Array);
}

/**
 * Strict UTF-8 to a string. Short ASCII strings (typenames, ids, state names: most strings of a record) are read
 * without a call into the decoder, which cost a quarter of a changelog restore's CPU.
 *
 * @throws {TypeError} for bytes that are not UTF-8.
 */
export function utf8String(bytes: Uint8Array): string {
  return shortAscii(bytes) ?? STRICT_UTF8.decode(bytes);
}

/** The string of up to 64 ASCII bytes, read without a call into a decoder; undefined for anything else. */
export function shortAscii(bytes: Uint8Array): string | undefined {
  if (bytes.length > 64) return undefined;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return undefined;
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** A varint field as a signed 64-bit integer (int64, int32), as a number (0 when absent). */
export function int64Field(fields: ProtoField[], field: number): number {
  const value = lastField(fields, field)?.value;
  return typeof value === "bigint" ? Number(BigInt.asIntN(64, value)) : 0;
}

/** A length-delimited field's bytes (empty when absent). */
export function bytesField(fields: ProtoField[], field: number): Uint8Array {
  const found = lastField(fields, field);
  return found === undefined ? new Uint8Array() : found.value as Uint8Array;
}
