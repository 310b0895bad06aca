import { deepEqual, equal, throws } from "node:assert/strict";
import { kafkaEgressMessage } from "../sdk/egress.ts";
import { EgressMessage, egressMessageBuilder } from "../sdk/message.ts";
import { STRING_TYPE } from "../sdk/types.ts";
import type { KafkaEgressSpec } from "../spec/model.ts";
import { EgressError, routeEgressMessage } from "./egress_router.ts";

const egress: KafkaEgressSpec = {
  kind: "io.statefun.kafka.v1/egress",
  id: "com.example/out",
  address: "127.0.0.1:9092",
  deliverySemantic: { type: "at-least-once" },
  properties: {},
  at: { file: "module.yaml", line: 1, column: 1 },
};
const egresses = new Map([[egress.id, egress]]);

Deno.test("a kafkaEgressMessage becomes a record of its egress; an empty key means none", () => {
  const routed = routeEgressMessage(
    kafkaEgressMessage({ typename: "com.example/out", topic: "greetings", key: "Ada", value: "Hello Ada" }),
    egresses,
  );
  deepEqual(routed.egress, egress);
  deepEqual(routed.record, {
    topic: "greetings",
    key: "Ada",
    value: new TextEncoder().encode("Hello Ada"),
    egress: "com.example/out",
  });
  const keyless = routeEgressMessage(
    kafkaEgressMessage({ typename: "com.example/out", topic: "greetings", value: "hi" }),
    egresses,
  );
  deepEqual(keyless.record.key, null);
});

Deno.test("an unknown egress id or a value that is no Kafka record fails the invocation clearly", () => {
  throws(
    () => routeEgressMessage(kafkaEgressMessage({ typename: "com.example/nope", topic: "t", value: "x" }), egresses),
    (error: Error) =>
      error instanceof EgressError &&
      /no egress with id com.example\/nope: the module defines com.example\/out/.test(error.message),
  );
  throws(
    () =>
      routeEgressMessage(
        egressMessageBuilder({ typename: "com.example/out", value: "x", valueType: STRING_TYPE }),
        egresses,
      ),
    /takes kafkaEgressMessage\(...\) records, not io.statefun.types\/string/,
  );
});

Deno.test("an egress record has its function's headers and those its message carried; the function's win", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const carried = { traceparent: bytes("00-abc-01"), tenant: bytes("t1") };
  const own = kafkaEgressMessage({
    typename: "com.example/out",
    topic: "greetings",
    value: "hi",
    headers: { tenant: "t2", bin: new Uint8Array([0xff]), tag: ["a", "b"] },
  });
  deepEqual(routeEgressMessage(own, egresses, carried).record.headers, {
    traceparent: bytes("00-abc-01"),
    tenant: "t2",
    bin: new Uint8Array([0xff]),
    tag: ["a", "b"],
  });
  deepEqual(routeEgressMessage(own, egresses).record.headers, {
    tenant: "t2",
    bin: new Uint8Array([0xff]),
    tag: ["a", "b"],
  });
  const plain = kafkaEgressMessage({ typename: "com.example/out", topic: "greetings", value: "hi" });
  deepEqual(routeEgressMessage(plain, egresses, carried).record.headers, carried);
  equal("headers" in routeEgressMessage(plain, egresses).record, false, "no headers: none written");
  // A record on the wire (as a remote function sends it) has no field for headers: only the carried ones.
  const wire = new EgressMessage("com.example/out", plain.typedValue);
  deepEqual(routeEgressMessage(wire, egresses, carried).record.headers, carried);
});
