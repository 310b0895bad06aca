import { deepEqual, equal, notDeepEqual, throws } from "node:assert/strict";
import { Address } from "../sdk/address.ts";
import { toTypedValue } from "../sdk/typed_value.ts";
import { INT_TYPE, STRING_TYPE } from "../sdk/types.ts";
import {
  decodeChangelogKey,
  decodePendingEntry,
  decodeStateEntry,
  decodeTimerEntry,
  encodeChangelogKey,
  encodePendingEntry,
  encodeStateEntry,
  encodeTimerEntry,
} from "./changelog_record.ts";

const ada = Address.fromParts("com.example", "greeter", "Ada");

Deno.test("changelog keys round-trip and are deterministic (compaction keys)", () => {
  const state = { kind: "state", address: ada, name: "seen" } as const;
  const timer = { kind: "timer", sender: ada, id: "remind" } as const;
  deepEqual(decodeChangelogKey(encodeChangelogKey(state)), state);
  deepEqual(decodeChangelogKey(encodeChangelogKey(timer)), timer);
  deepEqual(encodeChangelogKey(state), encodeChangelogKey({ kind: "state", address: ada, name: "seen" }));
  notDeepEqual(encodeChangelogKey(state), encodeChangelogKey({ ...state, name: "visit" }));
  notDeepEqual(
    encodeChangelogKey({ kind: "state", address: ada, name: "remind" }),
    encodeChangelogKey(timer),
    "a state and a timer never share a key",
  );
  const empty = { kind: "state", address: Address.fromParts("a", "b", ""), name: "s" } as const;
  deepEqual(decodeChangelogKey(encodeChangelogKey(empty)), empty, "empty ids survive");
  throws(() => decodeChangelogKey(new Uint8Array()), /not a changelog key/);
});

Deno.test("state and timer entries round-trip", () => {
  const state = { value: toTypedValue(3, INT_TYPE), writtenAt: 1_700_000_000_123, calledAt: 1_700_000_000_456 };
  deepEqual(decodeStateEntry(encodeStateEntry(state)), state);
  const timer = { fireAt: 1_800_000_000_000, target: ada, argument: toTypedValue("hi", STRING_TYPE) };
  deepEqual(decodeTimerEntry(encodeTimerEntry(timer)), timer);
  equal(decodeStateEntry(encodeStateEntry({ ...state, writtenAt: 0, calledAt: 0 })).writtenAt, 0);
  throws(() => decodeTimerEntry(new Uint8Array()), /needs a target/);
});

Deno.test("pending messages round-trip: keys by sequence number, entries with their origin", () => {
  for (const seq of [0, 1, 2 ** 40]) {
    deepEqual(decodeChangelogKey(encodeChangelogKey({ kind: "pending", seq })), { kind: "pending", seq });
  }
  notDeepEqual(encodeChangelogKey({ kind: "pending", seq: 1 }), encodeChangelogKey({ kind: "pending", seq: 2 }));
  const origin = { topic: "names", partition: 3, offset: 9_007_199_254_740 };
  const fromIngress = { target: ada, caller: null, argument: toTypedValue("hi", STRING_TYPE), origin };
  deepEqual(decodePendingEntry(encodePendingEntry(fromIngress)), fromIngress);
  const fromFunction = { ...fromIngress, caller: Address.fromParts("com.example", "relay", "1") };
  deepEqual(decodePendingEntry(encodePendingEntry(fromFunction)), fromFunction);
  throws(() => decodePendingEntry(new Uint8Array()), /needs a target/);
});

Deno.test("timers keep the headers their sender carried; pending messages their ingress record and carried headers", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const carried = { traceparent: bytes("00-abc-01"), tag: [bytes("a"), bytes("b")] };
  const timer = { fireAt: 1_800_000_000_000, target: ada, argument: toTypedValue("hi", STRING_TYPE), carried };
  deepEqual(decodeTimerEntry(encodeTimerEntry(timer)), timer);
  const kafka = {
    topic: "names",
    partition: 1,
    offset: 41,
    timestamp: 1_700_000_000_000,
    headers: { bin: bytes("x") },
  };
  const pending = {
    target: ada,
    caller: null,
    argument: toTypedValue("hi", STRING_TYPE),
    origin: { topic: "app-mailbox", partition: 0, offset: 7 },
    kafka,
    carried,
  };
  deepEqual(decodePendingEntry(encodePendingEntry(pending)), pending);
});
