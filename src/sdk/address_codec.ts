/**
 * Address on the wire, as StateFun's request-reply protocol writes it
 * (`Address { namespace = 1; type = 2; id = 3 }`).
 *
 * @module
 */

import { ProtoWriter, readFields, stringField } from "../protobuf/wire.ts";
import { Address } from "./address.ts";

/** Encodes an address. */
export function encodeAddress(address: Address): Uint8Array {
  return new ProtoWriter().string(1, address.namespace).string(2, address.name).string(3, address.id).finish();
}

/** Writes an address as the embedded message `field` of `writer` (in place: no copy). */
export function writeAddress(writer: ProtoWriter, field: number, address: Address): ProtoWriter {
  const start = writer.begin(field);
  return writer.string(1, address.namespace).string(2, address.name).string(3, address.id).end(start);
}

/** Decodes an address. */
export function decodeAddress(bytes: Uint8Array): Address {
  const fields = readFields(bytes);
  return Address.fromParts(stringField(fields, 1), stringField(fields, 2), stringField(fields, 3));
}
