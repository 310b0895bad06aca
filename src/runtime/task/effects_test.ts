/** Unit tests of the dead-letter records effects.ts writes (the broker tests are tests/runtime/policies_test.ts). */

import { deepEqual } from "node:assert/strict";
import { Address } from "../../sdk/address.ts";
import type { Envelope } from "./address_queues.ts";
import { failedMessageRecord } from "./effects.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const origin = { topic: "orders", partition: 2, offset: 41 };

function failed(extra: Partial<Envelope>): Envelope {
  return {
    target: Address.fromParts("com.example", "picky", "k"),
    caller: null,
    argument: { typename: "com.example/Order", hasValue: true, value: bytes("bad") },
    origin,
    epoch: undefined as never, // not read by failedMessageRecord
    ...extra,
  };
}

Deno.test("a failed message's dead letter keeps its ingress record's headers, and eddy.* headers win over theirs", () => {
  const kafka = {
    ...origin,
    timestamp: 1,
    headers: { traceparent: bytes("tp-1"), tag: [bytes("a"), bytes("b")], "eddy.reason": bytes("spoofed") },
  };
  const record = failedMessageRecord("dlq", failed({ kafka, carried: { traceparent: bytes("carried") } }), "it threw");
  deepEqual(record.headers, {
    traceparent: bytes("tp-1"),
    tag: [bytes("a"), bytes("b")],
    "eddy.reason": "it threw",
    "eddy.origin.topic": "orders",
    "eddy.origin.partition": "2",
    "eddy.origin.offset": "41",
    "eddy.address": "com.example/picky/k",
    "eddy.typename": "com.example/Order",
  });
});

Deno.test("a failed message sent by another function keeps the headers it carried (carryHeaders)", () => {
  const caller = Address.fromParts("com.example", "relay", "k");
  const record = failedMessageRecord("dlq", failed({ caller, carried: { traceparent: bytes("carried") } }), "no");
  deepEqual(record.headers?.traceparent, bytes("carried"));
  deepEqual(record.headers?.["eddy.caller"], "com.example/relay/k");
});
