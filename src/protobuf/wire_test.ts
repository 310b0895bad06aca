import { deepEqual, equal, throws } from "node:assert/strict";
import { ProtoDecodeError, ProtoWriter, readFields, stringField, utf8String } from "./wire.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("ProtoWriter writes what protobuf encoders write, omitting defaults", () => {
  equal(hex(new ProtoWriter().varint(1, true).finish()), "08 01");
  equal(hex(new ProtoWriter().varint(1, false).finish()), "");
  equal(hex(new ProtoWriter().varint(1, 300).finish()), "08 ac 02");
  equal(hex(new ProtoWriter().varint(1, -1).finish()), "08 ff ff ff ff ff ff ff ff ff 01");
  equal(hex(new ProtoWriter().fixed32(1, -2, "sfixed32").finish()), "0d fe ff ff ff");
  equal(hex(new ProtoWriter().fixed32(1, 1.5, "float").finish()), "0d 00 00 c0 3f");
  equal(hex(new ProtoWriter().fixed64(1, 1n, "sfixed64").finish()), "09 01 00 00 00 00 00 00 00");
  equal(hex(new ProtoWriter().fixed64(1, 0.5, "double").finish()), "09 00 00 00 00 00 00 e0 3f");
  equal(
    hex(new ProtoWriter().fixed64(1, -0, "double").finish()),
    "09 00 00 00 00 00 00 00 80",
    "-0 is not the default",
  );
  equal(hex(new ProtoWriter().string(1, "hé").finish()), "0a 03 68 c3 a9");
  equal(hex(new ProtoWriter().string(1, "").finish()), "");
  equal(hex(new ProtoWriter().bytes(3, new Uint8Array(), true).finish()), "1a 00");
});

Deno.test("readFields() reads every wire type and refuses broken input", () => {
  const bytes = new ProtoWriter().string(1, "a").varint(2, 7).fixed32(3, 1, "sfixed32").fixed64(4, 2n, "sfixed64")
    .finish();
  const fields = readFields(bytes);
  deepEqual(fields.map((f) => [f.field, f.wireType]), [[1, 2], [2, 0], [3, 5], [4, 1]]);
  equal(stringField(fields, 1), "a");
  equal(fields[1].value, 7n);
  throws(() => readFields(Uint8Array.of(0x0a, 0x05, 0x61)), ProtoDecodeError);
  throws(() => readFields(Uint8Array.of(0x08)), ProtoDecodeError);
  throws(() => readFields(Uint8Array.of(0x0b)), /unsupported wire type 3/);
});

Deno.test("an embedded message written in place is byte for byte the one written by its own writer, at any length", () => {
  for (const size of [0, 1, 126, 127, 128, 300, 16_383, 16_384, 70_000]) {
    const payload = new Uint8Array(size).map((_, i) => i % 251);
    const inner = new ProtoWriter().string(1, "name").bytes(2, payload);
    const expected = new ProtoWriter().varint(1, 7).bytes(2, inner.finish(), true).string(3, "after").finish();
    const writer = new ProtoWriter().varint(1, 7);
    const start = writer.begin(2);
    const nested = writer.begin(9);
    writer.end(nested); // an empty embedded message is written too
    writer.string(1, "name").bytes(2, payload);
    const actual = writer.end(start).string(3, "after").finish();
    const withEmpty = new ProtoWriter().varint(1, 7).bytes(
      2,
      new ProtoWriter().bytes(9, new Uint8Array(), true).string(1, "name").bytes(2, payload).finish(),
      true,
    ).string(3, "after").finish();
    deepEqual(actual, withEmpty, `size ${size}`);
    equal(expected.length + 2, actual.length, `size ${size}: the empty message's two bytes`);
  }
});

Deno.test("utf8String reads short ASCII without the decoder and anything else with it, strictly", () => {
  const utf8 = new TextEncoder();
  for (
    const text of ["", "bench.count/counter", "name-42", "x".repeat(64), "x".repeat(65), "Grüße", "名前", "\u{1F600}"]
  ) {
    equal(utf8String(utf8.encode(text)), text);
  }
  equal(utf8String(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), "a", "a BOM is dropped as the decoder drops it");
  throws(() => utf8String(new Uint8Array([0x61, 0xff])), TypeError, "not UTF-8");
  throws(() => utf8String(new Uint8Array([0xc3])), TypeError, "a truncated sequence");
});
