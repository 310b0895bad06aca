import { deepEqual, throws } from "node:assert/strict";
import { kafkaEgressMessage } from "../sdk/egress.ts";
import { egressMessageBuilder } from "../sdk/message.ts";
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
