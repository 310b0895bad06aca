import { equal, throws } from "node:assert/strict";
import { Address } from "./address.ts";
import { egressMessageBuilder, Message, messageBuilder } from "./message.ts";
import { decodeTypedValue, encodeTypedValue } from "./typed_value.ts";
import { BOOL_TYPE, FLOAT_TYPE, INT_TYPE, JsonType, STRING_TYPE } from "./types.ts";

Deno.test("Message reads its value with is/as and the shortcuts", () => {
  const text = messageBuilder({ typename: "com.example/greeter", id: "Ada", value: "hi" });
  equal(text.isString(), true);
  equal(text.asString(), "hi");
  equal(text.isInt(), false);
  throws(() => text.asInt(), /type mismatch: io\.statefun\.types\/string is not of type io\.statefun\.types\/int/);
  equal(text.valueTypeName, "io.statefun.types/string");
  equal(text.rawValueBytes.toString("hex"), "0a026869");
  equal(messageBuilder({ typename: "a/b", id: "x", value: 5 }).asInt(), 5);
  equal(messageBuilder({ typename: "a/b", id: "x", value: true, valueType: BOOL_TYPE }).asBoolean(), true);
  equal(messageBuilder({ typename: "a/b", id: "x", value: 0.25, valueType: FLOAT_TYPE }).asFloat(), 0.25);
  const json = new JsonType<{ n: number }>("com.example/N");
  const message = messageBuilder({ typename: "a/b", id: "x", value: { n: 1 }, valueType: json });
  equal(message.is(json), true);
  equal(message.as(json)?.n, 1);
  const empty = new Message(Address.fromParts("a", "b", ""), {
    typename: "a/t",
    hasValue: false,
    value: new Uint8Array(),
  });
  equal(empty.as(STRING_TYPE), null);
  throws(() => empty.rawValueBytes, /without a value/);
});

Deno.test("builders refuse what the official SDK refuses", () => {
  throws(() => messageBuilder({ typename: "nope", id: "x", value: 1 }), /illegal typename "nope"/);
  throws(() => messageBuilder({ typename: "a/b", id: "", value: 1 }), /Target id/);
  throws(() => messageBuilder({ typename: "a/b", id: "x", value: null }), /Missing value/);
  throws(() => messageBuilder({ typename: "a/b", id: "x", value: 1.5 }), /Missing valueType/);
  throws(() => egressMessageBuilder({ typename: "a/b", value: "v", valueType: undefined! }), /Missing type/);
  throws(() => INT_TYPE.serialize(1.5), /not a 32-bit integer/);
});

Deno.test("TypedValue round-trips through protobuf", () => {
  const typed = { typename: "com.example/T", hasValue: true, value: Uint8Array.of(0, 1, 255) };
  const back = decodeTypedValue(encodeTypedValue(typed));
  equal(back.typename, typed.typename);
  equal(back.hasValue, true);
  equal([...back.value].join(","), "0,1,255");
  equal(decodeTypedValue(new Uint8Array()).hasValue, false);
  equal(Address.fromParts("a", "b", "c").toString(), "a/b/c");
});
