import { deepEqual, equal, notEqual, ok, throws } from "node:assert/strict";
import { ProtoWriter, readFields } from "../protobuf/wire.ts";
import { Address } from "./address.ts";
import { kafkaEgressMessage } from "./egress.ts";
import { decodeHeaders, decodeHeaderValue, KafkaRecordMetadata, type RawHeaders } from "./kafka_record.ts";
import { decodeKafkaRecord, readHeaders, writeHeaders, writeKafkaRecord } from "./kafka_record_codec.ts";
import { Message } from "./message.ts";
import { toTypedValue } from "./typed_value.ts";
import { STRING_TYPE } from "./types.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("a header value reads as a string where it is valid UTF-8, else as a copy of its bytes", () => {
  equal(decodeHeaderValue(bytes("abc")), "abc");
  equal(decodeHeaderValue(bytes("żółw ✓")), "żółw ✓");
  equal(decodeHeaderValue(new Uint8Array()), "", "an empty (or null) value is the empty string");
  equal(decodeHeaderValue(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)), "\ufeffa", "a byte-order mark is kept");
  const binary = Uint8Array.of(0xff, 0x00, 0xfe);
  const decoded = decodeHeaderValue(binary);
  deepEqual(decoded, binary);
  notEqual((decoded as Uint8Array).buffer, binary.buffer, "a copy: the record's bytes stay untouched");
  deepEqual(decodeHeaderValue(Uint8Array.of(0xc3)), Uint8Array.of(0xc3), "a truncated sequence is not UTF-8");
  deepEqual(decodeHeaderValue(Uint8Array.of(0xed, 0xa0, 0x80)), Uint8Array.of(0xed, 0xa0, 0x80), "nor a surrogate");
});

Deno.test("message.kafka: topic, partition, offset, timestamp, key and headers (last value; all by headerValues)", () => {
  const headers: RawHeaders = {
    "x-trace": bytes("abc"),
    bin: Uint8Array.of(0xff, 0x00),
    tag: [bytes("first"), Uint8Array.of(0x80), bytes("last")],
    ["__proto__"]: bytes("odd"),
  };
  const source = { topic: "names", partition: 3, offset: 41, timestamp: 1_700_000_000_123, headers };
  const message = new Message(
    Address.fromParts("com.example", "greeter", "Ada"),
    toTypedValue("x", STRING_TYPE),
    source,
  );
  const kafka = message.kafka!;
  equal(message.kafka, kafka, "made once");
  deepEqual(
    [kafka.topic, kafka.partition, kafka.offset, kafka.timestamp, kafka.key],
    ["names", 3, 41, 1_700_000_000_123, "Ada"],
  );
  equal(kafka.headers, kafka.headers, "decoded once");
  deepEqual(Object.keys(kafka.headers), ["x-trace", "bin", "tag", "__proto__"]);
  equal(kafka.headers["x-trace"], "abc");
  deepEqual(kafka.headers.bin, Uint8Array.of(0xff, 0x00));
  equal(kafka.headers.tag, "last", "a repeated header's last value");
  equal(kafka.headers["__proto__"], "odd", "a header named __proto__ is a header, not the prototype");
  equal(Object.getPrototypeOf(kafka.headers), Object.prototype);
  deepEqual(kafka.headerValues("tag"), ["first", Uint8Array.of(0x80), "last"]);
  deepEqual(kafka.headerValues("x-trace"), ["abc"]);
  deepEqual(kafka.headerValues("missing"), []);
  deepEqual(kafka.headerValues("toString"), [], "only the record's own headers");
  equal(kafka.headers.missing, undefined);
  // Read-only.
  ok(Object.isFrozen(kafka) && Object.isFrozen(kafka.headers));
  throws(() => {
    (kafka as { topic: string }).topic = "other";
  }, TypeError);
  throws(() => {
    (kafka.headers as Record<string, string>)["x-trace"] = "forged";
  }, TypeError);
  // Messages from functions and timers have none.
  equal(
    new Message(Address.fromParts("com.example", "greeter", "Ada"), toTypedValue("x", STRING_TYPE)).kafka,
    undefined,
  );
});

Deno.test("headers are decoded only when a function reads them", () => {
  let reads = 0;
  const headers = new Proxy({ a: bytes("1") }, {
    ownKeys(target) {
      reads++;
      return Reflect.ownKeys(target);
    },
  });
  const kafka = new KafkaRecordMetadata({ topic: "t", partition: 0, offset: 0, timestamp: 0, headers }, null);
  equal(kafka.key, null);
  equal(reads, 0, "making message.kafka reads no header");
  deepEqual(kafka.headers, { a: "1" });
  const after = reads;
  kafka.headers;
  equal(reads, after, "nor does a second read");
});

Deno.test("headers round-trip through the internal topics' encoding, repeated values in order", () => {
  const headers: RawHeaders = { a: bytes("1"), b: [bytes("x"), new Uint8Array(), Uint8Array.of(0xff)], "": bytes("e") };
  const encoded = writeHeaders(new ProtoWriter(), 5, headers).finish();
  deepEqual(readHeaders(readFields(encoded), 5), headers);
  equal(readHeaders(readFields(encoded), 4), undefined, "no such field: no headers");
  const record = { topic: "names", partition: 2, offset: 2 ** 45, timestamp: -1, headers };
  const [field] = readFields(writeKafkaRecord(new ProtoWriter(), 1, record).finish());
  deepEqual(decodeKafkaRecord(field.value as Uint8Array), record);
  deepEqual(decodeHeaders(decodeKafkaRecord(field.value as Uint8Array).headers), {
    a: "1",
    b: Uint8Array.of(0xff),
    "": "e",
  });
});

Deno.test("kafkaEgressMessage takes headers: strings, bytes or lists of them, copied; anything else is refused", () => {
  const binary = Uint8Array.of(1, 2);
  const input = { "x-trace": "abc", bin: binary, tag: ["a", Uint8Array.of(0xff)] };
  const record = kafkaEgressMessage({ typename: "com.example/out", topic: "t", value: "v", headers: input });
  deepEqual(record.kafkaRecord!.headers, input);
  binary[0] = 9;
  input["x-trace"] = "changed";
  deepEqual(record.kafkaRecord!.headers, {
    "x-trace": "abc",
    bin: Uint8Array.of(1, 2),
    tag: ["a", Uint8Array.of(0xff)],
  });
  equal("headers" in kafkaEgressMessage({ typename: "com.example/out", topic: "t", value: "v" }).kafkaRecord!, false);
  const bad = (headers: unknown) =>
    throws(
      () => kafkaEgressMessage({ typename: "com.example/out", topic: "t", value: "v", headers: headers as never }),
      TypeError,
    );
  bad({ n: 1 });
  bad({ n: null });
  bad({ n: [1] });
  bad("x-trace: abc");
  bad([["x-trace", "abc"]]);
  // The protobuf encoding is StateFun's KafkaProducerRecord, which has no headers.
  equal(record.typedValue.typename, "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
});
