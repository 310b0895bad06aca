import { deepEqual, equal, throws } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { StateFun } from "./statefun.ts";
import { fromTypedValue, toTypedValue } from "./typed_value.ts";
import {
  BOOL_TYPE,
  bytesCodec,
  CustomType,
  DOUBLE_TYPE,
  FLOAT_TYPE,
  INT_TYPE,
  JsonType,
  LONG_TYPE,
  ProtobufType,
  STRING_TYPE,
  type Type,
} from "./types.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("built-in types use StateFun's wrapper wire format, defaults as empty bytes", () => {
  const cases: [Type<unknown>, unknown, string][] = [
    [BOOL_TYPE as Type<unknown>, true, "08 01"],
    [BOOL_TYPE as Type<unknown>, false, ""],
    [INT_TYPE as Type<unknown>, 1, "0d 01 00 00 00"],
    [INT_TYPE as Type<unknown>, -1, "0d ff ff ff ff"],
    [INT_TYPE as Type<unknown>, 0, ""],
    [LONG_TYPE as Type<unknown>, 2n ** 40n, "09 00 00 00 00 00 01 00 00"],
    [LONG_TYPE as Type<unknown>, -2n, "09 fe ff ff ff ff ff ff ff"],
    [FLOAT_TYPE as Type<unknown>, 1.5, "0d 00 00 c0 3f"],
    [DOUBLE_TYPE as Type<unknown>, -0.5, "09 00 00 00 00 00 00 e0 bf"],
    [STRING_TYPE as Type<unknown>, "hello", "0a 05 68 65 6c 6c 6f"],
    [STRING_TYPE as Type<unknown>, "", ""],
  ];
  for (const [type, value, bytes] of cases) {
    const encoded = type.serialize(value);
    equal(hex(encoded), bytes, `${type.typename} ${String(value)}`);
    deepEqual(type.deserialize(encoded), value, `${type.typename} round trip`);
  }
  equal(INT_TYPE.deserialize(Buffer.alloc(0)), 0);
  equal(STRING_TYPE.deserialize(Buffer.alloc(0)), "");
  equal(BOOL_TYPE.typename, "io.statefun.types/bool");
  equal(LONG_TYPE.typename, "io.statefun.types/long");
  throws(() => INT_TYPE.serialize(2 ** 31), /not a 32-bit integer/);
});

Deno.test("json, custom and protobuf types", () => {
  const json = new JsonType<{ name: string; visits: number }>("com.example/Visit");
  const bytes = json.serialize({ name: "Ada", visits: 2 });
  equal(bytes.toString(), '{"name":"Ada","visits":2}');
  deepEqual(json.deserialize(bytes), { name: "Ada", visits: 2 });

  const upper = new CustomType<string>(
    "com.example/Upper",
    (value) => Buffer.from(value.toUpperCase()),
    (buf) => buf.toString().toLowerCase(),
  );
  equal(upper.serialize("abc").toString(), "ABC");
  equal(upper.deserialize(Buffer.from("XYZ")), "xyz");

  class Fake {
    constructor(readonly payload: Uint8Array) {}
    serializeBinary() {
      return this.payload;
    }
    static deserializeBinary(bytes: Uint8Array) {
      return new Fake(bytes);
    }
  }
  const proto = new ProtobufType("type.googleapis.com/com.example.Fake", Fake);
  deepEqual([...proto.deserialize(proto.serialize(new Fake(Uint8Array.of(1, 2)))).payload], [1, 2]);
  throws(() => new JsonType("nonamespace"), /illegal typename "nonamespace"/);
});

Deno.test("the byte codecs of IntWrapper and JSON write what serialize writes and read what it reads", () => {
  const int = bytesCodec(INT_TYPE)!;
  for (const value of [0, 1, -1, 127, 128, 2 ** 31 - 1, -(2 ** 31), 123_456_789, -98_765]) {
    deepEqual(int.encode(value), new Uint8Array(INT_TYPE.serialize(value)), `encode ${value}`);
    equal(int.decode(new Uint8Array(INT_TYPE.serialize(value))), value, `decode ${value}`);
  }
  throws(() => int.encode(2 ** 31), RangeError);
  throws(() => int.encode(1.5), RangeError);
  // IntWrapper bytes another SDK may write differently (a varint-less empty message, unknown fields) still decode.
  equal(int.decode(new Uint8Array([0x0d, 7, 0, 0, 0, 0x10, 1])), 7);
  const json = bytesCodec(StateFun.jsonType<{ name: string }>("a/json"))!;
  const value = { name: "Ada ✓" };
  deepEqual(json.encode(value), new Uint8Array(StateFun.jsonType("a/json").serialize(value)));
  deepEqual(json.decode(json.encode(value)), value);
});

Deno.test("a JsonType subclass that serializes otherwise has no byte codec: its own serializer applies", () => {
  class Upper extends JsonType<string> {
    override serialize(value: string) {
      return super.serialize(value.toUpperCase());
    }
  }
  equal(bytesCodec(new Upper("a/upper")), undefined);
  deepEqual(fromTypedValue(toTypedValue("ada", new Upper("a/upper")), new Upper("a/upper")), "ADA");
});
