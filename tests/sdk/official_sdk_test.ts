/**
 * Eddy's SDK against the official StateFun JS SDK (npm apache-flink-statefun
 * 3.3.0, running in the same process): every builder and type must produce the
 * same bytes, and each side must read what the other wrote.
 */

import { deepEqual, equal } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { officialSdk as official } from "../deps.ts";
import {
  BOOL_TYPE,
  DOUBLE_TYPE,
  FLOAT_TYPE,
  INT_TYPE,
  JsonType,
  LONG_TYPE,
  STRING_TYPE,
  type Type,
} from "../../src/sdk/types.ts";
import { egressMessageBuilder, messageBuilder } from "../../src/sdk/message.ts";
import { decodeKafkaProducerRecord, kafkaEgressMessage, kinesisEgressMessage } from "../../src/sdk/egress.ts";
import { decodeTypedValue, encodeTypedValue, type TypedValue } from "../../src/sdk/typed_value.ts";

// deno-lint-ignore no-explicit-any
const theirs = (typedValue: any): string => Buffer.from(typedValue.serializeBinary()).toString("hex");
const ours = (typedValue: TypedValue): string => Buffer.from(encodeTypedValue(typedValue)).toString("hex");

Deno.test("built-in types serialize exactly as the official SDK's", () => {
  const pairs: [Type<unknown>, { serialize(v: unknown): Uint8Array }, unknown[]][] = [
    [STRING_TYPE as Type<unknown>, official.StateFun.stringType(), ["", "hello", "ünï ✓"]],
    [INT_TYPE as Type<unknown>, official.StateFun.intType(), [0, 1, -1, 2147483647, -2147483648]],
    [BOOL_TYPE as Type<unknown>, official.StateFun.booleanType(), [true, false]],
    [FLOAT_TYPE as Type<unknown>, official.StateFun.floatType(), [0, 1.5, -3.25]],
  ];
  for (const [mine, theirType, values] of pairs) {
    for (const value of values) {
      equal(
        Buffer.from(mine.serialize(value)).toString("hex"),
        Buffer.from(theirType.serialize(value)).toString("hex"),
        `${mine.typename} ${String(value)}`,
      );
    }
  }
  const json = { name: "Ada", tags: ["a"], n: 1.5 };
  equal(
    new JsonType("com.example/J").serialize(json).toString("hex"),
    Buffer.from(official.StateFun.jsonType("com.example/J").serialize(json)).toString("hex"),
  );
  // No long or double in the official JS SDK; their typenames are the other SDKs'.
  equal(LONG_TYPE.typename, "io.statefun.types/long");
  equal(DOUBLE_TYPE.typename, "io.statefun.types/double");
});

Deno.test("messageBuilder and egressMessageBuilder encode as the official SDK's", () => {
  for (const value of ["hello", 42, -7]) {
    const options = { typename: "com.example/greeter", id: "Ada", value };
    const mine = messageBuilder(options);
    const their = official.messageBuilder(options);
    equal(ours(mine.typedValue), theirs(their.typedValue), `value ${value}`);
    equal(mine.targetAddress.typename, their.targetAddress.typename);
    equal(mine.targetAddress.id, their.targetAddress.id);
  }
  const json = { typename: "com.example/out", value: { a: 1 } };
  equal(
    ours(egressMessageBuilder({ ...json, valueType: new JsonType("com.example/Out") }).typedValue),
    theirs(
      official.egressMessageBuilder({ ...json, valueType: official.StateFun.jsonType("com.example/Out") }).typedValue,
    ),
  );
});

Deno.test("kafkaEgressMessage and kinesisEgressMessage encode as the official SDK's", () => {
  const cases = [
    { typename: "com.example/out", topic: "greetings", key: "Ada", value: "Hi Ada" },
    { typename: "com.example/out", topic: "greetings", value: "no key" },
    { typename: "com.example/out", topic: "numbers", key: "k", value: 1234 },
    { typename: "com.example/out", topic: "bytes", value: Uint8Array.of(1, 2, 3) },
  ];
  for (const options of cases) {
    const mine = kafkaEgressMessage(options);
    const their = official.kafkaEgressMessage(options);
    equal(mine.typename, their.typename);
    equal(ours(mine.typedValue), theirs(their.typedValue), JSON.stringify(options));
  }
  const typed = kafkaEgressMessage({ typename: "a/b", topic: "t", value: "v", valueType: STRING_TYPE });
  equal(
    ours(typed.typedValue),
    theirs(
      official.kafkaEgressMessage({
        typename: "a/b",
        topic: "t",
        value: "v",
        valueType: official.StateFun.stringType(),
      })
        .typedValue,
    ),
  );
  const kinesis = { typename: "a/b", stream: "s", partitionKey: "p", hashKey: "h", value: "v" };
  equal(ours(kinesisEgressMessage(kinesis).typedValue), theirs(official.kinesisEgressMessage(kinesis).typedValue));
});

Deno.test("Eddy reads what the official SDK wrote", () => {
  const record = official.kafkaEgressMessage({ typename: "a/b", topic: "greetings", key: "Ada", value: "Hi" });
  const typed = decodeTypedValue(record.typedValue.serializeBinary());
  equal(typed.typename, "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
  const decoded = decodeKafkaProducerRecord(typed.value);
  deepEqual({ ...decoded, value: new TextDecoder().decode(decoded.value) }, {
    topic: "greetings",
    key: "Ada",
    value: "Hi",
  });
  const noKey = decodeKafkaProducerRecord(
    decodeTypedValue(
      official.kafkaEgressMessage({ typename: "a/b", topic: "t", value: "v" }).typedValue.serializeBinary(),
    )
      .value,
  );
  equal(noKey.key, null, "an empty key is no key, as StateFun's serializer does");
  const message = official.messageBuilder({ typename: "a/b", id: "x", value: "hello" });
  equal(STRING_TYPE.deserialize(Buffer.from(decodeTypedValue(message.typedValue.serializeBinary()).value)), "hello");
});
