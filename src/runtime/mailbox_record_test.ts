import { deepEqual, throws } from "node:assert/strict";
import { Address } from "../sdk/address.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { STRING_TYPE } from "../sdk/types.ts";
import { decodeMailboxMessage, encodeMailboxMessage } from "./mailbox_record.ts";
import { partitionOfKey } from "./partitioner.ts";
import { taskOfId } from "./routing.ts";

Deno.test("mailbox records round-trip, keyed by the target id so their partition is the target's task", () => {
  const message = {
    target: Address.fromParts("com.example", "counter", "Ada"),
    caller: Address.fromParts("com.example", "greeter", "Ada"),
    argument: toTypedValue("hi", STRING_TYPE),
  };
  const { key, value } = encodeMailboxMessage(message);
  deepEqual(decodeMailboxMessage(value), message);
  deepEqual(partitionOfKey(key, 8), taskOfId("Ada", 8));
  const fromTimer = { ...message, caller: null };
  deepEqual(decodeMailboxMessage(encodeMailboxMessage(fromTimer).value), fromTimer);
  throws(() => decodeMailboxMessage(Uint8Array.of(0x08, 0x01)), /needs a target and an argument/);
});

Deno.test("a mailbox record keeps a forwarded ingress record's metadata and the headers a message carries", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const message = {
    target: Address.fromParts("com.example", "counter", "Ada"),
    caller: null,
    argument: toTypedValue("hi", STRING_TYPE),
    kafka: {
      topic: "names",
      partition: 3,
      offset: 2 ** 40,
      timestamp: 1_700_000_000_123,
      headers: { "x-trace": bytes("abc"), bin: [new Uint8Array([0xff, 0]), new Uint8Array()], empty: new Uint8Array() },
    },
    carried: { traceparent: bytes("00-abc-01"), ["__proto__"]: bytes("odd") },
  };
  const decoded = decodeMailboxMessage(encodeMailboxMessage(message).value);
  deepEqual(decoded, message);
  deepEqual(Object.keys(decoded.carried!), ["traceparent", "__proto__"], "a header named __proto__ stays a header");
  // A record without a timestamp (-1) and one from before the fields existed.
  const noTime = { ...message, kafka: { ...message.kafka, timestamp: -1 } };
  deepEqual(decodeMailboxMessage(encodeMailboxMessage(noTime).value).kafka?.timestamp, -1);
  const plain = { target: message.target, caller: null, argument: message.argument };
  deepEqual(decodeMailboxMessage(encodeMailboxMessage(plain).value), plain);
});
