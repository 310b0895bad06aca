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
